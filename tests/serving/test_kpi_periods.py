"""Period arithmetic and JSON shaping used by `mis kpi` and the dashboards."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serving.kpis import month_ranges, previous_period, same_period_last_year, to_json_number


def test_month_ranges_clip_to_the_period():
    assert month_ranges(date(2026, 1, 15), date(2026, 3, 10)) == [
        ("2026-01", date(2026, 1, 15), date(2026, 1, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-03", date(2026, 3, 1), date(2026, 3, 10)),
    ]
    assert month_ranges(date(2025, 12, 1), date(2026, 1, 1)) == [
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        ("2026-01", date(2026, 1, 1), date(2026, 1, 1)),
    ]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # month to date compares with the same days of the previous month
        ((date(2026, 11, 1), date(2026, 11, 22)), (date(2026, 10, 1), date(2026, 10, 22))),
        # a whole month with the whole previous month (31 vs 30 days)
        ((date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 9, 1), date(2026, 9, 30))),
        ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28))),
        # a whole quarter with the previous quarter
        ((date(2026, 4, 1), date(2026, 6, 30)), (date(2026, 1, 1), date(2026, 3, 31))),
        # month-to-date on the 31st where the previous month is shorter
        ((date(2026, 5, 1), date(2026, 5, 30)), (date(2026, 4, 1), date(2026, 4, 30))),
        # any other window: the equally long window just before
        ((date(2026, 11, 10), date(2026, 11, 16)), (date(2026, 11, 3), date(2026, 11, 9))),
    ],
)
def test_previous_period(period, expected):
    assert previous_period(*period) == expected


def test_same_period_last_year_handles_leap_day():
    assert same_period_last_year(date(2028, 2, 1), date(2028, 2, 29)) == (
        date(2027, 2, 1),
        date(2027, 2, 28),
    )


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 1, 1)), st.integers(0, 400))
def test_previous_period_ends_before_it_starts(start, length):
    from datetime import timedelta

    end = start + timedelta(days=length)
    prev_from, prev_to = previous_period(start, end)
    assert prev_from <= prev_to < start


def test_json_numbers():
    from decimal import Decimal

    assert to_json_number(Decimal("1234.565"), "money") == 1234.57  # half-up, not banker's
    assert to_json_number(Decimal("0.98765"), "rate") == 0.9877
    assert to_json_number(Decimal("12"), "count") == 12
    assert to_json_number(None, "money") is None
