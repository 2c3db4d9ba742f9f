"""The refresh: land changes, build with dbt, reconcile, publish. No Prefect in here.

Reconciliation's store side is read on a thread while dbt builds (``StoreScan``); nothing
is published unless both dbt and reconciliation pass.

Each stage is a plain function so the Prefect flow (flows/refresh.py) can wrap them as
tasks; ``run_refresh`` runs them in order for the CLI and tests. Every run, good or bad, is
appended to the run history (``MIS_HOME/warehouse/runs.jsonl``).
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.duck import connect
from ingestion.landing import LandingReport, land
from ingestion.reconcile import (
    ReconciliationFailed,
    ReconciliationReport,
    StoreScan,
    StoreSide,
    compare,
    load_store_side,
    save_store_side,
)
from operational.settings import Settings, get_settings
from serving.dbt import DbtResult, project_fingerprint, run_dbt_build
from serving.lock import writer_lock
from serving.publish import new_build_id, prepare_build, publish, stamp_build

Say = Callable[[str], None]
# Runs one stage: (stage name, function, keyword arguments) -> result. The Prefect flow
# passes one that runs each stage as a task with its own timeout and retries.
StageRunner = Callable[..., Any]


def run_inline(name: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
    return fn(**kwargs)


@dataclass
class RefreshReport:
    build_id: str
    full: bool
    status: str = "running"  # running | success | failed
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None
    as_of: str | None = None
    stages: dict[str, float] = field(default_factory=dict)
    rows_landed: dict[str, int] = field(default_factory=dict)
    rows_deleted: int = 0
    models: int = 0
    tests: int = 0
    unit_tests: int = 0
    reconciled_tables: int = 0
    reconciliation_failures: list[str] = field(default_factory=list)
    # Reading the store for reconciliation, alongside dbt: not in ``stages``, whose
    # "reconcile" is the wait for that read after dbt plus the warehouse side.
    reconcile_store_seconds: float | None = None
    # Tables whose change counter had not moved: neither landed nor read for reconciliation.
    tables_unchanged: int = 0
    reconcile_store_tables_read: int | None = None
    error: str | None = None
    as_of_date: str | None = None
    project_hash: str | None = None
    dbt_mode: str | None = None  # full | changed | skip
    dbt_runner: str | None = None  # worker | worker, parsed | child process (serving/dbt.py)
    dbt_worker_peak_mb: float | None = None  # the dbt worker's peak memory in this build
    # How the build file was made from the published copy (serving/publish.py): "synced"
    # (only the differing parts rewritten) or "copied" (whole), and the bytes written.
    build_file: str | None = None
    build_file_mb_written: float | None = None

    @property
    def seconds(self) -> float:
        return round(sum(self.stages.values()), 3)


def history_path(settings: Settings) -> Path:
    return settings.warehouse_dir / "runs.jsonl"


def record_run(settings: Settings, report: RefreshReport) -> None:
    path = history_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(report) | {"seconds": report.seconds}, default=str) + "\n")


def read_history(settings: Settings | None = None, limit: int = 50) -> list[dict[str, Any]]:
    path = history_path(settings or get_settings())
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
    return [json.loads(line) for line in reversed(lines) if line.strip()]


class _Timer:
    def __init__(self, report: RefreshReport, stage: str, say: Say | None) -> None:
        self.report, self.stage, self.say = report, stage, say

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()
        if self.say:
            self.say(f"{self.stage}…")

    def __exit__(self, *exc: object) -> None:
        self.report.stages[self.stage] = round(time.perf_counter() - self.t0, 3)


def stage_land(settings: Settings, *, full: bool) -> tuple[LandingReport, StoreSide | None]:
    """Land, and (not ``full``) take the store side the last good build was reconciled
    with: reconciliation reads again only the tables whose change counter has moved."""
    con = connect(settings.build_db_path)
    try:
        landing = land(
            con,
            settings.store_url,
            full=full,
            overlap=timedelta(minutes=settings.overlap_minutes),
        )
        kept = None if full else load_store_side(con)
    finally:
        con.close()
    if landing.signatures:  # PostgreSQL keeps a counter row per writing transaction: fold them
        from operational.change_counters import compact
        from operational.db import get_engine

        with get_engine(settings.store_url).begin() as conn:
            compact(conn)
    return landing, kept


def stage_reconcile(settings: Settings, *, scan: StoreScan) -> ReconciliationReport:
    """The store side read by ``scan`` (begun after landing, while dbt built) against the
    landed ``raw`` tables, which dbt reads but never writes. A build that reconciles keeps
    its store side for the next refresh."""
    store = scan.result()
    con = connect(settings.build_db_path)
    try:
        report = compare(con, store)
        if report.ok:
            save_store_side(con, store)
        return report
    finally:
        con.close()


def previous_build(settings: Settings) -> dict[str, Any]:
    """What the last good build (now copied into the build file) was built from."""
    con = connect(settings.build_db_path)
    try:
        row = con.execute(
            "select json_extract_string(info, '$.as_of_date'), "
            "json_extract_string(info, '$.project_hash') from meta.build_info"
        ).fetchone()
    except Exception:  # noqa: BLE001 - first build: no stamp yet
        return {}
    finally:
        con.close()
    return {"as_of_date": row[0], "project_hash": row[1]} if row else {}


def dbt_selection(
    landing: LandingReport, *, full: bool, previous: dict[str, Any], as_of_date: str,
    project_hash: str,
) -> tuple[str, str | None]:
    """("full" | "changed" | "skip", dbt --select or None).

    Incremental refreshes build and test only what is downstream of the sources that
    changed; every model is a function of its sources and the as-of date, so the rest of
    the published build is still right. A new day, a changed dbt project or --full rebuilds
    everything; no change at all skips dbt.
    """
    if (
        full
        or previous.get("as_of_date") != as_of_date
        or previous.get("project_hash") != project_hash
    ):
        return "full", None
    changed = sorted(t.table for t in landing.tables if t.landed or t.deleted or t.added_columns)
    if not changed:
        return "skip", None
    # Models tagged `clock` measure time up to the build (e.g. hours an approval has waited):
    # they are rebuilt whenever anything is.
    return "changed", " ".join([*(f"source:operational.{t}+" for t in changed), "tag:clock+"])


def needs_full_refresh(*, full: bool, previous: dict[str, Any], project_hash: str) -> bool:
    """dbt's ``--full-refresh`` (seeds and tables recreated, not altered in place) when asked
    for, and when the dbt project changed since the last good build: a seed that gained a
    column cannot be loaded into last build's table of the old shape."""
    return full or previous.get("project_hash") != project_hash


def runs_unit_tests(*, previous: dict[str, Any], project_hash: str) -> bool:
    """dbt's unit tests check the models' SQL against fixed fixtures, not the data: they run
    when the project changed since the last good build (the first build of a project always
    runs them, and a build that fails them is never published), not on every rebuild of
    the same SQL. Data tests run on every build."""
    return previous.get("project_hash") != project_hash


def stage_dbt(
    settings: Settings, *, as_of_date: str, full: bool, select: str | None,
    unit_tests: bool = True,
) -> DbtResult:
    """``dbt build`` of everything, or (``select`` set) of the models downstream of the change,
    with their data tests; dbt's unit tests only when ``unit_tests`` (see runs_unit_tests).

    With ``select`` set, the build before this one is of the same day and project, so
    incremental models rebuild only the rows the landing touched (``incremental_keys``,
    macros/changed_rows.sql); otherwise they rebuild every row."""
    return run_dbt_build(
        settings.build_db_path,
        select=select,
        extra_vars={"as_of_date": as_of_date, "incremental_keys": select is not None},
        full_refresh=full,
        exclude_resource_types=() if unit_tests else ("unit_test",),
    )


def stage_publish(settings: Settings, report: RefreshReport, as_of: datetime) -> None:
    con = connect(settings.build_db_path)
    try:
        stamp_build(con, build_id=report.build_id, as_of=as_of, info=asdict(report))
    finally:
        con.close()
    publish(settings.build_db_path, settings.published_db_path)


def run_refresh(
    *,
    settings: Settings | None = None,
    full: bool = False,
    say: Say | None = None,
    wait_seconds: float = 600.0,
    stage_runner: StageRunner = run_inline,
) -> RefreshReport:
    """Refresh the warehouse; on any failure the published copy stays as it was."""
    settings = settings or get_settings()
    call = stage_runner
    report = RefreshReport(build_id=new_build_id(), full=full)
    lock = settings.warehouse_dir / "refresh.lock"
    try:
        with writer_lock(lock, wait_seconds=wait_seconds, on_wait=say):
            with _Timer(report, "prepare", say):
                prepared = call("prepare", prepare_build, build_db=settings.build_db_path,
                                published_db=settings.published_db_path)
                report.build_file = prepared.how
                report.build_file_mb_written = round(prepared.bytes_written / 2**20, 1)
                if say and prepared.how != "empty":
                    say(f"build file {prepared.how}: {report.build_file_mb_written:,.1f} MB of "
                        f"{prepared.size / 2**20:,.1f} MB written")
                previous = previous_build(settings)
            as_of = datetime.now(UTC)
            report.as_of = as_of.isoformat()
            with _Timer(report, "land", say):
                landing, kept_store_side = call("land", stage_land, settings=settings, full=full)
            report.rows_landed = {t.table: t.landed for t in landing.tables}
            report.rows_deleted = landing.rows_deleted
            report.tables_unchanged = sum(t.mode == "unchanged" for t in landing.tables)
            # The store side of reconciliation needs only the cut-offs: it is read while dbt
            # builds, and the build is published only once both sides agree.
            scan = StoreScan(settings.store_url, landing.cutoffs, kept_store_side)
            try:
                as_of_date = as_of.astimezone(ZoneInfo(settings.timezone)).date().isoformat()
                report.as_of_date, report.project_hash = as_of_date, project_fingerprint()
                report.dbt_mode, select = dbt_selection(
                    landing, full=full, previous=previous, as_of_date=as_of_date,
                    project_hash=report.project_hash,
                )
                with _Timer(report, "dbt", say):
                    if report.dbt_mode != "skip":
                        dbt_result = call(
                            "dbt", stage_dbt, settings=settings, as_of_date=as_of_date,
                            full=needs_full_refresh(full=full, previous=previous,
                                                    project_hash=report.project_hash),
                            select=select,
                            unit_tests=runs_unit_tests(previous=previous,
                                                       project_hash=report.project_hash),
                        )
                        report.models, report.tests = dbt_result.models, dbt_result.tests
                        report.unit_tests = dbt_result.unit_tests
                        report.dbt_runner = dbt_result.runner
                        report.dbt_worker_peak_mb = dbt_result.worker_peak_mb
                with _Timer(report, "reconcile", say):
                    recon = call("reconcile", stage_reconcile, settings=settings, scan=scan)
                report.reconciled_tables = len(recon.checks)
                report.reconcile_store_seconds = round(recon.store_seconds, 3)
                report.reconcile_store_tables_read = len(recon.checks) - len(recon.store_reused)
                if not recon.ok:
                    report.reconciliation_failures = recon.failures
                    raise ReconciliationFailed(recon)
                with _Timer(report, "publish", say):
                    call("publish", stage_publish, settings=settings, report=report, as_of=as_of)
            finally:
                scan.cancel()
        report.status = "success"
        return report
    except BaseException as exc:
        report.status = "failed"
        report.error = f"{exc.__class__.__name__}: {exc}"
        failures = getattr(exc, "failures", None)
        if failures:
            report.error += "\n" + "\n".join(failures[:20])
        if not isinstance(exc, Exception):
            report.error += "\n" + traceback.format_exc(limit=3)
        raise
    finally:
        report.finished_at = datetime.now(UTC).isoformat()
        record_run(settings, report)
