"""A killed or repeated refresh never breaks what executives see (issue: refresh pipeline)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import text

from operational.db import make_engine
from operational.settings import get_settings
from serving.refresh import read_history, run_refresh

pytestmark = pytest.mark.slow


def _env(home: Path) -> dict[str, str]:
    return os.environ | {"MIS_HOME": str(home), "PYTHONUNBUFFERED": "1"}


def _seed_and_refresh(home: Path) -> str:
    from operational import demo
    from operational.db import init_schema

    engine = make_engine(get_settings().store_url)
    init_schema(engine)
    demo.generate(engine=engine, scale="small", seed=7)
    engine.dispose()
    return run_refresh().build_id


def _touch_tasks(marker: str) -> None:
    """A small change in a leaf table: the next refresh lands it and rebuilds a few models."""
    engine = make_engine(get_settings().store_url)
    with engine.begin() as conn:
        conn.execute(
            text("update task set title = :t, version = version + 1, updated_at = "
                 "(strftime('%Y-%m-%d %H:%M:%f','now')) where id = (select min(id) from task)"),
            {"t": marker},
        )
    engine.dispose()


def _published(home: Path) -> tuple[str, int]:
    con = duckdb.connect(str(home / "warehouse" / "published.duckdb"), read_only=True)
    try:
        build_id = con.execute("select build_id from meta.build_info").fetchone()[0]
        n = con.execute("select count(*) from raw.sales_order_line").fetchone()[0]
        return build_id, n
    finally:
        con.close()


def test_sigkill_at_random_points_never_breaks_the_published_copy(mis_home):
    first = _seed_and_refresh(mis_home)
    t0 = time.monotonic()
    _touch_tasks("timing")
    run_refresh()
    duration = time.monotonic() - t0 + 2.0  # include interpreter start-up
    rng = random.Random(20261122)
    good = {first, *(r["build_id"] for r in read_history() if r["status"] == "success")}
    last_id, lines = _published(mis_home)
    kills = 0
    for i in range(20):
        _touch_tasks(f"kill-{i}")
        proc = subprocess.Popen(
            [sys.executable, "-m", "mis_cli.main", "refresh", "--no-prefect", "--quiet"],
            env=_env(mis_home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, duration))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        build_id, n = _published(mis_home)  # always opens
        assert n == lines
        if build_id != last_id:  # the refresh got past its publish before the kill
            assert build_id.startswith("20"), build_id
            last_id = build_id
        good.add(build_id)
    assert kills >= 15  # most points fell inside the refresh
    report = run_refresh()  # recovers without help
    assert report.status == "success"
    assert _published(mis_home)[0] == report.build_id
    con = duckdb.connect(str(mis_home / "warehouse" / "published.duckdb"), read_only=True)
    title = con.execute("select title from raw.task order by id limit 1").fetchone()[0]
    con.close()
    assert title == "kill-19"


READER = r"""
import duckdb, json, sys, time
path, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
seen, errors = [], []
import os
while not os.path.exists(stop):
    try:
        con = duckdb.connect(path, read_only=True)
        try:
            b = con.execute("select build_id from meta.build_info").fetchone()[0]
            t = con.execute("select max(title) from raw.task where title like 'loop-%'").fetchone()[0]
            s = con.execute("select sum(order_intake) from reports.rpt_kpi_daily").fetchone()[0]
            seen.append([b, t, str(s)])
        finally:
            con.close()
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.02)
json.dump({"seen": seen, "errors": errors}, open(out, "w"))
"""


def test_reader_sees_no_errors_and_never_a_mix_of_builds(mis_home, tmp_path):
    _seed_and_refresh(mis_home)
    script = tmp_path / "reader.py"
    script.write_text(READER)
    out, stop = tmp_path / "reader.json", tmp_path / "stop"
    published = mis_home / "warehouse" / "published.duckdb"
    reader = subprocess.Popen([sys.executable, str(script), str(published), str(out), str(stop)])
    builds = []
    try:
        for i in range(10):
            _touch_tasks(f"loop-{i:02d}")
            report = run_refresh()
            assert report.status == "success"
            builds.append(report.build_id)
        time.sleep(1.0)  # let the reader see the last build
    finally:
        stop.touch()
        reader.wait(60)
    result = json.loads(out.read_text())
    assert result["errors"] == []
    assert len(result["seen"]) > 50
    by_build: dict[str, set[tuple[str, str]]] = {}
    for build_id, title, total in result["seen"]:
        by_build.setdefault(build_id, set()).add((title, total))
    assert all(len(v) == 1 for v in by_build.values()), by_build  # one state per build
    assert builds[-1] in by_build  # the reader followed the refreshes to the last one
    ((last_title, _),) = by_build[builds[-1]]
    assert last_title == "loop-09"
