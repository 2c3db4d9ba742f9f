"""The whole system on each backend: seed → refresh → a new order through the services →
refresh → `mis kpi` order intake rises by exactly that order's net amount."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from mis_cli.main import app
from operational.db import make_engine
from operational.models import Customer, Product, StockLevel
from operational.schemas import SalesOrderCreate, SalesOrderLineCreate
from operational.services import confirm_order, create_sales_order

runner = CliRunner()


def mis(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def kpis(date_from: str, date_to: str) -> dict:
    return json.loads(mis("kpi", "--json", "--from", date_from, "--to", date_to))


@pytest.mark.slow
def test_order_through_services_shows_up_in_kpis(store_url, mis_home, monkeypatch):
    monkeypatch.setenv("MIS_DATABASE_URL", store_url)
    from operational.settings import get_settings

    get_settings.cache_clear()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    mis("seed", "--scale", "small")
    out = mis("refresh", "--no-prefect")
    assert "refresh ok" in out
    month_start = today.replace(day=1).isoformat()
    before = kpis(month_start, today.isoformat())
    assert set(before["kpis"]) == {
        "order_intake", "turnover", "on_time_delivery_rate", "gross_margin_rate",
        "avg_customer_ltv", "active_customers",
    }
    assert before["period"] == {"from": month_start, "to": today.isoformat()}

    engine = make_engine(store_url)
    with Session(engine) as session:
        customer = session.exec(select(Customer).order_by(Customer.id)).first()
        # a product with stock on hand, so confirmation reserves it
        product = session.exec(
            select(Product).join(StockLevel, StockLevel.product_id == Product.id)
            .where(Product.is_active)
            .order_by(Product.id)
        ).first()
        order = create_sales_order(
            session=session,
            actor="e2e",
            data=SalesOrderCreate(
                customer_id=customer.id,
                order_date=today,
                promised_date=today,
                lines=[
                    SalesOrderLineCreate(
                        product_id=product.id, quantity=Decimal("3.000"),
                        unit_price=Decimal("123.45"), discount=Decimal("0.0500"),
                    ),
                    SalesOrderLineCreate(
                        product_id=product.id, quantity=Decimal("1.500"),
                        unit_price=Decimal("19.99"), discount=Decimal("0"),
                    ),
                ],
            ),
        )
        confirm_order(session=session, order_id=order.id, expected_version=order.version,
                      actor="e2e")
        session.commit()
    engine.dispose()
    # 3 × 123.45 × 0.95 = 351.8325 → 351.83 ; 1.5 × 19.99 = 29.985 → 29.99 (half-up per line)
    expected = Decimal("351.83") + Decimal("29.99")

    out = mis("refresh", "--no-prefect")
    assert "refresh ok" in out
    after = kpis(month_start, today.isoformat())
    rise = (Decimal(str(after["kpis"]["order_intake"]))
            - Decimal(str(before["kpis"]["order_intake"])))
    assert rise == expected
    assert after["as_of"] >= before["as_of"]
