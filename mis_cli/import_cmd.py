"""``mis import ENTITY FILE``: bulk import of a ``.csv`` or ``.xlsx`` file, all or nothing.

Registered in ``mis_cli.main`` as ``app.command("import")(import_command)``. Shows a
progress bar on stderr, then either ``imported N rows (M unchanged) into ENTITY`` or a table
of every bad row (row, column, reason) and exits 1 with "nothing was imported".
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from operational.importer import ENTITIES, ImportRejected, import_file

out = Console()
err = Console(stderr=True)
SHOWN = 200  # bad rows printed; the count says how many more there are
STAGES = {"read": "reading", "validate": "validating", "check": "checking", "write": "writing"}


def import_command(
    entity: Annotated[
        str, typer.Argument(help=f"What the file holds: {', '.join(ENTITIES)}.", show_default=False)
    ],
    file: Annotated[
        Path, typer.Argument(help=".csv (UTF-8) or .xlsx with a header row.", show_default=False)
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, write nothing.")
    ] = False,
) -> None:
    """Import ENTITY rows from FILE: every row is checked first, then all are written or none.

    Import in this order: customers, suppliers, products, stock (opening balances),
    sales_orders, sales_order_lines, deliveries, invoices, payments. Re-importing a file
    changes nothing.
    """
    from sqlalchemy.exc import DBAPIError

    from operational.db import check_schema, make_engine
    from operational.errors import SchemaNotMigrated
    from operational.settings import get_settings

    if entity not in ENTITIES:
        err.print(
            f"[bold red]error:[/] unknown entity {entity!r}; choose one of: {', '.join(ENTITIES)}",
            highlight=False,
        )
        raise typer.Exit(2)
    engine = make_engine(get_settings().store_url)
    try:
        check_schema(engine)
        with _bar() as progress:
            report = import_file(
                engine=engine, entity=entity, path=file, dry_run=dry_run, progress=progress
            )
    except SchemaNotMigrated as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except ImportRejected as exc:
        _print_errors(exc)
        raise typer.Exit(1) from None
    except DBAPIError as exc:  # e.g. another writer added the same key meanwhile
        err.print(
            f"[bold red]error:[/] the store refused the import ({exc.orig}); nothing was imported",
            highlight=False,
        )
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    verb = "would import" if dry_run else "imported"
    out.print(
        f"{verb} {report.imported:,} rows ({report.unchanged:,} unchanged) into {entity}"
        + (" (dry run: nothing was written)" if dry_run else "")
        + f" in {report.seconds:.1f}s",
        highlight=False,
    )


class _bar:
    """A rich progress bar per stage, as a ``progress(stage, done, total)`` callback."""

    def __enter__(self) -> Any:
        self.bar = Progress(
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        )
        self.bar.__enter__()
        self.tasks: dict[str, Any] = {}
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(STAGES.get(stage, stage), total=total or None)
        self.bar.update(self.tasks[stage], completed=done, total=total or None)

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)


def _print_errors(exc: ImportRejected) -> None:
    table = Table(
        title=f"{exc.file}: {len(exc.errors):,} problem(s) in {exc.rows:,} row(s)",
        show_edge=False,
    )
    table.add_column("row", justify="right")
    table.add_column("column")
    table.add_column("reason", overflow="fold")
    for e in exc.errors[:SHOWN]:
        table.add_row(str(e.row), e.column or "—", e.reason)
    out.print(table)
    if len(exc.errors) > SHOWN:
        out.print(f"… and {len(exc.errors) - SHOWN:,} more", highlight=False)
    out.print(f"[bold red]nothing was imported[/] into {exc.entity}", highlight=False)
