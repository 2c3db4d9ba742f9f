"""The write-back's rules, without dbt: findings given as a table, the store on both backends.

A stand-in for the published warehouse (``fakes.warehouse``) feeds ``apply_findings``; every
assertion reads the store back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from operational import services as svc
from operational.db import session_scope
from operational.models import (
    AuditLog,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentSuggestion,
    Task,
)
from tests.writeback.fakes import AS_OF, finding, stalled, stock, warehouse
from writeback import RULES, WritebackReport, apply_findings

ACTOR = "tester"
REPO = Path(__file__).resolve().parents[2]


def apply(engine: Engine, findings: list[dict[str, Any]]) -> WritebackReport:
    con = warehouse(findings)
    try:
        return apply_findings(engine=engine, con=con, actor="warehouse")
    finally:
        con.close()


def tasks(engine: Engine) -> list[Task]:
    with Session(engine) as s:
        return list(s.exec(select(Task).order_by(Task.id)).all())  # type: ignore[arg-type]


def drafts(engine: Engine) -> list[PurchaseOrder]:
    with Session(engine) as s:
        return list(s.exec(select(PurchaseOrder).order_by(PurchaseOrder.id)).all())  # type: ignore[arg-type]


def shortage_suggestion(engine: Engine, store: dict[str, int]) -> int:
    """Confirming an order with no stock raises an open replenishment suggestion."""
    with session_scope(engine) as s:
        order = svc.create_sales_order(session=s, actor=ACTOR, data={
            "customer_id": store["customer"], "order_date": AS_OF,
            "lines": [{"product_id": store["product"], "quantity": "5", "unit_price": "10.00"}],
        })
        result = svc.confirm_order(session=s, order_id=order.id, expected_version=order.version,
                                   today=AS_OF, actor=ACTOR)
        return result.suggestions[0].id


# --- tests -----------------------------------------------------------------------------------


def test_each_finding_raises_one_task_however_often_it_is_applied(store_engine, store):
    findings = [stalled(store), finding(
        "overdue_receivable", "overdue_receivable:invoice:3", "invoice", 3, store["E001"],
        reason="Open 226.00 (gross) on invoice INV-3, due 2025-03-21: 10 days overdue.")]

    first = apply(store_engine, findings)
    second = apply(store_engine, findings)
    third = apply(store_engine, findings)

    assert (first.raised, first.unchanged, first.closed, first.drafts) == (2, 0, 0, 0)
    assert (second.raised, second.unchanged, third.raised, third.unchanged) == (0, 2, 0, 2)
    assert first.as_of_date == "2025-03-31" and first.errors == []
    raised = tasks(store_engine)
    assert [(t.rule_key, t.status, t.source, t.assignee_id) for t in raised] == [
        ("overdue_receivable:invoice:3", "open", "rule", store["E001"]),
        ("stalled_opportunity:opp:7:stage:proposal:since:2025-02-20", "open", "rule",
         store["E002"]),
    ]
    opp_task = raised[1]
    assert opp_task.title == "Act on stalled_opportunity:opp:7:stage:proposal:since:2025-02-20"
    assert opp_task.reason == "No activity for 39 days in stage proposal (limit 21)."
    assert (opp_task.reference_type, opp_task.reference_id) == ("opportunity", 7)
    assert opp_task.due_date == date(2025, 4, 3)
    with Session(store_engine) as s:
        audit = s.exec(select(AuditLog).where(AuditLog.table_name == "task")).all()
    assert [(a.action, a.changed_by) for a in audit] == [("create", "warehouse")] * 2


def test_stock_finding_drafts_a_purchase_order_the_task_points_at(store_engine, store):
    suggestion = shortage_suggestion(store_engine, store)

    report = apply(store_engine, [stock(store)])
    again = apply(store_engine, [stock(store)])

    assert (report.raised, report.drafts, again.raised, again.drafts) == (1, 1, 0, 0)
    [po] = drafts(store_engine)
    assert (po.status, po.is_system_draft, po.supplier_id, po.buyer_id) == (
        "draft", True, store["supplier"], store["E003"])
    assert (po.order_date, po.expected_date, po.total_amount) == (
        AS_OF, date(2025, 4, 10), Decimal("410.00"))
    with Session(store_engine) as s:
        [line] = s.exec(select(PurchaseOrderLine)).all()
        linked = s.get(ReplenishmentSuggestion, suggestion)
    assert (line.product_id, line.quantity, line.unit_cost) == (
        store["product"], Decimal("82.000"), Decimal("5.00"))
    assert (linked.status, linked.purchase_order_id) == ("ordered", po.id)
    [task] = tasks(store_engine)
    assert (task.reference_type, task.reference_id) == ("purchase_order", po.id)
    assert task.title == f"Reorder CEM-1 Cement: review draft {po.po_no}"
    assert task.reason.endswith(
        f"Draft purchase order {po.po_no} is ready: check the quantity, then place it "
        "(or cancel it).")


def test_a_cleared_finding_closes_its_task_and_withdraws_an_unused_draft(store_engine, store):
    apply(store_engine, [stock(store), stalled(store)])

    cleared = apply(store_engine, [stalled(store)])
    again = apply(store_engine, [stalled(store)])

    assert (cleared.closed, cleared.unchanged, cleared.cancelled_drafts) == (1, 1, 1)
    assert (again.closed, again.raised, again.unchanged) == (0, 0, 1)
    by_rule = {t.rule_key.split(":")[0]: t for t in tasks(store_engine)}
    stock_task, opp_task = by_rule["stock_below_reorder_point"], by_rule["stalled_opportunity"]
    assert (stock_task.status, opp_task.status) == ("done", "open")
    [po] = drafts(store_engine)
    assert po.status == "cancelled"
    assert stock_task.close_note.startswith(
        "Condition cleared on 2025-03-31: on hand plus on order is back at or above the "
        f"reorder point. Draft {po.po_no} was not needed and is cancelled. Was: Because of")
    assert stock_task.closed_at is not None


def test_a_draft_holding_suggestions_is_left_for_purchasing(store_engine, store):
    shortage_suggestion(store_engine, store)
    apply(store_engine, [stock(store)])

    report = apply(store_engine, [])

    [po] = drafts(store_engine)
    [task] = tasks(store_engine)
    assert (report.closed, report.cancelled_drafts, po.status) == (1, 0, "draft")
    assert f"Draft {po.po_no} is still a draft: place or cancel it." in task.close_note


def test_a_condition_that_comes_back_gets_a_new_task(store_engine, store):
    shortage_suggestion(store_engine, store)  # keeps the draft alive between episodes
    keys = []
    for _ in range(2):
        raised = apply(store_engine, [stock(store), stalled(store)])
        unchanged = apply(store_engine, [stock(store), stalled(store)])
        cleared = apply(store_engine, [])
        keys.append((raised.raised, unchanged.unchanged, cleared.closed))

    back = apply(store_engine, [stock(store)])

    assert keys == [(2, 2, 2), (2, 2, 2)]
    assert (back.raised, back.drafts) == (1, 0)  # the open system draft is reused
    product = store["product"]
    assert [(t.rule_key, t.status) for t in tasks(store_engine)] == [
        ("stalled_opportunity:opp:7:stage:proposal:since:2025-02-20", "done"),
        (f"stock_below_reorder_point:product:{product}", "done"),
        ("stalled_opportunity:opp:7:stage:proposal:since:2025-02-20:r2", "done"),
        (f"stock_below_reorder_point:product:{product}:r2", "done"),
        (f"stock_below_reorder_point:product:{product}:r3", "open"),
    ]
    [po] = drafts(store_engine)
    assert {t.reference_id for t in tasks(store_engine) if t.rule_key.startswith("stock")} == {
        po.id}


def test_a_task_its_owner_closed_stays_closed_while_the_finding_persists(store_engine, store):
    apply(store_engine, [stalled(store)])
    [task] = tasks(store_engine)
    with session_scope(store_engine) as s:
        svc.complete_task(session=s, task_id=task.id, expected_version=task.version,
                          note="Customer on holiday until April", actor="sally")

    report = apply(store_engine, [stalled(store)])
    gone = apply(store_engine, [])

    assert (report.raised, report.unchanged, report.dismissed) == (0, 1, 1)
    assert (gone.closed, gone.raised) == (0, 0)
    [task] = tasks(store_engine)
    assert (task.status, task.close_note) == ("done", "Customer on holiday until April")


def test_unowned_findings_are_unassigned_and_bad_ones_do_not_block_the_rest(store_engine, store):
    findings = [
        finding("approval_waiting", "approval_waiting:request:1", "approval_request", 1, -1),
        finding("approval_waiting", "approval_waiting:request:2", "approval_request", 2, 9999),
        stalled(store),
    ]

    report = apply(store_engine, findings)

    assert (report.raised, len(report.errors)) == (2, 1)
    assert report.errors[0].startswith("approval_waiting:request:2: ")
    assert "9999" in report.errors[0]
    assert {t.rule_key: t.assignee_id for t in tasks(store_engine)} == {
        "approval_waiting:request:1": None,
        "stalled_opportunity:opp:7:stage:proposal:since:2025-02-20": store["E002"],
    }


def test_tasks_the_write_back_does_not_own_are_left_alone(store_engine, store):
    with session_scope(store_engine) as s:
        svc.create_task(session=s, data={"title": "Call the bank"}, actor=ACTOR)
        svc.raise_rule_task(session=s, rule_key="legacy_rule:thing:1", title="Other producer")

    report = apply(store_engine, [])

    assert report.closed == 0
    assert [(t.title, t.status) for t in tasks(store_engine)] == [
        ("Call the bank", "open"), ("Other producer", "open")]


def test_registry_matches_the_dbt_rules():
    spec = yaml.safe_load((REPO / "models/actions/_actions__models.yml").read_text())
    [report] = [m for m in spec["models"] if m["name"] == "rpt_action_findings"]
    [rule_col] = [c for c in report["columns"] if c["name"] == "rule"]
    accepted = rule_col["data_tests"][0]["accepted_values"]["arguments"]["values"]
    sql = "\n".join(p.read_text() for p in (REPO / "models/actions").glob("rule_*.sql"))
    assert list(RULES) == accepted
    assert all(f"'{name}' as rule," in sql for name in RULES)
