"""CRM flows: lead conversion, opportunity stages, activities, contacts, tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from operational import services as svc
from operational.errors import IllegalTransition, ValidationFailed
from operational.models import Contact, Customer, OpportunityStageChange

from .conftest import ACTOR, Factory

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def test_convert_qualified_lead(session: Session, make: Factory) -> None:
    owner = make.employee()
    camp = svc.create_campaign(
        session=session,
        data={
            "code": "SPRING",
            "name": "Spring fair",
            "channel": "event",
            "cost": "1200.00",
            "start_date": date(2025, 3, 1),
            "end_date": date(2025, 3, 3),
        },
        actor=ACTOR,
    )
    lead = svc.create_lead(
        session=session,
        data={
            "code": "L-1",
            "company_name": "Huaxin Trading",
            "contact_name": "Li Wei",
            "phone": "+86 21 5555",
            "source_channel": "campaign",
            "campaign_id": camp.id,
            "owner_id": owner.id,
            "region": "East",
        },
        actor=ACTOR,
    )
    assert lead.status == "new"
    with pytest.raises(IllegalTransition, match="from 'new' to 'converted'"):
        svc.convert_lead(
            session=session,
            lead_id=lead.id,
            expected_version=1,
            actor=ACTOR,
            data={"customer_code": "C-HX"},
        )
    lead = svc.set_lead_status(
        session=session, lead_id=lead.id, to_status="contacted", expected_version=1, actor=ACTOR
    )
    lead = svc.set_lead_status(
        session=session, lead_id=lead.id, to_status="qualified", expected_version=2, actor=ACTOR
    )
    res = svc.convert_lead(
        session=session,
        lead_id=lead.id,
        expected_version=3,
        actor="sam",
        data={"customer_code": "C-HX", "amount": "8800.00"},
    )
    session.commit()
    assert res.lead.status == "converted"
    assert res.lead.customer_id == res.customer.id
    assert res.lead.opportunity_id == res.opportunity.id
    assert res.lead.converted_at is not None
    assert (res.customer.code, res.customer.name, res.customer.region) == (
        "C-HX",
        "Huaxin Trading",
        "East",
    )
    assert res.customer.owner_id == owner.id
    assert res.opportunity.stage == "prospecting"
    assert res.opportunity.amount == Decimal("8800.00")
    assert res.opportunity.lead_id == lead.id
    assert res.contact.name == "Li Wei" and res.contact.is_primary
    with pytest.raises(ValidationFailed, match="use convert_lead"):
        svc.set_lead_status(
            session=session, lead_id=lead.id, to_status="converted", expected_version=4, actor=ACTOR
        )


def test_opportunity_stages_write_history(session: Session, make: Factory) -> None:
    c = make.customer()
    opp = svc.create_opportunity(
        session=session, data={"customer_id": c.id, "name": "Deal", "amount": "100.00"}, actor=ACTOR
    )
    for v, stage in enumerate(["qualification", "proposal", "won"], start=1):
        opp = svc.change_stage(
            session=session,
            opportunity_id=opp.id,
            to_stage=stage,
            expected_version=v,
            actor=ACTOR,
            changed_at=T0,
        )
    session.commit()
    history = session.exec(select(OpportunityStageChange).order_by(OpportunityStageChange.id)).all()
    assert [(h.from_stage, h.to_stage) for h in history] == [
        (None, "prospecting"),
        ("prospecting", "qualification"),
        ("qualification", "proposal"),
        ("proposal", "won"),
    ]
    assert opp.stage == "won"
    assert opp.closed_at == T0
    with pytest.raises(IllegalTransition):
        svc.change_stage(
            session=session,
            opportunity_id=opp.id,
            to_stage="lost",
            expected_version=opp.version,
            actor=ACTOR,
        )


def test_activity_refreshes_last_activity(session: Session, make: Factory) -> None:
    c = make.customer()
    opp = svc.create_opportunity(
        session=session, data={"customer_id": c.id, "name": "Deal"}, actor=ACTOR
    )
    a = svc.log_activity(
        session=session,
        data={
            "kind": "visit",
            "opportunity_id": opp.id,
            "occurred_at": T0,
            "subject": "Site visit",
            "notes": "<script>alert(1)</script>'; drop table customer; --",
            "next_follow_up_date": date(2025, 3, 10),
        },
        actor=ACTOR,
    )
    assert a.customer_id == c.id
    assert a.notes == "<script>alert(1)</script>'; drop table customer; --"
    session.refresh(opp)
    assert opp.last_activity_at == T0
    svc.log_activity(
        session=session,
        data={
            "kind": "call",
            "opportunity_id": opp.id,
            "occurred_at": datetime(2025, 3, 1, tzinfo=UTC),
            "subject": "earlier call",
        },
        actor=ACTOR,
    )
    session.refresh(opp)
    assert opp.last_activity_at == T0  # an older activity does not move it back
    with pytest.raises(ValidationFailed) as err:
        svc.log_activity(
            session=session, data={"kind": "call", "occurred_at": T0, "subject": "x"}, actor=ACTOR
        )
    assert set(err.value.errors) == {"customer_id"}
    with pytest.raises(ValidationFailed) as err:
        svc.log_activity(
            session=session,
            data={
                "kind": "call",
                "customer_id": c.id,
                "occurred_at": T0,
                "subject": "x",
                "next_follow_up_date": date(2025, 3, 1),
            },
            actor=ACTOR,
        )
    assert err.value.errors == {"next_follow_up_date": "must not be before occurred_at"}


def test_naive_datetimes_are_company_time(session: Session, make: Factory) -> None:
    c = make.customer()
    a = svc.log_activity(
        session=session,
        data={
            "kind": "call",
            "customer_id": c.id,
            "occurred_at": datetime(2025, 3, 4, 9, 0),
            "subject": "morning call",
        },
        actor=ACTOR,
    )
    assert a.occurred_at == datetime(2025, 3, 4, 1, 0, tzinfo=UTC)  # Asia/Shanghai is UTC+8


def test_one_primary_contact(session: Session, make: Factory) -> None:
    c = make.customer()
    a = svc.create_contact(
        session=session, data={"customer_id": c.id, "name": "A", "is_primary": True}, actor=ACTOR
    )
    b = svc.create_contact(
        session=session, data={"customer_id": c.id, "name": "B", "is_primary": True}, actor=ACTOR
    )
    session.commit()
    rows = session.exec(select(Contact.name, Contact.is_primary).order_by(Contact.id)).all()
    assert [tuple(r) for r in rows] == [("A", False), ("B", True)]
    assert (a.id, b.id) == (1, 2)


def test_ticket_lifecycle(session: Session, make: Factory) -> None:
    c = make.customer()
    t = svc.open_ticket(
        session=session,
        data={
            "customer_id": c.id,
            "category": "delivery",
            "subject": "Late parcel",
            "priority": "high",
            "opened_at": T0,
        },
        actor=ACTOR,
    )
    assert (t.status, t.ticket_no[:3]) == ("open", "TK-")
    with pytest.raises(ValidationFailed) as err:
        svc.resolve_ticket(
            session=session, ticket_id=t.id, expected_version=1, actor=ACTOR, satisfaction=6
        )
    assert set(err.value.errors) == {"satisfaction"}
    t = svc.resolve_ticket(
        session=session,
        ticket_id=t.id,
        expected_version=1,
        actor=ACTOR,
        satisfaction=4,
        resolved_at=datetime(2025, 3, 4, 15, tzinfo=UTC),
    )
    assert (t.status, t.satisfaction) == ("resolved", 4)
    t = svc.start_ticket(session=session, ticket_id=t.id, expected_version=2, actor=ACTOR)
    assert (t.status, t.resolved_at, t.satisfaction) == ("in_progress", None, None)
    t = svc.resolve_ticket(
        session=session, ticket_id=t.id, expected_version=3, actor=ACTOR, satisfaction=5
    )
    t = svc.close_ticket(session=session, ticket_id=t.id, expected_version=4, actor=ACTOR)
    assert t.status == "closed"
    with pytest.raises(IllegalTransition):
        svc.start_ticket(session=session, ticket_id=t.id, expected_version=5, actor=ACTOR)


def test_customer_create_update_roundtrip(session: Session, make: Factory) -> None:
    c = make.customer()
    svc.update_customer(
        session=session, customer_id=c.id, data={"name": "Renamed"}, expected_version=1, actor=ACTOR
    )
    with pytest.raises(ValidationFailed) as err:
        svc.update_customer(
            session=session, customer_id=c.id, data={"name": None}, expected_version=2, actor=ACTOR
        )
    assert err.value.errors == {"name": "must not be empty"}
    session.commit()
    assert session.get(Customer, c.id).name == "Renamed"
