"""Three costs dbt pays per node that buy nothing in the dbt worker, removed there only.

An incremental refresh at large runs ~180 dbt nodes (32 models, ~150 data tests) on a
warehouse that is mostly unchanged, and holds Python's GIL nearly all the time it runs: dbt's
own bookkeeping per node, not the SQL, is what it waits on. Three parts of that bookkeeping are
pure waste in the worker (serving/dbt_worker.py):

- **debug events no one reads** (``mute_unheard_events``): three per SQL statement and four
  per node, each converted to a protobuf message field by field before a logger drops it;
- **agate type testers built per query result** (``share_type_testers``): a result with a
  text column gets a new TypeTester, whose date types each build a parsedatetime calendar
  (locale regexes compiled anew), for every ``run_query`` and every test's result;
- **Jinja templates compiled per node** (``share_template_code``): each node's SQL and each
  test's arguments are compiled from source in a new Jinja environment, every build, though
  the same sources come back every build of the same project.

Each is applied once, when the worker starts, and only if dbt's modules still look as this
code expects (dbt is pinned in requirements.lock; tests/serving/test_dbt_speedups.py fails on
an upgrade that moves them). Builds by hand and ``MIS_DBT_WORKER=0`` run dbt untouched, and
test_dbt_worker.py checks the worker builds the same warehouse as such a child process.
"""

from __future__ import annotations

import functools
import importlib
import threading
from typing import Any

# dbt's debug events about each SQL statement and connection (three per statement: the
# connection used, the statement with its node's details, its status) and about each node
# (started, compiling, executing, finished: each carries the node's details).
UNHEARD_EVENTS = {
    "dbt.adapters.sql.connections": ("ConnectionUsed", "SQLQuery", "SQLQueryStatus", "SQLCommit"),
    "dbt.adapters.base.connections": ("NewConnection", "ConnectionReused", "ConnectionClosed",
                                      "ConnectionLeftOpen"),
    "dbt.adapters.contracts.connection": ("NewConnectionOpening",),
    "dbt.task.runnable": ("NodeStart", "NodeFinished"),
    "dbt.task.base": ("NodeCompiling", "NodeExecuting"),
}


class _Unheard:
    """Stands in for a debug event no one reads: built for nothing, fired to no one."""

    def __init__(self, **_: Any) -> None:
        pass


def mute_unheard_events() -> list[str]:
    """Make dbt's per-statement and per-node debug events free in the worker; returns those
    muted.

    dbt builds every event as a protobuf message, field by field in pure Python, before any
    logger decides to drop it: for the ~1,500 statements of an incremental build at large,
    about 1 s, all of it holding the GIL that the build is bound by. In the worker nothing
    reads them: dbt runs with --log-level none (so no dbt.log either) and ``forward`` passes
    on info and above. Only debug-level events are muted, and only in the worker's process;
    if dbt's modules no longer look as expected, nothing is changed.
    """
    from dbt_common.events.base_types import EventLevel

    muted: list[str] = []
    for module_name, names in UNHEARD_EVENTS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        fire = getattr(module, "fire_event", None)
        found = [n for n in names if isinstance(getattr(module, n, None), type)]
        if fire is None or getattr(fire, "mutes_unheard", False) or not found:
            continue
        for name in found:
            if getattr(module, name)().level_tag() == EventLevel.DEBUG:
                setattr(module, name, _Unheard)
                muted.append(f"{module_name}.{name}")

        def fire_heard(event: Any, *args: Any, _fire: Any = fire, **kwargs: Any) -> None:
            if not isinstance(event, _Unheard):
                _fire(event, *args, **kwargs)

        fire_heard.mutes_unheard = True  # type: ignore[attr-defined]
        setattr(module, "fire_event", fire_heard)  # noqa: B010 - a module mypy cannot see into
    return muted


def share_type_testers() -> bool:
    """One agate TypeTester per set of text columns, not one per query result (it keeps no
    state between runs: dbt's own default tester is shared the same way)."""
    try:
        from dbt_common.clients import agate_helper
    except ImportError:
        return False
    build = getattr(agate_helper, "build_type_tester", None)
    if build is None or getattr(build, "shared", False):
        return False

    @functools.lru_cache(maxsize=256)
    def cached(text_columns: frozenset[str], string_null_values: tuple[str, ...] | None) -> Any:
        return build(sorted(text_columns), string_null_values=string_null_values)

    def build_shared(text_columns: Any, string_null_values: Any = ("null", "")) -> Any:
        nulls = None if string_null_values is None else tuple(string_null_values)
        return cached(frozenset(text_columns), nulls)

    build_shared.shared = True  # type: ignore[attr-defined]
    setattr(agate_helper, "build_type_tester", build_shared)  # noqa: B010
    return True


def share_template_code() -> bool:
    """Compile each distinct template source once per worker (as Jinja's own cache does for
    named templates) in one environment per kind, and bind it to each node's context anew.
    Templates that capture macros (their environment depends on the node) are left alone."""
    try:
        from dbt_common.clients import jinja
    except ImportError:
        return False
    original = getattr(jinja, "get_template", None)
    if original is None or getattr(original, "shared", False) or not all(
        hasattr(jinja, name) for name in ("get_environment", "catch_jinja")
    ):
        return False
    environments: dict[bool, Any] = {}
    code: dict[tuple[bool, str], Any] = {}
    lock = threading.Lock()

    def get_template(string: Any, ctx: Any, node: Any = None, capture_macros: bool = False,
                     native: bool = False) -> Any:
        if capture_macros:
            return original(string, ctx, node, capture_macros, native)
        with jinja.catch_jinja(node):
            source = str(string)
            with lock:
                env = environments.get(native)
                if env is None:
                    env = environments[native] = jinja.get_environment(None, False, native)
                compiled = code.get((native, source))
            if compiled is None:
                compiled = env.compile(source)
                with lock:
                    if len(code) > 20_000:
                        code.clear()
                    code[(native, source)] = compiled
            return env.template_class.from_code(env, compiled, env.make_globals(ctx), None)

    get_template.shared = True  # type: ignore[attr-defined]
    # dbt's own renderer imported the function by name: both bindings are replaced.
    for module_name in ("dbt_common.clients.jinja", "dbt.clients.jinja"):
        module = importlib.import_module(module_name)
        if getattr(module, "get_template", None) is original:
            setattr(module, "get_template", get_template)  # noqa: B010
    return True


def apply() -> list[str]:
    """Apply all three; returns what was applied, for the worker's log."""
    muted = mute_unheard_events()
    applied = [f"muted {len(muted)} debug events"] if muted else []
    if share_type_testers():
        applied.append("type testers shared")
    if share_template_code():
        applied.append("template code shared")
    return applied or ["dbt untouched"]
