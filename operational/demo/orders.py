"""Sales orders and their lines: who buys what, when, at which price and discount."""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from operational.demo import catalog as cat
from operational.demo.clock import (
    add_working_days,
    demand_weight,
    line_net_cents,
    local_date,
    next_working_day,
    work_time,
)
from operational.demo.master import price_on
from operational.demo.world import Cust, Prod, World

LINES_PER_ORDER = ((1, 18), (2, 22), (3, 20), (4, 15), (5, 10), (6, 7), (7, 5), (8, 3))
DISCOUNTS = {
    "A": (300, 500, 800, 1000, 1200, 1500),
    "B": (0, 200, 300, 500, 800, 1000),
    "C": (0, 0, 200, 300, 500),
    "D": (0, 0, 0, 200),
}
LINE_COUNTS = [n for n, _ in LINES_PER_ORDER]
LINE_CUM = list(itertools.accumulate(k for _, k in LINES_PER_ORDER))
HIGH_DISCOUNTS = (1800, 2000, 2500)
THRESHOLD_BP = 1500  # settings.discount_approval_threshold


@dataclass(slots=True, eq=False)
class Approval:
    kind: str
    requester_id: int
    approver_id: int | None
    subject: str
    amount: int | None
    ref_type: str | None
    ref: Any
    created: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    status: str
    note: str | None = None
    id: int = 0


@dataclass(slots=True, eq=False)
class Line:
    order: Order
    line_no: int
    prod: Prod
    qty: int
    price: int
    disc: int
    net: int
    promised: date | None = None
    shipped: int = 0
    reserved: int = 0
    deliveries: list = field(default_factory=list)
    stockout: bool = False
    id: int = 0


@dataclass(slots=True, eq=False)
class Order:
    cust: Cust
    day: date
    created: datetime
    promised: date
    notes: str | None = None
    lines: list[Line] = field(default_factory=list)
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    estimated: date | None = None
    id: int = 0
    no: str = ""


class ProductPicker:
    """Category by the customer's type, product by popularity, skipping phased-out items."""

    def __init__(self, w: World) -> None:
        self.by_cat: list[tuple[list[Prod], list[float]]] = []
        for ci in range(len(cat.CATEGORIES)):
            ps = [p for p in w.products if p.cat == ci]
            self.by_cat.append((ps, list(itertools.accumulate(p.popularity for p in ps))))
        self.cat_cum = [list(itertools.accumulate(t.affinity)) for t in cat.CUSTOMER_TYPES]

    def pick(self, rng: random.Random, c: Cust, day: date, taken: set[int]) -> Prod | None:
        cat_cum = self.cat_cum[c.ctype]
        for _ in range(8):
            ci = bisect.bisect_right(cat_cum, rng.random() * cat_cum[-1])
            ps, cum = self.by_cat[ci]
            p = ps[bisect.bisect_left(cum, rng.random() * cum[-1])]
            if p.id not in taken and (p.phase_out is None or day <= p.phase_out):
                return p
        return None


def _quantity(rng: random.Random, p: Prod, c: Cust, scale: float = 1.0) -> int:
    grade = {"A": 1.3, "B": 1.15, "C": 1.0, "D": 0.85}[c.grade]
    x = p.typical * c.size * grade * rng.lognormvariate(0, 0.5) * scale
    if rng.random() < 0.02:
        x *= 2.5
    return max(1, round(x / p.step)) * p.step


def _make_order(
    w: World,
    rng: random.Random,
    picker: ProductPicker,
    c: Cust,
    day: date,
    n_lines: int,
    scale: float = 1.0,
) -> Order:
    created = work_time(rng, day)
    transit = cat.TRANSIT_DAYS[c.region]
    promised = add_working_days(day, transit + rng.randint(2, 6))
    o = Order(c, day, created, promised)
    base = rng.choice(DISCOUNTS[c.grade]) if c.kind == "company" else rng.choice((0, 0, 100, 300))
    taken: set[int] = set()
    for _ in range(n_lines):
        p = picker.pick(rng, c, day, taken)
        if p is None:
            continue
        taken.add(p.id)
        disc = base if rng.random() < 0.8 else rng.choice(DISCOUNTS[c.grade])
        q, price = _quantity(rng, p, c, scale), price_on(w, p, day)
        o.lines.append(Line(o, len(o.lines) + 1, p, q, price, disc, line_net_cents(q, price, disc)))
    return o


def build_orders(w: World) -> list[Order]:
    rng = w.rng("orders")
    picker = ProductPicker(w)
    orders = _project_orders(w, rng, picker)
    mean = sum(n * k for n, k in LINES_PER_ORDER) / sum(k for _, k in LINES_PER_ORDER)
    remaining = max(0, w.scale.order_lines - sum(len(o.lines) for o in orders))
    days = w.days()
    weights = [demand_weight(d, w.start, w.today) for d in days]
    chosen = sorted(rng.choices(days, weights, k=int(remaining / mean)))
    by_month = itertools.groupby(chosen, key=lambda d: (d.year, d.month))
    for (y, m), month_days in by_month:
        first = date(y, m, 1)
        pool = [
            c
            for c in w.customers
            if c.created.date() < first and (c.churn is None or c.churn > first)
        ]
        cum = list(itertools.accumulate(c.weight * (1.6 if c.grade == "A" else 1.0) for c in pool))
        for day in month_days:
            c = pool[bisect.bisect_left(cum, rng.random() * cum[-1])]
            n = rng.choices(LINE_COUNTS, cum_weights=LINE_CUM)[0]
            o = _make_order(w, rng, picker, c, day, min(n, 3) if c.kind == "person" else n)
            if o.lines:
                orders.append(o)
    orders.sort(key=lambda o: o.created)
    counters: dict[date, int] = {}
    for i, o in enumerate(orders, start=1):
        o.id = i
        counters[o.day] = counters.get(o.day, 0) + 1
        o.no = f"SO{o.day:%Y%m%d}-{counters[o.day]:04d}"
    line_id = itertools.count(1)
    for o in orders:
        for line in o.lines:
            line.id = next(line_id)
    _lifecycle(w, orders)
    return orders


def _project_orders(w: World, rng: random.Random, picker: ProductPicker) -> list[Order]:
    """Each won opportunity becomes an order worth about its amount."""
    out = []
    for opp in w.extra.get("won", []):
        day = next_working_day(local_date(opp.closed_at) + timedelta(days=rng.randint(1, 7)))
        if day > w.last_day:
            continue
        o = _make_order(w, rng, picker, opp.cust, day, rng.randint(3, 8))
        total = sum(line.net for line in o.lines)
        if not total:
            continue
        f = opp.amount * rng.uniform(0.8, 1.1) / total
        for line in o.lines:
            line.qty = max(1, round(line.qty * f / line.prod.step)) * line.prod.step
            line.net = line_net_cents(line.qty, line.price, line.disc)
        o.promised = add_working_days(o.promised, rng.randint(3, 10))
        o.notes = f"项目合同订单（商机 #{opp.id} {opp.name}）"
        out.append(o)
    return out


def _lifecycle(w: World, orders: list[Order]) -> None:
    """Confirmation, discount approvals, cancellations, per-line promised dates."""
    rng = w.rng("order-lifecycle")
    approvals: list[Approval] = w.extra.setdefault("approvals", [])
    director = w.head("sales").id
    boss = w.head("management").id
    for o in orders:
        for line in o.lines:
            if rng.random() < (0.10 if o.notes else 0.04):
                line.promised = add_working_days(o.promised, rng.randint(5, 20))
        if rng.random() < 0.012 and o.cust.kind == "company":
            line = rng.choice(o.lines)
            line.disc = rng.choice(HIGH_DISCOUNTS)
            line.net = line_net_cents(line.qty, line.price, line.disc)
        confirm = o.created + timedelta(hours=rng.uniform(0.3, 30))
        high = [x for x in o.lines if x.disc > THRESHOLD_BP]
        if high:
            submitted = o.created + timedelta(minutes=rng.randint(5, 40))
            decided = submitted + timedelta(hours=rng.uniform(0.5, 28))
            ok = rng.random() < 0.85
            pending = decided >= w.now
            approvals.append(
                Approval(
                    "discount",
                    o.cust.owner_id,
                    boss if max(x.disc for x in high) > 2000 else director,
                    f"{o.no} 折扣 {max(x.disc for x in high) / 100:g}% 申请",
                    sum(line.net for line in o.lines),
                    "sales_order",
                    o,
                    submitted,
                    submitted,
                    None if pending else decided,
                    "submitted" if pending else "approved" if ok else "rejected",
                    None if ok or pending else rng.choice(cat.REJECT_NOTES),
                )
            )
            if pending:
                continue
            if not ok:
                o.cancelled_at = min(
                    decided + timedelta(minutes=rng.randint(10, 120)), w.now - timedelta(minutes=1)
                )
                continue
            confirm = decided + timedelta(minutes=rng.randint(5, 60))
        if o.day < w.last_day - timedelta(days=30) and rng.random() < 0.003:
            continue  # a quotation nobody confirmed
        if rng.random() < 0.045:
            after_confirm = rng.random() < 0.6
            at = (
                confirm + timedelta(days=rng.uniform(0.5, 3))
                if after_confirm
                else o.created + timedelta(days=rng.uniform(1, 5))
            )
            if at < w.now:
                o.confirmed_at = confirm if after_confirm else None
                o.cancelled_at = at
                continue
        if confirm < w.now:
            o.confirmed_at = confirm
