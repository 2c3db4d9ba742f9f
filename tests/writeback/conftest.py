"""A store with the few master rows the write-back's findings point at (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from operational import services as svc
from operational.db import session_scope

ACTOR = "tester"


@pytest.fixture
def store(store_engine: Engine) -> dict[str, int]:
    with session_scope(store_engine) as s:
        ids = {
            code: svc.create_employee(
                session=s, data={"code": code, "name": code, "department": dept}, actor=ACTOR
            ).id
            for code, dept in (("E001", "management"), ("E002", "sales"), ("E003", "purchasing"))
        }
        ids["supplier"] = svc.create_supplier(
            session=s, data={"code": "S1", "name": "Cement Works"}, actor=ACTOR
        ).id
        ids["product"] = svc.create_product(session=s, actor=ACTOR, data={
            "sku": "CEM-1", "name": "Cement", "category": "cement", "unit": "bag",
            "list_price": "10.00", "standard_cost": "5.00", "reorder_point": "100",
            "lead_time_days": 10, "supplier_id": ids["supplier"],
        }).id
        ids["customer"] = svc.create_customer(
            session=s, data={"code": "C1", "name": "Acme"}, actor=ACTOR
        ).id
    return ids
