"""A refresh killed with SIGKILL at random points never breaks what executives see."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from serving.refresh import read_history, run_refresh
from tests.serving.robustness import env_for, published, seed_and_refresh, touch_tasks

pytestmark = pytest.mark.slow


def test_sigkill_at_random_points_never_breaks_the_published_copy(mis_home):
    first = seed_and_refresh(mis_home)
    t0 = time.monotonic()
    touch_tasks("timing")
    run_refresh()
    duration = time.monotonic() - t0 + 2.0  # include interpreter start-up
    rng = random.Random(20261122)
    good = {first, *(r["build_id"] for r in read_history() if r["status"] == "success")}
    last_id, lines = published(mis_home)
    kills = 0
    for i in range(20):
        touch_tasks(f"kill-{i}")
        proc = subprocess.Popen(
            [sys.executable, "-m", "mis_cli.main", "refresh", "--no-prefect", "--quiet"],
            env=env_for(mis_home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, duration))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        build_id, n = published(mis_home)  # always opens
        assert n == lines
        if build_id != last_id:  # the refresh got past its publish before the kill
            assert build_id.startswith("20"), build_id
            last_id = build_id
        good.add(build_id)
    assert kills >= 15  # most points fell inside the refresh
    report = run_refresh()  # recovers without help
    assert report.status == "success"
    assert published(mis_home)[0] == report.build_id
    con = duckdb.connect(str(mis_home / "warehouse" / "published.duckdb"), read_only=True)
    title = con.execute("select title from raw.task order by id limit 1").fetchone()[0]
    con.close()
    assert title == "kill-19"

