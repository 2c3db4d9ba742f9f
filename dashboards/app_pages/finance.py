"""Finance: turnover and collections, receivables ageing, open invoices, approval control."""

from __future__ import annotations

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, charts, data, fmt, periods, records
from dashboards import components as ui
from dashboards.i18n import t

auth.require_page("finance")

KPIS = ("turnover", "gross_margin_rate", "receivables", "overdue_receivables", "dso",
        "cogs")

info = ui.require_warehouse()
per, lang = ui.period(), ui.lang()
ui.page_header("page.finance", t("finance.caption", period=per.label()))
ui.kpi_tiles(info, ui.available(info, KPIS)[:6], per)

st.divider()
span = periods.trend_window(per.date_to)
left, right = st.columns(2)
with left:
    ui.section("finance.ageing", "finance.ageing_caption")
    ageing = data.receivables_ageing(info, per.date_from, per.date_to)
    st.caption(t("finance.as_of", date=fmt.day(per.date_to, lang),
                 total=fmt.money(sum(ageing["open_amount"]), lang)))
    buckets = {b: t(f"finance.bucket.{b}") for b in ageing["bucket"]}
    ui.chart(charts.grouped_bars(ageing, "bucket", {"open_amount": t("finance.open")},
                                 lang=lang, x_labels=buckets), "finance_ageing")
with right:
    ui.section("finance.cash", "finance.cash_caption")
    cash = data.invoiced_and_collected(info, *span)
    ui.chart(charts.grouped_bars(cash, "month", {"turnover": t("finance.invoiced"),
                                                 "collected": t("finance.collected")},
                                 lang=lang), "finance_cash")

ui.section("finance.margin_by_grade", "finance.margin_by_grade_caption")
ui.kpi_by_month(info, ("gross_margin_rate_by_grade",), *span, key="finance_margin_grade")

ui.section("finance.by_customer", "finance.by_customer_caption")
by_customer, links = records.resolve(
    data.frame(info, "ageing_by_customer").drop(columns=["oldest_bucket"]),
    {"customer_name": ("customer", "customer_code")})
ui.table(by_customer, key="finance_customers", file_stem="receivables-by-customer",
         money=("open_amount", "overdue_amount"), links=links)

ui.section("finance.open_invoices")
invoices, links = records.resolve(data.frame(info, "open_invoices", today=ui.today()),
                                  {"invoice_no": ("invoice", "invoice_no")})
ui.table(invoices, key="finance_invoices", file_stem="open-invoices",
         money=("gross_amount", "paid_amount", "open_amount"), links=links)

ui.section("finance.unapproved", "finance.unapproved_caption")
unapproved, links = records.resolve(
    data.frame(info, "unapproved_supplier_payments", date_from=per.date_from,
               date_to=per.date_to),
    {"payment_no": ("supplier_payment", "payment_no"), "po_no": ("purchase_order", "po_no")})
ui.table(unapproved, key="finance_unapproved", file_stem="supplier-payments-without-approval",
         money=("payment_amount",), links=links)
