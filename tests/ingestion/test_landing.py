"""Landing: incremental, idempotent, deletes propagate, schema drift fails loudly."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ingestion.landing import SchemaDriftError, land
from operational.models import Customer, Employee


def _add_customers(engine: Engine, n: int, start: int = 1) -> None:
    with Session(engine) as s:
        for i in range(start, start + n):
            s.add(Customer(code=f"C{i:04d}", name=f"Customer {i}", credit_limit=Decimal(f"{i}.05")))
        s.commit()


def test_first_run_lands_everything_second_run_lands_nothing(store_engine, store_url, duck):
    _add_customers(store_engine, 3)
    first = land(duck, store_url)
    assert {t.table: t.landed for t in first.tables}["customer"] == 3
    assert first.rows_landed == 3
    second = land(duck, store_url)
    assert second.rows_landed == 0
    assert second.rows_deleted == 0
    rows = duck.execute("select code, credit_limit from raw.customer order by code").fetchall()
    assert rows == [
        ("C0001", Decimal("1.05")),
        ("C0002", Decimal("2.05")),
        ("C0003", Decimal("3.05")),
    ]
    assert duck.execute("select typeof(credit_limit) from raw.customer limit 1").fetchone()[0] == (
        "DECIMAL(18,2)"
    )


def test_update_and_insert_land_once_merged_by_key(store_engine, store_url, duck):
    _add_customers(store_engine, 2)
    land(duck, store_url)
    with Session(store_engine) as s:
        c = s.get(Customer, 1)
        c.name = "Renamed"
        s.add(c)
        s.commit()
    _add_customers(store_engine, 1, start=3)
    report = land(duck, store_url)
    assert {t.table: t.landed for t in report.tables}["customer"] == 2
    rows = duck.execute("select id, name, version from raw.customer order by id").fetchall()
    assert rows == [(1, "Renamed", 2), (2, "Customer 2", 1), (3, "Customer 3", 1)]


def test_deletes_reach_the_warehouse(store_engine, store_url, duck):
    _add_customers(store_engine, 3)
    land(duck, store_url)
    with store_engine.begin() as conn:
        conn.execute(text("delete from customer where id = 2"))
    report = land(duck, store_url)
    assert report.rows_deleted == 1
    assert duck.execute("select id from raw.customer order by id").fetchall() == [(1,), (3,)]


def test_a_delete_lands_even_when_the_row_counts_match(store_engine, store_url, duck):
    """Deletes are looked for when the store's count or key sum differs from the warehouse's:
    a delete hidden behind a row that landing missed (committed later than the overlap) still
    lands, and reconciliation then reports the missed row."""
    from ingestion.reconcile import reconcile

    _add_customers(store_engine, 4)
    land(duck, store_url)
    _add_customers(store_engine, 1, start=5)
    with store_engine.begin() as conn:
        conn.execute(text("update customer set updated_at = :t where id = 5"),
                     {"t": datetime(2020, 1, 1)})
        conn.execute(text("delete from customer where id = 2"))
    report = land(duck, store_url, overlap=timedelta(minutes=10))
    assert report.rows_deleted == 1
    assert duck.execute("select id from raw.customer order by id").fetchall() == [(1,), (3,), (4,)]
    check = next(c for c in reconcile(duck, store_url).checks if c.table == "customer")
    assert (check.store_rows, check.warehouse_rows, check.ok) == (4, 3, False)
    land(duck, store_url, full=True)
    assert duck.execute("select id from raw.customer order by id").fetchall() == [
        (1,), (3,), (4,), (5,)
    ]


def test_an_incremental_landing_reads_only_the_window_from_the_store(store_engine, store_url, duck):
    """The cursor filter runs in the store: a row older than the window is never read, so a
    refresh after a few writes costs a few rows, not the whole table. Shown on SQLite by a
    value that would fail the cast if it were read."""
    if not store_url.startswith("sqlite"):
        pytest.skip("only SQLite can hold a value its column type does not allow")
    _add_customers(store_engine, 3)
    land(duck, store_url)
    with store_engine.begin() as conn:
        conn.execute(text("update customer set credit_limit = 'not money', "
                          "updated_at = :t where id = 1"), {"t": datetime(2020, 1, 1)})
    _add_customers(store_engine, 1, start=4)
    report = land(duck, store_url)
    assert {t.table: t.landed for t in report.tables}["customer"] == 1
    assert duck.execute("select count(*) from raw.customer").fetchone()[0] == 4
    with pytest.raises(duckdb.ConversionException):  # read in full, the row cannot cast
        land(duck, store_url, full=True)


def test_rerunning_the_same_window_three_times_is_identical(store_engine, store_url, duck):
    _add_customers(store_engine, 5)
    land(duck, store_url)
    snapshots = []
    for _ in range(3):
        land(duck, store_url, overlap=timedelta(days=3650))  # re-reads every row each time
        snapshots.append(
            duck.execute(
                "select count(*), sum(credit_limit), sum(hash(id)), sum(version) from raw.customer"
            ).fetchone()
        )
    assert snapshots[0] == snapshots[1] == snapshots[2] == (5, Decimal("15.25"), snapshots[0][2], 5)


def test_row_committed_late_with_an_older_timestamp_lands_next_time(store_engine, store_url, duck):
    """A row whose updated_at is older than the cursor (a late commit) is inside the overlap."""
    _add_customers(store_engine, 2)
    land(duck, store_url)
    cursor = duck.execute(
        "select cursor_at from meta.landing_state where table_name = 'customer'"
    ).fetchone()[0]
    _add_customers(store_engine, 1, start=3)
    # Simulate a transaction that began before the last landing and committed after it.
    older = cursor - timedelta(minutes=2)
    with store_engine.begin() as conn:
        conn.execute(text("update customer set updated_at = :t where id = 3"), {"t": older})
    report = land(duck, store_url, overlap=timedelta(minutes=10))
    assert {t.table: t.landed for t in report.tables}["customer"] == 1
    assert duck.execute("select count(*) from raw.customer").fetchone()[0] == 3


def test_added_column_lands_dropped_column_fails_loudly(store_engine, store_url, duck):
    _add_customers(store_engine, 2)
    land(duck, store_url)
    with store_engine.begin() as conn:
        conn.execute(text("alter table customer add column vip_note varchar(40)"))
        conn.execute(text(
            "update customer set vip_note = 'gold', version = version + 1 where id = 1"))
    land(duck, store_url)
    assert duck.execute("select vip_note from raw.customer where id = 1").fetchone()[0] == "gold"
    with store_engine.begin() as conn:
        conn.execute(text("alter table customer drop column vip_note"))
    before = duck.execute("select count(*), max(version) from raw.customer").fetchone()
    with pytest.raises(SchemaDriftError, match="vip_note"):
        land(duck, store_url)
    # all or nothing: the failed landing changed nothing
    assert duck.execute("select count(*), max(version) from raw.customer").fetchone() == before


def test_failed_landing_keeps_cursor_and_data(store_engine, store_url, duck):
    with Session(store_engine) as s:
        s.add(Employee(code="E1", name="Li", department="sales"))
        s.commit()
    land(duck, store_url)
    state_before = duck.execute("select * from meta.landing_state order by 1").fetchall()
    with store_engine.begin() as conn:
        conn.execute(text("alter table employee rename column email to mail"))
    with pytest.raises(SchemaDriftError, match="email"):
        land(duck, store_url)
    assert duck.execute("select * from meta.landing_state order by 1").fetchall() == state_before


def test_a_row_stamped_in_the_future_does_not_push_the_cursor_ahead(store_engine, store_url, duck):
    from datetime import UTC, datetime

    _add_customers(store_engine, 1)
    with store_engine.begin() as conn:
        conn.execute(
            text("update customer set updated_at = :t where id = 1"),
            {"t": datetime(2099, 1, 1, tzinfo=UTC)},
        )
    land(duck, store_url)
    cursor = duck.execute(
        "select cursor_at from meta.landing_state where table_name = 'customer'"
    ).fetchone()[0]
    assert cursor.year < 2099
    _add_customers(store_engine, 1, start=2)  # a normal write after the landing
    report = land(duck, store_url)
    assert {t.table: t.landed for t in report.tables}["customer"] == 1


def _changed_rows(duck) -> list[tuple]:
    return duck.execute(
        "select table_name, id, json_extract_string(old_row, '$.name') "
        "from meta.changed_rows order by table_name, id nulls first"
    ).fetchall()


def test_each_landing_lists_the_rows_it_changed_with_their_rows_before(
    store_engine, store_url, duck
):
    """meta.changed_rows drives dbt's incremental models (macros/changed_rows.sql): the key of
    every row inserted, replaced or deleted by this landing, with the row as it was before."""
    _add_customers(store_engine, 3)
    land(duck, store_url)
    # a table landed whole is "every row" (a null key); empty tables changed nothing
    assert _changed_rows(duck) == [("customer", None, None)]

    with Session(store_engine) as s:
        c = s.get(Customer, 1)
        c.name = "Renamed"
        s.add(c)
        s.commit()
    _add_customers(store_engine, 1, start=4)
    with store_engine.begin() as conn:
        conn.execute(text("delete from customer where id = 2"))
    land(duck, store_url)
    assert _changed_rows(duck) == [
        ("customer", 1, "Customer 1"),  # replaced: its name before
        ("customer", 2, "Customer 2"),  # deleted
        ("customer", 4, None),  # new: no row before
    ]
    # the next landing lists only its own changes
    land(duck, store_url)
    assert _changed_rows(duck) == []
