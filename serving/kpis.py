"""Evaluate KPIs from the warehouse's KPI registry (``kpi_registry`` seed).

The registry is the single definition of every KPI: its SQL lives in the dbt project and
is published with the warehouse; this module only binds the period and shapes results.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from serving.read import fetch_dicts

HEADLINE = (
    "order_intake",
    "turnover",
    "on_time_delivery_rate",
    "gross_margin_rate",
    "avg_customer_ltv",
    "active_customers",
)
MONTHLY = ("order_intake", "turnover", "on_time_delivery_rate")


@dataclass(frozen=True)
class KpiDefinition:
    name: str
    label_en: str
    label_zh: str
    formula: str
    unit: str
    higher_is_better: bool
    model: str
    grain: str
    is_headline: bool
    value_sql: str


def _registry_relation(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "select table_schema from information_schema.tables where table_name = 'kpi_registry' "
        "order by table_schema = 'main' desc limit 1"
    ).fetchone()
    if row is None:
        raise LookupError("the warehouse has no kpi_registry: was the dbt seed built?")
    return f'"{row[0]}".kpi_registry'


def registry(con: duckdb.DuckDBPyConnection) -> dict[str, KpiDefinition]:
    rows = fetch_dicts(con, f"select * from {_registry_relation(con)} order by kpi_name")
    return {
        r["kpi_name"]: KpiDefinition(
            name=r["kpi_name"],
            label_en=r["label_en"],
            label_zh=r["label_zh"],
            formula=r["formula"],
            unit=r["unit"],
            higher_is_better=str(r["higher_is_better"]).lower() in {"true", "1", "t"},
            model=r["model"],
            grain=r["grain"],
            is_headline=str(r["is_headline"]).lower() in {"true", "1", "t"},
            value_sql=r["value_sql"],
        )
        for r in rows
    }


def _params(sql: str, date_from: date, date_to: date) -> dict[str, date]:
    params = {"date_from": date_from, "date_to": date_to}
    return {k: v for k, v in params.items() if f"${k}" in sql}


def evaluate_one(
    con: duckdb.DuckDBPyConnection, kpi: KpiDefinition, date_from: date, date_to: date
) -> Any:
    row = con.execute(kpi.value_sql, _params(kpi.value_sql, date_from, date_to)).fetchone()
    return row[0] if row else None


def evaluate(
    con: duckdb.DuckDBPyConnection,
    names: tuple[str, ...] | list[str],
    date_from: date,
    date_to: date,
) -> dict[str, Any]:
    reg = registry(con)
    missing = [n for n in names if n not in reg]
    if missing:
        raise LookupError(f"KPI(s) not in the registry: {', '.join(missing)}")
    return {n: evaluate_one(con, reg[n], date_from, date_to) for n in names}


def rows(
    con: duckdb.DuckDBPyConnection, name: str, date_from: date, date_to: date
) -> list[dict[str, Any]]:
    """Every row of a customer- or month-grain KPI (one per customer, or per month and
    dimension member: ``month_start_date, <dimension>, value``)."""
    reg = registry(con)
    if name not in reg:
        raise LookupError(f"KPI not in the registry: {name}")
    kpi = reg[name]
    return fetch_dicts(con, kpi.value_sql, _params(kpi.value_sql, date_from, date_to))


def by_customer(con: duckdb.DuckDBPyConnection, date_to: date) -> list[dict[str, Any]]:
    kpi = registry(con)["customer_ltv"]
    return fetch_dicts(con, kpi.value_sql, _params(kpi.value_sql, date(1900, 1, 1), date_to))


def month_ranges(date_from: date, date_to: date) -> list[tuple[str, date, date]]:
    """Calendar months overlapping [date_from, date_to], each clipped to the range."""
    out = []
    y, m = date_from.year, date_from.month
    while date(y, m, 1) <= date_to:
        last = date(y, m, calendar.monthrange(y, m)[1])
        out.append((f"{y:04d}-{m:02d}", max(date(y, m, 1), date_from), min(last, date_to)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly(
    con: duckdb.DuckDBPyConnection,
    names: tuple[str, ...] | list[str],
    date_from: date,
    date_to: date,
) -> list[dict[str, Any]]:
    reg = registry(con)
    return [
        {"month": label, **{n: evaluate_one(con, reg[n], lo, hi) for n in names}}
        for label, lo, hi in month_ranges(date_from, date_to)
    ]


def shift_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def previous_period(date_from: date, date_to: date) -> tuple[date, date]:
    """A month-aligned period compares with the same days of the month(s) before it;
    any other period with the equally long window just before it."""
    if date_from.day == 1:
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        last_of_to = calendar.monthrange(date_to.year, date_to.month)[1]
        prev_from = shift_months(date_from, -months)
        prev_to = shift_months(date_to, -months)
        if date_to.day == last_of_to:  # whole months: previous whole months
            prev_to = shift_months(date_from, 0) - timedelta(days=1)
        return prev_from, prev_to
    length = date_to - date_from
    prev_to = date_from - timedelta(days=1)
    return prev_to - length, prev_to


def same_period_last_year(date_from: date, date_to: date) -> tuple[date, date]:
    return shift_months(date_from, -12), shift_months(date_to, -12)


def to_json_number(value: Any, unit: str) -> Any:
    """Money to 2 decimals, rates to 4, counts as integers; exact decimal rounding half-up."""
    if value is None:
        return None
    d = Decimal(str(value))
    if unit == "money":
        return float(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if unit == "count":
        return int(d)
    return float(d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
