"""Date-range presets (pure functions): this month, last month, this quarter, YTD, 12 months."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PRESETS = ("this_month", "last_month", "this_quarter", "ytd", "last_12_months", "custom")
DEFAULT_PRESET = "this_month"


def company_today(tz: str = "Asia/Shanghai") -> date:
    return datetime.now(ZoneInfo(tz)).date()


def first_of_month(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """The first of the month ``months`` away from ``d``'s month."""
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def resolve(
    preset: str, today: date, custom: tuple[date, date] | None = None
) -> tuple[date, date]:
    """The inclusive ``(date_from, date_to)`` a preset means on ``today``."""
    if preset == "this_month":
        return first_of_month(today), today
    if preset == "last_month":
        start = add_months(today, -1)
        return start, first_of_month(today) - timedelta(days=1)
    if preset == "this_quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "ytd":
        return date(today.year, 1, 1), today
    if preset == "last_12_months":
        return add_months(today, -11), today
    if preset == "custom" and custom:
        lo, hi = custom
        return (lo, hi) if lo <= hi else (hi, lo)
    return first_of_month(today), today


def trend_window(date_to: date, months: int = 12) -> tuple[date, date]:
    """The ``months`` calendar months ending with ``date_to``'s month (for trend charts)."""
    return add_months(date_to, -(months - 1)), date_to
