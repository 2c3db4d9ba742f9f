"""Run a unit of work in its own transaction, retrying transient conflicts.

Transient: PostgreSQL serialization failures and deadlocks, SQLite's "database is locked",
a concurrent save caught by the version column (``StaleEdit`` with ``race=True``) and a
request whose idempotency key another transaction holds. Everything else is raised at once.
The retried function must be safe to run again: it gets a fresh session each attempt.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from operational.db import session_scope
from operational.errors import ConcurrentRequest, StaleEdit

R = TypeVar("R")

_PG_TRANSIENT = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "database is busy")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ConcurrentRequest):
        return True
    if isinstance(exc, StaleEdit):
        return exc.race
    cause = exc.__cause__ if not isinstance(exc, DBAPIError) else exc
    if isinstance(cause, DBAPIError):
        orig = cause.orig
        if getattr(orig, "sqlstate", None) in _PG_TRANSIENT:
            return True
        return any(text in str(orig).lower() for text in _SQLITE_TRANSIENT)
    return False


def run_in_transaction(
    engine: Engine,
    fn: Callable[[Session], R],
    *,
    attempts: int = 5,
    base_delay: float = 0.02,
    max_delay: float = 1.0,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> R:
    """``fn(session)`` in a transaction that commits; retried with jittered exponential
    backoff ("full jitter") on transient errors, at most ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return fn(session)
        except Exception as exc:
            if attempt >= attempts or not is_transient(exc):
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            time.sleep(random.uniform(0, min(max_delay, base_delay * 2**attempt)))
    raise AssertionError("unreachable")  # pragma: no cover
