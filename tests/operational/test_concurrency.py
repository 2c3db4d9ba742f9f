"""Concurrent writers on PostgreSQL: no lost updates, no duplicates, stock never negative.

``MIS_CONCURRENCY_SECONDS`` (default 3) and ``MIS_CONCURRENCY_WRITERS`` (default 20) set
the run; the figures are printed (``pytest -s``) and kept in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, select

from operational import services as svc
from operational.db import make_engine
from operational.errors import IllegalTransition, StaleEdit, ValidationFailed
from operational.models import (
    AuditLog,
    Customer,
    Delivery,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
    StockMovement,
)
from operational.services.tx import run_in_transaction

SECONDS = float(os.environ.get("MIS_CONCURRENCY_SECONDS", "3"))
WRITERS = int(os.environ.get("MIS_CONCURRENCY_WRITERS", "20"))
D = Decimal


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_concurrent_writers(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        _run(engine)
    finally:
        engine.dispose()


def _setup(engine) -> tuple[int, int, list[int]]:  # noqa: ANN001
    with Session(engine, expire_on_commit=False) as s:
        cust = svc.create_customer(session=s, data={"code": "HOT", "name": "Hot"}, actor="setup")
        prod = svc.create_product(
            session=s,
            data={
                "sku": "LAST-UNITS",
                "name": "p",
                "category": "x",
                "unit": "pcs",
                "list_price": "10.00",
                "standard_cost": "4.00",
                "lead_time_days": 5,
            },
            actor="setup",
        )
        line_ids = []
        # Demand scales with the run so longer runs still fight over the last units.
        for _ in range(max(120, int(40 * SECONDS))):  # 2 units each against 30 on hand
            order = svc.create_sales_order(
                session=s,
                actor="setup",
                data={
                    "customer_id": cust.id,
                    "order_date": date(2025, 3, 3),
                    "lines": [{"product_id": prod.id, "quantity": "2", "unit_price": "10.00"}],
                },
            )
            svc.confirm_order(session=s, order_id=order.id, expected_version=1, actor="setup")
            line_ids.append(
                s.exec(
                    select(SalesOrderLine.id).where(SalesOrderLine.sales_order_id == order.id)
                ).one()
            )
        # Stock arrives after the orders were confirmed, so none of it is reserved: every
        # writer competes for the same last units.
        svc.receive_stock(
            session=s,
            product_id=prod.id,
            quantity="30",
            unit_cost="4.00",
            kind="opening",
            actor="setup",
        )
        s.commit()
        return cust.id, prod.id, line_ids


def _run(engine) -> None:  # noqa: ANN001
    customer_id, product_id, line_ids = _setup(engine)
    stats: Counter[str] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []
    stop_at = time.monotonic() + SECONDS

    def count(key: str, n: int = 1) -> None:
        with lock:
            stats[key] += n

    def on_retry(_attempt: int, _exc: BaseException) -> None:
        count("retries")

    def ship(s: Session, line_id: int, actor: str) -> None:
        svc.record_delivery(session=s, order_line_id=line_id, quantity="1", actor=actor)

    def bump(s: Session, actor: str) -> None:
        c = s.get(Customer, customer_id)
        svc.update_customer(
            session=s,
            customer_id=customer_id,
            actor=actor,
            data={"credit_limit": c.credit_limit + 1},
            expected_version=c.version,
        )

    def receive(s: Session, actor: str) -> None:
        svc.receive_stock(
            session=s, product_id=product_id, quantity="1", unit_cost="4.00", actor=actor
        )

    def writer(n: int) -> None:
        rng = random.Random(n)
        actor = f"writer-{n}"
        try:
            while time.monotonic() < stop_at:
                op = rng.random()
                try:
                    if op < 0.65:
                        run_in_transaction(
                            engine,
                            lambda s: ship(s, rng.choice(line_ids), actor),
                            attempts=8,
                            on_retry=on_retry,
                        )
                        count("shipped")
                    elif op < 0.92:
                        run_in_transaction(
                            engine, lambda s: bump(s, actor), attempts=8, on_retry=on_retry
                        )
                        count("bumps")
                    else:
                        run_in_transaction(
                            engine, lambda s: receive(s, actor), attempts=8, on_retry=on_retry
                        )
                        count("received")
                except (ValidationFailed, IllegalTransition):
                    count("refused")  # no free stock, line done, order already shipped
                except StaleEdit:
                    count("stale_refused")  # read an old version: refused, not overwritten
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert errors == [], errors[:3]

    with Session(engine) as s:
        moves = s.exec(
            select(StockMovement)
            .where(StockMovement.product_id == product_id)
            .order_by(StockMovement.id)
        ).all()
        level = s.exec(select(StockLevel).where(StockLevel.product_id == product_id)).one()
        lines = s.exec(select(SalesOrderLine)).all()
        deliveries = s.exec(select(Delivery)).all()
        customer = s.get(Customer, customer_id)
        customer_audits = len(
            s.exec(
                select(AuditLog).where(
                    AuditLog.table_name == "customer", AuditLog.record_id == customer_id
                )
            ).all()
        )
        shipped_orders = len(s.exec(select(SalesOrder).where(SalesOrder.status == "shipped")).all())

        # The ledger replays: each balance_after is the running sum, never below zero.
        running = D(0)
        for m in moves:
            running += m.quantity
            assert m.balance_after == running, m.id
            assert m.balance_after >= 0
        assert level.on_hand == running == sum(m.quantity for m in moves)
        assert level.on_hand == D(30) + stats["received"] - stats["shipped"]
        # No lost or duplicate shipments.
        assert len(deliveries) == stats["shipped"]
        assert len({d.delivery_no for d in deliveries}) == len(deliveries)
        per_line = Counter()
        for d in deliveries:
            per_line[d.sales_order_line_id] += d.quantity
        for ln in lines:
            assert ln.shipped_quantity == per_line.get(ln.id, 0)
            assert ln.shipped_quantity <= ln.quantity
        assert level.reserved == sum(ln.reserved_quantity for ln in lines)
        assert shipped_orders == sum(ln.shipped_quantity == ln.quantity for ln in lines)
        # No lost updates on the hot customer row.
        assert customer.credit_limit == D(stats["bumps"])
        assert customer.version == 1 + stats["bumps"]
        assert customer_audits == 1 + stats["bumps"]

    figures = {
        "seconds": round(elapsed, 1),
        "writers": WRITERS,
        **dict(stats),
        "commits": stats["shipped"] + stats["bumps"] + stats["received"],
        "commits_per_second": round(
            (stats["shipped"] + stats["bumps"] + stats["received"]) / elapsed, 1
        ),
        "movements": len(moves),
        "final_on_hand": str(level.on_hand),
        "min_balance_after": str(min(m.balance_after for m in moves)),
        "ledger_points_at_zero": sum(m.balance_after == 0 for m in moves),
        "orders": len(line_ids),
        "orders_fully_shipped": shipped_orders,
        "lost_updates": 0,
        "duplicates": 0,
    }
    print("\nconcurrency figures:", json.dumps(figures))
    out = Path("test-artifacts")
    out.mkdir(exist_ok=True)
    (out / f"concurrency-{int(SECONDS)}s.json").write_text(json.dumps(figures, indent=2))
    assert stats["shipped"] > 0 and stats["bumps"] > 0
