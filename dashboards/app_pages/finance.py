"""Finance: turnover and collections, receivables ageing, open invoices, approval control."""

from __future__ import annotations

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import charts, data, fmt, periods
from dashboards import components as ui
from dashboards.i18n import t

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
ui.table(data.frame(info, "ageing_by_customer").drop(columns=["oldest_bucket"]),
         key="finance_customers", file_stem="receivables-by-customer",
         money=("open_amount", "overdue_amount"))

ui.section("finance.open_invoices")
ui.table(data.frame(info, "open_invoices", today=ui.today()), key="finance_invoices",
         file_stem="open-invoices", money=("gross_amount", "paid_amount", "open_amount"))

ui.section("finance.unapproved", "finance.unapproved_caption")
ui.table(data.frame(info, "unapproved_supplier_payments", date_from=per.date_from,
                    date_to=per.date_to),
         key="finance_unapproved", file_stem="supplier-payments-without-approval",
         money=("payment_amount",))
