"""Evaluate KPIs from the warehouse's KPI registry (``kpi_registry`` seed).

The registry is the single definition of every KPI: its SQL lives in the dbt project and
is published with the warehouse; this module only binds the period (and, for the KPIs whose
``dimensions`` list them, the members ``$region``, ``$category``, ``$grade``, ``$owner``:
NULL means all) and shapes results: by period grain, by dimension member, each beside the
previous period and the same period last year.
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Mapping
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
DIMENSIONS = ("region", "category", "grade", "owner")
GRAINS = ("day", "month", "quarter", "year")
Dims = Mapping[str, str | None]


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
    dimensions: tuple[str, ...] = ()


def _registry_relation(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "select table_schema from information_schema.tables where table_name = 'kpi_registry' "
        "order by table_schema = 'main' desc limit 1"
    ).fetchone()
    if row is None:
        raise LookupError("the warehouse has no kpi_registry: was the dbt seed built?")
    return f'"{row[0]}".kpi_registry'


_REGISTRY_CACHE: dict[tuple[str, int, int], dict[str, KpiDefinition]] = {}


def _file_version(con: duckdb.DuckDBPyConnection) -> tuple[str, int, int] | None:
    """(path, mtime, size) of the connection's database file; None in memory. A published
    warehouse is never written after it is swapped in, so this names one build's registry."""
    row = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    if not row or not row[0]:
        return None
    try:
        st = os.stat(row[0])
    except OSError:
        return None
    return row[0], st.st_mtime_ns, st.st_size


def registry(con: duckdb.DuckDBPyConnection) -> dict[str, KpiDefinition]:
    """Every KPI definition, read once per database file version (a page evaluates KPIs in
    several calls; reading the registry each time cost ~10 ms a call)."""
    version = _file_version(con)
    if version is not None and version in _REGISTRY_CACHE:
        return _REGISTRY_CACHE[version]
    reg = _read_registry(con)
    if version is not None:
        if len(_REGISTRY_CACHE) > 16:
            _REGISTRY_CACHE.clear()
        _REGISTRY_CACHE[version] = reg
    return reg


def _read_registry(con: duckdb.DuckDBPyConnection) -> dict[str, KpiDefinition]:
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
            dimensions=tuple(d for d in (r.get("dimensions") or "").split("|") if d),
        )
        for r in rows
    }


def _require(kpi: KpiDefinition, dimensions: list[str]) -> None:
    unknown = sorted(set(dimensions) - set(DIMENSIONS))
    if unknown:
        raise ValueError(f"unknown dimension(s) {', '.join(unknown)}: use {', '.join(DIMENSIONS)}")
    unsupported = [d for d in dimensions if d not in kpi.dimensions]
    if unsupported:
        supported = ", ".join(kpi.dimensions) or "no dimension"
        raise ValueError(
            f"KPI {kpi.name} cannot be cut by {', '.join(unsupported)} (it supports {supported})"
        )


def check_dims(kpi: KpiDefinition, dims: Dims | None) -> None:
    """A member given for a dimension the KPI cannot be cut by is an error, not ignored; so
    is an unknown dimension. None means all members, whatever the dimension."""
    given = dims or {}
    _require(kpi, [d for d, member in given.items() if member is not None or d not in DIMENSIONS])


def split_dims(kpi: KpiDefinition, dims: Dims) -> tuple[dict[str, str], list[str]]:
    """The chosen members the KPI can be cut by, and the chosen dimensions it cannot (a page
    filtering by several dimensions shows such a KPI company-wide and says so)."""
    chosen = {d: m for d, m in dims.items() if m is not None}
    return ({d: m for d, m in chosen.items() if d in kpi.dimensions},
            [d for d in chosen if d not in kpi.dimensions])


def _dim_params(sql: str, dims: Dims | None) -> dict[str, Any]:
    """The dimension parameters the SQL uses (None = all members)."""
    return {d: (dims or {}).get(d) for d in DIMENSIONS if f"${d}" in sql}


def _params(sql: str, date_from: date, date_to: date, dims: Dims | None = None) -> dict[str, Any]:
    """The bound parameters the SQL uses: the period, and each dimension (None = all)."""
    period = {"date_from": date_from, "date_to": date_to}
    return {k: v for k, v in period.items() if f"${k}" in sql} | _dim_params(sql, dims)


def evaluate_one(
    con: duckdb.DuckDBPyConnection,
    kpi: KpiDefinition,
    date_from: date,
    date_to: date,
    dims: Dims | None = None,
) -> Any:
    check_dims(kpi, dims)
    row = con.execute(kpi.value_sql, _params(kpi.value_sql, date_from, date_to, dims)).fetchone()
    return row[0] if row else None


def _lookup(reg: dict[str, KpiDefinition], names: tuple[str, ...] | list[str]) -> None:
    missing = [n for n in names if n not in reg]
    if missing:
        raise LookupError(f"KPI(s) not in the registry: {', '.join(missing)}")


def evaluate(
    con: duckdb.DuckDBPyConnection,
    names: tuple[str, ...] | list[str],
    date_from: date,
    date_to: date,
    dims: Dims | None = None,
) -> dict[str, Any]:
    reg = registry(con)
    _lookup(reg, names)
    [values] = evaluate_periods(con, [reg[n] for n in names], [(date_from, date_to)], dims)
    return dict(zip(names, values, strict=True))


_PERIOD_PARAM = re.compile(r"\$(date_from|date_to)\b")


def _batched_sql(kpis: list[KpiDefinition], periods: int) -> str:
    """One statement for every KPI over every period: one uncorrelated scalar subquery per
    (period, KPI), each the registry's SQL with its own period parameters."""
    cols = []
    for i in range(periods):

        def bound(m: re.Match[str], i: int = i) -> str:
            return f"$__lo{i}" if m.group(1) == "date_from" else f"$__hi{i}"

        for kpi in kpis:
            body = _PERIOD_PARAM.sub(bound, kpi.value_sql.strip().rstrip(";"))
            cols.append(f"({body})")
    return "select " + ", ".join(cols)


def evaluate_periods(
    con: duckdb.DuckDBPyConnection,
    kpis: list[KpiDefinition],
    periods: list[tuple[date, date]],
    dims: Dims | None = None,
) -> list[list[Any]]:
    """``values[period][kpi]`` for period-grain KPIs, in one statement.

    A page's tiles and sparklines ask for a few KPIs over many periods: 72 statements for
    the overview's six sparklines, where per-statement overhead was a third of the time. The
    values are the registry's SQL evaluated per period, exactly as ``evaluate_one`` does (a
    test holds the two equal for every KPI); each stays an independent subquery, which
    measured faster at medium than correlating one subquery to a list of periods (31 vs 73
    ms). Should a KPI's SQL not fit in a subquery, it falls back to a statement per value.
    """
    if not kpis or not periods:
        return [[] for _ in periods]
    for kpi in kpis:
        check_dims(kpi, dims)
    params: dict[str, Any] = {}
    for kpi in kpis:
        params |= _dim_params(kpi.value_sql, dims)
    for i, (lo, hi) in enumerate(periods):
        params[f"__lo{i}"], params[f"__hi{i}"] = lo, hi
    try:
        row = con.execute(_batched_sql(kpis, len(periods)), params).fetchone()
    except duckdb.Error:
        return [[evaluate_one(con, k, lo, hi, dims) for k in kpis] for lo, hi in periods]
    assert row is not None
    n = len(kpis)
    return [list(row[i * n:(i + 1) * n]) for i in range(len(periods))]


def rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    date_from: date,
    date_to: date,
    dims: Dims | None = None,
) -> list[dict[str, Any]]:
    """Every row of a customer- or month-grain KPI (one per customer, or per month and
    dimension member: ``month_start_date, <dimension>, value``)."""
    reg = registry(con)
    _lookup(reg, [name])
    kpi = reg[name]
    check_dims(kpi, dims)
    return fetch_dicts(con, kpi.value_sql, _params(kpi.value_sql, date_from, date_to, dims))


def by_customer(
    con: duckdb.DuckDBPyConnection, date_to: date, dims: Dims | None = None
) -> list[dict[str, Any]]:
    return rows(con, "customer_ltv", date(1900, 1, 1), date_to, dims)


def _period_start(grain: str, d: date) -> date:
    if grain == "day":
        return d
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    if grain == "year":
        return date(d.year, 1, 1)
    raise ValueError(f"unknown grain {grain!r}: use {', '.join(GRAINS)}")


def _period_label(grain: str, start: date) -> str:
    return {
        "day": start.isoformat(),
        "month": f"{start.year:04d}-{start.month:02d}",
        "quarter": f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}",
        "year": f"{start.year:04d}",
    }[grain]


def period_ranges(grain: str, date_from: date, date_to: date) -> list[tuple[str, date, date]]:
    """Calendar days, months, quarters or years overlapping [date_from, date_to], each
    clipped to the range, labelled 2026-01-31, 2026-01, 2026-Q1, 2026."""
    step = {"day": 0, "month": 1, "quarter": 3, "year": 12}
    start = _period_start(grain, date_from)
    out = []
    while start <= date_to:
        nxt = start + timedelta(days=1) if grain == "day" else shift_months(start, step[grain])
        last = nxt - timedelta(days=1)
        out.append((_period_label(grain, start), max(start, date_from), min(last, date_to)))
        start = nxt
    return out


def month_ranges(date_from: date, date_to: date) -> list[tuple[str, date, date]]:
    """Calendar months overlapping [date_from, date_to], each clipped to the range."""
    return period_ranges("month", date_from, date_to)


def monthly(
    con: duckdb.DuckDBPyConnection,
    names: tuple[str, ...] | list[str],
    date_from: date,
    date_to: date,
    dims: Dims | None = None,
) -> list[dict[str, Any]]:
    reg = registry(con)
    _lookup(reg, names)
    months = month_ranges(date_from, date_to)
    values = evaluate_periods(con, [reg[n] for n in names], [(lo, hi) for _, lo, hi in months],
                              dims)
    return [{"month": label, **dict(zip(names, row, strict=True))}
            for (label, _, _), row in zip(months, values, strict=True)]


def tile_values(
    con: duckdb.DuckDBPyConnection,
    names: tuple[str, ...] | list[str],
    period: tuple[date, date],
    previous: tuple[date, date],
    last_year: tuple[date, date],
    window: tuple[date, date],
    dims: Dims | None = None,
) -> dict[str, Any]:
    """A row of KPI tiles in one statement: each KPI for the period (``now``), the previous
    period (``prev``), the same period last year (``ly``) and each month of ``window``
    (``spark``: rows as ``monthly``). A period asked twice is computed once: the current
    month to date is both the period and the sparkline's last month."""
    reg = registry(con)
    _lookup(reg, names)
    months = month_ranges(*window)
    wanted = list(dict.fromkeys([period, previous, last_year, *((lo, hi) for _, lo, hi in months)]))
    values = dict(zip(wanted, evaluate_periods(con, [reg[n] for n in names], wanted, dims),
                      strict=True))

    def named(p: tuple[date, date]) -> dict[str, Any]:
        return dict(zip(names, values[p], strict=True))

    return {"now": named(period), "prev": named(previous), "ly": named(last_year),
            "spark": [{"month": label, **named((lo, hi))} for label, lo, hi in months]}


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


class _Compared:
    """A KPI's value over a period beside the previous period and the same period last year,
    memoised per (period, members): consecutive periods share their neighbours' values."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kpi: KpiDefinition) -> None:
        self.con, self.kpi = con, kpi
        self.memo: dict[tuple[date, date, tuple[tuple[str, str | None], ...]], Any] = {}

    def value(self, lo: date, hi: date, dims: Dims | None) -> Any:
        key = (lo, hi, tuple(sorted((dims or {}).items())))
        if key not in self.memo:
            self.memo[key] = evaluate_one(self.con, self.kpi, lo, hi, dims)
        return self.memo[key]

    def __call__(
        self, lo: date, hi: date, dims: Dims | None = None, grain: str | None = None
    ) -> dict[str, Any]:
        # a day compares with the day before; longer periods as previous_period says
        before = (lo - timedelta(days=1),) * 2 if grain == "day" else previous_period(lo, hi)
        return {
            "value": self.value(lo, hi, dims),
            "previous_value": self.value(*before, dims),
            "last_year_value": self.value(*same_period_last_year(lo, hi), dims),
        }


def _kpi(con: duckdb.DuckDBPyConnection, name: str) -> KpiDefinition:
    reg = registry(con)
    _lookup(reg, [name])
    if reg[name].grain != "period":
        raise ValueError(f"KPI {name} has one row per {reg[name].grain}, not one value per period")
    return reg[name]


def by_period(
    con: duckdb.DuckDBPyConnection,
    kpi_name: str,
    grain: str,
    date_from: date,
    date_to: date,
    dims: Dims | None = None,
) -> list[dict[str, Any]]:
    """One row per day, month, quarter or year of the range (clipped to it): ``period``,
    ``date_from``, ``date_to``, ``value``, ``previous_value``, ``last_year_value``."""
    kpi = _kpi(con, kpi_name)
    check_dims(kpi, dims)
    compared = _Compared(con, kpi)
    return [
        {"period": label, "date_from": lo, "date_to": hi, **compared(lo, hi, dims, grain)}
        for label, lo, hi in period_ranges(grain, date_from, date_to)
    ]


def members(con: duckdb.DuckDBPyConnection, dimension: str) -> list[dict[str, Any]]:
    """Every member of a dimension (``member``, ``label``), from rpt_dimension_members."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}: use {', '.join(DIMENSIONS)}")
    return fetch_dicts(
        con,
        "select member, member_label as label from reports.rpt_dimension_members"
        " where dimension = $dimension order by member",
        {"dimension": dimension},
    )


def by_dimension(
    con: duckdb.DuckDBPyConnection,
    kpi_name: str,
    dimension: str,
    date_from: date,
    date_to: date,
    dims: Dims | None = None,
    *,
    grain: str | None = None,
) -> list[dict[str, Any]]:
    """One row per member of ``dimension``: ``member``, ``label``, ``value``,
    ``previous_value``, ``last_year_value`` (optionally within other members ``dims``; with
    ``grain="day"`` the previous period is the day before). Members without a value in any
    of the three periods are left out; the rest are sorted by value, largest first."""
    kpi = _kpi(con, kpi_name)
    _require(kpi, [dimension])
    check_dims(kpi, dims)
    compared = _Compared(con, kpi)
    out = []
    for m in members(con, dimension):
        within = {**(dims or {}), dimension: m["member"]}
        row = {**m, **compared(date_from, date_to, within, grain)}
        if any(row[k] not in (None, 0) for k in ("value", "previous_value", "last_year_value")):
            out.append(row)
    return sorted(out, key=lambda r: (r["value"] is None, -(r["value"] or 0), r["member"]))


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
