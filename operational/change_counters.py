"""Per-table change counters: an exact, cheap answer to "has this table changed since?".

Every write to a counted table moves its counter inside the writer's own transaction (a
trigger), so the counter commits or rolls back with the data and no writer can go round it,
services, importer, seed and hand-written SQL alike. A refresh reads the counters before it
reads any row: a table whose counter has not moved since the last landing has not changed,
and neither the landing nor reconciliation's store side needs to read it again.

- SQLite: a row trigger adds 1 to the table's base row (``txid`` 0). SQLite serializes
  writers anyway, so the counter row adds no contention.
- PostgreSQL: a statement trigger inserts ``(table, txid_current(), 1)`` once per writing
  transaction and table (``on conflict do nothing``). Concurrent writers never wait on one
  counter row and no lock order between tables is added; ``compact`` folds those rows into
  the base row (the sum, the signature, stays the same).

A table's signature is the sum of its ``n``, and counts only while its base row exists with
the random start ``install`` gave it (at least 2**32): counters emptied or never installed,
or a trigger missing or disabled, give no signature, and that table is read in full as before.
Tables added by later migrations call ``install`` for themselves (a test checks every landed
table has its counter).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

TABLE = "store_change"
BASE_MIN = 2**32
_PG_FUNCTION = "store_change_bump"
# What a PostgreSQL counter trigger does: one row per writing transaction and table.
_PG_BUMP = (f"insert into {TABLE} (table_name, txid, n) values ({{table}}, txid_current(), 1) "
            "on conflict (table_name, txid) do nothing")


def _random_base() -> int:
    return BASE_MIN + secrets.randbelow(2**48)


def _sqlite_triggers(table: str) -> dict[str, str]:
    bump = f"UPDATE {TABLE} SET n = n + 1 WHERE table_name = '{table}' AND txid = 0;"
    return {
        f"{TABLE}_{table}_{event.lower()}": (
            f'CREATE TRIGGER IF NOT EXISTS "{TABLE}_{table}_{event.lower()}" '
            f'AFTER {event} ON "{table}" FOR EACH ROW BEGIN {bump} END'
        )
        for event in ("INSERT", "UPDATE", "DELETE")
    }


def install(conn: Connection, tables: list[str]) -> None:
    """Counter triggers and a new base row for each of ``tables``."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text(f"""
            create or replace function {_PG_FUNCTION}() returns trigger language plpgsql as $$
            begin
                {_PG_BUMP.format(table="tg_table_name")};
                return null;
            end $$"""))
    for table in tables:
        if dialect == "sqlite":
            for sql in _sqlite_triggers(table).values():
                conn.execute(text(sql))
        elif dialect == "postgresql":
            conn.execute(text(f'drop trigger if exists {TABLE} on "{table}"'))
            conn.execute(text(
                f'create trigger {TABLE} after insert or update or delete or truncate on "{table}" '
                f"for each statement execute function {_PG_FUNCTION}()"))
        else:
            raise ValueError(f"change counters: unsupported store {dialect}")
        # A new random base every time: writes made while the triggers were missing (a
        # migration that rebuilt the table) must not leave an old signature standing.
        conn.execute(text(f"delete from {TABLE} where table_name = :t"), {"t": table})
        conn.execute(text(f"insert into {TABLE} (table_name, txid, n) values (:t, 0, :n)"),
                     {"t": table, "n": _random_base()})


def record_write(conn: Connection, table: str) -> None:
    """PostgreSQL: what ``table``'s trigger does, for a write made with triggers off
    (``session_replication_role = replica``), in the same transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(_PG_BUMP.format(table=":t")), {"t": table})


@contextmanager
def bulk_load(conn: Connection, tables: list[str]) -> Iterator[None]:
    """SQLite: a bulk load into ``tables`` in ``conn``'s transaction without a trigger per
    row (it cost the large demo seed 60%): the triggers are dropped for it and installed
    again after, with new bases, so every such table's counter has moved when the
    transaction commits, and nothing changes if it rolls back. PostgreSQL's statement
    triggers cost one row per transaction and table: nothing to do there."""
    if conn.dialect.name != "sqlite":
        yield
        return
    counted = [t for t in tables if conn.execute(text(
        "select 1 from sqlite_master where type = 'trigger' and name = :n"),
        {"n": next(iter(_sqlite_triggers(t)))}).first()]
    uninstall(conn, counted)
    yield
    install(conn, counted)


def uninstall(conn: Connection, tables: list[str]) -> None:
    """Drop the counter triggers of ``tables`` (the base rows stay, unused)."""
    for table in tables:
        if conn.dialect.name == "sqlite":
            for name in _sqlite_triggers(table):
                conn.execute(text(f'DROP TRIGGER IF EXISTS "{name}"'))
        else:
            conn.execute(text(f'drop trigger if exists {TABLE} on "{table}"'))
    if conn.dialect.name == "postgresql" and not conn.execute(
        text(f"select 1 from pg_trigger where tgname = '{TABLE}' limit 1")
    ).first():
        conn.execute(text(f"drop function if exists {_PG_FUNCTION}()"))


def signatures_sql(backend: str) -> str:
    """SQL the store runs itself: ``(table_name, signature)`` of every table whose counter
    counts (base row with its random start, triggers present and enabled), as text."""
    if backend == "sqlite":
        triggers = (
            "(select count(*) from sqlite_master t where t.type = 'trigger' "
            "and t.tbl_name = c.table_name and t.name in ("
            + ", ".join(f"'{TABLE}_' || c.table_name || '_{e}'" for e in ("insert", "update",
                                                                           "delete"))
            + ")) = 3"
        )
    elif backend == "postgres":
        triggers = (
            "exists (select 1 from pg_trigger t where t.tgrelid = to_regclass(quote_ident("
            f"c.table_name)) and t.tgname = '{TABLE}' and t.tgenabled in ('O', 'A'))"
        )
    else:
        raise ValueError(f"change counters: unsupported store {backend}")
    return (
        f"select c.table_name as table_name, cast(sum(c.n) as text) as signature "
        f"from {TABLE} c where {triggers} and exists (select 1 from {TABLE} b "
        f"where b.table_name = c.table_name and b.txid = 0 and b.n >= {BASE_MIN}) "
        "group by c.table_name"
    )


def compact(conn: Connection) -> int:
    """PostgreSQL: fold the per-transaction rows into each table's base row, in one statement
    (rows still uncommitted are not seen, and stay). Returns the rows folded."""
    if conn.dialect.name != "postgresql":
        return 0
    return int(conn.execute(text(f"""
        with d as (delete from {TABLE} where txid <> 0 returning table_name, n),
             s as (select table_name, sum(n) as n, count(*) as k from d group by table_name),
             u as (update {TABLE} b set n = b.n + s.n from s
                   where b.table_name = s.table_name and b.txid = 0)
        select coalesce(sum(k), 0) from s""")).scalar_one())
