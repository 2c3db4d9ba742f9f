"""The executive overview under AppTest, against a real published warehouse."""

from __future__ import annotations

from datetime import date

import pytest

from tests.dashboards.conftest import APP, PAGES, run_page

OVERVIEW = PAGES / "overview.py"
TILES = ("turnover", "order_intake", "on_time_delivery_rate",
         "avg_customer_ltv", "gross_margin_rate", "active_customers")


def expected(date_from: date, date_to: date, lang: str = "en"):
    from dashboards import fmt
    from serving import kpis
    from serving.read import open_published

    with open_published() as con:
        reg = kpis.registry(con)
        now = kpis.evaluate(con, TILES, date_from, date_to)
        prev = kpis.evaluate(con, TILES, *kpis.previous_period(date_from, date_to))
    return [
        {
            "label": reg[n].label_zh if lang == "zh" else reg[n].label_en,
            "value": fmt.value(now[n], reg[n].unit, lang),
            "delta": fmt.delta(now[n], prev[n], reg[n].unit, lang),
            "formula": reg[n].formula,
            "raw": now[n],
        }
        for n in TILES
    ]


def test_tiles_show_the_registry_kpis_for_this_month(warehouse_home):
    from dashboards import components

    at = run_page(OVERVIEW)
    today = components.today()
    want = expected(today.replace(day=1), today)
    tiles = list(at.metric)[: len(TILES)]  # the "needs attention" counts follow the tiles
    got = [{"label": m.label, "value": m.value, "delta": m.delta, "help": m.help}
           for m in tiles]
    assert [g["label"] for g in got] == [w["label"] for w in want]
    assert [g["value"] for g in got] == [w["value"] for w in want]
    assert [g["delta"] for g in got] == [w["delta"] for w in want]
    for g, w in zip(got, want, strict=True):
        assert w["formula"] in g["help"]
    # The demo has orders this month: the money tiles are real amounts, not placeholders.
    assert got[1]["value"].startswith("¥") and want[1]["raw"] > 0


def test_custom_period_in_chinese(warehouse_home):
    from dashboards import components

    today = components.today()
    lo, hi = date(today.year - 1, 1, 1), date(today.year - 1, 3, 31)
    at = run_page(OVERVIEW, lang="zh", period_preset="custom", period_custom=(lo, hi))
    want = expected(lo, hi, "zh")
    tiles = list(at.metric)[: len(TILES)]  # the "needs attention" counts follow the tiles
    assert [m.label for m in tiles] == [w["label"] for w in want]
    assert [m.value for m in tiles] == [w["value"] for w in want]
    assert at.title[0].value == "经营概况"


def test_trend_chart_covers_twelve_months(warehouse_home):
    import json

    at = run_page(OVERVIEW)
    chart = at.get("plotly_chart")[0]
    fig = json.loads(chart.proto.spec)
    names = [trace["name"] for trace in fig["data"]]
    assert names == ["Order intake", "Turnover", "On-time delivery"]
    assert all(len(trace["x"]) == 12 for trace in fig["data"])
    assert fig["data"][2]["yaxis"] == "y2"


@pytest.mark.parametrize("page", [OVERVIEW, APP])
def test_no_warehouse_yet_is_a_friendly_page(empty_home, page):
    at = run_page(page)
    assert not at.metric
    assert at.title[0].value == "The numbers are not ready yet"
    assert "Refresh warehouse now" in at.info[0].value


def test_overview_shows_the_warehouse_findings_by_kind(warehouse_home):
    """Executives see how many findings of each kind the write-back turned into tasks."""
    import duckdb

    from writeback.rules import RULES

    path = warehouse_home / "warehouse" / "published.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    expected = dict(
        con.execute("select rule, count(*) from actions.rpt_action_findings group by 1").fetchall()
    )
    con.close()
    assert sum(expected.values()) > 0  # the demo has findings: the test can fail
    at = run_page(OVERVIEW)
    shown = {m.label: m.value for m in at.metric}
    for name, rule in RULES.items():
        assert shown[rule.label] == f"{expected.get(name, 0):,}"


def test_region_and_owner_filters_cut_every_tile_and_the_trend(warehouse_home):
    """Filters apply to the headline tiles (all six support region, category and owner)."""
    from dashboards import components, data, fmt, periods
    from serving import kpis
    from serving.read import open_published

    info = data.build_info()
    options = data.filter_options(info["build_id"])
    region = options["region"][0]
    owner_id, _ = options["owner"][0]
    at = run_page(OVERVIEW, period_preset="last_12_months")
    everyone = [m.value for m in list(at.metric)[: len(TILES)]]
    at.selectbox(key="overview_region").select(region).run()
    at.selectbox(key="overview_owner").select(owner_id).run()
    assert not at.exception
    date_from, date_to = periods.resolve("last_12_months", components.today())
    dims = {"region": region, "owner": options["owner_code"][owner_id]}
    with open_published() as con:
        reg = kpis.registry(con)
        want = kpis.evaluate(con, TILES, date_from, date_to, dims)
    got = [m.value for m in list(at.metric)[: len(TILES)]]
    assert got == [fmt.value(want[n], reg[n].unit, "en") for n in TILES]
    assert got != everyone  # the cut changed the numbers
    assert not [c.value for c in at.caption if "not split by" in c.value]


def test_a_tile_without_change_is_grey_without_an_arrow(warehouse_home):
    """Overdue tasks count what is overdue at the build, the same for this period and the
    last: "+0.0%" with a red arrow read as a worsening. Changed tiles keep their colour."""
    from dashboards import components, fmt
    from serving import kpis
    from serving.read import open_published

    today = components.today()
    lo = today.replace(day=1)
    with open_published() as con:
        reg = kpis.registry(con)
        now = kpis.evaluate(con, ["overdue_tasks", "pending_approvals"], lo, today)
        prev = kpis.evaluate(con, ["overdue_tasks", "pending_approvals"],
                             *kpis.previous_period(lo, today))
    assert now["overdue_tasks"] == prev["overdue_tasks"] and now["overdue_tasks"] > 0
    at = run_page(PAGES / "office.py")
    tiles = {m.label: m for m in at.metric}
    overdue = tiles[reg["overdue_tasks"].label_en]
    assert overdue.proto.color == overdue.proto.GRAY
    assert overdue.proto.direction == overdue.proto.NONE
    if now["pending_approvals"] != prev["pending_approvals"]:
        pending = tiles[reg["pending_approvals"].label_en]
        assert pending.proto.color in (pending.proto.RED, pending.proto.GREEN)
        assert pending.delta == fmt.delta(now["pending_approvals"], prev["pending_approvals"],
                                          "count")
