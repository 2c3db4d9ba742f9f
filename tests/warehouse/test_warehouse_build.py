"""Build the warehouse once from a small deterministic store and check KPI values.

Every expected value is recomputed here in Python, with Decimal, straight from the
operational rows, following DOMAIN.md; the warehouse's numbers are read through the KPI
registry's value_sql, exactly as the dashboards and ``mis kpi`` read them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from sample_store import AS_OF
from sqlmodel import Session, select
from wh_build import REPO, WarehouseBuild

from operational.models import (
    Delivery,
    Invoice,
    Product,
    SalesOrder,
    SalesOrderLine,
)

TZ = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
REGISTRY = REPO / "seeds" / "kpi_registry.csv"
HEADLINES = {
    "order_intake",
    "turnover",
    "on_time_delivery_rate",
    "gross_margin_rate",
    "avg_customer_ltv",
    "active_customers",
}
JAN = (date(2025, 1, 1), date(2025, 1, 31))
Q4 = (date(2024, 10, 1), date(2024, 12, 31))
YEAR = (date(2024, 1, 1), date(2024, 12, 31))

pytestmark = pytest.mark.slow


def registry() -> dict[str, dict[str, str]]:
    with REGISTRY.open(newline="", encoding="utf-8") as f:
        return {row["kpi_name"]: row for row in csv.DictReader(f)}


def bind(sql: str, period: tuple[date, date]) -> dict[str, date | None]:
    """The period, and NULL (= all members) for each dimension parameter the SQL takes."""
    dims = {d: None for d in ("region", "category", "grade", "owner") if f"${d}" in sql}
    return {"date_from": period[0], "date_to": period[1], **dims}


def kpi(wh: WarehouseBuild, name: str, period: tuple[date, date]):
    sql = registry()[name]["value_sql"]
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        cur = con.execute(sql, bind(sql, period))
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
    if registry()[name]["grain"] == "period":
        assert cols == ["value"] and len(rows) == 1
        return rows[0][0]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def local(ts) -> date:
    return ts.astimezone(TZ).date()


def half_up(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def booked_lines(session: Session):
    """(order, line) of orders not cancelled."""
    rows = session.exec(
        select(SalesOrder, SalesOrderLine).where(SalesOrderLine.sales_order_id == SalesOrder.id)
    ).all()
    return [(o, ln) for o, ln in rows if o.status != "cancelled"]


def test_line_net_amount_is_the_rounded_formula(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        lines = s.exec(select(SalesOrderLine)).all()
    assert lines
    for ln in lines:
        assert ln.net_amount == half_up(ln.quantity * ln.unit_price * (1 - ln.discount))


@pytest.mark.parametrize("period", [JAN, Q4, YEAR])
def test_order_intake_equals_sum_of_rounded_lines(wh: WarehouseBuild, period) -> None:
    with Session(wh.engine) as s:
        expected = sum(
            (ln.net_amount for o, ln in booked_lines(s) if period[0] <= o.order_date <= period[1]),
            Decimal("0.00"),
        )
    assert expected > 0
    assert kpi(wh, "order_intake", period) == expected


def test_order_intake_of_january_2025_is_golden(wh: WarehouseBuild) -> None:
    # Golden value of the deterministic sample store (seed 7): guards against both sides
    # of the comparison drifting together.
    assert kpi(wh, "order_intake", JAN) == Decimal("27266.37")


@pytest.mark.parametrize("period", [JAN, Q4, YEAR])
def test_turnover_subtracts_credit_notes(wh: WarehouseBuild, period) -> None:
    with Session(wh.engine) as s:
        invoices = [
            i for i in s.exec(select(Invoice)).all() if period[0] <= i.issue_date <= period[1]
        ]
    expected = sum(
        (-abs(i.net_amount) if i.kind == "credit_note" else i.net_amount for i in invoices),
        Decimal("0.00"),
    )
    assert kpi(wh, "turnover", period) == expected


def test_sample_has_credit_notes_in_2024(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        notes = [i for i in s.exec(select(Invoice)).all() if i.kind == "credit_note"]
    assert any(YEAR[0] <= n.issue_date <= YEAR[1] for n in notes)


def _otd(session: Session, period) -> tuple[int, int]:
    delivered_by_line: dict[int, list[Delivery]] = defaultdict(list)
    for d in session.exec(select(Delivery)).all():
        delivered_by_line[d.sales_order_line_id].append(d)
    due = on_time = 0
    for o, ln in booked_lines(session):
        promised = ln.promised_date or o.promised_date
        if promised is None or not (period[0] <= promised <= period[1]) or promised > AS_OF:
            continue
        due += 1
        qty = sum(
            (
                d.quantity
                for d in delivered_by_line[ln.id]
                if d.delivered_at is not None and local(d.delivered_at) <= promised
            ),
            Decimal(0),
        )
        on_time += qty >= ln.quantity
    return due, on_time


@pytest.mark.parametrize("period", [JAN, Q4, YEAR, (date(2025, 3, 1), date(2025, 4, 30))])
def test_on_time_delivery_rate(wh: WarehouseBuild, period) -> None:
    with Session(wh.engine) as s:
        due, on_time = _otd(s, period)
    assert due > 0 and 0 < on_time < due  # the sample has both kinds
    assert kpi(wh, "on_time_delivery_rate", period) == pytest.approx(on_time / due)


def test_on_time_delivery_rate_is_null_without_due_lines(wh: WarehouseBuild) -> None:
    assert kpi(wh, "on_time_delivery_rate", (date(2030, 1, 1), date(2030, 1, 31))) is None


@pytest.mark.parametrize("period", [JAN, YEAR])
def test_gross_margin_rate_on_deliveries_at_standard_cost(wh: WarehouseBuild, period) -> None:
    with Session(wh.engine) as s:
        lines = {ln.id: (o, ln) for o, ln in booked_lines(s)}
        cost = {p.id: p.standard_cost for p in s.exec(select(Product)).all()}
        sales = cogs = Decimal(0)
        for d in s.exec(select(Delivery)).all():
            if d.delivered_at is None or d.sales_order_line_id not in lines:
                continue
            if not period[0] <= local(d.delivered_at) <= period[1]:
                continue
            _, ln = lines[d.sales_order_line_id]
            sales += half_up(d.quantity * ln.unit_price * (1 - ln.discount))
            cogs += half_up(d.quantity * cost[ln.product_id])
    assert kpi(wh, "delivered_net_sales", period) == sales
    assert kpi(wh, "cogs", period) == cogs
    assert kpi(wh, "gross_margin_rate", period) == pytest.approx(float((sales - cogs) / sales))


def _ltv(session: Session, as_of: date) -> dict[int, Decimal]:
    ltv: dict[int, Decimal] = defaultdict(Decimal)
    for o, ln in booked_lines(session):
        if o.order_date <= as_of:
            ltv[o.customer_id] += ln.net_amount
    return ltv


def test_active_customers_and_average_ltv(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        active = {o.customer_id for o, _ in booked_lines(s) if JAN[0] <= o.order_date <= JAN[1]}
        ltv = _ltv(s, JAN[1])
    assert kpi(wh, "active_customers", JAN) == len(active)
    expected = half_up(sum(ltv.values(), Decimal(0)) / len(ltv))
    assert abs(kpi(wh, "avg_customer_ltv", JAN) - expected) <= CENT


def test_customer_ltv_rows(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        ltv = _ltv(s, YEAR[1])
        codes = {o.customer_id: o for o, _ in booked_lines(s)}
        from operational.models import Customer

        code_of = {c.id: c.code for c in s.exec(select(Customer)).all()}
    rows = kpi(wh, "customer_ltv", YEAR)
    assert {r["customer_code"]: r["ltv"] for r in rows} == {
        code_of[cid]: v for cid, v in ltv.items()
    }
    assert all(r["margin_ltv"] < r["ltv"] and r["orders"] >= 1 for r in rows)
    assert "CU015" not in {r["customer_code"] for r in rows}  # never ordered
    assert codes


def test_every_registry_query_has_the_right_shape(wh: WarehouseBuild) -> None:
    reg = registry()
    assert set(reg) >= HEADLINES
    assert {k for k, r in reg.items() if r["is_headline"] == "true"} == HEADLINES
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        for name, row in reg.items():
            assert row["unit"] in {"money", "rate", "count", "days", "hours", "score"}, name
            assert row["grain"] in {"period", "customer", "month"}, name
            assert row["higher_is_better"] in {"true", "false"}, name
            for period in (YEAR, (date(2031, 1, 1), date(2031, 1, 31))):
                cur = con.execute(row["value_sql"], bind(row["value_sql"], period))
                cols = [d[0] for d in cur.description]
                rows = cur.fetchall()
                if row["grain"] == "period":
                    assert cols == ["value"] and len(rows) == 1, name
                    value = rows[0][0]
                    if row["unit"] == "rate" and value is not None:
                        assert 0 <= value <= 1 or name.endswith("_change"), (name, value)
                elif row["grain"] == "customer":
                    assert cols[0] == "customer_code", name
                    if name == "customer_ltv":
                        assert cols == ["customer_code", "ltv", "margin_ltv", "orders"]
                else:
                    assert cols[0] == "month_start_date" and cols[-1] == "value", name
            # the warehouse holds the same registry (dashboards may read either)
        published = dict(
            con.execute("select kpi_name, value_sql from reference.kpi_registry").fetchall()
        )
        tables = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
    assert published == {k: r["value_sql"] for k, r in reg.items()}
    assert {r["model"] for r in reg.values()} <= tables


def test_models_exist_in_layer_schemas(wh: WarehouseBuild) -> None:
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        found = {
            (s, t)
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
    for name in (
        "dim_customers",
        "dim_products",
        "dim_dates",
        "dim_employees",
        "dim_suppliers",
        "fct_order_lines",
        "fct_deliveries",
        "fct_invoices",
        "fct_payments",
    ):
        assert ("marts", name) in found
    assert ("reports", "rpt_kpi_daily") in found
    assert ("staging", "stg_erp__sales_orders") in found


def test_unknown_members(wh: WarehouseBuild) -> None:
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        for dim, key in (
            ("dim_customers", "customer_id"),
            ("dim_products", "product_id"),
            ("dim_employees", "employee_id"),
            ("dim_suppliers", "supplier_id"),
        ):
            assert (
                con.execute(f"select count(*) from marts.{dim} where {key} = -1").fetchone()[0] == 1
            )


def test_build_log_has_no_warnings(wh: WarehouseBuild) -> None:
    assert "WARN=0" in wh.output and "ERROR=0" in wh.output, wh.output[-2000:]


def test_dev_paths_exist() -> None:
    assert Path(REPO / "dbt_project.yml").exists()
