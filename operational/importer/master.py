"""Master data: customers, suppliers, products (natural keys: code, code, SKU)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from operational.importer import fields as f
from operational.importer.base import Context, Entity, Parsed, Plan, Row
from operational.importer.fields import Column
from operational.states import KINDS

Rows = list[Row]


class Customers(Entity):
    name = "customers"
    table = "customer"
    key = ("customer_code",)
    columns = (
        Column("customer_code", f.code(20)),
        Column("name", f.text(200)),
        Column("kind", f.choice(KINDS["customer_kind"]), False, "company"),
        Column("industry", f.text(60), False),
        Column("region", f.text(60), False),
        Column("grade", f.choice(KINDS["customer_grade"]), False, "C"),
        Column("credit_limit", f.money, False, Decimal("0.00")),
        Column("created_at", f.past(f.instant), False),
    )
    _fields = ("name", "kind", "industry", "region", "grade", "credit_limit")

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        rows = parsed.rows()
        existing = {
            r.code: r
            for r in ctx.lookup(
                "customer",
                "code",
                self.values_of(rows, "customer_code"),
                ("code", *self._fields, "created_at"),
            )
        }
        plan = Plan()
        new: list[tuple[Any, ...]] = []
        now = None
        for row_no, (code, *values, created_at) in rows:
            old = existing.get(code)
            if old is not None:
                pairs = [(c, v, getattr(old, c)) for c, v in zip(self._fields, values, strict=True)]
                if created_at is not None:
                    pairs.append(("created_at", created_at, old.created_at))
                plan.unchanged += not ctx.differs(row_no, pairs)
                continue
            if created_at is None:  # the default a form's create would get: the db clock
                created_at = now = now or ctx.db_now()
            *text, credit_limit = values
            new.append((code, *text, str(credit_limit), f.ts_text(created_at)))
        plan.insert("customer", ("code", *self._fields, "created_at"), new)
        plan.imported = len(new)
        return plan


class Suppliers(Entity):
    name = "suppliers"
    table = "supplier"
    key = ("supplier_code",)
    columns = (
        Column("supplier_code", f.code(20)),
        Column("name", f.text(200)),
        Column("region", f.text(60), False),
    )

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        rows = parsed.rows()
        existing = {
            r.code: r
            for r in ctx.lookup(
                "supplier",
                "code",
                self.values_of(rows, "supplier_code"),
                ("code", "name", "region"),
            )
        }
        plan = Plan()
        new = []
        for row_no, (code, name, region) in rows:
            old = existing.get(code)
            if old is not None:
                pairs = [("name", name, old.name), ("region", region, old.region)]
                plan.unchanged += not ctx.differs(row_no, pairs)
                continue
            new.append((code, name, region))
        plan.insert("supplier", ("code", "name", "region"), new)
        plan.imported = len(new)
        return plan


class Products(Entity):
    """A new product also gets its stock balance row at zero, as ``create_product`` does."""

    name = "products"
    table = "product"
    key = ("sku",)
    columns = (
        Column("sku", f.code(40)),
        Column("name", f.text(200)),
        Column("category", f.text(60)),
        Column("unit", f.text(10)),
        Column("list_price", f.money),
        Column("standard_cost", f.money),
        Column("reorder_point", f.nonnegative_quantity, False, Decimal("0.000")),
        Column("lead_time_days", f.integer(0, 3650), False, 7),
        Column("supplier_code", f.code(20), False),
    )
    _fields = (
        "name",
        "category",
        "unit",
        "list_price",
        "standard_cost",
        "reorder_point",
        "lead_time_days",
    )

    def plan(self, ctx: Context, parsed: Parsed) -> Plan:
        rows = parsed.rows()
        suppliers = {
            r.code: r.id
            for r in ctx.lookup(
                "supplier", "code", self.values_of(rows, "supplier_code"), ("code", "id")
            )
        }
        rows = self.resolve(
            ctx, rows, "supplier_code", suppliers, "supplier", "import suppliers first"
        )
        existing = {
            r.sku: r
            for r in ctx.lookup(
                "product",
                "sku",
                self.values_of(rows, "sku"),
                ("sku", *self._fields, "supplier_id"),
            )
        }
        codes = {
            r.id: r.code
            for r in ctx.lookup(
                "supplier", "id", (r.supplier_id for r in existing.values()), ("id", "code")
            )
        }
        plan = Plan()
        new = []
        for row_no, (sku, *values, supplier_code) in rows:
            old = existing.get(sku)
            if old is not None:
                pairs = [(c, v, getattr(old, c)) for c, v in zip(self._fields, values, strict=True)]
                pairs.append(("supplier_code", supplier_code, codes.get(old.supplier_id)))
                plan.unchanged += not ctx.differs(row_no, pairs)
                continue
            name, category, unit, price, cost, reorder, lead_time = values
            new.append(
                (
                    sku,
                    name,
                    category,
                    unit,
                    str(price),
                    str(cost),
                    str(reorder),
                    lead_time,
                    suppliers.get(supplier_code),
                    True,
                )
            )
        ids = ctx.ids("product", len(new))
        plan.insert(
            "product",
            ("id", "sku", *self._fields, "supplier_id", "is_active"),
            [(pid, *row) for pid, row in zip(ids, new, strict=True)],
        )
        plan.insert(
            "stock_level",
            ("product_id", "on_hand", "reserved"),
            [(pid, "0.000", "0.000") for pid in ids],
        )
        plan.imported = len(new)
        return plan
