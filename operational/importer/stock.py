"""Opening stock and deliveries: the two imports that write the stock ledger.

The ledger is kept in time order and never negative, for imported history as for today's
work (see ``operational.importer``'s docstring and docs/importing.md):

- an opening balance is a product's first movement; an imported delivery may not be dated
  before the product's latest movement already in the store, and a file's movements are
  written oldest first, so each ``balance_after`` is the running balance when the ledger is
  replayed by time;
- a delivery that would take on-hand below zero (or below what open orders have reserved)
  at that moment is a row error: import the opening stock (``stock``, dated ``as_of`` on or
  before the first shipment) that covers it first.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from operational.importer import fields as f
from operational.importer import store
from operational.importer.base import Context, Entity, Parsed, Plan, show
from operational.importer.fields import Column

SHIPPABLE = ("confirmed", "shipped", "delivered")


def latest_movements(ctx: Context, product_ids: set[int]) -> dict[int, datetime]:
    if not product_ids:
        return {}
    t = store.table("stock_movement")
    stmt = (
        select(t.c.product_id, func.max(t.c.moved_at))
        .where(store.in_values(ctx.conn, t.c.product_id, product_ids))
        .group_by(t.c.product_id)
    )
    return {pid: at for pid, at in ctx.conn.execute(stmt)}


def _levels(ctx: Context, product_ids: set[int]) -> dict[int, Any]:
    rows = ctx.lookup(
        "stock_level",
        "product_id",
        product_ids,
        ("id", "product_id", "on_hand", "reserved"),
        lock="update",
    )
    return {r.product_id: r for r in rows}


def _too_early(sku: str, latest: datetime) -> str:
    return (
        f"is before the latest stock movement of {sku} ({show(latest)}): the stock ledger is "
        "kept in time order, so import history oldest first (opening stock, then deliveries)"
    )


def _level_writes(
    plan: Plan,
    levels: dict[int, Any],
    on_hand: dict[int, Decimal],
    reserved: dict[int, Decimal],
    touched: set[int],
) -> None:
    plan.update(
        "stock_level",
        ("on_hand", "reserved"),
        [
            (f.dec_text(on_hand[p]), f.dec_text(reserved[p]), levels[p].id)
            for p in sorted(touched)
            if p in levels
        ],
    )
    plan.insert(
        "stock_level",
        ("product_id", "on_hand", "reserved"),
        [(p, f.dec_text(on_hand[p]), "0.000") for p in sorted(touched) if p not in levels],
    )


class Stock(Entity):
    """Opening balances: one ``opening`` movement per product, its first, dated the start of
    ``as_of`` (company time) and costed at the product's standard cost."""

    name = "stock"
    table = "stock_movement"
    key = ("sku",)
    columns = (
        Column("sku", f.code(40)),
        Column("quantity", f.nonnegative_quantity),
        Column("as_of", f.past(f.day)),
    )

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        rows = self.as_dicts(parsed.rows())
        products = {
            r.sku: r
            for r in ctx.lookup(
                "product", "sku", (v["sku"] for _, v in rows), ("sku", "id", "standard_cost")
            )
        }
        rows = self.resolve(ctx, rows, "sku", products, "product", "import products first")
        pids = {products[v["sku"]].id for _, v in rows}
        openings: dict[int, Any] = {}
        for m in ctx.lookup(
            "stock_movement",
            "product_id",
            pids,
            ("product_id", "quantity", "moved_at"),
            where=lambda t: t.c.kind == "opening",
        ):
            openings.setdefault(m.product_id, m)
        levels = _levels(ctx, pids)
        latest = latest_movements(ctx, pids)
        on_hand = {p: (levels[p].on_hand if p in levels else Decimal("0.000")) for p in pids}
        reserved = {p: (levels[p].reserved if p in levels else Decimal("0.000")) for p in pids}
        plan = Plan()
        moves = []
        for row_no, v in rows:
            product = products[v["sku"]]
            pid, at, qty = product.id, f.start_of_day(v["as_of"]), v["quantity"]
            old = openings.get(pid)
            if old is not None:
                pairs = [
                    ("as_of", v["as_of"], old.moved_at.astimezone(f.company_tz()).date()),
                    ("quantity", qty, old.quantity),
                ]
                plan.unchanged += not ctx.differs(row_no, pairs)
                continue
            if pid in latest:
                ctx.error(
                    row_no,
                    "as_of",
                    f"{v['sku']} already has stock movements (the latest {show(latest[pid])}): "
                    "an opening balance is a product's first movement (correct stock with an "
                    "adjustment instead)",
                )
                continue
            on_hand[pid] += qty
            moves.append(
                (
                    pid,
                    "opening",
                    f.dec_text(qty),
                    f.ts_text(at),
                    f.dec_text(product.standard_cost),
                    f.dec_text(on_hand[pid]),
                    "opening balance (import)",
                )
            )
        plan.insert(
            "stock_movement",
            ("product_id", "kind", "quantity", "moved_at", "unit_cost", "balance_after", "note"),
            moves,
        )
        _level_writes(plan, levels, on_hand, reserved, {m[0] for m in moves})
        plan.imported = len(moves)
        return plan


def delivery_no(order_no: str, line_no: int, shipped_at: datetime) -> str:
    """A stable number for an imported delivery (the file has none): day + hash of its key."""
    key = f"{order_no}\x1f{line_no}\x1f{shipped_at.isoformat()}".encode()
    day = shipped_at.astimezone(f.company_tz()).strftime("%Y%m%d")
    return f"DL-{day}-{hashlib.sha1(key).hexdigest()[:10].upper()}"


class Deliveries(Entity):
    """Shipments of order lines: each adds to the line's shipped quantity and writes a
    ``shipment`` movement (negative, at ``shipped_at``, costed at the standard cost).
    Order statuses are not advanced: imported statuses are history, taken as given."""

    name = "deliveries"
    table = "delivery"
    key = ("order_no", "line_no", "shipped_at")
    columns = (
        Column("order_no", f.code(30)),
        Column("line_no", f.integer(1, 99_999)),
        Column("quantity", f.quantity),
        Column("shipped_at", f.past(f.instant)),
        Column("delivered_at", f.past(f.instant), False),
    )

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        rows = self.as_dicts(parsed.rows())
        orders = {
            r.order_no: r
            for r in ctx.lookup(
                "sales_order",
                "order_no",
                (v["order_no"] for _, v in rows),
                ("id", "order_no", "status"),
                lock="update",
            )
        }
        rows = self.resolve(
            ctx, rows, "order_no", orders, "sales order", "import sales_orders first"
        )
        lines = {
            (r.sales_order_id, r.line_no): r
            for r in ctx.lookup(
                "sales_order_line",
                "sales_order_id",
                {orders[v["order_no"]].id for _, v in rows},
                (
                    "id",
                    "sales_order_id",
                    "line_no",
                    "product_id",
                    "quantity",
                    "shipped_quantity",
                    "reserved_quantity",
                ),
                lock="update",
            )
        }
        existing = {
            (r.sales_order_line_id, r.shipped_at): r
            for r in ctx.lookup(
                "delivery",
                "sales_order_line_id",
                (ln.id for ln in lines.values()),
                ("sales_order_line_id", "shipped_at", "quantity", "delivered_at"),
            )
        }
        plan = Plan()
        todo = []
        for row_no, v in rows:
            order = orders[v["order_no"]]
            line = lines.get((order.id, v["line_no"]))
            if line is None:
                ctx.error(row_no, "line_no", f"order {order.order_no} has no line {v['line_no']}")
                continue
            if v["delivered_at"] is not None and v["delivered_at"] < v["shipped_at"]:
                ctx.error(row_no, "delivered_at", "must not be before shipped_at")
                continue
            old = existing.get((line.id, v["shipped_at"]))
            if old is not None:
                pairs = [
                    ("quantity", v["quantity"], old.quantity),
                    ("delivered_at", v["delivered_at"], old.delivered_at),
                ]
                plan.unchanged += not ctx.differs(row_no, pairs)
                continue
            if order.status not in SHIPPABLE:
                ctx.error(
                    row_no,
                    "order_no",
                    f"order {order.order_no} is {order.status}: only confirmed, shipped or "
                    "delivered orders have deliveries",
                )
                continue
            todo.append((v["shipped_at"], row_no, v, order, line))
        todo.sort(key=lambda x: (x[0], x[1]))
        accepted = self._ship(ctx, todo, plan)
        plan.imported = len(accepted)
        return plan

    def _ship(self, ctx: Context, todo: list[Any], plan: Plan) -> list[Any]:
        pids = {line.product_id for *_, line in todo}
        products = {
            r.id: r for r in ctx.lookup("product", "id", pids, ("id", "sku", "standard_cost"))
        }
        levels = _levels(ctx, pids)
        latest = latest_movements(ctx, pids)
        zero = Decimal("0.000")
        on_hand = {p: (levels[p].on_hand if p in levels else zero) for p in pids}
        reserved = {p: (levels[p].reserved if p in levels else zero) for p in pids}
        shipped = {line.id: line.shipped_quantity for *_, line in todo}
        line_reserved = {line.id: line.reserved_quantity for *_, line in todo}
        accepted = []
        for at, row_no, v, order, line in todo:
            pid, qty, sku = line.product_id, v["quantity"], products[line.product_id].sku
            left = line.quantity - shipped[line.id]
            if qty > left:
                ctx.error(
                    row_no,
                    "quantity",
                    f"only {left} left to ship on line {line.line_no} of {order.order_no}",
                )
                continue
            if pid in latest and at < latest[pid]:
                ctx.error(row_no, "shipped_at", _too_early(sku, latest[pid]))
                continue
            held = reserved[pid] - line_reserved[line.id]
            if qty > on_hand[pid] - held:
                also = f" and {held} reserved for open orders" if held else ""
                ctx.error(
                    row_no,
                    "quantity",
                    f"shipping {qty} of {sku} on {show(at)} would take stock below zero "
                    f"({on_hand[pid]} on hand{also}); import opening stock for {sku} "
                    "(stock, as_of on or before that day) first",
                )
                continue
            release = min(line_reserved[line.id], qty)
            on_hand[pid] -= qty
            reserved[pid] -= release
            line_reserved[line.id] -= release
            shipped[line.id] += qty
            accepted.append((v, order, line, on_hand[pid]))
        ids = ctx.ids("delivery", len(accepted))
        dec, ts = f.dec_text, f.ts_text
        plan.insert(
            "delivery",
            (
                "id",
                "delivery_no",
                "sales_order_id",
                "sales_order_line_id",
                "quantity",
                "shipped_at",
                "delivered_at",
            ),
            [
                (
                    did,
                    delivery_no(order.order_no, line.line_no, v["shipped_at"]),
                    order.id,
                    line.id,
                    dec(v["quantity"]),
                    ts(v["shipped_at"]),
                    ts(v["delivered_at"]),
                )
                for did, (v, order, line, _) in zip(ids, accepted, strict=True)
            ],
        )
        plan.insert(
            "stock_movement",
            (
                "product_id",
                "kind",
                "quantity",
                "moved_at",
                "unit_cost",
                "balance_after",
                "reference_type",
                "reference_id",
            ),
            [
                (
                    line.product_id,
                    "shipment",
                    dec(-v["quantity"]),
                    ts(v["shipped_at"]),
                    dec(products[line.product_id].standard_cost),
                    dec(balance),
                    "delivery",
                    did,
                )
                for did, (v, _, line, balance) in zip(ids, accepted, strict=True)
            ],
        )
        touched = sorted({line.id for _, _, line, _ in accepted})
        plan.update(
            "sales_order_line",
            ("shipped_quantity", "reserved_quantity"),
            [(dec(shipped[i]), dec(line_reserved[i]), i) for i in touched],
        )
        _level_writes(plan, levels, on_hand, reserved, {ln.product_id for _, _, ln, _ in accepted})
        return accepted
