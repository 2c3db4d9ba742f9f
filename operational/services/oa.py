"""OA services: approval requests (draft -> submitted -> approved | rejected) and tasks,
including the tasks the warehouse raises and closes itself (keyed by ``rule_key``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, SQLModel, select

from operational.errors import NotFound, ValidationFailed
from operational.models import ApprovalRequest, Employee, PurchaseOrder, SalesOrder, Task
from operational.schemas import ApprovalRequestCreate, TaskCreate, TaskUpdate
from operational.services._core import (
    actor_of,
    check_version,
    coerce,
    create_record,
    get,
    insert,
    save,
    service,
    snapshot,
    transition,
    update_record,
    utc_now,
)
from operational.validation import check_field, code, text

_REFERENCES: dict[str, type[SQLModel]] = {
    "sales_order": SalesOrder,
    "purchase_order": PurchaseOrder,
}


@service
def create_approval_request(
    *,
    session: Session,
    data: ApprovalRequestCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> ApprovalRequest:
    """A draft request; ``reference_type``/``reference_id`` tie it to the document it
    unlocks (``sales_order`` for discounts, ``purchase_order`` for purchases)."""
    raw = data.model_dump(exclude_unset=True) if hasattr(data, "model_dump") else dict(data)
    ref_type, ref_id = raw.get("reference_type"), raw.get("reference_id")
    if (
        ref_type in _REFERENCES
        and isinstance(ref_id, int)
        and session.get(_REFERENCES[ref_type], ref_id) is None
    ):
        raise ValidationFailed({"reference_id": f"no {ref_type.replace('_', ' ')} {ref_id}"})
    if raw.get("kind") in ("discount", "purchase") and (ref_type is None) != (ref_id is None):
        raise ValidationFailed({"reference_id": "give both reference_type and reference_id"})
    return create_record(
        session,
        model=ApprovalRequest,
        schema=ApprovalRequestCreate,
        data=data,
        actor=actor,
        operation="create_approval_request",
        idempotency_key=idempotency_key,
        unique=("request_no",),
        refs={"requester_id": Employee, "approver_id": Employee},
        number=("request_no", "AR"),
        extra={"status": "draft"},
    )


def _move_request(
    session: Session,
    request_id: int,
    expected_version: int,
    actor: str,
    to: str,
    note: str | None = None,
    approver_id: int | None = None,
) -> ApprovalRequest:
    actor = actor_of(actor)
    note = check_field("note", text, note, max_length=2000, required=False)
    req = get(session, ApprovalRequest, request_id, lock=True)
    check_version(req, expected_version)
    approver = approver_id if approver_id is not None else req.approver_id
    if to in ("approved", "rejected") and approver is not None:
        if approver == req.requester_id:
            raise ValidationFailed({"approver_id": "a request cannot be decided by its requester"})
        if session.get(Employee, approver) is None:
            raise ValidationFailed({"approver_id": f"no employee with id {approver}"})
    before = snapshot(req)
    transition(req, "approval_request", to)
    if to == "submitted":
        req.submitted_at = utc_now()
    else:
        req.decided_at = utc_now()
        req.decision_note = note
        req.approver_id = approver
    return save(session, req, actor=actor, before=before, action=to)


@service
def submit_approval(
    *, session: Session, request_id: int, expected_version: int, actor: str
) -> ApprovalRequest:
    return _move_request(session, request_id, expected_version, actor, "submitted")


@service
def approve_request(
    *,
    session: Session,
    request_id: int,
    expected_version: int,
    actor: str,
    note: str | None = None,
    approver_id: int | None = None,
) -> ApprovalRequest:
    return _move_request(
        session, request_id, expected_version, actor, "approved", note, approver_id
    )


@service
def reject_request(
    *,
    session: Session,
    request_id: int,
    expected_version: int,
    actor: str,
    note: str | None = None,
    approver_id: int | None = None,
) -> ApprovalRequest:
    return _move_request(
        session, request_id, expected_version, actor, "rejected", note, approver_id
    )


def approved_request(
    session: Session, *, kind: str, reference_type: str, reference_id: int
) -> ApprovalRequest | None:
    return session.exec(
        select(ApprovalRequest).where(
            ApprovalRequest.kind == kind,
            ApprovalRequest.reference_type == reference_type,
            ApprovalRequest.reference_id == reference_id,
            ApprovalRequest.status == "approved",
        )
    ).first()


# --- tasks -------------------------------------------------------------------------------


@service
def create_task(
    *,
    session: Session,
    data: TaskCreate | Mapping[str, Any],
    actor: str,
    idempotency_key: str | None = None,
) -> Task:
    return create_record(
        session,
        model=Task,
        schema=TaskCreate,
        data=data,
        actor=actor,
        operation="create_task",
        idempotency_key=idempotency_key,
        refs={"assignee_id": Employee},
        extra={"status": "open", "source": "manual"},
    )


@service
def update_task(
    *,
    session: Session,
    task_id: int,
    data: TaskUpdate | Mapping[str, Any],
    expected_version: int,
    actor: str,
) -> Task:
    return update_record(
        session,
        model=Task,
        schema=TaskUpdate,
        record_id=task_id,
        data=data,
        expected_version=expected_version,
        actor=actor,
        refs={"assignee_id": Employee},
    )


def _move_task(session: Session, task: Task, to: str, actor: str, note: str | None = None) -> Task:
    before = snapshot(task)
    transition(task, "task", to)
    if to in ("done", "cancelled"):
        task.closed_at = utc_now()
        task.close_note = note
    return save(session, task, actor=actor, before=before, action=to)


def _task_step(
    session: Session, task_id: int, expected_version: int, actor: str, to: str, note: Any
) -> Task:
    actor = actor_of(actor)
    note = check_field("note", text, note, max_length=1000, required=False)
    task = get(session, Task, task_id, lock=True)
    check_version(task, expected_version)
    return _move_task(session, task, to, actor, note)


@service
def start_task(*, session: Session, task_id: int, expected_version: int, actor: str) -> Task:
    return _task_step(session, task_id, expected_version, actor, "in_progress", None)


@service
def complete_task(
    *, session: Session, task_id: int, expected_version: int, actor: str, note: str | None = None
) -> Task:
    return _task_step(session, task_id, expected_version, actor, "done", note)


@service
def cancel_task(
    *, session: Session, task_id: int, expected_version: int, actor: str, note: str | None = None
) -> Task:
    return _task_step(session, task_id, expected_version, actor, "cancelled", note)


@service
def raise_rule_task(
    *,
    session: Session,
    rule_key: str,
    title: str,
    actor: str = "system",
    assignee_id: int | None = None,
    due_date: date | None = None,
    reference_type: str | None = None,
    reference_id: int | None = None,
    reason: str | None = None,
) -> Task:
    """A task the warehouse raises; idempotent by ``rule_key`` (a second call returns the
    task already raised, whatever its status). Put the period in the key if a rule may fire
    again later, e.g. ``stale_opportunity:42:2025-03``."""
    actor = actor_of(actor)
    rule_key = check_field("rule_key", _rule_key, rule_key)
    existing = session.exec(select(Task).where(Task.rule_key == rule_key)).first()
    if existing is not None:
        return existing
    clean = coerce(
        TaskCreate,
        {
            "title": title,
            "assignee_id": assignee_id,
            "due_date": due_date,
            "reference_type": reference_type,
            "reference_id": reference_id,
            "reason": reason,
        },
    )
    if assignee_id is not None and session.get(Employee, assignee_id) is None:
        raise ValidationFailed({"assignee_id": f"no employee with id {assignee_id}"})
    task = Task(**clean.model_dump(), status="open", source="rule", rule_key=rule_key)
    return insert(session, task, actor=actor)


def _rule_key(value: Any) -> str:
    cleaned = text(value, max_length=120, required=True)
    assert cleaned is not None
    for part in cleaned.split(":"):
        if part:
            code(part, max_length=120)
    return cleaned


@service
def close_rule_task(*, session: Session, rule_key: str, note: str, actor: str = "system") -> Task:
    """Close a rule task because its condition no longer holds (no-op if already closed)."""
    actor = actor_of(actor)
    note = check_field("note", text, note, max_length=1000, required=True)
    task = session.exec(select(Task).where(Task.rule_key == rule_key).with_for_update()).first()
    if task is None:
        raise NotFound("task", rule_key)
    if task.status in ("done", "cancelled"):
        return task
    return _move_task(session, task, "done", actor, note)
