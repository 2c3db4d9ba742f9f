"""The bench's output: the table on stdout and ``BENCHMARKS.md``."""

from __future__ import annotations

import argparse
from typing import Any

from bench.report import HEADER, Results, fmt, markdown_table, rows, text_table


def _summary_lines(summary: list[dict[str, Any]]) -> list[str]:
    out = []
    for s in summary:
        verdict = {True: "met", False: "NOT met", None: "not judged"}[s["met"]]
        out.append(f"{s['target']}: {verdict} ({s['note']})")
    return out


def _checks_lines(results: Results) -> list[str]:
    out = []
    for size, c in results.checks.items():
        if c.get("error"):
            out.append(f"{size}: the run FAILED and its figures are incomplete: {c['error']}")
        tables = c.get("limit_tables") or []
        same = sum(1 for t in tables if t["ok"])
        bad = [t["table"] for t in tables if not t["ok"]]
        out.append(
            f"{size}: limit tables identical to the warehouse's (rows, columns, content): "
            f"{same}/{len(tables)}" + (f" — differing: {', '.join(bad)}" if bad else "")
        )
        extra = c.get("not_in_limit")
        if extra:
            out.append(f"{size}: published tables the refresh builds and the limit does not "
                       f"({len(extra)}): {', '.join(extra)}")
        diffs = c.get("oltp_differences")
        if diffs is not None:
            out.append(f"{size}: OLTP KPIs equal to the warehouse's (money exact): "
                       + ("yes" if not diffs else "NO — " + "; ".join(diffs[:4])))
        if "write_to_kpi_visible" in c:
            vis = c["write_to_kpi_visible"]
            out.append(f"{size}: the written order showed in order intake after the refresh: "
                       f"{sum(vis)}/{len(vis)} runs")
        if "incremental_visible" in c:
            vis = c["incremental_visible"]
            out.append(f"{size}: the incremental refresh showed all new orders in order intake: "
                       f"{sum(vis)}/{len(vis)} runs")
        if "incremental_dbt_modes" in c:
            out.append(f"{size}: dbt mode of the incremental refreshes: "
                       + ", ".join(str(m) for m in c["incremental_dbt_modes"]))
        if "incremental_dbt_runners" in c:
            out.append(f"{size}: where dbt ran in the incremental refreshes: "
                       + ", ".join(str(m) for m in c["incremental_dbt_runners"]))
        if c.get("writer_errors"):
            out.append(f"{size}: concurrent writers: {c['writer_errors']} failed orders")
    return out


def render_text(results: Results, summary: list[dict[str, Any]]) -> str:
    parts = [text_table(HEADER, rows(results)), "", "Targets:"]
    parts += [f"  {line}" for line in _summary_lines(summary)]
    parts += ["", "Checks:"] + [f"  {line}" for line in _checks_lines(results)]
    return "\n".join(parts)


def _side_by_side(results: Results) -> str:
    lines = []
    for size in dict.fromkeys(f.size for f in results.figures):
        def med(key: str, size: str = size) -> float:
            fig = results.get(key, size)
            return fig.median if fig else float("nan")

        if results.get("refresh.full", size) is None:
            continue
        body = [
            ("read the operational store",
             f"land {fmt(med('refresh.full.land'), 's')} + reconcile "
             f"{fmt(med('refresh.full.reconcile'), 's')}",
             f"attach {fmt(med('limit.connect'), 's')} + read {fmt(med('limit.read'), 's')}"),
            ("build every mart and report",
             f"dbt build {fmt(med('refresh.full.dbt'), 's')} (seeds, snapshots, models, tests)",
             f"marts {fmt(med('limit.marts'), 's')} + reports {fmt(med('limit.reports'), 's')}"),
            ("make it readable",
             f"prepare {fmt(med('refresh.full.prepare'), 's')} + publish "
             f"{fmt(med('refresh.full.publish'), 's')}",
             f"checkpoint {fmt(med('limit.write'), 's')}"),
            ("total", f"{fmt(med('refresh.full'), 's')} s", f"{fmt(med('limit'), 's')} s"),
        ]
        lines += [f"**{size}** (medians, seconds)", "",
                  markdown_table(("step", "full refresh", "limit"), body), ""]
    return "\n".join(lines)


def render(results: Results, summary: list[dict[str, Any]], machine: dict[str, Any],
           args: argparse.Namespace, peak_self_mb: float) -> str:
    sizes = ",".join(args.sizes)
    machine_rows = [
        ("date", machine["date"]), ("commit", machine["commit"]),
        ("CPU", f"{machine['cpu']}, {machine['cores']} cores"), ("RAM", machine["ram"]),
        ("OS", machine["os"]), ("Python", machine["python"]), ("DuckDB", machine["duckdb"]),
        ("dbt", machine["dbt"]), ("PostgreSQL", machine["postgresql"]),
        ("SQLite", machine["sqlite"]), ("SQLAlchemy", machine["sqlalchemy"]),
        ("load average at start (1/5/15 min)", machine["load_at_start"]),
    ]
    return f"""# Benchmarks

Written by `make bench` (`python -m bench.run --sizes {sizes}`). Each figure is the median
of several runs (`runs`) with their min and max; every ratio is taken between runs of this
same bench run. Sizes are the demo scales: small ≈ 5,000 order lines, medium ≈ 100,000,
large ≈ 1,000,000 (26 months of a building-materials trader).

## Machine

{markdown_table(("", ""), machine_rows)}

The machine was shared with other work while this ran: treat small differences as noise.

## Results

{markdown_table(HEADER, rows(results))}

## Targets

{chr(10).join(f"- {line}" for line in _summary_lines(summary))}

## The limit beside the refresh

The limit is `bench/limit.sql`: one hand-written DuckDB script that reads the same
operational tables straight from the store (DuckDB's SQLite scanner) and builds every mart
and report table of the dbt project under the same names, in one process: no landing copy,
no reconciliation, no views, no tests, no snapshots, no publish. The full refresh does all
of those (`mis refresh --full`: land, reconcile, `dbt build` with its tests, atomic publish),
and builds any other model layer too (see Checks for tables the limit does not build).

{_side_by_side(results)}
## Checks

{chr(10).join(f"- {line}" for line in _checks_lines(results))}

## What is measured

- **mis seed**: `operational.demo.generate` into an empty store (what `mis seed --scale`
  runs), SQLite file and PostgreSQL database; generation and the batched writes.
- **full refresh**: `serving.refresh.run_refresh(full=True)` in its own process; stages as
  the refresh reports them (`prepare`, `land`, `reconcile`, `dbt`, `publish`).
- **limit**: `bench/limit.sql` run by `bench/limit.py` into a new DuckDB file; its tables
  are compared with the published warehouse (row counts, column names, every row).
- **import**: `operational.importer.import_file` (validation and bulk write in one
  transaction): the customers, suppliers, products, sales orders and order lines of the
  seeded store exported as CSV files and imported, in that order, into an empty SQLite file
  and an empty PostgreSQL database; lines/s is the order-lines file alone.
- **full landing**: the refresh's first step on its own, `ingestion.landing.land(full=True)`
  of the 26 operational tables into a new DuckDB file, from SQLite and from PostgreSQL.
- **overview page data**: what the executive overview shows (build stamp, KPI registry, six
  headline KPIs for this month, the previous period and a year ago, 12-month sparklines,
  12-month trend of three KPIs), through `serving.kpis` on the published DuckDB as
  `dashboards/data.py` does. Cold: a new connection for the page load (one per page run,
  as the app opens) on a database nothing has open (DuckDB's cache empty, the OS file cache
  warm), i.e. a Streamlit cache miss such as the first load after a refresh. Warm: one
  open connection, every query run before. A Streamlit cache hit costs no query.
- **executive KPIs, warehouse vs OLTP**: order intake, turnover, OTD, gross margin, average
  LTV and active customers for this month to date and the previous period; warehouse:
  the registry's SQL on the published DuckDB; OLTP: `bench/oltp_kpis.py`, the same
  definitions in SQL on the operational PostgreSQL (seeded identically). The ratio compares
  both on open connections; the warehouse is also timed opening a new connection, as a
  page run whose cache missed does. Both sides give the same values (checked, money exactly).
- **incremental refresh**: {args.incremental_orders} orders created and confirmed through the
  services, then `run_refresh()` (dbt builds only what is downstream of the changed sources).
  dbt runs in the warehouse's dbt worker (`serving/dbt_worker.py`), started by the first full
  refresh and kept, as the scheduler and the dashboards keep it; **dbt worker cold** is one
  more such refresh after the worker was stopped: it starts dbt and reads the project first.
- **form write → KPI visible**: from the service call that commits an order to
  `serving.kpis.evaluate(..., ['order_intake'], today, today)` showing it after a refresh.
- **form write**: `create_sales_order` + `confirm_order` in one transaction through the
  services on PostgreSQL, one writer; **concurrent writers**: {args.writers} threads writing
  orders back to back for {args.writer_seconds:g} s (transient conflicts retried).
- **peak memory**: the largest resident set among a step's processes (the step's own
  process, or dbt's child process or worker for a refresh), measured in the step's process
  from its `VmHWM` and `RUSAGE_CHILDREN`, and by the dbt worker from its own `VmHWM`, reset
  when each build starts. The bench process itself (page data, OLTP KPIs, form
  writes) peaked at {peak_self_mb:,.0f} MB.

## How to reproduce

```bash
make setup
make bench                         # small and medium (SIZES=small,medium,large for all)
.venv/bin/python -m bench.run --sizes large --repeat 2   # one size, fewer runs
```

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust; `MIS_BENCH_POSTGRES_URL` to
change); every size gets its own temporary `MIS_HOME` and a new database, dropped after
(`--keep` keeps them). Seeding large takes minutes and so does each refresh at large; the
run prints progress as it goes. A quick check of the bench itself runs with the tests:
`tests/bench/test_bench_smoke.py` (small, one run).
"""
