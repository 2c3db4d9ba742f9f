"""Receivables and payables: invoices from delivered lines, credit notes for returns,
customer payments by each customer's habit, and supplier payments after approval."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from operational.demo.clock import (
    DAY,
    ds,
    line_net_cents,
    local_date,
    local_to_utc,
    money,
    next_working_day,
    qty,
    tax_cents,
    ts,
    work_time,
)
from operational.demo.orders import Approval, Line, Order
from operational.demo.stock import PO, Stock
from operational.demo.world import World

TAX_BP = 1300
RETURNABLE = {2, 7, 8, 3}  # tiles, glass, sanitary ware, paint (breakage, wrong shade)


@dataclass(slots=True, eq=False)
class Invoice:
    order: Order
    kind: str
    issue: date
    due: date
    created: datetime
    lines: list[tuple[Line, int, int, int]]  # line, quantity, net, tax
    credited: Invoice | None = None
    payments: list[tuple[date, int, str, datetime]] = field(default_factory=list)
    id: int = 0

    @property
    def net(self) -> int:
        return sum(x[2] for x in self.lines)

    @property
    def tax(self) -> int:
        return sum(x[3] for x in self.lines)

    @property
    def gross(self) -> int:
        return self.net + self.tax

    @property
    def paid(self) -> int:
        return sum(p[1] for p in self.payments)


def build_invoices(w: World, orders: list[Order], stock: Stock) -> list[Invoice]:
    rng = w.rng("invoices")
    out: list[Invoice] = []
    for o in orders:
        groups: dict[Any, list[Any]] = {}
        for line in o.lines:
            for dl in line.deliveries:
                if dl.delivered_at is not None:
                    day = local_date(dl.delivered_at)
                    key = (day.year, day.month) if o.cust.billing == "monthly" else day
                    groups.setdefault(key, []).append(dl)
        for key, dls in sorted(groups.items(), key=lambda kv: kv[0]):
            if isinstance(key, tuple):
                y, m = key
                issue = next_working_day(date(y + m // 12, m % 12 + 1, 1))
            else:
                issue = next_working_day(key + timedelta(days=rng.randint(0, 2)))
            if issue >= w.today:
                continue
            qty_by_line: dict[int, tuple[Line, int]] = {}
            for dl in dls:
                line, q = qty_by_line.get(dl.line.line_no, (dl.line, 0))
                qty_by_line[dl.line.line_no] = (line, q + dl.qty)
            lines = []
            for _, (line, q) in sorted(qty_by_line.items()):
                net = line_net_cents(q, line.price, line.disc)
                lines.append((line, q, net, tax_cents(net, TAX_BP)))
            inv = Invoice(
                o,
                "invoice",
                issue,
                issue + timedelta(days=o.cust.terms),
                work_time(rng, issue, 9.0, 17.0),
                lines,
            )
            out.append(inv)
            _payments(w, rng, inv)
    _credit_notes(w, rng, out, stock)
    out.sort(key=lambda i: i.created)
    for i, inv in enumerate(out, start=1):
        inv.id = i
    return out


def _pay(w: World, rng: random.Random, inv: Invoice, day: date, amount: int) -> None:
    day = next_working_day(max(day, inv.issue))
    if day >= w.today or amount == 0:
        return
    if inv.order.cust.kind == "person":
        method = rng.choice(("cash", "card", "card", "bank_transfer"))
    else:
        method = rng.choices(("bank_transfer", "cheque", "other"), (88, 8, 4))[0]
    at = work_time(rng, day, 9.5, 16.5)
    inv.payments.append((day, amount, method, max(at, inv.created + timedelta(minutes=30))))


def _payments(w: World, rng: random.Random, inv: Invoice) -> None:
    """Pay the invoice the way its customer pays; anything dated today or later is not yet."""
    gross, due, payer = inv.gross, inv.due, inv.order.cust.payer
    if inv.order.cust.terms == 0:
        _pay(w, rng, inv, inv.issue, gross)
    elif payer == "prompt":
        _pay(w, rng, inv, due - timedelta(days=rng.randint(0, 10)), gross)
    elif payer == "slow":
        _pay(w, rng, inv, due + timedelta(days=rng.randint(5, 60)), gross)
    elif payer == "partial":
        first = gross * rng.randint(30, 60) // 100
        d1 = due + timedelta(days=rng.randint(-5, 10))
        d2 = d1 + timedelta(days=rng.randint(15, 45))
        _pay(w, rng, inv, d1, first)
        if rng.random() < 0.8:
            _pay(w, rng, inv, d2, gross - first)
        else:
            second = (gross - first) // 2
            _pay(w, rng, inv, d2, second)
            _pay(w, rng, inv, d2 + timedelta(days=rng.randint(15, 45)), gross - first - second)
    else:  # a bad payer: late, partly, or not at all
        r = rng.random()
        if r < 0.5:
            _pay(w, rng, inv, due + timedelta(days=rng.randint(30, 150)), gross)
        elif r < 0.8:
            _pay(
                w,
                rng,
                inv,
                due + timedelta(days=rng.randint(10, 60)),
                gross * rng.randint(20, 50) // 100,
            )


def _credit_notes(w: World, rng: random.Random, invoices: list[Invoice], stock: Stock) -> None:
    """A few customers return broken or surplus goods: credit note, stock back, refund."""
    credits = []
    for inv in invoices:
        if rng.random() >= 0.02:
            continue
        candidates = [
            x for x in inv.lines if x[0].prod.cat in RETURNABLE and x[1] >= x[0].prod.step
        ]
        if not candidates:
            continue
        line, q, _, _ = rng.choice(candidates)
        step = line.prod.step
        rq = min(q, max(step, int(q * rng.uniform(0.05, 0.2)) // step * step))
        day = next_working_day(inv.issue + timedelta(days=rng.randint(5, 40)))
        if day >= w.today:
            continue
        net = -line_net_cents(rq, line.price, line.disc)
        cn = Invoice(
            inv.order,
            "credit_note",
            day,
            day,
            work_time(rng, day, 9.0, 17.0),
            [(line, -rq, net, tax_cents(net, TAX_BP))],
            credited=inv,
        )
        credits.append(cn)
        stock.movements.append(
            (
                local_to_utc(day, 9 * 60 + rng.randint(0, 90)),
                line.prod.id,
                "return",
                rq,
                line.prod.cost,
                "invoice",
                cn,
                "客户退货",
            )
        )
        # What is owed from the credit note's day on is gross + credit note (negative): later
        # payments are cut to that (the services refuse more), and whatever was paid before
        # beyond it goes back to the customer as a refund against the credit note.
        owed = inv.gross + cn.gross
        excess = _cap_payments(inv, day, owed) - owed
        if excess > 0:
            _pay(w, rng, cn, day + timedelta(days=rng.randint(3, 15)), -excess)
    invoices.extend(credits)


def _cap_payments(inv: Invoice, day: date, owed: int) -> int:
    """Cut payments dated on or after ``day`` so the running total stays within ``owed``
    (dropping those left at zero); return what was paid before ``day``."""
    kept: list[tuple[date, int, str, datetime]] = []
    paid = before = 0
    for p in sorted(inv.payments, key=lambda p: (p[0], p[3])):
        amount = p[1] if p[0] < day else min(p[1], owed - paid)
        if p[0] < day:
            before += amount
        if amount > 0:
            kept.append((p[0], amount, p[2], p[3]))
            paid += amount
    inv.payments = kept
    return before


def write_invoices(w: World, invoices: list[Invoice]) -> None:
    it = w.table(
        "invoice",
        (
            "id",
            "invoice_no",
            "kind",
            "sales_order_id",
            "customer_id",
            "credited_invoice_id",
            "issue_date",
            "due_date",
            "net_amount",
            "tax_amount",
            "gross_amount",
            "paid_amount",
            "created_at",
            "updated_at",
        ),
    )
    lt = w.table(
        "invoice_line",
        (
            "id",
            "invoice_id",
            "sales_order_line_id",
            "quantity",
            "net_amount",
            "tax_amount",
            "created_at",
            "updated_at",
        ),
    )
    pays = []
    for inv in invoices:
        prefix = "CN" if inv.kind == "credit_note" else "INV"
        updated = max([inv.created] + [p[3] for p in inv.payments])
        net, tax = inv.net, inv.tax
        it.rows.append(
            (
                inv.id,
                f"{prefix}{inv.issue.year}-{inv.id:07d}",
                inv.kind,
                inv.order.id,
                inv.order.cust.id,
                inv.credited.id if inv.credited else None,
                ds(inv.issue),
                ds(inv.due),
                money(net),
                money(tax),
                money(net + tax),
                money(inv.paid),
                ts(inv.created),
                ts(updated),
            )
        )
        for line, q, net, tax in inv.lines:
            lt.rows.append(
                (
                    len(lt.rows) + 1,
                    inv.id,
                    line.id,
                    qty(q),
                    money(net),
                    money(tax),
                    ts(inv.created),
                    ts(inv.created),
                )
            )
        pays += [(p[3], inv, p) for p in inv.payments]
    pays.sort(key=lambda x: (x[0], x[1].id))
    pt = w.table(
        "payment",
        (
            "id",
            "payment_no",
            "invoice_id",
            "customer_id",
            "amount",
            "paid_date",
            "method",
            "created_at",
            "updated_at",
        ),
    )
    for i, (at, inv, (day, amount, method, _)) in enumerate(pays, start=1):
        pt.rows.append(
            (
                i,
                f"RC{day.year}-{i:07d}",
                inv.id,
                inv.order.cust.id,
                money(amount),
                ds(day),
                method,
                ts(at),
                ts(at),
            )
        )


def build_supplier_payments(w: World, pos: list[PO]) -> None:
    """Pay only purchase orders whose purchase approval was granted (先审批、后付款)."""
    rng = w.rng("supplier-payments")
    pays: list[tuple[datetime, PO, int, Approval]] = []
    for po in pos:
        ap = po.approval
        if ap is None or ap.status != "approved" or po.status == "cancelled":
            continue
        decided = ap.decided_at
        assert decided is not None
        terms = w.supplier_terms[po.supplier_id]
        total = po.total
        if terms == 0:  # steel mills ship against payment
            late = (decided + timedelta(hours=8)).hour >= 16
            day = next_working_day(local_date(decided) + (DAY if late else timedelta(0)))
            plan = [(day, total)]
        elif po.status == "received":
            last = max(local_date(r.received_at) for r in po.receipts)
            day = last + timedelta(days=terms + rng.randint(0, 10))
            half = total // 2
            plan = (
                [(day, total)]
                if rng.random() < 0.8
                else [(day, half), (day + timedelta(days=rng.randint(15, 30)), total - half)]
            )
        else:
            continue
        for day, amount in plan:
            day = next_working_day(day)
            at = max(work_time(rng, day, 9.5, 16.5), decided + timedelta(minutes=10))
            if at < w.now and amount:
                pays.append((at, po, amount, ap))
    pays.sort(key=lambda x: (x[0], x[1].id))
    t = w.table(
        "supplier_payment",
        (
            "id",
            "payment_no",
            "purchase_order_id",
            "amount",
            "paid_date",
            "approval_request_id",
            "created_at",
            "updated_at",
        ),
    )
    for i, (at, po, amount, ap) in enumerate(pays, start=1):
        t.rows.append(
            (
                i,
                f"PP{at.year}-{i:07d}",
                po.id,
                money(amount),
                ds(local_date(at)),
                ap.id,
                ts(at),
                ts(at),
            )
        )
