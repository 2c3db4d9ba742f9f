"""A smoke run of the benchmarks (``python -m bench.run --sizes small --quick``): the table has
every measurement with positive figures, the limit's tables are the warehouse's, and the
executive KPIs computed on the OLTP store equal the warehouse's (money exactly).

The benchmarks themselves are not part of ``make test``; this run is (a few minutes: three
dbt builds at small scale). It needs the PostgreSQL server the other PostgreSQL tests use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.store import postgres_reachable
from serving.paths import PROJECT_DIR

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

MEASUREMENTS = [
    "seed.sqlite", "seed.postgres", "memory.seed",
    "refresh.full", *(f"refresh.full.{s}" for s in ("prepare", "land", "reconcile", "dbt",
                                                     "publish", "reconcile_store")),
    "limit", *(f"limit.{s}" for s in ("connect", "read", "marts", "reports", "write")),
    "ratio.full_vs_limit", "memory.refresh", "memory.limit",
    "import.sqlite.lines", "import.postgres.lines", "import.sqlite.all", "import.postgres.all",
    "landing.sqlite", "landing.postgres",
    "dashboard.cold.p50", "dashboard.cold.p95", "dashboard.warm.p50", "dashboard.warm.p95",
    "kpis.warehouse", "kpis.warehouse.connect", "kpis.oltp", "ratio.oltp_vs_warehouse",
    "refresh.incremental", *(f"refresh.incremental.{s}" for s in ("land", "reconcile", "dbt",
                                                                  "publish", "reconcile_store")),
    "ratio.incremental_vs_full", "memory.incremental",
    "refresh.incremental_cold", "refresh.incremental_cold.dbt",
    "write_to_kpi", "write.p50", "write.p95", "write.throughput",
]
# the tables the KPIs and dashboards stand on: they must be built by the limit as by dbt
MAIN_TABLES = [
    "marts.dim_customers", "marts.dim_dates", "marts.dim_products", "marts.fct_deliveries",
    "marts.fct_invoices", "marts.fct_order_lines", "marts.fct_orders",
    "marts.fct_receivable_events", "reports.rpt_customer_sales_daily",
    "reports.rpt_inventory_monthly", "reports.rpt_kpi_daily", "reports.rpt_receivables_ageing",
    "reports.rpt_sales_monthly",
]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    reason = postgres_reachable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the bench smoke test, but: {reason}")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "bench.run", "--sizes", "small", "--quick",
         "--output", str(out / "BENCHMARKS.md"), "--json", str(out / "bench.json")],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=1200,
        # The bench stops its dbt worker when it ends; until then it must outlive the gap
        # between the full refresh and the incremental ones (tests default to 60 s).
        env=os.environ | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                          "MIS_DBT_WORKER_IDLE_SECONDS": "600"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    return data | {"stdout": proc.stdout, "markdown": (out / "BENCHMARKS.md").read_text()}


def test_every_measurement_has_positive_figures(bench_run: dict) -> None:
    figures = {f["key"]: f for f in bench_run["figures"] if f["size"] == "small"}
    missing = [k for k in MEASUREMENTS if k not in figures]
    assert not missing, f"measurements missing from the table: {missing}"
    for key in MEASUREMENTS:
        values = figures[key]["values"]
        assert values and all(v > 0 for v in values), f"{key}: {values}"
    assert "measurement" in bench_run["stdout"] and "Targets:" in bench_run["stdout"]
    assert "## Machine" in bench_run["markdown"] and "| measurement |" in bench_run["markdown"]


def test_targets_are_reported(bench_run: dict) -> None:
    names = [s["target"] for s in bench_run["summary"]]
    assert any("≤ 3× the limit" in n for n in names)
    assert any("50,000 lines/s" in n for n in names)
    write = next(s for s in bench_run["summary"] if s["target"].startswith("form write p95"))
    assert write["met"] in (True, False)  # measured at small, so judged


def test_limit_builds_the_warehouse_tables(bench_run: dict) -> None:
    checks = bench_run["checks"]["small"]
    tables = {t["table"]: t for t in checks["limit_tables"]}
    assert set(MAIN_TABLES) <= set(tables)
    for name in MAIN_TABLES:
        t = tables[name]
        assert t["limit_rows"] == t["warehouse_rows"] > 0, t
    differing = [t for t in tables.values() if not t["ok"]]
    assert not differing, differing  # every mart and report: same columns, same rows
    assert checks["limit_matches"]


def test_oltp_kpis_equal_the_warehouse(bench_run: dict) -> None:
    checks = bench_run["checks"]["small"]
    assert checks["oltp_matches"], checks["oltp_differences"]
    assert checks["oltp_differences"] == []


def test_written_orders_show_in_the_kpis(bench_run: dict) -> None:
    checks = bench_run["checks"]["small"]
    assert all(checks["incremental_visible"])
    # dbt ran in the worker the full refresh started, with the project already read
    assert checks["incremental_dbt_runners"] and set(checks["incremental_dbt_runners"]) == {
        "worker"}
    assert all(checks["write_to_kpi_visible"])
    assert checks["writer_errors"] == 0
