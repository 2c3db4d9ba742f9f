"""Sales orders: create, confirm (stock check and reservation), cancel, ship, deliver.

Lock order, everywhere: sales order -> order line -> stock level (by product id). Taking
locks in one order is what keeps concurrent shipments and confirmations deadlock-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from operational import states
from operational.errors import ApprovalRequired, IllegalTransition, ValidationFailed
from operational.models import (
    ApprovalRequest,
    Customer,
    Delivery,
    Employee,
    Product,
    ReplenishmentSuggestion,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
)
from operational.schemas import SalesOrderCreate
from operational.services._core import (
    actor_of,
    check_version,
    claim_key,
    coerce,
    company_today,
    find_replay,
    finish_key,
    get,
    insert,
    line_net,
    new_number,
    pk,
    require_refs,
    require_unique,
    save,
    service,
    snapshot,
    transition,
    utc_now,
)
from operational.services.stock import lock_stock_level, move_stock
from operational.settings import get_settings
from operational.validation import check_field, text, to_utc
from operational.validation import quantity as positive_quantity


@dataclass
class ConfirmResult:
    """What confirming did: the order, what each line reserved, and the shortfalls."""

    order: SalesOrder
    reserved: dict[int, Decimal] = field(default_factory=dict)  # line id -> reserved now
    suggestions: list[ReplenishmentSuggestion] = field(default_factory=list)

    @property
    def fully_reserved(self) -> bool:
        return not self.suggestions


def order_lines(session: Session, order_id: int, *, lock: bool = False) -> list[SalesOrderLine]:
    stmt = (
        select(SalesOrderLine)
        .where(SalesOrderLine.sales_order_id == order_id)
        .order_by(SalesOrderLine.line_no)  # type: ignore[arg-type]
    )
    if lock:
        stmt = stmt.with_for_update()
    return list(session.exec(stmt.execution_options(populate_existing=True)).all())


@service
def create_sales_order(
    *,
    session: Session,
    data: SalesOrderCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> SalesOrder:
    """A draft order with its lines; each line's net amount is rounded half-up to the cent."""
    actor = actor_of(actor)
    clean = coerce(SalesOrderCreate, data)
    payload = clean.model_dump(mode="json")
    replay = find_replay(session, idempotency_key, "create_sales_order", payload, SalesOrder)
    if replay is not None:
        return replay
    require_refs(
        session,
        {"customer_id": (Customer, clean.customer_id), "owner_id": (Employee, clean.owner_id)},
    )
    errors = {}
    for i, line in enumerate(clean.lines):
        product = session.get(Product, line.product_id)
        if product is None:
            errors[f"lines.{i}.product_id"] = f"no product with id {line.product_id}"
        elif not product.is_active:
            errors[f"lines.{i}.product_id"] = f"product {product.sku} is no longer sold"
    if errors:
        raise ValidationFailed(errors)
    if clean.order_no:
        require_unique(session, SalesOrder, "order_no", clean.order_no)
    order_no = clean.order_no or new_number(session, SalesOrder, "order_no", "SO")
    key_row = claim_key(session, idempotency_key, "create_sales_order", payload)
    order = SalesOrder(
        order_no=order_no,
        customer_id=clean.customer_id,
        owner_id=clean.owner_id,
        order_date=clean.order_date,
        promised_date=clean.promised_date,
        notes=clean.notes,
        status=states.INITIAL["sales_order"],
    )
    insert(session, order, actor=actor)
    for i, line in enumerate(clean.lines, start=1):
        insert(
            session,
            SalesOrderLine(
                sales_order_id=pk(order),
                line_no=i,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                tax_rate=line.tax_rate,
                promised_date=line.promised_date,
                net_amount=line_net(line.quantity, line.unit_price, line.discount),
            ),
            actor=actor,
        )
    finish_key(key_row, order)
    return order


def _require_discount_approval(
    session: Session, order: SalesOrder, lines: list[SalesOrderLine]
) -> None:
    threshold = Decimal(str(get_settings().discount_approval_threshold))
    over = [line for line in lines if line.discount > threshold]
    if not over:
        return
    approved = session.exec(
        select(ApprovalRequest).where(
            ApprovalRequest.kind == "discount",
            ApprovalRequest.reference_type == "sales_order",
            ApprovalRequest.reference_id == order.id,
            ApprovalRequest.status == "approved",
        )
    ).first()
    if approved is None:
        worst = max(over, key=lambda line: line.discount)
        raise ApprovalRequired(
            "discount",
            "sales_order",
            order.id,  # type: ignore[arg-type]
            f"Order {order.order_no} line {worst.line_no} has a {worst.discount * 100:.2f}% "
            f"discount, above the {threshold * 100:.2f}% threshold",
        )


@service
def confirm_order(
    *,
    session: Session,
    order_id: int,
    expected_version: int,
    actor: str,
    today: date | None = None,
) -> ConfirmResult:
    """Check stock line by line: reserve what there is; raise a replenishment suggestion for
    any shortfall and estimate delivery from the supplier lead time."""
    actor = actor_of(actor)
    order = get(session, SalesOrder, order_id, lock=True)
    check_version(order, expected_version)
    if not states.is_allowed("sales_order", order.status, "confirmed"):
        raise IllegalTransition("sales_order", order.status, "confirmed")
    lines = order_lines(session, order.id, lock=True)  # type: ignore[arg-type]
    if not lines:
        raise ValidationFailed({"lines": f"order {order.order_no} has no lines to confirm"})
    _require_discount_approval(session, order, lines)

    today = today or company_today()
    result = ConfirmResult(order=order)
    products = {line.product_id: get(session, Product, line.product_id) for line in lines}
    levels = {pid: lock_stock_level(session, pid) for pid in sorted(products)}
    estimates: list[date] = []
    for line in lines:
        level, product = levels[line.product_id], products[line.product_id]
        available = max(level.on_hand - level.reserved, Decimal(0))
        reserve = min(line.quantity - line.reserved_quantity - line.shipped_quantity, available)
        if reserve > 0:
            before = snapshot(level)
            level.reserved += reserve
            save(session, level, actor=actor, before=before, action="reserve")
            before = snapshot(line)
            line.reserved_quantity += reserve
            save(session, line, actor=actor, before=before, action="reserve")
        result.reserved[line.id] = reserve  # type: ignore[index]
        shortfall = line.quantity - line.shipped_quantity - line.reserved_quantity
        if shortfall > 0:
            estimate = today + timedelta(days=product.lead_time_days)
            estimates.append(estimate)
            suggestion = ReplenishmentSuggestion(
                product_id=product.id,  # type: ignore[arg-type]
                supplier_id=product.supplier_id,
                sales_order_line_id=line.id,
                quantity=shortfall,
                estimated_available_date=estimate,
                status=states.INITIAL["replenishment_suggestion"],
            )
            result.suggestions.append(insert(session, suggestion, actor=actor))

    before = snapshot(order)
    transition(order, "sales_order", "confirmed")
    order.confirmed_at = utc_now()
    order.estimated_delivery_date = max(estimates) if estimates else order.promised_date
    save(session, order, actor=actor, before=before, action="confirm")
    return result


def _release(session: Session, line: SalesOrderLine, level: StockLevel, actor: str) -> None:
    if line.reserved_quantity <= 0:
        return
    before = snapshot(level)
    level.reserved = max(level.reserved - line.reserved_quantity, Decimal(0))
    save(session, level, actor=actor, before=before, action="release")
    before = snapshot(line)
    line.reserved_quantity = Decimal(0)
    save(session, line, actor=actor, before=before, action="release")


@service
def cancel_order(
    *,
    session: Session,
    order_id: int,
    expected_version: int,
    actor: str,
    reason: str | None = None,
) -> SalesOrder:
    """Cancel a draft or confirmed order; releases its reservations. Not once anything shipped."""
    actor = actor_of(actor)
    reason = check_field("reason", text, reason, max_length=2000, required=False)
    order = get(session, SalesOrder, order_id, lock=True)
    check_version(order, expected_version)
    if not states.is_allowed("sales_order", order.status, "cancelled"):
        raise IllegalTransition("sales_order", order.status, "cancelled")
    lines = order_lines(session, order.id, lock=True)  # type: ignore[arg-type]
    if any(line.shipped_quantity > 0 for line in lines):
        raise ValidationFailed(
            {
                "status": f"order {order.order_no} has already shipped in part; it cannot be "
                "cancelled (record a return instead)"
            }
        )
    levels = {
        pid: lock_stock_level(session, pid)
        for pid in sorted({line.product_id for line in lines if line.reserved_quantity > 0})
    }
    for line in lines:
        if line.product_id in levels:
            _release(session, line, levels[line.product_id], actor)
    suggestions = session.exec(
        select(ReplenishmentSuggestion).where(
            ReplenishmentSuggestion.sales_order_line_id.in_([ln.id for ln in lines]),  # type: ignore[union-attr]
            ReplenishmentSuggestion.status == "open",
        )
    ).all()
    for suggestion in suggestions:
        before = snapshot(suggestion)
        transition(suggestion, "replenishment_suggestion", "closed")
        save(session, suggestion, actor=actor, before=before, action="close")
    before = snapshot(order)
    transition(order, "sales_order", "cancelled")
    order.cancelled_at = utc_now()
    if reason:
        order.notes = f"{order.notes}\n" if order.notes else ""
        order.notes = (order.notes + f"Cancelled: {reason}")[:2000]
    save(session, order, actor=actor, before=before, action="cancel")
    return order


def _advance_order(session: Session, order: SalesOrder, actor: str) -> None:
    """confirmed -> shipped when every line shipped in full; shipped -> delivered when every
    delivery has arrived."""
    lines = order_lines(session, order.id)  # type: ignore[arg-type]
    before = snapshot(order)
    changed = False
    if order.status == "confirmed" and all(ln.shipped_quantity >= ln.quantity for ln in lines):
        transition(order, "sales_order", "shipped")
        changed = True
    if order.status == "shipped":
        pending = session.exec(
            select(Delivery).where(
                Delivery.sales_order_id == order.id,
                Delivery.delivered_at.is_(None),  # type: ignore[union-attr]
            )
        ).first()
        if pending is None:
            transition(order, "sales_order", "delivered")
            changed = True
    if changed:
        save(session, order, actor=actor, before=before, action=order.status)


def _check_delivered_at(shipped_at: datetime, delivered_at: datetime | None) -> None:
    if delivered_at is not None and delivered_at < shipped_at:
        raise ValidationFailed({"delivered_at": "must not be before shipped_at"})


@service
def record_delivery(
    *,
    session: Session,
    order_line_id: int,
    quantity: Any,
    actor: str,
    shipped_at: datetime | None = None,
    delivered_at: datetime | None = None,
) -> Delivery:
    """Ship (part of) a confirmed order line: stock out, reservation released."""
    actor = actor_of(actor)
    qty = check_field("quantity", positive_quantity, quantity)
    shipped_at = check_field("shipped_at", to_utc, shipped_at) if shipped_at else utc_now()
    if delivered_at is not None:
        delivered_at = check_field("delivered_at", to_utc, delivered_at)
    _check_delivered_at(shipped_at, delivered_at)
    line = get(session, SalesOrderLine, order_line_id)
    order = get(session, SalesOrder, line.sales_order_id, lock=True)
    line = get(session, SalesOrderLine, order_line_id, lock=True)
    if order.status != "confirmed":  # only confirmed orders ship (draft, cancelled, done)
        raise IllegalTransition("sales_order", order.status, "shipped")
    remaining = line.quantity - line.shipped_quantity
    if qty > remaining:
        raise ValidationFailed(
            {
                "quantity": f"only {remaining} left to ship on line {line.line_no} of "
                f"{order.order_no}"
            }
        )
    level = lock_stock_level(session, line.product_id)
    free = level.on_hand - (level.reserved - line.reserved_quantity)
    if qty > free:
        raise ValidationFailed(
            {
                "quantity": f"only {max(free, Decimal(0))} can ship now ({level.on_hand} on hand, "
                f"{level.reserved - line.reserved_quantity} reserved for other orders)"
            }
        )
    product = get(session, Product, line.product_id)
    delivery = insert(
        session,
        Delivery(
            delivery_no=new_number(session, Delivery, "delivery_no", "DL"),
            sales_order_id=order.id,  # type: ignore[arg-type]
            sales_order_line_id=line.id,  # type: ignore[arg-type]
            quantity=qty,
            shipped_at=shipped_at,
            delivered_at=delivered_at,
        ),
        actor=actor,
    )
    release = min(line.reserved_quantity, qty)
    move_stock(
        session,
        product_id=line.product_id,
        quantity=-qty,
        kind="shipment",
        unit_cost=product.standard_cost,
        actor=actor,
        level=level,
        moved_at=shipped_at,
        reference_type="delivery",
        reference_id=delivery.id,
        release_reserved=release,
    )
    before = snapshot(line)
    line.shipped_quantity += qty
    line.reserved_quantity -= release
    save(session, line, actor=actor, before=before, action="ship")
    _advance_order(session, order, actor)
    return delivery


@service
def mark_delivered(
    *, session: Session, delivery_id: int, delivered_at: datetime, actor: str
) -> Delivery:
    """The customer has the goods; the order becomes delivered when all of it has arrived."""
    actor = actor_of(actor)
    delivered_at = check_field("delivered_at", to_utc, delivered_at)
    delivery = get(session, Delivery, delivery_id)
    order = get(session, SalesOrder, delivery.sales_order_id, lock=True)
    delivery = get(session, Delivery, delivery_id, lock=True)
    if delivery.delivered_at is not None:
        raise ValidationFailed(
            {
                "delivered_at": f"delivery {delivery.delivery_no} was already delivered at "
                f"{delivery.delivered_at:%Y-%m-%d %H:%M}"
            }
        )
    _check_delivered_at(delivery.shipped_at, delivered_at)
    before = snapshot(delivery)
    delivery.delivered_at = delivered_at
    save(session, delivery, actor=actor, before=before, action="deliver")
    _advance_order(session, order, actor)
    return delivery
