"""Golden values of the headline KPIs for closed periods of the demo data.

The demo generator is deterministic: seed 42, scale ``small`` and a fixed ``today``
(2026-11-22) give the same rows every time. This module builds a published warehouse from
it the way a refresh does (demo store -> ingestion landing -> dbt -> stamp + atomic
publish) and reads the KPIs through ``serving.kpis.evaluate`` (the registry's SQL, what
the dashboards show) for June 2025 and Q1 2026, both long closed on that ``today``.

How the numbers were obtained (once, not at test time): an independent script read the
operational store rows and applied DOMAIN.md with ``Decimal`` arithmetic in Python:
- order intake: per line of orders not cancelled with order_date in the period,
  round-half-up(quantity x unit price x (1 - discount), 2), summed (equal to the sum of
  the stored ``sales_order_line.net_amount``);
- turnover: ``invoice.net_amount`` by issue date, credit notes as -|net|;
- on-time delivery: lines of orders not cancelled whose promised date (line's, else
  order's) is in the period and not after 2026-11-22; on time when the deliveries
  received (``delivered_at`` as an Asia/Shanghai date) on or before it cover the quantity
  (2025-06: 186/202; Q1 2026: 381/422);
- gross margin: deliveries received in the period; per delivery round(qty x unit price x
  (1 - discount), 2) and round(qty x product standard cost, 2) (the store has one cost per
  product, which the warehouse's first snapshot applies to all history)
  (2025-06: 971940.56 / 4475457.06; Q1 2026: 1768558.35 / 8911989.54);
- active customers: distinct customers of orders not cancelled with order_date in the period;
- average LTV: per customer with an order not cancelled up to the period's end, the sum of
  its line net amounts to then; mean, rounded half-up to cents (2025-06: 31305034.43 / 172
  customers; Q1 2026: 61156866.22 / 226).
They equalled the warehouse's values exactly and are frozen below. If the demo generator
changes on purpose, ``test_demo_store_is_the_frozen_one`` fails first: re-derive the values
(do not copy them from the warehouse), then update both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from wh_build import land, run_dbt

from ingestion.duck import connect
from operational.db import init_schema, make_engine
from operational.demo import generate
from serving.kpis import evaluate
from serving.publish import publish, stamp_build

pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 22)
PERIODS = {
    "2025-06": (date(2025, 6, 1), date(2025, 6, 30)),
    "2026-Q1": (date(2026, 1, 1), date(2026, 3, 31)),
}

# Rows the generator writes to the tables these KPIs read: the demo data is the frozen one.
DEMO_ROWS = {
    "customer": 313,
    "product": 194,
    "sales_order": 1441,
    "sales_order_line": 4932,
    "delivery": 5049,
    "invoice": 2209,
}

# Money exact to the cent (Decimal), counts exact, rates to 4 decimals (half-up).
GOLDEN: dict[str, dict[str, Any]] = {
    "2025-06": {
        "order_intake": Decimal("4887917.46"),
        "turnover": Decimal("3036411.32"),
        "on_time_delivery_rate": Decimal("0.9208"),
        "gross_margin_rate": Decimal("0.2172"),
        "active_customers": 44,
        "avg_customer_ltv": Decimal("182006.01"),
        # the two sides of the gross margin, exact
        "delivered_net_sales": Decimal("4475457.06"),
        "cogs": Decimal("3503516.50"),
    },
    "2026-Q1": {
        "order_intake": Decimal("8391914.40"),
        "turnover": Decimal("9420393.72"),
        "on_time_delivery_rate": Decimal("0.9028"),
        "gross_margin_rate": Decimal("0.1984"),
        "active_customers": 77,
        "avg_customer_ltv": Decimal("270605.60"),
        "delivered_net_sales": Decimal("8911989.54"),
        "cogs": Decimal("7143431.19"),
    },
}
RATES = {"on_time_delivery_rate", "gross_margin_rate"}

# Only what the KPIs above read (plus the registry), models/seeds/snapshots only: the data
# and unit tests of these models run in the session build and in every refresh.
DBT_BUILD = [
    "build",
    "--select",
    "+rpt_kpi_daily",
    "+rpt_customer_sales_daily",
    "+rpt_customer_first_orders_dims",
    "kpi_registry",
    "--resource-type",
    "model",
    "seed",
    "snapshot",
]


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    work = tmp_path_factory.mktemp("golden_demo")
    store_url = f"sqlite:///{work / 'operational.sqlite'}"
    engine = make_engine(store_url)
    try:
        init_schema(engine)
        written = generate(engine=engine, scale="small", seed=42, today=TODAY)
    finally:
        engine.dispose()
    build_db = work / "build.duckdb"
    land(store_url, build_db)
    proc = run_dbt(DBT_BUILD, duckdb_path=build_db, work=work, as_of=TODAY.isoformat())
    if proc.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    con = connect(build_db)
    try:
        stamp_build(con, build_id="golden-demo", as_of=datetime(2026, 11, 22), info={"seed": 42})
    finally:
        con.close()
    published = work / "published.duckdb"
    publish(build_db, published)
    yield published, written


def test_demo_store_is_the_frozen_one(demo_warehouse: tuple[Path, dict]) -> None:
    _, written = demo_warehouse
    assert {t: written.get(t) for t in DEMO_ROWS} == DEMO_ROWS


@pytest.mark.parametrize("period", sorted(GOLDEN))
def test_golden_kpis_of_closed_periods(demo_warehouse: tuple[Path, dict], period: str) -> None:
    published, _ = demo_warehouse
    date_from, date_to = PERIODS[period]
    con = connect(published, read_only=True)
    try:
        got = evaluate(con, list(GOLDEN[period]), date_from, date_to)
    finally:
        con.close()
    shown = {}
    for name, value in got.items():
        if name in RATES:
            assert isinstance(value, float), (name, value)
            shown[name] = Decimal(str(value)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        elif isinstance(GOLDEN[period][name], Decimal):
            assert isinstance(value, Decimal), f"{name}: money must stay exact, got {value!r}"
            shown[name] = value
        else:
            shown[name] = value
    assert shown == GOLDEN[period]
