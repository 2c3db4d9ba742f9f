"""One warehouse build per test session, shared by the warehouse tests (dbt build ~20 s)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# helper modules of this folder (no package: tests/ is a rootdir-style test tree)
sys.path.insert(0, str(Path(__file__).parent))

import sample_store  # noqa: E402
from wh_build import WarehouseBuild, build  # noqa: E402


@pytest.fixture(scope="session")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseBuild]:
    work = tmp_path_factory.mktemp("warehouse")
    built = build(work, sample_store.populate, as_of=sample_store.AS_OF.isoformat())
    try:
        yield built
    finally:
        built.engine.dispose()
