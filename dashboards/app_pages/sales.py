"""Sales & customers: booked sales by month, region and customer; pipeline and conversion.

Sales staff see only their own customers, deals and orders (``auth.owner_scope``); the
company-wide KPI tiles and breakdowns are for the roles that see every owner.
"""

from __future__ import annotations

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, charts, data, fmt, periods, records
from dashboards import components as ui
from dashboards.i18n import t, value

auth.require_page("sales")

KPIS = ("order_intake", "order_count", "average_order_value", "active_customers",
        "repurchase_rate", "retention_rate", "lead_conversion_rate", "win_rate",
        "deal_cycle_days")
BY_MONTH = ("order_intake_by_region", "order_intake_by_category", "win_rate_by_owner")

info = ui.require_warehouse()
scope = auth.owner_scope()  # None: every owner's records
per, lang = ui.period(), ui.lang()
ui.page_header("page.sales", t("sales.caption", period=per.label()))
filters = ui.filter_bar(info, "sales")  # scoped: no owner picker, the owner is them
if scope is None:
    ui.kpi_tiles(info, ui.available(info, KPIS), per, filters=filters)
else:
    st.info(t("auth.own_records"), icon=":material/person:")
st.divider()
span = dict(zip(("date_from", "date_to"), periods.trend_window(per.date_to), strict=True))

ui.section("sales.by_month", "sales.by_month_caption")
by_month = data.filtered(info, "sales_by_month_category", filters, scope=scope, **span)
if by_month.empty:
    st.info(t("empty.no_rows"))
else:
    ui.chart(charts.stacked_bars(by_month, "month", "category", "order_intake", lang=lang,
                                 x_labels=None), "sales_month")

period = {"date_from": per.date_from, "date_to": per.date_to}
customers = data.filtered(info, "sales_by_customer", filters, scope=scope, **period)
left, right = st.columns(2)
with left:
    ui.section("sales.by_region")
    regions = data.filtered(info, "sales_by_region", filters, scope=scope, **period)
    if regions.empty:
        st.info(t("empty.no_rows"))
    else:
        ui.chart(charts.ranked_bars(regions, "region", "order_intake", lang=lang), "sales_region")
with right:
    ui.section("sales.top_customers", "drill.hint")
    picked = None
    if customers.empty:
        st.info(t("empty.no_rows"))
    else:
        picked = ui.chart(charts.ranked_bars(customers, "customer_name", "order_intake",
                                             lang=lang, color=charts.PALETTE[1]),
                          "sales_top", select="y")

if picked is not None:
    code = customers.loc[customers["customer_name"] == picked, "customer_code"].iloc[0]
    ui.section("sales.customer_orders", customer=auth.plain(picked))
    orders, links = records.resolve(
        data.frame(info, "customer_orders", scope=scope, customer_code=code, **period),
        {"order_no": ("sales_order", "order_no")})
    ui.table(orders, key="sales_drill", file_stem=f"orders-{code}", money=("net_amount",),
             links=links)

ui.section("sales.customers", "sales.customers_caption")
linked, links = records.resolve(customers, {"customer_name": ("customer", "customer_code")})
ui.table(linked, key="sales_customers", file_stem="customers",
         money=("order_intake", "lifetime_net_sales"), links=links)

st.divider()
owner = filters[2]
left, right = st.columns(2)
with left:
    ui.section("sales.pipeline", "sales.pipeline_caption")
    pipe = data.frame(info, "pipeline", scope=scope, owner=owner)
    if pipe.empty:
        st.info(t("empty.no_rows"))
    else:
        pipe["stage"] = pipe["stage"].map(lambda s: value("stage", s))
        ui.chart(charts.funnel(pipe, "stage", "amount", lang=lang), "sales_pipeline")
with right:
    ui.section("sales.conversion", "sales.conversion_caption")
    crm = data.frame(info, "crm_monthly", scope=scope, owner=owner, **span)
    if crm.empty:
        st.info(t("empty.no_rows"))
    else:
        ui.chart(charts.lines(crm, "month", {"lead_conversion": t("sales.lead_conversion"),
                                             "win_rate": t("sales.win_rate")}, lang=lang),
                 "sales_conversion")

st.divider()
left, right = st.columns(2)
if scope is None:  # company-wide breakdowns (every owner, region and category)
    with left:
        ui.section("sales.by_dimension", "sales.by_dimension_caption")
        ui.kpi_by_month(info, BY_MONTH, *span.values(), key="sales_by_dimension",
                        only=ui.filter_members(info, filters))
with right if scope is None else left:
    ui.section("sales.ltv", "sales.ltv_caption", date=fmt.day(per.date_to, lang))
    ltv = data.customer_ltv(info["build_id"], per.date_to, scope)
    if ltv.empty:
        st.info(t("empty.no_rows"))
    else:
        ui.chart(charts.ranked_bars(ltv, "customer_name", "ltv", lang=lang,
                                    color=charts.PALETTE[5]), "sales_ltv")
