"""Errors the services raise: each one says what went wrong in words staff can act on.

Every service error leaves the database unchanged once the caller rolls back (services only
flush; ``session_scope`` rolls back on any exception). Errors raised *before* the first
flush (validation, not found, illegal transition, stale edit, approval missing) leave even
the session untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

_FIELD_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$")


class ServiceError(Exception):
    """Base class: a business rule or an input refused a change."""


class ValidationFailed(ServiceError):
    """One or more fields are invalid; ``errors`` maps a field path to a message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"{field}: {msg}" if field else msg for field, msg in self.errors.items()]
        return "Invalid input: " + "; ".join(parts)

    @classmethod
    def from_pydantic(cls, exc: Any) -> ValidationFailed:
        """Map a ``pydantic.ValidationError`` to field paths such as ``lines.0.quantity``."""
        errors: dict[str, str] = {}
        for err in exc.errors():
            path = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
            msg = str(err.get("msg", "invalid value"))
            for prefix in ("Value error, ", "Assertion failed, "):
                if msg.startswith(prefix):
                    msg = msg[len(prefix) :]
            # Cross-field rules (model validators) name their field as "field.path: message".
            head, sep, tail = msg.partition(": ")
            if not path and sep and _FIELD_PATH.match(head):
                path, msg = head, tail
            errors.setdefault(path, msg)
        return cls(errors)


class NotFound(ServiceError):
    def __init__(self, entity: str, key: Any) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key!r} does not exist")


class IllegalTransition(ServiceError):
    def __init__(self, machine: str, from_status: str, to_status: str) -> None:
        self.machine = machine
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(
            f"A {machine.replace('_', ' ')} cannot go from '{from_status}' to '{to_status}'"
        )


class StaleEdit(ServiceError):
    """Someone else saved the record after the caller read it (optimistic concurrency)."""

    def __init__(
        self,
        entity: str,
        record_id: Any,
        *,
        expected_version: int | None,
        current_version: int | None,
        updated_by: str | None,
        updated_at: datetime | None,
        race: bool = False,
    ) -> None:
        #: True when the database caught a concurrent save (safe to retry the whole unit of
        #: work); False when the caller's expected_version was already old (reload first).
        self.race = race
        self.entity = entity
        self.record_id = record_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.updated_by = updated_by
        self.updated_at = updated_at
        who = updated_by or "another user"
        when = f" at {updated_at:%Y-%m-%d %H:%M:%S} UTC" if updated_at else ""
        what = f"{entity} {record_id}" if record_id is not None else f"A {entity}"
        versions = (
            f" (your version {expected_version}, now {current_version})"
            if expected_version is not None and current_version is not None
            else ""
        )
        super().__init__(
            f"{what} was changed by {who}{when} after you opened it{versions}; reload and try again"
        )


class ConcurrentRequest(ServiceError):
    """A request with the same idempotency key is being processed right now (retryable)."""


class IdempotencyConflict(ServiceError):
    def __init__(self, key: str, operation: str) -> None:
        self.key = key
        self.operation = operation
        super().__init__(
            f"Idempotency key {key!r} was already used for a different {operation} request"
        )


class ApprovalRequired(ServiceError):
    """A rule needs an approved approval request first (approve before pay, discounts)."""

    def __init__(self, kind: str, reference_type: str, reference_id: int, reason: str) -> None:
        self.kind = kind
        self.reference_type = reference_type
        self.reference_id = reference_id
        super().__init__(
            f"{reason}: an approved '{kind}' approval request for "
            f"{reference_type.replace('_', ' ')} {reference_id} is required first"
        )


class SchemaNotMigrated(ServiceError):
    def __init__(self, where: str, detail: str = "") -> None:
        self.where = where
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"The operational store at {where} is not migrated{extra}: run `mis db upgrade`"
        )
