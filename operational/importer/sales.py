"""Sales orders and their lines (natural keys: order_no; order_no + line_no).

Statuses are history and taken as given (any status of the sales-order machine); imported
orders reserve no stock, since what they promised has happened or will be re-entered. A
line's net amount is the domain's rule, computed here, never read from the file:
quantity × unit price × (1 − discount), half-up to the cent (``services._core.line_net``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from itertools import compress, repeat
from operator import is_not
from typing import Any

from operational.importer import fields as f
from operational.importer.base import Context, Entity, Parsed, Plan, Row
from operational.importer.fields import Column
from operational.services._core import line_net
from operational.states import statuses

Rows = list[Row]


def _codes(ctx: Context, table: str, ids: Any, column: str) -> dict[int, str]:
    """id -> natural key, to name stored references in "differs" messages."""
    return {r.id: r[1] for r in ctx.lookup(table, "id", ids, ("id", column))}


class SalesOrders(Entity):
    name = "sales_orders"
    table = "sales_order"
    key = ("order_no",)
    columns = (
        Column("order_no", f.code(30)),
        Column("customer_code", f.code(20)),
        Column("order_date", f.day),
        Column("promised_date", f.day, False),
        Column("status", f.choice(statuses("sales_order")), False, "draft"),
    )

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        rows = parsed.rows()
        customers = {
            r.code: r.id
            for r in ctx.lookup(
                "customer", "code", self.values_of(rows, "customer_code"), ("code", "id")
            )
        }
        rows = self.resolve(
            ctx, rows, "customer_code", customers, "customer", "import customers first"
        )
        existing = {
            r.order_no: r
            for r in ctx.lookup(
                "sales_order",
                "order_no",
                self.values_of(rows, "order_no"),
                ("order_no", "customer_id", "order_date", "promised_date", "status"),
            )
        }
        codes = _codes(ctx, "customer", (r.customer_id for r in existing.values()), "code")
        plan = Plan()
        new = []
        for row_no, (order_no, customer_code, order_date, promised, status) in rows:
            if promised is not None and promised < order_date:
                ctx.error(row_no, "promised_date", "must not be before order_date")
                continue
            old = existing.get(order_no)
            if old is not None:
                pairs = [
                    ("customer_code", customer_code, codes.get(old.customer_id)),
                    ("order_date", order_date, old.order_date),
                    ("promised_date", promised, old.promised_date),
                    ("status", status, old.status),
                ]
                plan.unchanged += not ctx.differs(row_no, pairs)
                continue
            new.append(
                (
                    order_no,
                    customers[customer_code],
                    order_date.isoformat(),
                    f.date_text(promised),
                    status,
                )
            )
        plan.insert(
            "sales_order",
            ("order_no", "customer_id", "order_date", "promised_date", "status"),
            new,
        )
        plan.imported = len(new)
        return plan


class SalesOrderLines(Entity):
    """An empty ``promised_date`` is stored empty: the order's promised date applies to the
    line (the rule the services and the on-time-delivery KPI use)."""

    name = "sales_order_lines"
    table = "sales_order_line"
    key = ("order_no", "line_no")
    references_locked = True  # orders and products are read "key share" in plan()
    columns = (
        Column("order_no", f.code(30)),
        Column("line_no", f.integer(1, 99_999)),
        Column("sku", f.code(40)),
        Column("quantity", f.quantity),
        Column("unit_price", f.money),
        Column("discount", f.rate, False, Decimal("0.0000")),
        Column("tax_rate", f.rate, False, Decimal("0.1300")),
        Column("promised_date", f.day, False),
    )
    _fields = ("quantity", "unit_price", "discount", "tax_rate", "promised_date")

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        # Column by column: the largest imports are order lines, and per-row Python work is
        # what limits their speed (see bench/import_bench.py).
        col = parsed.column
        orders = {
            r.order_no: r
            for r in ctx.lookup(
                "sales_order",
                "order_no",
                set(col("order_no")),
                ("order_no", "id", "order_date"),
                lock="key share",
            )
        }
        products = {
            r.sku: r.id
            for r in ctx.lookup("product", "sku", set(col("sku")), ("sku", "id"), lock="key share")
        }
        order_ids = list(map({k: o.id for k, o in orders.items()}.get, col("order_no")))
        product_ids = list(map(products.get, col("sku")))
        skip = self._refused(ctx, parsed, orders, order_ids, product_ids)
        existing = {
            (r.sales_order_id, r.line_no): r
            for r in ctx.lookup(
                "sales_order_line",
                "sales_order_id",
                {o.id for o in orders.values()},
                ("sales_order_id", "line_no", "product_id", *self._fields),
            )
        }
        plan = Plan()
        if existing:
            skip |= self._unchanged(ctx, parsed, order_ids, existing, plan, skip)
        qty, price, discount = col("quantity"), col("unit_price"), col("discount")
        promised = map(f.date_text, col("promised_date"))
        n = len(parsed)
        # Lazy: each row's text and net amount are computed as it is written.
        new: Iterable[tuple[Any, ...]] = zip(
            order_ids,
            col("line_no"),
            product_ids,
            map(str, qty),
            map(str, price),
            map(str, discount),
            map(str, col("tax_rate")),
            promised,
            map(str, map(line_net, qty, price, discount)),
            repeat("0.000", n),
            repeat("0.000", n),
            strict=True,
        )
        if skip:
            new = [row for k, row in enumerate(new) if k not in skip]
        plan.insert(
            "sales_order_line",
            (
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
            ),
            new,
            count=n - len(skip),
            references_locked=self.references_locked,
        )
        plan.imported = n - len(skip)
        return plan

    def _refused(
        self,
        ctx: Context,
        parsed: Parsed,
        orders: dict[str, Any],
        order_ids: list[int | None],
        product_ids: list[int | None],
    ) -> set[int]:
        """Positions of rows with an unknown order or product, or promised before ordered."""
        skip: set[int] = set()
        nos, col = parsed.row_nos, parsed.column
        if None in order_ids:
            for k in (k for k, v in enumerate(order_ids) if v is None):
                no = col("order_no")[k]
                ctx.error(
                    nos[k],
                    "order_no",
                    f"no sales order {no!r} in the store (import sales_orders first)",
                )
                skip.add(k)
        if None in product_ids:
            for k in (k for k, v in enumerate(product_ids) if v is None):
                ctx.error(
                    nos[k],
                    "sku",
                    f"no product {col('sku')[k]!r} in the store (import products first)",
                )
                skip.add(k)
        promised, order_nos = col("promised_date"), col("order_no")
        for k in compress(range(len(nos)), map(is_not, promised, repeat(None))):
            if k not in skip and promised[k] < orders[order_nos[k]].order_date:
                ctx.error(nos[k], "promised_date", "must not be before the order's order_date")
                skip.add(k)
        return skip

    def _unchanged(
        self,
        ctx: Context,
        parsed: Parsed,
        order_ids: list[int | None],
        existing: dict[tuple[int | None, int], Any],
        plan: Plan,
        skip: set[int],
    ) -> set[int]:
        """Positions of rows already in the store: counted if equal, reported if not."""
        skus = _codes(ctx, "product", {r.product_id for r in existing.values()}, "sku")
        found: set[int] = set()
        rows = parsed.rows()
        for k, (order_id, (row_no, (_, line_no, sku, *values))) in enumerate(
            zip(order_ids, rows, strict=True)
        ):
            old = existing.get((order_id, line_no))
            if old is None or k in skip:
                continue
            found.add(k)
            pairs = [("sku", sku, skus.get(old.product_id))]
            pairs += [(c, v, getattr(old, c)) for c, v in zip(self._fields, values, strict=True)]
            plan.unchanged += not ctx.differs(row_no, pairs)
        return found
