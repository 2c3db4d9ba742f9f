"""Every status and every allowed transition, in one place.

The warehouse's accepted-values tests read the same lists (``mis export-states`` writes
``seeds/status_transitions.csv``; a test fails if the seed and this module disagree).
"""

from __future__ import annotations

from typing import Final

# machine name -> {from_status: {allowed to_status, ...}}
TRANSITIONS: Final[dict[str, dict[str, frozenset[str]]]] = {
    "lead": {
        "new": frozenset({"contacted", "qualified", "disqualified"}),
        "contacted": frozenset({"qualified", "disqualified"}),
        "qualified": frozenset({"converted", "disqualified"}),
        "converted": frozenset(),
        "disqualified": frozenset(),
    },
    "opportunity": {
        "prospecting": frozenset({"qualification", "lost"}),
        "qualification": frozenset({"proposal", "lost"}),
        "proposal": frozenset({"negotiation", "won", "lost"}),
        "negotiation": frozenset({"won", "lost"}),
        "won": frozenset(),
        "lost": frozenset(),
    },
    "sales_order": {
        "draft": frozenset({"confirmed", "cancelled"}),
        "confirmed": frozenset({"shipped", "cancelled"}),
        "shipped": frozenset({"delivered"}),
        "delivered": frozenset(),
        "cancelled": frozenset(),
    },
    "purchase_order": {
        "draft": frozenset({"ordered", "cancelled"}),
        "ordered": frozenset({"partially_received", "received", "cancelled"}),
        "partially_received": frozenset({"received"}),
        "received": frozenset(),
        "cancelled": frozenset(),
    },
    "approval_request": {
        "draft": frozenset({"submitted"}),
        "submitted": frozenset({"approved", "rejected"}),
        "approved": frozenset(),
        "rejected": frozenset(),
    },
    "task": {
        "open": frozenset({"in_progress", "done", "cancelled"}),
        "in_progress": frozenset({"done", "cancelled"}),
        "done": frozenset(),
        "cancelled": frozenset(),
    },
    "service_ticket": {
        "open": frozenset({"in_progress", "resolved"}),
        "in_progress": frozenset({"resolved"}),
        "resolved": frozenset({"closed", "in_progress"}),
        "closed": frozenset(),
    },
    "replenishment_suggestion": {
        "open": frozenset({"ordered", "closed"}),
        "ordered": frozenset({"closed"}),
        "closed": frozenset(),
    },
}

INITIAL: Final[dict[str, str]] = {
    "lead": "new",
    "opportunity": "prospecting",
    "sales_order": "draft",
    "purchase_order": "draft",
    "approval_request": "draft",
    "task": "open",
    "service_ticket": "open",
    "replenishment_suggestion": "open",
}

# Plain enumerations (no transitions) that the warehouse also tests.
KINDS: Final[dict[str, tuple[str, ...]]] = {
    "customer_kind": ("company", "person"),
    "customer_grade": ("A", "B", "C", "D"),
    "activity_kind": ("call", "visit", "email", "meeting"),
    "stock_movement_kind": ("opening", "receipt", "shipment", "adjustment", "return"),
    "invoice_kind": ("invoice", "credit_note"),
    "payment_method": ("bank_transfer", "cash", "card", "cheque", "other"),
    "approval_kind": ("leave", "expense", "contract", "purchase", "discount"),
    "ticket_priority": ("low", "normal", "high", "urgent"),
    "lead_source": ("website", "referral", "trade_show", "cold_call", "campaign", "other"),
    "campaign_channel": ("online", "email", "event", "print", "phone"),
    "role": ("executive", "staff", "analyst", "admin"),
    "department": ("sales", "purchasing", "warehouse", "finance", "service", "admin", "management"),
}


def statuses(machine: str) -> tuple[str, ...]:
    return tuple(TRANSITIONS[machine])


def is_allowed(machine: str, from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS[machine].get(from_status, frozenset())
