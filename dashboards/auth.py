"""Who may see which page and use which form; signing in; how long a session lasts.

The access matrix below (``PAGES``, ``FORMS``) is the one place that says who sees what.
``dashboards/app.py`` builds the navigation from it, and every page file calls
``require_page("<its name>")`` right after its imports, so a page run alone (or reached by a
URL) is guarded too. Form code asks ``can_use_form(name)`` or calls ``require_form(name)``.

Accounts are the operational store's ``user_account`` rows (bcrypt hashes). A signed-in
session keeps the account in ``st.session_state["user"]`` (read through
``dashboards.identity``) plus two clocks that end it after ``MIS_SESSION_IDLE_MINUTES``
without use or ``MIS_SESSION_MAX_HOURS`` in all.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from typing import Any

import bcrypt
import streamlit as st

from dashboards import identity
from dashboards.i18n import t
from operational.settings import get_settings

log = logging.getLogger(__name__)

# --- the access matrix ----------------------------------------------------------------------
# A grant is a role ("analyst": every analyst) or role:department ("staff:sales": sales staff).
# Roles and departments are user_account.role / .department (see operational/demo/oa.py).
ROLES = ("executive", "staff", "analyst", "admin")
DEPARTMENTS = ("management", "sales", "purchasing", "warehouse", "finance", "service", "admin")
LEADERS = frozenset({"executive", "admin"})

PAGES: dict[str, frozenset[str]] = {
    "overview": frozenset({*LEADERS, "analyst"}),
    "sales": frozenset({*LEADERS, "analyst", "staff:sales"}),
    "operations": frozenset({*LEADERS, "analyst", "staff:warehouse", "staff:purchasing"}),
    "finance": frozenset({*LEADERS, "analyst", "staff:finance"}),
    "office": frozenset({*LEADERS, "analyst", "staff:admin", "staff:service"}),
    "entry": frozenset({*LEADERS, "staff"}),  # each form on it checks FORMS
    "my_work": frozenset({*LEADERS, "staff"}),
    "record": frozenset({*LEADERS, "staff"}),
    "data_health": frozenset({*LEADERS, "analyst"}),
}
# Forms are named like their view functions without "_form" (form_views*.py). Who may decide
# an approval as its approver is the OA service's rule; this only says who sees the form.
SALES, SERVICE, PURCHASING = "staff:sales", "staff:service", "staff:purchasing"
WAREHOUSE, FINANCE, STAFF = "staff:warehouse", "staff:finance", "staff"
FORMS: dict[str, frozenset[str]] = {
    name: frozenset({*LEADERS, *who}) for name, who in {
        # CRM
        "customer": (SALES,), "contact": (SALES, SERVICE), "lead": (SALES,),
        "lead_conversion": (SALES,), "opportunity_stage": (SALES,),
        "activity": (SALES, SERVICE), "ticket": (SALES, SERVICE), "ticket_progress": (SERVICE,),
        # ERP
        "sales_order": (SALES,), "confirm_order": (SALES,),
        "product": (PURCHASING, WAREHOUSE), "supplier": (PURCHASING,),
        "purchase_order": (PURCHASING,), "purchase_order_placement": (PURCHASING,),
        "goods_receipt": (WAREHOUSE,), "delivery": (WAREHOUSE,),
        "delivery_arrival": (WAREHOUSE, SALES), "invoice": (FINANCE,), "payment": (FINANCE,),
        # OA
        "approval_request": (STAFF,), "approval_submission": (STAFF,),
        "approval_decision": (STAFF,), "task": (STAFF,), "task_progress": (STAFF,),
        # the sidebar's "Refresh warehouse now"
        "warehouse_refresh": ("analyst",),
    }.items()
}
# Whose warehouse reads are limited to the records they own (customers, deals, orders).
OWN_RECORDS_ONLY = frozenset({"staff:sales"})

# --- session keys and sign-in limits --------------------------------------------------------
USER, SIGNED_IN_AT, LAST_SEEN, NOTICE = "user", "auth_signed_in_at", "auth_last_seen", "auth_notice"
KEEP_ON_SIGN_OUT = ("lang",)
MAX_FAILURES = 5  # per username, then locked out for LOCKOUT_SECONDS
LOCKOUT_SECONDS = 5 * 60
INVALID, LOCKED, UNAVAILABLE = "invalid", "locked", "unavailable"
DEMO_PASSWORD = "demo"

_failures: dict[str, list[float]] = {}  # casefolded username -> recent failure times
_failures_lock = threading.Lock()


def _now() -> float:
    return time.time()


# --- who may do what ------------------------------------------------------------------------


def grants(user: dict[str, Any] | None) -> frozenset[str]:
    if not user:
        return frozenset()
    role, dept = user.get("role"), user.get("department")
    return frozenset({str(role), f"{role}:{dept}"}) if role in ROLES else frozenset()


def can_see(page: str, user: dict[str, Any] | None = None) -> bool:
    """True when ``user`` (default: the signed-in one) may open ``page``; unknown pages: no."""
    user = user if user is not None else identity.user()
    return bool(grants(user) & PAGES.get(page, frozenset()))


def can_use_form(form_name: str, user: dict[str, Any] | None = None) -> bool:
    """True when ``user`` (default: the signed-in one) may use the form; unknown forms: no."""
    user = user if user is not None else identity.user()
    if form_name not in FORMS:
        log.warning("form %r is not in the access matrix (dashboards/auth.py)", form_name)
    return bool(grants(user) & FORMS.get(form_name, frozenset()))


def visible_pages(user: dict[str, Any] | None) -> list[str]:
    return [p for p in PAGES if can_see(p, user or {})]


def owns_records_only(user: dict[str, Any] | None = None) -> bool:
    return bool(grants(user if user is not None else identity.user()) & OWN_RECORDS_ONLY)


def owner_scope() -> int | None:
    """The employee whose records the signed-in user may read (None: everyone's). A scoped
    account without an employee sees nothing: the page says so and stops."""
    user = identity.user()
    if not owns_records_only(user):
        return None
    if user is None or user.get("employee_id") is None:
        st.warning(t("auth.no_employee"), icon=":material/person_off:")
        st.stop()
    return int(user["employee_id"])


def role_label(user: dict[str, Any]) -> str:
    role = t(f"auth.role.{user.get('role')}")
    dept = user.get("department")
    return f"{role} · {t(f'auth.dept.{dept}')}" if dept and user.get("role") == "staff" else role


# --- guards ---------------------------------------------------------------------------------


def startup_problem() -> str | None:
    """Why the dashboards must not run with these settings (outside demo mode, no secret)."""
    settings = get_settings()
    if not settings.demo and settings.has_default_secret_key:
        return t("auth.unsafe_start")
    return None


def require_page(name: str) -> dict[str, Any]:
    """Stop the page unless the signed-in user may see ``name``: signed out, the login form;
    signed in without access, an access-denied message. Returns the user."""
    problem = startup_problem()
    if problem:
        st.error(problem, icon=":material/gpp_bad:")
        st.stop()
    user = current_user()
    if user is None:
        login_form()
        st.stop()
    if not can_see(name, user):
        st.error(t("auth.denied"), icon=":material/block:")
        st.caption(t("auth.denied_detail", username=plain(user.get("username", "")),
                     role=role_label(user)))
        st.stop()
    return user


def require_form(form_name: str) -> dict[str, Any]:
    """Stop the script run (everything after it, too) unless the user may use the form.
    Where a page shows several forms, prefer ``can_use_form`` to hide the ones not allowed."""
    user = current_user()
    if user is None or not can_use_form(form_name, user):
        st.error(t("auth.form_denied"), icon=":material/block:")
        st.stop()
    return user


# --- sessions -------------------------------------------------------------------------------


def current_user() -> dict[str, Any] | None:
    """The signed-in account, or None; an expired session is signed out here (with a notice
    for the login page) and counts as signed out. Using the session renews the idle clock."""
    user = identity.user()
    if user is None:
        return None
    s, now, settings = st.session_state, _now(), get_settings()
    signed_in_at = s.setdefault(SIGNED_IN_AT, now)  # set by sign_in; a preset user starts now
    last_seen = s.setdefault(LAST_SEEN, now)
    if now - last_seen > settings.session_idle_minutes * 60:
        sign_out(t("auth.expired_idle", minutes=settings.session_idle_minutes))
        return None
    if now - signed_in_at > settings.session_max_hours * 3600:
        sign_out(t("auth.expired_max", hours=f"{settings.session_max_hours:g}"))
        return None
    s[LAST_SEEN] = now
    return user


def _reset_session() -> None:
    for key in list(st.session_state.keys()):
        if key not in KEEP_ON_SIGN_OUT:
            del st.session_state[key]


def sign_in(user: dict[str, Any]) -> None:
    """Start a fresh session for ``user`` (nothing of the signed-out session carries over)."""
    _reset_session()
    now = _now()
    st.session_state.update({USER: user, SIGNED_IN_AT: now, LAST_SEEN: now})


def sign_out(notice: str | None = None) -> None:
    """End the session; ``notice`` is shown above the login form."""
    _reset_session()
    if notice:
        st.session_state[NOTICE] = notice


# --- checking passwords ---------------------------------------------------------------------


@functools.cache
def _dummy_hash() -> bytes:
    """A hash to check against when the username is unknown, so both cost the same time."""
    return bcrypt.hashpw(b"no account has this password", bcrypt.gensalt())


def _password_ok(password: str, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed)
    except ValueError:  # malformed hash, or a password over bcrypt's 72 bytes
        return False


def _locked(key: str, now: float) -> bool:
    with _failures_lock:
        recent = [f for f in _failures.get(key, []) if now - f < LOCKOUT_SECONDS]
        if recent:
            _failures[key] = recent
        else:
            _failures.pop(key, None)
        return len(recent) >= MAX_FAILURES


def _record_failure(key: str, now: float) -> None:
    with _failures_lock:
        _failures.setdefault(key, []).append(now)


def reset_failures() -> None:
    """Forget every failed sign-in (the lockout is per process)."""
    with _failures_lock:
        _failures.clear()


def _account(username: str) -> Any:
    from sqlmodel import select

    from dashboards import forms
    from operational.models import UserAccount

    with forms.session() as s:
        row = s.exec(select(UserAccount).where(UserAccount.username == username)).first()
        if row is not None:
            s.expunge(row)
        return row


def authenticate(username: str, password: str) -> dict[str, Any] | str:
    """The account as the session's user dict, or INVALID (unknown user, wrong password,
    inactive account, or the demo password outside demo mode: one answer for all), LOCKED
    (too many failures for this username lately) or UNAVAILABLE (no store)."""
    name, now = (username or "").strip(), _now()
    key = name.casefold()
    if _locked(key, now):
        return LOCKED
    try:
        account = _account(name) if name else None
    except Exception:  # noqa: BLE001 - no store or no schema: the login page says so
        log.exception("sign-in: cannot read user_account")
        return UNAVAILABLE
    hashed = account.password_hash.encode() if account else _dummy_hash()
    ok = _password_ok(password or "", hashed)
    demo_password = password == DEMO_PASSWORD and not get_settings().demo
    if account is None or not account.is_active or not ok or demo_password:
        _record_failure(key, now)
        return INVALID
    with _failures_lock:
        _failures.pop(key, None)
    return {"username": account.username, "display_name": account.display_name,
            "role": account.role, "department": account.department,
            "employee_id": account.employee_id}


def demo_usernames() -> list[str]:
    """Active usernames, for the demo-mode hint on the login page (empty without a store)."""
    from sqlmodel import select

    from dashboards import forms
    from operational.models import UserAccount

    try:
        with forms.session() as s:
            stmt = select(UserAccount.username).where(UserAccount.is_active == True)  # noqa: E712
            return list(s.exec(stmt.order_by(UserAccount.id)).all())
    except Exception:  # noqa: BLE001 - the hint is optional
        return []


# --- the login form -------------------------------------------------------------------------


def login_form() -> None:
    """Username and password; on success the session starts and the app reruns."""
    st.title(t("auth.title"))
    st.caption(t("auth.caption"))
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.info(notice, icon=":material/logout:")
    with st.form("login", clear_on_submit=True):
        username = st.text_input(t("auth.username"), key="login_username", max_chars=60,
                                 autocomplete="username")
        password = st.text_input(t("auth.password"), key="login_password", type="password",
                                 max_chars=200, autocomplete="current-password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary", key="login_submit")
    if submitted:
        outcome = authenticate(username or "", password or "")
        if isinstance(outcome, dict):
            sign_in(outcome)
            st.rerun()
        if outcome == LOCKED:
            st.error(t("auth.locked", minutes=LOCKOUT_SECONDS // 60), icon=":material/lock:")
        elif outcome == UNAVAILABLE:
            st.error(t("auth.unavailable", detail="user_account"), icon=":material/database:")
        else:
            st.error(t("auth.failed"), icon=":material/error:")
    if get_settings().demo:
        users = demo_usernames()
        if users:
            st.caption(t("auth.demo_hint", users=", ".join(plain(u) for u in users)))


def login_page() -> None:
    """The only page a signed-out visitor gets (``app.py``)."""
    login_form()


# --- user text in Markdown ------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def plain(text: Any) -> str:
    """``text`` with every Markdown/HTML character escaped, for record values (names, notes)
    that must appear inside a Markdown label (title, caption, message) as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
