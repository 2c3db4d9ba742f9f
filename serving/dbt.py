"""Run ``dbt build`` against the build database and report what ran.

dbt never runs in the refresh's own process: dbt-duckdb keeps its DuckDB connection open
between in-process invocations, which in a long-running process (the scheduler, the
dashboards' refresh button) would keep writing to a build file that has since been replaced.
It runs in the warehouse's long-lived dbt worker (serving/dbt_worker.py), which saves the
5-7 s dbt takes to start, or, where there is no worker (not Linux, ``MIS_DBT_WORKER=0``, or
it could not start), in a child process. Either way the step has a hard timeout, a build
never outlives its refresh, and DuckDB's memory is returned when the build ends.
"""

from __future__ import annotations

import ctypes
import hashlib
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

from serving import dbt_worker
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
    # "worker" (its manifest reused), "worker, parsed" (it parsed the project first),
    # or "child process"
    runner: str = "child process"
    # The dbt worker's peak memory during this build (a child process's counts as the
    # caller's own children's peak).
    worker_peak_mb: float | None = None


def project_fingerprint() -> str:
    """A hash of everything dbt builds from: a changed project means a full build."""
    digest = hashlib.sha256()
    for folder in ("models", "macros", "seeds", "snapshots", "data-tests"):
        for path in sorted((PROJECT_DIR / folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(PROJECT_DIR)).encode())
                digest.update(path.read_bytes())
    for name in ("dbt_project.yml", "profiles.yml"):
        digest.update((PROJECT_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


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
    runner, worker_peak = "child process", None
    answer = None

    def progress(line: str) -> None:
        if on_line and _progress(line):
            on_line(line)

    if dbt_worker.enabled():
        try:
            answer = dbt_worker.run_build(
                args[1:], os.environ | dbt_env(build_db), warehouse_dir=build_db.parent,
                fingerprint=project_fingerprint(), timeout_seconds=timeout_seconds,
                on_line=progress,
            )
        except TimeoutError:
            raise DbtBuildFailed(
                f"dbt build timed out after {timeout_seconds:.0f}s", []
            ) from None
        except dbt_worker.WorkerUnavailable as exc:
            if on_line:
                on_line(f"dbt worker unavailable ({exc}); running dbt as a child process")
    if answer is not None:
        returncode, tail = int(answer.get("code", 1)), list(answer.get("lines", []))
        runner = "worker" if answer.get("warm") else "worker, parsed"
        worker_peak = answer.get("peak_mb")
    else:
        remaining = timeout_seconds - (time.perf_counter() - started)
        returncode, tail = _run_child(args, build_db, remaining, progress)
    if not results.exists():
        raise DbtBuildFailed(f"dbt could not run (exit {returncode})", tail[-15:])
    result = _summarise(results)
    result.seconds = time.perf_counter() - started
    result.runner, result.worker_peak_mb = runner, worker_peak
    if returncode != 0 or result.failures:
        raise DbtBuildFailed(
            f"dbt build failed ({len(result.failures)} failing node(s))",
            result.failures or tail[-15:],
        )
    return result


def _progress(line: str) -> bool:
    return (" OK " in line or " PASS " in line or "ERROR" in line or " FAIL " in line
            or "Finished running" in line)


def _run_child(
    args: list[str], build_db: Path, timeout_seconds: float, on_line: Callable[[str], None],
) -> tuple[int, list[str]]:
    """dbt as a child process; (exit code, its last 40 lines); each line goes to ``on_line``."""
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
    return proc.returncode, tail
