"""The build file a refresh starts from (serving/publish.py): the file a publish replaced,
brought back to the published bytes by rewriting only what differs, or a whole copy when
anything may still be reading it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from serving import publish as pub
from serving.publish import prepare_build, publish, stamp_build, sync_copy


def _build(path: Path, rows: int, label: str) -> None:
    """A build of ``rows`` rows named ``label``, stamped as a refresh stamps it."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.facts as "
            "select range as id, ? || '-' || range as label, range * 1.5 as amount "
            "from range(?)", [label, rows])
        stamp_build(con, build_id=label, as_of=pub.datetime.now(pub.UTC), info={})
    finally:
        con.close()


def _append(path: Path, rows: int, label: str) -> None:
    """An incremental build: ``rows`` more rows, stamped ``label``."""
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "insert into marts.facts select 10000000 + range, ? || '-' || range, 1 "
            "from range(?)", [label, rows])
        stamp_build(con, build_id=label, as_of=pub.datetime.now(pub.UTC), info={})
    finally:
        con.close()


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
    _build(build, 2_000_000, "one")
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
    warehouse: tuple[Path, Path], tmp_path: Path,
) -> None:
    build, published = warehouse
    prepare_build(build, published)
    _build(build, 1_000, "two")
    # another process opened the published copy before this publish, and still reads it
    ready = tmp_path / "ready"
    reader = subprocess.Popen([
        sys.executable, "-c",
        "import duckdb, pathlib, sys, time\n"
        f"con = duckdb.connect({str(published)!r}, read_only=True)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "sys.stdin.readline()\n"
        "print(con.execute('select build_id from meta.build_info').fetchone()[0],"
        " con.execute('select count(*) from marts.facts').fetchone()[0])\n",
    ], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the reader did not start"
        publish(build, published)
        assert pub.in_use(build)
        prepared = prepare_build(build, published)
        assert prepared.how == "copied"
        assert build.read_bytes() == published.read_bytes()
        out, _ = reader.communicate("go\n", timeout=60)
    finally:
        reader.kill()
        reader.wait()
    assert out.split() == ["one", "2000000"]  # the reader's copy was never written to
    assert _read(published) == ("two", 1_000)


def test_a_file_another_process_has_locked_is_not_written(
    warehouse: tuple[Path, Path], tmp_path: Path,
) -> None:
    build, published = warehouse
    prepare_build(build, published)
    before = build.read_bytes()
    _build(tmp_path / "other.duckdb", 10, "other")
    # DuckDB locks the files it opens: a writer elsewhere holds the build file
    holder = subprocess.Popen([
        sys.executable, "-c",
        f"import duckdb, sys\ncon = duckdb.connect({str(build)!r})\nprint('open', flush=True)\n"
        "sys.stdin.readline()\n",
    ], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert sync_copy(tmp_path / "other.duckdb", build) is None
        assert build.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()


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
