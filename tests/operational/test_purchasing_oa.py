"""Purchasing (approve before pay, goods receipt) and OA tasks raised by rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from operational import services as svc
from operational.errors import ApprovalRequired, IllegalTransition, NotFound, ValidationFailed
from operational.models import ReplenishmentSuggestion, StockMovement, Task

from .conftest import ACTOR, Factory

D = Decimal


def test_purchase_receive_and_pay_after_approval(session: Session, make: Factory) -> None:
    sup, buyer, boss = make.supplier(), make.employee(), make.employee()
    p = make.product(supplier_id=sup.id, lead_time_days=3)
    c = make.customer()
    make.confirmed_order(c, [{"product_id": p.id, "quantity": "4", "unit_price": "10.00"}])
    [sug] = session.exec(select(ReplenishmentSuggestion)).all()
    po = svc.create_purchase_order(
        session=session,
        data={
            "supplier_id": sup.id,
            "order_date": date(2025, 3, 3),
            "buyer_id": buyer.id,
            "lines": [
                {"product_id": p.id, "quantity": "10", "unit_cost": "5.55"},
                {"product_id": p.id, "quantity": "1.5", "unit_cost": "3.33"},
            ],
        },
        actor=ACTOR,
        suggestion_ids=(sug.id,),
    )
    assert po.total_amount == D("60.50")  # 10 x 5.55 = 55.50; 1.5 x 3.33 = 4.995 -> 5.00
    assert session.get(ReplenishmentSuggestion, sug.id).status == "ordered"
    with pytest.raises(ValidationFailed, match="is 'draft'"):
        svc.pay_supplier(
            session=session,
            purchase_order_id=po.id,
            amount="10.00",
            paid_date=date(2025, 3, 4),
            actor=ACTOR,
        )
    po = svc.place_purchase_order(
        session=session, purchase_order_id=po.id, expected_version=1, actor=ACTOR
    )
    with pytest.raises(ApprovalRequired, match="approved 'purchase' approval request"):
        svc.pay_supplier(
            session=session,
            purchase_order_id=po.id,
            amount="10.00",
            paid_date=date(2025, 3, 4),
            actor=ACTOR,
        )
    req = svc.create_approval_request(
        session=session,
        data={
            "kind": "purchase",
            "requester_id": buyer.id,
            "approver_id": buyer.id,
            "subject": "Restock",
            "amount": "60.00",
            "reference_type": "purchase_order",
            "reference_id": po.id,
        },
        actor=ACTOR,
    )
    svc.submit_approval(session=session, request_id=req.id, expected_version=1, actor=ACTOR)
    with pytest.raises(ValidationFailed, match="cannot be decided by its requester"):
        svc.approve_request(session=session, request_id=req.id, expected_version=2, actor=ACTOR)
    svc.approve_request(
        session=session,
        request_id=req.id,
        expected_version=2,
        actor="boss",
        approver_id=boss.id,
        note="ok",
    )
    pay = svc.pay_supplier(
        session=session,
        purchase_order_id=po.id,
        amount="50.00",
        paid_date=date(2025, 3, 4),
        actor=ACTOR,
    )
    assert pay.approval_request_id == req.id
    with pytest.raises(ValidationFailed, match="10.50 still unpaid"):
        svc.pay_supplier(
            session=session,
            purchase_order_id=po.id,
            amount="10.51",
            paid_date=date(2025, 3, 4),
            actor=ACTOR,
        )

    from operational.services.purchasing import po_lines

    l1, l2 = po_lines(session, po.id)
    svc.receive_goods(session=session, purchase_order_line_id=l1.id, quantity="10", actor="wh")
    session.refresh(po)
    assert po.status == "partially_received"
    with pytest.raises(ValidationFailed, match="only 1.500 left"):
        svc.receive_goods(session=session, purchase_order_line_id=l2.id, quantity="2", actor="wh")
    svc.receive_goods(session=session, purchase_order_line_id=l2.id, quantity="1.5", actor="wh")
    session.refresh(po)
    assert po.status == "received"
    assert session.get(ReplenishmentSuggestion, sug.id).status == "closed"
    assert svc.stock_on_hand(session=session, product_id=p.id) == (D("11.500"), D("0.000"))
    costs = session.exec(select(StockMovement.unit_cost).order_by(StockMovement.id)).all()
    assert costs == [D("5.55"), D("3.33")]
    with pytest.raises(IllegalTransition):
        svc.cancel_purchase_order(
            session=session, purchase_order_id=po.id, expected_version=po.version, actor=ACTOR
        )


def test_rejected_request_does_not_unlock_payment(session: Session, make: Factory) -> None:
    sup, a, b = make.supplier(), make.employee(), make.employee()
    p = make.product()
    po = svc.create_purchase_order(
        session=session,
        data={
            "supplier_id": sup.id,
            "order_date": date(2025, 3, 3),
            "lines": [{"product_id": p.id, "quantity": "1", "unit_cost": "9.00"}],
        },
        actor=ACTOR,
    )
    svc.place_purchase_order(
        session=session, purchase_order_id=po.id, expected_version=1, actor=ACTOR
    )
    req = svc.create_approval_request(
        session=session,
        data={
            "kind": "purchase",
            "requester_id": a.id,
            "approver_id": b.id,
            "subject": "x",
            "reference_type": "purchase_order",
            "reference_id": po.id,
        },
        actor=ACTOR,
    )
    svc.submit_approval(session=session, request_id=req.id, expected_version=1, actor=ACTOR)
    req = svc.reject_request(
        session=session, request_id=req.id, expected_version=2, actor="b", note="too expensive"
    )
    assert (req.status, req.decision_note) == ("rejected", "too expensive")
    assert req.decided_at is not None
    with pytest.raises(ApprovalRequired):
        svc.pay_supplier(
            session=session,
            purchase_order_id=po.id,
            amount="9.00",
            paid_date=date(2025, 3, 4),
            actor=ACTOR,
        )


def test_rule_tasks_are_idempotent_and_closable(session: Session, make: Factory) -> None:
    e = make.employee()
    t1 = svc.raise_rule_task(
        session=session,
        rule_key="stale_opportunity:42:2025-03",
        title="Call the customer back",
        assignee_id=e.id,
        due_date=date(2025, 3, 10),
        reason="no activity for 30 days",
        reference_type="opportunity",
        reference_id=42,
    )
    t2 = svc.raise_rule_task(
        session=session,
        rule_key="stale_opportunity:42:2025-03",
        title="Call the customer back (again)",
    )
    assert t1.id == t2.id
    assert (t1.source, t1.status, t1.updated_by) == ("rule", "open", "system")
    assert len(session.exec(select(Task)).all()) == 1
    closed = svc.close_rule_task(
        session=session,
        rule_key="stale_opportunity:42:2025-03",
        note="activity logged on 2025-03-05",
    )
    assert (closed.status, closed.close_note) == ("done", "activity logged on 2025-03-05")
    assert closed.closed_at is not None
    again = svc.close_rule_task(
        session=session, rule_key="stale_opportunity:42:2025-03", note="again"
    )
    assert again.close_note == "activity logged on 2025-03-05"
    with pytest.raises(NotFound):
        svc.close_rule_task(session=session, rule_key="nope", note="x")
    with pytest.raises(ValidationFailed) as err:
        svc.raise_rule_task(session=session, rule_key="bad key\u200b", title="x")
    assert set(err.value.errors) == {"rule_key"}


def test_manual_task_lifecycle(session: Session, make: Factory) -> None:
    e = make.employee()
    t = svc.create_task(
        session=session, data={"title": "Prepare quote", "assignee_id": e.id}, actor=ACTOR
    )
    t = svc.start_task(session=session, task_id=t.id, expected_version=1, actor=ACTOR)
    t = svc.complete_task(
        session=session, task_id=t.id, expected_version=2, actor=ACTOR, note="sent"
    )
    assert (t.status, t.close_note, t.source) == ("done", "sent", "manual")
    with pytest.raises(IllegalTransition, match="from 'done' to 'cancelled'"):
        svc.cancel_task(session=session, task_id=t.id, expected_version=3, actor=ACTOR)
