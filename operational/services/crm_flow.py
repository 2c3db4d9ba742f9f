"""CRM flows: contacts, campaigns, leads (and their conversion), opportunities and their
stages, activities, service tickets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from operational import states
from operational.errors import IllegalTransition, ValidationFailed
from operational.models import (
    Activity,
    Campaign,
    Contact,
    Customer,
    Employee,
    Lead,
    Opportunity,
    OpportunityStageChange,
    SalesOrder,
    ServiceTicket,
)
from operational.schemas import (
    ActivityCreate,
    CampaignCreate,
    CampaignUpdate,
    ContactCreate,
    ContactUpdate,
    LeadConversion,
    LeadCreate,
    LeadUpdate,
    OpportunityCreate,
    OpportunityUpdate,
    ServiceTicketCreate,
    ServiceTicketUpdate,
)
from operational.services._core import (
    actor_of,
    check_version,
    coerce,
    create_record,
    get,
    insert,
    pk,
    require_refs,
    require_unique,
    save,
    service,
    snapshot,
    transition,
    update_record,
    utc_now,
)
from operational.validation import check_field, to_utc

# --- contacts and campaigns ------------------------------------------------------------


def _one_primary(session: Session, contact: Contact, actor: str) -> None:
    """A customer has at most one primary contact: the newest one wins."""
    others = session.exec(
        select(Contact).where(
            Contact.customer_id == contact.customer_id,
            Contact.id != contact.id,
            Contact.is_primary.is_(True),  # type: ignore[attr-defined]
        )
    ).all()
    for other in others:
        before = snapshot(other)
        other.is_primary = False
        save(session, other, actor=actor, before=before)


@service
def create_contact(
    *,
    session: Session,
    data: ContactCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Contact:
    contact = create_record(
        session,
        model=Contact,
        schema=ContactCreate,
        data=data,
        actor=actor,
        operation="create_contact",
        idempotency_key=idempotency_key,
        refs={"customer_id": Customer},
    )
    if contact.is_primary:
        _one_primary(session, contact, actor_of(actor))
    return contact


@service
def update_contact(
    *,
    session: Session,
    contact_id: int,
    data: ContactUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Contact:
    contact = update_record(
        session,
        model=Contact,
        schema=ContactUpdate,
        record_id=contact_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
    )
    if contact.is_primary:
        _one_primary(session, contact, actor_of(actor))
    return contact


@service
def create_campaign(
    *,
    session: Session,
    data: CampaignCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Campaign:
    return create_record(
        session,
        model=Campaign,
        schema=CampaignCreate,
        data=data,
        actor=actor,
        operation="create_campaign",
        idempotency_key=idempotency_key,
        unique=("code",),
    )


@service
def update_campaign(
    *,
    session: Session,
    campaign_id: int,
    data: CampaignUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Campaign:
    clean = coerce(CampaignUpdate, data)
    campaign = get(session, Campaign, campaign_id)
    end = clean.end_date if "end_date" in clean.model_fields_set else campaign.end_date
    if end is not None and end < campaign.start_date:
        raise ValidationFailed({"end_date": "must not be before start_date"})
    return update_record(
        session,
        model=Campaign,
        schema=CampaignUpdate,
        record_id=campaign_id,
        data=clean,
        expected_version=expected_version,
        actor=actor,
    )


# --- leads -------------------------------------------------------------------------------


@service
def create_lead(
    *,
    session: Session,
    data: LeadCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Lead:
    return create_record(
        session,
        model=Lead,
        schema=LeadCreate,
        data=data,
        actor=actor,
        operation="create_lead",
        idempotency_key=idempotency_key,
        unique=("code",),
        refs={"campaign_id": Campaign, "owner_id": Employee},
        extra={"status": states.INITIAL["lead"]},
    )


@service
def update_lead(
    *,
    session: Session,
    lead_id: int,
    data: LeadUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Lead:
    return update_record(
        session,
        model=Lead,
        schema=LeadUpdate,
        record_id=lead_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
        refs={"owner_id": Employee},
    )


@service
def set_lead_status(
    *, session: Session, lead_id: int, to_status: str, expected_version: int, actor: str
) -> Lead:
    """new -> contacted -> qualified, or disqualified. Converting goes through convert_lead."""
    actor = actor_of(actor)
    lead = get(session, Lead, lead_id, lock=True)
    check_version(lead, expected_version)
    if to_status == "converted":
        raise ValidationFailed({"to_status": "use convert_lead to convert a lead"})
    before = snapshot(lead)
    transition(lead, "lead", to_status)
    return save(session, lead, actor=actor, before=before, action=to_status)


@dataclass
class LeadConversionResult:
    lead: Lead
    customer: Customer
    opportunity: Opportunity
    contact: Contact | None


@service
def convert_lead(
    *,
    session: Session,
    lead_id: int,
    expected_version: int,
    actor: str,
    data: LeadConversion | Mapping[str, Any],
) -> LeadConversionResult:
    """A qualified lead becomes a customer (new, or an existing one) and an opportunity."""
    actor = actor_of(actor)
    clean = coerce(LeadConversion, data)
    lead = get(session, Lead, lead_id, lock=True)
    check_version(lead, expected_version)
    if not states.is_allowed("lead", lead.status, "converted"):
        raise IllegalTransition("lead", lead.status, "converted")
    contact = None
    if clean.customer_id is not None:
        require_refs(session, {"customer_id": (Customer, clean.customer_id)})
        customer = get(session, Customer, clean.customer_id)
    else:
        require_unique(session, Customer, "code", clean.customer_code)
        assert clean.customer_code is not None  # LeadConversion requires one of the two
        customer = insert(
            session,
            Customer(
                code=clean.customer_code,
                name=lead.company_name,
                industry=lead.industry,
                region=lead.region,
                owner_id=lead.owner_id,
            ),
            actor=actor,
        )
        if lead.contact_name:
            contact = insert(
                session,
                Contact(
                    customer_id=pk(customer),
                    name=lead.contact_name,
                    phone=lead.phone,
                    email=lead.email,
                    is_primary=True,
                ),
                actor=actor,
            )
    opportunity = _new_opportunity(
        session,
        Opportunity(
            customer_id=pk(customer),
            name=clean.opportunity_name or f"{lead.company_name}: first deal"[:200],
            amount=clean.amount,
            expected_close_date=clean.expected_close_date,
            owner_id=lead.owner_id,
            lead_id=lead.id,
        ),
        actor,
    )
    before = snapshot(lead)
    transition(lead, "lead", "converted")
    lead.customer_id = customer.id
    lead.opportunity_id = opportunity.id
    lead.converted_at = utc_now()
    save(session, lead, actor=actor, before=before, action="converted")
    return LeadConversionResult(lead, customer, opportunity, contact)


# --- opportunities -----------------------------------------------------------------------


def _new_opportunity(session: Session, opp: Opportunity, actor: str) -> Opportunity:
    now = utc_now()
    opp.stage = states.INITIAL["opportunity"]
    opp.stage_changed_at = now
    insert(session, opp, actor=actor)
    insert(
        session,
        OpportunityStageChange(
            opportunity_id=pk(opp), from_stage=None, to_stage=opp.stage, changed_at=now
        ),
        actor=actor,
    )
    return opp


@service
def create_opportunity(
    *,
    session: Session,
    data: OpportunityCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Opportunity:
    opp = create_record(
        session,
        model=Opportunity,
        schema=OpportunityCreate,
        data=data,
        actor=actor,
        operation="create_opportunity",
        idempotency_key=idempotency_key,
        refs={"customer_id": Customer, "owner_id": Employee, "lead_id": Lead},
        extra={"stage": states.INITIAL["opportunity"], "stage_changed_at": utc_now()},
    )
    if not session.exec(
        select(OpportunityStageChange.id).where(OpportunityStageChange.opportunity_id == opp.id)
    ).first():
        insert(
            session,
            OpportunityStageChange(
                opportunity_id=pk(opp),
                from_stage=None,
                to_stage=opp.stage,
                changed_at=opp.stage_changed_at or utc_now(),
            ),
            actor=actor_of(actor),
        )
    return opp


@service
def update_opportunity(
    *,
    session: Session,
    opportunity_id: int,
    data: OpportunityUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Opportunity:
    return update_record(
        session,
        model=Opportunity,
        schema=OpportunityUpdate,
        record_id=opportunity_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
        refs={"owner_id": Employee},
    )


@service
def change_stage(
    *,
    session: Session,
    opportunity_id: int,
    to_stage: str,
    expected_version: int,
    actor: str,
    changed_at: datetime | None = None,
) -> Opportunity:
    """Move along prospecting -> ... -> won | lost; writes the stage history row."""
    actor = actor_of(actor)
    when = check_field("changed_at", to_utc, changed_at) if changed_at else utc_now()
    opp = get(session, Opportunity, opportunity_id, lock=True)
    check_version(opp, expected_version)
    before = snapshot(opp)
    from_stage = transition(opp, "opportunity", to_stage, field="stage")
    opp.stage_changed_at = when
    if to_stage in ("won", "lost"):
        opp.closed_at = when
    save(session, opp, actor=actor, before=before, action="stage")
    insert(
        session,
        OpportunityStageChange(
            opportunity_id=pk(opp), from_stage=from_stage, to_stage=to_stage, changed_at=when
        ),
        actor=actor,
    )
    return opp


# --- activities --------------------------------------------------------------------------


@service
def log_activity(
    *,
    session: Session,
    data: ActivityCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Activity:
    """A call, visit, email or meeting; it refreshes the opportunity's last activity."""
    clean = coerce(ActivityCreate, data)
    values = clean.model_dump()
    if clean.opportunity_id is not None and clean.customer_id is None:
        opp = session.get(Opportunity, clean.opportunity_id)
        if opp is not None:
            values["customer_id"] = opp.customer_id
    activity = create_record(
        session,
        model=Activity,
        schema=ActivityCreate,
        data=values,
        actor=actor,
        operation="log_activity",
        idempotency_key=idempotency_key,
        refs={
            "customer_id": Customer,
            "opportunity_id": Opportunity,
            "lead_id": Lead,
            "employee_id": Employee,
        },
    )
    if activity.opportunity_id is not None:
        opp = get(session, Opportunity, activity.opportunity_id, lock=True)
        last = opp.last_activity_at
        if last is None or to_utc(last) < activity.occurred_at:
            before = snapshot(opp)
            opp.last_activity_at = activity.occurred_at
            save(session, opp, actor=actor_of(actor), before=before, action="activity")
    return activity


# --- service tickets ---------------------------------------------------------------------


@service
def open_ticket(
    *,
    session: Session,
    data: ServiceTicketCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> ServiceTicket:
    clean = coerce(ServiceTicketCreate, data)
    if clean.sales_order_id is not None:
        order = session.get(SalesOrder, clean.sales_order_id)
        if order is not None and order.customer_id != clean.customer_id:
            raise ValidationFailed({"sales_order_id": "belongs to another customer"})
    return create_record(
        session,
        model=ServiceTicket,
        schema=ServiceTicketCreate,
        data=clean,
        actor=actor,
        operation="open_ticket",
        idempotency_key=idempotency_key,
        unique=("ticket_no",),
        number=("ticket_no", "TK"),
        refs={"customer_id": Customer, "sales_order_id": SalesOrder, "assignee_id": Employee},
        extra={"status": states.INITIAL["service_ticket"]},
        defaults={"opened_at": utc_now()},
    )


@service
def update_ticket(
    *,
    session: Session,
    ticket_id: int,
    data: ServiceTicketUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> ServiceTicket:
    return update_record(
        session,
        model=ServiceTicket,
        schema=ServiceTicketUpdate,
        record_id=ticket_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
        refs={"assignee_id": Employee},
    )


def _ticket_step(
    session: Session, ticket_id: int, expected_version: int, actor: str, to: str
) -> tuple[ServiceTicket, dict[str, Any]]:
    ticket = get(session, ServiceTicket, ticket_id, lock=True)
    check_version(ticket, expected_version)
    before = snapshot(ticket)
    from_status = ticket.status
    transition(ticket, "service_ticket", to)
    if to == "in_progress" and from_status == "resolved":  # reopened
        ticket.resolved_at = None
        ticket.satisfaction = None
    return ticket, before


@service
def start_ticket(
    *, session: Session, ticket_id: int, expected_version: int, actor: str
) -> ServiceTicket:
    """open -> in_progress, or reopen a resolved ticket."""
    actor = actor_of(actor)
    ticket, before = _ticket_step(session, ticket_id, expected_version, actor, "in_progress")
    return save(session, ticket, actor=actor, before=before, action="in_progress")


@service
def resolve_ticket(
    *,
    session: Session,
    ticket_id: int,
    expected_version: int,
    actor: str,
    satisfaction: int | None = None,
    resolved_at: datetime | None = None,
) -> ServiceTicket:
    """Resolved, with the customer's satisfaction 1-5 when they gave one."""
    actor = actor_of(actor)
    if satisfaction is not None and (
        not isinstance(satisfaction, int)
        or isinstance(satisfaction, bool)
        or not 1 <= satisfaction <= 5
    ):
        raise ValidationFailed({"satisfaction": "must be a whole number from 1 to 5"})
    when = check_field("resolved_at", to_utc, resolved_at) if resolved_at else utc_now()
    ticket, before = _ticket_step(session, ticket_id, expected_version, actor, "resolved")
    if when < to_utc(ticket.opened_at):
        raise ValidationFailed({"resolved_at": "must not be before the ticket was opened"})
    ticket.resolved_at = when
    ticket.satisfaction = satisfaction
    return save(session, ticket, actor=actor, before=before, action="resolved")


@service
def close_ticket(
    *, session: Session, ticket_id: int, expected_version: int, actor: str
) -> ServiceTicket:
    actor = actor_of(actor)
    ticket, before = _ticket_step(session, ticket_id, expected_version, actor, "closed")
    return save(session, ticket, actor=actor, before=before, action="closed")
