"""Closing the books at ``today``: order statuses, reservations, open replenishment
suggestions, system draft orders, and the rows of every sales, purchasing and stock table."""

from __future__ import annotations

from datetime import datetime, timedelta

from operational.demo import catalog as cat
from operational.demo.clock import (
    cost_cents,
    ds,
    local_date,
    local_to_utc,
    money,
    qty,
    rate,
    ts,
)
from operational.demo.orders import Approval, Order
from operational.demo.stock import PO, POLine, Stock, Suggestion
from operational.demo.world import World

KIND_RANK = {"opening": 0, "receipt": 1, "return": 2, "shipment": 3, "adjustment": 4}


def order_status(o: Order) -> str:
    if o.cancelled_at is not None:
        return "cancelled"
    if o.confirmed_at is None:
        return "draft"
    if any(x.shipped < x.qty for x in o.lines):
        return "confirmed"
    if any(d.delivered_at is None for x in o.lines for d in x.deliveries):
        return "shipped"
    return "delivered"


def close_day(w: World, orders: list[Order], stock: Stock) -> None:
    """Reserve stock for confirmed lines not yet shipped; raise suggestions where it is short."""
    rng = w.rng("close-day")
    on_hand: dict[int, int] = {}
    for m in stock.movements:
        on_hand[m[1]] = on_hand.get(m[1], 0) + m[3]
    w.extra["on_hand"] = on_hand
    reserved: dict[int, int] = {}
    states = w.extra["stock_states"]
    open_lines = [
        x for o in orders if order_status(o) == "confirmed" for x in o.lines if x.shipped < x.qty
    ]
    open_lines.sort(key=lambda x: (x.order.confirmed_at, x.id))
    for line in open_lines:
        pid, rem = line.prod.id, line.qty - line.shipped
        if on_hand[pid] - reserved.get(pid, 0) >= rem:
            line.reserved = rem
            reserved[pid] = reserved.get(pid, 0) + rem
        elif not line.stockout:
            st = states[pid]
            first = min(st.pipeline, key=lambda x: x[0]) if st.pipeline else None
            est = (
                w.today + timedelta(days=line.prod.lead_time)
                if first is None
                else max(w.today, first[1].po.expected)
            )
            sg = Suggestion(
                line.prod,
                line,
                rem,
                (line.order.confirmed_at or line.order.created) + timedelta(seconds=1),
                est,
                first[1].po if first else None,
            )
            sg.status = "ordered" if first else "open"
            sg.updated = sg.created
            stock.suggestions.append(sg)
            line.stockout = True
            eta = est + timedelta(days=cat.TRANSIT_DAYS[line.order.cust.region])
            line.order.estimated = max(line.order.estimated or eta, eta)
    w.extra["reserved"] = reserved
    _system_drafts(w, stock, on_hand, rng)


def _system_drafts(w: World, stock: Stock, on_hand: dict[int, int], rng) -> None:
    """The nightly rule drafted purchase orders for products under their reorder point that
    nobody reordered (they wait for a buyer to submit them)."""
    states = w.extra["stock_states"]
    low = [
        p
        for p in w.products
        if p.neglect_from and on_hand[p.id] < p.rop and states[p.id].on_order == 0
    ]
    created = local_to_utc(w.last_day, 22 * 60 + 5)
    manager = w.head("purchasing").id
    for p in low[:3]:
        po = PO(
            p.supplier_id,
            w.last_day,
            created,
            manager,
            w.today + timedelta(days=p.lead_time),
            status="draft",
            system_draft=True,
        )
        po.lines.append(POLine(po, 1, p, -(-(p.up_to - on_hand[p.id]) // p.step) * p.step, p.cost))
        po.approval = Approval(
            "purchase",
            manager,
            w.head("management").id,
            f"补货建议 {p.sku} {p.name}",
            po.total,
            "purchase_order",
            po,
            created,
            None,
            None,
            "draft",
        )
        w.extra["approvals"].append(po.approval)
        stock.pos.append(po)


def assign_ids(stock: Stock) -> None:
    stock.deliveries.sort(key=lambda d: d.shipped_at)
    for i, d in enumerate(stock.deliveries, start=1):
        d.id = i
    stock.pos.sort(key=lambda p: p.created)
    pol_id = 0
    for i, po in enumerate(stock.pos, start=1):
        po.id = i
        for x in po.lines:
            pol_id += 1
            x.id = pol_id
    stock.receipts.sort(key=lambda r: r.received_at)
    for i, r in enumerate(stock.receipts, start=1):
        r.id = i


def write_sales(w: World, orders: list[Order], stock: Stock) -> None:
    ot = w.table(
        "sales_order",
        (
            "id",
            "order_no",
            "customer_id",
            "owner_id",
            "order_date",
            "promised_date",
            "notes",
            "status",
            "confirmed_at",
            "cancelled_at",
            "estimated_delivery_date",
            "created_at",
            "updated_at",
        ),
    )
    lt = w.table(
        "sales_order_line",
        (
            "id",
            "sales_order_id",
            "line_no",
            "product_id",
            "quantity",
            "unit_price",
            "discount",
            "tax_rate",
            "promised_date",
            "net_amount",
            "reserved_quantity",
            "shipped_quantity",
            "created_at",
            "updated_at",
        ),
    )
    tax = rate(1300)
    for o in orders:
        status = order_status(o)
        events = [o.created, o.confirmed_at, o.cancelled_at]
        for x in o.lines:
            events += [e for d in x.deliveries for e in (d.shipped_at, d.delivered_at)]
        updated = max(e for e in events if e is not None)
        ot.rows.append(
            (
                o.id,
                o.no,
                o.cust.id,
                o.cust.owner_id,
                ds(o.day),
                ds(o.promised),
                o.notes,
                status,
                ts(o.confirmed_at),
                ts(o.cancelled_at),
                ds(o.estimated) if status == "confirmed" else None,
                ts(o.created),
                ts(updated),
            )
        )
        for x in o.lines:
            changed = [o.confirmed_at or o.created] + [d.shipped_at for d in x.deliveries]
            if o.cancelled_at:
                changed.append(o.cancelled_at)
            lt.rows.append(
                (
                    x.id,
                    o.id,
                    x.line_no,
                    x.prod.id,
                    qty(x.qty),
                    money(x.price),
                    rate(x.disc),
                    tax,
                    ds(x.promised),
                    money(x.net),
                    qty(x.reserved),
                    qty(x.shipped),
                    ts(o.created),
                    ts(max(changed)),
                )
            )
    dt = w.table(
        "delivery",
        (
            "id",
            "delivery_no",
            "sales_order_id",
            "sales_order_line_id",
            "quantity",
            "shipped_at",
            "delivered_at",
            "created_at",
            "updated_at",
        ),
    )
    for d in stock.deliveries:
        dt.rows.append(
            (
                d.id,
                f"DN{local_date(d.shipped_at):%Y%m%d}-{d.id:07d}",
                d.line.order.id,
                d.line.id,
                qty(d.qty),
                ts(d.shipped_at),
                ts(d.delivered_at),
                ts(d.shipped_at),
                ts(d.delivered_at or d.shipped_at),
            )
        )


def write_purchasing(w: World, stock: Stock) -> None:
    pt = w.table(
        "purchase_order",
        (
            "id",
            "po_no",
            "supplier_id",
            "order_date",
            "expected_date",
            "buyer_id",
            "status",
            "total_amount",
            "is_system_draft",
            "created_at",
            "updated_at",
        ),
    )
    lt = w.table(
        "purchase_order_line",
        (
            "id",
            "purchase_order_id",
            "line_no",
            "product_id",
            "quantity",
            "unit_cost",
            "received_quantity",
            "created_at",
            "updated_at",
        ),
    )
    for po in stock.pos:
        if po.status in ("ordered", "partially_received", "received") and po.receipts:
            full = all(x.received >= x.qty for x in po.lines)
            po.status = "received" if full else "partially_received"
        ap = po.approval
        events = [po.created] + [r.received_at for r in po.receipts]
        if ap and ap.decided_at:
            events.append(ap.decided_at)
        pt.rows.append(
            (
                po.id,
                f"PO{po.day:%Y%m%d}-{po.id:06d}",
                po.supplier_id,
                ds(po.day),
                ds(po.expected),
                po.buyer_id,
                po.status,
                money(po.total),
                po.system_draft,
                ts(po.created),
                ts(max(events)),
            )
        )
        for x in po.lines:
            last = [r.received_at for r in po.receipts if r.po_line is x]
            lt.rows.append(
                (
                    x.id,
                    po.id,
                    x.line_no,
                    x.prod.id,
                    qty(x.qty),
                    money(x.unit_cost),
                    qty(x.received),
                    ts(po.created),
                    ts(max(last or [po.created])),
                )
            )
    gt = w.table(
        "goods_receipt",
        (
            "id",
            "receipt_no",
            "purchase_order_id",
            "purchase_order_line_id",
            "quantity",
            "received_at",
            "created_at",
            "updated_at",
        ),
    )
    for r in stock.receipts:
        gt.rows.append(
            (
                r.id,
                f"GR{local_date(r.received_at):%Y%m%d}-{r.id:06d}",
                r.po_line.po.id,
                r.po_line.id,
                qty(r.qty),
                ts(r.received_at),
                ts(r.received_at),
                ts(r.received_at),
            )
        )
    st = w.table(
        "replenishment_suggestion",
        (
            "id",
            "product_id",
            "supplier_id",
            "sales_order_line_id",
            "quantity",
            "estimated_available_date",
            "status",
            "purchase_order_id",
            "created_at",
            "updated_at",
        ),
    )
    stock.suggestions.sort(key=lambda s: s.created)
    for i, s in enumerate(stock.suggestions, start=1):
        st.rows.append(
            (
                i,
                s.prod.id,
                s.prod.supplier_id,
                s.line.id if s.line else None,
                qty(s.qty),
                ds(s.estimated),
                s.status,
                s.po.id if s.po else None,
                ts(s.created),
                ts(s.updated or s.created),
            )
        )


def write_stock(w: World, stock: Stock) -> None:
    """The ledger in time order with running balances, and one stock level per product."""
    moves = sorted(stock.movements, key=lambda m: (m[0], KIND_RANK[m[2]], m[1]))
    mt = w.table(
        "stock_movement",
        (
            "id",
            "product_id",
            "kind",
            "quantity",
            "moved_at",
            "unit_cost",
            "balance_after",
            "reference_type",
            "reference_id",
            "note",
            "created_at",
            "updated_at",
        ),
    )
    balance: dict[int, int] = {}
    last: dict[int, datetime] = {}
    for i, (at, pid, kind, q, unit_cost, ref_type, ref, note) in enumerate(moves, start=1):
        b = balance.get(pid, 0) + q
        if b < 0:
            raise AssertionError(f"stock of product {pid} would go negative at {at}")
        balance[pid] = b
        last[pid] = at
        mt.rows.append(
            (
                i,
                pid,
                kind,
                qty(q),
                ts(at),
                money(unit_cost),
                qty(b),
                ref_type,
                ref.id if ref is not None else None,
                note,
                ts(at),
                ts(at),
            )
        )
    lt = w.table(
        "stock_level", ("id", "product_id", "on_hand", "reserved", "created_at", "updated_at")
    )
    opened = local_to_utc(w.start, 0)
    reserved = w.extra["reserved"]
    for p in w.products:
        lt.rows.append(
            (
                p.id,
                p.id,
                qty(balance.get(p.id, 0)),
                qty(reserved.get(p.id, 0)),
                ts(opened),
                ts(last.get(p.id, opened)),
            )
        )
    w.extra["inventory_value"] = sum(cost_cents(balance.get(p.id, 0), p.cost) for p in w.products)
