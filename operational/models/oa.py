"""OA: coordination (approval requests, tasks)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from operational.models.base import TableBase
from operational.types import Money


class ApprovalRequestBase(SQLModel):
    request_no: str = Field(max_length=30, unique=True, index=True)
    kind: str = Field(max_length=12)
    requester_id: int = Field(foreign_key="employee.id", index=True)
    approver_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    subject: str = Field(max_length=200)
    amount: Decimal | None = Field(default=None, sa_type=Money())
    reference_type: str | None = Field(default=None, max_length=30)
    reference_id: int | None = None


class ApprovalRequest(TableBase, ApprovalRequestBase, table=True):
    __tablename__ = "approval_request"
    status: str = Field(default="draft", max_length=20, index=True)
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    decision_note: str | None = Field(default=None, max_length=2000)


class TaskBase(SQLModel):
    title: str = Field(max_length=200)
    assignee_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    due_date: date | None = None
    reference_type: str | None = Field(default=None, max_length=30)
    reference_id: int | None = None


class Task(TableBase, TaskBase, table=True):
    __tablename__ = "task"
    status: str = Field(default="open", max_length=20, index=True)
    source: str = Field(default="manual", max_length=20)
    rule_key: str | None = Field(default=None, max_length=120, unique=True)
    reason: str | None = Field(default=None, max_length=1000)
    closed_at: datetime | None = None
    close_note: str | None = Field(default=None, max_length=1000)
