"""The shared sidebar: who is signed in (and sign out), language, period, which build the
numbers come from, refresh button."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboards import auth, fmt, periods
from dashboards.components import lang, period
from dashboards.i18n import LANGS, t
from operational.settings import get_settings


def _keep_lang_in_url() -> None:
    st.query_params["lang"] = st.session_state["lang"]


def language_switch() -> None:
    if "lang" not in st.session_state:
        wanted = st.query_params.get("lang", "en")
        st.session_state["lang"] = wanted if wanted in LANGS else "en"
    st.segmented_control(
        t("sidebar.language"), list(LANGS), key="lang", format_func=LANGS.get,
        on_change=_keep_lang_in_url, selection_mode="single", required=True,
    )


def period_picker() -> None:
    st.session_state.setdefault("period_preset", periods.DEFAULT_PRESET)
    st.selectbox(t("sidebar.period"), periods.PRESETS, key="period_preset",
                 format_func=lambda p: t(f"period.{p}"))
    if st.session_state["period_preset"] == "custom":
        if "period_custom" not in st.session_state:
            st.session_state["period_custom"] = period().date_from, period().date_to
        st.date_input(t("sidebar.custom_range"), key="period_custom", format="YYYY-MM-DD")
    st.caption(period().label())


def build_status(info: dict[str, Any] | None) -> None:
    if info is None:
        st.warning(t("sidebar.no_build"), icon=":material/hourglass_empty:")
        return
    tz = get_settings().timezone
    st.caption(t("sidebar.as_of", when=fmt.moment(info["as_of"], lang(), tz)))
    st.caption(f"{t('sidebar.build')}: `{info['build_id']}`")


def refresh_button() -> None:
    """Run a refresh now (no waiting behind another one), then drop every cached read."""
    from serving.lock import RefreshBusy
    from serving.refresh import run_refresh

    if st.button(t("sidebar.refresh"), help=t("sidebar.refresh_help"), key="refresh_now",
                 icon=":material/refresh:", width="stretch"):
        with st.spinner(t("sidebar.refreshing")):
            try:
                report = run_refresh(wait_seconds=0)
            except RefreshBusy as exc:
                st.session_state["refresh_msg"] = ("warning", t("sidebar.refresh_busy",
                                                                 detail=str(exc)))
            except Exception as exc:  # noqa: BLE001 - shown to the user; published copy intact
                first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
                st.session_state["refresh_msg"] = ("error", t("sidebar.refresh_failed",
                                                               detail=first))
            else:
                st.session_state["refresh_msg"] = ("success", t("sidebar.refreshed",
                                                                 build=report.build_id))
        st.cache_data.clear()
        st.rerun()
    kind, text = st.session_state.pop("refresh_msg", (None, None))
    if kind:
        getattr(st, kind)(text)


def account(user: dict[str, Any]) -> None:
    """Who is signed in, with which role, and the sign-out button (names shown as written)."""
    st.caption(t("auth.signed_in_as", name=auth.plain(user.get("display_name") or ""),
                 username=auth.plain(user.get("username") or "")))
    st.caption(t("auth.role_line", role=auth.role_label(user)))
    st.button(t("auth.sign_out"), key="logout", icon=":material/logout:", width="stretch",
              on_click=auth.sign_out, args=(t("auth.signed_out"),))


def render_signed_out(user: dict[str, Any] | None = None) -> None:
    """The sidebar before signing in: only the language switch (and sign-out, if signed in)."""
    with st.sidebar:
        language_switch()
        if user:
            st.divider()
            account(user)


def render(info: dict[str, Any] | None, user: dict[str, Any] | None = None) -> None:
    with st.sidebar:
        if user:
            account(user)
            st.divider()
        language_switch()
        period_picker()
        st.divider()
        build_status(info)
        if auth.can_use_form("warehouse_refresh", user or {}):
            refresh_button()
