"""KPIs cut by region, category, grade and owner, and by day/month/quarter/year.

On the session's warehouse build: for every additive KPI and every dimension it supports,
the members add up to the undimensioned value exactly (Decimal for money); every ratio KPI
recomputes, per member and in total, from its summed components; cuts agree with values
recomputed in Python from the operational rows; `mis kpi --by region` shows the same.
"""

from __future__ import annotations

import json
import shutil
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sample_store import AS_OF
from sqlmodel import Session, select
from test_warehouse_build import JAN, Q4, TZ, YEAR, booked_lines
from typer.testing import CliRunner
from wh_build import WarehouseBuild

from operational.models import (
    ApprovalRequest,
    Customer,
    Employee,
    Lead,
    Opportunity,
    ServiceTicket,
    Task,
)
from serving import kpis
from serving.publish import stamp_build

pytestmark = pytest.mark.slow

PERIODS = [JAN, Q4, YEAR, (date(2024, 2, 10), date(2024, 5, 20))]
# KPIs whose value over a slice is a sum over the facts in it: members add up to the total.
ADDITIVE = {
    "order_intake", "turnover", "delivered_net_sales", "cogs", "order_count",
    "slow_moving_items", "receivables", "receivables_0_30", "receivables_31_60",
    "receivables_61_90", "receivables_91_120", "receivables_over_120", "overdue_tasks",
    "pending_approvals",
}
# Distinct-customer and median KPIs: a customer can be active in two regions, so members do
# not add up; they are checked against recomputed values instead.
NOT_ADDITIVE = {
    "avg_customer_ltv", "active_customers", "repurchase_rate", "retention_rate",
    "deal_cycle_days", "customer_ltv", "service_resolution_hours", "approval_cycle_hours",
}
COLUMN = {
    "region": "customer_region",
    "category": "product_category",
    "grade": "customer_grade",
    "owner": "owner_employee_code",
}
# Ratio KPIs read from rpt_kpi_daily_dims: numerator and denominator components.
DAILY_RATIOS = {
    "on_time_delivery_rate": ("otd_on_time_lines", "otd_due_lines"),
    "otif_rate": ("otif_orders", "otif_due_orders"),
    "gross_margin_rate": ("delivered_net_sales - delivered_cogs", "delivered_net_sales"),
    "average_order_value": ("order_intake", "order_count"),
}


@pytest.fixture(scope="module")
def con(wh: WarehouseBuild) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(wh.duckdb_path), read_only=True)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def reg(con: duckdb.DuckDBPyConnection) -> dict[str, kpis.KpiDefinition]:
    return kpis.registry(con)


def cuts(reg: dict[str, kpis.KpiDefinition], names: set[str]) -> list[tuple[str, str]]:
    return sorted((n, d) for n in names for d in reg[n].dimensions)


def test_every_dimensioned_kpi_is_classified(reg: dict[str, kpis.KpiDefinition]) -> None:
    cut = {n for n, k in reg.items() if k.dimensions}
    ratios = set(DAILY_RATIOS) | {
        "dso", "inventory_turnover", "days_of_inventory", "lead_conversion_rate", "win_rate",
        "service_satisfaction",
    }
    assert cut == ADDITIVE | NOT_ADDITIVE | ratios


def all_members(con: duckdb.DuckDBPyConnection, dimension: str) -> list[str]:
    return [m["member"] for m in kpis.members(con, dimension)]


@pytest.mark.parametrize("period", PERIODS)
def test_additive_kpis_add_up_over_every_supported_dimension(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition], period
) -> None:
    checked = 0
    for name, dimension in cuts(reg, ADDITIVE):
        kpi = reg[name]
        total = kpis.evaluate_one(con, kpi, *period)
        parts = [
            kpis.evaluate_one(con, kpi, *period, {dimension: m})
            for m in all_members(con, dimension)
        ]
        if kpi.unit == "money":
            assert all(isinstance(p, Decimal) for p in [total, *parts]), name
            assert sum(parts, Decimal("0.00")) == total, (name, dimension)
        else:
            assert sum(parts) == total, (name, dimension)
        checked += 1
    assert checked == len(cuts(reg, ADDITIVE)) >= 30


@pytest.mark.parametrize("period", [JAN, YEAR])
def test_by_dimension_rows_add_up_in_all_three_periods(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition], period
) -> None:
    previous = kpis.previous_period(*period)
    last_year = kpis.same_period_last_year(*period)
    for name, dimension in cuts(reg, {"order_intake", "turnover", "receivables"}):
        rows = kpis.by_dimension(con, name, dimension, *period)
        assert rows, (name, dimension)
        for key, span in (("value", period), ("previous_value", previous),
                          ("last_year_value", last_year)):
            got = sum((r[key] for r in rows), Decimal("0.00"))
            assert got == kpis.evaluate_one(con, reg[name], *span), (name, dimension, key)


def _components(
    con: duckdb.DuckDBPyConnection, dimension: str, num: str, den: str, period
) -> dict[str, tuple]:
    sql = (
        f"select {COLUMN[dimension]}, sum({num}), sum({den}) from reports.rpt_kpi_daily_dims"
        " where date_day between $lo and $hi group by 1"
    )
    found = con.execute(sql, {"lo": period[0], "hi": period[1]}).fetchall()
    return {m: (n, d) for m, n, d in found}


def _ratio(name: str, num, den):
    if not den:
        return None
    if name == "average_order_value":  # money: to the cent (the SQL divides in floating point)
        exact = (Decimal(num) / Decimal(den)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return pytest.approx(exact, abs=Decimal("0.01"))
    return pytest.approx(float(num) / float(den))


@pytest.mark.parametrize("period", PERIODS)
def test_ratio_kpis_recompute_from_summed_components(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition], period
) -> None:
    for name, dimension in cuts(reg, set(DAILY_RATIOS)):
        comps = _components(con, dimension, *DAILY_RATIOS[name], period)
        assert comps, (name, dimension)
        for member, (num, den) in comps.items():
            got = kpis.evaluate_one(con, reg[name], *period, {dimension: member})
            assert got == _ratio(name, num, den), (name, dimension, member)
        total_num = sum(n for n, _ in comps.values())
        total_den = sum(d for _, d in comps.values())
        assert kpis.evaluate_one(con, reg[name], *period) == _ratio(name, total_num, total_den)


def test_dso_recomputes_from_summed_receivables_and_credit_sales(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition]
) -> None:
    period = Q4
    days = (period[1] - period[0]).days + 1
    closing_total = sales_total = Decimal(0)
    for member in all_members(con, "region"):
        closing = kpis.evaluate_one(con, reg["receivables"], *period, {"region": member})
        sales = con.execute(
            "select coalesce(sum(invoiced_gross_amount), 0) from reports.rpt_receivables_daily_dims"
            " where event_date between $lo and $hi and customer_region = $m",
            {"lo": period[0], "hi": period[1], "m": member},
        ).fetchone()[0]
        got = kpis.evaluate_one(con, reg["dso"], *period, {"region": member})
        assert got == (pytest.approx(float(closing) / float(sales) * days) if sales else None)
        closing_total += closing
        sales_total += sales
    expected = float(closing_total) / float(sales_total) * days
    assert kpis.evaluate_one(con, reg["dso"], *period) == pytest.approx(expected)


def test_inventory_turnover_by_category_recomputes(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition]
) -> None:
    period = YEAR
    cogs_total = Decimal(0)
    for member in all_members(con, "category"):
        cogs = kpis.evaluate_one(con, reg["cogs"], *period, {"category": member})
        avg_value = con.execute(
            "select avg(inventory_value) from reports.rpt_inventory_monthly"
            " where month_end_date >= $lo and month_start_date <= $hi and product_category = $m",
            {"lo": period[0], "hi": period[1], "m": member},
        ).fetchone()[0]
        got = kpis.evaluate_one(con, reg["inventory_turnover"], *period, {"category": member})
        assert got == (pytest.approx(float(cogs) / float(avg_value)) if avg_value else None)
        cogs_total += cogs
    assert cogs_total == kpis.evaluate_one(con, reg["cogs"], *period)


def test_win_rate_and_lead_conversion_by_owner_recompute(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition]
) -> None:
    won = lost = converted = created = 0
    for member in all_members(con, "owner"):
        w, c = con.execute(
            "select count(*) filter (where o.is_won), count(*) from marts.fct_opportunities as o"
            " join marts.dim_employees as e on o.owner_employee_id = e.employee_id"
            " where o.is_closed and o.closed_date between $lo and $hi and e.employee_code = $m",
            {"lo": YEAR[0], "hi": YEAR[1], "m": member},
        ).fetchone()
        got = kpis.evaluate_one(con, reg["win_rate"], *YEAR, {"owner": member})
        assert got == (pytest.approx(w / c) if c else None), member
        won, lost = won + w, lost + c - w
        lc, lt = con.execute(
            "select coalesce(sum(leads_converted), 0), coalesce(sum(leads_created), 0)"
            " from reports.rpt_crm_monthly as c join marts.dim_employees as e"
            " on c.owner_employee_id = e.employee_id"
            " where c.month_start_date between $lo and $hi and e.employee_code = $m",
            {"lo": YEAR[0], "hi": YEAR[1], "m": member},
        ).fetchone()
        got = kpis.evaluate_one(con, reg["lead_conversion_rate"], *YEAR, {"owner": member})
        assert got == (pytest.approx(lc / lt) if lt else None), member
        converted, created = converted + lc, created + lt
    assert won + lost > 0 and created > 0
    assert kpis.evaluate_one(con, reg["win_rate"], *YEAR) == pytest.approx(won / (won + lost))
    assert kpis.evaluate_one(con, reg["lead_conversion_rate"], *YEAR) == pytest.approx(
        converted / created
    )


# The CRM, service and OA KPIs cut by the dimensions that make sense for them (issue #5).
CRM_OA_DIMENSIONS = {
    "win_rate": ("region", "grade", "owner"),
    "deal_cycle_days": ("region", "grade", "owner"),
    "lead_conversion_rate": ("region", "owner"),
    "service_resolution_hours": ("region", "grade", "owner"),
    "service_satisfaction": ("region", "grade", "owner"),
    "overdue_tasks": ("owner",),
    "approval_cycle_hours": ("owner",),
    "pending_approvals": ("owner",),
}


def _local(ts: datetime) -> date:
    """Company-local date of a stored UTC timestamp (SQLite gives it back naive)."""
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(TZ).date()


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _members_of(s: Session) -> dict[str, Callable[[Any], str]]:
    """How each dimension's member of an operational row is found: the customer's region and
    grade (the sample's customers never change, so "as valid then" is the current row; a
    lead has its own region) and the responsible employee's code; missing = unknown."""
    customers = {c.id: c for c in s.exec(select(Customer)).all()}
    codes = {e.id: e.code for e in s.exec(select(Employee)).all()}

    def region(row: Any) -> str:
        if isinstance(row, Lead):
            return row.region or "unknown"
        c = customers.get(row.customer_id)
        return (c.region if c else None) or "unknown"

    def grade(row: Any) -> str:
        c = customers.get(row.customer_id)
        return (c.grade if c else None) or "?"

    def owner(row: Any) -> str:
        if isinstance(row, ServiceTicket | Task):
            emp = row.assignee_id
        elif isinstance(row, ApprovalRequest):
            emp = row.requester_id
        else:
            emp = row.owner_id
        return codes.get(emp, "UNKNOWN")

    return {"region": region, "grade": grade, "owner": owner}


def _share(num: int, den: int) -> float | None:
    return num / den if den else None


def _median(values: list) -> float | None:
    return statistics.median(values) if values else None


def _mean(values: list) -> float | None:
    return statistics.mean(values) if values else None


def _recomputed(s: Session, period: tuple[date, date]) -> dict[str, tuple[list, Callable]]:
    """Per KPI: the operational rows it counts in the period and how a list of them makes
    its value (DOMAIN.md and the registry's formula), without the warehouse."""
    lo, hi = period
    opps = [o for o in s.exec(select(Opportunity)).all()
            if o.closed_at is not None and lo <= _local(o.closed_at) <= hi]
    leads = [le for le in s.exec(select(Lead)).all()
             if lo <= _local(le.created_at).replace(day=1) <= hi]
    tickets = [t for t in s.exec(select(ServiceTicket)).all()
               if t.resolved_at is not None and lo <= _local(t.resolved_at) <= hi]
    approvals = s.exec(select(ApprovalRequest)).all()
    decided = [a for a in approvals if a.decided_at is not None and a.submitted_at is not None
               and lo <= _local(a.decided_at) <= hi]
    pending = [a for a in approvals if a.submitted_at is not None and _local(a.submitted_at) <= hi
               and (a.decided_at is None or _local(a.decided_at) > hi)]
    overdue = [t for t in s.exec(select(Task)).all()
               if t.status in ("open", "in_progress") and t.due_date < AS_OF]
    won = [o for o in opps if o.stage == "won"]
    return {
        "win_rate": (opps, lambda rows: _share(sum(o.stage == "won" for o in rows), len(rows))),
        "deal_cycle_days": (won, lambda rows: _median(
            [(_local(o.closed_at) - _local(o.created_at)).days for o in rows])),
        "lead_conversion_rate": (leads, lambda rows: _share(sum(
            le.status == "converted" and le.customer_id is not None for le in rows), len(rows))),
        "service_resolution_hours": (tickets, lambda rows: _median(
            [_hours(t.opened_at, t.resolved_at) for t in rows])),
        "service_satisfaction": (tickets, lambda rows: _mean(
            [t.satisfaction for t in rows if t.satisfaction is not None])),
        "overdue_tasks": (overdue, len),
        "approval_cycle_hours": (decided, lambda rows: _median(
            [_hours(a.submitted_at, a.decided_at) for a in rows])),
        "pending_approvals": (pending, len),
    }


def _same(got: Any, expected: Any) -> bool:
    return got is None if expected is None else got == pytest.approx(expected)


@pytest.mark.parametrize("period", [YEAR, Q4, (date(2024, 7, 1), AS_OF)])
def test_crm_service_and_oa_cuts_equal_values_recomputed_from_the_store(
    wh: WarehouseBuild, con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition],
    period,
) -> None:
    with Session(wh.engine) as s:
        member_of = _members_of(s)
        recomputed = _recomputed(s, period)
    compared = 0
    for name, (rows, value_of) in recomputed.items():
        kpi = reg[name]
        assert kpi.dimensions == CRM_OA_DIMENSIONS[name]
        # company-wide: the value over every row, as before the cuts existed
        assert _same(kpis.evaluate_one(con, kpi, *period), value_of(rows)), name
        for dimension in kpi.dimensions:
            groups: dict[str, list] = defaultdict(list)
            for row in rows:
                groups[member_of[dimension](row)].append(row)
            members = all_members(con, dimension)
            assert set(groups) <= set(members), (name, dimension)  # no row's member missing
            parts = []
            for member in members:
                got = kpis.evaluate_one(con, kpi, *period, {dimension: member})
                want = value_of(groups.get(member, []))
                assert _same(got, want), (name, dimension, member, got, want)
                parts.append(got)
                compared += bool(groups.get(member))
            if name in ADDITIVE:  # each row in exactly one member: the members add up
                assert sum(parts) == kpis.evaluate_one(con, kpi, *period) == len(rows)
    assert compared >= 20


def test_crm_service_and_oa_rows_without_a_member_count_as_unknown(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition]
) -> None:
    # The sample has leads without a region and unassigned tickets and tasks: they count
    # under the explicit unknown members instead of being dropped.
    since = (date(2024, 1, 1), AS_OF)
    leads, converted = con.execute(
        "select sum(leads_created), sum(leads_converted) from reports.rpt_crm_monthly"
        " where customer_region = 'unknown'"
    ).fetchone()
    assert leads > 0
    got = kpis.evaluate_one(con, reg["lead_conversion_rate"], *since, {"region": "unknown"})
    assert got == pytest.approx(converted / leads)
    hours = con.execute(
        "select median(resolution_hours) from marts.fct_service_tickets"
        " where assignee_employee_id = -1 and resolved_date between $lo and $hi",
        {"lo": since[0], "hi": since[1]},
    ).fetchone()[0]
    assert hours is not None
    got = kpis.evaluate_one(con, reg["service_resolution_hours"], *since, {"owner": "UNKNOWN"})
    assert got == pytest.approx(float(hours))
    tasks = con.execute(
        "select count(*) from marts.fct_tasks where assignee_employee_id = -1 and is_overdue"
    ).fetchone()[0]
    assert tasks > 0
    assert kpis.evaluate_one(con, reg["overdue_tasks"], *since, {"owner": "UNKNOWN"}) == tasks


def test_cuts_equal_values_recomputed_from_the_store(
    wh: WarehouseBuild, con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition]
) -> None:
    # The sample store's customers never change region, so "region valid on the order date"
    # is the customer's region.
    with Session(wh.engine) as s:
        region = {c.id: c.region for c in s.exec(select(Customer)).all()}
        intake: dict[str, Decimal] = defaultdict(Decimal)
        active: dict[str, set[int]] = defaultdict(set)
        for o, ln in booked_lines(s):
            if JAN[0] <= o.order_date <= JAN[1]:
                intake[region[o.customer_id]] += ln.net_amount
                active[region[o.customer_id]].add(o.customer_id)
    assert len(intake) == 3
    for member, expected in intake.items():
        dims = {"region": member}
        assert kpis.evaluate_one(con, reg["order_intake"], *JAN, dims) == expected
        assert kpis.evaluate_one(con, reg["active_customers"], *JAN, dims) == len(active[member])


@pytest.mark.parametrize("dimension", ["region", "category", "grade", "owner"])
def test_distinct_customer_kpis_cut_within_bounds(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition], dimension: str
) -> None:
    total = kpis.evaluate_one(con, reg["active_customers"], *YEAR)
    parts = [
        kpis.evaluate_one(con, reg["active_customers"], *YEAR, {dimension: m})
        for m in all_members(con, dimension)
    ]
    # every active customer is active in at least one member, none in a member beyond total
    assert max(parts) <= total <= sum(parts)
    if dimension in reg["repurchase_rate"].dimensions:
        for m in all_members(con, dimension):
            rate = kpis.evaluate_one(con, reg["repurchase_rate"], *YEAR, {dimension: m})
            assert rate is None or 0 <= rate <= 1


@pytest.mark.parametrize("grain", kpis.GRAINS)
def test_by_period_adds_up_and_compares(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition], grain: str
) -> None:
    span = (date(2024, 2, 10), date(2025, 3, 20))
    rows = kpis.by_period(con, "turnover", grain, *span, {"region": "East"})
    assert rows[0]["date_from"] == span[0] and rows[-1]["date_to"] == span[1]
    east = kpis.evaluate_one(con, reg["turnover"], *span, {"region": "East"})
    assert sum((r["value"] for r in rows), Decimal("0.00")) == east
    for before, row in zip(rows[1:-2], rows[2:-1], strict=True):
        # whole consecutive periods (the first and last are clipped to the span): the
        # previous period is the row before
        assert row["previous_value"] == before["value"], (grain, row["period"])
    for row in rows:
        last_year = kpis.same_period_last_year(row["date_from"], row["date_to"])
        expected = kpis.evaluate_one(con, reg["turnover"], *last_year, {"region": "East"})
        assert row["last_year_value"] == expected


def test_period_labels() -> None:
    span = (date(2024, 12, 30), date(2025, 1, 2))
    assert [r[0] for r in kpis.period_ranges("day", *span)] == [
        "2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02",
    ]
    assert kpis.period_ranges("quarter", date(2024, 2, 10), date(2024, 7, 1)) == [
        ("2024-Q1", date(2024, 2, 10), date(2024, 3, 31)),
        ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30)),
        ("2024-Q3", date(2024, 7, 1), date(2024, 7, 1)),
    ]
    assert [r[0] for r in kpis.period_ranges("year", *span)] == ["2024", "2025"]


def test_unsupported_dimensions_are_errors(
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition]
) -> None:
    with pytest.raises(ValueError, match="order_count cannot be cut by category"):
        kpis.evaluate(con, ["order_count"], *JAN, {"category": "Tools"})
    with pytest.raises(ValueError, match="approval_cycle_hours cannot be cut by region"):
        kpis.by_dimension(con, "approval_cycle_hours", "region", *JAN)
    with pytest.raises(ValueError, match="unknown dimension"):
        kpis.evaluate(con, ["turnover"], *JAN, {"colour": None})
    # None means all members, also for a dimension the KPI does not support
    assert kpis.evaluate(con, ["order_count"], *JAN, {"category": None}) == kpis.evaluate(
        con, ["order_count"], *JAN
    )


def test_mis_kpi_by_region(
    wh: WarehouseBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    con: duckdb.DuckDBPyConnection, reg: dict[str, kpis.KpiDefinition],
) -> None:
    from mis_cli.main import app
    from operational.settings import get_settings

    home = tmp_path / "mis_home"
    (home / "warehouse").mkdir(parents=True)
    published = home / "warehouse" / "published.duckdb"
    shutil.copyfile(wh.duckdb_path, published)
    with duckdb.connect(str(published)) as w:
        stamp_build(w, build_id="dims-test", as_of=datetime(2025, 3, 31), info={})
    monkeypatch.setenv("MIS_HOME", str(home))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["kpi", "--json", "--by", "region", "--from", "2025-01-01", "--to", "2025-01-31"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["by"] == "region"
    assert set(payload["breakdown"]) == set(kpis.HEADLINE)  # all headline KPIs cut by region
    rows = payload["breakdown"]["order_intake"]["rows"]
    assert {r["member"] for r in rows} == {"East", "North", "South"}
    total = kpis.evaluate_one(con, reg["order_intake"], *JAN)
    assert sum(Decimal(str(r["value"])) for r in rows) == total
    previous = kpis.evaluate_one(con, reg["order_intake"], *kpis.previous_period(*JAN))
    assert sum(Decimal(str(r["previous_value"])) for r in rows) == previous
