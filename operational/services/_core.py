"""Helpers every service uses: audit, idempotency, versions, transitions, locks, numbering.

Services take a ``session``, flush, and never commit: the caller owns the transaction, so a
service's change and its audit rows commit (or roll back) together.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, select

from operational import states
from operational.errors import (
    ConcurrentRequest,
    IdempotencyConflict,
    IllegalTransition,
    NotFound,
    StaleEdit,
    ValidationFailed,
)
from operational.models import AuditLog, IdempotencyKey
from operational.settings import get_settings
from operational.validation import check_actor

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=SQLModel)
I = TypeVar("I", bound=BaseModel)  # noqa: E741

CENT = Decimal("0.01")
# Password hashes never go into the audit trail (it is shown on record pages).
_SKIP_IN_AUDIT = {"created_at", "updated_at", "password_hash"}
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


# --- money and time ----------------------------------------------------------------------


def pk(record: SQLModel) -> int:
    """The primary key of a flushed record (typed: SQLModel declares ids optional)."""
    value = record.id  # type: ignore[attr-defined]
    assert isinstance(value, int), "record not flushed yet"
    return value


def round_money(value: Decimal) -> Decimal:
    """Half-up to the cent: the one rounding rule for amounts (DOMAIN.md)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    return round_money(quantity * unit_price * (Decimal(1) - discount))


def utc_now() -> datetime:
    """Aware UTC: datetime columns are SQLModel's ``UTCDateTime`` (refuses naive values)."""
    return datetime.now(UTC)


def company_today() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


# --- inputs ------------------------------------------------------------------------------


def coerce(schema: type[I], data: I | Mapping[str, Any]) -> I:
    """Validate (again) a service input; a dict is accepted too. Errors -> ValidationFailed."""
    # exclude_unset keeps an update's "not given" apart from "set to empty".
    raw = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else dict(data)
    try:
        return schema.model_validate(raw)
    except PydanticValidationError as exc:
        raise ValidationFailed.from_pydantic(exc) from None


def actor_of(actor: Any) -> str:
    return check_actor(actor)


# --- reading and locking -----------------------------------------------------------------


def entity_name(model: type[SQLModel] | SQLModel) -> str:
    table = getattr(model, "__tablename__", type(model).__name__)
    return str(table).replace("_", " ")


def get(session: Session, model: type[M], record_id: Any, *, lock: bool = False) -> M:
    """The row, freshly read; ``lock`` takes a row lock (FOR UPDATE; a no-op on SQLite)."""
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise ValidationFailed({"id": f"{entity_name(model)} id must be an integer"})
    stmt = select(model).where(model.id == record_id)  # type: ignore[attr-defined]
    if lock:
        stmt = stmt.with_for_update()
    record = session.exec(stmt.execution_options(populate_existing=True)).first()
    if record is None:
        raise NotFound(entity_name(model), record_id)
    return record


def require_refs(session: Session, refs: Mapping[str, tuple[type[SQLModel], int | None]]) -> None:
    """Field errors for foreign keys that point nowhere (checked before any write)."""
    errors = {}
    for field, (model, ref_id) in refs.items():
        if ref_id is not None and session.get(model, ref_id) is None:
            errors[field] = f"no {entity_name(model)} with id {ref_id}"
    if errors:
        raise ValidationFailed(errors)


def require_unique(session: Session, model: type[SQLModel], field: str, value: Any) -> None:
    column = getattr(model, field)
    found = session.exec(select(model).where(column == value)).first()
    if found is not None:
        raise ValidationFailed(
            {field: f"{value!r} is already used by another {entity_name(model)}"}
        )


def check_version(record: SQLModel, expected_version: Any) -> None:
    if not isinstance(expected_version, int) or isinstance(expected_version, bool):
        raise ValidationFailed({"expected_version": "must be the version you read (an integer)"})
    current = record.version  # type: ignore[attr-defined]
    if current != expected_version:
        raise StaleEdit(
            entity_name(record),
            record.id,  # type: ignore[attr-defined]
            expected_version=expected_version,
            current_version=current,
            updated_by=record.updated_by,  # type: ignore[attr-defined]
            updated_at=record.updated_at,  # type: ignore[attr-defined]
        )


def transition(record: SQLModel, machine: str, to_status: str, *, field: str = "status") -> str:
    """Move ``record`` along its state machine; raise before touching it when not allowed."""
    from_status = getattr(record, field)
    if not states.is_allowed(machine, from_status, to_status):
        raise IllegalTransition(machine, from_status, to_status)
    setattr(record, field, to_status)
    return from_status


# --- audit -------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def snapshot(record: SQLModel) -> dict[str, Any]:
    """Column values as JSON-safe values (Decimals as strings, dates ISO)."""
    mapper: Mapper[Any] = sa_inspect(type(record))
    return {
        attr.key: jsonable(getattr(record, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in _SKIP_IN_AUDIT
    }


def write_audit(
    session: Session,
    record: SQLModel,
    *,
    action: str,
    actor: str,
    before: dict[str, Any] | None,
) -> AuditLog:
    entry = AuditLog(
        table_name=str(record.__tablename__),
        record_id=record.id,  # type: ignore[attr-defined]
        action=action,
        changed_by=actor,
        before=before,
        after=snapshot(record),
    )
    session.add(entry)
    return entry


def insert(session: Session, record: M, *, actor: str, action: str = "create") -> M:
    record.updated_by = actor  # type: ignore[attr-defined]
    session.add(record)
    session.flush()
    write_audit(session, record, action=action, actor=actor, before=None)
    return record


def save(
    session: Session, record: M, *, actor: str, before: dict[str, Any], action: str = "update"
) -> M:
    record.updated_by = actor  # type: ignore[attr-defined]
    session.add(record)
    session.flush()
    write_audit(session, record, action=action, actor=actor, before=before)
    return record


def record_history(*, session: Session, table_name: str, record_id: int) -> list[AuditLog]:
    """Every audit row of one record, oldest first."""
    stmt = (
        select(AuditLog)
        .where(AuditLog.table_name == table_name, AuditLog.record_id == record_id)
        .order_by(AuditLog.id)  # type: ignore[arg-type]
    )
    return list(session.exec(stmt).all())


# --- idempotency -------------------------------------------------------------------------


def payload_hash(payload: Any) -> str:
    canonical = json.dumps(
        jsonable(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def find_replay(
    session: Session, key: str | None, operation: str, payload: Any, model: type[M]
) -> M | None:
    """The record a previous call with this key created, or None for a new key.

    Same key with another payload (or operation) -> ``IdempotencyConflict``.
    """
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip() or len(key) > 100:
        raise ValidationFailed({"idempotency_key": "must be 1 to 100 characters"})
    existing = session.get(IdempotencyKey, key)
    if existing is None:
        return None
    if existing.operation != operation or existing.payload_hash != payload_hash(payload):
        raise IdempotencyConflict(key, operation)
    record = session.get(model, existing.record_id) if existing.record_id else None
    if record is None:
        raise IdempotencyConflict(key, operation)
    return record


def claim_key(
    session: Session, key: str | None, operation: str, payload: Any
) -> IdempotencyKey | None:
    """Insert the key row *before* the work: a concurrent request with the same key then
    waits on it (PostgreSQL) or fails; ``run_in_transaction`` retries it and it replays."""
    if key is None:
        return None
    row = IdempotencyKey(key=key, operation=operation, payload_hash=payload_hash(payload))
    session.add(row)
    session.flush()
    return row


def finish_key(row: IdempotencyKey | None, record: SQLModel) -> None:
    if row is not None:
        row.record_id = record.id  # type: ignore[attr-defined]


# --- numbering ---------------------------------------------------------------------------


def new_number(session: Session, model: type[SQLModel], field: str, prefix: str) -> str:
    """``PREFIX-YYYYMMDD-XXXXXX``: readable by day, random suffix so concurrent writers
    never collide on a counter (checked anyway; the unique index is the last word)."""
    column = getattr(model, field)
    day = company_today().strftime("%Y%m%d")
    for _ in range(8):
        suffix = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(6))
        number = f"{prefix}-{day}-{suffix}"
        if session.exec(select(model).where(column == number)).first() is None:
            return number
    raise RuntimeError("could not find a free document number")  # pragma: no cover


# --- error translation -------------------------------------------------------------------

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")
_PG_KEY = re.compile(r"Key \(([\w, ]+)\)=")
_STALE_TABLE = re.compile(r"on table '(\w+)'")


def _integrity_to_error(exc: IntegrityError) -> Exception:
    msg = str(exc.orig)
    if "idempotency_key" in msg:
        return ConcurrentRequest("the same request is already being processed; retry")
    match = _SQLITE_UNIQUE.search(msg) or None
    column = match.group(2) if match else None
    if column is None and ("duplicate key" in msg or "UniqueViolation" in type(exc.orig).__name__):
        pg = _PG_KEY.search(msg)
        column = pg.group(1).split(",")[-1].strip() if pg else None
    if column is not None or "unique" in msg.lower() or "duplicate" in msg.lower():
        field = column or "record"
        return ValidationFailed({field: "is already used by another record"})
    if "foreign key" in msg.lower():
        return ValidationFailed({"record": "refers to a record that does not exist"})
    return ValidationFailed({"record": "was refused by the database: " + msg.splitlines()[0]})


def _stale_to_error(session: Session, exc: StaleDataError) -> StaleEdit:
    match = _STALE_TABLE.search(str(exc))
    table = match.group(1) if match else "record"
    # Best effort: name who won the race, read on a separate connection.
    for obj in list(session.identity_map.values()):
        if getattr(obj, "__tablename__", None) != table:
            continue
        state: Any = sa_inspect(obj)
        mine = state.committed_state.get("version", state.dict.get("version"))
        obj_id = state.identity[0] if state.identity else None
        try:
            bind: Any = session.get_bind()
            with bind.connect() as conn:
                t = obj.__table__  # type: ignore[attr-defined]
                row = conn.execute(
                    sa_select(t.c.version, t.c.updated_by, t.c.updated_at).where(t.c.id == obj_id)
                ).first()
        except Exception:  # noqa: BLE001 - reporting only
            row = None
        if row is not None and row.version != mine:
            return StaleEdit(
                table.replace("_", " "),
                obj_id,
                expected_version=mine,
                current_version=row.version,
                updated_by=row.updated_by,
                updated_at=row.updated_at,
                race=True,
            )
    return StaleEdit(
        table.replace("_", " "),
        None,
        expected_version=None,
        current_version=None,
        updated_by=None,
        updated_at=None,
        race=True,
    )


def service(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn database-level refusals raised while a service flushes into service errors."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except IntegrityError as exc:
            raise _integrity_to_error(exc) from exc
        except StaleDataError as exc:
            session = kwargs.get("session")
            if isinstance(session, Session):
                raise _stale_to_error(session, exc) from exc
            raise StaleEdit(
                "record",
                None,
                expected_version=None,
                current_version=None,
                updated_by=None,
                updated_at=None,
                race=True,
            ) from exc

    return wrapper


# --- a generic create --------------------------------------------------------------------


def create_record(
    session: Session,
    *,
    model: type[M],
    schema: type[I],
    data: I | Mapping[str, Any],
    actor: str,
    operation: str,
    idempotency_key: str | None = None,
    unique: tuple[str, ...] = (),
    refs: Mapping[str, type[SQLModel]] | None = None,
    extra: Mapping[str, Any] | None = None,
    number: tuple[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> M:
    """Validate, replay or create one record with its audit row.

    ``number=(field, prefix)`` fills a document number when the input left it empty.
    """
    actor = actor_of(actor)
    clean = coerce(schema, data)
    payload = clean.model_dump(mode="json")
    replay = find_replay(session, idempotency_key, operation, payload, model)
    if replay is not None:
        return replay
    values = clean.model_dump()
    for field, default in (defaults or {}).items():
        if values.get(field) is None:
            values[field] = default
    require_refs(session, {f: (m, values.get(f)) for f, m in (refs or {}).items()})
    if number is not None and not values.get(number[0]):
        values[number[0]] = new_number(session, model, number[0], number[1])
    for field in unique:
        require_unique(session, model, field, values[field])
    key_row = claim_key(session, idempotency_key, operation, payload)
    record = model(**values, **(extra or {}))
    insert(session, record, actor=actor)
    finish_key(key_row, record)
    return record


def update_record(
    session: Session,
    *,
    model: type[M],
    schema: type[I],
    record_id: int,
    data: I | Mapping[str, Any],
    expected_version: int,
    actor: str,
    refs: Mapping[str, type[SQLModel]] | None = None,
    unique: tuple[str, ...] = (),
    action: str = "update",
) -> M:
    """Apply the fields the caller set (others untouched), checking the version first."""
    actor = actor_of(actor)
    clean = coerce(schema, data)
    changes = clean.model_dump(exclude_unset=True)
    table = model.__table__  # type: ignore[attr-defined]
    empty = {
        f: "must not be empty" for f, v in changes.items() if v is None and not table.c[f].nullable
    }
    if empty:
        raise ValidationFailed(empty)
    record = get(session, model, record_id, lock=True)
    check_version(record, expected_version)
    require_refs(session, {f: (m, changes.get(f)) for f, m in (refs or {}).items()})
    for field in unique:
        if field in changes and changes[field] != getattr(record, field):
            require_unique(session, model, field, changes[field])
    changes = {f: v for f, v in changes.items() if getattr(record, f) != v}
    if not changes:
        return record
    before = snapshot(record)
    for field, value in changes.items():
        setattr(record, field, value)
    return save(session, record, actor=actor, before=before, action=action)
