"""CRM: the customer side (employees, customers, contacts, campaigns, leads, opportunities,
activities, service tickets)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from operational.models.base import TableBase
from operational.types import Money


class EmployeeBase(SQLModel):
    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=100)
    department: str = Field(max_length=20)
    email: str | None = Field(default=None, max_length=200)
    is_active: bool = True


class Employee(TableBase, EmployeeBase, table=True):
    __tablename__ = "employee"


class CustomerBase(SQLModel):
    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default="company", max_length=10)
    industry: str | None = Field(default=None, max_length=60)
    region: str | None = Field(default=None, max_length=60)
    grade: str = Field(default="C", max_length=1)
    owner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    credit_limit: Decimal = Field(default=Decimal("0.00"), sa_type=Money(), nullable=False)


class Customer(TableBase, CustomerBase, table=True):
    __tablename__ = "customer"


class ContactBase(SQLModel):
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str = Field(max_length=100)
    title: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    is_primary: bool = False


class Contact(TableBase, ContactBase, table=True):
    __tablename__ = "contact"


class CampaignBase(SQLModel):
    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=200)
    channel: str = Field(max_length=20)
    cost: Decimal = Field(default=Decimal("0.00"), sa_type=Money(), nullable=False)
    start_date: date
    end_date: date | None = None


class Campaign(TableBase, CampaignBase, table=True):
    __tablename__ = "campaign"


class LeadBase(SQLModel):
    code: str = Field(max_length=20, unique=True, index=True)
    company_name: str = Field(max_length=200)
    contact_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=60)
    industry: str | None = Field(default=None, max_length=60)
    source_channel: str = Field(max_length=20)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)


class Lead(TableBase, LeadBase, table=True):
    __tablename__ = "lead"
    status: str = Field(default="new", max_length=20, index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    opportunity_id: int | None = Field(default=None)
    converted_at: datetime | None = None


class OpportunityBase(SQLModel):
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str = Field(max_length=200)
    amount: Decimal = Field(default=Decimal("0.00"), sa_type=Money(), nullable=False)
    expected_close_date: date | None = None
    owner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id")


class Opportunity(TableBase, OpportunityBase, table=True):
    __tablename__ = "opportunity"
    stage: str = Field(default="prospecting", max_length=20, index=True)
    stage_changed_at: datetime | None = None
    last_activity_at: datetime | None = None
    closed_at: datetime | None = None


class OpportunityStageChange(TableBase, table=True):
    """Stage history: one row per transition (the warehouse's stage-history fact)."""

    __tablename__ = "opportunity_stage_change"
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    from_stage: str | None = Field(default=None, max_length=20)
    to_stage: str = Field(max_length=20)
    changed_at: datetime


class ActivityBase(SQLModel):
    kind: str = Field(max_length=10)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    occurred_at: datetime
    subject: str = Field(max_length=200)
    notes: str | None = Field(default=None, max_length=4000)
    next_follow_up_date: date | None = None


class Activity(TableBase, ActivityBase, table=True):
    __tablename__ = "activity"


class ServiceTicketBase(SQLModel):
    ticket_no: str = Field(max_length=20, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    sales_order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    category: str = Field(max_length=40)
    priority: str = Field(default="normal", max_length=10)
    subject: str = Field(max_length=200)
    assignee_id: int | None = Field(default=None, foreign_key="employee.id")


class ServiceTicket(TableBase, ServiceTicketBase, table=True):
    __tablename__ = "service_ticket"
    status: str = Field(default="open", max_length=20, index=True)
    opened_at: datetime
    resolved_at: datetime | None = None
    satisfaction: int | None = Field(default=None, ge=1, le=5)
