"""``mis``: seed demo data, refresh the warehouse, read KPIs, start the dashboards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mis_cli.import_cmd import import_command
from operational.settings import get_settings

app = typer.Typer(
    help="Management information system: operational store → warehouse → dashboards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Operational store schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command("import", help="Import a .csv or .xlsx file (all or nothing, every bad row reported).")(
    import_command
)
out = Console()
err = Console(stderr=True)


class Scale(str, Enum):
    small = "small"
    medium = "medium"
    large = "large"


class By(str, Enum):
    customer = "customer"
    month = "month"


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def today_local() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the operational store's schema."""
    from operational.db import get_engine, init_schema

    init_schema(get_engine())
    out.print(f"operational store ready: {get_settings().store_url}")


@app.command()
def seed(
    scale: Annotated[Scale, typer.Option(help="small: seconds; large: ~1M order lines.")] = Scale.small,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 42,
    reset: Annotated[bool, typer.Option(help="Delete existing data first.")] = False,
    if_empty: Annotated[bool, typer.Option(help="Do nothing when the store has data.")] = False,
) -> None:
    """Generate deterministic demo data for a building-materials trading company."""
    from operational import demo
    from operational.db import get_engine, init_schema

    engine = get_engine()
    init_schema(engine)
    if reset:
        demo.reset(engine)
    elif if_empty and demo.has_data(engine):
        out.print("the operational store already has data: seeding skipped")
        return
    with Progress(
        TextColumn("[bold]{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=total)
            bar.update(tasks[table], completed=done, total=total)

        try:
            counts = demo.generate(engine=engine, scale=scale.value, seed=seed, progress=progress)
        except demo.StoreNotEmpty as exc:
            fail(str(exc))
    total = sum(counts.values())
    out.print(f"seeded {total:,} rows ({scale.value}, seed {seed}) into {get_settings().store_url}")


@app.command()
def refresh(
    full: Annotated[bool, typer.Option(help="Re-land every row and rebuild every model.")] = False,
    prefect: Annotated[bool, typer.Option(help="Run as a Prefect flow (run history in Prefect).")] = True,
    wait: Annotated[float, typer.Option(help="Seconds to wait for a running refresh.")] = 600.0,
    quiet: Annotated[bool, typer.Option(help="Only the summary line.")] = False,
    writeback: Annotated[
        bool, typer.Option(help="Write the warehouse's findings back as tasks and drafts.")
    ] = True,
) -> None:
    """Land changes into DuckDB, dbt build, reconcile and publish the warehouse."""
    from ingestion.reconcile import ReconciliationFailed
    from serving.dbt import DbtBuildFailed
    from serving.lock import RefreshBusy
    from serving.refresh import RefreshReport, run_refresh

    say = None if quiet else (lambda msg: err.print(f"[dim]·[/] {msg}", highlight=False))
    try:
        if prefect:
            from flows.refresh import refresh_flow

            report: RefreshReport = refresh_flow(full=full, writeback=writeback)
        else:
            report = run_refresh(full=full, say=say, wait_seconds=wait)
            if writeback:
                from writeback import apply_after_refresh

                wb = apply_after_refresh(say=say)
                out.print(wb.summary(), highlight=False)
    except (ReconciliationFailed, DbtBuildFailed, RefreshBusy) as exc:
        details = getattr(exc, "failures", None) or []
        fail(f"{exc}\n" + "\n".join(f"  - {f}" for f in details[:20])
             + "\nThe previously published warehouse is still in place.")
        return
    except Exception as exc:  # noqa: BLE001 - show the reason, keep the published copy
        fail(f"refresh failed: {exc.__class__.__name__}: {exc}\n"
             "The previously published warehouse is still in place.")
        return
    if not quiet and any(report.rows_landed.values()):
        table = Table(title=f"Rows landed (build {report.build_id})", show_edge=False)
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, rows in sorted(report.rows_landed.items()):
            if rows:
                table.add_row(name, f"{rows:,}")
        out.print(table)
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in report.stages.items())
    out.print(
        f"refresh ok: {sum(report.rows_landed.values()):,} rows landed, "
        f"{report.rows_deleted:,} deleted, {report.reconciled_tables} tables reconciled, "
        f"dbt {report.dbt_mode}: {report.models} models, {report.tests} tests, "
        f"{report.unit_tests} unit tests; "
        f"{report.seconds:.1f}s ({stages})"
    )


def _parse_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--{name} must be a date as YYYY-MM-DD, got {value!r}", code=2)
        raise


@app.command()
def kpi(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    date_from: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (inclusive).")] = None,
    by: Annotated[By | None, typer.Option(help="Break down by customer or month.")] = None,
) -> None:
    """Headline KPIs from the published warehouse (default: this month to date)."""
    from serving import kpis
    from serving.read import WarehouseNotReady, build_info, open_published

    today = today_local()
    d_to = _parse_date(date_to, "to") or today
    d_from = _parse_date(date_from, "from") or d_to.replace(day=1)
    if d_from > d_to:
        fail(f"--from {d_from} is after --to {d_to}", code=2)
    try:
        with open_published() as con:
            info = build_info(con)
            reg = kpis.registry(con)
            period = {"from": d_from.isoformat(), "to": d_to.isoformat()}
            as_of = info["as_of"].isoformat() + "Z" if info.get("as_of") else None
            if by is By.customer:
                rows = kpis.by_customer(con, d_to)
                payload: dict[str, Any] = {
                    "period": period, "as_of": as_of,
                    "customers": [
                        {
                            "customer_code": r["customer_code"],
                            "ltv": kpis.to_json_number(r["ltv"], "money"),
                            "margin_ltv": kpis.to_json_number(r["margin_ltv"], "money"),
                            "orders": int(r["orders"]),
                        }
                        for r in rows
                    ],
                }
            elif by is By.month:
                months = kpis.monthly(con, kpis.MONTHLY, d_from, d_to)
                payload = {
                    "period": period, "as_of": as_of,
                    "months": [
                        {"month": m["month"]}
                        | {n: kpis.to_json_number(m[n], reg[n].unit) for n in kpis.MONTHLY}
                        for m in months
                    ],
                }
            else:
                values = kpis.evaluate(con, kpis.HEADLINE, d_from, d_to)
                payload = {
                    "period": period, "as_of": as_of, "build_id": info["build_id"],
                    "kpis": {n: kpis.to_json_number(values[n], reg[n].unit) for n in kpis.HEADLINE},
                }
    except WarehouseNotReady as exc:
        fail(str(exc))
        return
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    _print_kpis(payload)


def _print_kpis(payload: dict[str, Any]) -> None:
    title = f"{payload['period']['from']} → {payload['period']['to']} (as of {payload['as_of']})"
    if "kpis" in payload:
        rows = [{"kpi": k, "value": v} for k, v in payload["kpis"].items()]
    else:
        rows = payload.get("customers") or payload.get("months") or []
    table = Table(title=title, show_edge=False)
    for col in (rows[0].keys() if rows else ["kpi", "value"]):
        table.add_column(col, justify="left" if col in {"kpi", "month", "customer_code"} else "right")
    for r in rows:
        table.add_row(*("—" if v is None else f"{v:,}" if isinstance(v, int | float) else str(v)
                        for v in r.values()))
    out.print(table)


@app.command("app")
def run_app(
    port: Annotated[int | None, typer.Option(help="Port (default MIS_APP_PORT or 8501).")] = None,
) -> None:
    """Start the dashboards on http://127.0.0.1:PORT."""
    from serving.paths import PROJECT_DIR

    settings = get_settings()
    port = port or settings.app_port
    out.print(f"dashboards: [bold]http://127.0.0.1:{port}[/] (Ctrl+C to stop)")
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(PROJECT_DIR / "dashboards" / "app.py"),
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    env = os.environ | {"MIS_HOME": str(settings.resolved_home)}
    # cwd: Streamlit reads the theme from .streamlit/config.toml in the working directory.
    raise typer.Exit(subprocess.call(cmd, env=env, cwd=PROJECT_DIR))


@app.command()
def schedule(
    cron: Annotated[str, typer.Option(help="Incremental refresh schedule.")] = "*/15 * * * *",
    nightly: Annotated[str, typer.Option(help="Full rebuild schedule.")] = "30 2 * * *",
    port: Annotated[int, typer.Option(help="Port of the Prefect server started here.")] = 4200,
) -> None:
    """Serve scheduled refreshes: starts a Prefect server unless PREFECT_API_URL is set."""
    from flows.schedule import serve

    serve(cron=cron, nightly=nightly, timezone=get_settings().timezone, port=port)


if __name__ == "__main__":
    app()
