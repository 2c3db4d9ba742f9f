"""Purchasing: purchase orders, goods receipts (stock in) and supplier payments.

Approve before pay (先审批、后付款): a supplier payment needs an approved 'purchase'
approval request that references the purchase order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from operational import states
from operational.errors import ApprovalRequired, IllegalTransition, ValidationFailed
from operational.models import (
    Employee,
    GoodsReceipt,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentSuggestion,
    Supplier,
    SupplierPayment,
)
from operational.schemas import PurchaseOrderCreate
from operational.services._core import (
    actor_of,
    check_version,
    claim_key,
    coerce,
    find_replay,
    finish_key,
    get,
    insert,
    new_number,
    pk,
    require_refs,
    require_unique,
    round_money,
    save,
    service,
    snapshot,
    transition,
    utc_now,
)
from operational.services.oa import approved_request
from operational.services.stock import move_stock
from operational.validation import check_field, positive_money, to_utc
from operational.validation import quantity as positive_quantity

ZERO = Decimal(0)


def po_lines(session: Session, po_id: int) -> list[PurchaseOrderLine]:
    return list(
        session.exec(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.purchase_order_id == po_id)
            .order_by(PurchaseOrderLine.line_no)  # type: ignore[arg-type]
        ).all()
    )


@service
def create_purchase_order(
    *,
    session: Session,
    data: PurchaseOrderCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
    suggestion_ids: tuple[int, ...] = (),
) -> PurchaseOrder:
    """A draft PO; ``suggestion_ids`` marks those replenishment suggestions as ordered."""
    actor = actor_of(actor)
    clean = coerce(PurchaseOrderCreate, data)
    payload = clean.model_dump(mode="json") | {"suggestion_ids": list(suggestion_ids)}
    replay = find_replay(session, idempotency_key, "create_purchase_order", payload, PurchaseOrder)
    if replay is not None:
        return replay
    require_refs(
        session,
        {"supplier_id": (Supplier, clean.supplier_id), "buyer_id": (Employee, clean.buyer_id)},
    )
    errors = {
        f"lines.{i}.product_id": f"no product with id {ln.product_id}"
        for i, ln in enumerate(clean.lines)
        if session.get(Product, ln.product_id) is None
    }
    if errors:
        raise ValidationFailed(errors)
    if clean.po_no:
        require_unique(session, PurchaseOrder, "po_no", clean.po_no)
    suggestions = [get(session, ReplenishmentSuggestion, sid, lock=True) for sid in suggestion_ids]
    for s in suggestions:
        if not states.is_allowed("replenishment_suggestion", s.status, "ordered"):
            raise IllegalTransition("replenishment_suggestion", s.status, "ordered")
    key_row = claim_key(session, idempotency_key, "create_purchase_order", payload)
    po = PurchaseOrder(
        po_no=clean.po_no or new_number(session, PurchaseOrder, "po_no", "PO"),
        supplier_id=clean.supplier_id,
        order_date=clean.order_date,
        expected_date=clean.expected_date,
        buyer_id=clean.buyer_id,
        is_system_draft=clean.is_system_draft,
        status=states.INITIAL["purchase_order"],
        total_amount=sum((round_money(ln.quantity * ln.unit_cost) for ln in clean.lines), ZERO),
    )
    insert(session, po, actor=actor)
    for i, ln in enumerate(clean.lines, start=1):
        insert(
            session,
            PurchaseOrderLine(
                purchase_order_id=pk(po),
                line_no=i,
                product_id=ln.product_id,
                quantity=ln.quantity,
                unit_cost=ln.unit_cost,
            ),
            actor=actor,
        )
    for s in suggestions:
        before = snapshot(s)
        transition(s, "replenishment_suggestion", "ordered")
        s.purchase_order_id = po.id
        save(session, s, actor=actor, before=before, action="ordered")
    finish_key(key_row, po)
    return po


def _po_step(
    session: Session, po_id: int, expected_version: int, actor: str, to: str
) -> PurchaseOrder:
    actor = actor_of(actor)
    po = get(session, PurchaseOrder, po_id, lock=True)
    check_version(po, expected_version)
    if to == "cancelled" and any(ln.received_quantity > 0 for ln in po_lines(session, po_id)):
        raise IllegalTransition("purchase_order", po.status, to)
    before = snapshot(po)
    transition(po, "purchase_order", to)
    return save(session, po, actor=actor, before=before, action=to)


@service
def place_purchase_order(
    *, session: Session, purchase_order_id: int, expected_version: int, actor: str
) -> PurchaseOrder:
    """draft -> ordered (sent to the supplier)."""
    return _po_step(session, purchase_order_id, expected_version, actor, "ordered")


@service
def cancel_purchase_order(
    *, session: Session, purchase_order_id: int, expected_version: int, actor: str
) -> PurchaseOrder:
    """Only before anything was received."""
    return _po_step(session, purchase_order_id, expected_version, actor, "cancelled")


@service
def receive_goods(
    *,
    session: Session,
    purchase_order_line_id: int,
    quantity: Any,
    actor: str,
    received_at: datetime | None = None,
) -> GoodsReceipt:
    """Goods in against a PO line: stock receipt at the PO cost; PO becomes partially
    received or received."""
    actor = actor_of(actor)
    qty = check_field("quantity", positive_quantity, quantity)
    when = check_field("received_at", to_utc, received_at) if received_at else utc_now()
    line = get(session, PurchaseOrderLine, purchase_order_line_id)
    po = get(session, PurchaseOrder, line.purchase_order_id, lock=True)
    line = get(session, PurchaseOrderLine, purchase_order_line_id, lock=True)
    if po.status not in ("ordered", "partially_received"):
        raise ValidationFailed(
            {
                "purchase_order_line_id": f"{po.po_no} is '{po.status}': only ordered purchase "
                "orders receive goods"
            }
        )
    left = line.quantity - line.received_quantity
    if qty > left:
        raise ValidationFailed({"quantity": f"only {left} left to receive on this line"})
    receipt = insert(
        session,
        GoodsReceipt(
            receipt_no=new_number(session, GoodsReceipt, "receipt_no", "GR"),
            purchase_order_id=pk(po),
            purchase_order_line_id=pk(line),
            quantity=qty,
            received_at=when,
        ),
        actor=actor,
    )
    move_stock(
        session,
        product_id=line.product_id,
        quantity=qty,
        kind="receipt",
        unit_cost=line.unit_cost,
        actor=actor,
        moved_at=when,
        reference_type="goods_receipt",
        reference_id=receipt.id,
    )
    before = snapshot(line)
    line.received_quantity += qty
    save(session, line, actor=actor, before=before, action="receive")
    done = all(ln.received_quantity >= ln.quantity for ln in po_lines(session, pk(po)))
    target = "received" if done else "partially_received"
    if target != po.status:
        before = snapshot(po)
        transition(po, "purchase_order", target)
        save(session, po, actor=actor, before=before, action=target)
    if done:
        for s in session.exec(
            select(ReplenishmentSuggestion).where(
                ReplenishmentSuggestion.purchase_order_id == po.id,
                ReplenishmentSuggestion.status == "ordered",
            )
        ).all():
            before = snapshot(s)
            transition(s, "replenishment_suggestion", "closed")
            save(session, s, actor=actor, before=before, action="closed")
    return receipt


@service
def pay_supplier(
    *,
    session: Session,
    purchase_order_id: int,
    amount: Any,
    paid_date: date,
    actor: str,
    idempotency_key: str | None = None,
) -> SupplierPayment:
    """Pay a purchase order: refused until its 'purchase' approval is granted."""
    actor = actor_of(actor)
    value = check_field("amount", positive_money, amount)
    if not isinstance(paid_date, date):
        raise ValidationFailed({"paid_date": "must be a date"})
    payload = {"purchase_order_id": purchase_order_id, "amount": value, "paid_date": paid_date}
    replay = find_replay(session, idempotency_key, "pay_supplier", payload, SupplierPayment)
    if replay is not None:
        return replay
    po = get(session, PurchaseOrder, purchase_order_id, lock=True)
    if po.status in ("draft", "cancelled"):
        raise ValidationFailed({"purchase_order_id": f"{po.po_no} is '{po.status}'"})
    approval = approved_request(
        session, kind="purchase", reference_type="purchase_order", reference_id=pk(po)
    )  # type: ignore[arg-type]
    if approval is None:
        raise ApprovalRequired(
            "purchase",
            "purchase_order",
            po.id,  # type: ignore[arg-type]
            f"Purchase order {po.po_no} cannot be paid yet",
        )
    paid = sum(
        session.exec(
            select(col(SupplierPayment.amount)).where(SupplierPayment.purchase_order_id == po.id)
        ).all(),
        ZERO,
    )
    if value > po.total_amount - paid:
        raise ValidationFailed(
            {
                "amount": f"{value} is more than the {po.total_amount - paid} still unpaid on "
                f"{po.po_no}"
            }
        )
    key_row = claim_key(session, idempotency_key, "pay_supplier", payload)
    payment = insert(
        session,
        SupplierPayment(
            payment_no=new_number(session, SupplierPayment, "payment_no", "SP"),
            purchase_order_id=pk(po),
            amount=value,
            paid_date=paid_date,
            approval_request_id=approval.id,
        ),
        actor=actor,
    )
    finish_key(key_row, payment)
    return payment
