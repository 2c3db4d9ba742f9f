"""`mis` gives clear errors and `--help` everywhere."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mis_cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [[], ["seed"], ["refresh"], ["kpi"], ["app"], ["schedule"], ["db", "upgrade"],
     ["user", "add"], ["user", "set-password"]],
)
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_kpi_without_a_warehouse_says_what_to_run(mis_home):
    result = runner.invoke(app, ["kpi", "--json"])
    assert result.exit_code == 1
    assert "No published warehouse" in result.output
    assert "mis refresh" in result.output


def test_kpi_rejects_bad_dates(mis_home):
    result = runner.invoke(app, ["kpi", "--from", "2026-13-01"])
    assert result.exit_code == 2
    assert "--from must be a date as YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["kpi", "--from", "2026-05-02", "--to", "2026-05-01"])
    assert result.exit_code == 2
    assert "is after" in result.output


def _publish_tiny_warehouse(home) -> None:
    """A published warehouse holding just what `mis kpi --by region` reads: the real
    registry, a build stamp, a few rpt_kpi_daily_dims cells and the region members."""
    import csv
    from datetime import datetime
    from pathlib import Path

    import duckdb

    from serving.publish import stamp_build

    registry = Path(__file__).resolve().parents[1] / "seeds" / "kpi_registry.csv"
    with registry.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    (home / "warehouse").mkdir(parents=True)
    con = duckdb.connect(str(home / "warehouse" / "published.duckdb"))
    try:
        stamp_build(con, build_id="tiny", as_of=datetime(2026, 3, 31), info={})
        con.execute("create schema reference")
        cols = list(rows[0])
        columns = ", ".join(f"{c} varchar" for c in cols)
        con.execute(f"create table reference.kpi_registry ({columns})")
        con.executemany(
            f"insert into reference.kpi_registry values ({', '.join('?' for _ in cols)})",
            [[r[c] or None for c in cols] for r in rows],
        )
        con.execute("create schema reports")
        con.execute(
            "create table reports.rpt_kpi_daily_dims (date_day date, customer_region varchar,"
            " product_category varchar, customer_grade varchar, owner_employee_code varchar,"
            " order_intake decimal(18, 2), turnover decimal(18, 2))"
        )
        con.execute(
            "insert into reports.rpt_kpi_daily_dims values"
            " ('2026-03-02', 'East', 'Tools', 'A', 'E001', 100.10, 90.00),"
            " ('2026-03-31', 'East', 'Pipes', 'B', 'E002', 0.01, 0.00),"
            " ('2026-03-15', 'North', 'Tools', 'A', 'E001', 250.00, 0.00),"
            " ('2026-02-28', 'East', 'Tools', 'A', 'E001', 40.00, 10.00),"
            " ('2025-03-31', 'North', 'Tools', 'A', 'E001', 7.50, 0.00),"
            " ('2026-04-01', 'North', 'Tools', 'A', 'E001', 999.00, 0.00)"
        )
        con.execute(
            "create table reports.rpt_dimension_members as select * from (values"
            " ('region', 'East', 'East'), ('region', 'North', 'North'),"
            " ('region', 'South', 'South'), ('region', 'unknown', 'unknown'))"
            " as m(dimension, member, member_label)"
        )
    finally:
        con.close()


def test_kpi_by_region_shows_members_with_previous_period_and_last_year(mis_home):
    import json

    _publish_tiny_warehouse(mis_home)
    args = ["kpi", "--by", "region", "--kpi", "order_intake", "--kpi", "turnover",
            "--from", "2026-03-01", "--to", "2026-03-31"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["by"] == "region" and payload["grain"] is None
    # members without a value in any of the three periods (South, unknown) are left out;
    # largest first; March compares with February and with March 2025
    assert payload["breakdown"]["order_intake"]["rows"] == [
        {"member": "North", "label": "North", "value": 250.0, "previous_value": 0.0,
         "last_year_value": 7.5},
        {"member": "East", "label": "East", "value": 100.11, "previous_value": 40.0,
         "last_year_value": 0.0},
    ]
    assert payload["breakdown"]["turnover"]["rows"] == [
        {"member": "East", "label": "East", "value": 90.0, "previous_value": 10.0,
         "last_year_value": 0.0},
    ]
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "Order intake by region" in text.output
    assert "100.11" in text.output and "previous period" in text.output


def test_kpi_by_region_and_month(mis_home):
    import json

    _publish_tiny_warehouse(mis_home)
    result = runner.invoke(app, ["kpi", "--json", "--by", "region", "--grain", "month",
                                 "--kpi", "order_intake", "--from", "2026-02-01",
                                 "--to", "2026-03-31"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["breakdown"]["order_intake"]["rows"]
    assert [(r["period"], r["member"], r["value"]) for r in rows] == [
        ("2026-02", "East", 40.0),
        ("2026-03", "North", 250.0),
        ("2026-03", "East", 100.11),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "category", "--kpi", "order_count"], "order_count cannot be cut by category"),
        (["--by", "region", "--kpi", "no_such_kpi"], "not in the registry: no_such_kpi"),
        (["--by", "customer", "--grain", "month"], "--grain cannot be combined with --by customer"),
        (["--kpi", "turnover"], "--kpi needs --by"),
    ],
)
def test_kpi_breakdown_errors(mis_home, args, message):
    _publish_tiny_warehouse(mis_home)
    result = runner.invoke(app, ["kpi", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_user_add_and_set_password_hash_with_bcrypt_and_keep_hashes_out_of_the_audit(mis_home):
    import bcrypt
    from sqlmodel import Session, select

    from operational.db import get_engine, init_schema
    from operational.models import AuditLog, UserAccount
    from operational.settings import get_settings

    engine = get_engine(get_settings().store_url)
    init_schema(engine)
    added = runner.invoke(app, ["user", "add", "clerk_1", "--role", "staff", "--department",
                                "finance", "--password-stdin"], input="first-password-1\n")
    assert added.exit_code == 0, added.output
    changed = runner.invoke(app, ["user", "set-password", "clerk_1", "--password-stdin"],
                            input="second-password-2\n")
    assert changed.exit_code == 0, changed.output
    with Session(engine) as s:
        account = s.exec(select(UserAccount).where(UserAccount.username == "clerk_1")).one()
        assert bcrypt.checkpw(b"second-password-2", account.password_hash.encode())
        assert not bcrypt.checkpw(b"first-password-1", account.password_hash.encode())
        audit = s.exec(select(AuditLog).where(AuditLog.table_name == "user_account")).all()
    assert [a.action for a in audit] == ["create", "password_changed"]
    assert all("password_hash" not in (a.after or {}) and "password_hash" not in (a.before or {})
               for a in audit)


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["user", "set-password", "nobody", "--password-stdin"], "long-enough-pw\n",
     "does not exist"),
    (["user", "add", "x1", "--role", "staff", "--password-stdin"], "long-enough-pw\n",
     "department: staff accounts need a department"),
    (["user", "add", "x2", "--role", "boss", "--password-stdin"], "long-enough-pw\n",
     "role: one of executive"),
    (["user", "add", "x3", "--role", "analyst", "--password-stdin"], "demo\n",
     "password: must be at least 10 characters and not a well-known password"),
])
def test_user_commands_refuse_bad_input_and_change_nothing(mis_home, args, stdin, message):
    from sqlmodel import Session, select

    from operational.db import get_engine, init_schema
    from operational.models import UserAccount
    from operational.settings import get_settings

    engine = get_engine(get_settings().store_url)
    init_schema(engine)
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    with Session(engine) as s:
        assert s.exec(select(UserAccount)).all() == []


def test_kpi_table_shows_money_with_its_cents():
    # seen in `make demo`: order intake printed as 3,636,341.7
    from mis_cli import main

    payload = {"period": {"from": "2026-11-01", "to": "2026-11-23"}, "as_of": "2026-11-23",
               "kpis": {"order_intake": 3636341.7, "on_time_delivery_rate": 0.9087,
                        "active_customers": 48}}
    with main.out.capture() as captured:
        main._print_kpis(payload, {"order_intake"})
    text = captured.get()
    assert "3,636,341.70" in text and "0.9087" in text
    assert "48.00" not in text and "0.91" not in text.replace("0.9087", "")


def test_stopping_the_dashboards_stops_the_warehouses_dbt_worker(mis_home, monkeypatch):
    import subprocess
    import time

    from operational.settings import get_settings
    from serving import dbt_worker

    warehouse = get_settings().warehouse_dir
    warehouse.mkdir(parents=True)
    dbt_worker._start(warehouse)  # as the dashboards' first refresh starts it

    deadline = time.monotonic() + 60
    while not dbt_worker.running(warehouse) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dbt_worker.running(warehouse) and dbt_worker.running(warehouse)
    monkeypatch.setattr(subprocess, "call", lambda *a, **k: 0)  # Streamlit, stopped at once
    monkeypatch.setattr("mis_cli.main._demo_password_users", lambda: [])

    result = runner.invoke(app, ["app", "--port", "8599"])

    assert result.exit_code == 0, result.output
    assert "stopped the warehouse's dbt worker" in result.output
    assert not dbt_worker.running(warehouse)
