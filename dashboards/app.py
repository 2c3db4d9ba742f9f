"""The dashboards' entry point: page config, sign-in, navigation over ``app_pages/`` limited
to the pages the signed-in user may see (``dashboards/auth.py``), shared sidebar.

Run with ``mis app`` (or ``streamlit run dashboards/app.py``). Each page also runs alone and
guards itself with ``auth.require_page``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

import dashboards  # noqa: F401 - puts the project root on sys.path for `serving`
from dashboards import auth, data, sidebar
from dashboards.i18n import t

PAGES = Path(__file__).with_name("app_pages")
# Menu sections: page name (file stem, and its name in auth.PAGES) and icon.
SECTIONS = {
    "nav.management": (("overview", ":material/dashboard:"), ("sales", ":material/storefront:"),
                       ("operations", ":material/local_shipping:"),
                       ("finance", ":material/account_balance:"),
                       ("office", ":material/approval:")),
    "nav.work": (("entry", ":material/edit_note:"), ("my_work", ":material/checklist:")),
    "nav.data": (("data_health", ":material/monitor_heart:"),),
}
HIDDEN = (("record", ":material/description:"),)  # opened by links (dashboards/links.py)
LANDING = ("overview", "my_work")  # the first of these the user may see opens first

st.set_page_config(page_title="MIS", page_icon=":material/insights:", layout="wide",
                   initial_sidebar_state="expanded")
# Tiles hold exact amounts (¥123,456,789.00): a slightly smaller value font keeps four a row.
# A constant stylesheet: no record value is ever put into st.html.
st.html("<style>[data-testid='stMetricValue']{font-size:1.85rem}"
        "[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>")

problem = auth.startup_problem()  # `streamlit run` directly, outside demo mode, no secret
if problem:
    st.error(problem, icon=":material/gpp_bad:")
    st.stop()

user = auth.current_user()
if user is None:
    sidebar.render_signed_out()
    # Every page's address shows the login while signed out (a link to /sales or
    # /record?table=…&id=… opened in a new tab), and keeps the address: after signing in the
    # same run of the app opens the page the link was for.
    def at(url_path: str) -> st.Page:
        return st.Page(functools.partial(auth.login_page), title=t("auth.page"),
                       icon=":material/login:", url_path=url_path, visibility="hidden")

    known = [name for entries in SECTIONS.values() for name, _ in entries]
    login = [st.Page(auth.login_page, title=t("auth.page"), icon=":material/login:",
                     url_path="login", default=True),
             *(at(name) for name in [*known, *(name for name, _ in HIDDEN)])]
    st.navigation(login, position="hidden").run()
    st.stop()

allowed = [name for name in auth.visible_pages(user) if (PAGES / f"{name}.py").exists()]
landing = next((name for name in LANDING if name in allowed), allowed[0] if allowed else None)


def page(name: str, icon: str, visibility: str = "visible") -> st.Page:
    return st.Page(PAGES / f"{name}.py", title=t(f"page.{name}"), icon=icon, url_path=name,
                   default=name == landing, visibility=visibility)  # type: ignore[arg-type]


sections = {
    t(title): [page(name, icon) for name, icon in entries if name in allowed]
    for title, entries in SECTIONS.items()
}
sections = {title: pages for title, pages in sections.items() if pages}
hidden = [page(name, icon, "hidden") for name, icon in HIDDEN if name in allowed]
if hidden:
    sections.setdefault(t("nav.work"), []).extend(hidden)
if not sections:  # a role with no page at all (should not happen with the matrix)
    sidebar.render_signed_out(user)
    st.error(t("auth.denied"), icon=":material/block:")
    st.stop()
nav = st.navigation(sections)
# A record link opened in a new tab starts a new session: the sign-in lands on "/" with the
# link's ?table=&id= still in the URL. Go on to the record the link was for.
wanted = {k: st.query_params.get(k) for k in ("table", "id")}
if all(wanted.values()) and nav.url_path != "record" and "record" in allowed:
    st.switch_page(next(p for p in hidden if p.url_path == "record"),
                   query_params={k: str(v) for k, v in wanted.items()})
with data.one_connection_per_run():
    sidebar.render(data.build_info(), user)
    nav.run()
