"""Labels for the filter bar where a page's sections cannot all be cut the same way
(Finance, Office): which chosen filter a section leaves out, and why."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "filter.not_applied": ("Not filtered by {dims}: {why}", "未按{dims}筛选：{why}"),
    "filter.joiner": (", ", "、"),
    "filter.why.invoices": ("receivables are per invoice, not per product.",
                            "应收账款按发票计，不分产品。"),
    "filter.why.payments": ("payments settle invoices, not products.",
                            "回款对应发票，不分产品。"),
    "filter.why.suppliers": ("supplier payments have no customer, product line or sales owner.",
                             "供应商付款不涉及客户、产品明细或销售负责人。"),
    "filter.why.approvals": ("approvals have no customer.", "审批不涉及客户。"),
    "filter.why.tasks": ("tasks have no customer.", "任务不涉及客户。"),
    "finance.owner_help": ("The customer's sales owner.", "客户的销售负责人。"),
    "office.owner_help": ("On this page: who requested an approval, or who is assigned a task "
                          "or a ticket.", "本页指：审批的申请人，或任务、工单的负责人。"),
}
