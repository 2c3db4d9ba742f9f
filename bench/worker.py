"""One measured step in its own process: ``python -m bench.worker TASK ARGS_JSON OUT_JSON``.

A fresh process per step gives each its own settings (``MIS_HOME``, ``MIS_DATABASE_URL``
from the environment), a clean DuckDB and a peak memory of its own (the parent reads it
with ``wait4``, dbt's child process included). Times are taken in here, around the work
only; the result is written as JSON to OUT_JSON. Progress goes to stderr.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any


def say(msg: str) -> None:
    print(f"    · {msg}", file=sys.stderr, flush=True)


def seed(scale: str, seed: int, today: str) -> dict[str, Any]:
    """What ``mis seed --scale SCALE`` does: migrate the schema, generate, write."""
    from operational import demo
    from operational.db import get_engine, init_schema

    engine = get_engine()
    started = time.perf_counter()
    init_schema(engine)
    last = [time.perf_counter()]

    def progress(table: str, done: int, total: int) -> None:
        if done == total or time.perf_counter() - last[0] > 20:
            last[0] = time.perf_counter()
            say(f"{table} {done:,}/{total:,} ({time.perf_counter() - started:.0f}s)")

    counts = demo.generate(
        engine=engine, scale=scale, seed=seed, today=date.fromisoformat(today), progress=progress
    )
    return {"seconds": time.perf_counter() - started, "rows": sum(counts.values())}


def _report(report: Any) -> dict[str, Any]:
    return {
        "stages": dict(report.stages),
        "seconds": report.seconds,
        "dbt_mode": report.dbt_mode,
        "rows_landed": sum(report.rows_landed.values()),
        "models": report.models,
        "tests": report.tests,
        "unit_tests": report.unit_tests,
        "build_id": report.build_id,
        "as_of_date": report.as_of_date,
        "dbt_runner": report.dbt_runner,
        "dbt_worker_peak_mb": report.dbt_worker_peak_mb,
        "reconcile_store_seconds": report.reconcile_store_seconds,
        "tables_unchanged": report.tables_unchanged,
        "reconcile_store_tables_read": report.reconcile_store_tables_read,
        "build_file": report.build_file,
        "build_file_mb_written": report.build_file_mb_written,
    }


def _reconcile_apart(settings: Any) -> float:
    """Reconcile timed on its own, on a fresh full landing (for a refresh whose report
    counts reconciliation inside its land stage)."""
    from datetime import timedelta

    from ingestion.duck import connect
    from ingestion.landing import land
    from ingestion.reconcile import reconcile

    scratch = settings.warehouse_dir / "bench-reconcile.duckdb"
    scratch.unlink(missing_ok=True)
    con = connect(scratch)
    try:
        land(con, settings.store_url, full=True, overlap=timedelta(minutes=10))
        t0 = time.perf_counter()
        reconcile(con, settings.store_url)
        return time.perf_counter() - t0
    finally:
        con.close()
        scratch.unlink(missing_ok=True)


def refresh(full: bool) -> dict[str, Any]:
    from operational.settings import get_settings
    from serving.refresh import run_refresh

    report = run_refresh(full=full, say=say)
    out = _report(report)
    if "reconcile" not in out["stages"]:
        rec = _reconcile_apart(get_settings())
        out["stages"]["land"] = max(out["stages"]["land"] - rec, 0.0)
        out["stages"]["reconcile"] = rec
        out["reconcile_apart"] = True
    return out


def incremental(orders: int, seed: int) -> dict[str, Any]:
    """``orders`` new orders through the services (each committed), then a plain refresh;
    also how long the last order took to show in today's order intake."""
    from bench.store import order_data, order_pool, place_order
    from operational.db import get_engine
    from operational.services._core import company_today
    from serving import kpis
    from serving.read import open_published
    from serving.refresh import run_refresh

    engine = get_engine()
    pool, rng, today = order_pool(engine), random.Random(seed), company_today()
    with open_published() as con:
        before = kpis.evaluate(con, ["order_intake"], today, today)["order_intake"]
    t0 = time.perf_counter()
    total = Decimal("0.00")
    for _ in range(orders):
        data = order_data(rng, pool, today)
        t_last = time.perf_counter()
        total += place_order(engine, data)
    written = time.perf_counter() - t0
    say(f"{orders} orders written in {written:.1f}s; refreshing")
    out = _report(run_refresh(say=say))
    with open_published() as con:
        after = kpis.evaluate(con, ["order_intake"], today, today)["order_intake"]
    out["last_write_to_kpi_seconds"] = time.perf_counter() - t_last
    out["visible"] = after == before + total
    out["orders_seconds"] = written
    return out


def write_to_kpi(seed: int) -> dict[str, Any]:
    """From the service call that commits an order to ``order_intake`` for today showing it."""
    from bench.store import order_data, order_pool, place_order
    from operational.db import get_engine
    from operational.services._core import company_today
    from serving import kpis
    from serving.read import open_published
    from serving.refresh import run_refresh

    engine = get_engine()
    pool, rng, today = order_pool(engine), random.Random(seed), company_today()
    with open_published() as con:
        before = kpis.evaluate(con, ["order_intake"], today, today)["order_intake"]
    data = order_data(rng, pool, today)
    t0 = time.perf_counter()
    net = place_order(engine, data)
    t_write = time.perf_counter()
    report = run_refresh(say=say)
    t_refresh = time.perf_counter()
    with open_published() as con:
        after = kpis.evaluate(con, ["order_intake"], today, today)["order_intake"]
    t_read = time.perf_counter()
    return {
        "seconds": t_read - t0,
        "write_ms": (t_write - t0) * 1000,
        "refresh_seconds": t_refresh - t_write,
        "read_ms": (t_read - t_refresh) * 1000,
        "visible": after == before + net,
        "before": str(before),
        "after": str(after),
        "net": str(net),
        "dbt_mode": report.dbt_mode,
    }


def limit(out: str, as_of_date: str, timezone: str) -> dict[str, Any]:
    from bench.limit import run_limit
    from operational.settings import get_settings

    run = run_limit(
        get_settings().store_url, Path(out),
        as_of_date=date.fromisoformat(as_of_date), timezone=timezone,
    )
    return {"stages": run.stages, "seconds": run.seconds}


def land(store_url: str, out: str) -> dict[str, Any]:
    """A full landing of every operational table into a new DuckDB file (the import)."""
    from ingestion.duck import connect
    from ingestion.landing import land as land_all

    path = Path(out)
    path.unlink(missing_ok=True)
    con = connect(path)
    try:
        report = land_all(con, store_url, full=True)
    finally:
        con.close()
        path.unlink(missing_ok=True)
    return {"rows": report.rows_landed, "seconds": report.seconds,
            "tables": len(report.tables)}


def import_files(store_url: str, folder: str) -> dict[str, Any]:
    from bench.imports import import_files as run

    return run(store_url, Path(folder))


TASKS = {
    "seed": seed,
    "refresh": refresh,
    "incremental": incremental,
    "write_to_kpi": write_to_kpi,
    "limit": limit,
    "land": land,
    "import_files": import_files,
}


def peak_mb() -> float:
    """The most memory any process of this step held: this one (its high-water mark since
    exec, ``VmHWM``) or a child it waited for (dbt). ``wait4`` in the parent is no good for
    this: a child started with vfork inherits the parent's high-water mark at exec."""
    import re
    import resource

    status = Path("/proc/self/status")
    own_kb = 0
    if status.exists():
        found = re.search(r"VmHWM:\s+(\d+)", status.read_text())
        own_kb = int(found.group(1)) if found else 0
    if not own_kb:
        own_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own_kb, children_kb) / 1024


def warm_up() -> None:
    """Pay one-time process costs before anything is timed: DuckDB's first statement with
    parameters imports its Python conversions (seconds on a busy machine)."""
    import duckdb

    con = duckdb.connect()
    con.execute("select ?", [1]).fetchall()
    con.close()


def main(argv: list[str]) -> int:
    task, args, out = argv[0], json.loads(argv[1]), Path(argv[2])
    warm_up()
    try:
        result = TASKS[task](**args)
    except Exception as exc:
        for line in getattr(exc, "failures", None) or []:  # dbt's failing nodes, reconciliation
            print(f"    ! {line}", file=sys.stderr, flush=True)
        raise
    result["_peak_mb"] = peak_mb()
    out.write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
