"""Land an operational store into a DuckDB ``raw`` schema for warehouse tests and dev builds.

A stand-in for ``ingestion.landing`` with the same contract: one table per operational
table, same names and columns, exact types (int BIGINT, money DECIMAL(18,2), quantity
DECIMAL(16,3), rate DECIMAL(7,4), datetime TIMESTAMP, date DATE, bool BOOLEAN) plus
``_landed_at``. A full reload each time (tests only).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer
from sqlmodel import SQLModel

from operational.types import ExactDecimal

# Secrets and bookkeeping (the change counters) never reach the warehouse.
NOT_LANDED = frozenset({"user_account", "audit_log", "idempotency_key", "store_change"})


def _ext(name: str) -> Path:
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    assert spec and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(root.glob(f"extensions/*/{name}.duckdb_extension"))[-1]


def _duck_type(t: object) -> str:
    if isinstance(t, ExactDecimal):
        return f"DECIMAL({t.precision},{t.scale})"
    t = getattr(t, "impl_instance", t)  # other TypeDecorators (sqlmodel's UTCDateTime)
    if isinstance(t, Boolean):
        return "BOOLEAN"
    if isinstance(t, DateTime):
        return "TIMESTAMP"
    if isinstance(t, Date):
        return "DATE"
    if isinstance(t, Integer):
        return "BIGINT"
    if isinstance(t, JSON):
        return "VARCHAR"
    return "VARCHAR"


def tables() -> dict[str, dict[str, str]]:
    import operational.models  # noqa: F401

    return {
        t.name: {c.name: _duck_type(c.type) for c in t.columns}
        for t in SQLModel.metadata.sorted_tables
        if t.name not in NOT_LANDED
    }


def land_sqlite(sqlite_path: Path | str, duckdb_path: Path | str) -> None:
    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute("SET autoinstall_known_extensions=false")
        con.execute(f"LOAD '{_ext('sqlite_scanner')}'")
        con.execute("SET sqlite_all_varchar=true")
        con.execute(f"ATTACH '{sqlite_path}' AS src (TYPE sqlite, READ_ONLY)")
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for name, cols in tables().items():
            select = ", ".join(
                f"CAST(CASE WHEN \"{c}\" IN ('1','0') THEN \"{c}\" = '1' END AS BOOLEAN) AS \"{c}\""
                if t == "BOOLEAN"
                else f'CAST("{c}" AS {t}) AS "{c}"'
                for c, t in cols.items()
            )
            con.execute(
                f'CREATE OR REPLACE TABLE raw."{name}" AS SELECT {select}, '
                f"CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP) AS _landed_at FROM src.\"{name}\""
            )
        con.execute("DETACH src")
    finally:
        con.close()


def copy_raw_to_postgres(duckdb_path: Path | str, pg_dsn: str) -> None:
    """Copy every raw.* table of a DuckDB file into schema raw of a PostgreSQL database."""
    con = duckdb.connect()
    try:
        con.execute("SET autoinstall_known_extensions=false")
        con.execute(f"LOAD '{_ext('postgres_scanner')}'")
        con.execute(f"ATTACH '{duckdb_path}' AS wh (READ_ONLY)")
        con.execute(f"ATTACH '{pg_dsn}' AS pg (TYPE postgres)")
        con.execute("CREATE SCHEMA IF NOT EXISTS pg.raw")
        for name in tables():
            con.execute(f'DROP TABLE IF EXISTS pg.raw."{name}"')
            con.execute(f'CREATE TABLE pg.raw."{name}" AS SELECT * FROM wh.raw."{name}"')
        con.execute("DETACH pg")
    finally:
        con.close()
