"""Prefect settings that avoid outbound calls and slow starts (see shared/STACK.md)."""

from __future__ import annotations

import os

from operational.settings import get_settings


def configure_prefect() -> None:
    """Call before importing prefect: a persistent home and no telemetry."""
    home = get_settings().resolved_home / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
