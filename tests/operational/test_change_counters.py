"""The store's change counters: every write moves its table's counter, with the data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ingestion.catalog import landed_tables
from operational import change_counters, demo
from operational.db import make_engine
from operational.importer import import_file
from operational.importer.store import _may_skip_fk_triggers
from operational.models import Customer, Product


def _signatures(engine: Engine) -> dict[str, int]:
    backend = "sqlite" if engine.dialect.name == "sqlite" else "postgres"
    with engine.connect() as conn:
        rows = conn.execute(text(change_counters.signatures_sql(backend))).fetchall()
    return {table: int(signature) for table, signature in rows}


def _moved(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in before if after.get(t) != before[t]}


def test_every_landed_table_has_a_counter(store_engine: Engine) -> None:
    signatures = _signatures(store_engine)
    assert {s.name for s in landed_tables()} <= set(signatures)
    assert all(v >= change_counters.BASE_MIN for v in signatures.values())


def test_a_commit_moves_its_tables_counters_and_a_rollback_none(store_engine: Engine) -> None:
    before = _signatures(store_engine)
    with Session(store_engine) as s:
        s.add(Customer(code="C1", name="One", credit_limit=Decimal("10.00")))
        s.add(Customer(code="C2", name="Two", credit_limit=Decimal("20.00")))
        s.commit()
    moved = _moved(before, _signatures(store_engine))
    assert set(moved) == {"customer"} and moved["customer"] >= 1

    before = _signatures(store_engine)
    with Session(store_engine) as s:
        s.add(Product(sku="P1", name="Pipe", category="pipes", unit="m", list_price=Decimal("1.00"),
                      standard_cost=Decimal("0.50")))
        c = s.get(Customer, 1)
        assert c is not None
        c.name = "Renamed"
        s.add(c)
        s.flush()
        s.rollback()
    assert _signatures(store_engine) == before

    with store_engine.begin() as conn:  # hand-written SQL counts as well
        conn.execute(text("delete from customer where code = 'C2'"))
    assert set(_moved(before, _signatures(store_engine))) == {"customer"}


def test_a_table_without_its_triggers_has_no_signature(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        change_counters.uninstall(conn, ["customer"])
    signatures = _signatures(store_engine)
    assert "customer" not in signatures and "product" in signatures
    with store_engine.begin() as conn:  # installed again: a new base, never the old signature
        change_counters.install(conn, ["customer"])
    again = _signatures(store_engine)
    assert again["customer"] >= change_counters.BASE_MIN
    assert again["product"] == signatures["product"]


def test_emptied_counters_give_no_signature(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        conn.execute(text("delete from store_change where table_name = 'customer'"))
    with Session(store_engine) as s:  # counts from nothing now: still not trusted
        s.add(Customer(code="C1", name="One"))
        s.commit()
    assert "customer" not in _signatures(store_engine)


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)  # SQLite has one writer
def test_postgres_writers_do_not_wait_on_a_counter_and_compaction_keeps_the_sums(
    store_url: str,
) -> None:
    engine = make_engine(store_url)
    try:
        with engine.begin() as conn:  # what emptying the store before this test left
            change_counters.compact(conn)
        before = _signatures(engine)
        first = Session(engine)
        first.add(Customer(code="A", name="A"))
        first.flush()  # inserted, its trigger fired, not committed
        # A second writer of the same table, while the first is still open, does not wait.
        with engine.begin() as second:
            second.execute(text("set local lock_timeout = '2s'"))
            second.execute(text("update customer set name = 'x' where code = 'none'"))
            second.execute(text("update customer set name = 'y' where code = 'none'"))
        assert _moved(before, _signatures(engine)) == {"customer": 1}  # once per transaction
        first.commit()
        first.close()
        counted = _signatures(engine)
        assert _moved(before, counted) == {"customer": 2}
        with engine.begin() as conn:
            assert change_counters.compact(conn) == 2
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from store_change where txid <> 0")
                                ).scalar_one() == 0
        assert _signatures(engine) == counted
    finally:
        engine.dispose()


def test_bulk_loads_move_the_counters_of_what_they_wrote(
    store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo seed and the importer write without a trigger per row (SQLite: the triggers
    set aside for the load; PostgreSQL: COPY with the foreign-key triggers off) and still
    leave every table they wrote with a counter that has moved, and triggers in place."""
    before = _signatures(store_engine)
    path = tmp_path / "customers.csv"
    path.write_text("customer_code,name\nC1,First\nC2,Second\n", encoding="utf-8")
    assert import_file(engine=store_engine, entity="customers", path=path).imported == 2
    after_import = _signatures(store_engine)
    assert set(after_import) == set(before)  # no counter lost its triggers
    assert "customer" in _moved(before, after_import)
    if store_engine.dialect.name == "postgresql":  # the fast COPY is kept
        with store_engine.connect() as conn:
            assert _may_skip_fk_triggers(conn, "customer")

    with store_engine.begin() as conn:
        conn.execute(text("delete from audit_log"))
        conn.execute(text("delete from customer"))
    before = _signatures(store_engine)
    monkeypatch.setitem(demo.SCALES, "tiny", demo.Scale(400, 40, 40, 20, 10, 10, 20))
    counts = demo.generate(engine=store_engine, scale="tiny", seed=7, today=date(2026, 5, 1))
    after_seed = _signatures(store_engine)
    assert set(after_seed) == set(before)
    written = {t for t, n in counts.items() if n and t in before}
    assert written and written <= set(_moved(before, after_seed))
