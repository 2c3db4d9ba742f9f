"""Operational stores for the bench: PostgreSQL databases, and orders written through the
domain services (the only write path), as a sales form would."""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

PG_ADMIN_URL = os.environ.get(
    "MIS_BENCH_POSTGRES_URL",
    os.environ.get("MIS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
ACTOR = "bench"


def postgres_reachable() -> str | None:
    """None when the server answers, else the reason."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


def create_pg_database(label: str) -> str:
    name = f"mis_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


@dataclass
class OrderPool:
    """Customers and active products new orders are drawn from."""

    customers: list[int]
    products: list[tuple[int, Decimal]]  # (id, list price)


def order_pool(engine: Engine) -> OrderPool:
    with engine.connect() as conn:
        customers = [r[0] for r in conn.execute(text("select id from customer order by id"))]
        products = [
            (r[0], Decimal(str(r[1])))
            for r in conn.execute(
                text("select id, list_price from product where is_active order by id")
            )
        ]
    if not customers or not products:
        raise RuntimeError("the operational store has no customers or active products: seed it")
    return OrderPool(customers, products)


def order_data(rng: random.Random, pool: OrderPool, today: date) -> dict:
    """A plausible sales form: one customer, 1-3 lines at list price, promised in a week."""
    picked = rng.sample(pool.products, k=rng.randint(1, 3))
    return {
        "customer_id": rng.choice(pool.customers),
        "order_date": today,
        "promised_date": today + timedelta(days=7),
        "lines": [
            {"product_id": pid, "quantity": str(rng.randint(1, 20)), "unit_price": str(price)}
            for pid, price in picked
        ],
    }


def write_order(session: Session, data: dict) -> Decimal:
    """Create and confirm one order through the services; return its net total."""
    from operational import services as svc
    from operational.services.sales import order_lines

    order = svc.create_sales_order(session=session, data=data, actor=ACTOR)
    svc.confirm_order(
        session=session, order_id=order.id, expected_version=order.version, actor=ACTOR
    )
    return sum((line.net_amount for line in order_lines(session, order.id)), Decimal("0.00"))


def place_order(engine: Engine, data: dict) -> Decimal:
    """One order in its own transaction (retried on transient conflicts), committed."""
    from operational.services.tx import run_in_transaction

    return run_in_transaction(engine, lambda s: write_order(s, data))
