"""Operations: delivery performance, late order lines, inventory value and slow movers."""

from __future__ import annotations

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, charts, data, periods, records
from dashboards import components as ui
from dashboards.i18n import column, t

auth.require_page("operations")

KPIS = ("on_time_delivery_rate", "otif_rate", "gross_margin_rate", "delivered_net_sales",
        "cogs", "inventory_turnover", "days_of_inventory", "slow_moving_items")

info = ui.require_warehouse()
per, lang = ui.period(), ui.lang()
ui.page_header("page.operations", t("sales.caption", period=per.label()))
filters = ui.filter_bar(info, "ops")
ui.kpi_tiles(info, ui.available(info, KPIS), per, columns=4, filters=filters)
st.divider()
span = dict(zip(("date_from", "date_to"), periods.trend_window(per.date_to), strict=True))
period = {"date_from": per.date_from, "date_to": per.date_to}

left, right = st.columns(2)
with left:
    ui.section("ops.otd_trend", "ops.otd_trend_caption")
    otd = data.filtered(info, "otd_by_month", filters, **span)
    if otd.empty:
        st.info(t("empty.no_rows"))
    else:
        ui.chart(charts.lines(otd, "month", {"on_time_delivery_rate": column(
            "on_time_delivery_rate")}, lang=lang), "ops_otd")
with right:
    ui.section("ops.inventory", "ops.inventory_caption")
    ui.kpi_by_month(info, ("inventory_value_by_category",), *span.values(), key="ops_inventory",
                    only=ui.filter_members(info, filters))

ui.section("ops.otd_by_owner", "ops.otd_by_owner_caption")
ui.kpi_by_month(info, ("on_time_delivery_rate_by_owner",), *span.values(), key="ops_otd_owner",
                only=ui.filter_members(info, filters))

ui.section("ops.late_lines", "ops.late_lines_caption")
late, links = records.resolve(
    data.filtered(info, "late_lines", filters, today=ui.today(), **period),
    {"order_no": ("sales_order", "order_no"), "sku": ("product", "sku")})
ui.table(late, key="ops_late", file_stem="late-order-lines", links=links)

ui.section("ops.slow_moving", "ops.slow_moving_caption")
slow, links = records.resolve(data.frame(info, "slow_moving", category=filters[1]),
                              {"sku": ("product", "sku")})
ui.table(slow, key="ops_slow", file_stem="slow-moving-stock", money=("inventory_value",),
         links=links)
