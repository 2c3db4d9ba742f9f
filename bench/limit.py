"""Run the limit (``limit.sql``): every mart and report built in one DuckDB process straight
from the operational store, and check its tables against the published warehouse."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ingestion.duck import attach_store, connect
from serving.paths import PROJECT_DIR

SCRIPT = Path(__file__).with_name("limit.sql")
KPI_REGISTRY_CSV = PROJECT_DIR / "seeds" / "kpi_registry.csv"


def phases(script: str | None = None) -> list[tuple[str, str]]:
    """``[(phase, sql)]`` split on the ``-- phase: <name>`` lines of the script."""
    text = script if script is not None else SCRIPT.read_text(encoding="utf-8")
    parts = re.split(r"^-- phase: (\w+)\s*$", text, flags=re.MULTILINE)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]


@dataclass
class LimitRun:
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.stages.values())


def run_limit(store_url: str, out_path: Path, *, as_of_date: date, timezone: str) -> LimitRun:
    """Build every mart and report into a fresh DuckDB file at ``out_path``; time each phase."""
    for stale in (out_path, out_path.with_suffix(out_path.suffix + ".wal")):
        stale.unlink(missing_ok=True)
    run = LimitRun()
    started = time.perf_counter()
    con = connect(out_path)
    try:
        attach_store(con, store_url, alias="src")
        con.execute("set variable as_of_date = ?", [as_of_date])
        con.execute("set variable company_tz = ?", [timezone])
        con.execute("set variable kpi_registry_csv = ?", [str(KPI_REGISTRY_CSV)])
        run.stages["connect"] = time.perf_counter() - started
        for name, sql in phases():
            t0 = time.perf_counter()
            con.execute(sql)
            run.stages[name] = time.perf_counter() - t0
    finally:
        con.close()
    return run


@dataclass
class TableCompare:
    table: str
    limit_rows: int
    warehouse_rows: int
    columns_match: bool
    rows_differing: int | None  # rows in one and not the other (None: not compared)

    @property
    def ok(self) -> bool:
        return (
            self.limit_rows == self.warehouse_rows
            and self.columns_match
            and (self.rows_differing in (None, 0))
        )


def compare(limit_path: Path, published_path: Path, *, content: bool = True) -> list[TableCompare]:
    """Every ``marts``/``reports`` table of the published warehouse against the limit's:
    row counts, column names and (``content``) rows, as multisets (EXCEPT ALL both ways)."""
    con = connect(limit_path, read_only=True)
    try:
        con.execute(f"attach '{published_path}' as pub (read_only)")
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where database_name = 'pub' and schema_name in ('marts', 'reports') order by 1"
        ).fetchall()
        out = []
        here = con.execute("select current_database()").fetchone()[0]
        for (name,) in tables:
            schema, table = name.split(".")
            mine, theirs = (_columns(con, db, schema, table) for db in (here, "pub"))
            if not mine:
                out.append(TableCompare(name, 0, _count(con, f"pub.{name}"), False, None))
                continue
            n_lim, n_pub = _count(con, name), _count(con, f"pub.{name}")
            same_cols = mine == theirs
            differing = None
            if content and same_cols:
                col_list = ", ".join(f'"{c}"' for c in theirs)
                a = f"select {col_list} from {name}"
                b = f"select {col_list} from pub.{name}"
                differing = con.execute(
                    f"select (select count(*) from ({a} except all {b})) "
                    f"+ (select count(*) from ({b} except all {a}))"
                ).fetchone()[0]
            out.append(TableCompare(name, n_lim, n_pub, same_cols, differing))
        return out
    finally:
        con.close()


# schemas of the published warehouse that are not a model layer the limit stands in for
NOT_MODELS = ("raw", "meta", "staging", "intermediate", "snapshots", "reference", "main")


def not_built(published_path: Path) -> list[str]:
    """Published model tables outside ``marts`` and ``reports`` (the limit builds neither)."""
    con = connect(published_path, read_only=True)
    try:
        rows = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name not in ('marts', 'reports') "
            f"and schema_name not in ({', '.join(repr(s) for s in NOT_MODELS)}) order by 1"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _columns(con, database: str, schema: str, table: str) -> list[str]:  # noqa: ANN001
    return [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = ? "
        "and schema_name = ? and table_name = ? order by column_index",
        [database, schema, table]).fetchall()]


def _count(con, relation: str) -> int:  # noqa: ANN001
    return int(con.execute(f"select count(*) from {relation}").fetchone()[0])
