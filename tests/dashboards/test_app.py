"""The app shell under AppTest: navigation, shared sidebar, language, period, refresh."""

from __future__ import annotations

import pytest

from tests.dashboards.conftest import APP, run_page


def sidebar_text(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_app_opens_on_the_overview_with_the_build_in_the_sidebar(warehouse_home):
    from dashboards import data

    info = data.build_info()
    at = run_page(APP)
    assert at.title[0].value == "How the business is doing"
    # six KPI tiles, then one count per write-back rule under "Needs attention"
    from writeback.rules import RULES

    assert len(at.metric) == 6 + len(RULES)
    assert [m.label for m in at.metric][:2] == ["Turnover", "Order intake"]
    assert info["build_id"] in sidebar_text(at)
    assert "Numbers as of" in sidebar_text(at)


def test_language_switch_relabels_everything(warehouse_home):
    at = run_page(APP)
    at.sidebar.segmented_control(key="lang").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "经营概况"
    assert at.metric[0].label == "营业额"
    assert at.sidebar.button(key="refresh_now").label == "立即刷新数据仓库"
    assert at.query_params["lang"] in ("zh", ["zh"])  # kept in the URL for sharing


def test_period_preset_drives_the_tiles(warehouse_home):
    from dashboards import components, fmt, periods
    from serving import kpis
    from serving.read import open_published

    at = run_page(APP)
    at.sidebar.selectbox(key="period_preset").select("last_month").run()
    lo, hi = periods.resolve("last_month", components.today())
    with open_published() as con:
        want = kpis.evaluate(con, ["turnover"], lo, hi)["turnover"]
    assert at.metric[0].value == fmt.money(want)
    assert fmt.day(lo) in sidebar_text(at)


def test_switching_pages_keeps_the_sidebar(warehouse_home):
    at = run_page(APP)
    at.switch_page("app_pages/finance.py").run()
    assert not at.exception
    assert at.title[0].value == "Finance"
    assert at.sidebar.button(key="refresh_now")


def test_refresh_while_another_runs_says_so(warehouse_home):
    from operational.settings import get_settings
    from serving.lock import writer_lock

    at = run_page(APP)
    with writer_lock(get_settings().warehouse_dir / "refresh.lock"):
        at.sidebar.button(key="refresh_now").click().run()
    assert not at.exception
    assert "Another refresh is running" in at.sidebar.warning[0].value


@pytest.mark.slow
def test_refresh_button_publishes_a_new_build(warehouse_home):
    from dashboards import data

    before = data.build_info()["build_id"]
    at = run_page(APP, timeout=300)
    at.sidebar.button(key="refresh_now").click().run()
    assert not at.exception
    messages = [m.value for m in [*at.sidebar.success, *at.sidebar.error, *at.sidebar.warning]]
    after = data.build_info()["build_id"]
    assert after != before, messages
    assert after != before
    assert at.sidebar.success[0].value == f"Warehouse refreshed: build {after}"
    assert after in sidebar_text(at)


def test_a_record_link_opened_in_a_new_session_lands_on_that_record(warehouse_home):
    """A link opened in a new tab signs in first; the app then opens the linked record."""
    from streamlit.testing.v1 import AppTest

    from dashboards.forms import session
    from operational.models import Customer
    from tests.dashboards.conftest import signed_in

    with session() as s:
        customer = s.get(Customer, 1)
        expected = f"{customer.code} · {customer.name}"
    at = signed_in(AppTest.from_file(str(APP), default_timeout=120))
    at.query_params["table"] = "customer"
    at.query_params["id"] = "1"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == expected
