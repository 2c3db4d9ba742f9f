"""Reconciliation catches what row counts alone would not."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from ingestion.duck import connect
from ingestion.landing import land, landing_cutoffs
from ingestion.reconcile import StoreScan, compare, reconcile
from operational.models import Customer


def _seed(engine, n=4):
    with Session(engine) as s:
        for i in range(1, n + 1):
            s.add(Customer(code=f"C{i}", name=f"C{i}", credit_limit=Decimal("100.00") * i))
        s.commit()


def test_clean_landing_reconciles(store_engine, store_url, tmp_path: Path):
    _seed(store_engine)
    con = connect(tmp_path / "w.duckdb")
    land(con, store_url)
    report = reconcile(con, store_url)
    assert report.ok, report.failures
    check = next(c for c in report.checks if c.table == "customer")
    assert (check.store_rows, check.warehouse_rows) == (4, 4)


def test_corrupted_amount_with_equal_row_counts_is_caught(store_engine, store_url, tmp_path: Path):
    _seed(store_engine)
    con = connect(tmp_path / "w.duckdb")
    land(con, store_url)
    con.execute("update raw.customer set credit_limit = credit_limit + 0.01 where id = 2")
    report = reconcile(con, store_url)
    assert not report.ok
    (failure,) = report.failures
    assert failure.startswith("customer: credit_limit on")
    assert "store 1000.00 vs warehouse 1000.01" in failure


def test_missing_and_substituted_keys_are_caught(store_engine, store_url, tmp_path: Path):
    _seed(store_engine)
    con = connect(tmp_path / "w.duckdb")
    land(con, store_url)
    con.execute("update raw.customer set id = 99 where id = 3")  # same count, wrong key
    report = reconcile(con, store_url)
    assert [c.keys_match for c in report.checks if c.table == "customer"] == [False]
    con.execute("delete from raw.customer where id = 99")
    report = reconcile(con, store_url)
    assert "customer: rows 4 in store vs 3 in warehouse" in report.failures[0]


def test_rows_changed_after_landing_do_not_raise_false_alarms(store_engine, store_url, tmp_path):
    _seed(store_engine)
    con = connect(tmp_path / "w.duckdb")
    land(con, store_url)
    with Session(store_engine) as s:
        c = s.get(Customer, 1)
        c.credit_limit = Decimal("5.00")
        s.add(c)
        s.add(Customer(code="C9", name="new", credit_limit=Decimal("1.00")))
        s.commit()
    report = reconcile(con, store_url)
    assert report.ok, report.failures


def test_the_store_side_read_on_a_thread_while_the_store_changes(store_engine, store_url, tmp_path):
    """What a refresh does: the store read on a thread of its own (StoreScan) from the
    landing's cut-offs, then compared with the warehouse. Rows changed after landing are
    left out on both sides; a corrupted amount is still caught."""
    _seed(store_engine)
    con = connect(tmp_path / "w.duckdb")
    landing = land(con, store_url)
    assert landing.cutoffs == landing_cutoffs(con)
    with Session(store_engine) as s:
        c = s.get(Customer, 1)
        c.credit_limit = Decimal("5.00")
        s.add(c)
        s.commit()
    con.execute("update raw.customer set credit_limit = credit_limit + 0.01 where id = 3")
    scan = StoreScan(store_url, landing.cutoffs)
    try:
        store = scan.result(timeout=120)
    finally:
        scan.cancel()
    assert store.late["customer"] == [1]
    report = compare(con, store)
    check = next(c for c in report.checks if c.table == "customer")
    assert (check.store_rows, check.warehouse_rows, check.keys_match) == (3, 3, True)
    day = con.execute("select cast(created_at as date) from raw.customer where id = 3").fetchone()
    # The day's sum of the customers not changed since landing (2, 3 and 4): 200 + 300 + 400.
    assert report.failures == [
        f"customer: credit_limit on {day[0]}: store 900.00 vs warehouse 900.01"]
