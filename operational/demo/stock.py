"""Warehouse and purchasing: a day-by-day stock simulation that ships order lines when stock
covers them, reorders under the reorder point, and receives purchase orders.

Within a day, receipts are booked in the morning (before 11:00), shipments from 11:00 and
stocktake adjustments after 18:00, so the ledger in time order replays the simulation and
never goes negative. Returns (added later by billing) only ever raise a balance.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from operational.demo import catalog as cat
from operational.demo.clock import (
    DAY,
    cost_cents,
    is_working_day,
    local_to_utc,
    next_working_day,
    work_time,
)
from operational.demo.master import cost_on
from operational.demo.orders import Approval, Line, Order
from operational.demo.world import Prod, World


@dataclass(slots=True, eq=False)
class Delivery:
    line: Line
    qty: int
    shipped_at: datetime
    delivered_at: datetime | None
    id: int = 0


@dataclass(slots=True, eq=False)
class POLine:
    po: PO
    line_no: int
    prod: Prod
    qty: int
    unit_cost: int
    received: int = 0
    id: int = 0


@dataclass(slots=True, eq=False)
class PO:
    supplier_id: int
    day: date
    created: datetime
    buyer_id: int
    expected: date
    lines: list[POLine] = field(default_factory=list)
    approval: Approval | None = None
    status: str = "ordered"
    system_draft: bool = False
    receipts: list = field(default_factory=list)
    id: int = 0

    @property
    def total(self) -> int:
        return sum(cost_cents(x.qty, x.unit_cost) for x in self.lines)


@dataclass(slots=True, eq=False)
class Receipt:
    po_line: POLine
    qty: int
    received_at: datetime
    id: int = 0


@dataclass(slots=True, eq=False)
class Suggestion:
    prod: Prod
    line: Line | None
    qty: int
    created: datetime
    estimated: date
    po: PO | None
    status: str = "open"
    updated: datetime | None = None


@dataclass(slots=True, eq=False)
class _State:
    on_hand: int
    requests: list = field(default_factory=list)
    ptr: int = 0
    backlog: list = field(default_factory=list)
    backlog_qty: int = 0
    on_order: int = 0
    pipeline: list = field(default_factory=list)  # [arrival ordinal, POLine]


@dataclass
class Stock:
    deliveries: list[Delivery] = field(default_factory=list)
    pos: list[PO] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    movements: list[tuple] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)


def plan_requests(w: World, orders: list[Order]) -> dict[int, list]:
    """When the warehouse means to ship each confirmed line (promised date less transit)."""
    rng = w.rng("ship-plan")
    out: dict[int, list] = {p.id: [] for p in w.products}
    seq = itertools.count()
    for o in orders:
        if o.confirmed_at is None or o.cancelled_at is not None:
            continue
        transit = cat.TRANSIT_DAYS[o.cust.region]
        conf = o.confirmed_at + timedelta(hours=8)
        earliest = next_working_day(conf.date() + (DAY if conf.hour >= 15 else timedelta(0)))
        slack = rng.choice((0, 0, 0, 1, 1, 2))
        delay = rng.randint(1, 6) if rng.random() < 0.025 else 0  # no truck or crew free
        split = rng.random() < 0.06  # the site takes the order in two drops
        for line in o.lines:
            promised = line.promised or o.promised
            target = promised - timedelta(days=transit + slack)
            while not is_working_day(target):
                target -= DAY
            target = max(target, earliest)
            if delay:
                target = next_working_day(target + timedelta(days=delay))
            step = line.prod.step
            if split and line.qty >= 2 * step:
                first = max(step, int(line.qty * rng.uniform(0.4, 0.7)) // step * step)
                early = max(earliest, target - timedelta(days=rng.randint(3, 10)))
                out[line.prod.id].append((early.toordinal(), next(seq), line, first))
                out[line.prod.id].append((target.toordinal(), next(seq), line, line.qty - first))
            else:
                out[line.prod.id].append((target.toordinal(), next(seq), line, line.qty))
    for reqs in out.values():
        reqs.sort(key=lambda r: (r[0], r[1]))
    return out


def simulate(w: World, requests: dict[int, list]) -> Stock:
    rng = w.rng("warehouse")
    s = Stock()
    states = {p.id: _State(p.opening, requests[p.id]) for p in w.products}
    opening_at = local_to_utc(w.start, 0)
    for p in w.products:
        s.movements.append((opening_at, p.id, "opening", p.opening, p.cost, None, None, "期初库存"))
    inbound: dict[int, list] = {}
    buyers = w.dept("purchasing")
    disrupted = (w.last_day - timedelta(days=300), w.last_day - timedelta(days=255))
    days = w.days()
    w.extra["last_working_day"] = max(d for d in days if is_working_day(d))
    for k, d in enumerate(days):
        dn, working = d.toordinal(), is_working_day(d)
        for pol, q in inbound.pop(dn, ()):
            _receive(s, rng, states[pol.prod.id], pol, q, d)
        month_end = working and (k + 1 == len(days) or next_working_day(d + DAY).month != d.month)
        triggers: dict[int, list] = {}
        weekday = d.weekday()
        for p in w.products:
            st = states[p.id]
            reqs = st.requests
            while st.ptr < len(reqs) and reqs[st.ptr][0] <= dn:
                _, _, line, q = reqs[st.ptr]
                st.backlog.append([line, q])
                st.backlog_qty += q
                st.ptr += 1
            if working and st.backlog:
                _ship(w, s, rng, p, st, d)
            if month_end and st.on_hand > 0 and rng.random() < 0.04:
                _adjust(s, rng, p, st, d)
            if working and not (p.neglect_from and d >= p.neglect_from):
                position = st.on_hand + st.on_order - st.backlog_qty
                # buyers review each supplier once a week and then top up everything near
                # its reorder point; between reviews only shortages are ordered
                review = weekday == p.supplier_id % 6
                limit = p.rop * 8 // 5 if review else min(p.rop // 2, p.rop - st.backlog_qty)
                if position <= limit:
                    q = -(-(p.up_to - position) // p.step) * p.step
                    if q > 0:
                        triggers.setdefault(p.supplier_id, []).append((p, q))
        for sid, items in triggers.items():
            _purchase(w, s, rng, states, inbound, sid, items, d, buyers, disrupted)
    _close_suggestions(s, states)
    w.extra["stock_states"] = states
    return s


def _receive(s: Stock, rng, st: _State, pol: POLine, q: int, d: date) -> None:
    rec = Receipt(pol, q, work_time(rng, d, 8.5, 10.9))
    s.receipts.append(rec)
    pol.received += q
    pol.po.receipts.append(rec)
    st.on_hand += q
    st.on_order -= q
    st.pipeline = [x for x in st.pipeline if not (x[1] is pol and x[0] == d.toordinal())]
    s.movements.append(
        (rec.received_at, pol.prod.id, "receipt", q, pol.unit_cost, "goods_receipt", rec, None)
    )


def _ship(w: World, s: Stock, rng, p: Prod, st: _State, d: date) -> None:
    avail = st.on_hand
    keep = []
    for item in st.backlog:
        line, rem = item
        if avail >= rem:
            q = rem
        elif avail >= max(p.step, rem * 3 // 10) and rng.random() < 0.7:
            q = avail // p.step * p.step
        else:
            q = 0
        if q:
            shipped = work_time(rng, d, 11.0, 17.5)
            days = cat.TRANSIT_DAYS[line.order.cust.region] - (1 if rng.random() < 0.3 else 0)
            if rng.random() < 0.03:
                days += rng.randint(1, 4)  # held up on the road or at the site gate
            at = work_time(rng, d + timedelta(days=max(days, 0)), 8.0, 18.0)
            at = at if at > shipped else shipped + timedelta(hours=rng.uniform(1, 4))
            dl = Delivery(line, q, shipped, at if at < w.now else None)
            s.deliveries.append(dl)
            line.deliveries.append(dl)
            line.shipped += q
            avail -= q
            item[1] -= q
            st.backlog_qty -= q
            s.movements.append((shipped, p.id, "shipment", -q, p.cost, "delivery", dl, None))
        if item[1]:
            keep.append(item)
            if not line.stockout:
                _suggest(w, s, rng, p, st, line, item[1], d)
    st.backlog = keep
    st.on_hand = avail


def _suggest(w: World, s: Stock, rng, p: Prod, st: _State, line: Line, rem: int, d: date) -> None:
    line.stockout = True
    first = min(st.pipeline, key=lambda x: x[0]) if st.pipeline else None
    est = date.fromordinal(first[0]) if first else d + timedelta(days=p.lead_time)
    s.suggestions.append(
        Suggestion(p, line, rem, work_time(rng, d, 17.5, 18.0), est, first[1].po if first else None)
    )
    eta = est + timedelta(days=cat.TRANSIT_DAYS[line.order.cust.region])
    line.order.estimated = max(line.order.estimated or eta, eta)


def _adjust(s: Stock, rng, p: Prod, st: _State, d: date) -> None:
    q = max(p.step, int(st.on_hand * rng.uniform(0.002, 0.01)) // p.step * p.step)
    if rng.random() < 0.65:
        if q > st.on_hand:
            return
        q, note = -q, rng.choice(("盘亏", "破损报废", "过期报废"))
    else:
        note = "盘盈"
    st.on_hand += q
    s.movements.append(
        (
            work_time(rng, d, 18.0, 18.5),
            p.id,
            "adjustment",
            q,
            p.cost,
            None,
            None,
            f"月末盘点：{note}",
        )
    )


def _purchase(
    w: World, s: Stock, rng, states, inbound, sid: int, items, d: date, buyers, disrupted
) -> None:
    created = work_time(rng, d, 13.0, 17.0)
    lead = max(p.lead_time for p, _ in items)
    po = PO(sid, d, created, rng.choice(buyers).id, d + timedelta(days=lead))
    for p, q in items:
        po.lines.append(POLine(po, len(po.lines) + 1, p, q, cost_on(w, p, d)))
    s.pos.append(po)
    total = po.total
    submitted = created + timedelta(minutes=rng.randint(2, 20))
    decided = submitted + timedelta(
        hours=rng.uniform(0.3, 3) if rng.random() < 0.6 else rng.uniform(15, 40)
    )
    approver = w.head("management").id if total >= 20_000_000 else w.dept("management")[1].id
    pending = decided >= w.now or (d == w.extra["last_working_day"] and rng.random() < 0.5)
    status = "submitted" if pending else "rejected" if rng.random() < 0.03 else "approved"
    po.approval = Approval(
        "purchase",
        po.buyer_id,
        approver,
        f"采购申请 {len(po.lines)} 项",
        total,
        "purchase_order",
        po,
        created,
        submitted,
        None if status == "submitted" else decided,
        status,
        rng.choice(cat.REJECT_NOTES) if status == "rejected" else None,
    )
    w.extra["approvals"].append(po.approval)
    if status == "rejected":
        po.status = "cancelled"
        return
    for pol in po.lines:
        states[pol.prod.id].on_order += pol.qty
    if status == "submitted":
        po.status = "draft"
        return
    for pol in po.lines:
        p = pol.prod
        jitter = rng.choice((-1, 0, 0, 0, 1, 1, 2))
        if rng.random() < 0.08:
            jitter += rng.randint(3, 10)
        if sid == 3 and disrupted[0] <= d <= disrupted[1]:  # the mill's production stop
            jitter += rng.randint(10, 20)
        arrive = next_working_day(d + timedelta(days=max(1, p.lead_time + jitter)))
        parts = [pol.qty]
        if rng.random() < 0.15 and pol.qty >= 2 * p.step:
            first = int(pol.qty * rng.uniform(0.6, 0.8)) // p.step * p.step
            parts = [first, pol.qty - first]
        for i, q in enumerate(parts):
            day = arrive if i == 0 else next_working_day(arrive + timedelta(days=rng.randint(2, 7)))
            inbound.setdefault(day.toordinal(), []).append((pol, q))
            states[p.id].pipeline.append([day.toordinal(), pol])


def _close_suggestions(s: Stock, states) -> None:
    for sg in s.suggestions:
        line = sg.line
        if line is None:
            continue
        if line.shipped >= line.qty:
            sg.status, sg.updated = "closed", line.deliveries[-1].shipped_at
        elif sg.po is not None and sg.po.status != "cancelled":
            sg.status, sg.updated = "ordered", sg.created
        else:
            sg.updated = sg.created
