"""Executive overview: the six headline KPIs with their changes, and the 12-month trend."""

from __future__ import annotations

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, charts, data, fmt, records
from dashboards import components as ui
from dashboards.i18n import column, t

auth.require_page("overview")

TILES = ("turnover", "order_intake", "on_time_delivery_rate",
         "avg_customer_ltv", "gross_margin_rate", "active_customers")
TREND = ("order_intake", "turnover", "on_time_delivery_rate")

info = ui.require_warehouse()
per = ui.period()
lang = ui.lang()
prev_from, prev_to = per.previous
ui.page_header("overview.title", t("overview.caption", period=per.label(),
               previous=t("period.range", start=fmt.day(prev_from, lang),
                          end=fmt.day(prev_to, lang))))

filters = ui.filter_bar(info, "overview")
monthly = ui.kpi_tiles(info, TILES, per, filters=filters)

counts = data.action_counts(info["build_id"])
if not counts.empty:
    ui.section("overview.attention", "overview.attention_caption")
    rows = counts.to_dict("records")
    for start in range(0, len(rows), 4):
        for col, row in zip(st.columns(4), rows[start:start + 4], strict=False):
            col.metric(
                row["label_zh"] if lang == "zh" else row["label"],
                f"{row['findings']:,}",
                help=t("overview.attention_help", high=row["high_severity"],
                       tasks=row["open_tasks"], owners=row["owners"]),
            )

st.subheader(t("overview.trend"))
st.caption(t("overview.trend_caption"))
# the tiles' sparklines: the same three KPIs, 12 months and filters (all three take them all)
trend = monthly[["month", *TREND]]
fig = charts.monthly_trend(trend, {c: column(c) for c in TREND}, lang)
event = st.plotly_chart(fig, key="overview_trend", on_select="rerun",
                        selection_mode="points", config={"displayModeBar": False})

points = (event or {}).get("selection", {}).get("points", []) if event else []
if points:
    month = trend["month"].iloc[int(points[0]["point_index"])]
    st.subheader(f"{t('drill.title')}: {fmt.month_label(month, lang)}")
    orders, links = records.resolve(data.orders_in_month(info["build_id"], month),
                                    {"order_no": ("sales_order", "order_no")})
    ui.table(orders, key="overview_orders", file_stem=f"orders-{month}",
             money=("net_amount",), links=links)
else:
    st.caption(t("drill.hint"))
