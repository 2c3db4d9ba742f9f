"""The build file a refresh starts from (serving/publish.py): the file a publish replaced,
brought back to the published bytes by rewriting only what differs, or a whole copy when
anything may still be reading it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from serving import publish as pub
from serving.publish import prepare_build, publish, stamp_build, sync_copy


def _build(path: Path, label: str, sql: str, rows: int) -> None:
    """A build: ``sql`` run with (label, rows), then stamped ``label`` as a refresh stamps it."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists marts")
        con.execute(sql, [label, rows])
        stamp_build(con, build_id=label, as_of=datetime.now(UTC), info={})
    finally:
        con.close()


def _full(path: Path, rows: int, label: str) -> None:
    """A full build of ``rows`` rows."""
    _build(path, label, "create or replace table marts.facts as select range as id, "
           "? || '-' || range as label, range * 1.5 as amount from range(?)", rows)


def _append(path: Path, rows: int, label: str) -> None:
    """An incremental build: ``rows`` more rows."""
    _build(path, label, "insert into marts.facts select 10000000 + range, ? || '-' || range, 1 "
           "from range(?)", rows)


@contextmanager
def _held(path: Path, *, read_only: bool) -> Iterator[subprocess.Popen[str]]:
    """Another process with ``path`` open in DuckDB until the block ends; it then prints the
    build it sees (``communicate``)."""
    proc = subprocess.Popen([
        sys.executable, "-c",
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(path)!r}, read_only={read_only})\n"
        "print('open', flush=True)\n"
        "sys.stdin.readline()\n"
        "print(con.execute('select build_id from meta.build_info').fetchone()[0],"
        " con.execute('select count(*) from marts.facts').fetchone()[0])\n",
    ], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _read(path: Path) -> tuple[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        build = con.execute("select build_id from meta.build_info").fetchone()[0]
        count = con.execute("select count(*) from marts.facts").fetchone()[0]
        return build, count
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> tuple[Path, Path]:
    """A published build ("one"), and the build file after its publish."""
    build, published = tmp_path / "build.duckdb", tmp_path / "published.duckdb"
    _full(build, 2_000_000, "one")
    publish(build, published)
    return build, published


def test_the_next_build_file_is_the_replaced_copy_with_only_its_differences_rewritten(
    warehouse: tuple[Path, Path],
) -> None:
    build, published = warehouse
    assert not build.exists()  # nothing replaced yet: the first build is copied whole
    first = prepare_build(build, published)
    assert first.how == "copied" and first.bytes_written == published.stat().st_size
    _append(build, 10, "two")  # a refresh: ten more rows
    publish(build, published)
    assert _read(published) == ("two", 2_000_010)
    assert _read(build) == ("one", 2_000_000)  # the copy that was published before

    prepared = prepare_build(build, published)
    assert prepared.how == "synced"
    assert 0 < prepared.bytes_written < published.stat().st_size / 4
    assert build.read_bytes() == published.read_bytes()
    assert _read(build) == ("two", 2_000_010)


def test_a_reader_of_the_replaced_copy_keeps_it_and_the_build_is_copied_whole(
    warehouse: tuple[Path, Path],
) -> None:
    build, published = warehouse
    prepare_build(build, published)
    _full(build, 1_000, "two")
    # another process opened the published copy before this publish, and still reads it
    with _held(published, read_only=True) as reader:
        publish(build, published)
        assert pub.in_use(build)
        prepared = prepare_build(build, published)
        assert prepared.how == "copied"
        assert build.read_bytes() == published.read_bytes()
        out, _ = reader.communicate("go\n", timeout=60)
    assert out.split() == ["one", "2000000"]  # the reader's copy was never written to
    assert _read(published) == ("two", 1_000)


def test_a_file_another_process_has_locked_is_not_written(
    warehouse: tuple[Path, Path], tmp_path: Path,
) -> None:
    build, published = warehouse
    prepare_build(build, published)
    before = build.read_bytes()
    _full(tmp_path / "other.duckdb", 10, "other")
    # DuckDB locks the files it opens: a writer elsewhere holds the build file
    with _held(build, read_only=False):
        assert sync_copy(tmp_path / "other.duckdb", build) is None
        assert build.read_bytes() == before


def test_a_build_file_left_half_written_is_brought_back_to_the_published_bytes(
    warehouse: tuple[Path, Path],
) -> None:
    build, published = warehouse
    prepare_build(build, published)
    size = published.stat().st_size
    with open(build, "r+b") as fh:  # a refresh killed mid-write: torn blocks, a longer file
        fh.seek(size // 3)
        fh.write(b"\xff" * 100_000)
        fh.seek(size + 5 * pub.SYNC_CHUNK)
        fh.write(b"tail")
    build.with_suffix(".duckdb.wal").write_bytes(b"half a log")
    prepared = prepare_build(build, published)
    assert prepared.how == "synced" and prepared.bytes_written <= 3 * pub.SYNC_CHUNK
    assert build.read_bytes() == published.read_bytes()
    assert not build.with_suffix(".duckdb.wal").exists()
    assert _read(build) == ("one", 2_000_000)


def test_nothing_published_means_no_build_file(tmp_path: Path) -> None:
    build = tmp_path / "build.duckdb"
    build.write_bytes(b"left over")
    assert prepare_build(build, tmp_path / "published.duckdb").how == "empty"
    assert not build.exists()
