"""Priority-2 KPIs recomputed in Python from the operational rows (DOMAIN.md definitions)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sample_store import AS_OF
from sqlmodel import Session, select
from test_warehouse_build import JAN, YEAR, booked_lines, kpi, local
from wh_build import WarehouseBuild

from operational.models import (
    Delivery,
    Invoice,
    Lead,
    Opportunity,
    Payment,
    SalesOrder,
    ServiceTicket,
)

pytestmark = pytest.mark.slow
Q1_2025 = (date(2025, 1, 1), date(2025, 3, 31))


def _open_items(session: Session, as_of: date) -> list[tuple[date, Decimal]]:
    """(due date, open gross amount) per receivable item as of a date."""
    invoices = session.exec(select(Invoice)).all()
    payments = session.exec(select(Payment)).all()
    by_id = {i.id: i for i in invoices}
    open_: dict[int, Decimal] = defaultdict(Decimal)
    for i in invoices:
        if i.issue_date > as_of:
            continue
        if i.kind == "credit_note":
            open_[i.credited_invoice_id or i.id] -= abs(i.gross_amount)
        else:
            open_[i.id] += i.gross_amount
    for p in payments:
        if p.paid_date <= as_of:
            open_[p.invoice_id] -= p.amount
    return [(by_id[k].due_date, v) for k, v in open_.items() if v != 0]


@pytest.mark.parametrize("as_of", [date(2024, 6, 30), date(2024, 12, 31), date(2025, 3, 31)])
def test_receivables_and_ageing_as_of_any_date(wh: WarehouseBuild, as_of: date) -> None:
    with Session(wh.engine) as s:
        items = _open_items(s, as_of)
    period = (as_of.replace(day=1), as_of)
    assert kpi(wh, "receivables", period) == sum((v for _, v in items), Decimal("0.00"))
    buckets = {
        "0_30": (None, 30),
        "31_60": (31, 60),
        "61_90": (61, 90),
        "91_120": (91, 120),
        "over_120": (121, None),
    }
    total = Decimal(0)
    for key, (lo, hi) in buckets.items():
        expected = sum(
            (
                v
                for due, v in items
                if (lo is None or (as_of - due).days >= lo)
                and (hi is None or (as_of - due).days <= hi)
            ),
            Decimal("0.00"),
        )
        assert kpi(wh, f"receivables_{key}", period) == expected, key
        total += expected
    assert total == kpi(wh, "receivables", period)


def test_dso(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        closing = sum((v for _, v in _open_items(s, Q1_2025[1])), Decimal(0))
        sales = sum(
            (
                -abs(i.gross_amount) if i.kind == "credit_note" else i.gross_amount
                for i in s.exec(select(Invoice)).all()
                if Q1_2025[0] <= i.issue_date <= Q1_2025[1]
            ),
            Decimal(0),
        )
    days = (Q1_2025[1] - Q1_2025[0]).days + 1
    assert kpi(wh, "dso", Q1_2025) == pytest.approx(float(closing / sales * days))


def _active(session: Session, period) -> set[int]:
    return {
        o.customer_id for o, _ in booked_lines(session) if period[0] <= o.order_date <= period[1]
    }


def test_repurchase_and_retention(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        active = _active(s, Q1_2025)
        orders_to_date: dict[int, set[int]] = defaultdict(set)
        for o, _ in booked_lines(s):
            if o.order_date <= Q1_2025[1]:
                orders_to_date[o.customer_id].add(o.id)
        days = (Q1_2025[1] - Q1_2025[0]).days + 1
        prev = _active(s, (Q1_2025[0] - timedelta(days=days), Q1_2025[0] - timedelta(days=1)))
    repurchasers = {c for c in active if len(orders_to_date[c]) >= 2}
    assert kpi(wh, "repurchase_rate", Q1_2025) == pytest.approx(len(repurchasers) / len(active))
    assert kpi(wh, "retention_rate", Q1_2025) == pytest.approx(len(prev & active) / len(prev))


def test_lead_conversion_and_win_rate(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        leads = [
            le for le in s.exec(select(Lead)).all() if YEAR[0] <= le.created_at.date() <= YEAR[1]
        ]
        opps = [o for o in s.exec(select(Opportunity)).all() if o.closed_at is not None]
    converted = [le for le in leads if le.status == "converted" and le.customer_id is not None]
    assert kpi(wh, "lead_conversion_rate", YEAR) == pytest.approx(len(converted) / len(leads))
    closed = [o for o in opps if YEAR[0] <= local(o.closed_at) <= YEAR[1]]
    won = [o for o in closed if o.stage == "won"]
    assert closed and kpi(wh, "win_rate", YEAR) == pytest.approx(len(won) / len(closed))


@pytest.mark.parametrize("period", [JAN, YEAR])
def test_otif_at_order_level(wh: WarehouseBuild, period) -> None:
    with Session(wh.engine) as s:
        delivered: dict[int, list[Delivery]] = defaultdict(list)
        for d in s.exec(select(Delivery)).all():
            delivered[d.sales_order_line_id].append(d)
        lines_by_order = defaultdict(list)
        for o, ln in booked_lines(s):
            lines_by_order[o.id].append((o, ln))
    due = ok = 0
    for lines in lines_by_order.values():
        promised = [ln.promised_date or o.promised_date for o, ln in lines]
        if any(p is None for p in promised):
            continue  # the sample sets promised dates on all lines of an order or none
        due_date = max(promised)
        if not (period[0] <= due_date <= period[1]) or due_date > AS_OF:
            continue
        due += 1
        ok += all(
            sum(
                (
                    d.quantity
                    for d in delivered[ln.id]
                    if d.delivered_at is not None and local(d.delivered_at) <= p
                ),
                Decimal(0),
            )
            >= ln.quantity
            for (_, ln), p in zip(lines, promised, strict=True)
        )
    assert due > 0
    assert kpi(wh, "otif_rate", period) == pytest.approx(ok / due)


def test_service_medians(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        tickets = [t for t in s.exec(select(ServiceTicket)).all() if t.resolved_at is not None]
    in_year = [t for t in tickets if YEAR[0] <= local(t.resolved_at) <= YEAR[1]]
    hours = [(t.resolved_at - t.opened_at).total_seconds() / 3600 for t in in_year]
    assert kpi(wh, "service_resolution_hours", YEAR) == pytest.approx(statistics.median(hours))
    scores = [t.satisfaction for t in in_year if t.satisfaction is not None]
    assert kpi(wh, "service_satisfaction", YEAR) == pytest.approx(statistics.mean(scores))


def test_cancelled_orders_never_count(wh: WarehouseBuild) -> None:
    with Session(wh.engine) as s:
        cancelled = [o for o in s.exec(select(SalesOrder)).all() if o.status == "cancelled"]
        booked = {o.id for o, _ in booked_lines(s) if YEAR[0] <= o.order_date <= YEAR[1]}
    assert cancelled  # the sample has some
    assert kpi(wh, "order_count", YEAR) == len(booked)
