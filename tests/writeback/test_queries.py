"""The dashboards' read functions: My work from the store and from the warehouse, and the
executive overview's counts per rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from tests.writeback.fakes import finding, land_tasks, stalled, stock, warehouse
from writeback import RULES, apply_findings
from writeback.queries import MY_WORK_COLUMNS, counts_by_rule, my_work


def test_my_work_from_the_store_shows_open_tasks_and_their_draft(store_engine, store):
    con = warehouse([stock(store), stalled(store)])
    apply_findings(engine=store_engine, con=con)

    buyer = my_work(store_engine, store["E003"])
    seller = my_work(store_engine, store["E002"])
    nobody = my_work(store_engine, store["E001"])

    assert list(buyer.columns) == MY_WORK_COLUMNS and len(nobody) == 0
    [row] = buyer.to_dict("records")
    assert (row["status"], row["rule"], row["reference_type"], row["document_status"]) == (
        "open", "stock_below_reorder_point", "purchase_order", "draft")
    assert row["document_no"] in row["title"]
    assert (row["due_date"], row["is_overdue"], row["source"]) == (date(2025, 4, 3), True, "rule")
    [row] = seller.to_dict("records")
    assert (row["rule"], row["reference_type"], row["reference_id"]) == (
        "stalled_opportunity", "opportunity", 7)


def test_my_work_from_the_warehouse_adds_live_figures_and_findings_not_landed(store_engine, store):
    recurring = stalled(store)
    apply_findings(engine=store_engine, con=warehouse([recurring]))
    apply_findings(engine=store_engine, con=warehouse([]))
    apply_findings(engine=store_engine, con=warehouse([recurring]))  # episode 2: ":r2"
    later = dict(recurring, reason="No activity for 45 days in stage proposal (limit 21).")
    new = finding("churn_risk", "churn_risk:customer:9:since:2024-11-30", "customer", 9,
                  store["E002"], amount=Decimal("3000.00"))
    new["severity"] = "high"
    con = warehouse([later, new])
    land_tasks(con, store_engine)

    rows = my_work(con, store["E002"]).to_dict("records")

    assert [(r["status"], r["rule_key"], r["severity"]) for r in rows] == [
        ("new", "churn_risk:customer:9:since:2024-11-30", "high"),
        ("open", recurring["rule_key"] + ":r2", "medium"),
    ]
    assert pd.isna(rows[0]["task_id"]) and rows[0]["amount"] == Decimal("3000.00")
    assert rows[1]["reason"] == "No activity for 45 days in stage proposal (limit 21)."
    assert rows[1]["is_overdue"] is False and rows[1]["due_date"] == date(2025, 4, 3)


def test_counts_by_rule_lists_every_rule_with_findings_and_open_tasks(store_engine, store):
    apply_findings(engine=store_engine, con=warehouse([stock(store), stalled(store)]))
    con = warehouse([stock(store), stalled(store), stalled(store, opp=8)])
    land_tasks(con, store_engine)

    counts = counts_by_rule(con)

    assert list(counts["rule"]) == list(RULES)
    by_rule = counts.set_index("rule").to_dict("index")
    assert {k: (v["findings"], v["open_tasks"]) for k, v in by_rule.items() if v["findings"]} == {
        "stalled_opportunity": (2, 1), "stock_below_reorder_point": (1, 1)}
    assert by_rule["stock_below_reorder_point"]["amount"] == Decimal("410.00")
    assert by_rule["churn_risk"]["label_zh"] == "客户流失风险"
