"""Building blocks of the staff forms: fields that show their own error right under them,
and the two shapes every form takes.

- A *create* form (``create_form``) makes a new record. Its idempotency key
  (``forms.form_key``: this render + this content) makes a double click replay the first
  record; an error keeps everything typed.
- A *change* form (``change_form`` + ``submit_change``) moves an existing record one step.
  It remembers the record as it showed it (``{form}_loaded``, with its version) and sends
  that version; if someone changed the record since, the service refuses, the form says who
  and when and offers **Reload** (``stale_notice``). The same step sent again on the record
  it has just changed (a double click) replays the success instead of running twice.

Messages quote user-entered text through ``md`` so it can never become a link, markup or
HTML; the record number in a success message links to the record page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from dashboards import fmt, forms, links
from dashboards.components import lang
from dashboards.i18n import t
from operational.settings import get_settings

Values = dict[str, Any]
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # back-dated entries are fine
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
_FRIENDLY = {
    "Input should be a valid integer": ("Choose one from the list", "请从列表中选择"),
    "Input should be a valid date": ("Enter a date", "请输入日期"),
    "must not be empty": ("Required", "必填"),
    "is required": ("Required", "必填"),
    "Field required": ("Required", "必填"),
}
_NUMBER = {"lead": "code", "opportunity": "name", "service_ticket": "ticket_no",
           "purchase_order": "po_no", "sales_order": "order_no", "delivery": "delivery_no",
           "invoice_order": "order_no", "invoice": "invoice_no",
           "approval_request": "request_no"}


def friendly(errors: dict[str, str]) -> dict[str, str]:
    """Service messages in the session's language where a translation exists ("customer id
    must be an integer" is what a service says when nothing was chosen)."""
    i = 1 if lang() == "zh" else 0
    out = {}
    for path, message in errors.items():
        if message.endswith(" id must be an integer"):
            message = "Input should be a valid integer"
        out[path] = _FRIENDLY[message][i] if message in _FRIENDLY else message
    return out


def md(text: Any) -> str:
    """User-entered text made inert in markdown: no links, emphasis, HTML or directives."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def link(table: str, record_id: int, number: Any) -> str:
    """The record number as a markdown link to its record page."""
    return f"[{md(number)}]({links.record_url(table, record_id, lang=lang())})"


def number_of(kind: str, record: Values) -> str:
    return str(record[_NUMBER[kind]]) if kind in _NUMBER else f"#{record['id']}"


def now_local() -> datetime:
    """Now on the company's wall clock, to the next whole minute (a time widget shows
    minutes; rounding down could put "delivered at" before a shipment made seconds ago)."""
    now = datetime.now(ZoneInfo(get_settings().timezone)).replace(tzinfo=None)
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def at(day: date | None, clock: time | None) -> datetime | None:
    """A date and a time of day from two widgets as one (company-time) datetime."""
    return None if day is None else datetime.combine(day, clock or time(0, 0))


def key(p: str, name: str) -> str:
    return f"{p}_{name}"


def default(p: str, name: str, value: Any) -> None:
    """Pre-fill a field once (e.g. "me" as the requester) unless there is nothing to fill."""
    if value is not None:
        st.session_state.setdefault(key(p, name), value)


def values(p: str, names: list[str]) -> Values:
    return {n: st.session_state.get(key(p, n)) for n in names}


class Errors:
    """The field errors of the last submit. Each field shows its own (``under``); ``rest``
    shows any the form has no field for, so no error is ever silently dropped."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.all = friendly(errors)
        self.shown: set[str] = set()

    def under(self, *paths: str) -> None:
        for path in paths:
            if path in self.all and path not in self.shown:
                self.shown.add(path)
                st.error(self.all[path], icon=":material/error:")

    def rest(self) -> None:
        for path, message in self.all.items():
            if path not in self.shown:
                st.error(f"{path}: {message}" if path else message, icon=":material/error:")


# --- fields: the widget, then its error -----------------------------------------------------


def text(p: str, name: str, label: str, err: Errors, *, path: str | None = None,
         area: bool = False, max_chars: int | None = None) -> None:
    widget = st.text_area if area else st.text_input
    widget(t(label), key=key(p, name), max_chars=max_chars, **({"height": 80} if area else {}))
    err.under(path or name)


def number(p: str, name: str, label: str, err: Errors, *, path: str | None = None,
           places: int = 2, step: float = 1.0, optional: bool = False,
           max_value: float | None = None) -> None:
    st.number_input(t(label), min_value=0.0, max_value=max_value, step=step,
                    format=f"%.{places}f", key=key(p, name),
                    **({"value": None} if optional else {}))
    err.under(path or name)


def whole(p: str, name: str, label: str, err: Errors, *, value: int = 0,
          path: str | None = None) -> None:
    st.number_input(t(label), min_value=0, step=1, value=value, key=key(p, name))
    err.under(path or name)


def pick(p: str, name: str, label: str, err: Errors, options: dict[int, str], *,
         path: str | None = None, optional: bool = False,
         on_change: Callable[..., None] | None = None, args: tuple[Any, ...] = ()) -> None:
    """A record picker: existing records by number and name (most recent first)."""
    empty = t("form.none") if optional else t("form.pick")
    st.selectbox(t(label), [None, *options], key=key(p, name), on_change=on_change, args=args,
                 format_func=lambda v: empty if v is None else options.get(v, f"#{v}"),
                 placeholder=empty)
    err.under(path or name)


def choice(p: str, name: str, label: str, err: Errors, options: list[Any] | tuple[Any, ...],
           label_of: Callable[[Any], str], *, path: str | None = None,
           on_change: Callable[[], None] | None = None) -> None:
    """One of a few coded values. While a step's success is shown, the step just done stays
    selected even though it is no longer a move (so a double click replays, not re-runs)."""
    current = st.session_state.get(key(p, name))
    if current is not None and current not in options and st.session_state.get(key(p, "done")):
        options = [current, *options]
    st.selectbox(t(label), options, key=key(p, name), format_func=label_of, on_change=on_change)
    err.under(path or name)


def day(p: str, name: str, label: str, err: Errors, *, value: date | None = None,
        path: str | None = None) -> None:
    st.date_input(t(label), value=value, key=key(p, name), format="YYYY-MM-DD",
                  min_value=EARLIEST, max_value=LATEST)
    err.under(path or name)


def clock(p: str, name: str, label: str, err: Errors, *, path: str | None = None) -> None:
    st.time_input(t(label), value=now_local().time(), key=key(p, name), step=60)
    err.under(path or name)


def check(p: str, name: str, label: str, err: Errors, *, path: str | None = None) -> None:
    st.checkbox(t(label), key=key(p, name))
    err.under(path or name)


def facts(items: list[tuple[str, Any]]) -> None:
    """The record's current values, as the form read them (escaped: they are user text)."""
    shown = [f"**{t(label)}:** {md(fmt.DASH if v is None or v == '' else v)}" for label, v in items]
    with st.container(border=True):
        st.markdown(" · ".join(shown))


def money(value: Any) -> str:
    return fmt.money(value, lang())


def moment(value: Any) -> str:
    return fmt.moment(value, lang(), get_settings().timezone)


def status(value: str) -> str:
    return t(f"forms.status.{value}")


# --- a new record ---------------------------------------------------------------------------


def create_form(p: str, *, title: str, fields: Callable[[Errors], None],
                read: Callable[[], Values], save: Callable[[Values, str], forms.Outcome],
                saved: Callable[[Values], str], keys: list[str], button: str) -> None:
    """Heading, outcome, fields (each with its error), then Save and Start a new one."""
    st.subheader(t(title))
    err = Errors(forms.show_outcome(p, forms.form_key(p, read())))
    fields(err)
    err.rest()
    b1, b2, _ = st.columns([1.4, 1.2, 3.4])
    b1.button(t(button), type="primary", key=key(p, "submit"), icon=":material/save:",
              on_click=_create, args=(p, read, save, saved))
    b2.button(t("form.clear"), key=key(p, "clear"), on_click=forms.reset,
              args=(p, [key(p, k) for k in keys]))


def _create(p: str, read: Callable[[], Values], save: Callable[[Values, str], forms.Outcome],
            saved: Callable[[Values], str]) -> None:
    v = read()
    idempotency_key = forms.form_key(p, v)
    out = save(v, idempotency_key)
    forms.remember(p, idempotency_key, out, saved(out.record) if out.ok else None)


# --- a step on an existing record ---------------------------------------------------------

OnLoad = Callable[[Values], None] | None


def change_form(p: str, *, title: str, kind: str, label: str, options: dict[int, str],
                on_load: OnLoad = None,
                fields: tuple[str, ...] = ()) -> tuple[Values | None, Errors]:
    """Heading, outcome, stale notice and the record picker; returns the record as loaded
    (None until one is picked) and the field errors. ``fields`` (what the step lets people
    type) start empty when another record is picked, and are kept by **Reload**."""
    st.subheader(t(title))
    s = st.session_state
    err = Errors(forms.show_outcome(p, str(s.get(key(p, "pick")))))
    stale_notice(p, kind, on_load)
    loaded = s.get(key(p, "loaded"))
    if loaded and loaded["id"] not in options:  # just moved out of the list: keep it shown
        options = {loaded["id"]: s.get(key(p, "label"), f"#{loaded['id']}"), **options}
    pick(p, "pick", label, err, options, on_change=_picked,
         args=(p, kind, on_load, options, fields))
    picked = s.get(key(p, "pick"))
    if picked is None:
        st.caption(t("forms.pick_first"))
        return None, err
    if not loaded or loaded["id"] != picked:
        loaded = _load(p, kind, picked, on_load)
    if loaded is None:
        st.warning(t("forms.gone"), icon=":material/search_off:")
    return loaded, err


def _load(p: str, kind: str, record_id: int, on_load: OnLoad) -> Values | None:
    loaded = forms.load(kind, record_id)
    st.session_state[key(p, "loaded")] = loaded
    if loaded is not None and on_load is not None:
        on_load(loaded)
    return loaded


def _forget_outcome(p: str, *extra: str) -> None:
    for name in ("errors", "message", "saved", "saved_key", "stale", *extra):
        st.session_state.pop(key(p, name), None)


def _picked(p: str, kind: str, on_load: OnLoad, options: dict[int, str],
            fields: tuple[str, ...]) -> None:
    _forget_outcome(p, "done", *fields)
    picked = st.session_state.get(key(p, "pick"))
    st.session_state[key(p, "label")] = options.get(picked)
    if picked is None:
        st.session_state.pop(key(p, "loaded"), None)
    else:
        _load(p, kind, picked, on_load)


def _reload(p: str, kind: str, on_load: OnLoad) -> None:
    _forget_outcome(p, "done")
    loaded = st.session_state.get(key(p, "loaded"))
    if loaded is not None:
        _load(p, kind, loaded["id"], on_load)


def stale_notice(p: str, kind: str, on_load: OnLoad) -> None:
    """Someone changed the record after this form read it: say who and when, offer Reload."""
    stale, loaded = st.session_state.get(key(p, "stale")), st.session_state.get(key(p, "loaded"))
    if not stale or not loaded:
        return
    when = fmt.moment(stale["when"], lang(), get_settings().timezone) if stale["when"] else ""
    st.error(t("forms.stale", what=t(f"forms.what.{kind}"), number=md(number_of(kind, loaded)),
               who=md(stale["who"] or t("forms.someone")), when=when),
             icon=":material/sync_problem:")
    st.button(t("forms.reload"), key=key(p, "reload"), on_click=_reload,
              args=(p, kind, on_load), icon=":material/refresh:")


def submit_change(p: str, kind: str, step: str, read: Callable[[], Values],
                  token: Callable[[Values, Values], Any],
                  do: Callable[[Values, Values], forms.Outcome],
                  saved: Callable[[Values, Values], str]) -> None:
    """Run ``do(loaded, values)``; ``token(record, values)`` is the version the step guards."""
    s = st.session_state
    loaded, v = s[key(p, "loaded")], read()
    sig = json.dumps([step, loaded["id"], v], sort_keys=True, default=str)
    done = s.get(key(p, "done"))
    if done and done["sig"] == sig and done["token"] == _token(token, loaded, v):
        return  # the same step again on the record it just changed: a double click
    out = do(loaded, v)
    if out.ok:
        fresh = forms.load(kind, loaded["id"])
        s[key(p, "loaded")] = fresh
        s[key(p, "done")] = {"sig": sig, "token": _token(token, fresh, v)}
    forms.remember(p, str(loaded["id"]), out, saved(out.record, v) if out.ok else None)


def _token(token: Callable[[Values, Values], Any], record: Values | None, v: Values) -> Any:
    try:
        return None if record is None else token(record, v)
    except (KeyError, TypeError):
        return None


def just_done(p: str, step: str | None = None) -> bool:
    """A step (this one, or any) has just succeeded on this record: its controls stay while
    the success shows, so the second click of a double click lands on them and replays."""
    done = st.session_state.get(key(p, "done"))
    return bool(done) and (step is None or json.loads(done["sig"])[0] == step)


def version(record: Values, _: Values) -> Any:
    return record["version"]


def step_button(p: str, label: str, on_click: Callable[..., None], args: tuple[Any, ...],
                *, name: str = "submit") -> None:
    st.button(t(label), type="primary", key=key(p, name), on_click=on_click, args=args,
              icon=":material/task_alt:")
