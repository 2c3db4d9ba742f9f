"""Hostile and odd input: field-level errors and nothing written, or stored verbatim."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from operational import services as svc
from operational.errors import ValidationFailed
from operational.models import AuditLog, Campaign, Customer, SalesOrder

from .conftest import ACTOR, Factory

KB10 = "x" * 10_240


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", ""),
        ("code", "   "),
        ("code", "A B"),
        ("code", "C\u200b1"),  # zero-width space
        ("code", "C\u202e1"),  # right-to-left override
        ("code", "C\u200f1"),  # right-to-left mark
        ("code", "C\x001"),
        ("code", "C1'; DROP TABLE customer; --"),
        ("code", "<script>"),
        ("code", "x" * 21),
        ("name", ""),
        ("name", " \t\n "),
        ("name", KB10),
        ("name", "Acme\x00Ltd"),
        ("name", "bell\x07"),
        ("name", None),
        ("name", 12),
        ("credit_limit", "1.234"),
        ("credit_limit", "NaN"),
        ("credit_limit", "Infinity"),
        ("credit_limit", "-Infinity"),
        ("credit_limit", "-0.01"),
        ("credit_limit", 1.5),
        ("credit_limit", float("nan")),
        ("credit_limit", "1e16"),
        ("credit_limit", "ten"),
        ("credit_limit", True),
        ("grade", "E"),
        ("kind", "robot"),
        ("owner_id", 0),
        ("owner_id", -3),
    ],
)
def test_customer_field_errors(session: Session, field: str, value: object) -> None:
    data = {"code": "C-1", "name": "Acme"} | {field: value}
    with pytest.raises(ValidationFailed) as err:
        svc.create_customer(session=session, data=data, actor=ACTOR)
    assert list(err.value.errors) == [field]
    assert field in str(err.value)
    assert session.exec(select(func.count()).select_from(Customer)).one() == 0
    assert session.exec(select(func.count()).select_from(AuditLog)).one() == 0


def test_unknown_field_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed) as err:
        svc.create_customer(session=session, data={"code": "C", "name": "A", "id": 5}, actor=ACTOR)
    assert list(err.value.errors) == ["id"]


@pytest.mark.parametrize(
    "name",
    [
        "O'Brien & Sons; DROP TABLE customer; --",
        "<script>alert('x')</script>",
        'Robert"); DELETE FROM audit_log; --',
        "شركة الأمل\u200f",  # Arabic with a right-to-left mark
        "👨\u200d👩\u200d👧 family shop",  # zero-width joiners
        "上海华信贸易有限公司",
        "tab\tand\nnewline",
        "x" * 200,
    ],
)
def test_free_text_is_stored_verbatim(session: Session, name: str) -> None:
    c = svc.create_customer(session=session, data={"code": "C-1", "name": name}, actor=ACTOR)
    session.commit()
    session.expire_all()
    assert session.get(Customer, c.id).name == name
    assert session.exec(select(func.count()).select_from(Customer)).one() == 1


def test_codes_are_trimmed_but_otherwise_exact(session: Session) -> None:
    c = svc.create_customer(
        session=session, data={"code": "  CN/SH-01.a_b ", "name": "A"}, actor=ACTOR
    )
    assert c.code == "CN/SH-01.a_b"


@pytest.mark.parametrize("actor", ["", "   ", None, "x" * 81, "a\x00b"])
def test_actor_is_validated(session: Session, actor: object) -> None:
    with pytest.raises(ValidationFailed) as err:
        svc.create_customer(session=session, data={"code": "C", "name": "A"}, actor=actor)
    assert list(err.value.errors) == ["actor"]


def test_dates(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product()
    line = {"product_id": p.id, "quantity": "1", "unit_price": "1.00"}
    for bad in ("2025-02-30", "2025-13-01", "0000-01-01", "yesterday"):
        with pytest.raises(ValidationFailed) as err:
            svc.create_sales_order(
                session=session,
                actor=ACTOR,
                data={"customer_id": c.id, "order_date": bad, "lines": [line]},
            )
        assert list(err.value.errors) == ["order_date"]
    with pytest.raises(ValidationFailed) as err:
        svc.create_campaign(
            session=session,
            actor=ACTOR,
            data={
                "code": "K1",
                "name": "n",
                "channel": "online",
                "start_date": date(2025, 3, 2),
                "end_date": date(2025, 3, 1),
            },
        )
    assert err.value.errors == {"end_date": "must not be before start_date"}
    with pytest.raises(ValidationFailed) as err:
        svc.create_sales_order(
            session=session,
            actor=ACTOR,
            data={
                "customer_id": c.id,
                "order_date": date(2025, 3, 2),
                "lines": [line | {"promised_date": date(2025, 3, 1)}],
            },
        )
    assert err.value.errors == {"lines.0.promised_date": "must not be before order_date"}
    assert session.exec(select(func.count()).select_from(SalesOrder)).one() == 0
    assert session.exec(select(func.count()).select_from(Campaign)).one() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "0"),
        ("quantity", "-1"),
        ("quantity", "1e10"),
        ("quantity", "0.0001"),
        ("quantity", "NaN"),
        ("unit_price", "-1.00"),
        ("unit_price", "0.001"),
        ("discount", "1.0001"),
        ("discount", "-0.1"),
        ("tax_rate", "2"),
        ("product_id", "abc"),
    ],
)
def test_order_line_errors(session: Session, make: Factory, field: str, value: str) -> None:
    c, p = make.customer(), make.product()
    line = {"product_id": p.id, "quantity": "1", "unit_price": "1.00"} | {field: value}
    with pytest.raises(ValidationFailed) as err:
        svc.create_sales_order(
            session=session,
            actor=ACTOR,
            data={"customer_id": c.id, "order_date": date(2025, 3, 2), "lines": [line]},
        )
    assert list(err.value.errors) == [f"lines.0.{field}"]


def test_too_many_lines(session: Session, make: Factory) -> None:
    c, p = make.customer(), make.product()
    line = {"product_id": p.id, "quantity": "1", "unit_price": "1.00"}
    with pytest.raises(ValidationFailed) as err:
        svc.create_sales_order(
            session=session,
            actor=ACTOR,
            data={"customer_id": c.id, "order_date": date(2025, 3, 2), "lines": [line] * 501},
        )
    assert list(err.value.errors) == ["lines"]
