"""System tables: user accounts, audit trail, idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field, SQLModel

from operational.models.base import TableBase
from operational.types import utcnow


class UserAccount(TableBase, table=True):
    __tablename__ = "user_account"
    username: str = Field(max_length=60, unique=True, index=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    department: str | None = Field(default=None, max_length=20)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    is_active: bool = True


class AuditLog(SQLModel, table=True):
    """Who changed what, when: written in the same transaction as the change."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=60, index=True)
    record_id: int = Field(index=True)
    action: str = Field(max_length=20)
    changed_by: str | None = Field(default=None, max_length=80)
    changed_at: datetime | None = Field(
        default=None, sa_column_kwargs={"server_default": utcnow(), "nullable": False}
    )
    before: dict | None = Field(default=None, sa_type=JSON)  # type: ignore[type-arg]
    after: dict | None = Field(default=None, sa_type=JSON)  # type: ignore[type-arg]


class IdempotencyKey(SQLModel, table=True):
    """A create from a form carries a key: a replay returns the first result."""

    __tablename__ = "idempotency_key"
    key: str = Field(primary_key=True, max_length=100)
    operation: str = Field(max_length=60)
    payload_hash: str = Field(max_length=64)
    record_id: int | None = None
    created_at: datetime | None = Field(
        default=None, sa_column_kwargs={"server_default": utcnow(), "nullable": False}
    )


class StoreChange(SQLModel, table=True):
    """Per-table change counters, written only by triggers (``operational/change_counters.py``):
    the row with ``txid`` 0 holds a table's base; on PostgreSQL each writing transaction adds
    one row of its own, folded into the base by ``compact``."""

    __tablename__ = "store_change"
    table_name: str = Field(primary_key=True, max_length=60)
    txid: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    n: int = Field(sa_type=BigInteger)
