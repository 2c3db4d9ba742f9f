"""Atomic publish of the build database, and recovery of the build from the last good copy.

Dashboards only ever open ``published.duckdb``. A refresh writes ``build.duckdb``; after its
tests and reconciliation pass it is checkpointed and renamed over the published file with
``os.replace`` (atomic on POSIX): a reader sees the old build or the new
one, never a mix, and a refresh killed at any point leaves the published copy untouched.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.duck import connect
from serving.dbt_worker import kill_orphan_build


def new_build_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def prepare_build(build_db: Path, published_db: Path) -> None:
    """Start every refresh from the last good state: a copy of the published warehouse.

    This also recovers from a refresh killed mid-write (a half-written build file is simply
    replaced), and makes landing cursors always match the data they describe. A dbt worker
    still building for a refresh that was killed is stopped first (the caller holds the
    writer lock, so no live refresh owns that build).
    """
    build_db.parent.mkdir(parents=True, exist_ok=True)
    kill_orphan_build(build_db.parent)
    for leftover in (build_db, build_db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    if published_db.exists():
        tmp = build_db.with_suffix(".tmp")
        shutil.copyfile(published_db, tmp)
        os.replace(tmp, build_db)


def stamp_build(
    con: duckdb.DuckDBPyConnection, *, build_id: str, as_of: datetime, info: dict[str, object]
) -> None:
    con.execute("create schema if not exists meta")
    con.execute(
        """
        create or replace table meta.build_info (
            build_id varchar, built_at timestamp, as_of timestamp, info json
        )
        """
    )
    import json

    con.execute(
        "insert into meta.build_info values (?, cast(now() as timestamp), ?, ?)",
        [build_id, as_of.replace(tzinfo=None), json.dumps(info, default=str)],
    )


def publish(build_db: Path, published_db: Path) -> None:
    """Checkpoint the build, prove it opens, then rename it over the published file.

    The build file itself becomes the published copy (a rename, not a copy: at large scale
    copying took ~0.8 s of every refresh); the next refresh starts from a fresh copy of it
    anyway (``prepare_build``). Both files are on the same filesystem, in the warehouse folder.
    """
    con = connect(build_db)
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    wal = build_db.with_suffix(".duckdb.wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise RuntimeError(f"build database still has a write-ahead log after checkpoint: {wal}")
    wal.unlink(missing_ok=True)
    # Prove the file opens before it replaces the good one.
    check = duckdb.connect(str(build_db), read_only=True)
    try:
        check.execute("select build_id from meta.build_info").fetchone()
    finally:
        check.close()
    with open(build_db, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(build_db, published_db)
    dir_fd = os.open(published_db.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
