"""run_in_transaction: transient conflicts are retried, everything else raised at once."""

from __future__ import annotations

import sqlite3

import psycopg.errors
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from operational import services as svc
from operational.errors import ConcurrentRequest, StaleEdit, ValidationFailed
from operational.models import Customer
from operational.services.tx import is_transient, run_in_transaction


def _op_error(orig: Exception) -> OperationalError:
    return OperationalError("UPDATE stock_level ...", {}, orig)


def _stale(race: bool) -> StaleEdit:
    return StaleEdit(
        "customer",
        1,
        expected_version=1,
        current_version=2,
        updated_by="x",
        updated_at=None,
        race=race,
    )


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (_op_error(sqlite3.OperationalError("database is locked")), True),
        (_op_error(psycopg.errors.SerializationFailure("could not serialize")), True),
        (_op_error(psycopg.errors.DeadlockDetected("deadlock detected")), True),
        (_op_error(sqlite3.OperationalError("no such table: x")), False),
        (_stale(race=True), True),
        (_stale(race=False), False),  # the caller's version was old: reload, don't retry
        (ConcurrentRequest("same key in flight"), True),
        (ValidationFailed({"amount": "too much"}), False),
        (ValueError("bug"), False),
    ],
)
def test_is_transient(exc: Exception, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_retries_then_commits(store_engine: Engine) -> None:
    calls = []

    def work(session: Session) -> int:
        calls.append(1)
        c = svc.create_customer(
            session=session, data={"code": f"R{len(calls)}", "name": "r"}, actor="t"
        )
        if len(calls) < 3:
            raise _op_error(sqlite3.OperationalError("database is locked"))
        return c.id

    retries = []
    cid = run_in_transaction(
        store_engine, work, base_delay=0.001, on_retry=lambda n, e: retries.append(n)
    )
    assert (len(calls), retries) == (3, [1, 2])
    with Session(store_engine) as s:
        # the two failed attempts rolled back: only the third customer exists
        assert s.exec(select(func.count()).select_from(Customer)).one() == 1
        assert s.get(Customer, cid).code == "R3"


def test_gives_up_after_attempts_and_does_not_retry_errors(store_engine: Engine) -> None:
    calls = []

    def locked(session: Session) -> None:
        calls.append(1)
        raise _op_error(sqlite3.OperationalError("database is locked"))

    with pytest.raises(OperationalError):
        run_in_transaction(store_engine, locked, attempts=3, base_delay=0.001)
    assert len(calls) == 3

    def invalid(session: Session) -> None:
        calls.append(1)
        svc.create_customer(session=session, data={"code": "", "name": "x"}, actor="t")

    with pytest.raises(ValidationFailed):
        run_in_transaction(store_engine, invalid, base_delay=0.001)
    assert len(calls) == 4
