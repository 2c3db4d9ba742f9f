"""Every warehouse read the dashboards make, and the only module with SQL in it.

Reads go through ``published()``: one read-only connection per page run, opened on the
first read that misses the cache and closed when the run ends (``one_connection_per_run``,
around every page in ``app.py``); outside a run, a short-lived connection per call.
Connections are never kept between runs, so a new build is read by the next run. Results
are cached with ``st.cache_data`` keyed by the warehouse ``build_id`` and every parameter,
so a new build is read at once and old entries expire. Parameters are always bound
(``$name``), never formatted into SQL.

Owner scope: a sales rep reads only the customers, deals and orders they own. Queries that
can be limited say so with ``$scope_owner`` (see ``scope_sql``); ``frame(..., scope=id)``
binds it, and is refused for a query that cannot be limited. The scope is an argument of
every cached function it affects, so one user's cached rows are never another's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from serving import kpis
from serving.read import WarehouseNotReady, connect_published, fetch_dicts, open_published
from serving.read import build_info as _build_info

TTL = 600  # seconds: a refresh normally changes build_id first; this bounds memory
LIFETIME_START = date(1900, 1, 1)  # "lifetime" KPIs count everything up to the period end

_run = threading.local()  # Streamlit runs each session's script in its own thread


@contextmanager
def one_connection_per_run() -> Iterator[None]:
    """Every warehouse read of one page run shares one connection, opened on first use (a
    run served from the cache opens none) and closed when the run ends. Opening a connection
    cost ~35 ms at large and a page made seven; one also gives the whole page one build."""
    _run.active, _run.con = True, None
    try:
        yield
    finally:
        con, _run.active, _run.con = _run.con, False, None
        if con is not None:
            con.close()


@contextmanager
def published() -> Iterator[Any]:
    """The run's shared connection inside ``one_connection_per_run``, else a new one."""
    if not getattr(_run, "active", False):
        with open_published() as con:
            yield con
        return
    if _run.con is None:
        _run.con = connect_published()
    yield _run.con


def build_info() -> dict[str, Any] | None:
    """The published build's id and times, or None when nothing is published yet."""
    try:
        with published() as con:
            return _build_info(con)
    except WarehouseNotReady:
        return None


def query(sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    with published() as con:
        rows = fetch_dicts(con, sql, params)
    return pd.DataFrame(rows)


@st.cache_data(ttl=TTL, show_spinner=False)
def relations(build_id: str) -> frozenset[str]:
    """``schema.table`` names in the build (pages check the models they need exist)."""
    df = query("select table_schema || '.' || table_name as rel from information_schema.tables")
    return frozenset(df["rel"]) if not df.empty else frozenset()


@st.cache_data(ttl=TTL, show_spinner=False)
def action_counts(build_id: str) -> pd.DataFrame:
    """Open findings per rule, from the warehouse's actions models (empty if not built)."""
    if "actions.rpt_action_findings" not in relations(build_id):
        return pd.DataFrame()
    from writeback.queries import counts_by_rule

    with published() as con:
        return counts_by_rule(con)


@st.cache_data(ttl=TTL, show_spinner=False)
def registry(build_id: str) -> dict[str, kpis.KpiDefinition]:
    with published() as con:
        return kpis.registry(con)


# ``dims``: (dimension, member) pairs (region, category, grade, owner code); a tuple so the
# cache is keyed by it. Members are bound parameters of the registry SQL.
DimPairs = tuple[tuple[str, str], ...]


@st.cache_data(ttl=TTL, show_spinner=False)
def kpi_values(
    build_id: str, names: tuple[str, ...], date_from: date, date_to: date, dims: DimPairs = ()
) -> dict[str, Any]:
    with published() as con:
        return kpis.evaluate(con, names, date_from, date_to, dict(dims) or None)


@st.cache_data(ttl=TTL, show_spinner=False)
def kpi_tile_values(
    build_id: str, names: tuple[str, ...], period: tuple[date, date],
    previous: tuple[date, date], last_year: tuple[date, date], window: tuple[date, date],
    dims: DimPairs = (),
) -> dict[str, Any]:
    """Tiles' now / prev / ly values and monthly sparkline rows, in one statement
    (``kpis.tile_values``)."""
    with published() as con:
        return kpis.tile_values(con, names, period, previous, last_year, window,
                                dict(dims) or None)


@st.cache_data(ttl=TTL, show_spinner=False)
def kpi_monthly(
    build_id: str, names: tuple[str, ...], date_from: date, date_to: date, dims: DimPairs = ()
) -> pd.DataFrame:
    with published() as con:
        rows = kpis.monthly(con, names, date_from, date_to, dict(dims) or None)
    return pd.DataFrame(rows, columns=["month", *names])


@st.cache_data(ttl=TTL, show_spinner=False)
def kpi_by_month(build_id: str, name: str, date_from: date, date_to: date) -> pd.DataFrame:
    """A month-grain registry KPI as ``month`` ('YYYY-MM'), its dimension column, ``value``."""
    with published() as con:
        rows = kpis.rows(con, name, date_from, date_to)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df.insert(0, "month", pd.to_datetime(df.pop("month_start_date")).dt.strftime("%Y-%m"))
    return df


def dimension(df: pd.DataFrame) -> str:
    """The dimension column of a ``kpi_by_month`` frame (the one that is not month / value)."""
    return next(c for c in df.columns if c not in ("month", "value"))


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_ltv(build_id: str, date_to: date, scope: int | None = None) -> pd.DataFrame:
    """The ``customer_ltv`` KPI (lifetime up to ``date_to``) per customer, with names; with
    ``scope``, only the customers that employee owns."""
    with published() as con:
        rows = kpis.rows(con, "customer_ltv", LIFETIME_START, date_to)
    ltv = pd.DataFrame(rows, columns=["customer_code", "ltv", "margin_ltv", "orders"])
    names = query(SQL["customer_names"], {"scope_owner": scope})
    if scope is not None:
        ltv = ltv[ltv["customer_code"].isin(names["customer_code"] if not names.empty else [])]
    if ltv.empty or names.empty:
        return ltv.assign(customer_name=ltv["customer_code"])
    df = ltv.merge(names, on="customer_code", how="left")
    df["customer_name"] = df["customer_name"].fillna(df["customer_code"])
    return df


RECEIVABLES_AGEING = ("receivables_0_30", "receivables_31_60", "receivables_61_90",
                      "receivables_91_120", "receivables_over_120")


def receivables_ageing(info: dict[str, Any], date_from: date, date_to: date,
                       dims: DimPairs = ()) -> pd.DataFrame:
    """Open receivables per ageing bucket as of ``date_to`` (registry KPIs), oldest last;
    ``dims`` cut them (see ``usable_dims``)."""
    values = kpi_values(info["build_id"], RECEIVABLES_AGEING, date_from, date_to, dims)
    return pd.DataFrame({"bucket": list(RECEIVABLES_AGEING),
                         "open_amount": [values[n] or 0 for n in RECEIVABLES_AGEING]})


def usable_dims(info: dict[str, Any], names: tuple[str, ...],
                dims: dict[str, str]) -> tuple[DimPairs, list[str]]:
    """The chosen members every KPI of ``names`` can be cut by (sorted pairs: a cache key),
    and the chosen dimensions one of them cannot (the page says those are not applied)."""
    reg = registry(info["build_id"])
    skipped = {d for n in names for d in kpis.split_dims(reg[n], dims)[1]}
    usable = {d: m for d, m in dims.items() if d not in skipped}
    return tuple(sorted(usable.items())), sorted(skipped)


# --- filters -----------------------------------------------------------------------------

def scope_sql(column: str) -> str:
    """The owner-scope condition on ``column`` (constant SQL; the owner id stays bound)."""
    return f"(cast($scope_owner as bigint) is null or {column} = $scope_owner)"


def owner_sql(column: str) -> str:
    """The owner filter on ``column`` (constant SQL; None = everyone, the id stays bound)."""
    return f"(cast($owner as bigint) is null or {column} = $owner)"


def filter_sql(alias: str = "") -> str:
    """Optional region / category / owner conditions and the owner scope (constant SQL;
    values stay bound)."""
    p = f"{alias}." if alias else ""
    return f"""
    (cast($region as varchar) is null or {p}customer_region = $region)
    and (cast($category as varchar) is null or {p}product_category = $category)
    and {owner_sql(f"{p}owner_employee_id")}
    and {scope_sql(f"{p}owner_employee_id")}
"""


FILTER_SQL = filter_sql()


def customer_filter_sql(alias: str) -> str:
    """Optional region / owner conditions through the customer (``marts.dim_customers`` as
    ``alias``: its current region and sales owner) and the owner scope, for rows that belong
    to a customer but not to a product (invoices, payments); constant SQL, values bound.
    The registry's receivables KPIs take region and owner as on the order date instead: the
    two differ only for a customer who has moved region or changed owner since."""
    return f"""
    (cast($region as varchar) is null or {alias}.region = $region)
    and {owner_sql(f"{alias}.owner_employee_id")}
    and {scope_sql(f"{alias}.owner_employee_id")}
"""


def filter_dims(info: dict[str, Any], filters: tuple[Any, Any, Any] | None) -> dict[str, str]:
    """The filter bar's choices as registry dimensions (the registry's owner is the employee
    code); dimensions left at "All" are absent."""
    if filters is None:
        return {}
    region, category, owner = filters
    code = filter_options(info["build_id"])["owner_code"].get(owner) if owner else None
    chosen = {"region": region, "category": category, "owner": code}
    return {d: m for d, m in chosen.items() if m is not None}


def _filter_params(filters: tuple[str | None, str | None, int | None]) -> dict[str, Any]:
    region, category, owner = filters
    return {"region": region, "category": category, "owner": owner}


@st.cache_data(ttl=TTL, show_spinner=False)
def filter_options(build_id: str) -> dict[str, list[Any]]:
    """Regions, product categories and sales owners (id, name) that have order lines."""
    regions = query(
        "select distinct customer_region as region from marts.fct_order_lines"
        " where customer_region is not null order by 1"
    )
    categories = query(
        "select distinct product_category from marts.fct_order_lines"
        " where product_category is not null order by 1"
    )
    owners = query(
        """
        select employee_id, employee_name from marts.dim_employees
        where employee_id in (select owner_employee_id from marts.fct_order_lines)
        order by employee_name
        """
    )
    codes = query("select employee_id, employee_code from marts.dim_employees")
    return {
        "region": regions["region"].tolist() if not regions.empty else [],
        "category": categories["product_category"].tolist() if not categories.empty else [],
        "owner": [(r.employee_id, r.employee_name) for r in owners.itertuples()],
        # the registry's $owner is the employee code (the KPI models carry codes); every
        # employee's, as a page may offer other people than sales owners (see office_people)
        "owner_code": {r.employee_id: r.employee_code for r in codes.itertuples()},
    }


@st.cache_data(ttl=TTL, show_spinner=False)
def office_people(build_id: str) -> list[tuple[int, str]]:
    """Employees (id, name) who requested an approval or are assigned a task or a ticket:
    the Office page's owner picker."""
    people = query(
        """
        select employee_id, employee_name from marts.dim_employees
        where employee_id in (
            select requester_employee_id from marts.fct_approval_requests
            union select assignee_employee_id from marts.fct_tasks
            union select assignee_employee_id from marts.fct_service_tickets)
        order by employee_name
        """
    )
    return [(r.employee_id, r.employee_name) for r in people.itertuples()]


# --- overview drill-down -------------------------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def orders_in_month(build_id: str, month: str) -> pd.DataFrame:
    """Orders booked in ``YYYY-MM`` (not cancelled), largest first: the rows behind a bar."""
    year, mon = (int(p) for p in month.split("-"))
    return query(
        """
        select
            lines.order_no,
            min(lines.order_date) as order_date,
            any_value(customers.customer_name) as customer_name,
            any_value(lines.customer_region) as region,
            any_value(employees.employee_name) as owner_name,
            any_value(lines.order_status) as order_status,
            count(*) as line_count,
            sum(lines.net_amount) as net_amount
        from marts.fct_order_lines as lines
        left join marts.dim_customers as customers using (customer_id)
        left join marts.dim_employees as employees
            on lines.owner_employee_id = employees.employee_id
        where not lines.is_cancelled
            and lines.order_date >= make_date($y, $m, 1)
            and lines.order_date < make_date($y, $m, 1) + interval '1 month'
        group by lines.order_no
        order by net_amount desc, lines.order_no
        """,
        {"y": year, "m": mon},
    )


# --- named page queries --------------------------------------------------------------------
# Each takes bound parameters; filtered ones add FILTER_SQL ($region, $category, $owner) and
# read facts carrying customer_region, product_category and owner_employee_id.

PERIOD_LINES = """
    from marts.fct_order_lines
    where not is_cancelled and order_date between $date_from and $date_to and
""" + FILTER_SQL

SQL: dict[str, str] = {
    "sales_by_month_category": """
        select strftime(order_date, '%Y-%m') as month, product_category as category,
               sum(net_amount) as order_intake
    """ + PERIOD_LINES + " group by all order by 1, 2",
    "sales_by_region": """
        select coalesce(customer_region, '—') as region, sum(net_amount) as order_intake
    """ + PERIOD_LINES + " group by all order by 2 desc",
    "sales_by_customer": """
        with lines as (
            select customer_id, count(distinct sales_order_id) as orders,
                   sum(net_amount) as order_intake
    """ + PERIOD_LINES + """ group by customer_id)
        select c.customer_code, c.customer_name, c.region, c.customer_grade, c.owner_name,
               c.segment, lines.orders, lines.order_intake,
               c.lifetime_net_sales, c.last_order_date
        from lines join marts.dim_customers as c using (customer_id)
        order by lines.order_intake desc, c.customer_code
    """,
    "customer_orders": """
        select o.order_no, o.order_date, o.due_date, o.order_status, o.line_count,
               o.net_amount, o.last_delivered_date, o.is_on_time_in_full
        from marts.fct_orders as o join marts.dim_customers as c using (customer_id)
        where c.customer_code = $customer_code and o.order_date between $date_from and $date_to
            and """ + scope_sql("c.owner_employee_id") + """
        order by o.order_date desc, o.order_no
    """,
    "pipeline": """
        select opportunity_stage as stage, count(*) as opportunities,
               sum(opportunity_amount) as amount,
               min(case opportunity_stage when 'prospecting' then 1 when 'qualification' then 2
                   when 'proposal' then 3 when 'negotiation' then 4 else 5 end) as stage_order
        from marts.fct_opportunities
        where not is_closed and """ + owner_sql("owner_employee_id") + """
            and """ + scope_sql("owner_employee_id") + """
        group by opportunity_stage order by stage_order
    """,
    "crm_monthly": """
        select strftime(month_start_date, '%Y-%m') as month,
               sum(leads_converted) / nullif(sum(leads_created), 0) as lead_conversion,
               sum(opportunities_won)
                   / nullif(sum(opportunities_won) + sum(opportunities_lost), 0) as win_rate
        from reports.rpt_crm_monthly
        where month_start_date between $date_from and $date_to
            and """ + owner_sql("owner_employee_id") + """
            and """ + scope_sql("owner_employee_id") + """
        group by all order by 1
    """,
    "otd_by_month": """
        select strftime(month_start_date, '%Y-%m') as month,
               sum(otd_on_time_lines) / nullif(sum(otd_due_lines), 0) as on_time_delivery_rate,
               sum(otd_due_lines) as due_lines
        from reports.rpt_sales_monthly
        where month_start_date between $date_from and $date_to and
    """ + FILTER_SQL + " group by all order by 1",
    "late_lines": """
        select l.order_no, c.customer_name, p.sku, p.product_name, l.quantity,
               l.delivered_quantity, l.promised_date, l.last_delivered_date,
               date_diff('day', l.promised_date,
                         coalesce(l.last_delivered_date, $today)) as days_late
        from marts.fct_order_lines as l
        join marts.dim_customers as c using (customer_id)
        join marts.dim_products as p using (product_id)
        where l.is_otd_due and not l.is_delivered_in_full_on_time
            and l.promised_date between $date_from and $date_to and
    """ + filter_sql("l") + " order by days_late desc, l.order_no",
    "slow_moving": """
        select p.sku, p.product_name, i.product_category as category, i.on_hand_quantity,
               i.inventory_value, i.last_outbound_date
        from marts.fct_inventory_month_end as i join marts.dim_products as p using (product_id)
        where i.is_slow_moving and i.month_start_date = (
                select max(month_start_date) from marts.fct_inventory_month_end)
            and (cast($category as varchar) is null or i.product_category = $category)
        order by i.inventory_value desc
    """,
    "ageing_by_customer": """
        select a.customer_code, a.customer_name, c.region, c.owner_name,
               sum(a.open_amount) as open_amount, sum(a.overdue_amount) as overdue_amount,
               sum(a.open_items) as open_items,
               max(case when a.open_amount > 0 then a.bucket_order end) as oldest_bucket
        from reports.rpt_receivables_ageing as a
        join marts.dim_customers as c using (customer_id)
        where a.as_of_date = (select max(as_of_date) from reports.rpt_receivables_ageing) and
    """ + customer_filter_sql("c") + """
        group by all having sum(a.open_amount) <> 0
        order by overdue_amount desc, open_amount desc, a.customer_code
    """,
    "open_invoices": """
        select i.invoice_no, c.customer_name, c.region, c.owner_name, i.issue_date,
               i.due_date, i.gross_amount, i.paid_amount, i.open_amount,
               greatest(date_diff('day', i.due_date, $today), 0) as days_overdue
        from marts.fct_invoices as i join marts.dim_customers as c using (customer_id)
        where not i.is_credit_note and i.open_amount > 0 and
    """ + customer_filter_sql("c") + """
        order by days_overdue desc, i.open_amount desc, i.invoice_no
    """,
    "payments_by_month": """
        select strftime(p.paid_date, '%Y-%m') as month, sum(p.payment_amount) as collected
        from marts.fct_payments as p left join marts.dim_customers as c using (customer_id)
        where p.paid_date between $date_from and $date_to and
    """ + customer_filter_sql("c") + " group by all order by 1",
    # the registry's gross_margin_rate_by_grade (same model and formula), cut by the filters
    "margin_by_grade": """
        select strftime(month_start_date, '%Y-%m') as month, customer_grade,
               cast(sum(delivered_net_sales) - sum(delivered_cogs) as double)
                   / nullif(cast(sum(delivered_net_sales) as double), 0) as value
        from reports.rpt_sales_monthly
        where month_start_date between cast(date_trunc('month', $date_from) as date)
            and $date_to and
    """ + FILTER_SQL + " group by all order by 1, 2",
    "unapproved_supplier_payments": """
        select sp.payment_no, sp.po_no, s.supplier_name, sp.payment_amount, sp.paid_date,
               sp.approval_status
        from marts.fct_supplier_payments as sp join marts.dim_suppliers as s using (supplier_id)
        where not sp.is_approved_before_payment
            and sp.paid_date between $date_from and $date_to
        order by sp.paid_date desc
    """,
    "approvals_by_kind": """
        select approval_kind, count(*) as requests,
               count(*) filter (where approval_status = 'approved') as approved,
               count(*) filter (where approval_status = 'rejected') as rejected,
               count(*) filter (where is_pending) as pending,
               median(cycle_hours) as median_cycle_hours
        from marts.fct_approval_requests
        where submitted_date between $date_from and $date_to
            and """ + owner_sql("requester_employee_id") + """
        group by all order by requests desc
    """,
    "pending_approvals": """
        select a.request_no, a.approval_kind, e.employee_name as requester, a.amount,
               a.submitted_at,
               round(date_diff('minute', a.submitted_at, $now) / 60.0, 1)
                   as waiting_hours
        from marts.fct_approval_requests as a
        left join marts.dim_employees as e on a.requester_employee_id = e.employee_id
        where a.is_pending and """ + owner_sql("a.requester_employee_id") + """
        order by a.submitted_at
    """,
    "tasks_by_assignee": """
        select coalesce(e.employee_name, '—') as assignee,
               count(*) filter (where t.is_open) as open_tasks,
               count(*) filter (where t.is_overdue) as overdue_tasks,
               count(*) filter (where t.is_open and t.task_source <> 'manual') as system_tasks
        from marts.fct_tasks as t
        left join marts.dim_employees as e on t.assignee_employee_id = e.employee_id
        where """ + owner_sql("t.assignee_employee_id") + """
        group by all having count(*) filter (where t.is_open) > 0
        order by overdue_tasks desc, open_tasks desc
    """,
    "tickets_by_category": """
        select t.ticket_category, count(*) as tickets,
               count(*) filter (where not t.is_resolved) as open_tickets,
               median(t.resolution_hours) as median_resolution_hours,
               avg(t.satisfaction_score) as avg_satisfaction
        from marts.fct_service_tickets as t
        left join marts.dim_customers as c using (customer_id)
        where t.opened_date between $date_from and $date_to
            and (cast($region as varchar) is null or c.region = $region)
            and """ + owner_sql("t.assignee_employee_id") + """
        group by all order by tickets desc, t.ticket_category
    """,
    "customer_names": """
        select customer_code, customer_name from marts.dim_customers
        where """ + scope_sql("owner_employee_id") + """
    """,
    "landing_state": """
        select table_name, cursor_at, landed_at from meta.landing_state order by table_name
    """,
    "my_tasks": """
        select title, task_status, due_date, is_overdue, reason, task_source
        from marts.fct_tasks where is_open and assignee_employee_id = $employee
        order by is_overdue desc, due_date nulls last
    """,
    "my_stale_opportunities": """
        select opportunity_name, opportunity_stage as stage, opportunity_amount as amount,
               expected_close_date, cast(last_activity_at as date) as last_activity_date
        from marts.fct_opportunities
        where not is_closed and owner_employee_id = $employee
            and coalesce(last_activity_at, created_at) < $since
        order by last_activity_date nulls first
    """,
    "my_quiet_customers": """
        select customer_code, customer_name, region, customer_grade, last_order_date,
               lifetime_net_sales
        from marts.dim_customers
        where owner_employee_id = $employee and last_order_date < $since
        order by lifetime_net_sales desc
    """,
}


SCOPED = frozenset(name for name, sql in SQL.items() if "$scope_owner" in sql)


class ScopeError(ValueError):
    """A scoped read asked for a query that cannot be limited to an owner's records."""


@st.cache_data(ttl=TTL, show_spinner=False)
def _frame(build_id: str, name: str, scope_owner: int | None,
           params: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    bound = dict(params)
    if name in SCOPED:
        bound["scope_owner"] = scope_owner
    return query(SQL[name], bound)


def frame(info: dict[str, Any], name: str, *, scope: int | None = None,
          **params: Any) -> pd.DataFrame:
    """The rows of the named query for this build, limited to the records of employee
    ``scope`` when given (cached per build, scope and parameters)."""
    if scope is not None and name not in SCOPED:
        raise ScopeError(f"query {name!r} cannot be limited to one owner's records")
    return _frame(info["build_id"], name, scope, tuple(sorted(params.items())))


def filtered(info: dict[str, Any], name: str, filters: tuple[Any, Any, Any], *,
             scope: int | None = None, **params: Any) -> pd.DataFrame:
    return frame(info, name, scope=scope, **_filter_params(filters), **params)


def customer_filtered(info: dict[str, Any], name: str, filters: tuple[Any, Any, Any], *,
                      scope: int | None = None, **params: Any) -> pd.DataFrame:
    """A query filtered through the customer (``customer_filter_sql``): region and owner
    only, as its rows are not product lines."""
    region, _category, owner = filters
    return frame(info, name, scope=scope, region=region, owner=owner, **params)


def invoiced_and_collected(info: dict[str, Any], date_from: date, date_to: date,
                           filters: tuple[Any, Any, Any] = (None, None, None)) -> pd.DataFrame:
    """Turnover (the registry KPI) beside payments received, per month, for the filters'
    region and owner; not by category, which payments do not have."""
    region, _category, owner = filters
    dims = tuple(sorted(filter_dims(info, (region, None, owner)).items()))
    turnover = kpi_monthly(info["build_id"], ("turnover",), date_from, date_to, dims)
    paid = customer_filtered(info, "payments_by_month", filters, date_from=date_from,
                             date_to=date_to)
    if paid.empty:
        return turnover.assign(collected=0)
    return turnover.merge(paid, on="month", how="left").fillna({"collected": 0})


# --- data health ---------------------------------------------------------------------------


def run_history(limit: int = 50) -> pd.DataFrame:
    """The refresh run history (newest first), one row per run, ready for a table."""
    from serving.refresh import read_history

    rows = []
    for run in read_history(limit=limit):
        failures = run.get("reconciliation_failures") or []
        error = (run.get("error") or "").strip()
        rows.append({
            "started_at": run.get("started_at"),
            "finished_at": run.get("finished_at"),
            "status": run.get("status"),
            "seconds": run.get("seconds"),
            "rows_landed": sum((run.get("rows_landed") or {}).values()),
            "dbt_mode": run.get("dbt_mode") or "",
            "models": run.get("models"),
            "tests": run.get("tests"),
            "unit_tests": run.get("unit_tests"),
            "reconciliation": f"{run.get('reconciled_tables', 0)} ok" if not failures
            else f"{len(failures)} failed: {failures[0]}",
            "error": error.splitlines()[0] if error else "",
            "build_id": run.get("build_id"),
        })
    return pd.DataFrame(rows)
