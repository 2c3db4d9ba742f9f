"""Reconcile the operational store with the landed warehouse at the same cut-off.

Per table: row count, a hash of primary keys, and money sums per business day. Rows that
changed in the store after they were landed (``updated_at`` past the table's cursor) are left
out on both sides, so a busy store does not raise false alarms; anything else that differs
is a real gap (a missed, doubled or corrupted row) and fails the refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingestion.catalog import TableSpec, landed_tables
from ingestion.duck import attach_store
from ingestion.landing import _q, store_rows_since


@dataclass
class TableCheck:
    table: str
    store_rows: int
    warehouse_rows: int
    keys_match: bool
    money_mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.store_rows == self.warehouse_rows and self.keys_match
                and not self.money_mismatches)

    def describe(self) -> str:
        parts = []
        if self.store_rows != self.warehouse_rows:
            parts.append(f"rows {self.store_rows} in store vs {self.warehouse_rows} in warehouse")
        if not self.keys_match:
            parts.append("primary keys differ")
        parts += self.money_mismatches[:5]
        return f"{self.table}: " + ("; ".join(parts) if parts else "ok")


@dataclass
class ReconciliationReport:
    checks: list[TableCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[str]:
        return [c.describe() for c in self.checks if not c.ok]


class ReconciliationFailed(RuntimeError):
    def __init__(self, report: ReconciliationReport) -> None:
        super().__init__("reconciliation failed: " + " | ".join(report.failures))
        self.report = report


def _side_sql(spec: TableSpec, relation: str) -> str:
    """Aggregate one side, every column cast to its warehouse type (SQLite gives text,
    PostgreSQL int4 where the warehouse has BIGINT: hashes must see the same types)."""

    def col(name: str) -> str:
        return f"cast({_q(name)} as {spec.columns[name]})"

    day = col(spec.date_column) if spec.date_column else f"cast({col('created_at')} as date)"
    money = ", ".join(f"sum({col(m)}) as {_q(m)}" for m in spec.money_columns)
    money_sel = f", {money}" if money else ""
    return f"""
        select {day} as day, count(*) as n, sum(hash({col(spec.key)})) as key_hash{money_sel}
        from {relation}
        where {col('updated_at')} <= $cutoff
          and {col(spec.key)} not in (select id from _recent)
        group by all
    """


def _check_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, backend: str) -> TableCheck:
    cutoff_row = con.execute(
        "select cursor_at from meta.landing_state where table_name = ?", [spec.name]
    ).fetchone()
    cutoff = cutoff_row[0] if cutoff_row else None
    if cutoff is None:  # empty table at landing: both sides must still be empty of old rows
        n_src = con.execute(f"select count(*) from src.{_q(spec.name)}").fetchone()[0]  # type: ignore[index]
        n_raw = con.execute(f"select count(*) from raw.{_q(spec.name)}").fetchone()[0]  # type: ignore[index]
        return TableCheck(spec.name, n_src, n_raw, n_src == n_raw)
    upd = 'cast("updated_at" as timestamp)'
    # The store's rows changed after the cut-off, read through its updated_at index.
    recent = store_rows_since("src", backend, spec.name, "updated_at", cutoff)
    con.execute(
        f"create or replace temp table _recent as select cast({_q(spec.key)} as bigint) as id "
        f"from {recent} where {upd} > $cutoff",
        {"cutoff": cutoff},
    )
    src = con.execute(_side_sql(spec, f"src.{_q(spec.name)}"), {"cutoff": cutoff}).fetchall()
    raw = con.execute(_side_sql(spec, f"raw.{_q(spec.name)}"), {"cutoff": cutoff}).fetchall()
    src_by_day = {r[0]: r for r in src}
    raw_by_day = {r[0]: r for r in raw}
    n_src = sum(r[1] for r in src)
    n_raw = sum(r[1] for r in raw)
    keys = sum(int(r[2]) for r in src) == sum(int(r[2]) for r in raw)
    mismatches = []
    for day in sorted(set(src_by_day) | set(raw_by_day), key=str):
        a, b = src_by_day.get(day), raw_by_day.get(day)
        for i, name in enumerate(spec.money_columns, start=3):
            va = a[i] if a else None
            vb = b[i] if b else None
            if va != vb:
                mismatches.append(f"{name} on {day}: store {va} vs warehouse {vb}")
    return TableCheck(spec.name, n_src, n_raw, keys, mismatches)


def reconcile(con: duckdb.DuckDBPyConnection, store_url: str) -> ReconciliationReport:
    backend = attach_store(con, store_url, alias="src")
    try:
        return ReconciliationReport([_check_table(con, s, backend) for s in landed_tables()])
    finally:
        con.execute("detach src")
