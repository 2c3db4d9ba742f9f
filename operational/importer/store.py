"""Database side of an import: bulk look-ups, id allocation and bulk writes, in one transaction.

Look-ups send every key of a file in one query (a JSON array through ``json_each`` on
SQLite, an array parameter on PostgreSQL), never one query per row. Writes take rows of
storage text (decimals as ``'12.50'``, timestamps as naive-UTC text, dates ISO): SQLite
gets them through ``executemany`` (exactly what ``ExactDecimal`` would store), PostgreSQL
through ``COPY`` (inserts) and pipelined ``executemany`` (updates) with the session in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any, Literal

from sqlalchemy import Table, bindparam, func, literal_column, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from operational import change_counters

BATCH = 10_000
SQLITE_CACHE_KIB = -262_144  # negative: KiB, so at most 256 MiB while importing
Progress = Callable[[str, int, int], None]
Lock = Literal["update", "key share"] | None


def table(name: str) -> Table:
    from sqlmodel import SQLModel

    import operational.models  # noqa: F401 - registers every table

    return SQLModel.metadata.tables[name]


@contextmanager
def transaction(engine: Engine, *, references_locked: bool = False) -> Iterator[Connection]:
    """One transaction that already holds the right to write.

    SQLite: ``BEGIN IMMEDIATE`` takes the single writer's lock before the first look-up, so
    what the checks read cannot change before the write. PostgreSQL: rows the import updates
    are read ``FOR UPDATE``; new rows race only on unique keys, which roll the import back.

    ``references_locked``: every foreign key the import writes points at a row it read in
    this transaction (see ``insert_rows``). Under SQLite's write lock nothing can remove
    those rows, so the per-row foreign-key checks are switched off for the transaction (a
    connection setting, so it is set before ``BEGIN`` and restored after).
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # A large page cache keeps the pages a big insert dirties in memory until commit
            # instead of spilling them to the WAL again and again (~45 % fewer bytes written).
            cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
            fks = int(conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one())
            conn.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
            if references_locked:
                conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")
                conn.exec_driver_sql(f"PRAGMA foreign_keys = {fks}")
                conn.commit()


def in_values(conn: Connection, column: ColumnElement[Any], values: Iterable[Any]) -> Any:
    """``column IN (values)`` as one bound parameter, however many values there are."""
    items = list(values)
    if conn.dialect.name == "sqlite":
        sub: Any = select(literal_column("value")).select_from(
            func.json_each(bindparam(None, json.dumps(items, default=str)))
        )
        return column.in_(sub.scalar_subquery())
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == func.any(bindparam(None, items, type_=ARRAY(column.type)))
    return column.in_(items)


def lookup(
    conn: Connection,
    table_name: str,
    key: str,
    values: Iterable[Any],
    columns: Sequence[str],
    *,
    lock: Lock = None,
    where: Any = None,
) -> list[Any]:
    """Rows of ``table_name`` whose ``key`` is one of ``values`` (typed: Decimal, UTC).

    ``lock`` on PostgreSQL (SQLite's write lock already covers it): ``"update"`` for rows the
    import will change; ``"key share"`` for rows new rows will refer to, the lock a foreign
    key check takes, so they cannot be deleted or re-keyed before the import commits.
    """
    values = set(values)
    values.discard(None)
    if not values:
        return []
    t = table(table_name)
    stmt = select(*(t.c[c] for c in columns)).where(in_values(conn, t.c[key], values))
    if where is not None:
        stmt = stmt.where(where(t))
    if lock and conn.dialect.name == "postgresql":
        share = lock == "key share"
        stmt = stmt.order_by(t.c.id).with_for_update(read=share, key_share=share)
    return list(conn.execute(stmt).all())


def allocate_ids(conn: Connection, table_name: str, n: int) -> list[int]:
    """``n`` new primary keys for rows written with explicit ids (their children need them).

    PostgreSQL draws them from the table's sequence (safe with concurrent writers); SQLite
    continues after the largest id, which the write lock taken in ``transaction`` protects.
    """
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        seq = conn.execute(text(f"select pg_get_serial_sequence('\"{table_name}\"', 'id')"))
        name = seq.scalar_one()
        rows = conn.execute(
            text("select nextval(:seq) from generate_series(1, :n)"), {"seq": name, "n": n}
        )
        return [r[0] for r in rows]
    t = table(table_name)
    top = conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()
    return list(range(top + 1, top + 1 + n))


def insert_rows(
    conn: Connection,
    table_name: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    count: int,
    *,
    actor: str,
    references_locked: bool = False,
    progress: Progress | None = None,
    done: int = 0,
    total: int = 0,
) -> int:
    """Insert rows (with ``updated_by`` and ``version`` appended) in batches.

    ``references_locked``: the caller read every row this table's foreign keys point to in
    this transaction, under the lock a foreign-key check takes (``lookup(lock="key
    share")``) and took the ids from there. On PostgreSQL the per-row foreign-key triggers
    then only repeat that work, one query per row and key, which more than doubles the time
    of a large ``COPY``; so when the role may set ``session_replication_role`` and the table
    has no triggers of its own, they are skipped for this ``COPY`` (as ``pg_restore
    --disable-triggers`` does), and the table's change counter is moved by hand, as its
    trigger would. Otherwise the checks run as usual. On SQLite the counter's row trigger
    is set aside for the load (``change_counters.bulk_load``).
    """
    cols = [*columns, "updated_by", "version"]
    tail: tuple[Any, ...] = (actor, 1)
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # the database clock, read once: not two strftime() calls per row
        now = conn.exec_driver_sql("select strftime('%Y-%m-%d %H:%M:%f','now')").scalar_one()
        stamps = [c for c in ("created_at", "updated_at") if c not in cols]
        cols += stamps
        tail += (now,) * len(stamps)
    names = ", ".join(f'"{c}"' for c in cols)
    fast = not sqlite and references_locked and _may_skip_fk_triggers(conn, table_name)
    if fast:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        change_counters.record_write(conn, table_name)
    it = iter(rows)
    if sqlite:
        sql = f'INSERT INTO "{table_name}" ({names}) VALUES ({", ".join("?" * len(cols))})'
        with change_counters.bulk_load(conn, [table_name]):
            for _ in range(0, count, BATCH):
                batch = [r + tail for r in islice(it, BATCH)]
                conn.exec_driver_sql(sql, batch)
                done += len(batch)
                if progress:
                    progress("write", done, total)
    else:  # one COPY: the server parses rows as they arrive while the next are formatted
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cur.copy(f'COPY "{table_name}" ({names}) FROM STDIN') as cp:
            write = cp.write_row
            for _ in range(0, count, BATCH):
                n = 0
                for r in islice(it, BATCH):
                    write(r + tail)
                    n += 1
                done += n
                if progress:
                    progress("write", done, total)
    if fast:
        conn.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")
    return done


def _may_skip_fk_triggers(conn: Connection, table_name: str) -> bool:
    """The role may set ``session_replication_role`` and the table's only triggers are the
    internal foreign-key ones and its change counter's, which the caller then moves by hand
    (a trigger someone adds later is never skipped)."""
    allowed = conn.exec_driver_sql(
        "select rolsuper from pg_roles where rolname = current_user"
    ).scalar()
    if not allowed and (conn.dialect.server_version_info or (0,)) >= (15,):
        allowed = conn.exec_driver_sql(
            "select has_parameter_privilege(current_user, 'session_replication_role', 'SET')"
        ).scalar()
    if not allowed:
        return False
    own = conn.execute(
        text(
            "select count(*) from pg_trigger where tgrelid = cast(:t as regclass) "
            "and not tgisinternal and tgname <> :counter"
        ),
        {"t": f'"{table_name}"', "counter": change_counters.TABLE},
    ).scalar_one()
    return own == 0


def update_rows(
    conn: Connection,
    table_name: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    actor: str,
) -> None:
    """``rows`` are ``(*values, id)``: set the columns, stamp who/when, bump the version
    (the optimistic-concurrency column: a form opened before the import sees it changed)."""
    if not rows:
        return
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    now = "strftime('%Y-%m-%d %H:%M:%f','now')" if sqlite else "now()"
    sets = ", ".join(f'"{c}" = {mark}' for c in columns)
    sql = (
        f'UPDATE "{table_name}" SET {sets}, updated_by = {mark}, updated_at = {now}, '
        f"version = version + 1 WHERE id = {mark}"
    )
    data = [(*r[:-1], actor, r[-1]) for r in rows]
    if sqlite:
        conn.exec_driver_sql(sql, data)
    else:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.executemany(sql, data)
