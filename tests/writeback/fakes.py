"""A stand-in for the published warehouse: the tables the write-back and its queries read."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from operational.models import PurchaseOrder, Task

AS_OF = date(2025, 3, 31)


def warehouse(
    findings: list[dict[str, Any]], as_of: date = AS_OF, path: str = ":memory:"
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path)
    for schema in ("actions", "meta", "marts"):
        con.execute(f"create schema {schema}")
    con.execute("""
        create table actions.rpt_action_findings (
            rule_key varchar, rule varchar, reference_type varchar, reference_id bigint,
            owner_employee_id bigint, owner_name varchar, owner_department varchar,
            title varchar, reason varchar, severity varchar, amount decimal(18, 2),
            due_date date, details varchar, as_of_date date)
    """)
    for f in findings:
        con.execute(
            "insert into actions.rpt_action_findings values "
            "(?, ?, ?, ?, ?, 'Someone', 'sales', ?, ?, ?, ?, ?, ?, ?)",
            [f["rule_key"], f["rule"], f["reference_type"], f["reference_id"],
             f["owner_employee_id"], f["title"], f["reason"], f["severity"], f["amount"],
             f["due_date"], json.dumps(f["details"]), as_of],
        )
    con.execute("create table meta.build_info (build_id varchar, built_at timestamp, "
                "as_of timestamp, info json)")
    con.execute("insert into meta.build_info values ('b1', now(), now(), ?)",
                [json.dumps({"as_of_date": as_of.isoformat()})])
    return con


def finding(rule: str, key: str, ref_type: str, ref_id: int, owner: int, **extra: Any) -> dict:
    return {
        "rule_key": key, "rule": rule, "reference_type": ref_type, "reference_id": ref_id,
        "owner_employee_id": owner, "title": extra.get("title", f"Act on {key}"),
        "reason": extra.get("reason", f"Because of {key}."), "severity": "medium",
        "amount": extra.get("amount", Decimal("10.00")),
        "due_date": extra.get("due_date", AS_OF + timedelta(days=3)),
        "details": extra.get("details", {}),
    }


def stalled(store: dict[str, int], opp: int = 7, since: str = "2025-02-20") -> dict:
    key = f"stalled_opportunity:opp:{opp}:stage:proposal:since:{since}"
    return finding("stalled_opportunity", key, "opportunity", opp, store["E002"],
                   reason="No activity for 39 days in stage proposal (limit 21).")


def stock(store: dict[str, int], owner: int | None = None) -> dict:
    return finding(
        "stock_below_reorder_point", f"stock_below_reorder_point:product:{store['product']}",
        "product", store["product"], owner or store["E003"], title="Reorder CEM-1 Cement",
        amount=Decimal("410.00"),
        details={"product_id": store["product"], "supplier_id": store["supplier"],
                 "suggested_quantity": "82.000", "unit_cost": "5.00", "lead_time_days": 10},
    )


def land_tasks(con: duckdb.DuckDBPyConnection, engine: Engine) -> None:
    """What a refresh would land: the store's tasks as marts.fct_tasks, its purchase orders
    as marts.fct_purchase_order_lines (only the columns the queries read)."""
    with Session(engine) as s:
        tasks = s.exec(select(Task)).all()
        orders = s.exec(select(PurchaseOrder)).all()
    con.execute("""
        create or replace table marts.fct_tasks (
            task_id bigint, title varchar, assignee_employee_id bigint, task_status varchar,
            task_source varchar, rule_key varchar, reason varchar, reference_type varchar,
            reference_id bigint, due_date date, created_at timestamp, is_open boolean)
    """)
    for t in tasks:
        con.execute(
            "insert into marts.fct_tasks values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [t.id, t.title, t.assignee_id if t.assignee_id else -1, t.status, t.source,
             t.rule_key, t.reason, t.reference_type, t.reference_id, t.due_date,
             t.created_at, t.status in ("open", "in_progress")],
        )
    con.execute("""
        create or replace table marts.fct_purchase_order_lines (
            purchase_order_id bigint, po_no varchar, purchase_order_status varchar)
    """)
    for po in orders:
        con.execute("insert into marts.fct_purchase_order_lines values (?, ?, ?)",
                    [po.id, po.po_no, po.status])
