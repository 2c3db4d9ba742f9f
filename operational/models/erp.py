"""ERP: the resource side (suppliers, products, stock, sales orders, deliveries, invoices,
payments, purchasing)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from operational.models.base import TableBase
from operational.types import Money, Quantity, Rate


class SupplierBase(SQLModel):
    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=200)
    region: str | None = Field(default=None, max_length=60)
    contact_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)


class Supplier(TableBase, SupplierBase, table=True):
    __tablename__ = "supplier"


class ProductBase(SQLModel):
    sku: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    category: str = Field(max_length=60)
    unit: str = Field(max_length=10)
    list_price: Decimal = Field(sa_type=Money(), nullable=False)
    standard_cost: Decimal = Field(sa_type=Money(), nullable=False)
    reorder_point: Decimal = Field(default=Decimal("0"), sa_type=Quantity(), nullable=False)
    lead_time_days: int = Field(default=7, ge=0)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id", index=True)
    is_active: bool = True


class Product(TableBase, ProductBase, table=True):
    __tablename__ = "product"


class StockLevel(TableBase, table=True):
    """Per-product running balance, locked on every movement.

    Invariant (tested): ``on_hand`` = sum of ``stock_movement.quantity`` for the product, and
    never negative. ``reserved`` = open reservations of confirmed order lines.
    """

    __tablename__ = "stock_level"
    product_id: int = Field(foreign_key="product.id", unique=True, index=True)
    on_hand: Decimal = Field(default=Decimal("0"), sa_type=Quantity(), nullable=False)
    reserved: Decimal = Field(default=Decimal("0"), sa_type=Quantity(), nullable=False)


class StockMovement(TableBase, table=True):
    """The stock ledger: signed quantity (+ in, - out); on-hand is their sum."""

    __tablename__ = "stock_movement"
    product_id: int = Field(foreign_key="product.id", index=True)
    kind: str = Field(max_length=12)
    quantity: Decimal = Field(sa_type=Quantity(), nullable=False)
    moved_at: datetime
    unit_cost: Decimal = Field(sa_type=Money(), nullable=False)
    balance_after: Decimal = Field(sa_type=Quantity(), nullable=False)
    reference_type: str | None = Field(default=None, max_length=30)
    reference_id: int | None = None
    note: str | None = Field(default=None, max_length=400)


class SalesOrderBase(SQLModel):
    order_no: str = Field(max_length=30, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    order_date: date
    promised_date: date | None = None
    notes: str | None = Field(default=None, max_length=2000)


class SalesOrder(TableBase, SalesOrderBase, table=True):
    __tablename__ = "sales_order"
    status: str = Field(default="draft", max_length=20, index=True)
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    estimated_delivery_date: date | None = None


class SalesOrderLineBase(SQLModel):
    product_id: int = Field(foreign_key="product.id", index=True)
    quantity: Decimal = Field(sa_type=Quantity(), nullable=False)
    unit_price: Decimal = Field(sa_type=Money(), nullable=False)
    discount: Decimal = Field(default=Decimal("0"), sa_type=Rate(), nullable=False)
    tax_rate: Decimal = Field(default=Decimal("0.13"), sa_type=Rate(), nullable=False)
    promised_date: date | None = None


class SalesOrderLine(TableBase, SalesOrderLineBase, table=True):
    __tablename__ = "sales_order_line"
    __table_args__ = (UniqueConstraint("sales_order_id", "line_no"),)
    sales_order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_no: int
    net_amount: Decimal = Field(sa_type=Money(), nullable=False)
    reserved_quantity: Decimal = Field(default=Decimal("0"), sa_type=Quantity(), nullable=False)
    shipped_quantity: Decimal = Field(default=Decimal("0"), sa_type=Quantity(), nullable=False)


class ReplenishmentSuggestion(TableBase, table=True):
    """Raised when confirming an order finds too little stock for a line."""

    __tablename__ = "replenishment_suggestion"
    product_id: int = Field(foreign_key="product.id", index=True)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    sales_order_line_id: int | None = Field(default=None, foreign_key="sales_order_line.id")
    quantity: Decimal = Field(sa_type=Quantity(), nullable=False)
    estimated_available_date: date
    status: str = Field(default="open", max_length=20, index=True)
    purchase_order_id: int | None = Field(default=None, foreign_key="purchase_order.id")


class Delivery(TableBase, table=True):
    """Shipment of (part of) one order line; ``delivered_at`` is set when the customer has it."""

    __tablename__ = "delivery"
    delivery_no: str = Field(max_length=30, unique=True, index=True)
    sales_order_id: int = Field(foreign_key="sales_order.id", index=True)
    sales_order_line_id: int = Field(foreign_key="sales_order_line.id", index=True)
    quantity: Decimal = Field(sa_type=Quantity(), nullable=False)
    shipped_at: datetime
    delivered_at: datetime | None = None


class Invoice(TableBase, table=True):
    """An invoice (or credit note, with negative amounts) for delivered lines of one order."""

    __tablename__ = "invoice"
    invoice_no: str = Field(max_length=30, unique=True, index=True)
    kind: str = Field(default="invoice", max_length=12)
    sales_order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    credited_invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    issue_date: date
    due_date: date
    net_amount: Decimal = Field(sa_type=Money(), nullable=False)
    tax_amount: Decimal = Field(sa_type=Money(), nullable=False)
    gross_amount: Decimal = Field(sa_type=Money(), nullable=False)
    paid_amount: Decimal = Field(default=Decimal("0.00"), sa_type=Money(), nullable=False)


class InvoiceLine(TableBase, table=True):
    __tablename__ = "invoice_line"
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    sales_order_line_id: int = Field(foreign_key="sales_order_line.id", index=True)
    quantity: Decimal = Field(sa_type=Quantity(), nullable=False)
    net_amount: Decimal = Field(sa_type=Money(), nullable=False)
    tax_amount: Decimal = Field(sa_type=Money(), nullable=False)


class Payment(TableBase, table=True):
    __tablename__ = "payment"
    payment_no: str = Field(max_length=30, unique=True, index=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    amount: Decimal = Field(sa_type=Money(), nullable=False)
    paid_date: date
    method: str = Field(default="bank_transfer", max_length=20)


class PurchaseOrderBase(SQLModel):
    po_no: str = Field(max_length=30, unique=True, index=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    order_date: date
    expected_date: date | None = None
    buyer_id: int | None = Field(default=None, foreign_key="employee.id")


class PurchaseOrder(TableBase, PurchaseOrderBase, table=True):
    __tablename__ = "purchase_order"
    status: str = Field(default="draft", max_length=20, index=True)
    total_amount: Decimal = Field(default=Decimal("0.00"), sa_type=Money(), nullable=False)
    is_system_draft: bool = False


class PurchaseOrderLine(TableBase, table=True):
    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("purchase_order_id", "line_no"),)
    purchase_order_id: int = Field(foreign_key="purchase_order.id", index=True)
    line_no: int
    product_id: int = Field(foreign_key="product.id", index=True)
    quantity: Decimal = Field(sa_type=Quantity(), nullable=False)
    unit_cost: Decimal = Field(sa_type=Money(), nullable=False)
    received_quantity: Decimal = Field(default=Decimal("0"), sa_type=Quantity(), nullable=False)


class GoodsReceipt(TableBase, table=True):
    __tablename__ = "goods_receipt"
    receipt_no: str = Field(max_length=30, unique=True, index=True)
    purchase_order_id: int = Field(foreign_key="purchase_order.id", index=True)
    purchase_order_line_id: int = Field(foreign_key="purchase_order_line.id", index=True)
    quantity: Decimal = Field(sa_type=Quantity(), nullable=False)
    received_at: datetime


class SupplierPayment(TableBase, table=True):
    """Paying a purchase order; refused unless its purchase approval was granted."""

    __tablename__ = "supplier_payment"
    payment_no: str = Field(max_length=30, unique=True, index=True)
    purchase_order_id: int = Field(foreign_key="purchase_order.id", index=True)
    amount: Decimal = Field(sa_type=Money(), nullable=False)
    paid_date: date
    approval_request_id: int | None = Field(default=None, foreign_key="approval_request.id")
