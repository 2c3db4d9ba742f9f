"""Every (from, to) pair of every machine in operational/states.py.

Allowed pairs succeed; illegal ones raise IllegalTransition and change nothing (status,
version and audit trail as before). Where a service drives the transition directly, the
service is called; derived transitions (an order becomes shipped when its last line ships,
a PO received when its last line arrives, suggestion bookkeeping) go through the one gate
all services use, ``_core.transition``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, func, select

from operational import services as svc
from operational.errors import IllegalTransition
from operational.models import (
    ApprovalRequest,
    AuditLog,
    Customer,
    Employee,
    Lead,
    Opportunity,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentSuggestion,
    SalesOrder,
    SalesOrderLine,
    ServiceTicket,
    Supplier,
    Task,
)
from operational.services import _core
from operational.states import TRANSITIONS, is_allowed

A = "walker"
T0 = datetime(2025, 3, 4, 9, tzinfo=UTC)
D = Decimal


class World:
    def __init__(self, s: Session) -> None:
        self.s = s
        self.n = 0
        self.emp1 = self._add(Employee(code="E1", name="a", department="sales"))
        self.emp2 = self._add(Employee(code="E2", name="b", department="sales"))
        self.cust = self._add(Customer(code="C1", name="c"))
        self.sup = self._add(Supplier(code="S1", name="s"))
        self.prod = svc.create_product(
            session=s,
            data={
                "sku": "P1",
                "name": "p",
                "category": "x",
                "unit": "pcs",
                "list_price": "1.00",
                "standard_cost": "1.00",
            },
            actor=A,
        )
        svc.receive_stock(
            session=s,
            product_id=self.prod.id,
            quantity="1000",
            unit_cost="1.00",
            kind="opening",
            actor=A,
        )
        s.commit()

    def _add(self, obj: SQLModel) -> Any:
        self.s.add(obj)
        self.s.flush()
        return obj

    def no(self) -> str:
        self.n += 1
        return f"N{self.n}"

    def make(self, machine: str, status: str) -> SQLModel:
        s, n = self.s, self.no()
        if machine == "lead":
            rec = Lead(code=n, company_name="Co", source_channel="website", status=status)
        elif machine == "opportunity":
            rec = Opportunity(customer_id=self.cust.id, name=n, stage=status)
        elif machine == "sales_order":
            rec = self._add(
                SalesOrder(
                    order_no=n, customer_id=self.cust.id, order_date=date(2025, 3, 1), status=status
                )
            )
            self._add(
                SalesOrderLine(
                    sales_order_id=rec.id,
                    line_no=1,
                    product_id=self.prod.id,
                    quantity=D("1"),
                    unit_price=D("1.00"),
                    net_amount=D("1.00"),
                )
            )
        elif machine == "purchase_order":
            rec = self._add(
                PurchaseOrder(
                    po_no=n, supplier_id=self.sup.id, order_date=date(2025, 3, 1), status=status
                )
            )
            self._add(
                PurchaseOrderLine(
                    purchase_order_id=rec.id,
                    line_no=1,
                    product_id=self.prod.id,
                    quantity=D("1"),
                    unit_cost=D("1.00"),
                )
            )
        elif machine == "approval_request":
            rec = ApprovalRequest(
                request_no=n,
                kind="expense",
                requester_id=self.emp1.id,
                approver_id=self.emp2.id,
                subject="x",
                status=status,
            )
        elif machine == "task":
            rec = Task(title=n, status=status)
        elif machine == "service_ticket":
            rec = ServiceTicket(
                ticket_no=n,
                customer_id=self.cust.id,
                category="x",
                subject="x",
                status=status,
                opened_at=T0,
            )
        else:
            rec = ReplenishmentSuggestion(
                product_id=self.prod.id,
                quantity=D("1"),
                estimated_available_date=date(2025, 3, 9),
                status=status,
            )
        rec = self._add(rec)
        s.commit()
        return rec


def _driver(machine: str, to: str) -> Callable[[Session, Any], Any] | None:
    """The service that moves a record of ``machine`` to ``to``, when one does it directly."""

    def kw(rec: Any) -> dict[str, Any]:
        return {"expected_version": rec.version, "actor": A}

    table: dict[tuple[str, str], Callable[[Session, Any], Any]] = {
        ("lead", "converted"): lambda s, r: svc.convert_lead(
            session=s, lead_id=r.id, data={"customer_code": f"CL{r.id}"}, **kw(r)
        ),
        ("sales_order", "confirmed"): lambda s, r: svc.confirm_order(
            session=s, order_id=r.id, **kw(r)
        ),
        ("sales_order", "cancelled"): lambda s, r: svc.cancel_order(
            session=s, order_id=r.id, **kw(r)
        ),
        ("sales_order", "shipped"): lambda s, r: svc.record_delivery(
            session=s,
            actor=A,
            quantity="1",
            order_line_id=s.exec(
                select(SalesOrderLine.id).where(SalesOrderLine.sales_order_id == r.id)
            ).one(),
        ),
        ("purchase_order", "ordered"): lambda s, r: svc.place_purchase_order(
            session=s, purchase_order_id=r.id, **kw(r)
        ),
        ("purchase_order", "cancelled"): lambda s, r: svc.cancel_purchase_order(
            session=s, purchase_order_id=r.id, **kw(r)
        ),
        ("approval_request", "submitted"): lambda s, r: svc.submit_approval(
            session=s, request_id=r.id, **kw(r)
        ),
        ("approval_request", "approved"): lambda s, r: svc.approve_request(
            session=s, request_id=r.id, **kw(r)
        ),
        ("approval_request", "rejected"): lambda s, r: svc.reject_request(
            session=s, request_id=r.id, **kw(r)
        ),
        ("task", "in_progress"): lambda s, r: svc.start_task(session=s, task_id=r.id, **kw(r)),
        ("task", "done"): lambda s, r: svc.complete_task(session=s, task_id=r.id, **kw(r)),
        ("task", "cancelled"): lambda s, r: svc.cancel_task(session=s, task_id=r.id, **kw(r)),
        ("service_ticket", "in_progress"): lambda s, r: svc.start_ticket(
            session=s, ticket_id=r.id, **kw(r)
        ),
        ("service_ticket", "resolved"): lambda s, r: svc.resolve_ticket(
            session=s, ticket_id=r.id, satisfaction=5, **kw(r)
        ),
        ("service_ticket", "closed"): lambda s, r: svc.close_ticket(
            session=s, ticket_id=r.id, **kw(r)
        ),
    }
    if (machine, to) in table:
        return table[(machine, to)]
    if machine == "lead":
        return lambda s, r: svc.set_lead_status(session=s, lead_id=r.id, to_status=to, **kw(r))
    if machine == "opportunity":
        return lambda s, r: svc.change_stage(session=s, opportunity_id=r.id, to_stage=to, **kw(r))
    return None


def _gate(machine: str, to: str) -> Callable[[Session, Any], Any]:
    field = "stage" if machine == "opportunity" else "status"

    def run(s: Session, rec: Any) -> Any:
        rec = _core.get(s, type(rec), rec.id, lock=True)
        before = _core.snapshot(rec)
        _core.transition(rec, machine, to, field=field)
        return _core.save(s, rec, actor=A, before=before, action=to)

    return run


def _state(s: Session, rec: Any, field: str) -> tuple[Any, ...]:
    s.expire_all()
    fresh = s.get(type(rec), rec.id)
    audits = s.exec(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.table_name == rec.__tablename__, AuditLog.record_id == rec.id)
    ).one()
    return getattr(fresh, field), fresh.version, audits


@pytest.mark.parametrize("machine", sorted(TRANSITIONS))
def test_every_pair(session: Session, machine: str) -> None:
    world = World(session)
    field = "stage" if machine == "opportunity" else "status"
    statuses = list(TRANSITIONS[machine])
    driven = 0
    for frm, to in itertools.product(statuses, statuses):
        rec = world.make(machine, frm)
        drive = _driver(machine, to)
        driven += drive is not None
        drive = drive or _gate(machine, to)
        before = _state(session, rec, field)
        if is_allowed(machine, frm, to):
            drive(session, rec)
            session.commit()
            status, version, audits = _state(session, rec, field)
            assert status == to, (machine, frm, to)
            assert version > before[1]
            assert audits > before[2]
        else:
            with pytest.raises(IllegalTransition) as err:
                drive(session, rec)
            assert (err.value.from_status, err.value.to_status) == (frm, to)
            session.rollback()
            assert _state(session, rec, field) == before, (machine, frm, to)
    assert driven > 0 or machine == "replenishment_suggestion"
