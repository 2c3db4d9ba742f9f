"""My work: one person's open tasks, draft orders to confirm, quiet customers and deals.

Staff see their own work (the signed-in account's employee); executives and administrators
may pick anyone, starting with themselves.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, data, fmt, forms, records
from dashboards import components as ui
from dashboards.i18n import t

user = auth.require_page("my_work")

STALE_DAYS, QUIET_DAYS = 14, 90

lang = ui.lang()
ui.page_header("page.my_work", t("mywork.caption"))
problem = forms.store_problem()
if problem:
    st.warning(t("form.no_store", detail=problem), icon=":material/database:")
    st.stop()
if user["role"] in auth.LEADERS:
    people = forms.employee_choices(None)
    if "me" not in st.session_state and user.get("employee_id") in people:
        st.session_state["me"] = user["employee_id"]
    me = st.selectbox(t("mywork.who"), [None, *people], key="me",
                      format_func=lambda v: t("form.pick") if v is None else people[v])
    if me is None:
        st.info(t("mywork.pick_first"), icon=":material/person:")
        st.stop()
else:
    me = user.get("employee_id")
    if me is None:
        st.warning(t("auth.no_employee"), icon=":material/person_off:")
        st.stop()
    st.caption(t("auth.me", name=auth.plain(user.get("display_name") or user["username"])))

ui.section("mywork.drafts", "mywork.drafts_caption")
outcome = st.session_state.pop("mywork_outcome", None)
if outcome:
    getattr(st, outcome[0])(outcome[1])
drafts = forms.draft_orders(me)
may_confirm = auth.can_use_form("confirm_order")
if not drafts:
    st.info(t("mywork.no_drafts"), icon=":material/task_alt:")
for order in drafts[:20]:
    c1, c2, c3, c4 = st.columns([2, 3, 2, 1.2], vertical_alignment="center")
    ui.record_page_link(order["order_no"], "sales_order", order["id"], where=c1)
    c1.caption(fmt.day(order["order_date"], lang))
    c2.text(order["customer_name"])  # a record value: plain text, never Markdown
    c3.write(fmt.money(order["net_amount"], lang))
    if may_confirm and c4.button(t("mywork.confirm"), key=f"confirm_{order['id']}",
                                 type="primary"):
        out = forms.confirm_order(order["id"], order["version"])
        if out.ok:
            key = "mywork.confirmed" if out.record["fully_reserved"] else "mywork.confirmed_short"
            st.session_state["mywork_outcome"] = ("success", t(
                key, number=out.record["order_no"],
                date=fmt.day(out.record["estimated_delivery_date"], lang)))
        else:
            st.session_state["mywork_outcome"] = ("error", out.message or "; ".join(
                out.errors.values()))
        st.rerun()

# From the store, not the warehouse: a task done a minute ago is gone, a new one is here.
ui.section("mywork.tasks")
ui.table(records.my_tasks(me), key="mywork_tasks", file_stem="my-tasks", empty="mywork.none",
         links={"title": ("task", "task_id"),
                "task_reference": ("reference_type", "reference_id")})

info = data.build_info()
if info is None:
    st.info(t("empty.no_warehouse.body"), icon=":material/hourglass_empty:")
    st.stop()
today = ui.today()
st.caption(t("mywork.lag", when=fmt.moment(info["as_of"], lang)))
ui.section("mywork.stale", "mywork.stale_caption", days=STALE_DAYS)
ui.table(data.frame(info, "my_stale_opportunities", employee=me,
                    since=today - timedelta(days=STALE_DAYS)),
         key="mywork_stale", file_stem="my-stale-opportunities", money=("amount",),
         empty="mywork.none")
ui.section("mywork.quiet", "mywork.quiet_caption", days=QUIET_DAYS)
quiet, quiet_links = records.resolve(
    data.frame(info, "my_quiet_customers", employee=me, since=today - timedelta(days=QUIET_DAYS)),
    {"customer_name": ("customer", "customer_code")})
ui.table(quiet, key="mywork_quiet", file_stem="my-quiet-customers",
         money=("lifetime_net_sales",), empty="mywork.none", links=quiet_links)
