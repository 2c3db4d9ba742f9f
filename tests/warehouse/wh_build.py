"""Build a warehouse in a temporary folder: sample store -> raw (DuckDB) -> dbt build."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from operational.db import init_schema, make_engine

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"


@dataclass
class WarehouseBuild:
    engine: Engine
    store_url: str
    duckdb_path: Path
    output: str


def dbt_env(duckdb_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MIS_DBT_DUCKDB_PATH": str(duckdb_path),
    }


def run_dbt(
    args: list[str], *, duckdb_path: Path, work: Path, as_of: str
) -> subprocess.CompletedProcess:
    cmd = [
        str(DBT),
        *args,
        "--project-dir",
        str(REPO),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        f"{{as_of_date: '{as_of}'}}",
    ]
    return subprocess.run(
        cmd, cwd=REPO, env=dbt_env(duckdb_path), capture_output=True, text=True, timeout=600
    )


def land(store_url: str, duckdb_path: Path) -> None:
    """Land with the real ingestion code when it is there, else with the test stand-in."""
    try:
        from ingestion.duck import connect
        from ingestion.landing import land as ingestion_land
    except ImportError:
        from raw_landing import land_sqlite

        land_sqlite(store_url.split("///", 1)[1], duckdb_path)
        return
    con = connect(duckdb_path)
    try:
        ingestion_land(con, store_url, full=True)
    finally:
        con.close()


def build(work: Path, populate, *, as_of: str) -> WarehouseBuild:
    store_url = f"sqlite:///{work / 'operational.sqlite'}"
    engine = make_engine(store_url)
    init_schema(engine)
    populate(engine)
    duckdb_path = work / "build.duckdb"
    land(store_url, duckdb_path)
    proc = run_dbt(["build"], duckdb_path=duckdb_path, work=work, as_of=as_of)
    if proc.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return WarehouseBuild(
        engine=engine, store_url=store_url, duckdb_path=duckdb_path, output=proc.stdout
    )
