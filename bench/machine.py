"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _postgres_version(admin_url: str) -> str:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            version = conn.execute(text("show server_version")).scalar_one()
        engine.dispose()
        return str(version)
    except Exception as exc:  # noqa: BLE001 - describe the machine even without a server
        return f"unavailable ({exc.__class__.__name__})"


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=10,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _commit() -> str:
    """HEAD, and how many tracked files differ from it (read-only git commands);
    ``MIS_BENCH_COMMIT`` names it for a run from a copy of the tree."""
    if os.environ.get("MIS_BENCH_COMMIT"):
        return os.environ["MIS_BENCH_COMMIT"]
    head = _git("rev-parse", "--short", "HEAD")
    changed = [line for line in _git("diff-index", "--name-only", "HEAD", "--").splitlines()
               if line]
    untracked = [line for line in _git("ls-files", "--others", "--exclude-standard").splitlines()
                 if line]
    if not head:
        return "unknown"
    if changed or untracked:
        return (f"{head} + working tree ({len(changed)} modified, {len(untracked)} untracked "
                "files)")
    return head


def describe(pg_admin_url: str) -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    git = _commit()
    ram = _ram_gb()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram": f"{ram:.1f} GB" if ram else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dbt": f"dbt-core {_version('dbt-core')}, dbt-duckdb {_version('dbt-duckdb')}",
        "postgresql": _postgres_version(pg_admin_url),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": _version("sqlalchemy"),
        "load_at_start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}" if load else "unknown",
        "commit": git,
    }
