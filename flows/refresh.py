"""Refresh flow: land, reconcile, dbt build, publish — on demand or on a schedule.

The order of stages lives in ``serving.refresh.run_refresh``; this flow runs each stage as
a Prefect task with its own timeout, and retries only what can be transient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flows.env import configure_prefect

configure_prefect()

from prefect import Task, flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.client.schemas.objects import TaskRun  # noqa: E402
from prefect.states import State  # noqa: E402

from ingestion.landing import SchemaDriftError  # noqa: E402
from ingestion.reconcile import ReconciliationFailed  # noqa: E402
from serving.dbt import DbtBuildFailed  # noqa: E402
from serving.lock import RefreshBusy  # noqa: E402
from serving.refresh import RefreshReport, run_refresh  # noqa: E402
from writeback import WritebackReport, apply_after_refresh  # noqa: E402

# Data-quality failures, schema drift and a busy warehouse are not transient.
NOT_RETRIED = (ReconciliationFailed, DbtBuildFailed, RefreshBusy, SchemaDriftError)
STAGE_TIMEOUT_SECONDS = {"prepare": 600, "land": 3600, "reconcile": 1800, "dbt": 3600,
                         "publish": 600}


def _retry_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    try:
        state.result()
    except NOT_RETRIED:
        return False
    except Exception:  # noqa: BLE001 - I/O or connection errors are worth another try
        return True
    return False


def run_stage_as_task(name: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one refresh stage as a Prefect task (timeout, retries with backoff)."""
    stage = task(
        name=f"refresh-{name}",
        timeout_seconds=STAGE_TIMEOUT_SECONDS[name],
        retries=2,
        retry_delay_seconds=[5.0, 30.0],
        retry_condition_fn=_retry_transient,
        cache_policy=NO_CACHE,
    )(fn)
    return stage(**kwargs)


@task(name="writeback", retries=1, retry_delay_seconds=[10], timeout_seconds=900,
      cache_policy=NO_CACHE)
def writeback_task() -> WritebackReport:
    """Turn the published warehouse's findings into tasks and draft purchase orders."""
    report = apply_after_refresh(say=print)
    if report.errors:
        raise RuntimeError(f"{len(report.errors)} findings could not be written back")
    return report


@flow(name="mis-refresh", log_prints=True)
def refresh_flow(full: bool = False, writeback: bool = True) -> RefreshReport:
    """Land operational changes, reconcile, build with dbt and publish the warehouse; then
    write its findings back into the store (the next refresh lands those tasks)."""
    report = run_refresh(full=full, say=print, stage_runner=run_stage_as_task)
    if writeback:
        writeback_task()
    return report
