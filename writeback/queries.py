"""Read functions for the pages that show the warehouse's findings (no Streamlit here).

``my_work`` reads either the operational store (an SQLAlchemy engine: always current, tasks
the write-back raised a second ago included) or the published warehouse (a DuckDB
connection: tasks as of the last refresh, joined to the live findings for severity, amount
and today's figures, plus findings whose task has not landed yet). ``counts_by_rule`` is the
executive overview's summary, from the published warehouse.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from operational.services._core import company_today
from writeback.findings import build_as_of_date
from writeback.rules import RULES

MY_WORK_COLUMNS = [
    "task_id", "status", "title", "reason", "rule", "rule_key", "severity", "amount",
    "due_date", "is_overdue", "reference_type", "reference_id", "document_no",
    "document_status", "source", "created_at",
]

_STORE_MY_WORK = text("""
    select
        t.id as task_id, t.status, t.title, t.reason, t.rule_key, t.due_date,
        t.reference_type, t.reference_id, t.source, t.created_at,
        po.po_no as document_no, po.status as document_status
    from task as t
    left join purchase_order as po
        on t.reference_type = 'purchase_order' and po.id = t.reference_id
    where t.assignee_id = :employee_id and t.status in ('open', 'in_progress')
""")

# Findings match tasks by key; a recurrence's task key carries ":r<n>".
_WAREHOUSE_MY_WORK = """
    with tasks as (
        select *, regexp_replace(coalesce(rule_key, ''), ':r[0-9]+$', '') as finding_key
        from marts.fct_tasks
    ),
    orders as (
        select distinct purchase_order_id, po_no, purchase_order_status
        from marts.fct_purchase_order_lines
    ),
    findings as (
        select * from actions.rpt_action_findings
    )
    select
        t.task_id, t.task_status as status, t.title, coalesce(f.reason, t.reason) as reason,
        t.rule_key, f.severity, f.amount, t.due_date, t.reference_type, t.reference_id,
        t.task_source as source, t.created_at,
        o.po_no as document_no, o.purchase_order_status as document_status
    from tasks as t
    left join findings as f on t.finding_key = f.rule_key
    left join orders as o
        on t.reference_type = 'purchase_order' and o.purchase_order_id = t.reference_id
    where t.is_open and t.assignee_employee_id = $employee_id
        -- a warehouse task whose finding is gone was closed by the write-back after this build
        and (f.rule_key is not null or split_part(t.finding_key, ':', 1) not in ({rules}))
    union all
    select
        null, 'new', f.title, f.reason, f.rule_key, f.severity, f.amount, f.due_date,
        f.reference_type, f.reference_id, 'rule', null, null, null
    from findings as f
    where f.owner_employee_id = $employee_id
        and not exists (select 1 from tasks as t where t.finding_key = f.rule_key)
"""

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_RULE_LIST = ", ".join(f"'{name}'" for name in RULES)


def _finish(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    frame["rule"] = [
        key.split(":", 1)[0] if isinstance(key, str) and key.split(":", 1)[0] in RULES else None
        for key in frame["rule_key"]
    ]
    for column in ("task_id", "reference_id"):
        frame[column] = pd.array(
            [None if pd.isna(v) else int(v) for v in frame[column]], dtype="Int64"
        )
    frame["due_date"] = pd.to_datetime(frame["due_date"]).dt.date
    frame["is_overdue"] = [
        d is not None and not pd.isna(d) and d < today for d in frame["due_date"]
    ]
    frame["_severity"] = frame["severity"].map(_SEVERITY_ORDER).fillna(3)
    frame["_due"] = pd.to_datetime(frame["due_date"])
    frame = frame.sort_values(["_severity", "_due"], na_position="last", kind="stable")
    return frame.drop(columns=["_severity", "_due"]).reset_index(drop=True)[MY_WORK_COLUMNS]


def my_work(
    con_or_engine: duckdb.DuckDBPyConnection | Engine | Connection, employee_id: int
) -> pd.DataFrame:
    """One employee's open work, most severe and most urgent first.

    Columns: ``MY_WORK_COLUMNS``. ``reference_type``/``reference_id`` name what to link to
    (opportunity, customer, product, invoice, sales_order, supplier_payment,
    approval_request, purchase_order); ``document_no``/``document_status`` describe the
    draft purchase order a stock task points at. ``status`` is 'new' for a finding whose
    task is not in the warehouse yet (warehouse only); severity and amount are only known
    from the warehouse.
    """
    if isinstance(con_or_engine, duckdb.DuckDBPyConnection):
        cur = con_or_engine.execute(_WAREHOUSE_MY_WORK.format(rules=_RULE_LIST),
                                    {"employee_id": employee_id})
        frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        today = _warehouse_today(con_or_engine)
    else:
        with _connection(con_or_engine) as conn:
            result = conn.execute(_STORE_MY_WORK, {"employee_id": employee_id})
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        frame["severity"] = None
        frame["amount"] = None
        today = company_today()
    return _finish(frame, today)


def counts_by_rule(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per rule (every rule, in a fixed order): open findings, how many are high severity,
    the amount at stake, how many owners they reach and the open tasks the warehouse raised."""
    cur = con.execute("""
        with findings as (
            select rule, count(*) as findings,
                   count(*) filter (where severity = 'high') as high_severity,
                   sum(amount) as amount, count(distinct owner_employee_id) as owners
            from actions.rpt_action_findings
            group by rule
        ),
        tasks as (
            -- open in the warehouse and still found (else the write-back has closed it)
            select split_part(t.rule_key, ':', 1) as rule, count(*) as open_tasks
            from marts.fct_tasks as t
            inner join actions.rpt_action_findings as f
                on regexp_replace(t.rule_key, ':r[0-9]+$', '') = f.rule_key
            where t.is_open and t.task_source = 'rule'
            group by 1
        )
        select coalesce(f.rule, t.rule) as rule, f.findings, f.high_severity, f.amount,
               f.owners, t.open_tasks
        from findings as f full join tasks as t on f.rule = t.rule
    """)
    found = {row[0]: row[1:] for row in cur.fetchall()}
    rows: list[dict[str, Any]] = []
    for name, rule in RULES.items():
        findings, high, amount, owners, open_tasks = found.get(name, (0, 0, None, 0, 0))
        rows.append({
            "rule": name, "label": rule.label, "label_zh": rule.label_zh,
            "findings": int(findings or 0), "high_severity": int(high or 0),
            "amount": amount, "owners": int(owners or 0), "open_tasks": int(open_tasks or 0),
        })
    return pd.DataFrame(rows)


def _warehouse_today(con: duckdb.DuckDBPyConnection) -> date:
    return build_as_of_date(con) or company_today()


class _connection:
    """An SQLAlchemy connection from an engine, or the connection given (left open)."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self.conn: Connection | None = None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Engine):
            self.conn = self.bind.connect()
            return self.conn
        return self.bind

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()
