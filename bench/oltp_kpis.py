"""The alternative: the executive overview's headline KPIs computed directly on the
operational PostgreSQL store, with the definitions of DOMAIN.md and the KPI registry.

One SQL statement per KPI and period, as a report written against the OLTP schema would
be; run on an open connection (an application's pool). The warehouse side evaluates the
same KPIs from the registry on the published DuckDB, opening its connection as the
dashboards do. ``compare`` checks both give the same numbers (money exactly).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import psycopg
from sqlalchemy.engine import make_url

from operational.settings import Settings
from serving import kpis
from serving.read import open_published

HEADLINE = kpis.HEADLINE

# %(tz)s: the company timezone; timestamps are timestamptz in PostgreSQL.
SQL: dict[str, str] = {
    "order_intake": """
        select coalesce(sum(l.net_amount), 0)
        from sales_order_line as l
        join sales_order as o on o.id = l.sales_order_id
        where o.status <> 'cancelled' and o.order_date between %(date_from)s and %(date_to)s
    """,
    "turnover": """
        select coalesce(sum(case when kind = 'credit_note' then -abs(net_amount)
                                 else net_amount end), 0)
        from invoice
        where issue_date between %(date_from)s and %(date_to)s
    """,
    "on_time_delivery_rate": """
        with due as (
            select l.id, l.quantity, coalesce(l.promised_date, o.promised_date) as promised
            from sales_order_line as l
            join sales_order as o on o.id = l.sales_order_id
            where o.status <> 'cancelled'
              and coalesce(l.promised_date, o.promised_date) between %(date_from)s and %(date_to)s
              and coalesce(l.promised_date, o.promised_date) <= %(as_of)s
        ),
        judged as (
            select due.id, due.quantity,
                   coalesce(sum(d.quantity) filter (
                       where (d.delivered_at at time zone %(tz)s)::date <= due.promised), 0)
                       as on_time_quantity
            from due
            left join delivery as d on d.sales_order_line_id = due.id
            group by due.id, due.quantity
        )
        select count(*) filter (where on_time_quantity >= quantity)::float8
               / nullif(count(*), 0)
        from judged
    """,
    "gross_margin_rate": """
        select (sum(net) - sum(cost))::float8 / nullif(sum(net)::float8, 0)
        from (
            select round(d.quantity * l.unit_price * (1 - l.discount), 2) as net,
                   round(d.quantity * p.standard_cost, 2) as cost
            from delivery as d
            join sales_order_line as l on l.id = d.sales_order_line_id
            join sales_order as o on o.id = l.sales_order_id
            join product as p on p.id = l.product_id
            where d.delivered_at is not null and o.status <> 'cancelled'
              and (d.delivered_at at time zone %(tz)s)::date
                  between %(date_from)s and %(date_to)s
        ) as delivered
    """,
    "avg_customer_ltv": """
        select round(avg(ltv), 2)
        from (
            select o.customer_id, sum(l.net_amount) as ltv
            from sales_order_line as l
            join sales_order as o on o.id = l.sales_order_id
            where o.status <> 'cancelled' and o.order_date <= %(date_to)s
            group by o.customer_id
        ) as c
    """,
    "active_customers": """
        select count(distinct o.customer_id)
        from sales_order as o
        where o.status <> 'cancelled' and o.order_date between %(date_from)s and %(date_to)s
          and exists (select 1 from sales_order_line as l where l.sales_order_id = o.id)
    """,
}


def periods(today: date) -> list[tuple[date, date]]:
    """This month to date and the previous period, as the overview shows them."""
    current = (today.replace(day=1), today)
    return [current, kpis.previous_period(*current)]


def libpq_dsn(store_url: str) -> str:
    url = make_url(store_url)
    parts = {"dbname": url.database, "host": url.host or "127.0.0.1", "port": url.port or 5432,
             "user": url.username or "postgres"}
    if url.password:
        parts["password"] = url.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


def oltp_values(conn: psycopg.Connection, today: date, tz: str) -> list[dict[str, Any]]:
    out = []
    for date_from, date_to in periods(today):
        params = {"date_from": date_from, "date_to": date_to, "as_of": today, "tz": tz}
        values = {}
        for name in HEADLINE:
            values[name] = conn.execute(SQL[name], params).fetchone()[0]
        conn.rollback()  # read-only: end the snapshot, hold no locks between page loads
        out.append(values)
    return out


def warehouse_values(
    today: date, settings: Settings | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> list[dict[str, Any]]:
    """The same KPIs from the registry; on ``con``, else on a new connection (as served)."""
    if con is not None:
        return [kpis.evaluate(con, HEADLINE, lo, hi) for lo, hi in periods(today)]
    with open_published(settings) as fresh:
        return [kpis.evaluate(fresh, HEADLINE, lo, hi) for lo, hi in periods(today)]


def _same(name: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if name in ("order_intake", "turnover", "avg_customer_ltv"):
        return Decimal(str(a)) == Decimal(str(b))  # money: exact
    if name == "active_customers":
        return int(a) == int(b)
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def compare(oltp: list[dict[str, Any]], warehouse: list[dict[str, Any]]) -> list[str]:
    """Differences between the two, as readable lines (empty: they agree)."""
    diffs = []
    for label, a, b in zip(("current", "previous"), oltp, warehouse, strict=True):
        for name in HEADLINE:
            if not _same(name, a[name], b[name]):
                diffs.append(f"{label} {name}: OLTP {a[name]} vs warehouse {b[name]}")
    return diffs


def _timed(fn: Callable[[], Any], samples: int) -> list[float]:
    fn()  # warm-up, not counted
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def measure(
    store_url: str, today: date, tz: str, *, samples: int, settings: Settings | None = None
) -> dict[str, Any]:
    """Seconds per overview KPI set (current + previous period): OLTP and warehouse on open
    connections, and the warehouse opening a connection each time as the dashboards do;
    and whether the two sides agree."""
    with psycopg.connect(libpq_dsn(store_url)) as conn:
        oltp = oltp_values(conn, today, tz)
        oltp_times = _timed(lambda: oltp_values(conn, today, tz), samples)
    warehouse = warehouse_values(today, settings)
    with open_published(settings) as con:
        wh_times = _timed(lambda: warehouse_values(today, con=con), samples)
    wh_connect_times = _timed(lambda: warehouse_values(today, settings), samples)
    return {
        "oltp_seconds": oltp_times,
        "warehouse_seconds": wh_times,
        "warehouse_connect_seconds": wh_connect_times,
        "differences": compare(oltp, warehouse),
        "values": [{k: str(v) for k, v in p.items()} for p in warehouse],
    }
