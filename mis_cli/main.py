"""``mis``: seed demo data, refresh the warehouse, read KPIs, start the dashboards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mis_cli.import_cmd import import_command
from operational.settings import Settings, get_settings

app = typer.Typer(
    help="Management information system: operational store → warehouse → dashboards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Operational store schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
user_app = typer.Typer(help="Sign-in accounts of the dashboards.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.command("import", help="Import a .csv or .xlsx file (all or nothing, every bad row reported).")(
    import_command
)
out = Console()
err = Console(stderr=True)


class Scale(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


class By(StrEnum):
    customer = "customer"
    month = "month"
    region = "region"
    category = "category"
    grade = "grade"
    owner = "owner"


class Grain(StrEnum):
    day = "day"
    month = "month"
    quarter = "quarter"
    year = "year"


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
    scale: Annotated[
        Scale, typer.Option(help="small: seconds; large: ~1M order lines.")
    ] = Scale.small,
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
    prefect: Annotated[
        bool, typer.Option(help="Run as a Prefect flow (run history in Prefect).")
    ] = True,
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
    by: Annotated[
        By | None,
        typer.Option(help="Break down by customer, month, or a dimension (region, category, "
                     "grade, owner: one row per member)."),
    ] = None,
    grain: Annotated[
        Grain | None,
        typer.Option(help="One row per day, month, quarter or year of the period."),
    ] = None,
    kpi_names: Annotated[
        list[str] | None,
        typer.Option("--kpi", help="KPI to show with --by <dimension> or --grain (repeatable; "
                     "default: the headline KPIs, or intake, turnover and OTD for --grain)."),
    ] = None,
) -> None:
    """Headline KPIs from the published warehouse (default: this month to date).

    With --by region|category|grade|owner and/or --grain, each value comes with the previous
    period's and the same period last year's."""
    from serving import kpis
    from serving.read import WarehouseNotReady, build_info, open_published

    today = today_local()
    d_to = _parse_date(date_to, "to") or today
    d_from = _parse_date(date_from, "from") or d_to.replace(day=1)
    if d_from > d_to:
        fail(f"--from {d_from} is after --to {d_to}", code=2)
    dimension = by.value if by is not None and by.value in kpis.DIMENSIONS else None
    if grain is not None and by in (By.customer, By.month):
        fail(f"--grain cannot be combined with --by {by.value}", code=2)
    if kpi_names and dimension is None and grain is None:
        fail("--kpi needs --by region|category|grade|owner or --grain", code=2)
    try:
        with open_published() as con:
            info = build_info(con)
            reg = kpis.registry(con)
            period = {"from": d_from.isoformat(), "to": d_to.isoformat()}
            as_of = info["as_of"].isoformat() + "Z" if info.get("as_of") else None
            if dimension is not None or grain is not None:
                names = kpi_names or [
                    n for n in (kpis.HEADLINE if dimension else kpis.MONTHLY)
                    if dimension is None or dimension in reg[n].dimensions
                ]
                payload: dict[str, Any] = {
                    "period": period, "as_of": as_of, "build_id": info["build_id"],
                    "by": dimension, "grain": grain.value if grain else None,
                    "breakdown": _kpi_breakdown(
                        con, reg, names, dimension, grain.value if grain else None, d_from, d_to
                    ),
                }
            elif by is By.customer:
                rows = kpis.by_customer(con, d_to)
                payload = {
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
    except (LookupError, ValueError) as exc:
        fail(str(exc).strip("'\""), code=2)
        return
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    if "breakdown" in payload:
        _print_breakdown(payload)
        return
    _print_kpis(payload, {n for n, d in reg.items() if d.unit == "money"} | {"ltv", "margin_ltv"})


def _kpi_breakdown(
    con: Any,
    reg: dict[str, Any],
    names: list[str],
    dimension: str | None,
    grain: str | None,
    d_from: date,
    d_to: date,
) -> dict[str, Any]:
    """Per KPI: rows by member and/or period, each with previous period and last year."""
    from serving import kpis

    missing = [n for n in names if n not in reg]
    if missing:
        raise LookupError(f"KPI(s) not in the registry: {', '.join(missing)}")
    ranges = kpis.period_ranges(grain, d_from, d_to) if grain else [(None, d_from, d_to)]
    out: dict[str, Any] = {}
    for name in names:
        unit = reg[name].unit

        def numbers(r: dict[str, Any], unit: str = unit) -> dict[str, Any]:
            keys = ("value", "previous_value", "last_year_value")
            return {k: kpis.to_json_number(r[k], unit) for k in keys}

        if dimension is None:
            found = kpis.by_period(con, name, grain, d_from, d_to)
            rows = [{"period": r["period"]} | numbers(r) for r in found]
        else:
            rows = [
                ({"period": label} if grain else {})
                | {"member": r["member"], "label": r["label"]}
                | numbers(r)
                for label, lo, hi in ranges
                for r in kpis.by_dimension(con, name, dimension, lo, hi, grain=grain)
            ]
        out[name] = {"label": reg[name].label_en, "unit": unit, "rows": rows}
    return out


def _print_breakdown(payload: dict[str, Any]) -> None:
    span = f"{payload['period']['from']} → {payload['period']['to']} (as of {payload['as_of']})"
    cut = " and ".join(x for x in (payload["by"], payload["grain"]) if x)
    for block in payload["breakdown"].values():
        table = Table(title=f"{block['label']} by {cut}: {span}", show_edge=False)
        keys = [k for k in ("period", "label", "value", "previous_value", "last_year_value")
                if not block["rows"] or k in block["rows"][0]]
        for k in keys:
            header = {"label": payload["by"] or "", "previous_value": "previous period",
                      "last_year_value": "last year"}.get(k, k)
            table.add_column(header, justify="left" if k in {"period", "label"} else "right")
        money = block["unit"] == "money"
        for r in block["rows"]:
            table.add_row(*(_cell(r[k], money) for k in keys))
        out.print(table)


def _cell(v: Any, money: bool) -> str:
    if v is None:
        return "—"
    if isinstance(v, int | float):
        return f"{v:,.2f}" if money else f"{v:,}"
    return str(v)


def _print_kpis(payload: dict[str, Any], money: set[str]) -> None:
    """The table: money with its two decimals (KPI rows by name, other rows by column)."""
    title = f"{payload['period']['from']} → {payload['period']['to']} (as of {payload['as_of']})"
    if "kpis" in payload:
        rows = [{"kpi": k, "value": v} for k, v in payload["kpis"].items()]
    else:
        rows = payload.get("customers") or payload.get("months") or []
    table = Table(title=title, show_edge=False)
    for col in (rows[0].keys() if rows else ["kpi", "value"]):
        left = col in {"kpi", "month", "customer_code"}
        table.add_column(col, justify="left" if left else "right")
    for r in rows:
        table.add_row(*(_cell(v, (r.get("kpi") if k == "value" else k) in money)
                        for k, v in r.items()))
    out.print(table)


def _demo_password_users() -> list[str] | None:
    """Active usernames whose password is still ``demo`` (None: the store has no accounts yet)."""
    import bcrypt
    from sqlmodel import Session, select

    from operational.db import get_engine
    from operational.models import UserAccount

    try:
        with Session(get_engine(get_settings().store_url)) as s:
            rows = s.exec(select(UserAccount.username, UserAccount.password_hash)
                          .where(UserAccount.is_active == True)  # noqa: E712
                          .order_by(UserAccount.id)).all()
    except Exception:  # noqa: BLE001 - no store or no schema yet
        return None

    def is_demo(hashed: str) -> bool:
        try:
            return bcrypt.checkpw(b"demo", hashed.encode())
        except ValueError:
            return False

    return [name for name, hashed in rows if is_demo(hashed)]


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("new password", hide_input=True, confirmation_prompt=True)


def _account_call(fn: Any, **kwargs: Any) -> Any:
    from operational.db import get_engine, session_scope
    from operational.errors import NotFound, ValidationFailed

    try:
        with session_scope(get_engine(get_settings().store_url)) as s:
            account = fn(session=s, actor=os.environ.get("USER") or "mis", **kwargs)
            return account.username
    except ValidationFailed as exc:
        fail("; ".join(f"{k}: {v}" for k, v in exc.errors.items()), code=2)
    except NotFound as exc:
        fail(str(exc), code=2)


@user_app.command("set-password")
def user_set_password(
    username: Annotated[str, typer.Argument(help="The account's username.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (scripts).")] = False,
) -> None:
    """Set an account's password (at least 10 characters; asked twice, never echoed)."""
    from operational.services.accounts import set_password

    name = _account_call(set_password, username=username, password=_new_password(password_stdin))
    out.print(f"password changed for {name}")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Letters, digits and _.")],
    role: Annotated[str, typer.Option(help="executive, staff, analyst or admin.")],
    department: Annotated[str | None, typer.Option(
        help="sales, purchasing, warehouse, finance, service, admin or management "
             "(required for staff).")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the app.")] = None,
    employee_id: Annotated[int | None, typer.Option(
        help="The employee this account is (scopes 'my' records).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Create a sign-in account."""
    from operational.services.accounts import create_account

    data = {"username": username, "role": role, "department": department,
            "display_name": display_name, "employee_id": employee_id}
    name = _account_call(create_account, data=data, password=_new_password(password_stdin))
    out.print(f"account {name} created ({role}{f', {department}' if department else ''})")


@app.command("app")
def run_app(
    port: Annotated[int | None, typer.Option(help="Port (default MIS_APP_PORT or 8501).")] = None,
) -> None:
    """Start the dashboards on http://127.0.0.1:PORT (outside demo mode: only with a secret
    key and no account left on the demo password)."""
    from serving.paths import PROJECT_DIR

    settings = get_settings()
    demo_users = _demo_password_users()
    if not settings.demo:
        if settings.has_default_secret_key:
            fail("demo mode is off (MIS_DEMO_MODE=false) but MIS_SECRET_KEY is missing or a "
                 "default value: set a random key of at least 16 characters, e.g. "
                 "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`.")
        if demo_users:
            fail("demo mode is off but these active accounts still have the password 'demo': "
                 f"{', '.join(demo_users)}. Change their passwords or deactivate them first.")
    elif demo_users:
        out.print(f"demo mode: demo logins are active ({', '.join(demo_users)}; password "
                  "'demo'). Set MIS_DEMO_MODE=false and MIS_SECRET_KEY for real use.",
                  highlight=False)
    port = port or settings.app_port
    out.print(f"dashboards: [bold]http://127.0.0.1:{port}[/] (Ctrl+C to stop)")
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(PROJECT_DIR / "dashboards" / "app.py"),
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    env = os.environ | {"MIS_HOME": str(settings.resolved_home)}
    if settings.secret_key and not settings.has_default_secret_key:
        # By environment, not a flag: a flag would show the secret in the process list.
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = settings.secret_key.get_secret_value()
    # cwd: Streamlit reads the theme from .streamlit/config.toml in the working directory.
    try:
        code = subprocess.call(cmd, env=env, cwd=PROJECT_DIR)
    finally:
        _stop_dbt_worker(settings)
    raise typer.Exit(code)


def _stop_dbt_worker(settings: Settings) -> None:
    """The dashboards' and the scheduler's refreshes keep a dbt worker warm
    (serving/dbt_worker.py); when they stop, so does it, rather than idling out later."""
    from serving import dbt_worker

    if dbt_worker.stop(settings.warehouse_dir):
        out.print("stopped the warehouse's dbt worker", highlight=False)


@app.command()
def schedule(
    cron: Annotated[str, typer.Option(help="Incremental refresh schedule.")] = "*/15 * * * *",
    nightly: Annotated[str, typer.Option(help="Full rebuild schedule.")] = "30 2 * * *",
    port: Annotated[int, typer.Option(help="Port of the Prefect server started here.")] = 4200,
) -> None:
    """Serve scheduled refreshes: starts a Prefect server unless PREFECT_API_URL is set."""
    from flows.schedule import serve

    settings = get_settings()
    try:
        serve(cron=cron, nightly=nightly, timezone=settings.timezone, port=port)
    finally:
        _stop_dbt_worker(settings)


if __name__ == "__main__":
    app()
