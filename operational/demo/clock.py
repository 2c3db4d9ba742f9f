"""Calendar, business hours and value formatting for the demo generator.

Business happens on working days in the company's timezone (Asia/Shanghai, UTC+8 with no
daylight saving since 1991, so a fixed offset is exact); the store keeps UTC. Values are
kept as integers while generating (cents, thousandths, ten-thousandths) and formatted to the
canonical text ``ExactDecimal`` would write, so no float ever touches an amount.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from functools import cache

UTC_OFFSET = timedelta(hours=8)
DAY = timedelta(days=1)

# Spring Festival (first day of the lunar year): the slow weeks of the building trade.
_SPRING_FESTIVAL = {
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
}
# construction season: slow in winter and the summer rains, busy in spring and autumn
_MONTH_FACTOR = (0.0, 0.75, 0.55, 1.10, 1.15, 1.15, 1.05, 0.85, 0.90, 1.15, 1.20, 1.10, 0.95)


def spring_festival(year: int) -> date:
    return _SPRING_FESTIVAL.get(year, date(year, 2, 1))


def is_holiday(d: date) -> bool:
    sf = spring_festival(d.year)
    if sf - timedelta(days=3) <= d <= sf + timedelta(days=7):
        return True
    if d.month == 10 and d.day <= 7:  # National Day week
        return True
    return d.month == 5 and d.day <= 3  # Labour Day


@cache
def is_working_day(d: date) -> bool:
    """Monday to Saturday (sites work Saturdays), public holidays excepted."""
    return d.weekday() < 6 and not is_holiday(d)


def next_working_day(d: date) -> date:
    while not is_working_day(d):
        d += DAY
    return d


def add_working_days(d: date, n: int) -> date:
    while n > 0:
        d += DAY
        if is_working_day(d):
            n -= 1
    return d


def demand_weight(d: date, start: date, today: date) -> float:
    """Relative order volume on a day: season, weekday, holidays and ~15 % yearly growth."""
    if not is_working_day(d):
        return 0.0
    w = _MONTH_FACTOR[d.month] * (0.65 if d.weekday() == 5 else 1.0)
    sf = spring_festival(d.year)
    if sf < d <= sf + timedelta(days=21):  # sites restart slowly after the festival
        w *= 0.5
    span = max((today - start).days, 1)
    return w * (1.0 + 0.32 * (d - start).days / span)


@cache
def _midnight_utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day) - UTC_OFFSET


def local_to_utc(d: date, minute_of_day: int, second: int = 0) -> datetime:
    """A wall-clock time in the company's timezone, as naive UTC."""
    return _midnight_utc(d) + timedelta(seconds=minute_of_day * 60 + second)


def work_time(rng: random.Random, d: date, start_h: float = 8.5, end_h: float = 18.0) -> datetime:
    """A random moment (whole seconds) between two local hours on ``d`` (naive UTC)."""
    return _midnight_utc(d) + timedelta(
        seconds=int(start_h * 3600 + rng.random() * (end_h - start_h) * 3600)
    )


def local_date(ts: datetime) -> date:
    """The company-calendar date of a naive UTC timestamp."""
    return (ts + UTC_OFFSET).date()


def months_back(d: date, months: int) -> date:
    """The first day of the month ``months`` months before ``d``'s month."""
    idx = d.year * 12 + d.month - 1 - months
    return date(idx // 12, idx % 12 + 1, 1)


def month_index(d: date, start: date) -> int:
    return (d.year - start.year) * 12 + d.month - start.month


# ---- canonical text (what ExactDecimal stores) ---------------------------------------------


def ts(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat(" ", "microseconds")


def ds(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def money(cents: int) -> str:
    if cents < 0:
        return "-" + money(-cents)
    return f"{cents // 100}.{cents % 100:02d}"


def qty(milli: int) -> str:
    if milli < 0:
        return "-" + qty(-milli)
    return f"{milli // 1000}.{milli % 1000:03d}"


def rate(bp: int) -> str:
    return f"{bp // 10000}.{bp % 10000:04d}"


def half_up_div(n: int, d: int) -> int:
    """n / d rounded half away from zero (Decimal's ROUND_HALF_UP), d > 0."""
    if n < 0:
        return -((-n * 2 + d) // (2 * d))
    return (n * 2 + d) // (2 * d)


def line_net_cents(qty_milli: int, price_cents: int, discount_bp: int) -> int:
    """quantity × unit price × (1 − discount), half-up to cents (the domain's line rule)."""
    return half_up_div(qty_milli * price_cents * (10000 - discount_bp), 10_000_000)


def tax_cents(net_cents: int, rate_bp: int) -> int:
    return half_up_div(net_cents * rate_bp, 10000)


def cost_cents(qty_milli: int, unit_cost_cents: int) -> int:
    return half_up_div(qty_milli * unit_cost_cents, 1000)
