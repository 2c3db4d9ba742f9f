"""One operational record: what it is, its key figures and fields, the records around it, and
every change made to it (``audit_log``). For a customer this is the 360° view.

Reached by links (``/record?table=customer&id=12``, see ``dashboards/links.py``), not from the
menu. ``table`` must be one of ``records.TABLES`` (otherwise nothing is queried) and ``id`` a
whole number. Record values are shown as plain text, in tables, or escaped: never as HTML.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, fmt, forms, records
from dashboards import components as ui
from dashboards.i18n import t
from dashboards.labels_record import CODES, FIELDS
from operational.settings import get_settings

auth.require_page("record")

lang, tz = ui.lang(), get_settings().timezone
INDEX = 1 if lang == "zh" else 0
GOOD = {"delivered", "done", "approved", "won", "received", "resolved", "closed", "converted"}
BAD = {"cancelled", "rejected", "lost", "disqualified"}


def stop(key: str, **kwargs: Any) -> None:
    st.title(t("page.record"))
    st.info(t(key, **kwargs), icon=":material/search_off:")
    st.stop()


def code(raw: Any) -> str:
    pair = CODES.get(raw) if isinstance(raw, str) else None
    return pair[INDEX] if pair else str(raw)


def field_label(name: Any) -> str:
    pair = FIELDS.get(name) if isinstance(name, str) else None
    return pair[INDEX] if pair else str(name).replace("_", " ").capitalize()


def shown(value: Any, kind: str) -> str:
    """A field value as people read it (money exact, dates in the company's timezone)."""
    if value is None or value == "":
        return fmt.DASH
    if kind == "money":
        return fmt.money(value, lang)
    if kind == "rate":
        return fmt.rate(value)
    if kind == "quantity":
        return records.quantity(value)
    if kind == "code":
        return code(value)
    if isinstance(value, bool):
        return t("record.yes") if value else t("record.no")
    if isinstance(value, datetime) or (isinstance(value, str) and len(value) > 10
                                       and value[:4].isdigit() and value[10:11] == "T"):
        return fmt.moment(value, lang, tz)
    if isinstance(value, date) or (isinstance(value, str) and len(value) == 10
                                   and value[:4].isdigit() and value[4:5] == "-"):
        return fmt.day(date.fromisoformat(str(value)), lang)
    return str(value)


# --- which record -------------------------------------------------------------------------

table, raw_id = st.query_params.get("table"), st.query_params.get("id")
if not table and not raw_id:
    stop("record.none")
if records.spec(table) is None:  # before any query: a URL's table name never reaches SQL
    stop("record.unknown_table")
record_id = records.parse_id(raw_id)
if record_id is None:
    stop("record.bad_id")
problem = forms.store_problem()
if problem:
    st.title(t("page.record"))
    st.warning(t("form.no_store", detail=problem), icon=":material/database:")
    st.stop()
kind = t(f"record.kind.{table}")
try:
    rec = records.load(table, record_id, scope=auth.owner_scope())
except records.NotYours:
    st.title(t("page.record"))
    st.error(t("auth.denied"), icon=":material/block:")
    st.stop()
if rec is None:
    stop("record.not_found", kind=kind.lower() if lang == "en" else kind, id=record_id)

# --- header, key figures, fields ----------------------------------------------------------

st.caption(kind)
st.title(auth.plain(rec.title or f"#{rec.id}"))
if rec.status:
    color = "green" if rec.status in GOOD else "red" if rec.status in BAD else "orange"
    st.badge(auth.plain(code(rec.status)), color=color)
if rec.about is not None and rec.about.ref is not None:
    target, target_id = rec.about.ref
    about = st.container(horizontal=True, vertical_alignment="center")
    about.markdown(f"{t('record.about')}: {t(f'record.kind.{target}')}", width="content")
    ui.record_page_link(rec.about.ref_label or f"#{target_id}", target, target_id, where=about)

per_row = 3 if len(rec.figures) > 4 else max(len(rec.figures), 1)  # exact amounts stay whole
for start in range(0, len(rec.figures), per_row):
    row = rec.figures[start:start + per_row]
    for col, (key, value, unit) in zip(st.columns(per_row), row, strict=False):
        if unit == "date":
            text = fmt.day(value, lang) if value else t("record.fig.never")
        elif unit == "quantity":
            text = records.quantity(value)
        else:
            text = fmt.value(value, unit, lang)
        col.metric(t(f"record.fig.{key}"), text, border=True)

st.subheader(t("record.fields"))
with st.container(border=True):
    halves = st.columns(2, gap="large")
    middle = (len(rec.fields) + 1) // 2
    for i, item in enumerate(rec.fields):
        label, value = halves[i >= middle].columns([1, 2])
        label.caption(field_label(item.name))
        if item.ref is not None:
            ui.record_page_link(item.ref_label or f"#{item.ref[1]}", *item.ref, where=value)
        else:
            value.text(shown(item.value, item.kind))
stamp = rec.stamp
st.caption(t("record.stamp", created=fmt.moment(stamp["created_at"], lang, tz),
             updated=fmt.moment(stamp["updated_at"], lang, tz),
             who=auth.plain(stamp["updated_by"] or fmt.DASH), version=stamp["version"]))

# --- related records ------------------------------------------------------------------------

if rec.sections:
    st.subheader(t("record.related"))
    names = [f"{t(f'record.rel.{sec.key}')} ({len(sec.frame)}"
             f"{'+' if len(sec.frame) >= records.LIMIT else ''})" for sec in rec.sections]
    for tab, sec in zip(st.tabs(names), rec.sections, strict=True):
        with tab:
            ui.table(sec.frame, key=f"record_{sec.key}",
                     file_stem=f"{table}-{record_id}-{sec.key}", money=sec.money,
                     rates=sec.rates, links=sec.links, empty="record.none_here")
            if len(sec.frame) >= records.LIMIT:
                st.caption(t("record.limited", n=records.LIMIT))

# --- change history -------------------------------------------------------------------------

st.subheader(t("record.history"))
st.caption(t("record.history_caption"))
kinds = {f.name: f.kind for f in rec.fields}
refs = records.foreign_keys(table)
hist = rec.history
if hist.empty:
    st.info(t("record.no_history"), icon=":material/history:")
else:
    pairs = [(refs[f], v) for f, v in zip(hist["rec_field"], hist["rec_before"], strict=True)
             if f in refs] + [(refs[f], v) for f, v in zip(hist["rec_field"], hist["rec_after"],
                                                           strict=True) if f in refs]
    ref_names = records.reference_labels(pairs)

    def change(name: Any, value: Any) -> str | None:
        if not isinstance(name, str):
            return None
        if name in refs and value is not None:
            return ref_names.get((refs[name], int(value)), f"#{value}")
        return shown(value, kinds.get(name, "code" if name in records.CODED else "plain"))

    hist = hist.assign(
        rec_before=[change(f, v) for f, v in zip(hist["rec_field"], hist["rec_before"],
                                                 strict=True)],
        rec_after=[change(f, v) for f, v in zip(hist["rec_field"], hist["rec_after"],
                                                strict=True)],
        rec_field=[field_label(f) if isinstance(f, str) else None for f in hist["rec_field"]],
    )
    ui.table(hist, key="record_history", file_stem=f"{table}-{record_id}-history")
