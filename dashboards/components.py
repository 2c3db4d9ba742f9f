"""Building blocks every page shares: period, warehouse guard, KPI tiles, filters, tables.

The sidebar (language, period, build, refresh) lives in ``dashboards/sidebar.py``; pages read
its choices from ``st.session_state`` through ``period()`` and ``lang()``, with defaults, so
a page also runs alone under ``AppTest``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from dashboards import charts, data, fmt, periods
from dashboards.i18n import column, current, kpi_label, t
from dashboards.i18n import value as value_label
from dashboards.labels import VALUES
from dashboards.links import record_url
from operational.settings import get_settings
from serving import kpis
from serving.kpis import previous_period, same_period_last_year


def lang() -> str:
    return current()


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date
    preset: str

    def label(self, language: str | None = None) -> str:
        language = language or lang()
        return t("period.range", language, start=fmt.day(self.date_from, language),
                 end=fmt.day(self.date_to, language))

    @property
    def previous(self) -> tuple[date, date]:
        return previous_period(self.date_from, self.date_to)

    @property
    def last_year(self) -> tuple[date, date]:
        return same_period_last_year(self.date_from, self.date_to)


def today() -> date:
    return periods.company_today(get_settings().timezone)


def period() -> Period:
    """The period chosen in the sidebar (default: this month up to today)."""
    preset = st.session_state.get("period_preset", periods.DEFAULT_PRESET)
    custom = st.session_state.get("period_custom")
    custom = tuple(custom) if isinstance(custom, list | tuple) and len(custom) == 2 else None
    lo, hi = periods.resolve(preset, today(), custom)
    return Period(lo, hi, preset)


def require_warehouse() -> dict[str, Any]:
    """The published build's info; without one, a friendly full-page message and stop."""
    info = data.build_info()
    if info is None:
        st.title(t("empty.no_warehouse.title"))
        st.info(t("empty.no_warehouse.body"), icon=":material/hourglass_empty:")
        st.stop()
    return info


def require_models(info: dict[str, Any], *names: str) -> bool:
    """True when the build has every ``schema.table``; else says which one is missing."""
    have = data.relations(info["build_id"])
    missing = [n for n in names if n not in have]
    if missing:
        st.info(t("empty.model_missing", model=", ".join(missing)), icon=":material/construction:")
        return False
    return True


def page_header(title_key: str, caption: str | None = None) -> None:
    st.title(t(title_key))
    if caption:
        st.caption(caption)


# --- KPI tiles ---------------------------------------------------------------------------


def _floats(values: Sequence[Any]) -> list[float]:
    return [0.0 if v is None or pd.isna(v) else float(v) for v in values]


Filters = tuple[str | None, str | None, int | None]


def tile_dims(info: dict[str, Any], filters: Filters | None) -> dict[str, str]:
    """The filter bar's choices as registry dimensions (owner by employee code)."""
    return data.filter_dims(info, filters)


def _tile_values(info: dict[str, Any], names: tuple[str, ...], per: Period,
                 dims: dict[str, str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """Each KPI's now / previous / last-year / sparkline values, cut by the chosen members of
    the dimensions it supports; also which chosen dimensions each KPI cannot be cut by."""
    build, reg = info["build_id"], data.registry(info["build_id"])
    groups: dict[tuple[tuple[str, str], ...], list[str]] = {}
    ignored: dict[str, list[str]] = {}
    for name in names:
        usable, ignored[name] = kpis.split_dims(reg[name], dims)
        groups.setdefault(tuple(sorted(usable.items())), []).append(name)
    out: dict[str, dict[str, Any]] = {"now": {}, "prev": {}, "ly": {}, "spark": {}}
    window = periods.trend_window(per.date_to)
    for pairs, group in groups.items():
        g = tuple(group)
        got = data.kpi_tile_values(build, g, (per.date_from, per.date_to), per.previous,
                                   per.last_year, window, pairs)
        for key in ("now", "prev", "ly"):
            out[key] |= got[key]
        out["spark"] |= {n: [row[n] for row in got["spark"]] for n in g}
    return out, ignored


def kpi_tiles(info: dict[str, Any], names: Sequence[str], per: Period,
              columns: int | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """One bordered tile per KPI: value, change vs the previous period (coloured by whether
    higher is better), the formula on hover, a 12-month sparkline and the year-ago change.
    With ``filters``, each tile is cut by the chosen region / category / owner where the KPI
    supports that dimension, and says so where it does not (company-wide value).

    Returns the sparklines' values (``month`` 'YYYY-MM' and a column per KPI), for a page
    that also charts them over the same 12 months."""
    build, names_t, language = info["build_id"], tuple(names), lang()
    reg = data.registry(build)
    values, ignored = _tile_values(info, names_t, per, tile_dims(info, filters))
    now, prev, ly, spark = values["now"], values["prev"], values["ly"], values["spark"]
    columns = columns or (len(names_t) if len(names_t) in (2, 4) else 3)
    for start in range(0, len(names_t), columns):
        cols = st.columns(columns)
        for col, name in zip(cols, names_t[start : start + columns], strict=False):
            kpi = reg[name]
            change = fmt.delta(now[name], prev[name], kpi.unit, language)
            same = fmt.to_decimal(now[name]) == fmt.to_decimal(prev[name])
            with col, st.container(border=True):
                st.metric(
                    kpi_label(kpi, language),
                    fmt.value(now[name], kpi.unit, language),
                    delta=change,
                    # no change is neither good nor bad: grey, no arrow
                    delta_color="off" if same else (
                        "normal" if kpi.higher_is_better else "inverse"),
                    delta_arrow="off" if same else "auto",
                    delta_description=t("tile.vs_previous") if change else None,
                    help=t("tile.formula", formula=kpi.formula),
                    chart_data=_floats(spark[name]),
                    chart_type="line",
                )
                yoy = fmt.delta(now[name], ly[name], kpi.unit, language)
                has_ly = ly[name] not in (None, 0)
                st.caption(t("tile.vs_last_year", delta=yoy) if has_ly and yoy
                           else t("tile.last_year_none"))
                if ignored[name]:
                    st.caption(t("tile.not_split", dims=", ".join(
                        t(f"filter.{d}") for d in ignored[name])))
    months = [label for label, _, _ in kpis.month_ranges(*periods.trend_window(per.date_to))]
    return pd.DataFrame({"month": months, **{n: spark[n] for n in names_t}})


# --- filters -----------------------------------------------------------------------------


FILTERS = ("region", "category", "owner")


def filter_bar(info: dict[str, Any], key: str, *, pickers: Sequence[str] = FILTERS,
               owners: Sequence[tuple[int, str]] | None = None,
               owner_help: str | None = None) -> Filters:
    """Region, product category and owner pickers in one row ("All" means no filter); only
    ``pickers`` are shown, the others stay None. ``owners`` (id, name) replaces the sales
    owners where the page's owner means someone else (``owner_help`` says who).

    A user limited to their own records (``auth.owner_scope``) gets no owner picker: the
    owner is always them, and a picker that cannot change anything would mislead."""
    from dashboards import auth

    scope = auth.owner_scope()
    shown = [p for p in FILTERS if p in pickers and not (p == "owner" and scope is not None)]
    if not shown:
        return None, None, scope
    opts = data.filter_options(info["build_id"])
    names = dict(opts["owner"] if owners is None else owners)
    choices = {"region": opts["region"], "category": opts["category"], "owner": list(names)}
    every = t("filter.all")

    def shown_as(v: Any) -> str:
        return every if v is None else str(v)

    def owner_as(v: Any) -> str:
        return every if v is None else names.get(v, str(v))

    chosen: dict[str, Any] = {"owner": scope}
    for col, name in zip(st.columns(len(shown)), shown, strict=True):
        chosen[name] = col.selectbox(
            t(f"filter.{name}"), [None, *choices[name]], key=f"{key}_{name}",
            help=owner_help if name == "owner" else None,
            format_func=owner_as if name == "owner" else shown_as)
    return chosen.get("region"), chosen.get("category"), chosen["owner"]


def not_applied(filters: Filters, dims: Sequence[str], why_key: str) -> None:
    """Under a section that cannot be cut by ``dims``: a caption naming those of them the
    user chose (nothing when none is chosen), and why; the section shows every row."""
    chosen = [d for d, member in zip(FILTERS, filters, strict=True)
              if d in dims and member is not None]
    if chosen:
        names = [t(f"filter.{d}").lower() for d in chosen]
        st.caption(t("filter.not_applied", dims=t("filter.joiner").join(names), why=t(why_key)))


def filter_members(info: dict[str, Any], filters: Filters) -> dict[str, Any]:
    """The filter bar's choices keyed by the dimension columns of month-grain KPIs
    (for ``kpi_by_month(..., only=...)``); the owner by name, as those KPIs show it."""
    region, category, owner = filters
    names = dict(data.filter_options(info["build_id"])["owner"])
    return {"region": region, "product_category": category,
            "owner": names.get(owner) if owner is not None else None}


# --- tables and exports ------------------------------------------------------------------


DATE_FORMATS = {"en": ("D MMM YYYY", "D MMM YYYY HH:mm"),
                "zh": ("YYYY年M月D日", "YYYY年M月D日 HH:mm")}


def _is_date(series: pd.Series) -> bool:
    first = series.dropna().head(1).tolist()
    return bool(first) and isinstance(first[0], date) and not isinstance(first[0], datetime)


def _column_config(df: pd.DataFrame, money: Sequence[str], rates: Sequence[str]) -> dict:
    cfg: dict[str, Any] = {}
    day_fmt, time_fmt = DATE_FORMATS[lang()]
    for name in df.columns:
        label = column(name)
        if pd.api.types.is_datetime64_any_dtype(df[name]):
            cfg[name] = st.column_config.DatetimeColumn(label, format=time_fmt)
        elif _is_date(df[name]):
            cfg[name] = st.column_config.DateColumn(label, format=day_fmt)
        elif name in money:
            cfg[name] = st.column_config.NumberColumn(label, format="¥%,.2f")
        elif name in rates:
            cfg[name] = st.column_config.NumberColumn(label, format="percent")
        elif pd.api.types.is_float_dtype(df[name]):
            cfg[name] = st.column_config.NumberColumn(label, format="%,.1f")
        else:
            cfg[name] = st.column_config.Column(label)
    return cfg


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table as exported: human column names in the session's language, exact values."""
    return df.rename(columns={c: column(c) for c in df.columns})


def to_excel(df: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        export_frame(df).to_excel(xl, index=False, sheet_name=sheet[:31])
    return buf.getvalue()


# --- links to the record page ------------------------------------------------------------

Link = tuple[str, str]  # (table, or the column holding each row's table; column holding the id)
LINK_TEXT = r"#(.+)$"  # a link cell shows the text after '#' (the row's own value)


def record_link(table: Any, record_id: Any, text: Any, language: str | None = None) -> Any:
    """The record page URL for one row, ending in ``#<text>`` for the cell to show; the plain
    text when the row has no record (no id, or no table)."""
    missing = record_id is None or pd.isna(record_id) or not isinstance(table, str) or not table
    if missing or text is None or (not isinstance(text, str) and pd.isna(text)):
        return text
    url = record_url(table, int(record_id), lang=language or lang())
    return f"{url}#{quote(str(text), safe='')}"


def _link_cells(df: pd.DataFrame, name: str, link: Link, language: str) -> list[Any]:
    table, id_col = link
    tables = df[table] if table in df.columns else [table] * len(df)
    return [record_link(tb, rid, text, language)
            for tb, rid, text in zip(tables, df[id_col], df[name], strict=True)]


def _link_plumbing(df: pd.DataFrame, links: Mapping[str, Link]) -> list[str]:
    """The id (and per-row table) columns behind links: neither shown nor exported."""
    return [c for name, (table, id_col) in links.items() if name in df.columns
            for c in (table, id_col) if c in df.columns]


RECORD_SCRIPT = "app_pages/record.py"  # as app.py's navigation registers it


def may_open_records() -> bool:
    """Links to record pages only for those who may open them (``auth.PAGES["record"]``)."""
    from dashboards import auth

    return auth.can_see("record")


def markdown_link(text: Any, table: str, record_id: int) -> str:
    """A Markdown link to a record page (a new tab); ``text``, a record value, is escaped."""
    from dashboards.auth import plain

    return f"[{plain(text)}]({record_url(table, int(record_id), lang=lang())})"


def record_page_link(text: Any, table: str, record_id: int, where: Any = None) -> None:
    """A link to a record page that stays in this tab and session (the sign-in and language
    carry over); a page run alone, outside the app's navigation, gets a Markdown link."""
    from streamlit.errors import StreamlitPageNotFoundError

    from dashboards.auth import plain

    where = where if where is not None else st
    try:
        where.page_link(RECORD_SCRIPT, label=plain(text), icon=":material/arrow_forward:",
                        query_params={"table": table, "id": str(int(record_id))})
    except StreamlitPageNotFoundError:
        where.markdown(markdown_link(text, table, record_id))


def _selected_row_links(df: pd.DataFrame, links: Mapping[str, Link], event: Any) -> None:
    """A selected row's records, opened in this tab: a link cell opens a new tab, which is a
    new session (signed out, default language)."""
    selection = getattr(event, "selection", None)
    rows = list(getattr(selection, "rows", None) or [])
    if not rows:
        return
    row, bar = df.iloc[rows[0]], st.container(horizontal=True)
    for name, (table, id_col) in links.items():
        target = row[table] if table in df.columns else table
        if isinstance(target, str) and not pd.isna(row[id_col]) and not pd.isna(row[name]):
            record_page_link(row[name], target, int(row[id_col]), where=bar)


def table(
    df: pd.DataFrame, *, key: str, file_stem: str, money: Sequence[str] = (),
    rates: Sequence[str] = (), height: int | str = "auto", empty: str = "empty.no_rows",
    links: Mapping[str, Link] | None = None,
) -> None:
    """A read-only table with readable headings and CSV / Excel downloads of the same rows;
    ``empty`` is the label key that explains an empty table.

    ``links={"order_no": ("sales_order", "sales_order_id")}`` makes each order number open its
    record page (the table may name a column holding each row's table, e.g.
    ``("reference_type", "reference_id")``); the id columns are neither shown nor exported,
    and exports keep the plain values. A link opens a new tab; selecting a row offers its
    records in this tab (same session). Links show only to those who may open records."""
    if df.empty:
        st.info(t(empty), icon=":material/info:")
        return
    links = {n: link for n, link in (links or {}).items()
             if n in df.columns and link[1] in df.columns}
    if links and not may_open_records():
        df, links = df.drop(columns=_link_plumbing(df, links)), {}
    plumbing = _link_plumbing(df, links)
    df = df.copy()
    for name in set(VALUES) & set(df.columns):
        df[name] = df[name].map(lambda v, n=name: value_label(n, v))
    tz = get_settings().timezone
    for name in df.columns:  # warehouse timestamps are UTC; people read company time
        if pd.api.types.is_datetime64_any_dtype(df[name]) and df[name].dt.tz is None:
            df[name] = df[name].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    shown = df.copy()
    for name in (*money, *rates):
        if name in shown:
            shown[name] = pd.to_numeric(shown[name], errors="coerce").astype(float)
    config = _column_config(df, money, rates)
    for name, link in links.items():
        shown[name] = _link_cells(df, name, link, lang())
        config[name] = st.column_config.LinkColumn(column(name), display_text=LINK_TEXT)
    linked = df  # still with the id columns: the selected row's records
    df, shown = df.drop(columns=plumbing), shown.drop(columns=plumbing)
    event = st.dataframe(shown, hide_index=True, height=height, key=f"{key}_table",
                         column_config={c: config[c] for c in shown.columns},
                         placeholder=fmt.DASH, on_select="rerun" if links else "ignore",
                         selection_mode="single-row")
    if links:
        _selected_row_links(linked, links, event)
    row = st.container(horizontal=True)
    row.download_button(
        t("export.csv"), export_frame(df).to_csv(index=False).encode("utf-8-sig"),
        file_name=f"{file_stem}.csv", mime="text/csv", key=f"{key}_csv",
        icon=":material/download:", on_click="ignore",
    )
    row.download_button(
        t("export.xlsx"), to_excel(df, file_stem), file_name=f"{file_stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx", icon=":material/download:", on_click="ignore",
    )


def field_error(errors: dict[str, str], *paths: str) -> None:
    """The service's message for a field, right under its widget."""
    for path in paths:
        if path in errors:
            st.error(errors[path], icon=":material/error:")


def available(info: dict[str, Any], names: Sequence[str]) -> list[str]:
    """The KPIs of ``names`` this build's registry defines (pages list KPIs still to come)."""
    reg = data.registry(info["build_id"])
    return [n for n in names if n in reg]


def kpi_by_month(info: dict[str, Any], names: Sequence[str], date_from: date, date_to: date,
                 key: str, only: dict[str, Any] | None = None) -> None:
    """Month-grain registry KPIs split by their dimension (region, category, owner, ...):
    a selector when there are several, then stacked bars (money) or a line per member.
    ``only`` keeps the rows whose dimension column equals the value (when it is not None)."""
    reg = data.registry(info["build_id"])
    names = [n for n in names if n in reg]
    if not names:
        return
    language = lang()
    name = names[0] if len(names) == 1 else st.radio(
        t("breakdown.pick"), names, key=f"{key}_kpi", horizontal=True,
        format_func=lambda n: kpi_label(reg[n], language), label_visibility="collapsed")
    df = data.kpi_by_month(info["build_id"], name, date_from, date_to)
    if not df.empty:
        for col, wanted in (only or {}).items():
            if wanted is not None and col in df.columns:
                df = df[df[col] == wanted]
    dimension_chart(df, reg[name].unit, key)


def dimension_chart(df: pd.DataFrame, unit: str, key: str) -> None:
    """A month-grain KPI split by its dimension (``month``, the dimension, ``value``): money
    as stacked bars, anything else one line per member; a note when there are no rows."""
    if df.empty:
        st.info(t("empty.no_rows"), icon=":material/info:")
        return
    dim = data.dimension(df)
    df = df.assign(**{dim: df[dim].map(lambda v: value_label(dim, v))})
    chart(charts.by_dimension(df, dim, unit=unit, lang=lang()), key)


def section(title_key: str, caption_key: str | None = None, **kwargs: Any) -> None:
    st.subheader(t(title_key, **kwargs))
    if caption_key:
        st.caption(t(caption_key, **kwargs))


def chart(fig: Any, key: str, *, select: str | None = None) -> Any:
    """Draw a figure; with ``select="x"`` (or ``"y"``) return that axis's value of the
    clicked point (a drill-down), else None."""
    event = st.plotly_chart(fig, key=f"chart_{key}", on_select="rerun" if select else "ignore",
                            selection_mode="points", config={"displayModeBar": False})
    if not select or not event:
        return None
    points = event.get("selection", {}).get("points", [])
    return points[0].get(select) if points else None
