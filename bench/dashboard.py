"""The executive overview's page data, read from the published DuckDB, cold and warm.

What the page asks for (dashboards/app_pages/overview.py and ``components.kpi_tiles``): the
build stamp, the KPI registry, and in one statement (``kpis.tile_values``) the six headline
KPIs for the period, the previous period and the same period last year with their 12-month
sparklines; the 12-month trend of three of them is drawn from those sparklines.
``dashboards/data.py`` wraps these same ``serving`` calls in ``st.cache_data`` and reads
through one read-only connection per page run (``data.one_connection_per_run``); it imports
Streamlit, so the bench calls ``serving`` directly, the same way:

- cold: a new connection for the page load, on a database no connection has open (DuckDB's
  buffer cache empty, the OS file cache warm): a page run whose Streamlit cache missed,
  e.g. the first after a refresh;
- warm: one open connection, every query run before (DuckDB's cache warm).

A Streamlit cache hit costs no query at all and is not measured.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from serving import kpis
from serving.read import build_info

TILES = ("turnover", "order_intake", "on_time_delivery_rate",
         "avg_customer_ltv", "gross_margin_rate", "active_customers")
TREND = ("order_intake", "turnover", "on_time_delivery_rate")


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone='UTC'")
    return con


class _Fresh(AbstractContextManager):
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self.con = _open(self.path)
        return self.con

    def __exit__(self, *exc: object) -> None:
        self.con.close()


def trend_window(date_to: date, months: int = 12) -> tuple[date, date]:
    y, m = divmod(date_to.month - 1 - (months - 1), 12)
    return date(date_to.year + y, m + 1, 1), date_to


def overview_data(connection: Callable[[], AbstractContextManager], today: date) -> dict[str, Any]:
    """Every value the overview page shows; one ``connection()`` per data call, as the page."""
    date_from, date_to = today.replace(day=1), today
    previous = kpis.previous_period(date_from, date_to)
    last_year = kpis.same_period_last_year(date_from, date_to)
    window = trend_window(date_to)
    page: dict[str, Any] = {}
    with connection() as con:
        page["build"] = build_info(con)
    with connection() as con:
        page["registry"] = kpis.registry(con)
    with connection() as con:
        page["tiles"] = kpis.tile_values(con, TILES, (date_from, date_to), previous, last_year,
                                         window)
    page["trend"] = [{k: row[k] for k in ("month", *TREND)} for row in page["tiles"]["spark"]]
    return page


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def measure(published: Path, today: date, *, cold_loads: int, warm_loads: int) -> dict[str, Any]:
    """Page-load times in ms: cold (a new connection per call) and warm (one connection)."""
    cold = []
    for _ in range(cold_loads):
        t0 = time.perf_counter()
        with _Fresh(published) as fresh:
            overview_data(lambda fresh=fresh: nullcontext(fresh), today)
        cold.append((time.perf_counter() - t0) * 1000)
    con = _open(published)
    try:
        overview_data(lambda: nullcontext(con), today)  # warm-up: every query once
        warm = []
        for _ in range(warm_loads):
            t0 = time.perf_counter()
            overview_data(lambda: nullcontext(con), today)
            warm.append((time.perf_counter() - t0) * 1000)
        queries = _count_queries(con, today)
    finally:
        con.close()
    return {
        "cold_p50": statistics.median(cold), "cold_p95": percentile(cold, 95),
        "warm_p50": statistics.median(warm), "warm_p95": percentile(warm, 95),
        "queries": queries,
    }


def _count_queries(con: duckdb.DuckDBPyConnection, today: date) -> int:
    """How many SQL statements one page load runs (for the report)."""
    count = [0]

    class Counting:
        def execute(self, *args: Any, **kwargs: Any) -> Any:
            count[0] += 1
            return con.execute(*args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(con, name)

    overview_data(lambda: nullcontext(Counting()), today)
    return count[0]
