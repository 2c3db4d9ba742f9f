"""Charts as pure functions: DataFrame (+ labels) -> plotly figure. No Streamlit, no SQL.

Amounts arrive as ``Decimal`` or numbers; axes show compact money per language (``¥1.2M`` /
``¥123.4万``) and hovers show exact amounts, formatted by ``dashboards.fmt``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboards import fmt

PALETTE = ("#1f4e79", "#2a9d8f", "#e9c46a", "#e76f51", "#8d99ae", "#6a4c93", "#52b788",
           "#f4a261", "#457b9d", "#bc6c25", "#9d4edd", "#a8dadc")
LINE_COLOR = "#e76f51"
FONT = "Source Sans Pro, PingFang SC, Microsoft YaHei, sans-serif"


def _esc(value: object) -> str:
    """A data value used as a label: plotly renders a subset of HTML in labels, names and
    hover templates, so user-entered text (customer names, regions) is escaped."""
    return html.escape(str(value), quote=False)


def _escs(values: Sequence[object]) -> list[object]:
    return [_esc(v) if isinstance(v, str) else v for v in values]


def _floats(series: pd.Series) -> list[float | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
            for v in series.tolist()]


def nice_ticks(max_value: float, count: int = 5) -> list[float]:
    """Round tick values from 0 up to at least ``max_value``."""
    if max_value <= 0:
        return [0.0]
    raw = max_value / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(int(math.ceil(max_value / step)) + 1)]


def _money_axis(values: Sequence[float | None], lang: str) -> dict:
    top = max((v for v in values if v is not None), default=0.0)
    ticks = nice_ticks(top)
    return {"tickvals": ticks, "ticktext": [fmt.money_compact(v, lang) for v in ticks],
            "range": [0, ticks[-1] * 1.04 if ticks[-1] else 1]}


def _thin(fig: go.Figure, n: int) -> go.Figure:
    """Label every other category when there are many (months in a half-width chart)."""
    if n > 8:
        fig.update_xaxes(tickangle=0, dtick=2)
    return fig


def _layout(fig: go.Figure, *, height: int = 360, legend: bool = True) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 36 if legend else 12, "b": 8},
        font={"family": FONT, "size": 13},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font": {"family": FONT}},
        bargap=0.25,
    )
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="rgba(128,128,128,0.18)", zeroline=False)
    return fig


def monthly_trend(df: pd.DataFrame, labels: Mapping[str, str], lang: str = "en") -> go.Figure:
    """Order intake and turnover as bars (left axis), on-time delivery rate as a line (right).

    ``df``: month ('YYYY-MM'), order_intake, turnover, on_time_delivery_rate (0..1).
    ``labels``: display names for those three columns.
    """
    months = [fmt.month_label(m, lang) for m in df["month"]]
    fig = go.Figure()
    money_values: list[float | None] = []
    for i, col in enumerate(("order_intake", "turnover")):
        ys = _floats(df[col])
        money_values += ys
        fig.add_trace(go.Bar(
            x=months, y=ys, name=labels[col], marker_color=PALETTE[i],
            customdata=[fmt.money(v, lang) for v in df[col]],
            hovertemplate="%{customdata}<extra>" + labels[col] + "</extra>",
        ))
    otd = _floats(df["on_time_delivery_rate"])
    fig.add_trace(go.Scatter(
        x=months, y=otd, name=labels["on_time_delivery_rate"], yaxis="y2",
        mode="lines+markers", line={"color": LINE_COLOR, "width": 3},
        customdata=[fmt.rate(v) for v in df["on_time_delivery_rate"]],
        hovertemplate="%{customdata}<extra>" + labels["on_time_delivery_rate"] + "</extra>",
        connectgaps=False,
    ))
    fig.update_layout(
        barmode="group",
        hovermode="x unified",
        yaxis=_money_axis(money_values, lang),
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.04], "tickformat": ".0%",
                "tickvals": [0, 0.25, 0.5, 0.75, 1], "showgrid": False, "zeroline": False},
    )
    return _layout(fig)


def ranked_bars(
    df: pd.DataFrame, category: str, value: str, *, unit: str = "money", lang: str = "en",
    top: int = 10, color: str = PALETTE[0],
) -> go.Figure:
    """Horizontal bars, largest on top (top customers, products, regions)."""
    data = df.sort_values(value, ascending=False).head(top).iloc[::-1]
    xs = _floats(data[value])
    fig = go.Figure(go.Bar(
        x=xs, y=[_esc(v) for v in data[category]], orientation="h", marker_color=color,
        customdata=[fmt.value(v, unit, lang) for v in data[value]],
        hovertemplate="%{y}: %{customdata}<extra></extra>",
        text=[fmt.money_compact(v, lang) if unit == "money" else fmt.value(v, unit, lang)
              for v in data[value]],
        textposition="auto",
    ))
    if unit == "money":
        fig.update_layout(xaxis=_money_axis(xs, lang))
    return _layout(fig, height=max(240, 34 * len(data) + 60), legend=False)


def stacked_bars(
    df: pd.DataFrame, x: str, stack: str, value: str, *, order: Sequence[str] | None = None,
    x_labels: Mapping[str, str] | None = None, lang: str = "en",
) -> go.Figure:
    """Money bars by ``x`` stacked by ``stack`` (receivables ageing, sales by category)."""
    stacks = list(order) if order else sorted(df[stack].dropna().unique().tolist())
    xs = sorted(df[x].dropna().unique().tolist())
    if x_labels:
        shown_x = _escs([x_labels.get(v, v) for v in xs])
    else:
        shown_x = [fmt.month_label(v, lang) for v in xs] if x == "month" else _escs(xs)
    fig = go.Figure()
    totals = [0.0] * len(xs)
    for i, name in enumerate(stacks):
        part = df[df[stack] == name].set_index(x)[value]
        ys = [float(part.get(v, 0) or 0) for v in xs]
        totals = [a + b for a, b in zip(totals, ys, strict=True)]
        fig.add_trace(go.Bar(
            x=shown_x, y=ys, name=_esc(name), marker_color=PALETTE[i % len(PALETTE)],
            customdata=[fmt.money(v, lang) for v in ys],
            hovertemplate="%{customdata}<extra>" + _esc(name) + "</extra>",
        ))
    fig.update_layout(barmode="stack", hovermode="x unified", yaxis=_money_axis(totals, lang))
    return _layout(_thin(fig, len(xs)))


def lines(
    df: pd.DataFrame, x: str, ys: Mapping[str, str], *, unit: str = "rate", lang: str = "en",
) -> go.Figure:
    """One line per column in ``ys`` (column -> label), e.g. monthly rates."""
    fig = go.Figure()
    xs = [fmt.month_label(m, lang) for m in df[x]] if x == "month" else _escs(df[x].tolist())
    for i, (col, raw_label) in enumerate(ys.items()):
        label = _esc(raw_label)
        fig.add_trace(go.Scatter(
            x=xs, y=_floats(df[col]), name=label, mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)], "width": 3},
            customdata=[fmt.value(v, unit, lang) for v in df[col]],
            hovertemplate="%{customdata}<extra>" + label + "</extra>",
        ))
    if unit == "rate":
        fig.update_layout(yaxis={"tickformat": ".0%", "rangemode": "tozero"})
    return _layout(_thin(fig, len(xs)), legend=len(ys) > 1)


def funnel(df: pd.DataFrame, stage: str, value: str, *, unit: str = "money",
           lang: str = "en") -> go.Figure:
    """Pipeline by stage, in the order given."""
    fig = go.Figure(go.Funnel(
        y=[_esc(v) for v in df[stage]], x=_floats(df[value]),
        text=[fmt.value(v, unit, lang) for v in df[value]], textinfo="text",
        marker={"color": PALETTE[: len(df)]},
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    return _layout(fig, legend=False)


def donut(df: pd.DataFrame, names: str, value: str, *, unit: str = "count",
          lang: str = "en") -> go.Figure:
    fig = go.Figure(go.Pie(
        labels=[_esc(v) for v in df[names]], values=_floats(df[value]), hole=0.55,
        marker={"colors": PALETTE}, sort=False,
        customdata=[fmt.value(v, unit, lang) for v in df[value]],
        hovertemplate="%{label}: %{customdata} (%{percent})<extra></extra>",
    ))
    return _layout(fig, height=300)


def grouped_bars(
    df: pd.DataFrame, x: str, ys: Mapping[str, str], *, lang: str = "en",
    x_labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Money columns ``ys`` (column -> label) side by side per ``x``, in the frame's order."""
    xs = df[x].tolist()
    shown = _escs([x_labels.get(v, v) for v in xs]) if x_labels else (
        [fmt.month_label(v, lang) for v in xs] if x == "month" else _escs(xs))
    fig = go.Figure()
    values: list[float | None] = []
    for i, (col, label) in enumerate(ys.items()):
        ys_ = _floats(df[col])
        values += ys_
        fig.add_trace(go.Bar(
            x=shown, y=ys_, name=label, marker_color=PALETTE[i % len(PALETTE)],
            customdata=[fmt.money(v, lang) for v in df[col]],
            hovertemplate="%{customdata}<extra>" + label + "</extra>",
        ))
    fig.update_layout(barmode="group", hovermode="x unified", yaxis=_money_axis(values, lang))
    return _layout(_thin(fig, len(xs)), legend=len(ys) > 1)


def by_dimension(df: pd.DataFrame, dimension: str, *, unit: str = "money",
                 lang: str = "en") -> go.Figure:
    """A month-grain KPI (month, ``dimension``, value): money stacks by member, anything
    else (rates) draws one line per member."""
    if unit == "money":
        return stacked_bars(df, "month", dimension, "value", lang=lang)
    wide = df.pivot(index="month", columns=dimension, values="value").sort_index()
    members = [str(c) for c in wide.columns]
    wide.columns = members
    return lines(wide.reset_index(), "month", {m: m for m in members}, unit=unit, lang=lang)
