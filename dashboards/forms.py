"""Staff forms: every transaction staff enter, written through the operational services.

The only module of the dashboards that opens an operational session: it reads the choices a
form offers (customers, products, open documents: from the store, since the warehouse may
lag) and calls the services. Rules stay in the services; a ``ValidationFailed`` comes back as
``{field path: message}`` and each message is shown under its widget.

Double submits: a create carries an idempotency key (see ``form_key``), so the same content
sent twice replays the first record. A change carries the version of the record the form
showed (``expected_version``, or a ``guard`` checked in the same transaction for the few
services that take none), so a change someone else saved meanwhile comes back as
``Outcome.stale`` instead of being applied on top of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import streamlit as st
from sqlalchemy import func
from sqlmodel import col, select

from dashboards import fmt
from dashboards.i18n import t
from dashboards.identity import actor
from operational import errors as service_errors

MASTER_LIMIT = 500  # customers, products, suppliers, employees offered in a picker
PICK_LIMIT = 200  # open documents offered in a picker
ZERO = Decimal(0)


@dataclass
class Outcome:
    """What a service call did: the record, or field errors, or one general message.

    ``stale`` ({"who", "when"}) says the record changed after the form read it.
    """

    record: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    stale: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.record is not None


# --- the store ----------------------------------------------------------------------------


def engine() -> Any:
    """The engine of the store the settings name *now*.

    ``get_engine()`` without a URL is cached under ``None``, so it would keep the first
    store it saw even after ``MIS_HOME`` changes; asking by URL keeps one engine per store.
    """
    from operational.db import get_engine
    from operational.settings import get_settings

    return get_engine(get_settings().store_url)


def session() -> Any:
    """A transaction on the current store (commit on success, rollback on error)."""
    from operational.db import session_scope

    return session_scope(engine())


def store_problem() -> str | None:
    """Why the operational store cannot take entries (not created, not migrated), or None."""
    from operational.db import check_schema

    try:
        check_schema(engine())
    except Exception as exc:  # noqa: BLE001 - shown to the user instead of a traceback
        return str(exc).splitlines()[0]
    return None


def _rows(stmt: Any) -> list[Any]:
    with session() as s:
        return list(s.exec(stmt).all())


# --- pickers: existing records by number and name, most recent first ----------------------


def _status(value: str) -> str:
    return t(f"forms.status.{value}")


def customer_choices() -> dict[int, str]:
    from operational.models import Customer

    stmt = select(Customer.id, Customer.code, Customer.name).order_by(col(Customer.id).desc())
    return {r.id: f"{r.code} · {r.name}" for r in _rows(stmt.limit(MASTER_LIMIT))}


def product_choices() -> dict[int, dict[str, Any]]:
    from operational.models import Product

    stmt = select(Product.id, Product.sku, Product.name, Product.unit, Product.list_price,
                  Product.standard_cost) \
        .where(Product.is_active == True).order_by(col(Product.id).desc())  # noqa: E712
    return {r.id: {"label": f"{r.sku} · {r.name} ({r.unit})", "list_price": r.list_price,
                   "standard_cost": r.standard_cost}
            for r in _rows(stmt.limit(MASTER_LIMIT))}


def employee_choices(department: str | None = "sales") -> dict[int, str]:
    from operational.models import Employee

    stmt = select(Employee.id, Employee.code, Employee.name).where(Employee.is_active == True)  # noqa: E712
    if department:
        stmt = stmt.where(Employee.department == department)
    stmt = stmt.order_by(col(Employee.id).desc()).limit(MASTER_LIMIT)
    return {r.id: f"{r.name} ({r.code})" for r in _rows(stmt)}


def supplier_choices() -> dict[int, str]:
    from operational.models import Supplier

    stmt = select(Supplier.id, Supplier.code, Supplier.name).order_by(col(Supplier.id).desc())
    return {r.id: f"{r.code} · {r.name}" for r in _rows(stmt.limit(MASTER_LIMIT))}


def campaign_choices() -> dict[int, str]:
    from operational.models import Campaign

    stmt = select(Campaign.id, Campaign.code, Campaign.name).order_by(col(Campaign.id).desc())
    return {r.id: f"{r.code} · {r.name}" for r in _rows(stmt.limit(PICK_LIMIT))}


def lead_choices(statuses: tuple[str, ...]) -> dict[int, str]:
    from operational.models import Lead

    stmt = select(Lead.id, Lead.code, Lead.company_name, Lead.status) \
        .where(col(Lead.status).in_(statuses)).order_by(col(Lead.id).desc())
    return {r.id: f"{r.code} · {r.company_name} ({_status(r.status)})"
            for r in _rows(stmt.limit(PICK_LIMIT))}


def opportunity_choices(customer_id: int | None = None) -> dict[int, str]:
    """Open opportunities (not won or lost), of one customer when given."""
    from operational.models import Customer, Opportunity

    stmt = select(Opportunity.id, Opportunity.name, Opportunity.stage, Customer.code) \
        .join(Customer, Customer.id == Opportunity.customer_id) \
        .where(col(Opportunity.stage).not_in(("won", "lost"))).order_by(col(Opportunity.id).desc())
    if customer_id is not None:
        stmt = stmt.where(Opportunity.customer_id == customer_id)
    return {r.id: f"{r.code} · {r.name} ({t(f'stage.{r.stage}')})"
            for r in _rows(stmt.limit(PICK_LIMIT))}


def ticket_choices() -> dict[int, str]:
    from operational.models import ServiceTicket

    stmt = select(ServiceTicket.id, ServiceTicket.ticket_no, ServiceTicket.subject,
                  ServiceTicket.status).where(ServiceTicket.status != "closed") \
        .order_by(col(ServiceTicket.id).desc())
    return {r.id: f"{r.ticket_no} · {r.subject} ({_status(r.status)})"
            for r in _rows(stmt.limit(PICK_LIMIT))}


def sales_order_choices(statuses: tuple[str, ...],
                        customer_id: int | None = None) -> dict[int, str]:
    from operational.models import Customer, SalesOrder

    stmt = select(SalesOrder.id, SalesOrder.order_no, SalesOrder.status, Customer.name) \
        .join(Customer, Customer.id == SalesOrder.customer_id) \
        .where(col(SalesOrder.status).in_(statuses)).order_by(col(SalesOrder.id).desc())
    if customer_id is not None:
        stmt = stmt.where(SalesOrder.customer_id == customer_id)
    return {r.id: f"{r.order_no} · {r.name} ({_status(r.status)})"
            for r in _rows(stmt.limit(PICK_LIMIT))}


def purchase_order_choices(statuses: tuple[str, ...]) -> dict[int, str]:
    from operational.models import PurchaseOrder, Supplier

    stmt = select(PurchaseOrder.id, PurchaseOrder.po_no, PurchaseOrder.status,
                  PurchaseOrder.total_amount, Supplier.name) \
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id) \
        .where(col(PurchaseOrder.status).in_(statuses)).order_by(col(PurchaseOrder.id).desc())
    return {r.id: f"{r.po_no} · {r.name} · {fmt.money(r.total_amount)} ({_status(r.status)})"
            for r in _rows(stmt.limit(PICK_LIMIT))}


def delivery_choices() -> dict[int, str]:
    """Deliveries shipped and not yet confirmed as delivered."""
    from operational.models import Customer, Delivery, SalesOrder

    stmt = select(Delivery.id, Delivery.delivery_no, SalesOrder.order_no, Customer.name) \
        .join(SalesOrder, SalesOrder.id == Delivery.sales_order_id) \
        .join(Customer, Customer.id == SalesOrder.customer_id) \
        .where(col(Delivery.delivered_at).is_(None)).order_by(col(Delivery.id).desc())
    return {r.id: f"{r.delivery_no} · {r.order_no} · {r.name}"
            for r in _rows(stmt.limit(PICK_LIMIT))}


def invoice_order_choices() -> dict[int, str]:
    """Orders with goods delivered and not yet invoiced (a first cut: SUM is a float on
    SQLite; the service decides what exactly is left to invoice)."""
    from operational.models import Customer, Delivery, InvoiceLine, SalesOrder, SalesOrderLine

    delivered = select(Delivery.sales_order_id.label("oid"),  # type: ignore[attr-defined]
                       func.sum(Delivery.quantity).label("q")) \
        .where(col(Delivery.delivered_at).is_not(None)).group_by(Delivery.sales_order_id).subquery()
    invoiced = select(SalesOrderLine.sales_order_id.label("oid"),  # type: ignore[attr-defined]
                      func.sum(InvoiceLine.quantity).label("q")) \
        .join(SalesOrderLine, SalesOrderLine.id == InvoiceLine.sales_order_line_id) \
        .group_by(SalesOrderLine.sales_order_id).subquery()
    stmt = select(SalesOrder.id, SalesOrder.order_no, Customer.name) \
        .join(Customer, Customer.id == SalesOrder.customer_id) \
        .join(delivered, delivered.c.oid == SalesOrder.id) \
        .outerjoin(invoiced, invoiced.c.oid == SalesOrder.id) \
        .where(delivered.c.q > func.coalesce(invoiced.c.q, 0)) \
        .order_by(col(SalesOrder.id).desc())
    return {r.id: f"{r.order_no} · {r.name}" for r in _rows(stmt.limit(PICK_LIMIT))}


def invoice_choices() -> dict[int, str]:
    """Invoices with something left to pay, with the amount still open."""
    from sqlalchemy import Numeric, cast

    from operational.models import Customer, Invoice

    stmt = select(Invoice.id, Invoice.invoice_no, Invoice.gross_amount, Invoice.paid_amount,
                  Customer.name) \
        .join(Customer, Customer.id == Invoice.customer_id) \
        .where(Invoice.kind == "invoice",
               cast(Invoice.gross_amount, Numeric) > cast(Invoice.paid_amount, Numeric)) \
        .order_by(col(Invoice.id).desc()).limit(PICK_LIMIT)
    rows = _rows(stmt)
    credited: dict[int, Decimal] = {}
    notes = select(Invoice.credited_invoice_id, Invoice.gross_amount).where(
        Invoice.kind == "credit_note", col(Invoice.credited_invoice_id).in_([r.id for r in rows]))
    for invoice_id, amount in _rows(notes):
        credited[invoice_id] = credited.get(invoice_id, ZERO) + amount
    open_ = {r.id: r.gross_amount + credited.get(r.id, ZERO) - r.paid_amount for r in rows}
    return {r.id: f"{r.invoice_no} · {r.name} · {fmt.money(open_[r.id])}"
            for r in rows if open_[r.id] > 0}


def approval_choices(status: str) -> dict[int, str]:
    from operational.models import ApprovalRequest

    stmt = select(ApprovalRequest.id, ApprovalRequest.request_no, ApprovalRequest.subject,
                  ApprovalRequest.kind).where(ApprovalRequest.status == status) \
        .order_by(col(ApprovalRequest.id).desc())
    return {r.id: f"{r.request_no} · {r.subject} ({t(f'kind.{r.kind}')})"
            for r in _rows(stmt.limit(PICK_LIMIT))}


def task_choices() -> dict[int, str]:
    from operational.models import Task

    stmt = select(Task.id, Task.title, Task.status) \
        .where(col(Task.status).in_(("open", "in_progress"))).order_by(col(Task.id).desc())
    return {r.id: f"#{r.id} · {r.title} ({_status(r.status)})"
            for r in _rows(stmt.limit(PICK_LIMIT))}


def codes(column: Any) -> list[str]:
    """Every value of a code column (for suggesting the next one)."""
    return list(_rows(select(column)))


def customer_codes() -> list[str]:
    from operational.models import Customer

    return codes(Customer.code)


def next_code(codes: list[str], default: str = "CU0001") -> str:
    """The code after the highest ``PREFIX<digits>`` code, keeping its width (CU099 -> CU100)."""
    best: tuple[int, str, int] | None = None
    for code in codes:
        m = re.fullmatch(r"([A-Za-z_-]*)(\d+)", code)
        if m and (best is None or int(m.group(2)) > best[0]):
            best = (int(m.group(2)), m.group(1), len(m.group(2)))
    if best is None:
        return default
    number, prefix, width = best
    return f"{prefix}{number + 1:0{width}d}"


def suggest_code(table: str) -> str:
    """The next free-looking code for a new customer, lead or supplier (staff may change it)."""
    from operational.models import Customer, Lead, Supplier

    model, default = {"customer": (Customer, "CU0001"), "lead": (Lead, "L000001"),
                      "supplier": (Supplier, "S001")}[table]
    return next_code(codes(model.code), default)


def next_statuses(machine: str, status: str) -> list[str]:
    """Where the state machine lets a record go from ``status`` (the service still checks)."""
    from operational.states import TRANSITIONS

    return sorted(TRANSITIONS[machine].get(status, ()), key=list(TRANSITIONS[machine]).index)


def kinds(name: str) -> tuple[str, ...]:
    from operational.states import KINDS

    return KINDS[name]


# --- one record as a change form shows it ---------------------------------------------------


def load(kind: str, record_id: int) -> dict[str, Any] | None:
    """The record's current values (with ``version`` and who last changed it), or None."""
    with session() as s:
        return _LOADERS[kind](s, record_id)


def _dump(s: Any, model: Any, record_id: int) -> dict[str, Any] | None:
    row = s.get(model, record_id)
    return None if row is None else row.model_dump()


def _name(s: Any, model: Any, record_id: int | None, attr: str = "name") -> str | None:
    row = s.get(model, record_id) if record_id is not None else None
    return None if row is None else getattr(row, attr)


def _lead(s: Any, record_id: int) -> dict[str, Any] | None:
    from operational.models import Employee, Lead

    d = _dump(s, Lead, record_id)
    return d and d | {"owner": _name(s, Employee, d["owner_id"])}


def _opportunity(s: Any, record_id: int) -> dict[str, Any] | None:
    from operational.models import Customer, Opportunity

    d = _dump(s, Opportunity, record_id)
    return d and d | {"customer": _name(s, Customer, d["customer_id"])}


def _ticket(s: Any, record_id: int) -> dict[str, Any] | None:
    from operational.models import Customer, ServiceTicket

    d = _dump(s, ServiceTicket, record_id)
    return d and d | {"customer": _name(s, Customer, d["customer_id"])}


def _lines(s: Any, model: Any, parent: Any, parent_id: int) -> list[Any]:
    return list(s.exec(select(model).where(parent == parent_id).order_by(model.line_no)).all())


def _purchase_order(s: Any, record_id: int) -> dict[str, Any] | None:
    from operational.models import Product, PurchaseOrder, PurchaseOrderLine, Supplier

    d = _dump(s, PurchaseOrder, record_id)
    if d is None:
        return None
    lines = {ln.id: {"line_no": ln.line_no, "product": _name(s, Product, ln.product_id),
                     "sku": _name(s, Product, ln.product_id, "sku"), "quantity": ln.quantity,
                     "received": ln.received_quantity,
                     "left": ln.quantity - ln.received_quantity, "version": ln.version}
             for ln in _lines(s, PurchaseOrderLine, PurchaseOrderLine.purchase_order_id, record_id)}
    return d | {"supplier": _name(s, Supplier, d["supplier_id"]), "lines": lines}


def _sales_order(s: Any, record_id: int) -> dict[str, Any] | None:
    """A confirmed order as the delivery form shows it: per line, what is left to ship and
    what stock is free for it (on hand less what other orders reserved)."""
    from operational.models import Customer, Product, SalesOrder, SalesOrderLine, StockLevel

    d = _dump(s, SalesOrder, record_id)
    if d is None:
        return None
    lines = {}
    for ln in _lines(s, SalesOrderLine, SalesOrderLine.sales_order_id, record_id):
        level = s.exec(select(StockLevel).where(StockLevel.product_id == ln.product_id)).first()
        free = level.on_hand - (level.reserved - ln.reserved_quantity) if level else ZERO
        lines[ln.id] = {"line_no": ln.line_no, "product": _name(s, Product, ln.product_id),
                        "sku": _name(s, Product, ln.product_id, "sku"), "quantity": ln.quantity,
                        "shipped": ln.shipped_quantity, "left": ln.quantity - ln.shipped_quantity,
                        "free": max(free, ZERO), "version": ln.version}
    return d | {"customer": _name(s, Customer, d["customer_id"]), "lines": lines}


def _delivery(s: Any, record_id: int) -> dict[str, Any] | None:
    from operational.models import Customer, Delivery, Product, SalesOrder, SalesOrderLine

    d = _dump(s, Delivery, record_id)
    if d is None:
        return None
    order = s.get(SalesOrder, d["sales_order_id"])
    line = s.get(SalesOrderLine, d["sales_order_line_id"])
    return d | {"order_no": order.order_no, "customer": _name(s, Customer, order.customer_id),
                "product": _name(s, Product, line.product_id)}


def _invoice_order(s: Any, record_id: int) -> dict[str, Any] | None:
    """An order as the invoice form shows it; its ``version`` changes whenever a delivery
    arrives or an invoice is issued for it, so a second invoicer sees the form is stale."""
    from operational.models import Customer, Delivery, Invoice, SalesOrder

    d = _dump(s, SalesOrder, record_id)
    if d is None:
        return None
    arrived = s.exec(select(Delivery).where(Delivery.sales_order_id == record_id,
                                            col(Delivery.delivered_at).is_not(None))).all()
    invoices = s.exec(select(Invoice).where(Invoice.sales_order_id == record_id)).all()
    latest = max([d, *(r.model_dump() for r in [*arrived, *invoices])],
                 key=lambda r: r["updated_at"])
    return d | {"customer": _name(s, Customer, d["customer_id"]),
                "version": f"{d['version']}.{len(arrived)}.{len(invoices)}",
                "deliveries": len(arrived), "invoices": [i.invoice_no for i in invoices],
                "updated_by": latest["updated_by"], "updated_at": latest["updated_at"]}


def _invoice(s: Any, record_id: int) -> dict[str, Any] | None:
    from operational.models import Customer, Invoice

    d = _dump(s, Invoice, record_id)
    if d is None:
        return None
    credited = sum(s.exec(select(col(Invoice.gross_amount)).where(
        Invoice.credited_invoice_id == record_id, Invoice.kind == "credit_note")).all(), ZERO)
    return d | {"customer": _name(s, Customer, d["customer_id"]), "credited": credited,
                "outstanding": d["gross_amount"] + credited - d["paid_amount"]}


def _approval(s: Any, record_id: int) -> dict[str, Any] | None:
    from operational.models import ApprovalRequest, Employee

    d = _dump(s, ApprovalRequest, record_id)
    return d and d | {"requester": _name(s, Employee, d["requester_id"]),
                      "approver": _name(s, Employee, d["approver_id"])}


def _task(s: Any, record_id: int) -> dict[str, Any] | None:
    from operational.models import Employee, Task

    d = _dump(s, Task, record_id)
    return d and d | {"assignee": _name(s, Employee, d["assignee_id"])}


_LOADERS: dict[str, Callable[[Any, int], dict[str, Any] | None]] = {
    "lead": _lead, "opportunity": _opportunity, "service_ticket": _ticket,
    "purchase_order": _purchase_order, "sales_order": _sales_order, "delivery": _delivery,
    "invoice_order": _invoice_order, "invoice": _invoice, "approval_request": _approval,
    "task": _task,
}


# --- service calls ------------------------------------------------------------------------

Guard = tuple[str, int, Any]  # (what, id, version the form showed)


def _check_guard(s: Any, guard: Guard) -> None:
    """For services without ``expected_version``: refuse when the record the form showed
    changed since (same transaction as the service; the row is locked on PostgreSQL)."""
    from operational.models import Delivery, PurchaseOrderLine, SalesOrderLine

    what, record_id, expected = guard
    models = {"sales_order_line": SalesOrderLine, "purchase_order_line": PurchaseOrderLine,
              "delivery": Delivery}
    if what in models:
        model = models[what]
        row = s.exec(select(model).where(model.id == record_id).with_for_update()).first()
        now = row and row.model_dump()
    else:
        now = _LOADERS[what](s, record_id)
    if now is None:
        raise service_errors.NotFound(what.replace("_", " "), record_id)
    if now["version"] != expected:
        raise service_errors.StaleEdit(
            what.replace("_", " "), record_id, expected_version=None, current_version=None,
            updated_by=now["updated_by"], updated_at=now["updated_at"])


def call_service(fn: Callable[..., Any], guard: Guard | None = None, **kwargs: Any) -> Outcome:
    """Run one service in its own transaction and translate its errors for the form."""
    try:
        with session() as s:
            if guard is not None:
                _check_guard(s, guard)
            record = fn(session=s, **kwargs)
            detached = _snapshot(record)
        return Outcome(record=detached)
    except service_errors.ValidationFailed as exc:
        return Outcome(errors=dict(exc.errors))
    except service_errors.StaleEdit as exc:
        return Outcome(message=t("form.stale", detail=str(exc)),
                       stale={"who": exc.updated_by, "when": exc.updated_at})
    except service_errors.IdempotencyConflict:
        return Outcome(message=t("form.conflict"))
    except service_errors.ServiceError as exc:
        return Outcome(message=t("form.failed", detail=str(exc)))


def _snapshot(record: Any) -> dict[str, Any]:
    """Plain values read inside the transaction (safe to use after the session closes)."""
    if hasattr(record, "model_dump"):
        return dict(record.model_dump())
    if hasattr(record, "fully_reserved"):  # ConfirmResult
        order = record.order
        return {**order.model_dump(), "fully_reserved": record.fully_reserved,
                "estimated_delivery_date": order.estimated_delivery_date}
    return {f.name: _snapshot(getattr(record, f.name)) if getattr(record, f.name) is not None
            else None for f in dataclasses.fields(record)}  # e.g. LeadConversionResult


def run(service: str, *, guard: Guard | None = None, **kwargs: Any) -> Outcome:
    """Call ``operational.services.<service>`` as the signed-in user."""
    import operational.services as services

    return call_service(getattr(services, service), guard=guard, actor=actor(), **kwargs)


def create(service: str, values: dict[str, Any], idempotency_key: str) -> Outcome:
    """A create service (``data=``) with the form's idempotency key."""
    return run(service, data=values, idempotency_key=idempotency_key)


def create_customer(values: dict[str, Any], idempotency_key: str) -> Outcome:
    return create("create_customer", values, idempotency_key)


def create_sales_order(values: dict[str, Any], idempotency_key: str) -> Outcome:
    """Create the draft order; the outcome's record carries the order's net total."""
    from operational.models import SalesOrderLine

    out = create("create_sales_order", values, idempotency_key)
    if out.ok:
        stmt = select(SalesOrderLine.net_amount).where(
            SalesOrderLine.sales_order_id == out.record["id"])
        out.record["net_total"] = sum(_rows(stmt), Decimal("0.00"))
    return out


def draft_orders(owner_id: int | None) -> list[dict[str, Any]]:
    """Draft sales orders (of one owner, or all), newest first, with their net totals."""
    from operational.models import Customer, SalesOrder, SalesOrderLine

    stmt = (
        select(SalesOrder.id, SalesOrder.order_no, SalesOrder.order_date, SalesOrder.version,
               Customer.name.label("customer_name"),  # type: ignore[attr-defined]
               func.sum(SalesOrderLine.net_amount).label("net_amount"))
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .join(SalesOrderLine, SalesOrderLine.sales_order_id == SalesOrder.id)
        .where(SalesOrder.status == "draft")
        .group_by(SalesOrder.id, Customer.name)
        .order_by(SalesOrder.id.desc())  # type: ignore[union-attr]
    )
    if owner_id is not None:
        stmt = stmt.where(SalesOrder.owner_id == owner_id)
    return [dict(r._mapping) for r in _rows(stmt.limit(200))]


def confirm_order(order_id: int, expected_version: int) -> Outcome:
    """Confirm a draft: the service checks stock line by line and reserves what it can."""
    return run("confirm_order", order_id=order_id, expected_version=expected_version)


def decimal(value: Any) -> Decimal | None:
    """A widget's number as an exact decimal (``12.5`` -> ``Decimal('12.5')``)."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def percent(value: Any) -> Decimal | None:
    """A percentage typed by a person (``5.5``) as the rate the services take (``0.055``)."""
    d = decimal(value)
    return None if d is None else d / 100


# --- form state ---------------------------------------------------------------------------


def form_key(form: str, values: dict[str, Any]) -> str:
    """The idempotency key of this form render *and* this content.

    A render id (new after "start a new one") plus a hash of the values: a double click
    sends the same content with the same key, so the service replays the first record; an
    edited form is a different request with a different key, never an ``IdempotencyConflict``.
    """
    render = st.session_state.setdefault(f"{form}_render", uuid.uuid4().hex)
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
    return f"{form}-{render[:12]}-{digest[:24]}"


def reset(form: str, keys: list[str]) -> None:
    """Start a new record: clear the widgets and messages, and begin a new render id."""
    for key in [*keys, *(f"{form}_{s}" for s in ("errors", "saved", "saved_key", "message",
                                                  "stale", "done"))]:
        st.session_state.pop(key, None)
    st.session_state[f"{form}_render"] = uuid.uuid4().hex


def remember(form: str, key: str, out: Outcome, saved: str | None) -> None:
    st.session_state[f"{form}_errors"] = out.errors
    st.session_state[f"{form}_message"] = None if out.stale else out.message
    st.session_state[f"{form}_stale"] = out.stale
    st.session_state[f"{form}_saved"] = saved
    st.session_state[f"{form}_saved_key"] = key if out.ok else None


def show_outcome(form: str, key: str) -> dict[str, str]:
    """Success (while the form still shows what was saved) or a general error at the top of
    the form; returns the field errors for the widgets to show under themselves."""
    s = st.session_state
    errors: dict[str, str] = s.get(f"{form}_errors") or {}
    if s.get(f"{form}_saved") and s.get(f"{form}_saved_key") == key:
        st.success(s[f"{form}_saved"], icon=":material/check_circle:")
        st.caption(t("form.warehouse_lag"))
    if s.get(f"{form}_message"):
        st.error(s[f"{form}_message"], icon=":material/error:")
    if errors:
        st.warning(t("form.fix_errors"), icon=":material/edit:")
    return errors
