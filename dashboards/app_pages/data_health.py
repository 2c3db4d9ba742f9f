"""Data health: how fresh the published numbers are, every refresh run, landing cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, data, fmt
from dashboards import components as ui
from dashboards.i18n import t
from operational.settings import get_settings

auth.require_page("data_health")

STALE_HOURS = 24

lang, tz = ui.lang(), get_settings().timezone
ui.page_header("page.data_health", t("health.caption"))
info = data.build_info()
history = data.run_history()

c1, c2, c3 = st.columns(3)
if info is None:
    c1.metric(t("health.published"), t("sidebar.no_build"), border=True)
else:
    as_of = info["as_of"].replace(tzinfo=UTC)
    age_h = (datetime.now(UTC) - as_of).total_seconds() / 3600
    c1.metric(t("health.published"), fmt.moment(as_of, lang, tz), border=True,
              help=t("health.build", build=info["build_id"]))
    c2.metric(t("health.age"), fmt.duration(age_h, "hours", lang), border=True)
    if age_h > STALE_HOURS:
        st.warning(t("health.stale", hours=STALE_HOURS), icon=":material/schedule:")
if not history.empty:
    last = history.iloc[0]
    c3.metric(t("health.last_run"), t(f"status.{last['status']}"), border=True,
              help=fmt.moment(last["started_at"], lang, tz))
    if last["status"] == "failed":
        st.error(t("health.last_failed", error=last["error"]), icon=":material/error:")

ui.section("health.runs", "health.runs_caption")
if history.empty:
    st.info(t("health.no_runs"), icon=":material/info:")
else:
    shown = history.assign(
        started_at=history["started_at"].map(lambda v: fmt.moment(v, lang, tz)),
        finished_at=history["finished_at"].map(lambda v: fmt.moment(v, lang, tz)),
        status=history["status"].map(lambda s: t(f"status.{s}")),
        dbt_mode=history["dbt_mode"].map(lambda m: t(f"dbt_mode.{m}") if m else ""),
    )
    ui.table(shown, key="health_runs", file_stem="refresh-runs")

if info is not None:
    ui.section("health.landing", "health.landing_caption")
    ui.table(data.frame(info, "landing_state"), key="health_landing", file_stem="landing-state")
