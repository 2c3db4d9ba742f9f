"""CRM services: customers, contacts, campaigns, leads, opportunities, activities, tickets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from operational.models import Customer, Employee
from operational.schemas import CustomerCreate, CustomerUpdate, EmployeeCreate, EmployeeUpdate
from operational.services._core import create_record, service, update_record


@service
def create_customer(
    *,
    session: Session,
    data: CustomerCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Customer:
    return create_record(
        session,
        model=Customer,
        schema=CustomerCreate,
        data=data,
        actor=actor,
        operation="create_customer",
        idempotency_key=idempotency_key,
        unique=("code",),
        refs={"owner_id": Employee},
    )


@service
def update_customer(
    *,
    session: Session,
    customer_id: int,
    data: CustomerUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Customer:
    return update_record(
        session,
        model=Customer,
        schema=CustomerUpdate,
        record_id=customer_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
        refs={"owner_id": Employee},
    )


@service
def create_employee(
    *,
    session: Session,
    data: EmployeeCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Employee:
    return create_record(
        session,
        model=Employee,
        schema=EmployeeCreate,
        data=data,
        actor=actor,
        operation="create_employee",
        idempotency_key=idempotency_key,
        unique=("code",),
    )


@service
def update_employee(
    *,
    session: Session,
    employee_id: int,
    data: EmployeeUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Employee:
    return update_record(
        session,
        model=Employee,
        schema=EmployeeUpdate,
        record_id=employee_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
    )
