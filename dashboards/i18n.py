"""Every label the dashboards show, in English and 简体中文, and the current language.

``t("key")`` looks a label up in the session's language; ``column("customer_name")`` names a
warehouse column for people (tables never show raw column names). Labels live in
``dashboards/labels.py`` (and one ``labels_<area>.py`` per area that adds many, merged here)
so this module stays small.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import dashboards
from dashboards.labels import COLUMNS, LABELS, VALUES


def _merge_area_labels() -> None:
    """``labels_<area>.py`` modules add LABELS/COLUMNS/VALUES; a key defined twice is a bug."""
    for mod in pkgutil.iter_modules(dashboards.__path__):
        if not mod.name.startswith("labels_"):
            continue
        area = importlib.import_module(f"dashboards.{mod.name}")
        for name, target in (("LABELS", LABELS), ("COLUMNS", COLUMNS)):
            extra = getattr(area, name, {})
            clash = sorted(set(extra) & set(target))
            if clash:
                raise RuntimeError(f"{mod.name}.{name} redefines {clash[:5]}")
            target.update(extra)
        for column_name, mapping in getattr(area, "VALUES", {}).items():
            VALUES.setdefault(column_name, {}).update(mapping)


_merge_area_labels()

LANGS = {"en": "English", "zh": "简体中文"}
DEFAULT_LANG = "en"
_INDEX = {"en": 0, "zh": 1}


def current() -> str:
    """The session's language: the sidebar switch, else ``?lang=``, else English."""
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:  # outside a run (pure tests)
        return DEFAULT_LANG
    lang = st.session_state.get("lang")
    if lang is None:
        lang = st.query_params.get("lang", DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, **kwargs: Any) -> str:
    """The label for ``key`` (the key itself when missing, so gaps are visible, not fatal)."""
    pair = LABELS.get(key)
    text = pair[_INDEX[lang or current()]] if pair else key
    return text.format(**kwargs) if kwargs else text


def column(name: str, lang: str | None = None) -> str:
    pair = COLUMNS.get(name)
    if pair is None:
        return name.replace("_", " ").capitalize()
    return pair[_INDEX[lang or current()]]


def kpi_label(kpi: Any, lang: str | None = None) -> str:
    """A registry KPI's name in the session's language."""
    return kpi.label_zh if (lang or current()) == "zh" else kpi.label_en


def value(column_name: str, raw: Any, lang: str | None = None) -> Any:
    """A coded value (status, segment, ...) in words; other values unchanged."""
    pair = VALUES.get(column_name, {}).get(raw) if isinstance(raw, str) else None
    return pair[_INDEX[lang or current()]] if pair else raw
