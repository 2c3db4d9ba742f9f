"""A small published warehouse for the dashboard tests, built once and copied per module.

Building (seed small + refresh) takes ~30 s, so one "golden" home is built per test session
(per xdist worker) and each module gets its own copy: modules that write (forms) or refresh
(the browser test) never change what another module reads.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import dashboards  # noqa: F401 - project root on sys.path (serving)

PAGES = Path(__file__).resolve().parents[2] / "dashboards" / "app_pages"
APP = PAGES.parent / "app.py"

# The demo store's accounts (operational/demo/oa.py, seed 42), as the login puts them in
# st.session_state["user"]. Pages run signed in as the executive unless a test says otherwise.
DEMO_USERS: dict[str, dict[str, Any]] = {
    "boss": {"username": "boss", "display_name": "何磊", "role": "executive",
             "department": "management", "employee_id": 1},
    "sales1": {"username": "sales1", "display_name": "王文", "role": "staff",
               "department": "sales", "employee_id": 4},
    "warehouse1": {"username": "warehouse1", "display_name": "王鹏", "role": "staff",
                   "department": "warehouse", "employee_id": 20},
    "finance1": {"username": "finance1", "display_name": "董刚", "role": "staff",
                 "department": "finance", "employee_id": 24},
    "analyst": {"username": "analyst", "display_name": "数据分析师", "role": "analyst",
                "department": None, "employee_id": None},
    "admin": {"username": "admin", "display_name": "郭文", "role": "admin",
              "department": "admin", "employee_id": 32},
}
EXECUTIVE = DEMO_USERS["boss"]


def _use_home(mp: pytest.MonkeyPatch, home: Path) -> None:
    from operational.settings import get_settings

    mp.setenv("MIS_HOME", str(home))
    for name in ("MIS_DATABASE_URL", "MIS_DEMO_MODE", "MIS_DEMO", "MIS_SECRET_KEY"):
        mp.delenv(name, raising=False)  # the embedded demo store: demo mode on
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def golden_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the small demo store seeded (no warehouse)."""
    from operational import demo
    from operational.db import init_schema, make_engine
    from operational.settings import get_settings

    home = tmp_path_factory.mktemp("golden_store") / "mis_home"
    with pytest.MonkeyPatch.context() as mp:
        _use_home(mp, home)
        engine = make_engine(get_settings().store_url)
        init_schema(engine)
        demo.generate(engine=engine, scale="small", seed=42)
        engine.dispose()
    get_settings.cache_clear()
    return home


@pytest.fixture(scope="session")
def golden_home(golden_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded store plus a published warehouse built from it."""
    from operational.settings import get_settings
    from serving.refresh import run_refresh

    home = tmp_path_factory.mktemp("golden") / "mis_home"
    shutil.copytree(golden_store, home)
    with pytest.MonkeyPatch.context() as mp:
        _use_home(mp, home)
        report = run_refresh()
        assert report.status == "success"
    get_settings.cache_clear()
    return home


def _module_copy(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    import streamlit as st

    from operational.settings import get_settings

    home = tmp_path_factory.mktemp("dash") / "mis_home"
    shutil.copytree(source, home)
    with pytest.MonkeyPatch.context() as mp:
        _use_home(mp, home)
        st.cache_data.clear()
        yield home
    get_settings.cache_clear()
    st.cache_data.clear()


@pytest.fixture(scope="module")
def warehouse_home(golden_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """MIS_HOME set to this module's own copy of store + published warehouse."""
    yield from _module_copy(golden_home, tmp_path_factory)


@pytest.fixture(scope="module")
def store_home(golden_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """MIS_HOME set to this module's own copy of the seeded store (nothing published)."""
    yield from _module_copy(golden_store, tmp_path_factory)


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """MIS_HOME with nothing published (and no operational store)."""
    import streamlit as st

    home = tmp_path / "empty_home"
    _use_home(monkeypatch, home)
    st.cache_data.clear()
    yield home
    from operational.settings import get_settings

    get_settings.cache_clear()


def signed_in(at: Any, user: dict[str, Any] | None = EXECUTIVE) -> Any:
    """Put ``user`` in the AppTest's session as the login does (None: stay signed out)."""
    if user is not None:
        at.session_state["user"] = dict(user)
    return at


def run_page(path: Path | str, timeout: float = 120, **state: Any):
    """Run one page file (or the app) under AppTest, signed in as the executive unless
    ``user=`` says otherwise (``user=None``: signed out), session state preset, failing on
    exceptions."""
    from streamlit.testing.v1 import AppTest

    at = signed_in(AppTest.from_file(str(path), default_timeout=timeout),
                   state.pop("user", EXECUTIVE))
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def below(at: Any, key: str) -> Any:
    """The element drawn right after the widget ``key`` in the same container, or None."""

    def walk(block: Any) -> Any:
        children = list(getattr(block, "children", {}).values())
        for i, child in enumerate(children):
            if getattr(child, "key", None) == key:
                return children[i + 1] if i + 1 < len(children) else None
            found = walk(child)
            if found is not None:
                return found
        return None

    return walk(at._tree)
