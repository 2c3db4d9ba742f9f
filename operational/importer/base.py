"""What every entity's import shares: the row errors, the plan of writes, the context."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import compress
from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from operational.importer import store
from operational.importer.fields import Column, company_tz


@dataclass(frozen=True, order=True)
class RowError:
    """One refusal: ``row`` as numbered in the file (header = 1), the column, the reason."""

    row: int
    column: str
    reason: str


@dataclass
class Plan:
    """The writes an import will make, in order, plus what it counted."""

    #: (table, columns, rows, row count, references_locked): see ``store.insert_rows``
    inserts: list[tuple[str, tuple[str, ...], Iterable[tuple[Any, ...]], int, bool]] = field(
        default_factory=list
    )
    updates: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = field(default_factory=list)
    imported: int = 0
    unchanged: int = 0

    def insert(
        self,
        table: str,
        columns: tuple[str, ...],
        rows: Iterable[tuple[Any, ...]],
        *,
        count: int | None = None,
        references_locked: bool = False,
    ) -> None:
        """Rows to insert; an iterator with its ``count`` is formatted only while it is being
        written (on PostgreSQL, while the server is still busy with the rows before)."""
        if count is None:
            rows = list(rows)
            count = len(rows)
        if count:
            self.inserts.append((table, columns, rows, count, references_locked))

    def update(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.updates.append((table, columns, rows))

    def written(self) -> dict[str, int]:
        """Rows inserted or updated per table."""
        out: dict[str, int] = {}
        for table, _, _, count, _ in self.inserts:
            out[table] = out.get(table, 0) + count
        for table, _, rows in self.updates:
            out[table] = out.get(table, 0) + len(rows)
        return out


class Context:
    """The open transaction, who is writing, and where errors go."""

    def __init__(self, conn: Connection, actor: str) -> None:
        self.conn = conn
        self.actor = actor
        self.errors: list[RowError] = []

    def error(self, row: int, column: str, reason: str) -> None:
        self.errors.append(RowError(row, column, reason))

    def lookup(
        self,
        table: str,
        key: str,
        values: Iterable[Any],
        columns: Sequence[str],
        *,
        lock: store.Lock = None,
        where: Any = None,
    ) -> list[Any]:
        return store.lookup(self.conn, table, key, values, columns, lock=lock, where=where)

    def db_now(self) -> datetime:
        """The database clock (what ``created_at`` defaults to), as aware UTC."""
        if self.conn.dialect.name == "sqlite":
            raw = self.conn.exec_driver_sql("select strftime('%Y-%m-%d %H:%M:%f','now')")
            return datetime.fromisoformat(raw.scalar_one()).replace(tzinfo=UTC)
        now = self.conn.exec_driver_sql("select now()").scalar_one()
        return now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)

    def ids(self, table: str, n: int) -> list[int]:
        return store.allocate_ids(self.conn, table, n)

    def differs(self, row: int, pairs: Iterable[tuple[str, Any, Any]]) -> bool:
        """Compare a file row with the stored record of the same natural key; report each
        column that differs (re-importing never updates silently)."""
        found = False
        for column, new, old in pairs:
            if new != old:
                found = True
                self.error(
                    row,
                    column,
                    f"differs from existing record: the store has {show(old)}, "
                    f"the file has {show(new)} (re-import does not change records)",
                )
        return found


def show(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, datetime):
        return value.astimezone(company_tz()).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | Decimal):
        return str(value)
    return repr(value)


Row = tuple[int, tuple[Any, ...]]  # (row number in the file, values in column order)


class Parsed:
    """The rows of a file whose cells all parsed, held by column (how they were parsed).

    ``rows()`` gives them row by row, values in the entity's column order; an entity whose
    file can be large works on ``column(name)`` lists instead (loops in C, not Python).
    """

    def __init__(self, names: list[str], row_nos: list[int], columns: list[list[Any]]) -> None:
        self.names = names
        self.row_nos = row_nos
        self.columns = dict(zip(names, columns, strict=True))

    def __len__(self) -> int:
        return len(self.row_nos)

    def column(self, name: str) -> list[Any]:
        return self.columns[name]

    def rows(self) -> list[Row]:
        return list(zip(self.row_nos, zip(*self.columns.values(), strict=True), strict=True))

    def keep(self, mask: list[bool]) -> Parsed:
        """Only the rows whose ``mask`` entry is true."""
        return Parsed(
            self.names,
            list(compress(self.row_nos, mask)),
            [list(compress(c, mask)) for c in self.columns.values()],
        )


class Entity:
    """An importable entity: its file columns, natural key and how rows become writes.

    ``plan`` gets the rows whose cells all parsed (``Parsed``); ``parsed.rows()`` gives each
    as ``(row number, values)`` with the values in the order of ``columns``, so an entity
    unpacks them by name in one line.
    """

    name: ClassVar[str]
    table: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    key: ClassVar[tuple[str, ...]]
    #: every foreign key this entity writes points at a row its plan read under lock, so the
    #: database's per-row checks may be skipped (``store.transaction``/``insert_rows``)
    references_locked: ClassVar[bool] = False

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        raise NotImplementedError

    def positions(self, *names: str) -> list[int]:
        order = [c.name for c in self.columns]
        return [order.index(n) for n in names]

    def as_dicts(self, rows: list[Row]) -> list[tuple[int, dict[str, Any]]]:
        """Rows with values by column name (for the entities where speed matters less)."""
        names = [c.name for c in self.columns]
        return [(row_no, dict(zip(names, v, strict=True))) for row_no, v in rows]

    def values_of(self, rows: list[Any], name: str) -> set[Any]:
        (i,) = self.positions(name)
        return {v[name] if isinstance(v, dict) else v[i] for _, v in rows}

    def resolve(
        self,
        ctx: Context,
        rows: list[Any],
        column: str,
        found: dict[Any, Any],
        what: str,
        hint: str,
    ) -> list[Any]:
        """Rows whose ``column`` names a known record (or is empty); the others are reported.
        Works on value tuples and on ``as_dicts`` rows alike."""
        (i,) = self.positions(column)
        ok = []
        for row_no, v in rows:
            value = v[column] if isinstance(v, dict) else v[i]
            if value is None or value in found:
                ok.append((row_no, v))
            else:
                ctx.error(row_no, column, f"no {what} {value!r} in the store ({hint})")
        return ok
