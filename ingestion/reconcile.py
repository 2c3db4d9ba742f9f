"""Reconcile the operational store with the landed warehouse at the same cut-off.

Per table: row count, a hash of primary keys, and money sums per business day. Rows that
changed in the store after they were landed (``updated_at`` past the table's cursor) are left
out on both sides, so a busy store does not raise false alarms; anything else that differs
is a real gap (a missed, doubled or corrupted row) and fails the refresh.

The two sides are read apart. The store side (``read_store_side``) reads every row of the
store once per table, in one query: the per-day sums of the rows at or before the cut-off
and the keys of the rows changed after it come from the same scan, so from one state of
the store. It needs only the cut-offs, not the warehouse, so a refresh reads it on a
thread of its own (``StoreScan``) while dbt builds. The warehouse side (``compare``) then
sums ``raw`` without those late keys and compares day by day.

A table whose change counter (``operational/change_counters.py``, read before any row) and
cut-off are the same as at the last reconciled build is not read again: its store side is
the one that build kept (``meta.reconcile_store_side``, ``save_store_side``). The warehouse
side is always summed afresh, so a corrupted ``raw`` table is caught all the same; a full
refresh reads every table.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from ingestion.catalog import TableSpec, landed_tables
from ingestion.duck import attach_store, connect
from ingestion.landing import Cutoffs, _q, landing_cutoffs, store_signatures


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
    store_seconds: float = 0.0  # reading the store side (overlapping dbt in a refresh)
    store_reused: list[str] = field(default_factory=list)  # store side kept, not read again

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


# day -> (rows, key hash, money sums...)
DaySums = dict[Any, tuple[Any, ...]]


@dataclass
class StoreSide:
    """The store at each table's cut-off: sums per day, and the keys changed after it."""

    cutoffs: Cutoffs
    days: dict[str, DaySums] = field(default_factory=dict)
    late: dict[str, list[int]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # tables empty at landing: all rows now
    seconds: float = 0.0
    # Each table's change counter, read before its rows (absent: no counter to trust).
    signatures: dict[str, int] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)  # tables taken from ``previous``, not read

    def _reuse(self, table: str, previous: StoreSide | None) -> bool:
        """Take ``table`` from ``previous`` if nothing can have changed it since."""
        signature = self.signatures.get(table)
        if (previous is None or signature is None or previous.signatures.get(table) != signature
                or previous.cutoffs.get(table) != self.cutoffs.get(table)):
            return False
        if table in previous.rows:
            self.rows[table] = previous.rows[table]
        elif table in previous.days:
            self.days[table], self.late[table] = previous.days[table], previous.late[table]
        else:
            return False
        self.reused.append(table)
        return True


def _col(spec: TableSpec, name: str) -> str:
    """A column cast to its warehouse type (SQLite gives text, PostgreSQL int4 where the
    warehouse has BIGINT: hashes must see the same types on both sides)."""
    return f"cast({_q(name)} as {spec.columns[name]})"


def _sums_sql(spec: TableSpec, relation: str, *, where: str, extra: str = "") -> str:
    """Per business day: rows, key hash and money sums of the rows that meet ``where``."""
    day = (_col(spec, spec.date_column) if spec.date_column
           else f"cast({_col(spec, 'created_at')} as date)")
    sums = [f"count(*) filter ({where})", f"sum(hash({_col(spec, spec.key)})) filter ({where})"]
    sums += [f"sum({_col(spec, m)}) filter ({where})" for m in spec.money_columns]
    columns = ", ".join([*sums, extra] if extra else sums)
    return f"select {day} as day, {columns} from {relation} group by all"


def read_store_side(
    store_url: str, cutoffs: Cutoffs, con: duckdb.DuckDBPyConnection | None = None,
    previous: StoreSide | None = None,
) -> StoreSide:
    """Read the store side: one scan per table (``con``: an in-memory DuckDB to use), except
    the tables ``previous`` (the last reconciled build's) still holds as they are."""
    started = time.perf_counter()
    own = con is None
    con = con or connect()
    backend = attach_store(con, store_url, alias="src")
    try:
        side = StoreSide(cutoffs, signatures=store_signatures(con, "src", backend))
        for spec in landed_tables():
            relation = f"src.{_q(spec.name)}"
            cutoff = cutoffs.get(spec.name)
            if side._reuse(spec.name, previous):
                continue
            if cutoff is None:
                side.rows[spec.name] = con.execute(f"select count(*) from {relation}").fetchone()[0]  # type: ignore[index]
                continue
            on_time = f"{_col(spec, 'updated_at')} <= $cutoff"
            late = f"list({_col(spec, spec.key)}) filter (where not ({on_time}))"
            rows = con.execute(_sums_sql(spec, relation, where=on_time, extra=late),
                               {"cutoff": cutoff}).fetchall()
            side.days[spec.name] = {r[0]: r[1:-1] for r in rows if r[1]}
            side.late[spec.name] = [k for r in rows for k in (r[-1] or [])]
        side.seconds = time.perf_counter() - started
        return side
    finally:
        con.execute("detach src")
        if own:
            con.close()


_STORE_SIDE = "meta.reconcile_store_side"


def save_store_side(con: duckdb.DuckDBPyConnection, side: StoreSide) -> None:
    """Keep ``side`` in the build (``con``) for the next refresh: tables with a counter only."""
    con.execute(
        f"create or replace table {_STORE_SIDE} (table_name varchar primary key, "
        "signature bigint, cutoff timestamp, all_rows bigint, late varchar, days varchar)"
    )
    rows: list[tuple[Any, ...]] = []
    for table, signature in side.signatures.items():
        if table in side.rows:
            rows.append((table, signature, side.cutoffs.get(table), side.rows[table], None, None))
        elif table in side.days:
            days = [[d.isoformat() if d is not None else None, v[0], str(v[1]),
                     *(None if m is None else str(m) for m in v[2:])]
                    for d, v in side.days[table].items()]
            rows.append((table, signature, side.cutoffs.get(table), None,
                         json.dumps(side.late[table]), json.dumps(days)))
    if rows:
        con.executemany(f"insert into {_STORE_SIDE} values (?, ?, ?, ?, ?, ?)", rows)


def load_store_side(con: duckdb.DuckDBPyConnection) -> StoreSide | None:
    """The store side the build in ``con`` was reconciled with (None: none kept)."""
    try:
        found = con.execute(f"select * from {_STORE_SIDE}").fetchall()
    except duckdb.CatalogException:
        return None
    side = StoreSide({})
    for table, signature, cutoff, all_rows, late, days in found:
        side.signatures[table], side.cutoffs[table] = signature, cutoff
        if all_rows is not None:
            side.rows[table] = all_rows
            continue
        side.late[table] = json.loads(late)
        side.days[table] = {
            (date.fromisoformat(d) if d is not None else None):
                (n, int(h), *(None if m is None else Decimal(m) for m in money))
            for d, n, h, *money in json.loads(days)
        }
    return side


def compare(con: duckdb.DuckDBPyConnection, store: StoreSide) -> ReconciliationReport:
    """The warehouse side (``raw`` in ``con``) against the store side, table by table."""
    checks = []
    for spec in landed_tables():
        relation = f"raw.{_q(spec.name)}"
        if spec.name in store.rows:  # empty at landing: both sides must still be empty of old rows
            n_raw = con.execute(f"select count(*) from {relation}").fetchone()[0]  # type: ignore[index]
            n_src = store.rows[spec.name]
            checks.append(TableCheck(spec.name, n_src, n_raw, n_src == n_raw))
            continue
        con.execute("create or replace temp table _late as select unnest($k::bigint[]) as id",
                    {"k": store.late[spec.name]})
        where = (f"{_col(spec, 'updated_at')} <= $cutoff "
                 f"and {_col(spec, spec.key)} not in (select id from _late)")
        raw = con.execute(_sums_sql(spec, relation, where=where),
                          {"cutoff": store.cutoffs[spec.name]}).fetchall()
        checks.append(_check(spec, store.days[spec.name], {r[0]: r[1:] for r in raw if r[1]}))
    con.execute("drop table if exists _late")
    return ReconciliationReport(checks, store_seconds=store.seconds,
                                store_reused=list(store.reused))


def _check(spec: TableSpec, src: DaySums, raw: DaySums) -> TableCheck:
    n_src = sum(r[0] for r in src.values())
    n_raw = sum(r[0] for r in raw.values())
    keys = sum(int(r[1]) for r in src.values()) == sum(int(r[1]) for r in raw.values())
    mismatches = []
    for day in sorted(set(src) | set(raw), key=str):
        a, b = src.get(day), raw.get(day)
        for i, name in enumerate(spec.money_columns, start=2):
            va = a[i] if a else None
            vb = b[i] if b else None
            if va != vb:
                mismatches.append(f"{name} on {day}: store {va} vs warehouse {vb}")
    return TableCheck(spec.name, n_src, n_raw, keys, mismatches)


def reconcile(con: duckdb.DuckDBPyConnection, store_url: str) -> ReconciliationReport:
    """Both sides, one after the other."""
    return compare(con, read_store_side(store_url, landing_cutoffs(con)))


class StoreScan:
    """``read_store_side`` on a thread of its own, so the refresh can build meanwhile.

    ``result`` waits for it; ``cancel`` interrupts a scan nobody will wait for (the build
    failed). A scan that failed is read again, once, by ``result``: its error may have
    been transient, and the Prefect flow's retries of the reconcile stage call it again."""

    def __init__(
        self, store_url: str, cutoffs: Cutoffs, previous: StoreSide | None = None
    ) -> None:
        self.store_url, self.cutoffs, self.previous = store_url, cutoffs, previous
        self._con = connect()
        # One core for the scan, the others for dbt building meanwhile.
        self._con.execute("SET threads = 1")
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="reconcile-store")
        self._future: Future[StoreSide] = self._pool.submit(
            read_store_side, store_url, cutoffs, self._con, previous)

    def result(self, timeout: float | None = None) -> StoreSide:
        try:
            return self._future.result(timeout)
        except TimeoutError:
            raise
        except Exception:  # noqa: BLE001 - read once more, inline, and let that error tell
            return read_store_side(self.store_url, self.cutoffs, previous=self.previous)

    def cancel(self) -> None:
        if not self._future.done():
            self._con.interrupt()
        self._pool.shutdown(wait=True)
        self._con.close()
