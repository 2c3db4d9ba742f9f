"""ERP master data: suppliers and products (a product gets its stock balance row at zero)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from operational.models import Product, StockLevel, Supplier
from operational.schemas import ProductCreate, ProductUpdate, SupplierCreate, SupplierUpdate
from operational.services._core import create_record, insert, pk, service, update_record


@service
def create_supplier(
    *,
    session: Session,
    data: SupplierCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Supplier:
    return create_record(
        session,
        model=Supplier,
        schema=SupplierCreate,
        data=data,
        actor=actor,
        operation="create_supplier",
        idempotency_key=idempotency_key,
        unique=("code",),
    )


@service
def update_supplier(
    *,
    session: Session,
    supplier_id: int,
    data: SupplierUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Supplier:
    return update_record(
        session,
        model=Supplier,
        schema=SupplierUpdate,
        record_id=supplier_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
    )


@service
def create_product(
    *,
    session: Session,
    data: ProductCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Product:
    product = create_record(
        session,
        model=Product,
        schema=ProductCreate,
        data=data,
        actor=actor,
        operation="create_product",
        idempotency_key=idempotency_key,
        unique=("sku",),
        refs={"supplier_id": Supplier},
    )
    if not _has_level(session, product.id):
        insert(
            session,
            StockLevel(product_id=pk(product), on_hand=Decimal("0"), reserved=Decimal("0")),
            actor=product.updated_by or actor,
        )
    return product


def _has_level(session: Session, product_id: int | None) -> bool:
    from sqlmodel import select

    return (
        session.exec(select(StockLevel.id).where(StockLevel.product_id == product_id)).first()
        is not None
    )


@service
def update_product(
    *,
    session: Session,
    product_id: int,
    data: ProductUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Product:
    return update_record(
        session,
        model=Product,
        schema=ProductUpdate,
        record_id=product_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
        refs={"supplier_id": Supplier},
    )
