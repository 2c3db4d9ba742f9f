"""Incremental models (macros/changed_rows.sql): a refresh that rebuilds only the sales orders
it touched (fct_order_lines, fct_deliveries, fct_orders) and their customers
(rpt_customer_sales_daily_dims, rpt_customer_first_orders_dims) leaves them exactly as a full
rebuild would, whatever the change: a line repriced, an order cancelled or moved to another
customer, a delivery deleted or moved to another order, and a customer's region (which
rebuilds every row).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from operational import demo
from operational.db import init_schema, make_engine
from operational.settings import Settings, get_settings
from serving.read import open_published
from serving.refresh import RefreshReport, run_refresh

INCREMENTAL = ("marts.fct_order_lines", "marts.fct_deliveries", "marts.fct_orders",
               "reports.rpt_customer_sales_daily_dims", "reports.rpt_customer_first_orders_dims")


@dataclass
class Home:
    settings: Settings
    engine: Engine

    def refresh(self, *, full: bool = False) -> RefreshReport:
        return run_refresh(settings=self.settings, full=full)

    def tables(self) -> dict[str, list[tuple]]:
        with open_published(self.settings) as con:
            return {m.split(".")[1]: con.execute(f"select * from {m} order by all").fetchall()
                    for m in INCREMENTAL}

    def store(self, sql: str, **params: object) -> list[tuple]:
        with self.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return result.fetchall() if result.returns_rows else []

    def built_for(self, model: str, key: str = "sales_order_id") -> set[int] | None:
        """The ids of ``key`` the last build of ``model`` rebuilt (None: every row)."""
        runs = json.loads((self.settings.warehouse_dir / "dbt-target" / "run_results.json")
                          .read_text(encoding="utf-8"))
        node = next(r for r in runs["results"] if r["unique_id"] == f"model.mis.{model}")
        code = node["compiled_code"]
        marker = f"where {key} in ("
        if marker not in code:
            return None
        ids = code[code.index(marker) + len(marker):].split(")")[0]
        return {int(i) for i in ids.split(",") if i.strip() != "null"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    root: Path = tmp_path_factory.mktemp("incremental_models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIS_HOME", str(root / "home"))
        mp.delenv("MIS_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        settings = get_settings()
        engine = make_engine(settings.store_url)
        init_schema(engine)
        demo.generate(engine=engine, scale="small", seed=7)
        h = Home(settings, engine)
        assert h.refresh().dbt_mode == "full"
        try:
            yield h
        finally:
            engine.dispose()
            from serving import dbt_worker

            dbt_worker.stop(settings.warehouse_dir)
            get_settings.cache_clear()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_changes_to_orders_rebuild_those_orders_and_equal_a_full_rebuild(home: Home) -> None:
    # orders with deliveries but no invoice, so moving or deleting a delivery breaks no
    # invoiced-versus-delivered rule
    free = [r[0] for r in home.store(
        "select distinct d.sales_order_id from delivery d "
        "where d.sales_order_id not in (select sales_order_id from invoice) "
        "and d.sales_order_id not in (select sales_order_id from replenishment_suggestion s "
        "join sales_order_line l on l.id = s.sales_order_line_id) "
        "order by 1 limit 3"
    )]
    assert len(free) == 3, "the demo has orders delivered and not invoiced"
    gone, moved, target = free
    line_changed = home.store(
        "select id, sales_order_id from sales_order_line where sales_order_id not in "
        "(select sales_order_id from invoice) and sales_order_id not in (:a, :b, :c) "
        "order by id limit 1", a=gone, b=moved, c=target)[0]
    cancelled, reassigned = (r[0] for r in home.store(
        "select id from sales_order where status = 'confirmed' and id not in "
        "(select sales_order_id from delivery) and id not in "
        "(select sales_order_id from invoice) order by id limit 2"))
    old_customer, new_customer = home.store(
        "select customer_id, (select max(id) from customer) from sales_order where id = :i",
        i=reassigned)[0]
    now = _now()
    # a delivery deleted; another moved (with its quantity) to a line of another order
    deleted = home.store("select min(id) from delivery where sales_order_id = :o", o=gone)[0][0]
    home.store("delete from delivery where id = :i", i=deleted)
    to_line = home.store("select id from sales_order_line where sales_order_id = :o "
                         "order by id limit 1", o=target)[0][0]
    delivery = home.store("select min(id) from delivery where sales_order_id = :o", o=moved)[0][0]
    home.store("update delivery set sales_order_id = :o, sales_order_line_id = :l, "
               "quantity = 0.001, version = version + 1, updated_at = :t where id = :i",
               o=target, l=to_line, i=delivery, t=now)
    # a line's price changed, an order cancelled
    home.store("update sales_order_line set unit_price = unit_price + 1, "
               "net_amount = round(quantity * (unit_price + 1) * (1 - discount), 2), "
               "version = version + 1, updated_at = :t where id = :i", i=line_changed[0], t=now)
    home.store("update sales_order set status = 'cancelled', cancelled_at = :t, "
               "version = version + 1, updated_at = :t where id = :i", i=cancelled, t=now)
    # an order moved to another customer: both customers' rows change
    home.store("update sales_order set customer_id = :c, version = version + 1, "
               "updated_at = :t where id = :i", c=new_customer, i=reassigned, t=now)

    report = home.refresh()
    assert report.status == "success" and report.dbt_mode == "changed"
    rebuilt = home.built_for("fct_order_lines")
    assert rebuilt is not None, "fct_order_lines was rebuilt whole, not by order"
    touched = {gone, moved, target, line_changed[1], cancelled, reassigned}
    assert rebuilt == touched
    assert home.built_for("fct_deliveries") == rebuilt
    customers = home.built_for("rpt_customer_sales_daily_dims", key="customer_id")
    assert customers is not None, "customer sales were rebuilt whole, not by customer"
    theirs = {r[0] for r in home.store(
        f"select customer_id from sales_order where id in ({', '.join(map(str, touched))})")}
    assert customers == theirs | {old_customer, -1} and new_customer in customers
    incremental = home.tables()

    assert home.refresh(full=True).dbt_mode == "full"
    assert home.built_for("fct_order_lines") is None
    full = home.tables()
    for model in full:
        assert incremental[model] == full[model], model
    # and the changes are in: the delivery deleted is gone, the one moved is on its new order
    deliveries = {r[0]: r for r in incremental["fct_deliveries"]}
    assert deleted not in deliveries and deliveries[delivery][2] == target
    orders = {r[0]: r for r in incremental["fct_orders"]}
    assert orders[cancelled][7] == "cancelled"


def test_a_change_to_another_table_they_read_rebuilds_every_row(home: Home) -> None:
    home.refresh()  # the same day and project as the full build before: incremental again
    customer = home.store("select customer_id from sales_order order by id limit 1")[0][0]
    home.store("update customer set region = 'Xinjiang', version = version + 1, "
               "updated_at = :t where id = :i", i=customer, t=_now())
    home.store("update sales_order set version = version + 1, updated_at = :t "
               "where id = (select max(id) from sales_order)", t=_now())
    report = home.refresh()
    assert report.dbt_mode == "changed"
    assert home.built_for("fct_order_lines") is None  # every row, in place
    incremental = home.tables()
    home.refresh(full=True)
    assert home.tables() == incremental
