"""Signing in, the access matrix, owner scoping, session expiry and refusing unsafe starts.

Pages run under AppTest against the demo store + published warehouse (seed 42), whose
accounts all have the password ``demo``.
"""

from __future__ import annotations

import ast
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, DEMO_USERS, PAGES, run_page, signed_in

FAILED = "Sign-in failed: the username or password is not right."
DENIED = "You don't have access to this page."
LOGIN_TITLE = "Sign in to the MIS"
# The record page (opened by links, hidden from the menu) is for staff and leaders.
RECORD = {"record"} if (PAGES / "record.py").exists() else set()
ALL_PAGES = {"overview", "sales", "operations", "finance", "office", "entry", "my_work",
             "data_health", *RECORD}
# What each demo account's navigation holds.
NAV = {
    "boss": ALL_PAGES,
    "admin": ALL_PAGES,
    "analyst": {"overview", "sales", "operations", "finance", "office", "data_health"},
    "sales1": {"sales", "entry", "my_work", *RECORD},
    "warehouse1": {"operations", "entry", "my_work", *RECORD},
    "finance1": {"finance", "entry", "my_work", *RECORD},
}
LANDING_TITLE = {"boss": "How the business is doing", "admin": "How the business is doing",
                 "analyst": "How the business is doing", "sales1": "My work",
                 "warehouse1": "My work", "finance1": "My work"}
ROLE_LABELS = {"boss": "Executive", "admin": "Administrator", "analyst": "Analyst",
               "sales1": "Staff · Sales", "warehouse1": "Staff · Warehouse",
               "finance1": "Staff · Finance"}
PAGE_FILES = sorted(p.stem for p in PAGES.glob("*.py"))


@pytest.fixture(autouse=True)
def _no_lockouts():
    from dashboards import auth

    auth.reset_failures()
    yield
    auth.reset_failures()


def app_test(path: Path, user: dict[str, Any] | None = None, **state: Any) -> AppTest:
    """An AppTest not yet run (run_page runs at once and fails on exceptions)."""
    at = signed_in(AppTest.from_file(str(path), default_timeout=120), user)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def nav_pages(at: AppTest) -> set[str]:
    """The page files the app's st.navigation registered in this session."""
    return {Path(str(info["script_path"])).stem
            for info in at._registered_pages.values() if info.get("script_path")}


def page_content(at: AppTest) -> list[Any]:
    """Everything a page draws beyond the guard's own message and caption."""
    kinds = ("title", "header", "subheader", "metric", "dataframe", "selectbox", "button",
             "text_input", "number_input", "tabs", "info", "warning", "success", "text",
             "markdown", "plotly_chart", "download_button", "date_input")
    return [e for kind in kinds for e in at.get(kind)]


def same_records(shown: Any, wanted: Any) -> bool:
    """The table shows exactly the wanted rows (a cell may be a record-page link that
    carries the value, e.g. ``/record?table=task&id=4#<title>``), and there are some."""
    cells = [unquote(str(v)) for v in shown]
    wanted = list(wanted)
    return (len(cells) == len(wanted) > 0
            and all(sum(w in c for c in cells) >= 1 for w in wanted)
            and all(any(w in c for w in wanted) for c in cells))


def store_session():
    from dashboards.forms import session

    return session()


# --- signing in -----------------------------------------------------------------------------


def test_signed_out_app_shows_only_the_login(warehouse_home):
    at = run_page(APP, user=None)
    assert [t.value for t in at.title] == [LOGIN_TITLE]
    assert [w.key for w in at.text_input] == ["login_username", "login_password"]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")
    assert nav_pages(at) == set()  # the login page is a function, no page file
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/overview.py")
    assert not at.sidebar.button  # no refresh, no sign-out
    assert "user" not in at.session_state


def test_wrong_password_unknown_and_inactive_users_get_one_generic_message(warehouse_home):
    from operational.models import UserAccount

    with store_session() as s:
        s.exec(select(UserAccount).where(UserAccount.username == "finance1")).one() \
            .is_active = False
    try:
        at = run_page(APP, user=None)
        shown = []
        for username, password in [("boss", "wrong"), ("boss", "DEMO"), ("nobody", "demo"),
                                   ("finance1", "demo"), ("", "")]:
            log_in(at, username, password)
            shown.append([e.value for e in at.error])
            assert "user" not in at.session_state
            assert [t.value for t in at.title] == [LOGIN_TITLE]
        assert shown == [[FAILED]] * 5
    finally:
        with store_session() as s:
            s.exec(select(UserAccount).where(UserAccount.username == "finance1")).one() \
                .is_active = True


@pytest.mark.parametrize("username", sorted(NAV))
def test_right_password_signs_in_with_the_roles_pages_only(warehouse_home, username):
    at = log_in(run_page(APP, user=None), username, "demo")
    assert at.session_state["user"] == DEMO_USERS[username]
    assert nav_pages(at) == NAV[username]
    assert at.title[0].value == LANDING_TITLE[username]
    for hidden in ALL_PAGES - NAV[username]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"app_pages/{hidden}.py")
    who = " ".join(c.value for c in at.sidebar.caption)
    assert DEMO_USERS[username]["display_name"] in who and f"({username})" in who
    assert at.sidebar.button(key="logout").label == "Sign out"


def test_sales_rep_cannot_open_another_page_by_switching(warehouse_home):
    at = log_in(run_page(APP, user=None), "sales1", "demo")
    at.switch_page("app_pages/sales.py").run()
    assert at.title[0].value == "Sales & customers"
    assert not at.metric  # no company-wide tiles for a scoped rep


def test_sign_out_returns_to_the_login(warehouse_home):
    at = run_page(APP)
    at.sidebar.button(key="logout").click().run()
    assert [t.value for t in at.title] == [LOGIN_TITLE]
    assert [i.value for i in at.info] == ["You are signed out."]
    assert "user" not in at.session_state


def test_five_failures_lock_the_username_for_a_while(warehouse_home, monkeypatch):
    from dashboards import auth

    for _ in range(auth.MAX_FAILURES):
        assert auth.authenticate("boss", "guess") == auth.INVALID
    at = log_in(run_page(APP, user=None), "boss", "demo")  # the right password, too late
    assert [e.value for e in at.error] == [
        "Too many failed sign-ins. Wait 5 minutes, then try again."]
    assert "user" not in at.session_state
    assert auth.authenticate("sales1", "demo")["username"] == "sales1"  # others unaffected
    later = time.time() + auth.LOCKOUT_SECONDS + 1
    monkeypatch.setattr(auth, "_now", lambda: later)
    assert auth.authenticate("boss", "demo")["username"] == "boss"


def test_demo_password_is_refused_outside_demo_mode(warehouse_home, monkeypatch):
    from dashboards import auth
    from operational.settings import get_settings

    monkeypatch.setenv("MIS_DEMO_MODE", "false")
    monkeypatch.setenv("MIS_SECRET_KEY", "x" * 40)
    get_settings.cache_clear()
    try:
        assert auth.authenticate("boss", "demo") == auth.INVALID
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


# --- the access matrix ----------------------------------------------------------------------


def _guard_call(path: Path) -> ast.Call | None:
    """The first statement after a page's imports, if it is a call (or ``x = call``)."""
    body = [n for n in ast.parse(path.read_text()).body
            if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    rest = [n for n in body if not isinstance(n, ast.Import | ast.ImportFrom)]
    first_import_free = body.index(rest[0]) if rest else len(body)
    assert all(isinstance(n, ast.Import | ast.ImportFrom) for n in body[:first_import_free])
    node = rest[0] if rest else None
    value = node.value if isinstance(node, ast.Expr | ast.Assign) else None
    return value if isinstance(value, ast.Call) else None


@pytest.mark.parametrize("name", PAGE_FILES)
def test_every_page_file_guards_itself_first_thing(name):
    from dashboards import auth

    assert name in auth.PAGES, f"{name}.py is not in the access matrix (dashboards/auth.py)"
    call = _guard_call(PAGES / f"{name}.py")
    assert call is not None and ast.unparse(call) == f"auth.require_page('{name}')", (
        f"{name}.py must call auth.require_page({name!r}) right after its imports")


def test_the_app_menu_offers_every_page_of_the_matrix():
    tree = ast.parse(APP.read_text())
    names = {elt.elts[0].value for node in ast.walk(tree) if isinstance(node, ast.Tuple)
             for elt in node.elts
             if isinstance(elt, ast.Tuple) and len(elt.elts) == 2
             and isinstance(elt.elts[0], ast.Constant) and str(elt.elts[1].value).startswith(":")}
    from dashboards import auth

    assert names == set(auth.PAGES)


def test_every_form_on_the_entry_page_is_in_the_matrix():
    from dashboards import auth

    tree = ast.parse((PAGES / "entry.py").read_text())
    areas = next((n.value for n in tree.body if isinstance(n, ast.AnnAssign | ast.Assign)
                  and "AREAS" in ast.unparse(n.targets[0] if isinstance(n, ast.Assign)
                                             else n.target)), None)
    if areas is None:
        pytest.skip("entry.py has no AREAS table of forms")
    names = {e.elts[0].value for e in ast.walk(areas)
             if isinstance(e, ast.Tuple) and e.elts and isinstance(e.elts[0], ast.Constant)}
    assert names and names <= set(auth.FORMS), sorted(names - set(auth.FORMS))


def _denied_user(page: str) -> str:
    from dashboards import auth

    return next(u for u, user in DEMO_USERS.items() if not auth.can_see(page, user))


@pytest.mark.parametrize("name", PAGE_FILES)
def test_every_page_refuses_a_role_that_may_not_see_it(warehouse_home, name):
    username = _denied_user(name)
    at = run_page(PAGES / f"{name}.py", user=DEMO_USERS[username])
    assert [e.value for e in at.error] == [DENIED]
    assert [c.value for c in at.caption] == [
        f"Signed in as {username} ({ROLE_LABELS[username]}). Ask an administrator if you need it."]
    assert page_content(at) == []


@pytest.mark.parametrize("name", PAGE_FILES)
def test_signed_out_page_run_alone_shows_the_login_form(warehouse_home, name):
    at = run_page(PAGES / f"{name}.py", user=None)
    assert [t.value for t in at.title] == [LOGIN_TITLE]
    assert [w.key for w in at.text_input] == ["login_username", "login_password"]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")


def test_signing_in_on_a_page_run_alone_opens_that_page(warehouse_home):
    at = log_in(run_page(PAGES / "finance.py", user=None), "finance1", "demo")
    assert at.title[0].value == "Finance"
    at = log_in(run_page(PAGES / "finance.py", user=None), "sales1", "demo")
    assert [e.value for e in at.error] == [DENIED]


def test_forms_follow_the_matrix(warehouse_home):
    from dashboards import auth

    sales, store, boss = DEMO_USERS["sales1"], DEMO_USERS["warehouse1"], DEMO_USERS["boss"]
    assert auth.can_use_form("sales_order", sales) and auth.can_use_form("customer", boss)
    assert not auth.can_use_form("sales_order", store)
    assert not auth.can_use_form("no_such_form", boss)  # unknown forms: nobody
    finance, analyst = DEMO_USERS["finance1"], DEMO_USERS["analyst"]
    usable = {u: sorted(f for f in auth.FORMS if auth.can_use_form(f, DEMO_USERS[u]))
              for u in ("warehouse1", "finance1", "analyst")}
    assert usable == {
        "warehouse1": ["approval_decision", "approval_request", "approval_submission",
                       "delivery", "delivery_arrival", "goods_receipt", "product", "task",
                       "task_progress"],
        "finance1": ["approval_decision", "approval_request", "approval_submission",
                     "invoice", "payment", "task", "task_progress"],
        "analyst": ["warehouse_refresh"],
    }
    assert not auth.can_use_form("payment", sales) and auth.can_use_form("payment", finance)
    assert not auth.can_use_form("task", analyst)

    def form_page():
        import streamlit as st

        from dashboards import auth

        auth.require_form("sales_order")
        st.text("the form")

    for user, allowed in ((store, False), (sales, True)):
        at = signed_in(AppTest.from_function(form_page, default_timeout=60), user).run()
        assert [t.value for t in at.text] == (["the form"] if allowed else [])
        assert [e.value for e in at.error] == ([] if allowed else
                                              ["You don't have access to this form."])


# --- owner scope ----------------------------------------------------------------------------


def test_sales_rep_sees_only_own_customers_on_the_sales_page(warehouse_home):
    from dashboards import components, data, periods

    rep = DEMO_USERS["sales1"]
    lo, hi = periods.resolve("last_12_months", components.today())
    want = data.query(
        """
        select distinct c.customer_code from marts.fct_order_lines as l
        join marts.dim_customers as c using (customer_id)
        where not l.is_cancelled and l.order_date between $lo and $hi
            and l.owner_employee_id = $me
        """, {"lo": lo, "hi": hi, "me": rep["employee_id"]})
    everyone = run_page(PAGES / "sales.py", period_preset="last_12_months").dataframe[0].value

    at = run_page(PAGES / "sales.py", user=rep, period_preset="last_12_months")
    mine = at.dataframe[0].value
    assert sorted(mine["customer_code"]) == sorted(want["customer_code"])
    assert set(mine["owner_name"]) == {rep["display_name"]}
    assert 0 < len(mine) < len(everyone)
    assert not at.metric  # company-wide tiles are not for a scoped rep
    assert at.info[0].value == "Showing only your own customers, opportunities and orders."

    assert "sales_owner" not in [s.key for s in at.selectbox]  # no picker that cannot widen it
    region = mine["region"].iloc[0]  # the other filters still cut within their own records
    at.selectbox(key="sales_region").select(region).run()
    narrowed = at.dataframe[0].value
    assert set(narrowed["region"]) == {region}
    assert set(narrowed["customer_code"]) <= set(want["customer_code"])


def test_my_work_shows_the_signed_in_staff_members_own_lists(warehouse_home):
    from dashboards import components, data

    rep = DEMO_USERS["sales1"]
    since = components.today() - timedelta(days=90)
    want = data.query("select customer_code from marts.dim_customers"
                      " where owner_employee_id = $me and last_order_date < $since",
                      {"me": rep["employee_id"], "since": since})
    at = run_page(PAGES / "my_work.py", user=rep, me=16)  # a stale pick is ignored for staff
    assert not at.selectbox  # no "I am": staff are who they signed in as
    assert "Signed in as 王文: your own work." in [c.value for c in at.caption]
    quiet = next(d.value for d in at.dataframe if "customer_code" in d.value.columns)
    assert same_records(quiet["customer_code"], want["customer_code"])

    tasks = data.query(
        """
        select t.assignee_employee_id as id, count(*) as n from marts.fct_tasks as t
        join marts.dim_employees as e on t.assignee_employee_id = e.employee_id
        where t.is_open and e.department = 'sales' group by 1 order by 2 desc, 1 limit 1
        """)
    busy = int(tasks["id"].iloc[0])
    titles = data.query("select title from marts.fct_tasks where is_open"
                        " and assignee_employee_id = $me", {"me": busy})
    colleague = {**rep, "username": "sales2", "display_name": "同事", "employee_id": busy}
    at = run_page(PAGES / "my_work.py", user=colleague)
    shown = next(d.value for d in at.dataframe if "title" in d.value.columns)
    assert same_records(shown["title"], titles["title"])


def test_leaders_pick_anyone_starting_with_themselves(warehouse_home):
    at = run_page(PAGES / "my_work.py", user=DEMO_USERS["admin"])
    assert at.selectbox(key="me").value == DEMO_USERS["admin"]["employee_id"]


def test_scoped_reads_bind_the_owner_and_refuse_queries_without_one(warehouse_home):
    from dashboards import data

    info, me = data.build_info(), DEMO_USERS["sales1"]["employee_id"]
    everyone = data.frame(info, "pipeline", owner=None)
    mine = data.frame(info, "pipeline", scope=me, owner=None)  # cached apart from everyone
    assert mine.equals(data.frame(info, "pipeline", owner=me))
    assert mine["opportunities"].sum() < everyone["opportunities"].sum()
    with pytest.raises(data.ScopeError):
        data.frame(info, "approvals_by_kind", scope=me, date_from=None, date_to=None)
    ltv = data.customer_ltv(info["build_id"], data.build_info()["as_of"].date(), me)
    owned = data.query("select customer_code from marts.dim_customers"
                       " where owner_employee_id = $me", {"me": me})
    assert set(ltv["customer_code"]) <= set(owned["customer_code"]) and len(ltv) > 0
    for name, sql in data.SQL.items():  # values are bound, never formatted in
        assert "{" not in sql and "%s" not in sql, name


# --- sessions -------------------------------------------------------------------------------


def test_idle_session_returns_to_login(warehouse_home):
    now = time.time()
    at = run_page(PAGES / "finance.py", auth_signed_in_at=now - 3600 * 2,
                  auth_last_seen=now - 61 * 60)
    assert [t.value for t in at.title] == [LOGIN_TITLE]
    assert [i.value for i in at.info] == [
        "Your session ended after 60 minutes without use. Please sign in again."]
    assert "user" not in at.session_state
    at = run_page(PAGES / "finance.py", auth_last_seen=now - 59 * 60)
    assert at.title[0].value == "Finance"


def test_session_ends_after_the_absolute_limit(warehouse_home):
    now = time.time()
    at = run_page(APP, auth_signed_in_at=now - 12 * 3600 - 60, auth_last_seen=now - 10)
    assert [t.value for t in at.title] == [LOGIN_TITLE]
    assert [i.value for i in at.info] == [
        "Your session ended after 12 hours. Please sign in again."]


def test_idle_limit_comes_from_the_settings(warehouse_home, monkeypatch):
    from operational.settings import get_settings

    monkeypatch.setenv("MIS_SESSION_IDLE_MINUTES", "5")
    get_settings.cache_clear()
    try:
        at = run_page(PAGES / "finance.py", auth_last_seen=time.time() - 6 * 60)
        assert [t.value for t in at.title] == [LOGIN_TITLE]
        assert "after 5 minutes" in at.info[0].value
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


# --- unsafe starts --------------------------------------------------------------------------


@pytest.fixture
def production_settings(monkeypatch):
    from operational.settings import get_settings

    monkeypatch.setenv("MIS_DEMO_MODE", "false")
    monkeypatch.delenv("MIS_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize("path", [APP, PAGES / "overview.py"], ids=["app", "page"])
def test_app_refuses_to_render_outside_demo_mode_with_the_default_secret(
        warehouse_home, production_settings, path):
    at = run_page(path)
    assert "refuse to run" in at.error[0].value and "MIS_SECRET_KEY" in at.error[0].value
    assert not at.text_input and not at.metric and not at.title


def _cli(monkeypatch, env: dict[str, str]) -> tuple[Any, list[Any]]:
    from typer.testing import CliRunner

    from mis_cli import main
    from operational.settings import get_settings

    calls: list[Any] = []
    monkeypatch.setattr(main.subprocess, "call",
                        lambda cmd, **kw: calls.append((cmd, kw)) or 0)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main.app, ["app", "--port", "8599"])
    finally:
        get_settings.cache_clear()
    return result, calls


def said(result: Any) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_mis_app_refuses_the_default_secret_outside_demo_mode(warehouse_home, monkeypatch):
    for secret in ("", "change-me", "short"):
        result, calls = _cli(monkeypatch, {"MIS_DEMO_MODE": "false", "MIS_SECRET_KEY": secret})
        assert result.exit_code == 1
        assert "MIS_SECRET_KEY is missing or a default value" in said(result)
        assert calls == []  # streamlit never started


def test_mis_app_refuses_demo_passwords_outside_demo_mode(warehouse_home, monkeypatch):
    result, calls = _cli(monkeypatch, {"MIS_DEMO_MODE": "false", "MIS_SECRET_KEY": "k" * 32})
    assert result.exit_code == 1
    assert "still have the password 'demo'" in said(result)
    assert "boss" in said(result) and "sales1" in said(result)
    assert calls == []


def test_mis_app_starts_with_a_secret_and_real_passwords(warehouse_home, tmp_path, monkeypatch):
    import bcrypt

    from operational.models import UserAccount
    from operational.settings import get_settings

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(warehouse_home / "operational.sqlite", home / "operational.sqlite")
    monkeypatch.setenv("MIS_HOME", str(home))
    get_settings.cache_clear()
    with store_session() as s:
        for account in s.exec(select(UserAccount)).all():
            account.password_hash = bcrypt.hashpw(b"a real one", bcrypt.gensalt(4)).decode()
    secret = "s" * 40
    result, calls = _cli(monkeypatch, {"MIS_DEMO_MODE": "false", "MIS_SECRET_KEY": secret})
    assert result.exit_code == 0, said(result)
    (cmd, kw), = calls
    assert kw["env"]["STREAMLIT_SERVER_COOKIE_SECRET"] == secret
    assert secret not in " ".join(cmd)  # not on the command line (process list)


def test_mis_app_in_demo_mode_says_which_demo_logins_work(warehouse_home, monkeypatch):
    result, calls = _cli(monkeypatch, {"MIS_DEMO_MODE": "true"})
    assert result.exit_code == 0, result.output
    assert ("demo mode: demo logins are active (boss, sales1, warehouse1, finance1, analyst, "
            "admin; password 'demo')") in said(result)
    assert len(calls) == 1


def test_xsrf_protection_is_on_explicitly():
    import tomllib

    config = tomllib.loads((APP.parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True


# --- user text ------------------------------------------------------------------------------


def test_record_values_are_shown_as_written_not_as_markdown(warehouse_home):
    from dashboards import auth, forms
    from operational.models import Customer, SalesOrder

    assert auth.plain("**x** [a](b) <i>") == r"\*\*x\*\* \[a\]\(b\) \<i\>"
    draft = forms.draft_orders(None)[0]
    with store_session() as s:
        order = s.get(SalesOrder, draft["id"])
        customer = s.get(Customer, order.customer_id)
        owner, cid, before = order.owner_id, customer.id, customer.name
        customer.name = "**Bold** [link](https://example.com) <b>x</b>"
    try:
        at = run_page(PAGES / "my_work.py", me=owner)
        assert "**Bold** [link](https://example.com) <b>x</b>" in [t.value for t in at.text]
        assert not any("**Bold**" in m.value for m in at.markdown)
    finally:
        with store_session() as s:
            s.get(Customer, cid).name = before


def test_a_display_name_is_escaped_in_the_sidebar(warehouse_home):
    at = run_page(APP, user={**DEMO_USERS["boss"], "display_name": "*何* [x](y)"})
    assert at.sidebar.caption[0].value == r"Signed in as **\*何\* \[x\]\(y\)** (boss)"


def test_auth_labels_have_both_languages_and_the_same_placeholders():
    import string

    from dashboards.labels_auth import LABELS

    for key, (en, zh) in LABELS.items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in (en, zh)]
        assert en and zh and fields[0] == fields[1], key
