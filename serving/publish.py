"""Atomic publish of the build database, and recovery of the build from the last good copy.

Dashboards only ever open ``published.duckdb``. A refresh writes ``build.duckdb``; after its
tests and reconciliation pass it is checkpointed and renamed over the published file with
``os.replace`` (atomic on POSIX): a reader sees the old build or the new
one, never a mix, and a refresh killed at any point leaves the published copy untouched.

Each refresh starts from a byte-for-byte copy of the published file. Copying it whole cost
every refresh the write of the whole warehouse (413 MB at the large demo), which DuckDB's
first checkpoint then had to flush to disk: on a disk writing 18 MB/s that alone took 20 s,
however small the change. So the file a publish replaces is kept as the next build file,
and the next refresh rewrites only the parts of it that differ from the published copy
(``sync_copy``; 24 MB after 100 new orders at large). It does so only when no process has
that file open: a reader that opened the published copy before it was replaced may still
be reading it, and then the build is copied whole as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.duck import connect
from serving.dbt_worker import kill_orphan_build


def new_build_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


# Granularity of sync_copy: DuckDB writes 256 KiB blocks after a 12 KiB header, so a
# changed block spans five 64 KiB chunks (a 256 KiB chunk would mean two blocks' worth).
SYNC_CHUNK = 64 * 1024


@dataclass
class Prepared:
    """How ``prepare_build`` made the build file: ``synced`` (the previous build file, its
    differing parts rewritten), ``copied`` (copied whole) or ``empty`` (nothing published)."""

    how: str
    bytes_written: int = 0
    size: int = 0


def prepare_build(build_db: Path, published_db: Path) -> Prepared:
    """Start every refresh from the last good state: a copy of the published warehouse.

    This also recovers from a refresh killed mid-write (a half-written build file is brought
    back to the published bytes, or replaced), and makes landing cursors always match the
    data they describe. A dbt worker still building for a refresh that was killed is stopped
    first (the caller holds the writer lock, so no live refresh owns that build).
    """
    build_db.parent.mkdir(parents=True, exist_ok=True)
    kill_orphan_build(build_db.parent)
    for leftover in (build_db.with_suffix(".duckdb.wal"), _spare_path(build_db)):
        leftover.unlink(missing_ok=True)
    if not published_db.exists():
        build_db.unlink(missing_ok=True)
        return Prepared("empty")
    size = published_db.stat().st_size
    if build_db.exists() and not in_use(build_db):
        written = sync_copy(published_db, build_db)
        if written is not None:
            return Prepared("synced", written, size)
    tmp = build_db.with_suffix(".tmp")
    shutil.copyfile(published_db, tmp)
    os.replace(tmp, build_db)
    return Prepared("copied", size, size)


def in_use(path: Path) -> bool:
    """Whether a process that /proc lets us see (our own user's) has ``path`` open; True
    where /proc cannot tell (not Linux). Others' processes are left to ``sync_copy``'s lock:
    DuckDB locks the files it opens, readers included."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return True
    try:
        target = path.stat()
    except FileNotFoundError:
        return False
    wanted = (target.st_dev, target.st_ino)
    for pid in proc.iterdir():
        if not pid.name.isdigit():
            continue
        try:
            fds = list((pid / "fd").iterdir())
        except OSError:
            continue  # gone, or another user's (the lock below still speaks for those)
        for fd in fds:
            try:
                found = fd.stat()
            except OSError:
                continue
            if (found.st_dev, found.st_ino) == wanted:
                return True
    return False


def sync_copy(source: Path, target: Path) -> int | None:
    """Make ``target`` byte-identical to ``source``, writing only the chunks that differ;
    the number of bytes written, or None if a process holds a lock on ``target``."""
    size = source.stat().st_size
    written = 0
    with open(source, "rb", buffering=0) as src, open(target, "r+b", buffering=0) as dst:
        try:
            fcntl.lockf(dst.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None  # a DuckDB reader or writer has it open
        for offset in range(0, size, SYNC_CHUNK):
            new = os.pread(src.fileno(), SYNC_CHUNK, offset)
            if len(new) != min(SYNC_CHUNK, size - offset):
                raise RuntimeError(f"{source} changed size while it was copied")
            if os.pread(dst.fileno(), len(new), offset) != new:
                os.pwrite(dst.fileno(), new, offset)
                written += len(new)
        os.ftruncate(dst.fileno(), size)
    return written


def _spare_path(build_db: Path) -> Path:
    """Where ``publish`` links the file it replaces, before it becomes the next build file."""
    return build_db.with_suffix(".previous")


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
    copying took ~0.8 s of every refresh), and the file it replaces becomes the next build
    file, which the next refresh brings back to these bytes (``prepare_build``). Both files
    are on the same filesystem, in the warehouse folder.
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
    # The file being replaced becomes the next build file (prepare_build): a name for it
    # first, so that it outlives the rename; readers that still have it open keep reading it
    # undisturbed, and the next refresh copies the build whole while any does.
    spare = _spare_path(build_db)
    spare.unlink(missing_ok=True)
    if published_db.exists():
        with contextlib.suppress(OSError):  # no hard links here: the next build is copied
            os.link(published_db, spare)
    os.replace(build_db, published_db)
    dir_fd = os.open(published_db.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    if spare.exists():
        os.replace(spare, build_db)
