"""Read-only access to the published warehouse (short-lived connections, never a lock held)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from operational.settings import Settings, get_settings


class WarehouseNotReady(RuntimeError):
    """No published warehouse yet: run ``mis refresh``."""


def published_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).published_db_path


def connect_published(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse; the caller closes it."""
    path = published_path(settings)
    if not path.exists():
        raise WarehouseNotReady(
            f"No published warehouse at {path}. Run `mis refresh` (or `make demo`) first."
        )
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone='UTC'")
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def open_published(settings: Settings | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_published(settings)
    try:
        yield con
    finally:
        con.close()


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list[Any] | None = None
) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def build_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = fetch_dicts(con, "select build_id, built_at, as_of from meta.build_info")
    if not rows:
        raise WarehouseNotReady("the published warehouse has no build stamp")
    return rows[0]


def freshness(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per source table: the newest change landed (store clock, UTC) and when it was landed."""
    return fetch_dicts(
        con,
        "select table_name, cursor_at as newest_change_at, landed_at "
        "from meta.landing_state order by table_name",
    )
