"""Warehouse-driven actions: what the warehouse finds becomes tasks and draft documents.

The rules are dbt models (``models/actions/``); ``apply_findings`` writes their findings back
into the operational store through the domain services. ``apply_after_refresh`` is what runs
after each successful refresh (the Prefect flow's write-back task, ``mis refresh``).
``writeback.queries`` holds the read functions the dashboards use. No Prefect and no
Streamlit in here.
"""

from __future__ import annotations

from operational.settings import Settings, get_settings
from writeback.apply import Say, WritebackReport, apply_findings, record_writeback
from writeback.findings import Finding, FindingsNotReady, read_findings
from writeback.rules import RULES, Rule

__all__ = [
    "RULES",
    "Finding",
    "FindingsNotReady",
    "Rule",
    "WritebackBusy",
    "WritebackReport",
    "apply_after_refresh",
    "apply_findings",
    "read_findings",
]


class WritebackBusy(RuntimeError):
    """Another write-back is running."""


def apply_after_refresh(
    settings: Settings | None = None,
    *,
    actor: str = "warehouse",
    say: Say | None = None,
    wait_seconds: float = 300.0,
) -> WritebackReport:
    """Apply the published warehouse's findings to the store ``settings`` point at.

    One write-back at a time (a file lock beside the refresh lock); the run is appended to
    ``MIS_HOME/warehouse/writeback.jsonl``.
    """
    from operational.db import get_engine
    from serving.lock import RefreshBusy, writer_lock

    settings = settings or get_settings()
    lock = settings.warehouse_dir / "writeback.lock"
    try:
        with writer_lock(lock, wait_seconds=wait_seconds):
            report = apply_findings(
                engine=get_engine(settings.store_url),
                published_db_path=settings.published_db_path,
                actor=actor,
                say=say,
            )
    except RefreshBusy as exc:
        raise WritebackBusy(str(exc).replace("refresh", "write-back")) from None
    record_writeback(settings.warehouse_dir / "writeback.jsonl", report)
    return report
