"""Shared fixtures: a fresh operational store per test on SQLite and on PostgreSQL.

PostgreSQL tests use the server at ``MIS_TEST_POSTGRES_URL`` (default: the machine's
127.0.0.1:5432, user postgres, database test). Each store is a new database, dropped after.
Where no server answers, they skip with the reason; under CI (``CI`` set) they fail instead,
so a CI run can never pass without exercising PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from operational.db import init_schema, make_engine

PG_ADMIN_URL = os.environ.get(
    "MIS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_unavailable_reason() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


_PG_REASON: str | None = _postgres_unavailable_reason()


def require_postgres() -> None:
    if _PG_REASON is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests, but: {_PG_REASON}")
    pytest.skip(_PG_REASON)


def create_pg_database() -> str:
    """Create an empty database on the test server; return its SQLAlchemy URL."""
    require_postgres()
    name = f"mis_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty operational database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'operational.sqlite'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def store_engine(store_url: str) -> Iterator[Engine]:
    """An engine on a fresh operational store with the schema in place."""
    engine = make_engine(store_url)
    init_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def mis_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private MIS_HOME for tests that run the CLI or the refresh."""
    home = tmp_path / "mis_home"
    monkeypatch.setenv("MIS_HOME", str(home))
    from operational.settings import get_settings

    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
    from serving import dbt_worker

    dbt_worker.stop(home / "warehouse")  # a refresh here started the home's dbt worker


@pytest.fixture(autouse=True, scope="session")
def _dbt_workers_end_with_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """dbt workers (serving/dbt_worker.py) started by tests idle out within a minute, and any
    still running under this session's temporary folders are killed when it ends."""
    os.environ.setdefault("MIS_DBT_WORKER_IDLE_SECONDS", "60")
    yield
    import signal

    from serving import dbt_worker

    base = tmp_path_factory.getbasetemp().resolve()
    for pid, folder in dbt_worker.workers().items():
        if folder.is_relative_to(base):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
