"""The dbt project is sqlfluff clean (rules and exclusions with reasons in .sqlfluff)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_models_are_sqlfluff_clean(tmp_path):
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    env = os.environ | {
        "MIS_DBT_DUCKDB_PATH": str(tmp_path / "lint.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    result = subprocess.run(
        [str(sqlfluff), "lint", "models", "--disable-progress-bar"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
