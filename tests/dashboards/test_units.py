"""Pure pieces of the dashboards: formatting, periods, charts, labels, form helpers."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from dashboards import charts, fmt, forms, periods
from dashboards.labels import COLUMNS, LABELS


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1234567.885"), "¥1,234,567.89"),  # half-up, exact decimal
    (Decimal("0.005"), "¥0.01"),
    (Decimal("-42"), "-¥42.00"),
    (None, "—"),
])
def test_money(value, text):
    assert fmt.money(value) == text


def test_rates_counts_durations():
    assert fmt.rate(Decimal("0.95349")) == "95.3%"
    assert fmt.rate(0.9535) == "95.4%"
    assert fmt.count(Decimal("1234.5")) == "1,235"
    assert fmt.duration(3.25, "days", "zh") == "3.3天"
    assert fmt.value(Decimal("2.5"), "hours", "en") == "2.5 h"


def test_scores_keep_their_decimal():
    # a 1-5 satisfaction average of 3.86 is not "4"
    assert fmt.value(3.86, "score", "en") == "3.9 of 5"
    assert fmt.value(3.86, "score", "zh") == "3.9分"
    assert fmt.delta(3.86, 4.0, "score", "en") == "-0.1"
    assert fmt.delta(4.0, 3.86, "score", "zh") == "+0.1分"


def test_compact_money_per_language():
    assert fmt.money_compact(80_000_000, "zh") == "¥8,000万"
    assert fmt.money_compact(123_456_789, "zh") == "¥1.2亿"
    assert fmt.money_compact(2_500_000, "en") == "¥2.5M"
    assert fmt.money_compact(999, "en") == "¥999"


@pytest.mark.parametrize(("now", "prev", "unit", "lang", "text"), [
    (110, 100, "money", "en", "+10.0%"),
    (90, 100, "count", "en", "-10.0%"),
    (Decimal("0.90"), Decimal("0.85"), "rate", "en", "+5.0 pp"),
    (Decimal("0.80"), Decimal("0.85"), "rate", "zh", "-5.0 个百分点"),
    (5, 0, "money", "en", "+¥5.00"),
    (3, 4, "days", "en", "-1.0 days"),
    (None, 4, "money", "en", None),
    (0, 0, "money", "en", None),
])
def test_delta(now, prev, unit, lang, text):
    assert fmt.delta(now, prev, unit, lang) == text


def test_dates_per_language():
    assert fmt.day(date(2026, 3, 5)) == "5 Mar 2026"
    assert fmt.day(date(2026, 3, 5), "zh") == "2026年3月5日"
    assert fmt.moment("2026-03-05T17:30:00+00:00", "zh") == "2026年3月6日 01:30"
    assert fmt.month_label("2026-03") == "Mar 2026"


@pytest.mark.parametrize(("preset", "start", "end"), [
    ("this_month", date(2026, 5, 1), date(2026, 5, 20)),
    ("last_month", date(2026, 4, 1), date(2026, 4, 30)),
    ("this_quarter", date(2026, 4, 1), date(2026, 5, 20)),
    ("ytd", date(2026, 1, 1), date(2026, 5, 20)),
    ("last_12_months", date(2025, 6, 1), date(2026, 5, 20)),
])
def test_period_presets(preset, start, end):
    assert periods.resolve(preset, date(2026, 5, 20)) == (start, end)


def test_custom_period_and_trend_window():
    custom = (date(2026, 2, 10), date(2026, 1, 5))
    assert periods.resolve("custom", date(2026, 5, 20), custom) == (date(2026, 1, 5),
                                                                   date(2026, 2, 10))
    assert periods.resolve("last_month", date(2026, 1, 15)) == (date(2025, 12, 1),
                                                               date(2025, 12, 31))
    assert periods.trend_window(date(2026, 1, 15)) == (date(2025, 2, 1), date(2026, 1, 15))


def test_monthly_trend_figure():
    df = pd.DataFrame({
        "month": ["2026-01", "2026-02"],
        "order_intake": [Decimal("100.00"), Decimal("250.50")],
        "turnover": [Decimal("90.00"), None],
        "on_time_delivery_rate": [0.9, None],
    })
    labels = {"order_intake": "OI", "turnover": "TO", "on_time_delivery_rate": "OTD"}
    fig = charts.monthly_trend(df, labels, "zh")
    bars, line = fig.data[:2], fig.data[2]
    assert [t.type for t in fig.data] == ["bar", "bar", "scatter"]
    assert list(bars[0].x) == ["2026年1月", "2026年2月"]
    assert list(bars[0].y) == [100.0, 250.5] and list(bars[1].y) == [90.0, None]
    assert list(bars[0].customdata) == ["¥100.00", "¥250.50"]
    assert line.yaxis == "y2" and list(line.customdata) == ["90.0%", "—"]
    assert fig.layout.yaxis.ticktext[-1].startswith("¥")


def test_ranked_bars_put_the_largest_on_top():
    df = pd.DataFrame({"who": ["a", "b", "c"], "v": [Decimal(5), Decimal(50), Decimal(20)]})
    fig = charts.ranked_bars(df, "who", "v", top=2)
    assert list(fig.data[0].y) == ["c", "b"]  # plotly draws the last row on top


def test_stacked_bars_cover_every_category():
    df = pd.DataFrame({"month": ["2026-01", "2026-01", "2026-02"], "cat": ["x", "y", "x"],
                       "v": [1, 2, 3]})
    fig = charts.stacked_bars(df, "month", "cat", "v")
    assert [t.name for t in fig.data] == ["x", "y"]
    assert list(fig.data[1].y) == [2.0, 0.0]


def test_labels_have_both_languages_with_the_same_placeholders():
    for key, (en, zh) in {**LABELS, **COLUMNS}.items():
        assert en.strip() and zh.strip(), key
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", zh)), key


def test_next_customer_code():
    assert forms.next_code(["C00099", "C00100", "X7"]) == "C00101"
    assert forms.next_code(["CU099"]) == "CU100"
    assert forms.next_code([]) == "CU0001"


def test_percent_and_decimal_are_exact():
    assert forms.percent(13.0) == Decimal("0.13")
    assert forms.percent(5.5) == Decimal("0.055")
    assert forms.decimal(19.99) == Decimal("19.99")
    assert forms.decimal(None) is None


def test_excel_export_keeps_exact_values_and_readable_headers():
    df = pd.DataFrame({"customer_name": ["甲"], "net_amount": [Decimal("1234.56")]})
    from dashboards import components

    book = pd.read_excel(io.BytesIO(components.to_excel(df)))
    assert list(book.columns) == ["Customer", "Net amount"]
    assert book.iloc[0]["Net amount"] == pytest.approx(1234.56)
    assert components.export_frame(df).to_csv(index=False).splitlines()[1] == "甲,1234.56"


def test_chart_labels_from_data_are_escaped_not_rendered_as_html():
    evil = '<a href="https://evil.example">Click</a>'
    df = pd.DataFrame({"customer": [evil, "Plain Ltd"], "value": [10.0, 5.0]})
    fig = charts.ranked_bars(df, "customer", "value")
    labels = list(fig.data[0].y)
    assert "&lt;a href=\"https://evil.example\"&gt;Click&lt;/a&gt;" in labels
    assert not any("<a" in str(v) for v in labels)
    stacked = charts.stacked_bars(
        pd.DataFrame({"month": ["2026-01-01"], "region": [evil], "value": [1.0]}),
        "month", "region", "value")
    assert all("<a" not in t.name and "<a" not in t.hovertemplate for t in stacked.data)
