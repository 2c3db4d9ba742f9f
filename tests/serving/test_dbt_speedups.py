"""serving/dbt_speedups.py: what the dbt worker changes in dbt, and that dbt still works.

Each check runs in a fresh interpreter, so the changes never reach this test process. Every
change must apply to the dbt this project pins: an upgrade that moves what they replace fails
here instead of quietly making every build slower. test_dbt_worker.py checks that the worker,
with them applied, builds what dbt untouched builds in a child process.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys

from serving import dbt_speedups
from serving.paths import PROJECT_DIR

CHECK = """
import json

import jinja2
import dbt.adapters.sql.connections as sql
from dbt.clients.jinja import get_rendered
from dbt_common.clients import agate_helper
from dbt_common.events.functions import get_event_manager
from dbt_common.events.types import Note
from serving import dbt_speedups

heard, compiled = [], []
get_event_manager().add_callback(lambda msg: heard.append(msg.info.name))
compile_source = jinja2.Environment.compile


def counted(self, source, *args, **kwargs):
    compiled.append(source)
    return compile_source(self, source, *args, **kwargs)


jinja2.Environment.compile = counted
TEMPLATE = "{{ x + 1 }}"


def render(values):
    return [get_rendered(TEMPLATE, {"x": x}) for x in values]


sql.fire_event(sql.SQLQuery(conn_name="c", sql="select 1", node_info={}))
before = {"rendered": render([1, 2]), "compiled": compiled.count(TEMPLATE)}
applied = dbt_speedups.apply()
sql.fire_event(sql.SQLQuery(conn_name="c", sql="select 2", node_info={}))
sql.fire_event(Note(msg="still heard"))
after = {"rendered": render([3, 4, 5]), "compiled": compiled.count(TEMPLATE) - before["compiled"]}
rows = [{"name": "a", "amount": 1.5, "day": "2026-11-24"}, {"name": "b", "amount": 2, "day": ""}]
first = agate_helper.table_from_data_flat(rows, ["name", "amount", "day"])
second = agate_helper.table_from_data_flat(list(reversed(rows)), ["name", "amount", "day"])
print(json.dumps({
    "applied": applied,
    "again": dbt_speedups.apply(),
    "muted": dbt_speedups.mute_unheard_events(),
    "heard": heard,
    "before": before,
    "after": after,
    "types": [type(t).__name__ for t in first.column_types],
    "values": [list(r) for r in second.rows],
    "same_tester": agate_helper.build_type_tester(["name"], string_null_values=())
    is agate_helper.build_type_tester({"name"}, string_null_values=()),
}, default=str))
"""


def _run(script: str) -> dict:
    """``script`` in a fresh interpreter; the JSON it printed last."""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=PROJECT_DIR, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@functools.cache
def _check() -> dict:
    """CHECK's findings, read once for the tests below (each only reads them)."""
    return _run(CHECK)


def test_all_four_apply_to_the_pinned_dbt_once() -> None:
    found = _check()
    assert found["applied"] == [
        f"muted {sum(len(n) for n in dbt_speedups.UNHEARD_EVENTS.values())} debug events",
        "type testers shared", "template code shared", "macro namespaces planned"]
    assert found["again"] == ["dbt untouched"] and found["muted"] == []


def test_only_the_debug_events_no_one_reads_are_muted() -> None:
    # the statement event before muting, and an info event after it
    assert _check()["heard"] == ["SQLQuery", "Note"]


def test_a_template_is_compiled_once_and_rendered_with_each_context() -> None:
    found = _check()
    assert found["before"] == {"rendered": ["2", "3"], "compiled": 2}
    assert found["after"] == {"rendered": ["4", "5", "6"], "compiled": 1}


def test_query_results_keep_their_types_with_a_shared_type_tester() -> None:
    found = _check()
    assert found["same_tester"] is True
    assert found["types"] == ["Text", "Number", "Text"]  # text columns stay text, as in dbt
    assert found["values"] == [["b", "2", ""], ["a", "1.5", "2026-11-24"]]


NAMESPACES = """
import json
from types import SimpleNamespace

from dbt.clients.jinja import MacroGenerator, MacroStack
from dbt.context.macros import MacroNamespace, MacroNamespaceBuilder
from serving import dbt_speedups


def macro(package, name):
    return SimpleNamespace(package_name=package, name=name, unique_id=f"macro.{package}.{name}")


# dbt's own macros, an adapter overriding one, the project overriding one, a package's own
macros = {
    "dbt": {n: macro("dbt", n) for n in ("run_query", "is_incremental", "ref", "get_columns")},
    "dbt_duckdb": {n: macro("dbt_duckdb", n) for n in ("get_columns", "duckdb__drop")},
    "mis": {n: macro("mis", n) for n in ("is_incremental", "keys_list")},
    "extra": {n: macro("extra", n) for n in ("keys_list", "helper")},
}
internal = ["dbt_duckdb", "dbt"]


def build(search_package, node):
    ctx, stack = {}, MacroStack()
    builder = MacroNamespaceBuilder("mis", search_package, stack, internal, node)
    namespace = builder.build_namespace(macros, ctx)
    resolved = {}
    for name in sorted(namespace):
        value = namespace[name]
        if isinstance(value, dict):
            value = {n: value[n].macro.unique_id for n in sorted(value)}
        else:
            assert type(value) is MacroGenerator, type(value)
            assert value.context is ctx and value.node is node and value.stack is stack, name
            value = value.macro.unique_id
        resolved[name] = value
    copied = {}
    copied.update(namespace)  # what ManifestContext.to_dict does
    assert sorted(copied) == sorted(resolved), (sorted(copied), sorted(resolved))
    assert isinstance(namespace, MacroNamespace)
    by_package = namespace.get_from_package("extra", "keys_list").macro.unique_id
    by_dbt = namespace.get_from_package("dbt", "get_columns").macro.unique_id
    return {"resolved": resolved, "by_package": by_package, "by_dbt": by_dbt,
            "type": type(namespace).__name__}


untouched = {p: build(p, "a node") for p in ("mis", "extra")}
applied = dbt_speedups.plan_macro_namespaces()
planned = {p: [build(p, node) for node in ("first node", "second node", None)]
           for p in ("mis", "extra")}
# dbt's Manifest.add_macro changes the mapping in place: a macro replaced, one added
macros["mis"]["keys_list"] = macro("mis", "keys_list")
macros["mis"]["keys_list"].unique_id = "macro.mis.keys_list.v2"
macros["mis"]["added_later"] = macro("mis", "added_later")
changed = [build("mis", node) for node in ("third node", "fourth node")]
print(json.dumps({"applied": applied, "again": dbt_speedups.plan_macro_namespaces(),
                  "untouched": untouched, "planned": planned, "changed": changed}))
"""


def test_a_planned_macro_namespace_resolves_every_name_as_dbt_does() -> None:
    found = _run(NAMESPACES)
    assert found["applied"] is True and found["again"] is False
    for package in ("mis", "extra"):
        dbt_built = found["untouched"][package]
        assert dbt_built["type"] == "MacroNamespace"
        first, *later = found["planned"][package]
        # the first namespace of a package is dbt's own (the plan is taken from it); the next
        # ones are laid out from the plan, each bound to its own context, node and stack
        assert first == dbt_built
        for built in later:
            assert built["type"] == "PlannedNamespace"
            assert {k: v for k, v in built.items() if k != "type"} == {
                k: v for k, v in dbt_built.items() if k != "type"}
    resolved = found["untouched"]["extra"]["resolved"]
    # a node of package "extra" sees its own keys_list; the project's wins over dbt's
    assert resolved["keys_list"] == "macro.extra.keys_list"
    assert resolved["is_incremental"] == "macro.mis.is_incremental"
    assert resolved["get_columns"] == "macro.dbt_duckdb.get_columns"
    assert found["untouched"]["mis"]["resolved"]["keys_list"] == "macro.mis.keys_list"
    # macros changed in place are seen at once, by dbt's own namespace and then by the plan
    # taken from it
    first, second = found["changed"]
    assert [first["type"], second["type"]] == ["MacroNamespace", "PlannedNamespace"]
    for built in (first, second):
        assert built["resolved"]["keys_list"] == "macro.mis.keys_list.v2"
        assert built["resolved"]["added_later"] == "macro.mis.added_later"
        assert built["resolved"]["mis"]["keys_list"] == "macro.mis.keys_list.v2"
