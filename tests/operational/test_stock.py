"""The stock ledger: on-hand is the sum of movements and never goes negative."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from operational import services as svc
from operational.errors import NotFound, ValidationFailed
from operational.models import StockMovement

from .conftest import ACTOR, Factory

D = Decimal


def test_ledger_balances(session: Session, make: Factory) -> None:
    p = make.product(standard_cost="6.00")
    svc.receive_stock(
        session=session,
        product_id=p.id,
        quantity="10",
        unit_cost="5.50",
        kind="opening",
        actor=ACTOR,
    )
    svc.receive_stock(
        session=session,
        product_id=p.id,
        quantity="2.5",
        unit_cost="5.75",
        actor=ACTOR,
        reference_type="purchase_order",
        reference_id=7,
    )
    m = svc.adjust_stock(
        session=session,
        product_id=p.id,
        quantity="-1.25",
        actor=ACTOR,
        note="damaged in the warehouse",
    )
    svc.adjust_stock(session=session, product_id=p.id, quantity="1", kind="return", actor=ACTOR)
    session.commit()
    assert m.unit_cost == D("6.00")  # standard cost by default
    moves = session.exec(select(StockMovement).order_by(StockMovement.id)).all()
    assert [(x.kind, x.quantity, x.balance_after) for x in moves] == [
        ("opening", D("10.000"), D("10.000")),
        ("receipt", D("2.500"), D("12.500")),
        ("adjustment", D("-1.250"), D("11.250")),
        ("return", D("1.000"), D("12.250")),
    ]
    on_hand, reserved = svc.stock_on_hand(session=session, product_id=p.id)
    assert on_hand == sum(x.quantity for x in moves) == D("12.250")
    assert reserved == D("0.000")
    assert (
        len(svc.record_history(session=session, table_name="stock_level", record_id=1)) == 5
    )  # create + 4 movements


def test_negative_balance_is_refused(session: Session, make: Factory) -> None:
    p = make.product(stock="2")
    session.commit()
    with pytest.raises(ValidationFailed) as err:
        svc.adjust_stock(session=session, product_id=p.id, quantity="-2.001", actor=ACTOR)
    assert err.value.errors["quantity"].startswith("only 2.000 on hand")
    session.rollback()
    assert svc.stock_on_hand(session=session, product_id=p.id)[0] == D("2.000")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "1.0001"}, "quantity"),
        ({"quantity": "1e10"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": "Infinity"}, "quantity"),
        ({"unit_cost": "-0.01"}, "unit_cost"),
        ({"kind": "shipment"}, "kind"),
        ({"note": "x\x00y"}, "note"),
        ({"actor": "  "}, "actor"),
    ],
)
def test_receive_validation(session: Session, make: Factory, kw: dict, field: str) -> None:
    p = make.product()
    args = {"quantity": "1", "unit_cost": "1.00", "actor": ACTOR} | kw
    with pytest.raises(ValidationFailed) as err:
        svc.receive_stock(session=session, product_id=p.id, **args)
    assert set(err.value.errors) == {field}


def test_unknown_product(session: Session) -> None:
    with pytest.raises(NotFound, match="product 42 does not exist"):
        svc.receive_stock(
            session=session, product_id=42, quantity="1", unit_cost="1.00", actor=ACTOR
        )
