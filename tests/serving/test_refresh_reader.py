"""A reader querying the published warehouse through back-to-back refreshes sees no error
and never a mix of two builds."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from serving.refresh import run_refresh
from tests.serving.robustness import READER, seed_and_refresh, touch_tasks

pytestmark = pytest.mark.slow


def test_reader_sees_no_errors_and_never_a_mix_of_builds(mis_home, tmp_path):
    seed_and_refresh(mis_home)
    script = tmp_path / "reader.py"
    script.write_text(READER)
    out, stop = tmp_path / "reader.json", tmp_path / "stop"
    published = mis_home / "warehouse" / "published.duckdb"
    reader = subprocess.Popen([sys.executable, str(script), str(published), str(out), str(stop)])
    builds = []
    try:
        for i in range(10):
            touch_tasks(f"loop-{i:02d}")
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
