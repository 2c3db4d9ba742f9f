"""Run a ``bench.worker`` step in a child process: its result, wall time and peak memory."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serving.paths import PROJECT_DIR

HEARTBEAT_SECONDS = 30.0


class StepFailed(RuntimeError):
    pass


@dataclass
class ChildRun:
    result: dict[str, Any]
    wall_seconds: float
    peak_mb: float  # largest resident set of the step's processes (the worker or its dbt)


def child_env(home: Path, store_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "MIS_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if store_url:
        env["MIS_DATABASE_URL"] = store_url
    else:
        env.pop("MIS_DATABASE_URL", None)
    return env


def run_step(
    task: str,
    args: dict[str, Any],
    *,
    home: Path,
    store_url: str | None = None,
    label: str,
    say: Callable[[str], None],
) -> ChildRun:
    import subprocess

    with tempfile.TemporaryDirectory(prefix="mis-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "bench.worker", task, json.dumps(args), str(out)]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=child_env(home, store_url), cwd=PROJECT_DIR)  # noqa: S603
        next_beat = started + HEARTBEAT_SECONDS
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                now = time.perf_counter()
                if now >= next_beat:
                    say(f"  … {label}: still running ({now - started:.0f}s)")
                    next_beat = now + HEARTBEAT_SECONDS
                time.sleep(0.02)
        except BaseException:  # interrupted: do not leave the step running on its own
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0 or not out.exists():
            raise StepFailed(f"{label}: {task} failed (exit {proc.returncode})")
        result = json.loads(out.read_text(encoding="utf-8"))
    # The worker measures its own peak; wait4's would include this process's (see worker).
    peak = result.pop("_peak_mb", None)
    return ChildRun(result, wall, peak if peak is not None else usage.ru_maxrss / 1024)
