"""Shared steps of the refresh robustness tests.

The kill test and the reader test live in separate files so they run on separate workers.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
from sqlalchemy import text

from operational.db import make_engine
from operational.settings import get_settings
from serving.refresh import run_refresh


def env_for(home: Path) -> dict[str, str]:
    return os.environ | {"MIS_HOME": str(home), "PYTHONUNBUFFERED": "1"}


def seed_and_refresh(home: Path) -> str:
    from operational import demo
    from operational.db import init_schema

    engine = make_engine(get_settings().store_url)
    init_schema(engine)
    demo.generate(engine=engine, scale="small", seed=7)
    engine.dispose()
    return run_refresh().build_id


def touch_tasks(marker: str) -> None:
    """A small change in a leaf table: the next refresh lands it and rebuilds a few models."""
    engine = make_engine(get_settings().store_url)
    with engine.begin() as conn:
        conn.execute(
            text("update task set title = :t, version = version + 1, updated_at = "
                 "(strftime('%Y-%m-%d %H:%M:%f','now')) where id = (select min(id) from task)"),
            {"t": marker},
        )
    engine.dispose()


def published(home: Path) -> tuple[str, int]:
    con = duckdb.connect(str(home / "warehouse" / "published.duckdb"), read_only=True)
    try:
        build_id = con.execute("select build_id from meta.build_info").fetchone()[0]
        n = con.execute("select count(*) from raw.sales_order_line").fetchone()[0]
        return build_id, n
    finally:
        con.close()


READER = r"""
import duckdb, json, sys, time
path, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
seen, errors = [], []
import os
while not os.path.exists(stop):
    try:
        con = duckdb.connect(path, read_only=True)
        try:
            b = con.execute("select build_id from meta.build_info").fetchone()[0]
            t = con.execute(
                "select max(title) from raw.task where title like 'loop-%'").fetchone()[0]
            s = con.execute("select sum(order_intake) from reports.rpt_kpi_daily").fetchone()[0]
            seen.append([b, t, str(s)])
        finally:
            con.close()
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.02)
json.dump({"seen": seen, "errors": errors}, open(out, "w"))
"""
