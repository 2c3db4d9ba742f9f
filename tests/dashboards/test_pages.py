"""Every page runs alone under AppTest against a real warehouse, in both languages."""

from __future__ import annotations

import pytest

from tests.dashboards.conftest import PAGES, run_page

TITLES = {
    "overview.py": ("How the business is doing", "经营概况"),
    "sales.py": ("Sales & customers", "销售与客户"),
    "operations.py": ("Operations", "运营"),
    "finance.py": ("Finance", "财务"),
    "office.py": ("Office", "协同办公"),
    "entry.py": ("New records", "录入单据"),
    "my_work.py": ("My work", "我的工作"),
    "data_health.py": ("Data health", "数据健康"),
}


# Reached by links, not the menu; it needs ?table=&id= and is tested in test_record.py.
LINKED_ONLY = {"record.py"}


def test_every_page_file_is_listed():
    assert sorted(p.name for p in PAGES.glob("*.py")) == sorted({*TITLES, *LINKED_ONLY})


def test_record_page_alone_without_a_link_says_which_record_is_missing(warehouse_home):
    at = run_page(PAGES / "record.py")
    assert at.title[0].value == "Record"
    assert "No record chosen" in at.info[0].value
    assert not at.dataframe


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", sorted(TITLES))
def test_page_runs_alone_with_readable_tables(warehouse_home, page, lang):
    from dashboards.labels import COLUMNS

    at = run_page(PAGES / page, lang=lang, me=None)
    assert at.title[0].value == TITLES[page][lang == "zh"]
    for frame in at.dataframe:
        raw = [c for c in frame.value.columns if c not in COLUMNS]
        assert not raw, f"{page}: columns without a human label: {raw}"
    # every table offers both exports
    assert len(at.get("download_button")) == 2 * len(at.dataframe)


def test_sales_region_filter_narrows_the_customer_table(warehouse_home):
    from dashboards import data

    info = data.build_info()
    region = data.filter_options(info["build_id"])["region"][0]
    at = run_page(PAGES / "sales.py", period_preset="last_12_months")
    everyone = at.dataframe[0].value
    at.selectbox(key="sales_region").select(region).run()
    assert not at.exception
    narrowed = at.dataframe[0].value
    assert set(narrowed["region"]) == {region}
    assert 0 < len(narrowed) < len(everyone)


def test_data_health_lists_the_refresh_runs(warehouse_home):
    from serving.refresh import read_history

    runs = read_history()
    at = run_page(PAGES / "data_health.py")
    table = at.dataframe[0].value
    assert len(table) == len(runs) >= 1
    assert table["build_id"].iloc[0] == runs[0]["build_id"]
    assert table["status"].iloc[0] == "Succeeded"
    # what dbt rebuilt, in words (the history stores full / changed / skip)
    assert table["dbt_mode"].iloc[0] == {"full": "Everything", "changed": "What changed",
                                         "skip": "Nothing changed"}[runs[0]["dbt_mode"]]
    assert {m.label: m.value for m in at.metric}["Last refresh"] == "Succeeded"


def test_my_work_confirms_a_draft_order(warehouse_home):
    from dashboards import forms
    from dashboards.forms import session as session_scope
    from operational.models import SalesOrder

    draft = next(o for o in forms.draft_orders(None))
    with session_scope() as s:
        owner = s.get(SalesOrder, draft["id"]).owner_id
    at = run_page(PAGES / "my_work.py", me=owner)
    at.button(key=f"confirm_{draft['id']}").click().run()
    assert not at.exception
    assert draft["order_no"] in at.success[0].value
    with session_scope() as s:
        assert s.get(SalesOrder, draft["id"]).status == "confirmed"
    assert all(o["id"] != draft["id"] for o in forms.draft_orders(owner))


@pytest.mark.parametrize("page", sorted(TITLES))
def test_page_without_store_or_warehouse_explains_itself(empty_home, page):
    at = run_page(PAGES / page)
    shown = " ".join(e.value for e in [*at.info, *at.warning])
    if page in ("entry.py", "my_work.py"):
        assert "operational store is not ready" in shown
    elif page == "data_health.py":
        assert "No refresh has run yet" in shown
    else:
        assert at.title[0].value == "The numbers are not ready yet"
        assert "mis refresh" in shown
