"""Invoices and payments (natural keys: invoice_no, payment_no).

An invoice's lines and amounts follow the deliveries, as ``services.billing.issue_invoice``
computes them: per order line, what was delivered by the issue date (company calendar) and
not invoiced yet (credit notes subtracted), net = cumulative net of the invoiced quantity
minus what earlier invoices carried, tax = net × tax rate, both half-up to the cent. A
file's invoices are applied in issue-date order. A payment above what is outstanding
(gross + credit notes − paid, earlier rows of the file included) is a row error.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from operational.importer import fields as f
from operational.importer.base import Context, Entity, Parsed, Plan
from operational.importer.fields import Column
from operational.services._core import line_net, round_money
from operational.states import KINDS

ZERO = Decimal(0)


def _names(ctx: Context, table: str, ids: Any, column: str) -> dict[int, str]:
    return {r.id: r[1] for r in ctx.lookup(table, "id", ids, ("id", column))}


class Invoices(Entity):
    name = "invoices"
    table = "invoice"
    key = ("invoice_no",)
    columns = (
        Column("invoice_no", f.code(30)),
        Column("order_no", f.code(30)),
        Column("issue_date", f.day),
        Column("due_date", f.day),
    )

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        rows = self.as_dicts(parsed.rows())
        orders = {
            r.order_no: r
            for r in ctx.lookup(
                "sales_order",
                "order_no",
                (v["order_no"] for _, v in rows),
                ("id", "order_no", "customer_id"),
                lock="update",
            )
        }
        rows = self.resolve(
            ctx, rows, "order_no", orders, "sales order", "import sales_orders first"
        )
        existing = {
            r.invoice_no: r
            for r in ctx.lookup(
                "invoice",
                "invoice_no",
                (v["invoice_no"] for _, v in rows),
                ("invoice_no", "kind", "sales_order_id", "issue_date", "due_date"),
            )
        }
        order_nos = _names(
            ctx, "sales_order", (r.sales_order_id for r in existing.values()), "order_no"
        )
        plan = Plan()
        todo = []
        for row_no, v in rows:
            if v["due_date"] < v["issue_date"]:
                ctx.error(row_no, "due_date", "must not be before issue_date")
                continue
            old = existing.get(v["invoice_no"])
            if old is not None:
                pairs = [
                    ("invoice_no", "invoice", old.kind),
                    ("order_no", v["order_no"], order_nos.get(old.sales_order_id)),
                    ("issue_date", v["issue_date"], old.issue_date),
                    ("due_date", v["due_date"], old.due_date),
                ]
                plan.unchanged += not ctx.differs(row_no, pairs)
                continue
            todo.append((v["issue_date"], row_no, v, orders[v["order_no"]]))
        todo.sort(key=lambda x: (x[0], x[1]))
        self._bill(ctx, todo, plan)
        return plan

    def _bill(self, ctx: Context, todo: list[Any], plan: Plan) -> None:
        by_order: dict[int, list[Any]] = defaultdict(list)
        for r in ctx.lookup(
            "sales_order_line",
            "sales_order_id",
            {o.id for *_, o in todo},
            ("id", "sales_order_id", "line_no", "unit_price", "discount", "tax_rate"),
        ):
            by_order[r.sales_order_id].append(r)
        line_ids = {ln.id for lines in by_order.values() for ln in lines}
        delivered: dict[int, list[tuple[Any, Decimal]]] = defaultdict(list)
        tz = f.company_tz()
        for d in ctx.lookup(
            "delivery",
            "sales_order_line_id",
            line_ids,
            ("sales_order_line_id", "quantity", "delivered_at"),
            where=lambda t: t.c.delivered_at.is_not(None),
        ):
            delivered[d.sales_order_line_id].append(
                (d.delivered_at.astimezone(tz).date(), d.quantity)
            )
        invoiced: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for il in ctx.lookup(
            "invoice_line",
            "sales_order_line_id",
            line_ids,
            ("sales_order_line_id", "quantity", "net_amount"),
        ):
            invoiced[il.sales_order_line_id][0] += il.quantity
            invoiced[il.sales_order_line_id][1] += il.net_amount
        heads, lines_out = [], []
        for issue, row_no, v, order in todo:
            lines = []
            for ln in sorted(by_order[order.id], key=lambda x: x.line_no):
                done = invoiced[ln.id]
                qty = sum((q for day, q in delivered[ln.id] if day <= issue), ZERO) - done[0]
                if qty <= 0:
                    continue
                net = line_net(done[0] + qty, ln.unit_price, ln.discount) - done[1]
                lines.append((ln.id, qty, net, round_money(net * ln.tax_rate)))
                done[0] += qty
                done[1] += net
            if not lines:
                ctx.error(
                    row_no,
                    "order_no",
                    f"order {order.order_no} has nothing delivered by {issue} that is not "
                    "invoiced yet (import its deliveries first)",
                )
                continue
            heads.append((v, order, lines))
        ids = ctx.ids("invoice", len(heads))
        dec = f.dec_text
        invoices = []
        for iid, (v, order, lines) in zip(ids, heads, strict=True):
            net = sum((x[2] for x in lines), ZERO)
            tax = sum((x[3] for x in lines), ZERO)
            invoices.append(
                (
                    iid,
                    v["invoice_no"],
                    "invoice",
                    order.id,
                    order.customer_id,
                    f.date_text(v["issue_date"]),
                    f.date_text(v["due_date"]),
                    dec(net),
                    dec(tax),
                    dec(net + tax),
                    "0.00",
                )
            )
            lines_out += [(iid, lid, dec(q), dec(n), dec(t)) for lid, q, n, t in lines]
        plan.insert(
            "invoice",
            (
                "id",
                "invoice_no",
                "kind",
                "sales_order_id",
                "customer_id",
                "issue_date",
                "due_date",
                "net_amount",
                "tax_amount",
                "gross_amount",
                "paid_amount",
            ),
            invoices,
        )
        plan.insert(
            "invoice_line",
            ("invoice_id", "sales_order_line_id", "quantity", "net_amount", "tax_amount"),
            lines_out,
        )
        plan.imported = len(invoices)


class Payments(Entity):
    name = "payments"
    table = "payment"
    key = ("payment_no",)
    columns = (
        Column("payment_no", f.code(30)),
        Column("invoice_no", f.code(30)),
        Column("amount", f.positive_money),
        Column("paid_at", f.past(f.local_day)),
        Column("method", f.choice(KINDS["payment_method"]), False, "bank_transfer"),
    )

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        rows = self.as_dicts(parsed.rows())
        invoices = {
            r.invoice_no: r
            for r in ctx.lookup(
                "invoice",
                "invoice_no",
                (v["invoice_no"] for _, v in rows),
                (
                    "id",
                    "invoice_no",
                    "kind",
                    "customer_id",
                    "issue_date",
                    "gross_amount",
                    "paid_amount",
                ),
                lock="update",
            )
        }
        rows = self.resolve(ctx, rows, "invoice_no", invoices, "invoice", "import invoices first")
        existing = {
            r.payment_no: r
            for r in ctx.lookup(
                "payment",
                "payment_no",
                (v["payment_no"] for _, v in rows),
                ("payment_no", "invoice_id", "amount", "paid_date", "method"),
            )
        }
        invoice_nos = _names(
            ctx, "invoice", (r.invoice_id for r in existing.values()), "invoice_no"
        )
        plan = Plan()
        todo = []
        for row_no, v in rows:
            old = existing.get(v["payment_no"])
            inv = invoices[v["invoice_no"]]
            if old is not None:
                pairs = [
                    ("invoice_no", v["invoice_no"], invoice_nos.get(old.invoice_id)),
                    ("amount", v["amount"], old.amount),
                    ("paid_at", v["paid_at"], old.paid_date),
                    ("method", v["method"], old.method),
                ]
                plan.unchanged += not ctx.differs(row_no, pairs)
            elif inv.kind != "invoice":
                ctx.error(row_no, "invoice_no", f"{inv.invoice_no} is a credit note")
            elif v["paid_at"] < inv.issue_date:
                ctx.error(
                    row_no, "paid_at", f"is before {inv.invoice_no} was issued ({inv.issue_date})"
                )
            else:
                todo.append((v["paid_at"], row_no, v, inv))
        todo.sort(key=lambda x: (x[0], x[1]))
        credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for cn in ctx.lookup(
            "invoice",
            "credited_invoice_id",
            {inv.id for *_, inv in todo},
            ("credited_invoice_id", "gross_amount"),
            where=lambda t: t.c.kind == "credit_note",
        ):
            credited[cn.credited_invoice_id] += cn.gross_amount
        paid = {inv.id: inv.paid_amount for *_, inv in todo}
        new = []
        for _, row_no, v, inv in todo:
            owed = inv.gross_amount + credited[inv.id] - paid[inv.id]
            if v["amount"] > owed:
                ctx.error(
                    row_no,
                    "amount",
                    f"{v['amount']} is more than the {owed} outstanding on {inv.invoice_no}",
                )
                continue
            paid[inv.id] += v["amount"]
            new.append(
                (
                    v["payment_no"],
                    inv.id,
                    inv.customer_id,
                    f.dec_text(v["amount"]),
                    f.date_text(v["paid_at"]),
                    v["method"],
                )
            )
        plan.insert(
            "payment",
            ("payment_no", "invoice_id", "customer_id", "amount", "paid_date", "method"),
            new,
        )
        touched = sorted({row[1] for row in new})
        plan.update("invoice", ("paid_amount",), [(f.dec_text(paid[i]), i) for i in touched])
        plan.imported = len(new)
        return plan
