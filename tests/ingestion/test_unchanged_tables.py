"""Tables whose change counter has not moved are neither landed nor read for reconciliation
again; what is read still lands and reconciles exactly, and a corrupted warehouse is still
caught."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ingestion.landing import land
from ingestion.reconcile import (
    StoreScan,
    StoreSide,
    compare,
    load_store_side,
    read_store_side,
    save_store_side,
)
from operational import change_counters
from operational.models import Customer, Product


def _seed(engine: Engine) -> None:
    with Session(engine) as s:
        for i in range(1, 4):
            s.add(Customer(code=f"C{i}", name=f"C{i}", credit_limit=Decimal("100.00") * i))
            s.add(Product(sku=f"P{i}", name=f"P{i}", category="pipes", unit="m",
                          list_price=Decimal("2.50") * i, standard_cost=Decimal("1.00")))
        s.commit()


def _reprice(engine: Engine, product_id: int, price: str) -> None:
    with Session(engine) as s:
        p = s.get(Product, product_id)
        assert p is not None
        p.list_price = Decimal(price)
        s.add(p)
        s.commit()


def _modes(report) -> dict[str, str]:  # noqa: ANN001
    return {t.table: t.mode for t in report.tables}


def test_only_tables_whose_counter_moved_are_read(store_engine, store_url, duck):
    _seed(store_engine)
    first = land(duck, store_url)
    assert set(_modes(first).values()) == {"full"}
    assert first.signatures.keys() >= {"customer", "product"}

    again = land(duck, store_url)
    assert set(_modes(again).values()) == {"unchanged"}
    assert again.rows_landed == 0 and again.cutoffs == first.cutoffs

    _reprice(store_engine, 2, "9.99")
    third = land(duck, store_url)
    modes = _modes(third)
    assert modes.pop("product") == "incremental"
    assert set(modes.values()) == {"unchanged"}
    assert {t.table: t.landed for t in third.tables}["product"] == 1
    assert duck.execute("select list_price from raw.product where id = 2").fetchone() == (
        Decimal("9.99"),)


def test_a_table_without_its_counter_is_read_every_time(store_engine, store_url, duck):
    _seed(store_engine)
    with store_engine.begin() as conn:
        change_counters.uninstall(conn, ["customer"])
    first = land(duck, store_url)
    assert "customer" not in first.signatures
    _reprice(store_engine, 1, "7.00")
    with Session(store_engine) as s:  # a customer changes while nothing counts its writes
        c = s.get(Customer, 3)
        assert c is not None
        c.credit_limit = Decimal("1.00")
        s.add(c)
        s.commit()
    modes = _modes(land(duck, store_url))
    assert (modes["customer"], modes["product"], modes["supplier"]) == (
        "incremental", "incremental", "unchanged")
    assert duck.execute("select credit_limit from raw.customer where id = 3").fetchone() == (
        Decimal("1.00"),)


def test_the_store_side_kept_round_trips(store_engine, store_url, duck):
    _seed(store_engine)
    landing = land(duck, store_url)
    side = read_store_side(store_url, landing.cutoffs)
    save_store_side(duck, side)
    kept = load_store_side(duck)
    assert isinstance(kept, StoreSide)
    read = set(side.days) | set(side.rows)
    assert kept.signatures == {t: v for t, v in side.signatures.items() if t in read}
    assert len(kept.signatures) == len(read)  # every landed table has a counter
    assert kept.cutoffs == {t: side.cutoffs[t] for t in read}
    assert kept.days == {t: d for t, d in side.days.items() if t in side.signatures}
    assert kept.late == {t: k for t, k in side.late.items() if t in side.signatures}
    assert kept.rows == {t: n for t, n in side.rows.items() if t in side.signatures}
    assert kept.days["product"]  # money per day, as Decimals
    assert all(isinstance(v[2], Decimal) for v in kept.days["product"].values())


def test_reconciliation_reads_again_only_what_changed_and_still_catches_corruption(
    store_engine, store_url, duck
):
    _seed(store_engine)
    landing = land(duck, store_url)
    side = read_store_side(store_url, landing.cutoffs)
    assert side.reused == [] and compare(duck, side).ok
    save_store_side(duck, side)

    _reprice(store_engine, 3, "0.10")
    landing = land(duck, store_url)
    scan = StoreScan(store_url, landing.cutoffs, load_store_side(duck))
    try:
        store = scan.result(timeout=120)
    finally:
        scan.cancel()
    assert "product" not in store.reused
    assert {"customer", "supplier", "sales_order"} <= set(store.reused)
    report = compare(duck, store)
    assert report.ok, report.failures
    assert "customer" in report.store_reused

    # The customers' store side was kept, not read: a corrupted warehouse row is still caught.
    duck.execute("update raw.customer set credit_limit = credit_limit + 0.01 where id = 2")
    report = compare(duck, store)
    assert [f.split(" on ")[0] for f in report.failures] == ["customer: credit_limit"]

    # A full read (no kept side) agrees with the kept one on every table.
    fresh = read_store_side(store_url, landing.cutoffs)
    assert (fresh.days, fresh.late, fresh.rows) == (store.days, store.late, store.rows)
