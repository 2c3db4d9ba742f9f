"""Incremental, idempotent landing of operational rows into DuckDB (``raw`` schema).

Per table: read rows whose ``updated_at`` is at or after the last cursor minus an overlap
window (late commits carry an older ``updated_at``), keep those that are new or changed
(id, version, updated_at differ), replace them by primary key, and delete rows that left
the store. Data and cursors are written in one DuckDB transaction, so the cursor is
never ahead of the data: a failed landing leaves both as they were.

Cost follows the change: the store's change counters (``operational/change_counters.py``)
are read first, and a table whose counter has not moved since its last landing is not read
at all. Otherwise the cursor filter runs inside the store, on its ``updated_at`` index
(``store_rows_since``), and deletes are looked for only when the store's row count or key
sum differs from the warehouse's, so a refresh after 100 orders reads hundreds of rows, not
millions.

``meta.changed_rows`` lists what this landing changed: the key of every row inserted,
replaced or deleted, with the row as the warehouse held it before (JSON, null for a new
row). A table landed whole, or one that gained a column, is listed once with a null key:
"every row". dbt's incremental models rebuild only the rows these touch (macros/changed_rows.sql).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from ingestion.catalog import TableSpec, landed_tables
from ingestion.duck import attach_store

Progress = Callable[[str, int, int], None]
# table -> the cursor its landing left (None: the table was empty at landing)
Cutoffs = dict[str, datetime | None]


class SchemaDriftError(RuntimeError):
    """The operational table no longer matches the warehouse (a column renamed or dropped)."""


@dataclass
class TableLanding:
    table: str
    mode: str  # "full" | "incremental" | "unchanged" (counter not moved: not read)
    landed: int  # rows inserted or replaced
    deleted: int
    cursor_at: datetime | None
    added_columns: list[str] = field(default_factory=list)


@dataclass
class LandingReport:
    tables: list[TableLanding]
    seconds: float
    # Each table's cursor as this landing left it: reconciliation's cut-off.
    cutoffs: Cutoffs = field(default_factory=dict)
    # Each table's change counter, read before any row (absent: no counter to trust).
    signatures: dict[str, int] = field(default_factory=dict)

    @property
    def rows_landed(self) -> int:
        return sum(t.landed for t in self.tables)

    @property
    def rows_deleted(self) -> int:
        return sum(t.deleted for t in self.tables)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists meta")
    con.execute(
        """
        create table if not exists meta.landing_state (
            table_name varchar primary key,
            cursor_at timestamp,
            landed_at timestamp
        )
        """
    )
    # The store's change counter the table was landed at (warehouses of older versions
    # gain the column; null: read the table).
    con.execute(
        "alter table meta.landing_state add column if not exists store_signature bigint"
    )
    con.execute(
        "create table if not exists meta.changed_rows "
        "(table_name varchar, id bigint, old_row varchar)"
    )


def _record_changes(
    con: duckdb.DuckDBPyConnection, table: str, target: str, key: str, keys: str | None
) -> None:
    """Add rows to meta.changed_rows: the keys in relation ``keys`` with their rows as
    ``target`` holds them now (before the change), or, ``keys`` None, the whole table."""
    if keys is None:
        con.execute("insert into meta.changed_rows values (?, null, null)", [table])
        return
    con.execute(
        f"insert into meta.changed_rows select ?, k.{key}, "
        f"case when r.{key} is null then null else cast(to_json(r) as varchar) end "
        f"from {keys} as k left join {target} as r on r.{key} = k.{key}",
        [table],
    )


Columns = dict[str, dict[str, str]]  # table -> column -> type, in table order


def _columns(con: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> Columns:
    """Every table's columns in one catalog read (one per table cost ~25 ms each)."""
    found: Columns = {}
    for table, name, dtype in con.execute(
        f"select table_name, column_name, data_type from duckdb_columns() where {where} "
        "order by table_name, column_index",
        params,
    ).fetchall():
        found.setdefault(table, {})[name] = dtype
    return found


def _source_columns(source: Columns, table: str) -> dict[str, str]:
    if table not in source:
        raise SchemaDriftError(
            f"table {table!r} is missing in the operational store: is it migrated? "
            "(run `mis db upgrade`)"
        )
    return source[table]


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def store_rows_since(alias: str, backend: str, table: str, column: str, since: datetime) -> str:
    """A relation of the store's rows whose ``column`` is at or after ``since`` (to the
    second, rounded down: callers filter exactly), filtered by the store itself so its index
    on ``column`` is used. DuckDB's SQLite scanner reads every row before filtering, and the
    PostgreSQL scanner pushes a filter down only when it is a literal, not a parameter."""
    bound = since.strftime("%Y-%m-%d %H:%M:%S")  # our own datetime: no quoting to escape
    if backend == "sqlite":
        # SQLite values are text (sqlite_all_varchar): ISO strings compare in time order.
        inner = f"select * from {_q(table)} where {_q(column)} >= '{bound}'"
        return f"sqlite_query({_sql_text(alias)}, {_sql_text(inner)})"
    return f"(select * from {alias}.{_q(table)} where {_q(column)} >= '{bound}')"


def store_signatures(
    con: duckdb.DuckDBPyConnection, alias: str, backend: str
) -> dict[str, int]:
    """Every counted table's change counter, as the store holds it now ({} for a store
    without counters). Read before any row, so a write after it shows at the next refresh."""
    from operational.change_counters import signatures_sql

    query = "sqlite_query" if backend == "sqlite" else "postgres_query"
    try:
        rows = con.execute(
            f"select table_name, signature from {query}({_sql_text(alias)}, "
            f"{_sql_text(signatures_sql(backend))})"
        ).fetchall()
    except duckdb.Error:  # a store migrated before the counters: read every table
        return {}
    return {table: int(signature) for table, signature in rows}


def _store_count_and_key_sum(
    con: duckdb.DuckDBPyConnection, alias: str, backend: str, table: str, key: str
) -> tuple[int, int]:
    inner = (f"select cast(count(*) as text) as n, cast(coalesce(sum({_q(key)}), 0) as text) as s "
             f"from {_q(table)}")
    query = "sqlite_query" if backend == "sqlite" else "postgres_query"
    n, total = con.execute(  # type: ignore[misc]
        f"select n, s from {query}({_sql_text(alias)}, {_sql_text(inner)})"
    ).fetchone()
    return int(n), int(total)


def _plan_columns(
    spec: TableSpec, source: dict[str, str], raw: dict[str, str], backend: str
) -> dict[str, str]:
    """Columns to land with their warehouse types; fail loudly on renamed or dropped columns."""
    missing = [c for c in spec.columns if c not in source]
    if missing:
        raise SchemaDriftError(
            f"{spec.name}: column(s) {', '.join(missing)} expected by the models are not in the "
            "operational store (renamed or dropped?). Migrate the store or update the models."
        )
    gone = [c for c in raw if c != "_landed_at" and c not in source]
    if gone:
        raise SchemaDriftError(
            f"{spec.name}: warehouse column(s) {', '.join(gone)} are no longer in the operational "
            "store (renamed or dropped?). Update the dbt sources, then run `mis refresh --full`."
        )
    planned = dict(spec.columns)
    for name, dtype in source.items():
        if name not in planned:  # an added column lands with the scanner's type
            planned[name] = raw.get(name) or ("VARCHAR" if backend == "sqlite" else dtype)
    return planned


def _select_list(columns: dict[str, str]) -> str:
    return ", ".join(f"cast({_q(c)} as {t}) as {_q(c)}" for c, t in columns.items())


def _land_table(
    con: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    *,
    alias: str,
    backend: str,
    full: bool,
    overlap: timedelta,
    source_columns: Columns,
    raw_columns: Columns,
    signature: int | None = None,
) -> TableLanding:
    source = _source_columns(source_columns, spec.name)
    raw = raw_columns.get(spec.name, {})
    columns = _plan_columns(spec, source, raw, backend)
    select_list = _select_list(columns)
    src = f"{alias}.{_q(spec.name)}"
    target = f"raw.{_q(spec.name)}"
    state = con.execute(
        "select cursor_at, store_signature from meta.landing_state where table_name = ?",
        [spec.name],
    ).fetchone()
    cursor_at, landed_signature = state if state else (None, None)
    added = [c for c in columns if c not in raw] if raw else []
    if not (full or added) and raw and signature is not None and signature == landed_signature:
        # No write has reached the table since it was last landed: nothing to read.
        _save_cursor(con, spec.name, cursor_at, signature)
        return TableLanding(spec.name, "unchanged", 0, 0, cursor_at)

    if full or not raw or cursor_at is None:
        before = con.execute(f"select count(*) from {target}").fetchone()[0] if raw else 0  # type: ignore[index]
        con.execute(
            f"create or replace table {target} as "
            f"select {select_list}, cast(now() as timestamp) as _landed_at from {src}"
        )
        landed = con.execute(f"select count(*) from {target}").fetchone()[0]  # type: ignore[index]
        new_cursor = con.execute(f"select max({_q(spec.cursor)}) from {target}").fetchone()[0]  # type: ignore[index]
        _save_cursor(con, spec.name, new_cursor, signature)
        if landed or before:  # an empty table landed empty again changed nothing
            _record_changes(con, spec.name, target, _q(spec.key), None)
        return TableLanding(spec.name, "full", landed, 0, new_cursor)

    for name in added:
        con.execute(f"alter table {target} add column {_q(name)} {columns[name]}")
    if added:
        _record_changes(con, spec.name, target, _q(spec.key), None)

    changed_rows = store_rows_since(alias, backend, spec.name, spec.cursor, cursor_at - overlap)
    con.execute(
        f"create or replace temp table _stage as select {select_list} from {changed_rows}"
    )
    key = _q(spec.key)
    con.execute(
        f"""
        create or replace temp table _changed as
        select s.* from _stage as s
        left join {target} as r on r.{key} = s.{key}
        where r.{key} is null
           or r.version is distinct from s.version
           or r.updated_at is distinct from s.updated_at
        """
    )
    landed = con.execute("select count(*) from _changed").fetchone()[0]  # type: ignore[index]
    col_list = ", ".join(_q(c) for c in columns)
    if landed:
        _record_changes(con, spec.name, target, key, "_changed")
        con.execute(f"delete from {target} where {key} in (select {key} from _changed)")
        con.execute(
            f"insert into {target} ({col_list}, _landed_at) "
            f"select {col_list}, cast(now() as timestamp) from _changed"
        )
    # Deletes: ids in the warehouse that the store no longer has. Every store row up to the
    # cursor is in the warehouse now, so equal row counts and key sums mean nothing left;
    # only otherwise are the keys compared one by one. (Reconciliation still compares a hash
    # of every key afterwards.)
    deleted = 0
    target_count, target_sum = con.execute(  # type: ignore[misc]
        f"select count(*), coalesce(sum({key}), 0) from {target}"
    ).fetchone()
    if _store_count_and_key_sum(con, alias, backend, spec.name, spec.key) != (
        target_count, int(target_sum)
    ):
        con.execute(
            f"create or replace temp table _gone as select {key} from {target} "
            f"where {key} not in (select cast({key} as bigint) from {src})"
        )
        deleted = con.execute("select count(*) from _gone").fetchone()[0]  # type: ignore[index]
        if deleted:
            _record_changes(con, spec.name, target, key, "_gone")
            con.execute(f"delete from {target} where {key} in (select {key} from _gone)")
    new_cursor = con.execute("select max(updated_at) from _stage").fetchone()[0]  # type: ignore[index]
    _save_cursor(con, spec.name, max(filter(None, [new_cursor, cursor_at])), signature)
    return TableLanding(spec.name, "incremental", landed, deleted, new_cursor or cursor_at, added)


def landing_cutoffs(con: duckdb.DuckDBPyConnection) -> Cutoffs:
    """Each landed table's cursor in ``con``'s warehouse: reconciliation's cut-off."""
    found = dict(con.execute("select table_name, cursor_at from meta.landing_state").fetchall())
    return {spec.name: found.get(spec.name) for spec in landed_tables()}


def _save_cursor(
    con: duckdb.DuckDBPyConnection, table: str, cursor_at: datetime | None, signature: int | None
) -> None:
    # Never ahead of the clock: a row stamped in the future (imported history, a skewed
    # writer) must not push the cursor past rows that real writers commit now.
    now = con.execute("select cast(now() as timestamp)").fetchone()[0]  # type: ignore[index]
    if cursor_at is not None and cursor_at > now:
        cursor_at = now
    con.execute(
        "insert or replace into meta.landing_state (table_name, cursor_at, landed_at, "
        "store_signature) values (?, ?, cast(now() as timestamp), ?)",
        [table, cursor_at, signature],
    )


def land(
    con: duckdb.DuckDBPyConnection,
    store_url: str,
    *,
    full: bool = False,
    overlap: timedelta = timedelta(minutes=10),
    progress: Progress | None = None,
) -> LandingReport:
    """Land every operational table into ``raw``; all or nothing."""
    started = time.perf_counter()
    ensure_meta(con)
    backend = attach_store(con, store_url, alias="src")
    specs = landed_tables()
    results: list[TableLanding] = []
    try:
        signatures = store_signatures(con, "src", backend)
    except BaseException:
        con.execute("detach src")
        raise
    try:
        con.execute("begin transaction")
        con.execute("delete from meta.changed_rows")
        source_columns = _columns(con, "database_name = ?", ["src"])
        raw_columns = _columns(
            con, "schema_name = 'raw' and database_name = current_database()", []
        )
        for i, spec in enumerate(specs):
            results.append(
                _land_table(con, spec, alias="src", backend=backend, full=full, overlap=overlap,
                            source_columns=source_columns, raw_columns=raw_columns,
                            signature=signatures.get(spec.name))
            )
            if progress:
                progress(spec.name, i + 1, len(specs))
        cutoffs = landing_cutoffs(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("detach src")
    return LandingReport(results, time.perf_counter() - started, cutoffs, signatures)
