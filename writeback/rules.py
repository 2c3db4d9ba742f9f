"""The rules the warehouse evaluates (models/actions/rule_*.sql), as the write-back knows them.

A finding's ``rule_key`` is ``<rule>:<reference>:<id>[:...]`` and is stable while the
condition holds. Where the data has an episode (the last touch of a stalled opportunity, a
customer's last order, a line's promised date) it is in the key, so a condition that clears
and comes back is a new key and gets a new task. Where it has none (stock, receivables,
approvals), a condition that comes back after the write-back closed its task is raised again
as ``<rule_key>:r<n>`` (n = 2, 3, ...): ``raise_rule_task`` returns the existing task for a
key whatever its status, so the episode has to be in the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    label_zh: str
    cleared: str  # what "the condition cleared" means, for the closing note


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "stalled_opportunity", "Stalled opportunity", "商机停滞",
            "the opportunity has had new activity, moved stage or closed",
        ),
        Rule(
            "churn_risk", "Customer at churn risk", "客户流失风险",
            "the customer has ordered again (or is no longer counted at risk)",
        ),
        Rule(
            "stock_below_reorder_point", "Stock below reorder point", "库存低于再订货点",
            "on hand plus on order is back at or above the reorder point",
        ),
        Rule(
            "overdue_receivable", "Overdue receivable", "应收逾期",
            "the invoice is paid or credited",
        ),
        Rule(
            "delivery_at_risk", "Delivery at risk", "交货风险",
            "the line has shipped, its promise changed, the order was cancelled or stock "
            "now covers it",
        ),
        Rule(
            "unapproved_supplier_payment", "Paid without approval", "未审批付款",
            "the payment now rests on an approval granted before it",
        ),
        Rule(
            "approval_waiting", "Approval waiting", "审批超时",
            "the request has been decided",
        ),
    )
}

CLEARED_PREFIX = "Condition cleared on"
_EPISODE = re.compile(r"^(?P<base>.+):r(?P<n>[0-9]+)$")


def rule_of(rule_key: str) -> str:
    return rule_key.split(":", 1)[0]


def is_owned(rule_key: str | None) -> bool:
    """Tasks the write-back manages: rule keys of a known rule (others are left alone)."""
    return bool(rule_key) and rule_of(rule_key) in RULES  # type: ignore[arg-type]


def split_episode(rule_key: str) -> tuple[str, int]:
    """``('stock_below_reorder_point:product:7', 2)`` for ``...:product:7:r2``; episode 1
    when there is no suffix."""
    match = _EPISODE.match(rule_key)
    if match is None:
        return rule_key, 1
    return match["base"], int(match["n"])


def episode_key(base_key: str, episode: int) -> str:
    return base_key if episode <= 1 else f"{base_key}:r{episode}"
