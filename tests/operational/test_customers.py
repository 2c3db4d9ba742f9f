"""Customers: create, audit, idempotency, duplicates, optimistic concurrency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from operational import services as svc
from operational.errors import IdempotencyConflict, StaleEdit, ValidationFailed
from operational.models import AuditLog, Customer, IdempotencyKey
from operational.schemas import CustomerCreate

from .conftest import ACTOR


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_create_customer_writes_row_and_audit(session: Session) -> None:
    data = CustomerCreate(code="C-001", name=" Acme Ltd ", credit_limit="5000", grade="A")
    customer = svc.create_customer(session=session, data=data, actor="alice")
    session.commit()

    stored = session.get(Customer, customer.id)
    assert stored.code == "C-001"
    assert stored.name == "Acme Ltd"
    assert stored.credit_limit == Decimal("5000.00")
    assert stored.updated_by == "alice"
    assert stored.version == 1
    history = svc.record_history(session=session, table_name="customer", record_id=customer.id)
    assert [h.action for h in history] == ["create"]
    assert history[0].changed_by == "alice"
    assert history[0].before is None
    assert history[0].after["credit_limit"] == "5000.00"
    assert history[0].after["code"] == "C-001"


def test_create_customer_accepts_a_dict(session: Session) -> None:
    customer = svc.create_customer(session=session, data={"code": "C2", "name": "B"}, actor=ACTOR)
    assert customer.kind == "company"
    assert customer.grade == "C"


def test_idempotent_replay_returns_first_record(session: Session) -> None:
    data = {"code": "C-9", "name": "Nine"}
    first = svc.create_customer(session=session, data=data, actor=ACTOR, idempotency_key="k1")
    session.commit()
    again = svc.create_customer(session=session, data=data, actor=ACTOR, idempotency_key="k1")
    session.commit()
    assert again.id == first.id
    assert _count(session, Customer) == 1
    assert _count(session, IdempotencyKey) == 1
    assert session.get(IdempotencyKey, "k1").record_id == first.id
    assert _count(session, AuditLog) == 1


def test_same_key_different_payload_conflicts(session: Session) -> None:
    svc.create_customer(
        session=session, data={"code": "C-9", "name": "Nine"}, actor=ACTOR, idempotency_key="k1"
    )
    session.commit()
    with pytest.raises(IdempotencyConflict, match="k1"):
        svc.create_customer(
            session=session, data={"code": "C-10", "name": "Ten"}, actor=ACTOR, idempotency_key="k1"
        )
    session.rollback()
    assert _count(session, Customer) == 1


def test_duplicate_code_is_a_field_error(session: Session) -> None:
    svc.create_customer(session=session, data={"code": "DUP", "name": "A"}, actor=ACTOR)
    session.commit()
    with pytest.raises(ValidationFailed) as err:
        svc.create_customer(session=session, data={"code": "DUP", "name": "B"}, actor=ACTOR)
    assert set(err.value.errors) == {"code"}
    assert "already used" in err.value.errors["code"]
    session.rollback()
    assert _count(session, Customer) == 1


def test_duplicate_caught_by_the_database_is_a_field_error(session: Session) -> None:
    # As if a concurrent writer passed the pre-check: the unique index refuses the insert.
    svc.create_customer(session=session, data={"code": "RACE", "name": "A"}, actor=ACTOR)
    session.commit()
    from operational.services import _core

    with pytest.raises(ValidationFailed) as err:
        _core.service(
            lambda *, session: _core.insert(session, Customer(code="RACE", name="B"), actor=ACTOR)
        )(session=session)
    assert err.value.errors == {"code": "is already used by another record"}
    session.rollback()
    assert _count(session, Customer) == 1


def test_invalid_input_changes_nothing(session: Session) -> None:
    with pytest.raises(ValidationFailed) as err:
        svc.create_customer(
            session=session,
            data={"code": "bad code", "name": "   ", "credit_limit": "1.234", "grade": "Z"},
            actor=ACTOR,
        )
    assert set(err.value.errors) == {"code", "name", "credit_limit", "grade"}
    assert "credit_limit: at most 2 decimal places" in str(err.value)
    assert _count(session, Customer) == 0
    assert _count(session, AuditLog) == 0


def test_missing_owner_is_a_field_error(session: Session) -> None:
    with pytest.raises(ValidationFailed) as err:
        svc.create_customer(
            session=session, data={"code": "C1", "name": "A", "owner_id": 999}, actor=ACTOR
        )
    assert err.value.errors == {"owner_id": "no employee with id 999"}


def test_update_with_stale_version_names_who_changed_it(session: Session) -> None:
    c = svc.create_customer(session=session, data={"code": "C1", "name": "A"}, actor="alice")
    session.commit()
    svc.update_customer(
        session=session, customer_id=c.id, data={"name": "A2"}, expected_version=1, actor="bob"
    )
    session.commit()
    with pytest.raises(StaleEdit) as err:
        svc.update_customer(
            session=session,
            customer_id=c.id,
            data={"grade": "B"},
            expected_version=1,
            actor="carol",
        )
    assert err.value.updated_by == "bob"
    assert err.value.current_version == 2
    assert "changed by bob at " in str(err.value)
    session.rollback()
    stored = session.get(Customer, c.id)
    assert (stored.name, stored.grade, stored.version) == ("A2", "C", 2)
    actions = [
        h.action for h in svc.record_history(session=session, table_name="customer", record_id=c.id)
    ]
    assert actions == ["create", "update"]


def test_update_audit_has_before_and_after(session: Session) -> None:
    c = svc.create_customer(session=session, data={"code": "C1", "name": "A"}, actor="alice")
    svc.update_customer(
        session=session,
        customer_id=c.id,
        data={"credit_limit": "12.50", "region": "East"},
        expected_version=1,
        actor="bob",
    )
    session.commit()
    last = svc.record_history(session=session, table_name="customer", record_id=c.id)[-1]
    assert last.before["credit_limit"] == "0.00"
    assert last.after["credit_limit"] == "12.50"
    assert last.after["region"] == "East"
    assert last.after["version"] == 2
    assert last.changed_by == "bob"


def test_race_between_two_sessions_is_a_stale_edit(session: Session) -> None:
    c = svc.create_customer(session=session, data={"code": "C1", "name": "A"}, actor="alice")
    session.commit()
    engine = session.get_bind()
    with Session(engine) as s1, Session(engine) as s2:
        a = s1.get(Customer, c.id)
        b = s2.get(Customer, c.id)
        a.name = "from s1"
        a.updated_by = "s1-user"
        s1.commit()
        b.name = "from s2"
        from operational.services._core import service

        @service
        def flush(*, session: Session) -> None:
            session.flush()

        with pytest.raises(StaleEdit) as err:
            flush(session=s2)
        assert err.value.race is True
        assert err.value.updated_by == "s1-user"
    session.expire_all()
    assert session.get(Customer, c.id).name == "from s1"
