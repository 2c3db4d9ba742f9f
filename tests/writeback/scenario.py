"""A small store, built through the services, in which every rule fires once.

Dates are relative to today in the company timezone, because a refresh judges "today".
Seven findings are expected after the first refresh (one per rule); ``clear`` then makes four
of them go away the way staff would (log an activity, place and receive the draft purchase
order, take the payment, decide the approval).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from operational import services as svc
from operational.db import session_scope
from operational.models import ApprovalRequest, PurchaseOrder, PurchaseOrderLine, Task
from operational.services._core import company_today
from operational.settings import get_settings

ACTOR = "test"


@dataclass
class Seeded:
    today: date
    boss: int
    sales: int
    buyer: int
    finance: int
    acme: int
    beta: int
    cement: int
    tiles: int
    opportunity: int
    invoice: int
    waiting_request: int
    unapproved_payment: int
    at_risk_line: int


def _at(day: date, hour: int = 10) -> datetime:
    """A local wall-clock time on ``day`` as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(get_settings().timezone))


def seed(engine: Engine) -> Seeded:
    t = company_today()
    ago = lambda days: t - timedelta(days=days)  # noqa: E731
    with session_scope(engine) as s:
        emp = {
            code: svc.create_employee(
                session=s, data={"code": code, "name": name, "department": dept}, actor=ACTOR
            ).id
            for code, name, dept in (
                ("E001", "Boss", "management"), ("E002", "Sally", "sales"),
                ("E003", "Peter", "purchasing"), ("E004", "Fiona", "finance"),
            )
        }
        acme = svc.create_customer(
            session=s, data={"code": "C001", "name": "Acme", "owner_id": emp["E002"]}, actor=ACTOR
        ).id
        beta = svc.create_customer(
            session=s, data={"code": "C002", "name": "Beta", "owner_id": emp["E002"]}, actor=ACTOR
        ).id
        supplier = svc.create_supplier(
            session=s, data={"code": "S001", "name": "Cement Works"}, actor=ACTOR
        ).id
        cement = svc.create_product(session=s, actor=ACTOR, data={
            "sku": "CEM-1", "name": "Cement", "category": "cement", "unit": "bag",
            "list_price": "10.00", "standard_cost": "5.00", "reorder_point": "100",
            "lead_time_days": 10, "supplier_id": supplier,
        }).id
        tiles = svc.create_product(session=s, actor=ACTOR, data={
            "sku": "TIL-1", "name": "Tiles", "category": "tiles", "unit": "box",
            "list_price": "100.00", "standard_cost": "50.00", "reorder_point": "0",
            "lead_time_days": 5, "supplier_id": supplier,
        }).id
        svc.receive_stock(session=s, product_id=cement, quantity="30", unit_cost="5.00",
                          kind="opening", moved_at=_at(ago(60)), actor=ACTOR)
        svc.receive_stock(session=s, product_id=tiles, quantity="50", unit_cost="50.00",
                          kind="opening", moved_at=_at(ago(60)), actor=ACTOR)

    with session_scope(engine) as s:
        # stalled: in proposal since 40 days ago, last activity 30 days ago (limit 21)
        opp = svc.create_opportunity(session=s, actor=ACTOR, data={
            "customer_id": acme, "name": "Tower", "amount": "50000.00", "owner_id": emp["E002"],
        })
        opp = svc.change_stage(session=s, opportunity_id=opp.id, to_stage="qualification",
                               expected_version=opp.version, changed_at=_at(ago(50)), actor=ACTOR)
        opp = svc.change_stage(session=s, opportunity_id=opp.id, to_stage="proposal",
                               expected_version=opp.version, changed_at=_at(ago(40)), actor=ACTOR)
        svc.log_activity(session=s, actor=ACTOR, data={
            "kind": "call", "opportunity_id": opp.id, "employee_id": emp["E002"],
            "occurred_at": _at(ago(30)), "subject": "Price discussion",
        })
        # churn risk: Beta ordered every 30 days, last 140 days ago
        for days in (200, 170, 140):
            svc.create_sales_order(session=s, actor=ACTOR, data={
                "customer_id": beta, "order_date": ago(days), "owner_id": emp["E002"],
                "lines": [{"product_id": tiles, "quantity": "1", "unit_price": "100.00"}],
            })

    with session_scope(engine) as s:
        # stock below reorder point: 30 - 10 shipped = 20 < 100
        shipped = _order(s, acme, emp["E002"], cement, "10", "10.00", ago(6), ago(2))
        line = _lines(s, shipped)[0]
        svc.record_delivery(session=s, order_line_id=line, quantity="10",
                            shipped_at=_at(ago(5)), delivered_at=_at(ago(4)), actor=ACTOR)
        # overdue receivable: invoiced 40 days ago, due 10 days ago
        billed = _order(s, acme, emp["E002"], tiles, "2", "100.00", ago(45), ago(41))
        svc.record_delivery(session=s, order_line_id=_lines(s, billed)[0], quantity="2",
                            shipped_at=_at(ago(41)), delivered_at=_at(ago(40)), actor=ACTOR)
        invoice = svc.issue_invoice(session=s, order_id=billed, issue_date=ago(40),
                                    due_date=ago(10), actor=ACTOR).id
        # delivery at risk: promised in 2 days, not shipped
        at_risk = _lines(s, _order(s, acme, emp["E002"], tiles, "5", "100.00", ago(1),
                                   t + timedelta(2)))[0]

    with session_scope(engine) as s:
        # paid 3 days before the purchase approval was granted (today)
        po = svc.create_purchase_order(session=s, actor=ACTOR, data={
            "supplier_id": supplier, "order_date": ago(5), "buyer_id": emp["E003"],
            "lines": [{"product_id": tiles, "quantity": "10", "unit_cost": "50.00"}],
        })
        po = svc.place_purchase_order(session=s, purchase_order_id=po.id,
                                      expected_version=po.version, actor=ACTOR)
        req = svc.create_approval_request(session=s, actor=ACTOR, data={
            "kind": "purchase", "requester_id": emp["E003"], "approver_id": emp["E001"],
            "subject": "Tiles restock", "amount": "500.00", "reference_type": "purchase_order",
            "reference_id": po.id,
        })
        req = svc.submit_approval(session=s, request_id=req.id, expected_version=req.version,
                                  actor=ACTOR)
        svc.approve_request(session=s, request_id=req.id, expected_version=req.version,
                            actor=ACTOR)
        payment = svc.pay_supplier(session=s, purchase_order_id=po.id, amount="500.00",
                                   paid_date=ago(3), actor=ACTOR).id
        # approval waiting: an expense request submitted 60 hours ago (limit 48)
        waiting = svc.create_approval_request(session=s, actor=ACTOR, data={
            "kind": "expense", "requester_id": emp["E002"], "approver_id": emp["E001"],
            "subject": "Client dinner", "amount": "800.00",
        })
        waiting = svc.submit_approval(session=s, request_id=waiting.id,
                                      expected_version=waiting.version, actor=ACTOR)
        waiting_id = waiting.id
    # The services stamp submission with the clock; age it the only way there is.
    table = ApprovalRequest.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(
            update(table).where(table.c.id == waiting_id)
            .values(submitted_at=datetime.now(UTC) - timedelta(hours=60))
        )
    return Seeded(
        today=t, boss=emp["E001"], sales=emp["E002"], buyer=emp["E003"], finance=emp["E004"],
        acme=acme, beta=beta, cement=cement, tiles=tiles, opportunity=opp.id,
        invoice=invoice, waiting_request=waiting_id, unapproved_payment=payment,
        at_risk_line=at_risk,
    )


def _order(s: Session, customer: int, owner: int, product: int, qty: str, price: str,
           order_date: date, promised: date) -> int:
    order = svc.create_sales_order(session=s, actor=ACTOR, data={
        "customer_id": customer, "order_date": order_date, "promised_date": promised,
        "owner_id": owner,
        "lines": [{"product_id": product, "quantity": qty, "unit_price": price}],
    })
    svc.confirm_order(session=s, order_id=order.id, expected_version=order.version,
                      today=order_date, actor=ACTOR)
    return order.id


def _lines(s: Session, order_id: int) -> list[int]:
    from operational.models import SalesOrderLine

    return [ln.id for ln in s.exec(
        select(SalesOrderLine).where(SalesOrderLine.sales_order_id == order_id)
    ).all()]


def expected_findings(seeded: Seeded) -> dict[str, int]:
    """rule key -> the employee who should act."""
    t = seeded.today
    return {
        f"stalled_opportunity:opp:{seeded.opportunity}:stage:proposal:since:"
        f"{t - timedelta(days=30)}": seeded.sales,
        f"churn_risk:customer:{seeded.beta}:since:{t - timedelta(days=140)}": seeded.sales,
        f"stock_below_reorder_point:product:{seeded.cement}": seeded.buyer,
        f"overdue_receivable:invoice:{seeded.invoice}": seeded.finance,
        f"delivery_at_risk:order_line:{seeded.at_risk_line}:promised:{t + timedelta(days=2)}":
            seeded.sales,
        f"unapproved_supplier_payment:payment:{seeded.unapproved_payment}": seeded.finance,
        f"approval_waiting:request:{seeded.waiting_request}": seeded.boss,
    }


CLEARED = ("stalled_opportunity", "stock_below_reorder_point", "overdue_receivable",
           "approval_waiting")


def clear(engine: Engine, seeded: Seeded) -> None:
    """Make four findings go away through the services, as staff would."""
    with session_scope(engine) as s:
        svc.log_activity(session=s, actor=ACTOR, data={
            "kind": "visit", "opportunity_id": seeded.opportunity, "employee_id": seeded.sales,
            "occurred_at": datetime.now(UTC) - timedelta(minutes=5),
            "subject": "Site visit",
        })
        draft = rule_task(s, "stock_below_reorder_point")
        po = s.get(PurchaseOrder, draft.reference_id)
        po = svc.place_purchase_order(session=s, purchase_order_id=po.id,
                                      expected_version=po.version, actor=ACTOR)
        line = s.exec(select(PurchaseOrderLine).where(
            PurchaseOrderLine.purchase_order_id == po.id)).one()
        svc.receive_goods(session=s, purchase_order_line_id=line.id, quantity=line.quantity,
                          actor=ACTOR)
        svc.record_payment(session=s, invoice_id=seeded.invoice, amount=Decimal("226.00"),
                           paid_date=seeded.today, method="bank_transfer", actor=ACTOR)
        req = s.get(ApprovalRequest, seeded.waiting_request)
        svc.approve_request(session=s, request_id=req.id, expected_version=req.version,
                            actor=ACTOR)


def rule_task(s: Session, rule: str) -> Task:
    tasks = [t for t in s.exec(select(Task).where(Task.source == "rule")).all()
             if t.rule_key.startswith(rule + ":")]
    assert len(tasks) == 1, [t.rule_key for t in tasks]
    return tasks[0]
