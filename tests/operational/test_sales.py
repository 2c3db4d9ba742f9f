"""Sales orders: amounts, confirmation (reserve or suggest), discounts, shipping, delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from operational import services as svc
from operational.errors import (
    ApprovalRequired,
    IllegalTransition,
    StaleEdit,
    ValidationFailed,
)
from operational.models import (
    ApprovalRequest,
    ReplenishmentSuggestion,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
    StockMovement,
)

from .conftest import ACTOR, Factory

D = Decimal
T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def _lines(session: Session, order: SalesOrder) -> list[SalesOrderLine]:
    return list(
        session.exec(
            select(SalesOrderLine)
            .where(SalesOrderLine.sales_order_id == order.id)
            .order_by(SalesOrderLine.line_no)
        ).all()
    )


def _level(session: Session, product_id: int) -> StockLevel:
    session.expire_all()
    return session.exec(select(StockLevel).where(StockLevel.product_id == product_id)).one()


def test_line_net_amounts_round_half_up_per_line(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product()
    order = make.order(
        c,
        [
            {"product_id": p.id, "quantity": "3", "unit_price": "19.99", "discount": "0.125"},
            {"product_id": p.id, "quantity": "1", "unit_price": "0.05", "discount": "0.5"},
            {"product_id": p.id, "quantity": "2.5", "unit_price": "3.33"},
        ],
    )
    session.commit()
    lines = _lines(session, order)
    # 3 x 19.99 x 0.875 = 52.47375 -> 52.47; 0.025 -> 0.03 (half-up); 8.325 -> 8.33
    assert [ln.net_amount for ln in lines] == [D("52.47"), D("0.03"), D("8.33")]
    assert [ln.line_no for ln in lines] == [1, 2, 3]
    assert order.status == "draft"
    assert order.order_no.startswith("SO-")
    assert len(order.order_no) == len("SO-20250303-ABCDEF")


def test_order_validation_reports_line_fields(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product()
    with pytest.raises(ValidationFailed) as err:
        make.order(
            c,
            [
                {"product_id": p.id, "quantity": "0", "unit_price": "1.00"},
                {"product_id": 999, "quantity": "1", "unit_price": "1.00", "discount": "1.5"},
            ],
        )
    assert set(err.value.errors) == {"lines.0.quantity", "lines.1.discount"}
    with pytest.raises(ValidationFailed) as err:
        make.order(c, [{"product_id": 999, "quantity": "1", "unit_price": "1.00"}])
    assert err.value.errors == {"lines.0.product_id": "no product with id 999"}
    with pytest.raises(ValidationFailed) as err:
        make.order(
            c,
            [{"product_id": p.id, "quantity": "1", "unit_price": "1"}],
            promised_date=date(2025, 3, 1),
        )
    assert err.value.errors == {"promised_date": "must not be before order_date"}
    with pytest.raises(ValidationFailed) as err:
        make.order(c, [])
    assert set(err.value.errors) == {"lines"}
    assert session.exec(select(SalesOrder)).all() == []


def test_confirm_with_enough_stock_reserves(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="10")
    order = make.order(
        c,
        [{"product_id": p.id, "quantity": "4", "unit_price": "10.00"}],
        promised_date=date(2025, 3, 10),
    )
    result = svc.confirm_order(
        session=session, order_id=order.id, expected_version=1, actor="alice"
    )
    session.commit()
    assert result.fully_reserved
    assert result.order.status == "confirmed"
    assert result.order.version == 2
    assert result.order.estimated_delivery_date == date(2025, 3, 10)
    assert _lines(session, order)[0].reserved_quantity == D("4.000")
    level = _level(session, p.id)
    assert (level.on_hand, level.reserved) == (D("10.000"), D("4.000"))
    actions = [
        h.action
        for h in svc.record_history(session=session, table_name="sales_order", record_id=order.id)
    ]
    assert actions == ["create", "confirm"]


def test_confirm_with_shortfall_suggests_replenishment(session: Session, make: Factory) -> None:
    s = make.supplier()
    c = make.customer()
    p1 = make.product(stock="3", lead_time_days=10, supplier_id=s.id)
    p2 = make.product(stock="5", lead_time_days=20)
    order = make.order(
        c,
        [
            {"product_id": p1.id, "quantity": "5", "unit_price": "10.00"},
            {"product_id": p2.id, "quantity": "2", "unit_price": "10.00"},
        ],
    )
    result = svc.confirm_order(
        session=session, order_id=order.id, expected_version=1, actor=ACTOR, today=date(2025, 3, 3)
    )
    session.commit()
    assert not result.fully_reserved
    lines = _lines(session, order)
    assert [ln.reserved_quantity for ln in lines] == [D("3.000"), D("2.000")]
    [sug] = session.exec(select(ReplenishmentSuggestion)).all()
    assert sug.product_id == p1.id
    assert sug.supplier_id == s.id
    assert sug.sales_order_line_id == lines[0].id
    assert sug.quantity == D("2.000")
    assert sug.estimated_available_date == date(2025, 3, 13)
    assert sug.status == "open"
    assert result.order.estimated_delivery_date == date(2025, 3, 13)
    assert _level(session, p1.id).reserved == D("3.000")


def test_second_order_only_gets_unreserved_stock(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="10", lead_time_days=5)
    make.confirmed_order(c, [{"product_id": p.id, "quantity": "8", "unit_price": "1.00"}])
    o2 = make.order(c, [{"product_id": p.id, "quantity": "5", "unit_price": "1.00"}])
    result = svc.confirm_order(
        session=session, order_id=o2.id, expected_version=1, actor=ACTOR, today=date(2025, 1, 1)
    )
    assert list(result.reserved.values()) == [D("2.000")]
    assert result.suggestions[0].quantity == D("3.000")
    assert result.order.estimated_delivery_date == date(2025, 1, 6)
    assert _level(session, p.id).reserved == D("10.000")


def test_discount_above_threshold_needs_approval(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="10")
    boss, clerk = make.employee(), make.employee()
    order = make.order(
        c, [{"product_id": p.id, "quantity": "1", "unit_price": "100.00", "discount": "0.2"}]
    )
    session.commit()
    with pytest.raises(ApprovalRequired, match="20.00% discount, above the 15.00% threshold"):
        svc.confirm_order(session=session, order_id=order.id, expected_version=1, actor=ACTOR)
    session.rollback()
    assert session.get(SalesOrder, order.id).status == "draft"
    assert _level(session, p.id).reserved == D("0.000")

    req = svc.create_approval_request(
        session=session,
        data={
            "kind": "discount",
            "requester_id": clerk.id,
            "approver_id": boss.id,
            "subject": "20% for a loyal customer",
            "reference_type": "sales_order",
            "reference_id": order.id,
        },
        actor=ACTOR,
    )
    svc.submit_approval(
        session=session, request_id=req.id, expected_version=req.version, actor=ACTOR
    )
    with pytest.raises(ApprovalRequired):  # submitted is not approved
        svc.confirm_order(session=session, order_id=order.id, expected_version=1, actor=ACTOR)
    svc.approve_request(
        session=session, request_id=req.id, expected_version=req.version, actor="boss"
    )
    result = svc.confirm_order(session=session, order_id=order.id, expected_version=1, actor=ACTOR)
    assert result.order.status == "confirmed"
    assert session.get(ApprovalRequest, req.id).decided_at is not None


def test_discount_at_threshold_needs_no_approval(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="10")
    order = make.order(
        c, [{"product_id": p.id, "quantity": "1", "unit_price": "100.00", "discount": "0.15"}]
    )
    result = svc.confirm_order(session=session, order_id=order.id, expected_version=1, actor=ACTOR)
    assert result.order.status == "confirmed"


def test_confirm_twice_is_illegal_and_stale_version_refused(
    session: Session, make: Factory
) -> None:
    c, p = make.customer(), make.product(stock="10")
    order = make.order(c, [{"product_id": p.id, "quantity": "1", "unit_price": "1.00"}])
    with pytest.raises(StaleEdit):
        svc.confirm_order(session=session, order_id=order.id, expected_version=7, actor=ACTOR)
    svc.confirm_order(session=session, order_id=order.id, expected_version=1, actor=ACTOR)
    with pytest.raises(IllegalTransition, match="from 'confirmed' to 'confirmed'"):
        svc.confirm_order(session=session, order_id=order.id, expected_version=2, actor=ACTOR)
    assert _level(session, p.id).reserved == D("1.000")


def test_ship_partial_then_rest_then_deliver(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="10", standard_cost="6.00")
    order = make.confirmed_order(c, [{"product_id": p.id, "quantity": "6", "unit_price": "9.00"}])
    line = _lines(session, order)[0]
    d1 = svc.record_delivery(
        session=session, order_line_id=line.id, quantity="4", actor="wh", shipped_at=T0
    )
    session.commit()
    session.refresh(order)
    assert order.status == "confirmed"
    level = _level(session, p.id)
    assert (level.on_hand, level.reserved) == (D("6.000"), D("2.000"))
    d2 = svc.record_delivery(
        session=session,
        order_line_id=line.id,
        quantity="2",
        actor="wh",
        shipped_at=T0 + timedelta(hours=1),
    )
    session.commit()
    session.refresh(order)
    assert order.status == "shipped"
    level = _level(session, p.id)
    assert (level.on_hand, level.reserved) == (D("4.000"), D("0.000"))
    moves = session.exec(
        select(StockMovement).where(StockMovement.kind == "shipment").order_by(StockMovement.id)
    ).all()
    assert [(m.quantity, m.balance_after, m.unit_cost) for m in moves] == [
        (D("-4.000"), D("6.000"), D("6.00")),
        (D("-2.000"), D("4.000"), D("6.00")),
    ]
    assert moves[0].reference_type == "delivery"
    assert moves[0].reference_id == d1.id

    svc.mark_delivered(
        session=session, delivery_id=d1.id, delivered_at=T0 + timedelta(days=1), actor="wh"
    )
    session.refresh(order)
    assert order.status == "shipped"
    svc.mark_delivered(
        session=session, delivery_id=d2.id, delivered_at=T0 + timedelta(days=1), actor="wh"
    )
    session.commit()
    session.refresh(order)
    assert order.status == "delivered"
    with pytest.raises(ValidationFailed, match="already delivered"):
        svc.mark_delivered(session=session, delivery_id=d2.id, delivered_at=T0, actor="wh")


def test_never_ships_more_than_ordered_or_on_hand(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="3")
    order = make.confirmed_order(c, [{"product_id": p.id, "quantity": "5", "unit_price": "1.00"}])
    session.commit()
    line = _lines(session, order)[0]
    with pytest.raises(ValidationFailed) as err:
        svc.record_delivery(session=session, order_line_id=line.id, quantity="6", actor="wh")
    assert err.value.errors["quantity"].startswith("only 5.000 left to ship")
    with pytest.raises(ValidationFailed) as err:
        svc.record_delivery(session=session, order_line_id=line.id, quantity="4", actor="wh")
    assert err.value.errors["quantity"].startswith("only 3.000 can ship now")
    session.rollback()
    assert _level(session, p.id).on_hand == D("3.000")
    assert len(session.exec(select(StockMovement)).all()) == 1  # the opening only


def test_cannot_take_stock_reserved_for_another_order(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="5")
    make.confirmed_order(c, [{"product_id": p.id, "quantity": "4", "unit_price": "1.00"}])
    o2 = make.confirmed_order(c, [{"product_id": p.id, "quantity": "3", "unit_price": "1.00"}])
    line2 = _lines(session, o2)[0]
    assert line2.reserved_quantity == D("1.000")
    with pytest.raises(ValidationFailed, match="4.000 reserved for other orders"):
        svc.record_delivery(session=session, order_line_id=line2.id, quantity="2", actor="wh")
    svc.record_delivery(session=session, order_line_id=line2.id, quantity="1", actor="wh")
    level = _level(session, p.id)
    assert (level.on_hand, level.reserved) == (D("4.000"), D("4.000"))


def test_draft_order_does_not_ship(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="5")
    order = make.order(c, [{"product_id": p.id, "quantity": "1", "unit_price": "1.00"}])
    with pytest.raises(IllegalTransition, match="from 'draft' to 'shipped'"):
        svc.record_delivery(
            session=session, order_line_id=_lines(session, order)[0].id, quantity="1", actor="wh"
        )


def test_delivered_at_with_shipment_completes_order(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="5")
    order = make.confirmed_order(c, [{"product_id": p.id, "quantity": "2", "unit_price": "1.00"}])
    line = _lines(session, order)[0]
    with pytest.raises(ValidationFailed, match="must not be before shipped_at"):
        svc.record_delivery(
            session=session,
            order_line_id=line.id,
            quantity="2",
            actor="wh",
            shipped_at=T0,
            delivered_at=T0 - timedelta(minutes=1),
        )
    svc.record_delivery(
        session=session,
        order_line_id=line.id,
        quantity="2",
        actor="wh",
        shipped_at=T0,
        delivered_at=T0 + timedelta(hours=5),
    )
    session.refresh(order)
    assert order.status == "delivered"


def test_cancel_releases_reservations(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="2")
    order = make.confirmed_order(c, [{"product_id": p.id, "quantity": "5", "unit_price": "1.00"}])
    session.refresh(order)
    svc.cancel_order(
        session=session,
        order_id=order.id,
        expected_version=order.version,
        actor=ACTOR,
        reason="customer changed mind",
    )
    session.commit()
    session.refresh(order)
    assert order.status == "cancelled"
    assert order.cancelled_at is not None
    assert order.notes == "Cancelled: customer changed mind"
    assert _level(session, p.id).reserved == D("0.000")
    assert _lines(session, order)[0].reserved_quantity == D("0.000")
    assert session.exec(select(ReplenishmentSuggestion.status)).all() == ["closed"]


def test_cannot_cancel_after_shipping(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product(stock="5")
    order = make.confirmed_order(
        c,
        [
            {"product_id": p.id, "quantity": "2", "unit_price": "1.00"},
            {"product_id": p.id, "quantity": "2", "unit_price": "1.00"},
        ],
    )
    lines = _lines(session, order)
    svc.record_delivery(session=session, order_line_id=lines[0].id, quantity="1", actor="wh")
    session.refresh(order)
    with pytest.raises(ValidationFailed, match="already shipped in part"):
        svc.cancel_order(
            session=session, order_id=order.id, expected_version=order.version, actor=ACTOR
        )
    for ln, q in ((lines[0], "1"), (lines[1], "2")):
        svc.record_delivery(session=session, order_line_id=ln.id, quantity=q, actor="wh")
    session.refresh(order)
    assert order.status == "shipped"
    with pytest.raises(IllegalTransition, match="from 'shipped' to 'cancelled'"):
        svc.cancel_order(
            session=session, order_id=order.id, expected_version=order.version, actor=ACTOR
        )
