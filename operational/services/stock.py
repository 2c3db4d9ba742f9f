"""The stock ledger: every receipt, shipment, adjustment and return is a movement.

``stock_level`` is the running balance, locked (``FOR UPDATE`` on PostgreSQL; SQLite has
one writer at a time) before each movement, so ``on_hand`` = sum of movements and never
goes negative, and each movement's ``balance_after`` is the balance right after it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from operational.errors import ValidationFailed
from operational.models import Product, StockLevel, StockMovement
from operational.services._core import actor_of, get, insert, save, service, snapshot, utc_now
from operational.validation import check_field, money, signed_quantity, text, to_utc
from operational.validation import quantity as positive_quantity

INBOUND_KINDS = ("opening", "receipt", "return")


def lock_stock_level(session: Session, product_id: int) -> StockLevel:
    """The product's balance row, locked; created at zero the first time it is needed."""
    stmt = (
        select(StockLevel)
        .where(StockLevel.product_id == product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    level = session.exec(stmt).first()
    if level is None:
        get(session, Product, product_id)
        level = StockLevel(product_id=product_id, on_hand=Decimal("0"), reserved=Decimal("0"))
        session.add(level)
        session.flush()
    return level


def move_stock(
    session: Session,
    *,
    product_id: int,
    quantity: Decimal,
    kind: str,
    unit_cost: Decimal,
    actor: str,
    level: StockLevel | None = None,
    moved_at: datetime | None = None,
    reference_type: str | None = None,
    reference_id: int | None = None,
    note: str | None = None,
    release_reserved: Decimal = Decimal(0),
) -> StockMovement:
    """Append one signed movement and update the balance; refuse a negative balance.

    ``release_reserved`` lowers the reservation in the same update (a shipment that takes
    reserved stock)."""
    level = level or lock_stock_level(session, product_id)
    new_balance = level.on_hand + quantity
    if new_balance < 0:
        raise ValidationFailed(
            {"quantity": f"only {level.on_hand} on hand; moving {quantity} would go below zero"}
        )
    before = snapshot(level)
    level.on_hand = new_balance
    if release_reserved:
        level.reserved = max(level.reserved - release_reserved, Decimal(0))
    save(session, level, actor=actor, before=before)
    movement = StockMovement(
        product_id=product_id,
        kind=kind,
        quantity=quantity,
        moved_at=to_utc(moved_at) if moved_at else utc_now(),
        unit_cost=unit_cost,
        balance_after=new_balance,
        reference_type=reference_type,
        reference_id=reference_id,
        note=note,
    )
    return insert(session, movement, actor=actor)


def _note(value: Any) -> str | None:
    return check_field("note", text, value, max_length=400, required=False)


@service
def receive_stock(
    *,
    session: Session,
    product_id: int,
    quantity: Any,
    unit_cost: Any,
    actor: str,
    kind: str = "receipt",
    moved_at: datetime | None = None,
    reference_type: str | None = None,
    reference_id: int | None = None,
    note: str | None = None,
) -> StockMovement:
    """Stock in: ``opening``, ``receipt`` or ``return`` with a positive quantity."""
    actor = actor_of(actor)
    if kind not in INBOUND_KINDS:
        raise ValidationFailed({"kind": f"must be one of: {', '.join(INBOUND_KINDS)}"})
    qty = check_field("quantity", positive_quantity, quantity)
    cost = check_field("unit_cost", money, unit_cost)
    note = _note(note)
    get(session, Product, product_id)
    return move_stock(
        session,
        product_id=product_id,
        quantity=qty,
        kind=kind,
        unit_cost=cost,
        actor=actor,
        moved_at=moved_at,
        reference_type=reference_type,
        reference_id=reference_id,
        note=note,
    )


@service
def adjust_stock(
    *,
    session: Session,
    product_id: int,
    quantity: Any,
    actor: str,
    kind: str = "adjustment",
    unit_cost: Any = None,
    moved_at: datetime | None = None,
    note: str | None = None,
) -> StockMovement:
    """A signed correction (count differences, damage); cost defaults to the standard cost.

    Other kinds are delegated: inbound kinds go through ``receive_stock``.
    """
    if kind in INBOUND_KINDS:
        product = get(session, Product, product_id)
        return receive_stock(
            session=session,
            product_id=product_id,
            quantity=quantity,
            unit_cost=product.standard_cost if unit_cost is None else unit_cost,
            actor=actor,
            kind=kind,
            moved_at=moved_at,
            note=note,
        )
    actor = actor_of(actor)
    if kind != "adjustment":
        raise ValidationFailed({"kind": "must be adjustment, opening, receipt or return"})
    qty = check_field("quantity", signed_quantity, quantity)
    product = get(session, Product, product_id)
    cost = (
        product.standard_cost if unit_cost is None else check_field("unit_cost", money, unit_cost)
    )
    return move_stock(
        session,
        product_id=product_id,
        quantity=qty,
        kind=kind,
        unit_cost=cost,
        actor=actor,
        moved_at=moved_at,
        note=_note(note),
    )


def stock_on_hand(*, session: Session, product_id: int) -> tuple[Decimal, Decimal]:
    """(on_hand, reserved) for a product; zeros when it never moved."""
    level = session.exec(select(StockLevel).where(StockLevel.product_id == product_id)).first()
    if level is None:
        return Decimal("0.000"), Decimal("0.000")
    return level.on_hand, level.reserved
