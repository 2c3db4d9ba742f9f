"""Input and output shapes of the services: ``XCreate``, ``XUpdate`` (all optional), ``XRead``.

Create/Update classes are plain pydantic models rather than subclasses of the tables'
``XBase``: every field needs an *input* rule (no floats, no NUL, codes without invisible
characters, ...) that differs from the storage constraint, so restating the fields is
clearer than overriding all of them. ``tests/operational/test_schemas.py`` checks that each
input field is a column of its table, so the two cannot drift apart. ``XRead`` classes do
subclass ``XBase`` (they describe the stored row).

Build inputs with ``XCreate.model_validate(form_dict)``; services also accept the dict and
turn a pydantic error into ``ValidationFailed`` with field paths (``lines.0.quantity``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from sqlmodel import SQLModel

from operational.models.crm import (
    CampaignBase,
    ContactBase,
    CustomerBase,
    EmployeeBase,
    LeadBase,
    OpportunityBase,
    ServiceTicketBase,
)
from operational.models.erp import ProductBase, PurchaseOrderBase, SalesOrderBase, SupplierBase
from operational.models.oa import ApprovalRequestBase, TaskBase
from operational.states import KINDS
from operational.validation import (
    Code20,
    Code30,
    Code40,
    Id,
    Money,
    OptText40,
    OptText60,
    OptText100,
    OptText200,
    OptText1000,
    OptText2000,
    OptText4000,
    Quantity,
    Rate,
    Text40,
    Text60,
    Text100,
    Text200,
    Timestamp,
    choice,
    date_order,
)


def _kind(name: str) -> Any:
    return BeforeValidator(lambda v: choice(v, options=KINDS[name]))


CustomerKind = Annotated[str, _kind("customer_kind")]
CustomerGrade = Annotated[str, _kind("customer_grade")]
ActivityKind = Annotated[str, _kind("activity_kind")]
ApprovalKind = Annotated[str, _kind("approval_kind")]
TicketPriority = Annotated[str, _kind("ticket_priority")]
LeadSource = Annotated[str, _kind("lead_source")]
CampaignChannel = Annotated[str, _kind("campaign_channel")]
Department = Annotated[str, _kind("department")]
PaymentMethod = Annotated[str, _kind("payment_method")]
Satisfaction = Annotated[int, Field(ge=1, le=5)]
LeadTimeDays = Annotated[int, Field(ge=0, le=3650)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


def _check_dates(start: date | None, end: date | None, field: str, start_name: str) -> None:
    if date_order(start, end):
        raise ValueError(f"{field}: must not be before {start_name}")


# --- CRM -------------------------------------------------------------------------------


class EmployeeCreate(Input):
    code: Code20
    name: Text100
    department: Department
    email: OptText200 = None
    is_active: bool = True


class EmployeeUpdate(Input):
    name: Text100 | None = None
    department: Department | None = None
    email: OptText200 = None
    is_active: bool | None = None


class CustomerCreate(Input):
    code: Code20
    name: Text200
    kind: CustomerKind = "company"
    industry: OptText60 = None
    region: OptText60 = None
    grade: CustomerGrade = "C"
    owner_id: Id | None = None
    credit_limit: Money = Decimal("0.00")


class CustomerUpdate(Input):
    name: Text200 | None = None
    kind: CustomerKind | None = None
    industry: OptText60 = None
    region: OptText60 = None
    grade: CustomerGrade | None = None
    owner_id: Id | None = None
    credit_limit: Money | None = None


class ContactCreate(Input):
    customer_id: Id
    name: Text100
    title: OptText100 = None
    phone: OptText40 = None
    email: OptText200 = None
    is_primary: bool = False


class ContactUpdate(Input):
    name: Text100 | None = None
    title: OptText100 = None
    phone: OptText40 = None
    email: OptText200 = None
    is_primary: bool | None = None


class CampaignCreate(Input):
    code: Code20
    name: Text200
    channel: CampaignChannel
    cost: Money = Decimal("0.00")
    start_date: date
    end_date: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _check_dates(self.start_date, self.end_date, "end_date", "start_date")
        return self


class LeadCreate(Input):
    code: Code20
    company_name: Text200
    contact_name: OptText100 = None
    phone: OptText40 = None
    email: OptText200 = None
    region: OptText60 = None
    industry: OptText60 = None
    source_channel: LeadSource
    campaign_id: Id | None = None
    owner_id: Id | None = None


class OpportunityCreate(Input):
    customer_id: Id
    name: Text200
    amount: Money = Decimal("0.00")
    expected_close_date: date | None = None
    owner_id: Id | None = None
    lead_id: Id | None = None


class OpportunityUpdate(Input):
    name: Text200 | None = None
    amount: Money | None = None
    expected_close_date: date | None = None
    owner_id: Id | None = None


class ActivityCreate(Input):
    kind: ActivityKind
    customer_id: Id | None = None
    opportunity_id: Id | None = None
    lead_id: Id | None = None
    employee_id: Id | None = None
    occurred_at: Timestamp
    subject: Text200
    notes: OptText4000 = None
    next_follow_up_date: date | None = None

    @model_validator(mode="after")
    def _target(self) -> Self:
        if not (self.customer_id or self.opportunity_id or self.lead_id):
            raise ValueError("customer_id: an activity needs a customer, an opportunity or a lead")
        _check_dates(
            self.occurred_at.date(), self.next_follow_up_date, "next_follow_up_date", "occurred_at"
        )
        return self


class ServiceTicketCreate(Input):
    ticket_no: Code20 | None = None
    customer_id: Id
    sales_order_id: Id | None = None
    category: Text40
    priority: TicketPriority = "normal"
    subject: Text200
    assignee_id: Id | None = None
    opened_at: Timestamp | None = None


# --- ERP -------------------------------------------------------------------------------


class SupplierCreate(Input):
    code: Code20
    name: Text200
    region: OptText60 = None
    contact_name: OptText100 = None
    phone: OptText40 = None


class SupplierUpdate(Input):
    name: Text200 | None = None
    region: OptText60 = None
    contact_name: OptText100 = None
    phone: OptText40 = None


class ProductCreate(Input):
    sku: Code40
    name: Text200
    category: Text60
    unit: Annotated[str, BeforeValidator(lambda v: _unit(v))]
    list_price: Money
    standard_cost: Money
    reorder_point: Annotated[Decimal, BeforeValidator(lambda v: _nonneg_qty(v))] = Decimal("0")
    lead_time_days: LeadTimeDays = 7
    supplier_id: Id | None = None
    is_active: bool = True


class ProductUpdate(Input):
    name: Text200 | None = None
    category: Text60 | None = None
    list_price: Money | None = None
    standard_cost: Money | None = None
    reorder_point: Annotated[Decimal, BeforeValidator(lambda v: _nonneg_qty(v))] | None = None
    lead_time_days: LeadTimeDays | None = None
    supplier_id: Id | None = None
    is_active: bool | None = None


def _unit(value: Any) -> str:
    from operational.validation import text

    cleaned = text(value, max_length=10, required=True)
    assert cleaned is not None
    return cleaned


def _nonneg_qty(value: Any) -> Decimal:
    from operational.validation import MAX_QUANTITY, check_decimal

    return check_decimal(value, places=3, minimum=Decimal(0), maximum=MAX_QUANTITY)


class SalesOrderLineCreate(Input):
    product_id: Id
    quantity: Quantity
    unit_price: Money
    discount: Rate = Decimal("0.0000")
    tax_rate: Rate = Decimal("0.1300")
    promised_date: date | None = None


class SalesOrderCreate(Input):
    customer_id: Id
    order_no: Code30 | None = None
    order_date: date
    promised_date: date | None = None
    owner_id: Id | None = None
    notes: OptText2000 = None
    lines: list[SalesOrderLineCreate] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _check_dates(self.order_date, self.promised_date, "promised_date", "order_date")
        for i, line in enumerate(self.lines):
            if date_order(self.order_date, line.promised_date):
                raise ValueError(f"lines.{i}.promised_date: must not be before order_date")
        return self


class SalesOrderUpdate(Input):
    promised_date: date | None = None
    owner_id: Id | None = None
    notes: OptText2000 = None


class PurchaseOrderLineCreate(Input):
    product_id: Id
    quantity: Quantity
    unit_cost: Money


class PurchaseOrderCreate(Input):
    supplier_id: Id
    po_no: Code30 | None = None
    order_date: date
    expected_date: date | None = None
    buyer_id: Id | None = None
    is_system_draft: bool = False
    lines: list[PurchaseOrderLineCreate] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _check_dates(self.order_date, self.expected_date, "expected_date", "order_date")
        return self


# --- OA --------------------------------------------------------------------------------


class ApprovalRequestCreate(Input):
    request_no: Code30 | None = None
    kind: ApprovalKind
    requester_id: Id
    approver_id: Id | None = None
    subject: Text200
    amount: Money | None = None
    reference_type: OptText40 = None
    reference_id: Id | None = None


class TaskCreate(Input):
    title: Text200
    assignee_id: Id | None = None
    due_date: date | None = None
    reference_type: OptText40 = None
    reference_id: Id | None = None
    reason: OptText1000 = None


class TaskUpdate(Input):
    title: Text200 | None = None
    assignee_id: Id | None = None
    due_date: date | None = None


# --- Read models -------------------------------------------------------------------------


class RecordRead(SQLModel):
    id: int
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int


class EmployeeRead(EmployeeBase, RecordRead):
    pass


class CustomerRead(CustomerBase, RecordRead):
    pass


class ContactRead(ContactBase, RecordRead):
    pass


class CampaignRead(CampaignBase, RecordRead):
    pass


class LeadRead(LeadBase, RecordRead):
    status: str
    customer_id: int | None = None
    opportunity_id: int | None = None
    converted_at: datetime | None = None


class OpportunityRead(OpportunityBase, RecordRead):
    stage: str
    stage_changed_at: datetime | None = None
    last_activity_at: datetime | None = None
    closed_at: datetime | None = None


class ServiceTicketRead(ServiceTicketBase, RecordRead):
    status: str
    opened_at: datetime
    resolved_at: datetime | None = None
    satisfaction: int | None = None


class SupplierRead(SupplierBase, RecordRead):
    pass


class ProductRead(ProductBase, RecordRead):
    pass


class SalesOrderRead(SalesOrderBase, RecordRead):
    status: str
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    estimated_delivery_date: date | None = None


class PurchaseOrderRead(PurchaseOrderBase, RecordRead):
    status: str
    total_amount: Decimal
    is_system_draft: bool


class ApprovalRequestRead(ApprovalRequestBase, RecordRead):
    status: str
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None


class TaskRead(TaskBase, RecordRead):
    status: str
    source: str
    rule_key: str | None = None
    reason: str | None = None
    closed_at: datetime | None = None
    close_note: str | None = None


# --- more inputs (CRM follow-ups, purchasing) ----------------------------------------------


class LeadUpdate(Input):
    company_name: Text200 | None = None
    contact_name: OptText100 = None
    phone: OptText40 = None
    email: OptText200 = None
    region: OptText60 = None
    industry: OptText60 = None
    owner_id: Id | None = None


class LeadConversion(Input):
    """What converting a qualified lead needs beyond the lead itself."""

    customer_code: Code20 | None = None
    customer_id: Id | None = None  # attach to an existing customer instead
    opportunity_name: Text200 | None = None
    amount: Money = Decimal("0.00")
    expected_close_date: date | None = None

    @model_validator(mode="after")
    def _one_customer(self) -> Self:
        if (self.customer_code is None) == (self.customer_id is None):
            raise ValueError("customer_code: give a new customer code or an existing customer_id")
        return self


class CampaignUpdate(Input):
    name: Text200 | None = None
    channel: CampaignChannel | None = None
    cost: Money | None = None
    end_date: date | None = None


class ServiceTicketUpdate(Input):
    category: Text40 | None = None
    priority: TicketPriority | None = None
    subject: Text200 | None = None
    assignee_id: Id | None = None
