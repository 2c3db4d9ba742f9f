"""Incremental models (macros/changed_rows.sql): a refresh that rebuilds only the sales orders
it touched (fct_order_lines, fct_deliveries, fct_orders), their customers
(dim_customers, rpt_customer_sales_daily and its _dims, rpt_customer_first_orders_dims,
the journeys of rpt_lead_to_cash), the days they count on (rpt_kpi_daily_dims) and their months
(rpt_sales_monthly), and the dates of their invoices' events (rpt_receivables_daily_dims)
leaves them exactly as a full rebuild would, whatever the change: a line repriced, an order
cancelled, moved to another customer, owner or date, a delivery deleted or moved to another
order, and a customer's region (which rebuilds every row). The data tests of those models
read only the rows rebuilt, and still catch a bad one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
               "marts.dim_customers",
               "reports.rpt_customer_sales_daily", "reports.rpt_customer_sales_daily_dims",
               "reports.rpt_customer_first_orders_dims", "reports.rpt_kpi_daily_dims",
               "reports.rpt_receivables_daily_dims", "reports.rpt_lead_to_cash",
               "reports.rpt_sales_monthly")


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

    def results(self) -> dict[str, dict]:
        """The last dbt build's nodes by unique id (run_results.json)."""
        runs = json.loads((self.settings.warehouse_dir / "dbt-target" / "run_results.json")
                          .read_text(encoding="utf-8"))
        return {r["unique_id"]: r for r in runs["results"]}

    def test_code(self, prefix: str) -> str:
        """The SQL the last build ran for the one data test whose name starts with ``prefix``."""
        found = [r for u, r in self.results().items() if u.startswith(f"test.mis.{prefix}")]
        assert len(found) == 1, (prefix, [r["unique_id"] for r in found])
        return found[0]["compiled_code"]

    def keys_built(self, model: str, key: str) -> str | None:
        """The literal list of ``key`` values the last build of ``model`` rebuilt, as its SQL
        says it (None: every row)."""
        code = self.results()[f"model.mis.{model}"]["compiled_code"]
        marker = f"where {key} in ("
        if marker not in code:
            return None
        return code[code.index(marker) + len(marker):].split(")")[0]

    def days_built(self, model: str = "rpt_kpi_daily_dims",
                   key: str = "date_day") -> set[date] | None:
        """The days the last build of ``model`` rebuilt (None: every day)."""
        days = self.keys_built(model, key)
        if days is None:
            return None
        return {date.fromisoformat(d) for d in re.findall(r"date '([0-9-]+)'", days)}

    def built_for(self, model: str, key: str = "sales_order_id") -> set[int] | None:
        """The ids of ``key`` the last build of ``model`` rebuilt (None: every row)."""
        ids = self.keys_built(model, key)
        if ids is None:
            return None
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
    # Only the three tables written to were landed and read again for reconciliation; the
    # others' change counters had not moved.
    assert {t for t, n in report.rows_landed.items() if n} == {
        "delivery", "sales_order_line", "sales_order"}
    assert report.tables_unchanged == report.reconciled_tables - 3
    assert report.reconcile_store_tables_read == 3
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
    assert home.built_for("rpt_customer_sales_daily", key="customer_id") == customers
    assert home.built_for("rpt_lead_to_cash", key="customer_id") == customers
    assert home.built_for("dim_customers", key="customer_id") == customers
    # a fact not rebuilt tests its customers only where they may have gone
    payments = home.test_code("relationships_fct_payments_customer_id")
    assert re.search(r"customer_id in \([-0-9, ]+\)", payments), payments
    # none of those orders is invoiced: no receivables event moves
    assert home.days_built("rpt_receivables_daily_dims", "event_date") == set()
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
    assert home.built_for("dim_customers", key="customer_id") is None
    incremental = home.tables()
    home.refresh(full=True)
    assert home.tables() == incremental


def _day(value: object) -> date:
    return date.fromisoformat(str(value)[:10])


def test_changes_rebuild_the_days_their_orders_count_on_and_test_only_those_rows(
    home: Home,
) -> None:
    home.refresh()
    with open_published(home.settings) as con:
        first_year = con.execute("select year(min(date_day)) from marts.dim_dates").fetchone()[0]
    # two delivered orders of the spine's second year (26 months of history: always there):
    # one moves a week earlier, a line of the other is promised 3 days later
    moved, promised = home.store(
        "select id, order_date from sales_order where status <> 'cancelled' "
        "and order_date between :a and :b and id in (select sales_order_id from delivery) "
        "order by id limit 2",
        a=f"{first_year + 1}-03-01", b=f"{first_year + 1}-10-31")
    old_date = _day(moved[1])
    line, old_promised = home.store(
        "select l.id, coalesce(l.promised_date, o.promised_date) from sales_order_line l "
        "join sales_order o on o.id = l.sales_order_id where l.sales_order_id = :o "
        "order by l.id limit 1", o=promised[0])[0]
    old_promised = _day(old_promised)
    now = _now()
    home.store("update sales_order set order_date = :d, version = version + 1, "
               "updated_at = :t where id = :i", d=old_date - timedelta(days=7), i=moved[0], t=now)
    home.store("update sales_order_line set promised_date = :d, version = version + 1, "
               "updated_at = :t where id = :i", d=old_promised + timedelta(days=3), i=line, t=now)

    assert home.refresh().dbt_mode == "changed"
    assert home.built_for("fct_order_lines") == {moved[0], promised[0]}
    days = home.days_built()
    assert days is not None, "rpt_kpi_daily_dims was rebuilt whole, not by day"
    assert {old_date, old_date - timedelta(days=7),
            old_promised, old_promised + timedelta(days=3)} <= days
    assert len(days) < 30, days  # the days of two orders, not the spine's ~1,000
    # monthly sales: the months of those days, before and after (not the invoice dates')
    months = home.days_built("rpt_sales_monthly", "month_start_date")
    assert months is not None, "rpt_sales_monthly was rebuilt whole, not by month"
    moved_to = old_date - timedelta(days=7)
    assert {old_date.replace(day=1), moved_to.replace(day=1),
            old_promised.replace(day=1)} <= months <= {d.replace(day=1) for d in days}
    # the models' tests read the rows rebuilt; one that also reads a model the change
    # touched (fct_deliveries' lines are in fct_order_lines) reads every row
    assert "where (sales_order_id in (" in home.test_code("not_null_fct_order_lines_sales_order_id")
    assert "where (date_day in (date '" in home.test_code(
        "unique_combination_rpt_kpi_daily_dims_")
    assert "dbt_subquery" not in home.test_code(
        "relationships_fct_deliveries_sales_order_line_id__")
    # a view's tests read the rows of the changed orders (see the test of views below)
    assert "where (sales_order_id in (" in home.test_code(
        "not_null_stg_erp__sales_orders_sales_order_id")
    incremental = home.tables()
    home.refresh(full=True)
    assert home.tables() == incremental

    # an order in the spine's first year may move the spine itself: every day is rebuilt
    home.refresh()
    home.store("update sales_order set version = version + 1, updated_at = :t "
               "where id = (select min(id) from sales_order)", t=_now())
    assert home.refresh().dbt_mode == "changed"
    assert home.built_for("fct_order_lines") is not None
    assert home.days_built() is None


def test_a_bad_row_among_those_rebuilt_fails_the_refresh(home: Home) -> None:
    home.refresh()
    line, net = home.store(
        "select id, net_amount from sales_order_line where sales_order_id not in "
        "(select sales_order_id from invoice) order by id desc limit 1")[0]
    home.store("update sales_order_line set net_amount = :n, version = version + 1, "
               "updated_at = :t where id = :i", n=round(float(net) + 1, 2), i=line, t=_now())
    try:
        with pytest.raises(Exception) as failed:
            home.refresh()
        assert any("expression_is_true_fct_order_lines_net_amount" in f
                   for f in getattr(failed.value, "failures", [])), failed.value
        code = home.test_code("expression_is_true_fct_order_lines_net_amount")
        assert "where (sales_order_id in (" in code  # the test read only the rows rebuilt
        node = next(r for u, r in home.results().items()
                    if u.startswith("test.mis.expression_is_true_fct_order_lines_net_amount"))
        assert node["status"] == "fail" and node["failures"] == 1
    finally:
        home.store("update sales_order_line set net_amount = :n, version = version + 1, "
                   "updated_at = :t where id = :i", n=net, i=line, t=_now())
    assert home.refresh().status == "success"


def test_an_invoiced_order_moved_to_another_owner_rebuilds_its_receivables_dates(
    home: Home,
) -> None:
    home.refresh()
    order, owner = home.store(
        "select o.id, o.owner_id from sales_order o where o.id in "
        "(select sales_order_id from invoice where id in (select invoice_id from payment)) "
        "order by o.id limit 1")[0]
    other = home.store("select min(id) from employee where id <> :o", o=owner)[0][0]
    home.store("update sales_order set owner_id = :e, version = version + 1, updated_at = :t "
               "where id = :i", e=other, i=order, t=_now())
    assert home.refresh().dbt_mode == "changed"
    with open_published(home.settings) as con:
        dates = {r[0] for r in con.execute(
            "select distinct e.event_date from marts.fct_receivable_events e "
            "join marts.fct_invoices i on i.invoice_id = e.item_invoice_id "
            "where i.sales_order_id = ?", [order]).fetchall()}
    assert len(dates) >= 2  # its invoice and a payment
    assert home.days_built("rpt_receivables_daily_dims", "event_date") == dates
    assert "where (event_date in (date '" in home.test_code(
        "unique_combination_rpt_receivables_daily_dims_")
    incremental = home.tables()
    home.refresh(full=True)
    assert home.tables() == incremental
    with open_published(home.settings) as con:
        owners = {r[0] for r in con.execute(
            "select owner_employee_id from reports.rpt_receivables_daily_dims r "
            "where event_date in (select e.event_date from marts.fct_receivable_events e "
            "join marts.fct_invoices i on i.invoice_id = e.item_invoice_id "
            "where i.sales_order_id = ?)", [order]).fetchall()}
    assert other in owners  # the order's receivables moved to its new owner


def test_a_warehouse_that_does_not_reconcile_with_the_store_is_not_published(home: Home) -> None:
    """Reconciliation reads the store while dbt builds; a build whose landed data does not
    match the store is still never published, and the run history says why."""
    import duckdb

    from ingestion.reconcile import ReconciliationFailed
    from serving.read import build_info
    from serving.refresh import read_history

    home.refresh()
    published = home.settings.published_db_path
    customer = home.store("select min(id) from customer")[0][0]
    bump = "update raw.customer set credit_limit = credit_limit + {} where id = {}"
    con = duckdb.connect(str(published))
    con.execute(bump.format("0.01", customer))  # a corrupted amount, row counts equal
    before = build_info(con)["build_id"]
    con.close()
    (line,) = home.store("select max(id) from sales_order_line")[0]
    home.store("update sales_order_line set version = version + 1, updated_at = :t where id = :i",
               i=line, t=_now())  # a change, so dbt builds while the store is read
    try:
        with pytest.raises(ReconciliationFailed, match="customer: credit_limit on"):
            home.refresh()
        last = read_history(home.settings, limit=1)[0]
        assert last["status"] == "failed" and last["dbt_mode"] == "changed"
        assert last["models"] > 0  # dbt built; the build was thrown away
        assert [f.split(" on ")[0] for f in last["reconciliation_failures"]] == [
            "customer: credit_limit"]
        with open_published(home.settings) as con:
            assert build_info(con)["build_id"] == before
    finally:
        con = duckdb.connect(str(published))
        con.execute(bump.format("-0.01", customer))
        con.close()
    report = home.refresh()
    assert report.status == "success" and report.reconcile_store_seconds is not None


def _unguarded(home: Home, *statements: tuple[str, tuple]) -> None:
    """Run statements on the SQLite store with its foreign keys off: the rows that break the
    warehouse's `relationships` tests, which the store itself would refuse."""
    raw = home.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA foreign_keys=OFF")
        for sql, params in statements:
            cur.execute(sql, params)
        raw.commit()
        cur.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


def _failed(home: Home, prefix: str) -> dict:
    """The last build's result of the one data test whose name starts with ``prefix``."""
    return next(r for u, r in home.results().items() if u.startswith(f"test.mis.{prefix}"))


def _refresh_fails_on(home: Home, prefix: str) -> dict:
    """Refresh, which must fail on the data test whose name starts with ``prefix``; that
    test's result."""
    with pytest.raises(Exception) as failed:
        home.refresh()
    assert any(prefix in f for f in getattr(failed.value, "failures", [])), failed.value
    return _failed(home, prefix)


def test_the_tests_of_views_read_the_rows_changed_and_still_catch_a_bad_one(
    home: Home,
) -> None:
    """Staging and intermediate views are never rebuilt, but the rows they show change with
    their tables: their data tests read the rows the landing changed; a `unique` test, every
    row sharing a value with those; a `relationships` test, also every row pointing at a
    parent row that changed or went. Rows that break those tests are made here with the
    store's own guards (a unique index, foreign keys) off: the warehouse must still see them."""
    home.refresh()
    order, other = home.store(
        "select id, (select min(id) from sales_order) from sales_order "
        "where id = (select max(id) from sales_order)")[0]
    home.store("update sales_order set version = version + 1, updated_at = :t where id = :i",
               i=order, t=_now())
    assert home.refresh().status == "success"
    assert f"where (sales_order_id in ({order}))" in home.test_code(
        "not_null_stg_erp__sales_orders_sales_order_id")
    assert "where (order_no in (cast('" in home.test_code("unique_stg_erp__sales_orders_order_no")
    assert "where (sales_order_line_id in (" in home.test_code(
        "unique_int_deliveries_aggregated_to_order_lines_sales_order_line_id")

    # an order number repeated by a changed order: the other order did not change, yet
    # `unique` reads it, since it shares the changed row's value
    (index,) = home.store("select name from sqlite_master where type = 'index' "
                          "and tbl_name = 'sales_order' and sql like '%order_no%'")[0]
    (order_no,) = home.store("select order_no from sales_order where id = :i", i=order)[0]
    home.store(f"drop index {index}")
    home.store("update sales_order set order_no = (select order_no from sales_order "
               "where id = :o), version = version + 1, updated_at = :t where id = :i",
               o=other, i=order, t=_now())
    try:
        node = _refresh_fails_on(home, "unique_stg_erp__sales_orders_order_no")
        assert node["status"] == "fail" and node["failures"] == 1
        assert "where (order_no in (cast('" in node["compiled_code"]
    finally:
        home.store("update sales_order set order_no = :n, version = version + 1, "
                   "updated_at = :t where id = :i", n=order_no, i=order, t=_now())
        home.store(f"create unique index {index} on sales_order (order_no)")
    assert home.refresh().status == "success"

    # an invoiced order deleted under its invoices and lines: those did not change, yet the
    # tests of their orders read the rows pointing at the order that went (the invoices'
    # test fails the build; the staging one, a warning by design, reports it too)
    gone = home.store("select min(sales_order_id) from invoice")[0][0]
    _unguarded(home,
               ("create table kept_order as select * from sales_order where id = ?", (gone,)),
               ("delete from sales_order where id = ?", (gone,)))
    try:
        with pytest.raises(Exception) as failed:
            home.refresh()
        invoices = "relationships_fct_invoices_sales_order_id__"
        lines = "relationships_stg_erp__sales_order_lines_sales_order_id__"
        assert any(invoices in f for f in getattr(failed.value, "failures", [])), failed.value
        for prefix, status in ((invoices, "fail"), (lines, "warn")):
            node = _failed(home, prefix)
            assert node["status"] == status and node["failures"] >= 1, (prefix, node["status"])
            assert f"where (sales_order_id in ({gone}))" in node["compiled_code"]
    finally:
        _unguarded(home,
                   ("insert into sales_order select * from kept_order", ()),
                   ("drop table kept_order", ()),
                   ("update sales_order set version = version + 1, updated_at = ? where id = ?",
                    (_now().isoformat(sep=" "), gone)))
    assert home.refresh().status == "success"
    incremental = home.tables()
    home.refresh(full=True)
    assert home.tables() == incremental


def test_the_singular_tests_read_the_orders_rebuilt_and_still_catch_a_bad_one(
    home: Home,
) -> None:
    """assert_invoiced_not_above_delivered and assert_order_total_equals_sum_of_lines read
    only the orders rebuilt when nothing else they read changed (rows_rebuilt_in), and a
    delivery cut below what was invoiced for its line still fails the refresh."""
    home.refresh()
    delivery, order, quantity = home.store(
        "select d.id, d.sales_order_id, d.quantity from delivery d "
        "where d.sales_order_line_id in (select sales_order_line_id from invoice_line) "
        "and (select count(*) from delivery e where e.sales_order_line_id = "
        "d.sales_order_line_id) = 1 order by d.id desc limit 1")[0]
    home.store("update sales_order set version = version + 1, updated_at = :t where id = :i",
               i=order, t=_now())
    assert home.refresh().status == "success"
    invoiced = home.test_code("assert_invoiced_not_above_delivered")
    assert f"where (sales_order_id in ({order}))" in invoiced
    totals = home.test_code("assert_order_total_equals_sum_of_lines")
    assert f"where (sales_order_id in ({order})) or (sales_order_id in ({order}))" in totals
    assert "'purchase_order' as document" not in totals  # no purchase order changed

    home.store("update delivery set quantity = :q, version = version + 1, updated_at = :t "
               "where id = :i", q=round(float(quantity) / 2, 3), i=delivery, t=_now())
    try:
        node = _refresh_fails_on(home, "assert_invoiced_not_above_delivered")
        assert node["status"] == "fail" and node["failures"] == 1
        assert f"where (sales_order_id in ({order}))" in node["compiled_code"]
    finally:
        home.store("update delivery set quantity = :q, version = version + 1, "
                   "updated_at = :t where id = :i", q=quantity, i=delivery, t=_now())
    assert home.refresh().status == "success"

    # a purchase order changed too: every row is read again
    home.store("update purchase_order set version = version + 1, updated_at = :t "
               "where id = (select min(id) from purchase_order)", t=_now())
    home.store("update sales_order set version = version + 1, updated_at = :t where id = :i",
               i=order, t=_now())
    assert home.refresh().status == "success"
    totals = home.test_code("assert_order_total_equals_sum_of_lines")
    assert "'purchase_order' as document" in totals and "sales_order_id in (" not in totals
