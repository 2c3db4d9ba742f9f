"""Finance: turnover and collections, receivables ageing, open invoices, approval control.

The filter bar cuts every section that has the dimension: region and owner through the
customer (receivables, invoices, payments), category only where rows are product lines
(tiles that support it, margin by grade). A section that cannot take a chosen filter says so.
"""

from __future__ import annotations

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, charts, data, fmt, periods, records
from dashboards import components as ui
from dashboards.i18n import t

auth.require_page("finance")

KPIS = ("turnover", "gross_margin_rate", "receivables", "overdue_receivables", "dso",
        "cogs")
MARGIN = "gross_margin_rate_by_grade"

info = ui.require_warehouse()
per, lang = ui.period(), ui.lang()
ui.page_header("page.finance", t("finance.caption", period=per.label()))
filters = ui.filter_bar(info, "finance", owner_help=t("finance.owner_help"))
ui.kpi_tiles(info, ui.available(info, KPIS)[:6], per, filters=filters)

st.divider()
span = periods.trend_window(per.date_to)
left, right = st.columns(2)
with left:
    ui.section("finance.ageing", "finance.ageing_caption")
    dims, skipped = data.usable_dims(info, data.RECEIVABLES_AGEING, ui.tile_dims(info, filters))
    ageing = data.receivables_ageing(info, per.date_from, per.date_to, dims)
    st.caption(t("finance.as_of", date=fmt.day(per.date_to, lang),
                 total=fmt.money(sum(ageing["open_amount"]), lang)))
    ui.not_applied(filters, skipped, "filter.why.invoices")
    buckets = {b: t(f"finance.bucket.{b}") for b in ageing["bucket"]}
    ui.chart(charts.grouped_bars(ageing, "bucket", {"open_amount": t("finance.open")},
                                 lang=lang, x_labels=buckets), "finance_ageing")
with right:
    ui.section("finance.cash", "finance.cash_caption")
    ui.not_applied(filters, ("category",), "filter.why.payments")
    cash = data.invoiced_and_collected(info, *span, filters)
    ui.chart(charts.grouped_bars(cash, "month", {"turnover": t("finance.invoiced"),
                                                 "collected": t("finance.collected")},
                                 lang=lang), "finance_cash")

if MARGIN in data.registry(info["build_id"]):
    ui.section("finance.margin_by_grade", "finance.margin_by_grade_caption")
    margin = data.filtered(info, "margin_by_grade", filters, date_from=span[0], date_to=span[1])
    ui.dimension_chart(margin, data.registry(info["build_id"])[MARGIN].unit,
                       "finance_margin_grade")

ui.section("finance.by_customer", "finance.by_customer_caption")
ui.not_applied(filters, ("category",), "filter.why.invoices")
by_customer, links = records.resolve(
    data.customer_filtered(info, "ageing_by_customer", filters).drop(columns=["oldest_bucket"]),
    {"customer_name": ("customer", "customer_code")})
ui.table(by_customer, key="finance_customers", file_stem="receivables-by-customer",
         money=("open_amount", "overdue_amount"), links=links)

ui.section("finance.open_invoices")
ui.not_applied(filters, ("category",), "filter.why.invoices")
invoices, links = records.resolve(
    data.customer_filtered(info, "open_invoices", filters, today=ui.today()),
    {"invoice_no": ("invoice", "invoice_no")})
ui.table(invoices, key="finance_invoices", file_stem="open-invoices",
         money=("gross_amount", "paid_amount", "open_amount"), links=links)

ui.section("finance.unapproved", "finance.unapproved_caption")
ui.not_applied(filters, ui.FILTERS, "filter.why.suppliers")
unapproved, links = records.resolve(
    data.frame(info, "unapproved_supplier_payments", date_from=per.date_from,
               date_to=per.date_to),
    {"payment_no": ("supplier_payment", "payment_no"), "po_no": ("purchase_order", "po_no")})
ui.table(unapproved, key="finance_unapproved", file_stem="supplier-payments-without-approval",
         money=("payment_amount",), links=links)
