"""Fixtures for the services tests: a session on each backend and small factories."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from operational import change_counters
from operational import services as svc
from operational.db import init_schema, make_engine
from operational.models import Customer, Employee, Product, SalesOrder, Supplier
from tests.conftest import create_pg_database, drop_pg_database, require_postgres

ACTOR = "tester"
D = Decimal


@pytest.fixture(scope="session")
def pg_store() -> Iterator[str]:
    """One migrated PostgreSQL database per test process, emptied before each test.

    Emptying takes ~0.05 s; a new database ~0.5 s and the migrations ~1.2 s more. Each
    test still starts from an empty, migrated store with ids from 1; test_migrations.py
    migrates brand-new databases on both backends.
    """
    require_postgres()
    url = create_pg_database()
    engine = make_engine(url)
    with engine.connect() as conn:  # a throwaway database: no need to wait for the disk
        name = conn.execute(text("select current_database()")).scalar_one()
        conn.execute(text(f'alter database "{name}" set synchronous_commit = off'))
        conn.commit()
    init_schema(engine)
    engine.dispose()
    try:
        yield url
    finally:
        drop_pg_database(url)


def _empty(url: str) -> None:
    # DELETE + sequence restart: ~0.05 s on these tiny tables, where TRUNCATE takes 0.4-1 s.
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name != change_counters.TABLE:  # the counters stay, as in a real store
                conn.execute(table.delete())
        # A test that removed a table's counter leaves it to be installed again.
        counted = {name for name, _ in conn.execute(text(change_counters.signatures_sql(
            "postgres"))).fetchall()}
        missing = [t.name for t in SQLModel.metadata.sorted_tables
                   if "updated_at" in t.c and t.name not in counted]
        if missing:
            change_counters.install(conn, missing)
        seqs = conn.execute(
            text("select sequencename from pg_sequences where schemaname = 'public'")
        ).scalars()
        for seq in list(seqs):
            conn.execute(text(f'alter sequence "{seq}" restart'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (a copy takes ms, migrating ~0.4 s)."""
    path = tmp_path_factory.mktemp("template") / "operational.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    init_schema(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Overrides the shared fixture (same params): an empty, migrated store, made fast."""
    if request.param == "sqlite":
        target = tmp_path / "operational.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("pg_store")
    _empty(url)
    yield url


@pytest.fixture
def session(store_engine: Engine) -> Iterator[Session]:
    with Session(store_engine, expire_on_commit=False) as s:
        yield s


class Factory:
    """Small builders that go through the services (so audit and rules apply)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def employee(self, **kw: Any) -> Employee:
        n = self._next()
        data = {"code": f"E{n:03d}", "name": f"Employee {n}", "department": "sales"} | kw
        return svc.create_employee(session=self.s, data=data, actor=ACTOR)

    def supplier(self, **kw: Any) -> Supplier:
        n = self._next()
        return svc.create_supplier(
            session=self.s, data={"code": f"S{n:03d}", "name": f"Supplier {n}"} | kw, actor=ACTOR
        )

    def customer(self, **kw: Any) -> Customer:
        n = self._next()
        data = {"code": f"C{n:03d}", "name": f"Customer {n}"} | kw
        return svc.create_customer(session=self.s, data=data, actor=ACTOR)

    def product(self, *, stock: str | None = None, **kw: Any) -> Product:
        n = self._next()
        data = {
            "sku": f"SKU-{n:03d}",
            "name": f"Product {n}",
            "category": "widgets",
            "unit": "pcs",
            "list_price": "10.00",
            "standard_cost": "6.00",
            "lead_time_days": 10,
        } | kw
        product = svc.create_product(session=self.s, data=data, actor=ACTOR)
        if stock is not None:
            svc.receive_stock(
                session=self.s,
                product_id=product.id,
                quantity=stock,
                unit_cost=product.standard_cost,
                kind="opening",
                actor=ACTOR,
            )
        return product

    def order(self, customer: Customer, lines: list[dict[str, Any]], **kw: Any) -> SalesOrder:
        data = {"customer_id": customer.id, "order_date": date(2025, 3, 3), "lines": lines} | kw
        return svc.create_sales_order(session=self.s, data=data, actor=ACTOR)

    def confirmed_order(self, customer: Customer, lines: list[dict[str, Any]]) -> SalesOrder:
        order = self.order(customer, lines)
        svc.confirm_order(
            session=self.s, order_id=order.id, expected_version=order.version, actor=ACTOR
        )
        return order


@pytest.fixture
def make(session: Session) -> Factory:
    return Factory(session)
