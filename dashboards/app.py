"""The dashboards' entry point: page config, navigation over ``app_pages/``, shared sidebar.

Run with ``mis app`` (or ``streamlit run dashboards/app.py``). Each page also runs alone.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import dashboards  # noqa: F401 - puts the project root on sys.path for `serving`
from dashboards import data, sidebar
from dashboards.i18n import t

PAGES = Path(__file__).with_name("app_pages")

st.set_page_config(page_title="MIS", page_icon=":material/insights:", layout="wide",
                   initial_sidebar_state="expanded")
# Tiles hold exact amounts (¥123,456,789.00): a slightly smaller value font keeps four a row.
st.html("<style>[data-testid='stMetricValue']{font-size:1.85rem}"
        "[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>")


def page(file: str, key: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(PAGES / file, title=t(key), icon=icon, url_path=file.removesuffix(".py"),
                   default=default)


sections = {
    t("nav.management"): [
        page("overview.py", "page.overview", ":material/dashboard:", default=True),
        page("sales.py", "page.sales", ":material/storefront:"),
        page("operations.py", "page.operations", ":material/local_shipping:"),
        page("finance.py", "page.finance", ":material/account_balance:"),
        page("office.py", "page.office", ":material/approval:"),
    ],
    t("nav.work"): [
        page("entry.py", "page.entry", ":material/edit_note:"),
        page("my_work.py", "page.my_work", ":material/checklist:"),
    ],
    t("nav.data"): [
        page("data_health.py", "page.data_health", ":material/monitor_heart:"),
    ],
}
nav = st.navigation(sections)
sidebar.render(data.build_info())
nav.run()
