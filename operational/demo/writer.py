"""Bulk writing for the demo generator: one transaction, driver-level batches.

Rows arrive as tuples of canonical text (decimals as ``'123.40'``, timestamps as naive-UTC
``'YYYY-MM-DD HH:MM:SS.ffffff'``, dates as ISO). SQLite gets them through ``executemany``
(exactly the text ``ExactDecimal`` and SQLAlchemy's DateTime would store); PostgreSQL through
``COPY`` with the session in UTC, so ``timestamptz`` columns hold the intended instant.
Any other dialect falls back to SQLAlchemy Core inserts with parsed values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Table, text
from sqlalchemy.engine import Connection, Engine

from operational import change_counters

Progress = Callable[[str, int, int], None]
TAIL = ("updated_by", "version")
TAIL_VALUES = ("demo", 1)
BATCH = 10_000


class StoreNotEmpty(RuntimeError):
    """The demo generator only writes into an empty store."""


def all_tables() -> list[Table]:
    """Every table of the store's data: not the change counters, which the triggers keep
    (emptying them would only make the next refresh read every table)."""
    from sqlmodel import SQLModel

    import operational.models  # noqa: F401 - registers every table

    return [t for t in SQLModel.metadata.sorted_tables if t.name != change_counters.TABLE]


def _first_table_with_rows(engine: Engine) -> str | None:
    with engine.connect() as conn:
        for t in all_tables():
            if conn.execute(t.select().limit(1)).first() is not None:
                return t.name
    return None


def has_data(engine: Engine) -> bool:
    """Whether any operational table has a row."""
    return _first_table_with_rows(engine) is not None


def ensure_empty(engine: Engine) -> None:
    name = _first_table_with_rows(engine)
    if name is not None:
        raise StoreNotEmpty(
            f"the store already has data (table {name}); use a fresh MIS_HOME or --reset"
        )


def reset(engine: Engine) -> None:
    """Delete every row of every operational table (children first); ids restart."""
    tables = all_tables()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        for t in reversed(tables):
            conn.execute(t.delete())
        if engine.dialect.name == "sqlite":
            has_seq = conn.exec_driver_sql(
                "select 1 from sqlite_master where name = 'sqlite_sequence'"
            ).first()
            if has_seq:
                conn.exec_driver_sql("delete from sqlite_sequence")


def write_all(
    engine: Engine,
    rows: dict[str, tuple[Sequence[str], list[tuple]]],
    progress: Progress | None = None,
) -> dict[str, int]:
    """Insert every table's rows in foreign-key order, in one transaction."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
        with change_counters.bulk_load(conn, [t.name for t in all_tables() if t.name in rows]):
            _write_tables(conn, rows, progress, counts)
        if pg:
            _restart_sequences(conn, [t for t in all_tables() if t.name in rows])
    return counts


def _write_tables(
    conn: Connection,
    rows: dict[str, tuple[Sequence[str], list[tuple]]],
    progress: Progress | None,
    counts: dict[str, int],
) -> None:
    pg = conn.dialect.name == "postgresql"
    for table in all_tables():
        if table.name not in rows:
            continue
        columns, data = rows[table.name]
        columns = (*columns, *TAIL)
        missing = set(columns) - set(table.c.keys())
        if missing:
            raise ValueError(f"{table.name} has no column(s) {sorted(missing)}")
        total = len(data)
        if progress:
            progress(table.name, 0, total)
        for k in range(0, total, BATCH):
            batch = data[k : k + BATCH]
            if conn.dialect.name == "sqlite":
                _sqlite(conn, table, columns, batch)
            elif pg:
                _copy(conn, table, columns, batch)
            else:
                _core(conn, table, columns, batch)
            if progress:
                progress(table.name, min(k + BATCH, total), total)
        counts[table.name] = total


def _sqlite(conn: Connection, table: Table, columns: Sequence[str], batch: list[tuple]) -> None:
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    conn.exec_driver_sql(sql, [r + TAIL_VALUES for r in batch])


def _pg_text(v: Any) -> str:
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, str):
        if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
            return (
                v.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return v
    return str(v)


def _copy(conn: Connection, table: Table, columns: Sequence[str], batch: list[tuple]) -> None:
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    tail = "\tdemo\t1\n"
    with cur.copy(f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN') as cp:
        cp.write("".join("\t".join(map(_pg_text, r)) + tail for r in batch))


def _core(conn: Connection, table: Table, columns: Sequence[str], batch: list[tuple]) -> None:
    parsers = [_parser(table.c[c].type) for c in columns]
    conn.execute(
        table.insert(),
        [
            {
                c: (p(v) if p and isinstance(v, str) else v)
                for c, p, v in zip(columns, parsers, r + TAIL_VALUES, strict=True)
            }
            for r in batch
        ],
    )


def _parser(type_: Any) -> Callable[[str], Any] | None:
    impl = getattr(type_, "impl", type_)
    if isinstance(impl, DateTime):
        return lambda s: datetime.fromisoformat(s).replace(tzinfo=UTC)
    if isinstance(impl, Date):
        return date.fromisoformat
    return None


def _restart_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """Explicit ids leave PostgreSQL's sequences at 1: move them past the data."""
    for t in tables:
        if "id" not in t.c:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), "
                f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{t.name}"'
            )
        )
