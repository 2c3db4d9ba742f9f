"""Four costs dbt pays per node that buy nothing in the dbt worker, removed there only.

An incremental refresh at large runs ~180 dbt nodes (32 models, ~150 data tests) on a
warehouse that is mostly unchanged, and holds Python's GIL nearly all the time it runs: dbt's
own bookkeeping per node, not the SQL, is what it waits on. Four parts of that bookkeeping are
pure waste in the worker (serving/dbt_worker.py):

- **debug events no one reads** (``mute_unheard_events``): three per SQL statement, four
  per node and one per relation dbt caches, each converted to a protobuf message field by
  field before a logger drops it;
- **agate type testers built per query result** (``share_type_testers``): a result with a
  text column gets a new TypeTester, whose date types each build a parsedatetime calendar
  (locale regexes compiled anew), for every ``run_query`` and every test's result;
- **Jinja templates compiled per node** (``share_template_code``): each node's SQL and each
  test's arguments are compiled from source in a new Jinja environment, every build, though
  the same sources come back every build of the same project;
- **macro namespaces sorted out per context** (``plan_macro_namespaces``): every context
  dbt builds files all ~550 macros of the manifest by package anew and copies them into the
  context name by name, though the outcome differs only in what the generators are bound to.

Each is applied once, when the worker starts, and only if dbt's modules still look as this
code expects (dbt is pinned in requirements.lock; tests/serving/test_dbt_speedups.py fails on
an upgrade that moves them). Builds by hand and ``MIS_DBT_WORKER=0`` run dbt untouched, and
test_dbt_worker.py checks the worker builds the same warehouse as such a child process.
"""

from __future__ import annotations

import functools
import importlib
import operator
import threading
from typing import Any

# dbt's debug events about each SQL statement and connection (three per statement: the
# connection used, the statement with its node's details, its status) and about each node
# (started, compiling, executing, finished: each carries the node's details).
UNHEARD_EVENTS = {
    "dbt.adapters.sql.connections": ("ConnectionUsed", "SQLQuery", "SQLQueryStatus", "SQLCommit"),
    "dbt.adapters.base.connections": ("NewConnection", "ConnectionReused", "ConnectionClosed",
                                      "ConnectionLeftOpen", "Rollback"),
    "dbt.adapters.contracts.connection": ("NewConnectionOpening",),
    "dbt.task.runnable": ("NodeStart", "NodeFinished"),
    "dbt.task.base": ("NodeCompiling", "NodeExecuting"),
    # each relation added to, renamed in or dropped from dbt's cache of the warehouse
    "dbt.adapters.cache": ("CacheAction",),
    # each node's compiled SQL written to target/compiled (the file is still written)
    "dbt.compilation": ("WritingInjectedSQLForNode",),
    # the log() macro's debug messages (incremental models log their schema check)
    "dbt.context.base": ("JinjaLogDebug",),
}


class _Unheard:
    """Stands in for a debug event no one reads: built for nothing, fired to no one."""

    def __init__(self, **_: Any) -> None:
        pass


def mute_unheard_events() -> list[str]:
    """Make the debug events of ``UNHEARD_EVENTS`` (per statement, per node, per cached
    relation) free in the worker; returns those muted.

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


# What MacroNamespaceBuilder's MacroGenerator holds: the macro, the node's context, the node
# and the node's macro stack. A dbt whose generators hold more is left alone.
_GENERATOR_FIELDS = ("context", "macro", "node", "stack")


def plan_macro_namespaces() -> bool:
    """Lay out each context's macro namespace from a plan made once per project and package,
    and flatten it into the context at dict speed.

    For every context it builds (two per data test, two per model, one per adapter macro
    call: ~600 in an incremental build at large), dbt walks all ~550 macros of the
    manifest, creates a generator for each through three constructors, files it by package,
    and then copies the namespace into the context key by key through a generator of
    dictionaries: together ~1 s of the build's GIL time. The first namespace for a manifest's
    macros, project and package is built by dbt; the plan taken from it (which generator goes
    under which names) lays out the next ones: the same names, new generators bound to the
    new context, node and stack. The namespace is a dict of the names as dbt resolves them
    (node's package first, then the project, packages, dbt), so ``context.update`` copies it
    in C, and a MacroNamespace too, for ``get_from_package``.
    """
    try:
        from dbt.clients.jinja import MacroGenerator
        from dbt.context import macros
    except ImportError:
        return False
    builder_class = getattr(macros, "MacroNamespaceBuilder", None)
    namespace_class = getattr(macros, "MacroNamespace", None)
    original = getattr(builder_class, "build_namespace", None)
    if original is None or namespace_class is None or getattr(original, "planned", False):
        return False

    class PlannedNamespace(dict, namespace_class):  # type: ignore[misc,valid-type]
        """dbt's MacroNamespace whose keys are its names already resolved."""

        def __init__(self, flat: dict[str, Any], local_namespace: dict[str, Any],
                     global_namespace: dict[str, Any], global_project_namespace: dict[str, Any],
                     packages: dict[str, Any]) -> None:
            dict.__init__(self, flat)
            self.local_namespace, self.global_namespace = local_namespace, global_namespace
            self.global_project_namespace, self.packages = global_project_namespace, packages

    plans: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()
    make = object.__new__

    def take_plan(namespace: Any, builder: Any, ctx: Any) -> Any:
        """(the macros, and for each of the namespace's dictionaries its (name, index of the
        macro) pairs) from dbt's own namespace; None when its generators are not what this
        code lays out."""
        index: dict[int, int] = {}
        found: list[Any] = []

        def layout(names: dict[str, Any]) -> list[tuple[str, int]]:
            out = []
            for name, generator in names.items():
                if (type(generator) is not MacroGenerator
                        or tuple(sorted(vars(generator))) != _GENERATOR_FIELDS
                        or generator.context is not ctx or generator.node is not builder.node
                        or generator.stack is not builder.thread_ctx):
                    raise LookupError(name)
                if id(generator) not in index:
                    index[id(generator)] = len(found)
                    found.append(generator.macro)
                out.append((name, index[id(generator)]))
            return out

        try:
            return found, (
                layout(namespace.local_namespace),
                layout(namespace.global_namespace),
                layout(namespace.global_project_namespace),
                {package: layout(names) for package, names in namespace.packages.items()},
            )
        except LookupError:
            return None

    def build_namespace(self: Any, macros_by_package: Any, ctx: Any) -> Any:
        key = (self.root_package, self.search_package, tuple(self.internal_package_names_order))
        # dbt's Manifest.add_macro changes the mapping in place (a parse adds or replaces
        # macros in it): a plan holds only while the mapping holds the very same macros.
        now = [macro for names in macros_by_package.values() for macro in names.values()]
        with lock:
            entry = plans.get(key)
        if (entry is None or entry[0] is not macros_by_package or len(entry[1]) != len(now)
                or not all(map(operator.is_, entry[1], now))):
            namespace = original(self, macros_by_package, ctx)
            with lock:
                # one manifest's macros at a time: a worker that parsed again drops the plans
                # for the old one
                if any(kept is not macros_by_package for kept, _, _ in plans.values()):
                    plans.clear()
                plans[key] = (macros_by_package, now, take_plan(namespace, self, ctx))
            return namespace
        plan = entry[2]
        if plan is None:
            return original(self, macros_by_package, ctx)
        found, (local, root, internal, packages) = plan
        node, stack = self.node, self.thread_ctx
        generators = []
        for macro in found:
            generator = make(MacroGenerator)
            generator.__dict__ = {"context": ctx, "macro": macro, "node": node, "stack": stack}
            generators.append(generator)
        local_ns = {name: generators[i] for name, i in local}
        root_ns = {name: generators[i] for name, i in root}
        internal_ns = {name: generators[i] for name, i in internal}
        packages_ns = {package: {name: generators[i] for name, i in names}
                       for package, names in packages.items()}
        # MacroNamespace.__getitem__'s search order, lowest first, so the first found wins
        flat = dict(internal_ns)
        flat[macros.GLOBAL_PROJECT_NAME] = internal_ns
        flat.update(packages_ns)
        flat.update(root_ns)
        flat.update(local_ns)
        return PlannedNamespace(flat, local_ns, root_ns, internal_ns, packages_ns)

    build_namespace.planned = True  # type: ignore[attr-defined]
    builder_class.build_namespace = build_namespace  # type: ignore[union-attr]
    return True


def apply() -> list[str]:
    """Apply all four; returns what was applied, for the worker's log."""
    muted = mute_unheard_events()
    applied = [f"muted {len(muted)} debug events"] if muted else []
    if share_type_testers():
        applied.append("type testers shared")
    if share_template_code():
        applied.append("template code shared")
    if plan_macro_namespaces():
        applied.append("macro namespaces planned")
    return applied or ["dbt untouched"]
