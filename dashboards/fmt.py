"""Number and date formatting per language (pure functions, no Streamlit).

Money is formatted from ``Decimal`` exactly (half-up to the cent, like the warehouse);
floats are accepted for chart axes only. ``lang`` is ``"en"`` or ``"zh"``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

DASH = "—"
CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def money(value: Any, lang: str = "en", symbol: str = "¥") -> str:
    """``¥1,234,567.89`` (both languages: finance staff read exact amounts)."""
    d = to_decimal(value)
    if d is None:
        return DASH
    d = d.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    return f"{sign}{symbol}{abs(d):,.2f}"


def money_compact(value: Any, lang: str = "en", symbol: str = "¥") -> str:
    """Short amounts for charts: ``¥1.2M`` in English, ``¥123.4万`` / ``¥1.2亿`` in Chinese."""
    d = to_decimal(value)
    if d is None:
        return DASH
    x, sign = abs(float(d)), "-" if d < 0 else ""
    steps = ((1e8, "亿"), (1e4, "万")) if lang == "zh" else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for size, suffix in steps:
        if x >= size:
            short = f"{x / size:,.1f}".removesuffix(".0")
            return f"{sign}{symbol}{short}{suffix}"
    return f"{sign}{symbol}{x:,.0f}"


def rate(value: Any, places: int = 1) -> str:
    """A fraction (0.9534) as a percentage (``95.3%``)."""
    d = to_decimal(value)
    if d is None:
        return DASH
    pct = (d * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{pct:,.{places}f}%"


def count(value: Any) -> str:
    d = to_decimal(value)
    if d is None:
        return DASH
    return f"{int(d.to_integral_value(rounding=ROUND_HALF_UP)):,}"


_UNIT_WORDS = {"days": ("days", "天"), "hours": ("h", "小时"), "score": ("of 5", "分")}


def duration(value: Any, unit: str, lang: str = "en") -> str:
    d = to_decimal(value)
    if d is None:
        return DASH
    word = _UNIT_WORDS[unit][1 if lang == "zh" else 0]
    sep = "" if lang == "zh" else " "
    return f"{d.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}{sep}{word}"


def value(value: Any, unit: str, lang: str = "en") -> str:
    """Any KPI value by its registry unit: money | rate | count | days | hours | score (1-5)."""
    if unit == "money":
        return money(value, lang)
    if unit == "rate":
        return rate(value)
    if unit in _UNIT_WORDS:
        return duration(value, unit, lang)
    return count(value)


def delta(current: Any, previous: Any, unit: str, lang: str = "en") -> str | None:
    """The change from ``previous`` as ``st.metric`` wants it (a leading ``-`` means down).

    Rates change in percentage points; money and counts in percent (the absolute change when
    the previous value is zero); days and hours in their unit; scores in points.
    """
    cur, prev = to_decimal(current), to_decimal(previous)
    if cur is None or prev is None:
        return None
    diff = cur - prev
    if unit == "rate":
        pts = (diff * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{pts:+,} {'个百分点' if lang == 'zh' else 'pp'}"
    if unit == "score":  # points on the 1-5 scale
        pts = diff.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{pts:+}{'分' if lang == 'zh' else ''}"
    if unit in _UNIT_WORDS:
        return ("+" if diff >= 0 else "-") + duration(abs(diff), unit, lang)
    if prev == 0:
        if diff == 0:
            return None  # nothing then, nothing now: no change worth an arrow
        shown = money(abs(diff), lang) if unit == "money" else count(abs(diff))
        return ("+" if diff > 0 else "-") + shown
    pct = (diff / abs(prev) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{pct:+,}%"


def day(value: date | datetime | None, lang: str = "en") -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = value.date()
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.strftime("%d %b %Y").lstrip("0")


def moment(value: datetime | str | None, lang: str = "en", tz: str = "Asia/Shanghai") -> str:
    """A UTC timestamp (naive means UTC) shown in the company's timezone."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    local = value.astimezone(ZoneInfo(tz))
    return f"{day(local, lang)} {local:%H:%M}"


def month_label(month: str, lang: str = "en") -> str:
    """``2025-03`` -> ``Mar 2025`` / ``2025年3月``."""
    y, m = (int(p) for p in month.split("-")[:2])
    if lang == "zh":
        return f"{y}年{m}月"
    return date(y, m, 1).strftime("%b %Y")
