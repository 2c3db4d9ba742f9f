"""``import_file``: read, validate every row, then write all of it in one transaction or nothing."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from operational.errors import ServiceError
from operational.importer import store
from operational.importer.base import Context, Entity, Parsed, Plan, RowError
from operational.importer.billing import Invoices, Payments
from operational.importer.fields import EMPTY, Bad
from operational.importer.master import Customers, Products, Suppliers
from operational.importer.reader import RawTable, UnreadableFile, read_table
from operational.importer.sales import SalesOrderLines, SalesOrders
from operational.importer.stock import Deliveries, Stock
from operational.models import AuditLog

Progress = Callable[[str, int, int], None]

#: every importable entity, in the order a whole migration imports them
ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Customers(),
        Suppliers(),
        Products(),
        Stock(),
        SalesOrders(),
        SalesOrderLines(),
        Deliveries(),
        Invoices(),
        Payments(),
    )
}
STEP = 10_000


class ImportRejected(ServiceError):
    """The file was refused; ``errors`` lists every bad cell. Nothing was written."""

    def __init__(self, entity: str, file: str, errors: list[RowError], rows: int) -> None:
        self.entity = entity
        self.file = file
        self.errors = sorted(errors)
        self.rows = rows
        first = self.errors[0] if self.errors else RowError(0, "", "refused")
        super().__init__(
            f"{file}: {len(self.errors)} error(s) in {rows} row(s), nothing was imported; "
            f"first: row {first.row}, {first.column or 'file'}: {first.reason}"
        )


@dataclass
class ImportReport:
    entity: str
    file: str
    rows: int  # data rows in the file
    imported: int  # rows written (or that would be, on a dry run)
    unchanged: int  # rows already in the store with the same values
    dry_run: bool = False
    seconds: float = 0.0
    written: dict[str, int] = field(default_factory=dict)  # rows inserted/updated per table

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def actor_for(path: Path) -> str:
    return f"import:{path.name}"[:80]


def import_file(
    *,
    engine: Engine,
    entity: str,
    path: Path | str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one ``.csv``/``.xlsx`` file of ``entity`` rows (see ``ENTITIES``).

    Every row is validated and checked against the store before anything is written; any
    bad row raises ``ImportRejected`` with all errors and leaves the store unchanged. Rows
    already in the store with the same values are skipped, so a re-import changes nothing.
    ``progress(stage, done, total)`` is called with stages ``read``, ``validate``, ``check``
    and ``write``.
    """
    path = Path(path)
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; choose one of: {', '.join(ENTITIES)}")
    # Hundreds of thousands of rows are millions of small objects and no reference cycles:
    # the cyclic collector would re-scan them all again and again (more than half the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import(engine, ENTITIES[entity], path, dry_run, progress)
    finally:
        if collecting:
            gc.enable()


def _import(
    engine: Engine, spec: Entity, path: Path, dry_run: bool, progress: Progress | None
) -> ImportReport:
    started = time.perf_counter()
    entity = spec.name
    if progress:
        progress("read", 0, 0)
    try:
        raw = read_table(path)
    except UnreadableFile as exc:
        raise ImportRejected(entity, path.name, [RowError(exc.row, "", str(exc))], 0) from None
    n = len(raw.rows)
    if progress:
        progress("read", n, n)
    rows, errors = parse_rows(spec, raw, progress)
    actor = actor_for(path)
    with store.transaction(engine, references_locked=spec.references_locked) as conn:
        ctx = Context(conn, actor)
        checked = len(rows) or not errors
        if progress and checked:
            progress("check", 0, len(rows))
        plan = spec.plan(ctx, rows) if checked else Plan()
        if progress and checked:
            progress("check", len(rows), len(rows))
        errors += ctx.errors
        if errors:
            raise ImportRejected(entity, path.name, errors, n)
        if not dry_run and plan.imported:
            _write(conn, spec, plan, path, progress)
        if dry_run:
            conn.rollback()
    return ImportReport(
        entity=entity,
        file=path.name,
        rows=n,
        imported=plan.imported,
        unchanged=plan.unchanged,
        dry_run=dry_run,
        seconds=time.perf_counter() - started,
        written=plan.written(),
    )


def parse_rows(
    spec: Entity, raw: RawTable, progress: Progress | None = None
) -> tuple[Parsed, list[RowError]]:
    """Parse every cell; rows with a bad cell are reported, not returned. Header problems
    (unknown, duplicate or missing columns) refuse the file before any row is read.

    Works a chunk of rows at a time, column by column: each distinct value of a column is
    parsed once, and chunks without a refused or missing value are never scanned cell by cell.
    """
    names = [c.name for c in spec.columns]
    errors = check_header(spec, raw.header)
    if errors:
        return Parsed(names, [], [[] for _ in names]), errors
    index = {name.strip().lower(): i for i, name in enumerate(raw.header)}
    parsers = [(c, index.get(c.name), c.parser()) for c in spec.columns]
    width = len(raw.header)
    row_nos: list[int] = []
    columns: list[list[Any]] = [[] for _ in names]
    total = len(raw.rows)
    for start in range(0, total, STEP):
        if progress:
            progress("validate", start, total)
        chunk = raw.rows[start : start + STEP]
        chunk_nos = [r[0] for r in chunk]
        cells, bad = _fit(chunk, width, errors)
        raw_columns = list(zip(*cells, strict=True)) if cells else [()] * width
        parsed = []
        for column, i, parser in parsers:
            raw_cells = raw_columns[i] if i is not None else ("",) * len(cells)
            values = parser.values(raw_cells)
            if parser.problems and not parser.problems.isdisjoint(raw_cells):
                for k, v in enumerate(values):
                    if v is EMPTY:
                        errors.append(RowError(chunk_nos[k], column.name, "is required"))
                        bad.add(chunk_nos[k])
                    elif type(v) is Bad:
                        errors.append(RowError(chunk_nos[k], column.name, v.reason))
                        bad.add(chunk_nos[k])
            parsed.append(values)
        if bad:
            mask = [n not in bad for n in chunk_nos]
            chunk_nos = list(compress(chunk_nos, mask))
            parsed = [list(compress(values, mask)) for values in parsed]
        row_nos += chunk_nos
        for into, values in zip(columns, parsed, strict=True):
            into += values
    if progress:
        progress("validate", total, total)
    return _unique(spec, Parsed(names, row_nos, columns), errors), errors


def _fit(
    chunk: list[tuple[int, list[Any]]], width: int, errors: list[RowError]
) -> tuple[list[list[Any]], set[int]]:
    """Cells padded or cut to the header's width, and the rows with values beyond it."""
    cells = [c for _, c in chunk]
    if set(map(len, cells)) <= {width}:
        return cells, set()
    wide: set[int] = set()
    out = []
    for row_no, c in chunk:
        if len(c) > width and any(str(x).strip() for x in c[width:]):
            errors.append(
                RowError(row_no, "", f"has {len(c)} cells but the header has {width} columns")
            )
            wide.add(row_no)
        out.append((list(c) + [""] * width)[:width])
    return out, wide


def _unique(spec: Entity, parsed: Parsed, errors: list[RowError]) -> Parsed:
    """A natural key may appear once per file: later repeats are errors."""
    keys = list(zip(*(parsed.column(c) for c in spec.key), strict=True))
    if len(set(keys)) == len(keys):
        return parsed
    seen: dict[tuple[Any, ...], int] = {}
    mask = []
    for key, row_no in zip(keys, parsed.row_nos, strict=True):
        first = seen.setdefault(key, row_no)
        mask.append(first == row_no)
        if first != row_no:
            errors.append(
                RowError(row_no, spec.key[-1], f"repeats the {'/'.join(spec.key)} of row {first}")
            )
    return parsed.keep(mask)


def check_header(spec: Entity, header: list[str]) -> list[RowError]:
    expected = [c.name for c in spec.columns]
    names = [h.strip().lower() if isinstance(h, str) else str(h) for h in header]
    errors = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.append(RowError(1, name, "column appears twice"))
        seen.add(name)
        if name not in expected:
            errors.append(
                RowError(
                    1,
                    name or "(empty)",
                    f"unknown column for {spec.name}; the columns are: {', '.join(expected)}",
                )
            )
    for c in spec.columns:
        if c.required and c.name not in seen:
            errors.append(RowError(1, c.name, "required column is missing from the header"))
    return errors


def _write(conn: Any, spec: Entity, plan: Plan, path: Path, progress: Progress | None) -> None:
    actor = actor_for(path)
    total = sum(plan.written().values())
    done = 0
    if progress:
        progress("write", 0, total)
    for table, columns, data, count, locked in plan.inserts:
        done = store.insert_rows(
            conn,
            table,
            columns,
            data,
            count,
            actor=actor,
            references_locked=locked,
            progress=progress,
            done=done,
            total=total,
        )
    for table, columns, rows in plan.updates:
        store.update_rows(conn, table, columns, rows, actor=actor)
        done += len(rows)
        if progress:
            progress("write", done, total)
    # One audit row per file (not per row): what was imported, from where, by whom. It
    # describes a file, not one record, so its record_id is 0.
    conn.execute(
        AuditLog.__table__.insert().values(  # type: ignore[attr-defined]
            table_name=spec.table,
            record_id=0,
            action="import",
            changed_by=actor,
            before=None,
            after={
                "file": path.name,
                "entity": spec.name,
                "rows": plan.imported,
                "unchanged": plan.unchanged,
                "written": plan.written(),
            },
        )
    )
