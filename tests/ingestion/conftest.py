"""Fixtures of the ingestion tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingestion.duck import connect


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse file to land into."""
    con = connect(tmp_path / "build.duckdb")
    yield con
    con.close()
