"""Labels of signing in, access and sessions (merged into ``dashboards/labels.py`` by i18n)."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # login page
    "auth.page": ("Sign in", "登录"),
    "auth.title": ("Sign in to the MIS", "登录管理信息系统"),
    "auth.caption": ("Use the account your administrator gave you.",
                     "请使用管理员为你开设的账号。"),
    "auth.username": ("Username", "用户名"),
    "auth.password": ("Password", "密码"),
    "auth.sign_in": ("Sign in", "登录"),
    "auth.failed": ("Sign-in failed: the username or password is not right.",
                    "登录失败：用户名或密码不正确。"),
    "auth.locked": ("Too many failed sign-ins. Wait {minutes} minutes, then try again.",
                    "登录失败次数过多，请等待 {minutes} 分钟后再试。"),
    "auth.unavailable": ("Signing in is not possible now: the operational store is not ready "
                         "({detail}).", "暂时无法登录：业务数据库尚未就绪（{detail}）。"),
    "auth.demo_hint": ("Demo mode: sign in as {users}, password `demo`.",
                       "演示模式：可用 {users} 登录，密码均为 `demo`。"),
    "auth.expired_idle": ("Your session ended after {minutes} minutes without use. "
                          "Please sign in again.",
                          "会话已因 {minutes} 分钟未操作而结束，请重新登录。"),
    "auth.expired_max": ("Your session ended after {hours} hours. Please sign in again.",
                         "会话已达 {hours} 小时上限，请重新登录。"),
    "auth.signed_out": ("You are signed out.", "你已退出登录。"),
    # sidebar
    "auth.signed_in_as": ("Signed in as **{name}** ({username})",
                          "当前用户：**{name}**（{username}）"),
    "auth.role_line": ("Role: {role}", "角色：{role}"),
    "auth.sign_out": ("Sign out", "退出登录"),
    # access
    "auth.denied": ("You don't have access to this page.", "你没有访问此页面的权限。"),
    "auth.denied_detail": ("Signed in as {username} ({role}). Ask an administrator if you "
                           "need it.", "当前账号 {username}（{role}）。如需访问，请联系管理员。"),
    "auth.no_forms": ("Your role has no forms to fill in here.", "你的角色在此没有可填写的表单。"),
    "auth.form_denied": ("You don't have access to this form.", "你没有使用此表单的权限。"),
    "auth.no_employee": ("Your account is not linked to an employee, so there are no own "
                         "records to show. Ask an administrator to link it.",
                         "你的账号未关联员工，无法显示你名下的记录。请联系管理员关联。"),
    "auth.own_records": ("Showing only your own customers, opportunities and orders.",
                         "仅显示你名下的客户、商机和订单。"),
    "auth.me": ("Signed in as {name}: your own work.", "当前用户 {name}：以下是你的工作。"),
    # refusing to start
    "auth.unsafe_start": ("The dashboards refuse to run: demo mode is off but MIS_SECRET_KEY "
                          "is missing or a default value. Set a random key of at least 16 "
                          "characters, or MIS_DEMO_MODE=true for the demo.",
                          "仪表板拒绝运行：已关闭演示模式，但 MIS_SECRET_KEY 未设置或仍为默认值。"
                          "请设置至少 16 个字符的随机密钥，或设 MIS_DEMO_MODE=true 使用演示。"),
    # roles and departments
    "auth.role.executive": ("Executive", "管理层"),
    "auth.role.staff": ("Staff", "员工"),
    "auth.role.analyst": ("Analyst", "数据分析师"),
    "auth.role.admin": ("Administrator", "系统管理员"),
    "auth.dept.management": ("Management", "总经办"),
    "auth.dept.sales": ("Sales", "销售部"),
    "auth.dept.purchasing": ("Purchasing", "采购部"),
    "auth.dept.warehouse": ("Warehouse", "仓储部"),
    "auth.dept.finance": ("Finance", "财务部"),
    "auth.dept.service": ("Customer service", "客服部"),
    "auth.dept.admin": ("Office & admin", "行政部"),
}
