"""Who is using the dashboards in this session, for audit trails and scoping.

The login page (``dashboards/auth.py``) puts the signed-in account in
``st.session_state["user"]`` as a dict: username, display_name, role, department,
employee_id. Everything else asks here, so forms and pages never read the session layout.
"""

from __future__ import annotations

from typing import Any

FALLBACK_ACTOR = "dashboards"


def user() -> dict[str, Any] | None:
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    value = st.session_state.get("user")
    return value if isinstance(value, dict) else None


def actor() -> str:
    """The name written to ``created_by``/``audit_log.changed_by`` for this session's changes."""
    current = user()
    return str(current["username"]) if current else FALLBACK_ACTOR
