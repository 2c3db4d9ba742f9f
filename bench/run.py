"""``python -m bench.run --sizes small,medium,large``: every benchmark, one table, BENCHMARKS.md.

Each size runs in its own temporary ``MIS_HOME`` with a SQLite store (the default) and a
fresh PostgreSQL database seeded identically (the measurements that say PostgreSQL). Steps
that build or seed run in child processes (``bench.worker``), which gives each its own peak
memory; reads and form writes run here. Each figure is the median of ``--repeat`` runs with
min and max; every ratio is taken between runs of the same bench run.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import dashboard, oltp_kpis, writes
from bench.child import ChildRun, run_step
from bench.imports import LINES, export_files
from bench.limit import compare as compare_limit
from bench.limit import not_built
from bench.machine import describe
from bench.report import SIZES, Results, judge, ratios
from bench.store import PG_ADMIN_URL, create_pg_database, drop_pg_database, postgres_reachable
from operational.settings import Settings
from serving import dbt_worker
from serving.paths import PROJECT_DIR

DEFAULT_REPEAT = {"small": 3, "medium": 3, "large": 2}
DEFAULT_SEED_REPEAT = {"small": 3, "medium": 2, "large": 1}
REFRESH_STAGES = ("prepare", "land", "reconcile", "dbt", "publish")
LIMIT_STAGES = {
    "connect": "attach the store",
    "read": "read (typed staging)",
    "marts": "marts",
    "reports": "reports + seed",
    "write": "checkpoint",
}

_started = time.perf_counter()


def say(msg: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f}s] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--sizes", default="small,medium",
                   help="comma-separated: small, medium, large (default small,medium)")
    p.add_argument("--repeat", type=int, default=None,
                   help="runs per figure (default: small 3, medium 3, large 2)")
    p.add_argument("--seed-repeat", type=int, default=None,
                   help="seeding runs per size (default: small 3, medium 2, large 1)")
    p.add_argument("--writes", type=int, default=200, help="form writes for the latency")
    p.add_argument("--writers", type=int, default=20, help="concurrent writers")
    p.add_argument("--writer-seconds", type=float, default=10.0, help="throughput run length")
    p.add_argument("--cold-loads", type=int, default=20, help="cold page loads per run")
    p.add_argument("--warm-loads", type=int, default=50, help="warm page loads per run")
    p.add_argument("--incremental-orders", type=int, default=100)
    p.add_argument("--output", default=str(PROJECT_DIR / "BENCHMARKS.md"),
                   help="markdown report ('' for none)")
    p.add_argument("--json", default="", help="also write every figure and check as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temporary homes and databases")
    p.add_argument("--quick", action="store_true",
                   help="the smoke test's run: one run of everything, a 2 s writer run, few "
                        "page loads, form write → KPI taken on the incremental refresh")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat, args.seed_repeat = 1, 1
        args.writes, args.writer_seconds = 20, 2.0
        args.cold_loads, args.warm_loads = 3, 5
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        p.error(f"unknown size(s): {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    args.sizes = [s for s in SIZES if s in args.sizes]
    return args


def company_today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


class SizeBench:
    """Every measurement at one size."""

    def __init__(self, size: str, args: argparse.Namespace, results: Results) -> None:
        self.size, self.args, self.results = size, args, results
        self.repeat = args.repeat or DEFAULT_REPEAT[size]
        self.seed_repeat = args.seed_repeat or min(self.repeat, DEFAULT_SEED_REPEAT[size])
        self.home = Path(tempfile.mkdtemp(prefix=f"mis-bench-{size}-"))
        self.settings = Settings(home=self.home, database_url=None)
        self.tz = self.settings.timezone
        self.pg_url: str | None = None
        self.checks: dict[str, Any] = results.checks.setdefault(size, {})
        self.details: dict[str, Any] = results.details.setdefault(size, {})
        self.full_seconds: list[float] = []
        self.incremental_runs: list[ChildRun] = []

    # -- plumbing ---------------------------------------------------------------------------

    def step(self, task: str, args: dict[str, Any], label: str, *,
             postgres: bool = False) -> ChildRun:
        say(f"{self.size}: {label}")
        return run_step(task, args, home=self.home, store_url=self.pg_url if postgres else None,
                        label=f"{self.size} {label}", say=say)

    def add(self, key: str, label: str, unit: str, values: list[float], note: str = "") -> None:
        self.results.add(key, self.size, label, unit, values, note)

    # -- the measurements -------------------------------------------------------------------

    def run(self) -> None:
        reason = postgres_reachable()
        if reason:
            raise SystemExit(f"the bench needs PostgreSQL: {reason}")
        self.pg_url = create_pg_database(self.size)
        try:
            self.seed()
            self.full_refresh_and_limit()
            self.importer()
            self.landing()
            self.dashboard()
            self.oltp()
            self.incremental()
            self.write_to_kpi()
            self.form_writes()
        finally:
            dbt_worker.stop(self.settings.warehouse_dir)
            if not self.args.keep:
                drop_pg_database(self.pg_url)
                shutil.rmtree(self.home, ignore_errors=True)
            else:
                say(f"{self.size}: kept {self.home} and {self.pg_url}")

    def seed(self) -> None:
        today = company_today(self.tz).isoformat()  # what `mis seed` uses
        runs = []
        for i in range(self.seed_repeat):
            for leftover in self.home.glob("operational.sqlite*"):
                leftover.unlink()
            runs.append(self.step("seed", {"scale": self.size, "seed": 42, "today": today},
                                  f"mis seed (SQLite) {i + 1}/{self.seed_repeat}"))
        rows = runs[-1].result["rows"]
        self.details["store_rows"] = rows
        self.add("seed.sqlite", "mis seed (SQLite)", "s",
                 [r.result["seconds"] for r in runs], f"{rows:,} rows")
        self.add("memory.seed", "peak memory: mis seed", "MB", [r.peak_mb for r in runs])
        pg = self.step("seed", {"scale": self.size, "seed": 42, "today": today},
                       "mis seed (PostgreSQL)", postgres=True)
        self.add("seed.postgres", "mis seed (PostgreSQL)", "s", [pg.result["seconds"]],
                 f"{pg.result['rows']:,} rows")

    def full_refresh_and_limit(self) -> None:
        fulls, limits = [], []
        limit_db = self.home / "limit.duckdb"
        for i in range(self.repeat):
            fulls.append(self.step("refresh", {"full": True},
                                   f"full refresh {i + 1}/{self.repeat}"))
            as_of = fulls[-1].result.get("as_of_date") or company_today(self.tz).isoformat()
            limits.append(self.step("limit", {"out": str(limit_db), "as_of_date": as_of,
                                              "timezone": self.tz},
                                    f"limit {i + 1}/{self.repeat}"))
        self.full_seconds = [r.result["seconds"] for r in fulls]
        limit_seconds = [r.result["seconds"] for r in limits]
        first = fulls[0].result
        self.details["full_refresh"] = {"models": first["models"], "tests": first["tests"],
                                        "rows_landed": first["rows_landed"]}
        apart = " (reconcile timed apart)" if first.get("reconcile_apart") else ""
        units = "/".join(str(r.result.get("unit_tests", "?")) for r in fulls)
        self.add("refresh.full", "full refresh: total", "s", self.full_seconds,
                 f"{first['models']} models, {first['tests']} tests, unit tests per run "
                 f"{units}{apart}")
        for stage in REFRESH_STAGES:
            self.add(f"refresh.full.{stage}", f"  full refresh · {stage}", "s",
                     [r.result["stages"].get(stage, 0.0) for r in fulls])
        self.add_store_read("full", fulls)
        self.add("limit", "limit (limit.sql): total", "s", limit_seconds)
        for stage, label in LIMIT_STAGES.items():
            self.add(f"limit.{stage}", f"  limit · {label}", "s",
                     [r.result["stages"].get(stage, 0.0) for r in limits])
        self.add("ratio.full_vs_limit", "full refresh / limit", "×",
                 ratios(self.full_seconds, limit_seconds))
        self.add("memory.refresh", "peak memory: full refresh (refresh or dbt process)", "MB",
                 [peak_with_dbt(r) for r in fulls])
        self.add("memory.limit", "peak memory: limit", "MB", [r.peak_mb for r in limits])
        say(f"{self.size}: comparing the limit's tables with the published warehouse")
        tables = compare_limit(limit_db, self.settings.published_db_path, content=True)
        self.checks["limit_tables"] = [t.__dict__ | {"ok": t.ok} for t in tables]
        self.checks["limit_matches"] = bool(tables) and all(t.ok for t in tables)
        self.checks["not_in_limit"] = not_built(self.settings.published_db_path)
        bad = [t.table for t in tables if not t.ok]
        say(f"{self.size}: limit vs warehouse: {len(tables) - len(bad)}/{len(tables)} tables "
            f"identical" + (f"; differing: {', '.join(bad)}" if bad else ""))
        limit_db.unlink(missing_ok=True)

    def importer(self) -> None:
        """CSV files exported from the seeded store, imported into an empty store."""
        folder = self.home / "import-files"
        counts = export_files(self.settings.store_url, folder)
        for backend, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
            runs = [self._import_once(backend, folder, i) for i in range(self.repeat)]
            lines = [r.result[LINES] for r in runs]
            seconds = statistics.median(x["seconds"] for x in lines)
            self.add(f"import.{backend}.lines", f"import order lines (CSV) into {name}",
                     "lines/s", [x["rows"] / x["seconds"] for x in lines],
                     f"{counts[LINES]:,} lines, {seconds:.1f}s")
            total = sum(counts.values())
            self.add(f"import.{backend}.all", f"import 5 files (customers … lines) into {name}",
                     "rows/s",
                     [total / sum(x["seconds"] for x in r.result.values()) for r in runs],
                     f"{total:,} rows")
            self.add(f"memory.import.{backend}", f"peak memory: import into {name}", "MB",
                     [r.peak_mb for r in runs])
        shutil.rmtree(folder, ignore_errors=True)

    def _import_once(self, backend: str, folder: Path, i: int) -> ChildRun:
        if backend == "sqlite":
            for leftover in self.home.glob("import-target.sqlite*"):
                leftover.unlink()
            url = f"sqlite:///{self.home / 'import-target.sqlite'}"
        else:
            url = create_pg_database(f"{self.size}_import")
        try:
            return self.step("import_files", {"store_url": url, "folder": str(folder)},
                             f"import CSV files into {backend} {i + 1}/{self.repeat}")
        finally:
            if backend == "postgres":
                drop_pg_database(url)

    def landing(self) -> None:
        """A full landing of the operational store into DuckDB (the refresh's first step)."""
        scratch = self.home / "landing.duckdb"
        for backend, url, pg in (("sqlite", self.settings.store_url, False),
                                 ("postgres", self.pg_url, True)):
            runs = [self.step("land", {"store_url": url, "out": str(scratch)},
                              f"full landing from {backend} {i + 1}/{self.repeat}", postgres=pg)
                    for i in range(self.repeat)]
            rows = runs[0].result["rows"]
            seconds = statistics.median(r.result["seconds"] for r in runs)
            name = "SQLite" if backend == "sqlite" else "PostgreSQL"
            self.add(f"landing.{backend}", f"full landing {name} → DuckDB (26 tables)", "rows/s",
                     [r.result["rows"] / r.result["seconds"] for r in runs],
                     f"{rows:,} rows, {seconds:.1f}s")

    def dashboard(self) -> None:
        runs = []
        for i in range(self.repeat):
            say(f"{self.size}: dashboard page data {i + 1}/{self.repeat}")
            runs.append(dashboard.measure(self.settings.published_db_path,
                                          company_today(self.tz),
                                          cold_loads=self.args.cold_loads,
                                          warm_loads=self.args.warm_loads))
        queries = runs[0]["queries"]
        for kind, loads in (("cold", self.args.cold_loads), ("warm", self.args.warm_loads)):
            for p in ("p50", "p95"):
                self.add(f"dashboard.{kind}.{p}", f"overview page data, {kind} cache: {p}", "ms",
                         [r[f"{kind}_{p}"] for r in runs], f"{queries} queries, {loads} loads")

    def oltp(self) -> None:
        say(f"{self.size}: executive KPIs on the warehouse and on the OLTP store")
        m = oltp_kpis.measure(self.pg_url, company_today(self.tz), self.tz,
                              samples=max(self.repeat, 3), settings=self.settings)
        self.checks["oltp_differences"] = m["differences"]
        self.checks["oltp_matches"] = not m["differences"]
        self.details["overview_kpis"] = m["values"]
        if m["differences"]:
            say(f"{self.size}: OLTP and warehouse KPIs differ: {m['differences'][:3]}")
        self.add("kpis.warehouse", "executive KPIs on the warehouse (2 periods)", "ms",
                 [x * 1000 for x in m["warehouse_seconds"]], "open connection")
        self.add("kpis.warehouse.connect", "executive KPIs on the warehouse, new connection",
                 "ms", [x * 1000 for x in m["warehouse_connect_seconds"]], "as dashboards/data.py")
        self.add("kpis.oltp", "executive KPIs on PostgreSQL (2 periods)", "ms",
                 [x * 1000 for x in m["oltp_seconds"]], "open connection")
        self.add("ratio.oltp_vs_warehouse", "OLTP time / warehouse time", "×",
                 ratios(m["oltp_seconds"], m["warehouse_seconds"]), "both on open connections")

    def add_store_read(self, kind: str, runs: list[ChildRun]) -> None:
        """Reconciliation's read of the store: on a thread while dbt builds, so inside the
        dbt stage's time (the reconcile stage is only what is left after dbt)."""
        self.add(f"refresh.{kind}.reconcile_store", f"  {kind} refresh · reconcile's store read",
                 "s", [r.result.get("reconcile_store_seconds") or 0.0 for r in runs],
                 "alongside dbt: not a stage of its own")

    def incremental(self) -> None:
        n = self.args.incremental_orders
        runs = [self.step("incremental", {"orders": n, "seed": 1000 + i},
                          f"incremental refresh after {n} orders {i + 1}/{self.repeat}")
                for i in range(self.repeat)]
        seconds = [r.result["seconds"] for r in runs]
        modes = sorted({str(r.result["dbt_mode"]) for r in runs})
        self.checks["incremental_dbt_modes"] = [r.result["dbt_mode"] for r in runs]
        # Tables whose change counter had not moved (not landed) / store tables reconciliation
        # read again (the rest kept from the build before).
        self.checks["incremental_tables_unchanged"] = [r.result["tables_unchanged"] for r in runs]
        self.checks["incremental_store_tables_read"] = [
            r.result["reconcile_store_tables_read"] for r in runs]
        self.add("refresh.incremental", f"incremental refresh after {n} new orders: total", "s",
                 seconds, f"dbt {'/'.join(modes)}")
        for stage in REFRESH_STAGES:
            self.add(f"refresh.incremental.{stage}", f"  incremental refresh · {stage}", "s",
                     [r.result["stages"].get(stage, 0.0) for r in runs])
        self.add_store_read("incremental", runs)
        self.add("ratio.incremental_vs_full", "incremental / full refresh", "×",
                 ratios(seconds, self.full_seconds))
        self.add("memory.incremental", "peak memory: incremental refresh (refresh or dbt)", "MB",
                 [peak_with_dbt(r) for r in runs])
        self.checks["incremental_visible"] = [r.result["visible"] for r in runs]
        self.checks["incremental_dbt_runners"] = [r.result.get("dbt_runner") for r in runs]
        self.incremental_runs = runs
        # The same, with no dbt worker running: what the first refresh after a restart (or
        # after 20 idle minutes) pays to start dbt and read the project.
        dbt_worker.stop(self.settings.warehouse_dir)
        cold = self.step("incremental", {"orders": n, "seed": 1500},
                         f"incremental refresh after {n} orders, dbt worker cold")
        self.checks["incremental_visible"].append(cold.result["visible"])
        self.add("refresh.incremental_cold",
                 f"incremental refresh after {n} new orders, dbt worker cold: total", "s",
                 [cold.result["seconds"]], f"dbt {cold.result.get('dbt_runner')}")
        self.add("refresh.incremental_cold.dbt", "  incremental refresh, worker cold · dbt", "s",
                 [cold.result["stages"].get("dbt", 0.0)])

    def write_to_kpi(self) -> None:
        if self.args.quick:  # the last of the incremental run's orders, one refresh fewer
            runs = self.incremental_runs
            self.checks["write_to_kpi_visible"] = [r.result["visible"] for r in runs]
            self.add("write_to_kpi", "form write → order intake visible", "s",
                     [r.result["last_write_to_kpi_seconds"] for r in runs],
                     "last order of the incremental run")
            return
        runs = [self.step("write_to_kpi", {"seed": 2000 + i},
                          f"form write → KPI visible {i + 1}/{self.repeat}")
                for i in range(self.repeat)]
        self.checks["write_to_kpi_visible"] = [r.result["visible"] for r in runs]
        self.add("write_to_kpi", "form write → order intake visible", "s",
                 [r.result["seconds"] for r in runs],
                 "write + refresh + KPI read; dbt "
                 + "/".join(sorted({str(r.result['dbt_mode']) for r in runs})))

    def form_writes(self) -> None:
        today = company_today(self.tz)
        lat = []
        for i in range(self.repeat):
            say(f"{self.size}: form write latency on PostgreSQL {i + 1}/{self.repeat}")
            lat.append(writes.latency(self.pg_url, today, writes=self.args.writes, seed=7 + i))
        self.add("write.p50", "form write (create + confirm order) on PostgreSQL: p50", "ms",
                 [r["p50"] for r in lat], f"{self.args.writes} writes")
        self.add("write.p95", "form write (create + confirm order) on PostgreSQL: p95", "ms",
                 [r["p95"] for r in lat], f"{self.args.writes} writes")
        tput = []
        for i in range(self.repeat):
            say(f"{self.size}: {self.args.writers} writers on PostgreSQL for "
                f"{self.args.writer_seconds:.0f}s {i + 1}/{self.repeat}")
            tput.append(writes.throughput(self.pg_url, today, writers=self.args.writers,
                                          seconds=self.args.writer_seconds, seed=100 * i))
        self.checks["writer_errors"] = sum(r["errors"] for r in tput)
        if self.checks["writer_errors"]:
            say(f"{self.size}: writer errors: {tput[0]['first_errors']}")
        self.add("write.throughput", f"{self.args.writers} concurrent writers on PostgreSQL",
                 "orders/s", [r["orders_per_second"] for r in tput],
                 f"{self.args.writer_seconds:g}s each, {sum(r['orders'] for r in tput):,} orders")


def peak_with_dbt(run: ChildRun) -> float:
    """A refresh's peak memory: its own process, a dbt child, or the dbt worker."""
    return max(run.peak_mb, run.result.get("dbt_worker_peak_mb") or 0.0)


def cross_size(results: Results) -> None:
    small, large = (results.get("refresh.incremental", s) for s in ("small", "large"))
    if small and large:
        results.add("ratio.incremental_large_vs_small", "large",
                    "incremental refresh: large / small", "×", ratios(large.values, small.values))


def write_outputs(results: Results, machine: dict[str, Any], args: argparse.Namespace,
                  final: bool) -> None:
    """The table on stdout (final) and the files; also after each size, so a long run that
    fails at large keeps what the smaller sizes measured."""
    from bench.markdown import render, render_text

    if final:
        cross_size(results)
    summary = judge(results)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if final:
        print(render_text(results, summary))
    if args.output:
        Path(args.output).write_text(render(results, summary, machine, args, peak_self),
                                     encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "machine": machine,
            "figures": [f.__dict__ | {"median": f.median, "min": f.low, "max": f.high}
                        for f in results.figures],
            "checks": results.checks,
            "details": results.details,
            "summary": [{"target": s["target"], "met": s["met"], "note": s["note"]}
                        for s in summary],
        }, indent=2, default=str), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = describe(PG_ADMIN_URL)
    say(f"bench: sizes {', '.join(args.sizes)} on {machine['cpu']} ({machine['cores']} cores)")
    results = Results()
    failed = []
    for size in args.sizes:
        try:
            SizeBench(size, args, results).run()
        except Exception as exc:  # noqa: BLE001 - report it, keep the other sizes' figures
            failed.append(size)
            results.checks.setdefault(size, {})["error"] = f"{exc.__class__.__name__}: {exc}"
            say(f"{size}: FAILED: {exc.__class__.__name__}: {exc}")
        write_outputs(results, machine, args, final=size == args.sizes[-1])
    if args.output:
        say(f"wrote {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
