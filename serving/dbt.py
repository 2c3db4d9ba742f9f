"""Run ``dbt build`` against the build database and report what ran.

dbt runs in a child process: dbt-duckdb keeps its DuckDB connection open between in-process
invocations, which in a long-running process (the scheduler, the dashboards' refresh
button) would keep writing to a build file that has since been replaced. A child process
also gives the step a hard timeout and returns dbt's memory when it ends.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serving.paths import PROJECT_DIR


class DbtBuildFailed(RuntimeError):
    def __init__(self, message: str, failures: list[str]) -> None:
        super().__init__(message)
        self.failures = failures


@dataclass
class DbtResult:
    models: int = 0
    tests: int = 0
    seeds: int = 0
    snapshots: int = 0
    unit_tests: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def dbt_env(build_db: Path) -> dict[str, str]:
    return {
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PARTIAL_PARSE": "true",
        "MIS_DBT_DUCKDB_PATH": str(build_db),
    }


def _dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _summarise(run_results: Path) -> DbtResult:
    data = json.loads(run_results.read_text())
    result = DbtResult(seconds=float(data.get("elapsed_time") or 0.0))
    for r in data.get("results", []):
        kind = r["unique_id"].split(".", 1)[0]
        if kind == "model":
            result.models += 1
        elif kind == "test":
            result.tests += 1
        elif kind == "seed":
            result.seeds += 1
        elif kind == "snapshot":
            result.snapshots += 1
        elif kind == "unit_test":
            result.unit_tests += 1
        if r["status"] in {"error", "fail", "runtime error"}:
            message = (r.get("message") or "").strip().splitlines()
            result.failures.append(f"{r['unique_id']}: {r['status']}: {' '.join(message)[:300]}")
    return result


def _die_with_parent(parent_pid: int) -> Callable[[], None] | None:
    """A dbt child that outlives a killed refresh would keep writing the build copy and
    collide with the next refresh (the writer lock dies with its holder, dbt would not).
    On Linux the kernel sends dbt SIGKILL when the refresh process dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def _preexec() -> None:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return _preexec


def run_dbt_build(
    build_db: Path,
    *,
    select: str | None = None,
    extra_vars: dict[str, Any] | None = None,
    full_refresh: bool = False,
    exclude_resource_types: tuple[str, ...] = (),
    timeout_seconds: float = 1800.0,
    on_line: Callable[[str], None] | None = None,
) -> DbtResult:
    """``dbt build`` (seeds, models, snapshots, tests); raises DbtBuildFailed on any error."""
    target = build_db.parent / "dbt-target"
    args = [
        _dbt_executable(), "build",
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        # Per warehouse folder: parallel builds (tests, two homes) never share dbt state.
        "--target-path", str(target),
        "--log-path", str(build_db.parent / "dbt-logs"),
        "--log-format", "text",
    ]
    if select:
        args += ["--select", select]
    if extra_vars:
        args += ["--vars", json.dumps(extra_vars)]
    if full_refresh:
        args.append("--full-refresh")
    for kind in exclude_resource_types:
        args += ["--exclude-resource-type", kind]
    results = target / "run_results.json"
    results.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own dbt, our own arguments
        args, env=os.environ | dbt_env(build_db), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, cwd=PROJECT_DIR,
        preexec_fn=_die_with_parent(os.getpid()),  # noqa: PLW1509 - only calls prctl
    )
    tail: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-40:]
            if on_line and (" OK " in line or " PASS " in line or "ERROR" in line
                            or " FAIL " in line or "Finished running" in line):
                on_line(line)
            if time.perf_counter() - started > timeout_seconds:
                raise TimeoutError
        proc.wait(timeout=max(1.0, timeout_seconds - (time.perf_counter() - started)))
    except (TimeoutError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
        raise DbtBuildFailed(
            f"dbt build timed out after {timeout_seconds:.0f}s", tail[-10:]
        ) from None
    if not results.exists():
        raise DbtBuildFailed(f"dbt could not run (exit {proc.returncode})", tail[-15:])
    result = _summarise(results)
    result.seconds = time.perf_counter() - started
    if proc.returncode != 0 or result.failures:
        raise DbtBuildFailed(
            f"dbt build failed ({len(result.failures)} failing node(s))",
            result.failures or tail[-15:],
        )
    return result
