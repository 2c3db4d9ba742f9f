"""The same project builds on PostgreSQL and gives the same numbers as on DuckDB.

Lands the sample store's raw tables into schema ``raw`` of a fresh PostgreSQL database,
runs ``dbt build --target postgres`` and compares every report table with the DuckDB build.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import duckdb
import pytest
from raw_landing import _ext, copy_raw_to_postgres
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from wh_build import DBT, REPO, WarehouseBuild, dbt_env

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PG_ADMIN_URL = os.environ.get(
    "MIS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REPORTS = [
    "rpt_kpi_daily",
    "rpt_kpi_daily_dims",
    "rpt_customer_sales_daily",
    "rpt_customer_sales_daily_dims",
    "rpt_customer_first_orders_dims",
    "rpt_receivables_daily_dims",
    "rpt_dimension_members",
    "rpt_sales_monthly",
    "rpt_inventory_monthly",
    "rpt_crm_monthly",
    "rpt_receivables_ageing",
    "rpt_lead_to_cash",
]


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


@pytest.fixture(scope="module")
def pg_build(wh: WarehouseBuild, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests, but {PG_ADMIN_URL} is not reachable")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"mis_dbt_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = make_url(PG_ADMIN_URL)
    dsn = (
        f"dbname={name} host={url.host or '127.0.0.1'} port={url.port or 5432} user={url.username}"
    )
    try:
        copy_raw_to_postgres(wh.duckdb_path, dsn)
        work = tmp_path_factory.mktemp("warehouse_pg")
        env = {**dbt_env(wh.duckdb_path), "MIS_DBT_PG_DATABASE": name}
        proc = subprocess.run(
            [
                str(DBT),
                "build",
                "--target",
                "postgres",
                "--project-dir",
                str(REPO),
                "--target-path",
                str(work / "target"),
                "--log-path",
                str(work / "logs"),
                "--vars",
                "{as_of_date: '2025-03-31'}",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout[-6000:]
        assert "WARN=0" in proc.stdout and "ERROR=0" in proc.stdout
        yield dsn
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@pytest.mark.parametrize("table", REPORTS)
def test_reports_equal_on_both_adapters(wh: WarehouseBuild, pg_build: str, table: str) -> None:
    con = duckdb.connect()
    try:
        con.execute("SET autoinstall_known_extensions=false")
        con.execute(f"LOAD '{_ext('postgres_scanner')}'")
        con.execute(f"ATTACH '{wh.duckdb_path}' AS d (READ_ONLY)")
        con.execute(f"ATTACH '{pg_build}' AS p (TYPE postgres, READ_ONLY)")
        n = con.execute(f"select count(*) from d.reports.{table}").fetchone()[0]
        diff = (
            "select count(*) from"
            " (select * from {0}.reports.{2} except select * from {1}.reports.{2})"
        )
        only_duck = con.execute(diff.format("d", "p", table)).fetchone()[0]
        only_pg = con.execute(diff.format("p", "d", table)).fetchone()[0]
    finally:
        con.close()
    assert n > 0
    assert (only_duck, only_pg) == (0, 0)
