"""Store reads for the record page: one operational row, its related rows, its change history.

The record page is reached by a URL (``/record?table=sales_order&id=12``). ``TABLES`` is the
allow-list from the URL's table name to its model: a name from a URL never reaches SQL (an
unknown one is refused before any query) and ids are bound parameters. Everything here reads;
changes go through ``operational.services``. Values come back raw (Decimals, dates); the page
formats them in the reader's language. Related tables use ``labels.py`` column names where
those mean the same thing and ``rec_*`` names (``labels_record.py``) otherwise.

``resolve`` also serves the other pages: it looks up the store ids behind the business numbers a
warehouse table shows (order_no, customer_code, ...) so those tables can link to this page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, select

from dashboards import forms
from operational import models as m
from operational.services._core import company_today
from operational.types import ExactDecimal

LIMIT = 200  # rows per related table (newest first); key figures always count everything
TECHNICAL = frozenset({"id", "created_at", "updated_at", "updated_by", "version"})
CODED = frozenset({"status", "kind", "stage", "priority", "method", "channel", "source",
                   "source_channel", "department", "from_stage", "to_stage"})
NOT_FOREIGN_KEYS = {("lead", "opportunity_id"): "opportunity"}  # ids without a declared FK
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Spec:
    """How people name a record: its business number, its name, its status field and, for
    lines and movements, the parent whose label comes first (``SO-1 / 2``)."""

    model: Any
    number: str | None = None
    name: str | None = None
    status: str | None = None
    parent: tuple[str, str] | None = None  # (foreign key field, parent table)


TABLES: dict[str, Spec] = {
    "customer": Spec(m.Customer, "code", "name"),
    "contact": Spec(m.Contact, None, "name"),
    "employee": Spec(m.Employee, "code", "name"),
    "campaign": Spec(m.Campaign, "code", "name"),
    "lead": Spec(m.Lead, "code", "company_name", "status"),
    "opportunity": Spec(m.Opportunity, None, "name", "stage"),
    "activity": Spec(m.Activity, None, "subject"),
    "service_ticket": Spec(m.ServiceTicket, "ticket_no", "subject", "status"),
    "supplier": Spec(m.Supplier, "code", "name"),
    "product": Spec(m.Product, "sku", "name"),
    "stock_movement": Spec(m.StockMovement, None, "kind", parent=("product_id", "product")),
    "sales_order": Spec(m.SalesOrder, "order_no", None, "status"),
    "sales_order_line": Spec(m.SalesOrderLine, None, "line_no",
                             parent=("sales_order_id", "sales_order")),
    "delivery": Spec(m.Delivery, "delivery_no"),
    "invoice": Spec(m.Invoice, "invoice_no"),
    "payment": Spec(m.Payment, "payment_no"),
    "purchase_order": Spec(m.PurchaseOrder, "po_no", None, "status"),
    "purchase_order_line": Spec(m.PurchaseOrderLine, None, "line_no",
                                parent=("purchase_order_id", "purchase_order")),
    "goods_receipt": Spec(m.GoodsReceipt, "receipt_no"),
    "supplier_payment": Spec(m.SupplierPayment, "payment_no"),
    "replenishment_suggestion": Spec(m.ReplenishmentSuggestion, None, None, "status",
                                     parent=("product_id", "product")),
    "approval_request": Spec(m.ApprovalRequest, "request_no", "subject", "status"),
    "task": Spec(m.Task, None, "title", "status"),
}


@dataclass(frozen=True)
class Field:
    """One line of the field list: raw value, how to show it, and the record it points to."""

    name: str
    value: Any
    kind: str  # money | rate | quantity | code | ref | plain
    ref: tuple[str, int] | None = None
    ref_label: str | None = None


@dataclass
class Section:
    """A related table: rows (newest first), link columns and money columns for ``ui.table``.
    ``optional`` sections (tasks and approvals about the record) are hidden when empty."""

    key: str
    frame: pd.DataFrame
    links: dict[str, tuple[str, str]] = field(default_factory=dict)
    money: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()
    optional: bool = False


@dataclass
class Record:
    table: str
    id: int
    title: str
    status: str | None
    fields: list[Field]
    figures: list[tuple[str, Any, str]]  # (label key, value, money | count | date | quantity)
    sections: list[Section]
    history: pd.DataFrame
    stamp: dict[str, Any]  # created_at, updated_at, updated_by, version
    about: Field | None = None


def spec(table: Any) -> Spec | None:
    """The allow-listed spec of a table name from a URL, else None (nothing is queried)."""
    return TABLES.get(table) if isinstance(table, str) else None


def parse_id(raw: Any) -> int | None:
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


class NotYours(PermissionError):
    """A sales rep limited to their own records asked for someone else's customer-side record."""


def load(table: str, record_id: int, scope: int | None = None) -> Record | None:
    """The record with its fields, key figures, related rows and history; None if absent.

    With ``scope`` (an employee limited to their own records, ``auth.owner_scope``), a
    customer-side record (customer, lead, deal, order and what hangs off them) must be that
    employee's, else ``NotYours``; products, suppliers, tasks and the like are not owned."""
    found = TABLES[table]  # callers check spec() first: a KeyError here is a bug
    with forms.session() as s:
        row = s.get(found.model, record_id)
        if row is None:
            return None
        values = {a.key: getattr(row, a.key) for a in sa_inspect(found.model).column_attrs}
        if scope is not None and table in OWNED and _owner(s, table, values) != scope:
            raise NotYours(table, record_id)
        fields = _fields(s, table, values)
        figures = FIGURES[table](s, record_id, values) if table in FIGURES else []
        sections = [build(s, record_id, values) for build in RELATED.get(table, ())]
        sections += [_about_tasks(s, table, record_id), _about_approvals(s, table, record_id)]
        return Record(
            table=table, id=record_id, title=labels(s, table, [record_id]).get(record_id, ""),
            status=values.get(found.status) if found.status else None, fields=fields,
            figures=figures, sections=[x for x in sections if not (x.optional and x.frame.empty)],
            history=history(s, table, record_id),
            stamp={k: values.get(k) for k in ("created_at", "updated_at", "updated_by",
                                              "version")},
            about=next((f for f in fields if f.name == "reference_type"), None),
        )


# Customer-side records and the field that leads to their owner (``owner_id`` itself, or the
# customer / order / opportunity / lead they belong to).
OWNED: dict[str, tuple[str, ...]] = {
    "customer": ("owner_id",), "lead": ("owner_id",), "opportunity": ("owner_id",),
    "sales_order": ("owner_id",), "contact": ("customer_id",), "invoice": ("customer_id",),
    "payment": ("customer_id",), "service_ticket": ("customer_id",),
    "delivery": ("sales_order_id",), "sales_order_line": ("sales_order_id",),
    "activity": ("customer_id", "opportunity_id", "lead_id"),
}
_PARENTS = {"customer_id": "customer", "sales_order_id": "sales_order",
            "opportunity_id": "opportunity", "lead_id": "lead"}


def _owner(s: Session, table: str, values: dict[str, Any]) -> int | None:
    for name in OWNED[table]:
        if name == "owner_id":
            return values.get("owner_id")
        if values.get(name) is not None:
            parent = _PARENTS[name]
            row = s.get(TABLES[parent].model, values[name])
            if row is not None:
                return _owner(s, parent, {k: getattr(row, k, None) for k in
                                          ("owner_id", "customer_id", "opportunity_id",
                                           "lead_id", "sales_order_id")})
    return None


# --- labels and fields -------------------------------------------------------------------


def in_chunks(s: Session, model: Any, column: Any, values: Sequence[Any], size: int = 500
              ) -> list[Any]:
    """Rows whose ``column`` is in ``values`` (bound, a few hundred per statement)."""
    out: list[Any] = []
    for start in range(0, len(values), size):
        out += s.exec(select(model).where(column.in_(values[start:start + size]))).all()
    return out


def _title(found: Spec, row: Any) -> str:
    parts = [getattr(row, f) for f in (found.number, found.name) if f]
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def labels(s: Session, table: str, ids: Iterable[Any]) -> dict[int, str]:
    """``{id: "SO-1"}`` / ``{id: "C001 · Acme"}`` for records of one allow-listed table."""
    found = spec(table)
    wanted = sorted({int(i) for i in ids if i is not None and not pd.isna(i)})
    if found is None or not wanted:
        return {}
    rows = in_chunks(s, found.model, found.model.id, wanted)
    out = {r.id: _title(found, r) or f"#{r.id}" for r in rows}
    if found.parent:
        fk, parent = found.parent
        parents = labels(s, parent, [getattr(r, fk) for r in rows])
        out = {r.id: f"{parents.get(getattr(r, fk), '')} / {out[r.id]}" for r in rows}
    return out


def _pair_labels(s: Session, pairs: Iterable[tuple[Any, Any]]) -> dict[tuple[str, int], str]:
    by_table: dict[str, set[int]] = {}
    for table, rid in pairs:
        if spec(table) is not None and rid is not None and not pd.isna(rid):
            by_table.setdefault(table, set()).add(int(rid))
    return {(t, i): text for t, ids in by_table.items() for i, text in labels(s, t, ids).items()}


def reference_labels(pairs: Iterable[tuple[Any, Any]]) -> dict[tuple[str, int], str]:
    """Labels of ``(table, id)`` pairs (what tasks and approvals are about)."""
    with forms.session() as s:
        return _pair_labels(s, pairs)


def foreign_keys(table: str) -> dict[str, str]:
    """``{field: target table}`` for the fields of ``table`` that point at a record."""
    out = {f: t for (tb, f), t in NOT_FOREIGN_KEYS.items() if tb == table}
    for column in TABLES[table].model.__table__.columns:
        for fk in column.foreign_keys:
            if fk.column.table.name in TABLES:
                out[column.name] = fk.column.table.name
    return out


def _kind(column: Any, name: str) -> str:
    if isinstance(column.type, ExactDecimal):
        return {2: "money", 3: "quantity", 4: "rate"}.get(column.type.scale, "plain")
    return "code" if name in CODED else "plain"


def _fields(s: Session, table: str, values: dict[str, Any]) -> list[Field]:
    found = TABLES[table]
    refs = {f: (t, values[f]) for f, t in foreign_keys(table).items() if values.get(f) is not None}
    if spec(values.get("reference_type")) is not None and values.get("reference_id") is not None:
        refs["reference_type"] = (values["reference_type"], values["reference_id"])
    names = _pair_labels(s, refs.values())
    first = [f for f in (found.number, found.name) if f]
    columns = found.model.__table__.columns
    out = []
    for name in first + [k for k in values if k not in first and k not in TECHNICAL]:
        if name == "reference_id" or (name == "reference_type" and name not in refs):
            continue
        if name in refs:
            out.append(Field(name, values[name], "ref", refs[name], names.get(refs[name])))
        else:
            out.append(Field(name, values[name], _kind(columns[name], name)))
    return out


# --- history -----------------------------------------------------------------------------

HISTORY_COLUMNS = ["rec_changed_at", "rec_changed_by", "rec_action", "rec_field", "rec_before",
                   "rec_after"]


def history(s: Session, table: str, record_id: int, limit: int = 500) -> pd.DataFrame:
    """One row per changed field (a create is one row), newest first: when, who, action,
    field, before, after (raw JSON values; the page formats them)."""
    log = m.AuditLog
    stmt = (select(log).where(log.table_name == table, log.record_id == record_id)
            .order_by(log.id.desc()).limit(limit))  # type: ignore[union-attr]
    entries = list(s.exec(stmt).all())
    users = in_chunks(s, m.UserAccount, m.UserAccount.username,
                      sorted({e.changed_by for e in entries if e.changed_by}))
    names = {u.username: f"{u.display_name} ({u.username})" for u in users}
    rows = []
    for e in entries:
        base = {"rec_changed_at": e.changed_at, "rec_action": e.action,
                "rec_changed_by": names.get(e.changed_by or "", e.changed_by)}
        before, after = e.before or {}, e.after or {}
        changed = [k for k in after if k not in TECHNICAL and before.get(k) != after.get(k)]
        if e.before is None or not changed:
            rows.append({**base, "rec_field": None, "rec_before": None, "rec_after": None})
        else:
            rows += [{**base, "rec_field": k, "rec_before": before.get(k),
                      "rec_after": after.get(k)} for k in changed]
    return _tidy(pd.DataFrame(rows, columns=HISTORY_COLUMNS), ())


# --- related tables ------------------------------------------------------------------------


def _tidy(df: pd.DataFrame, money: Sequence[str]) -> pd.DataFrame:
    """UTC timestamps as naive UTC (``ui.table`` shows them in company time) and quantities
    as floats for display (money stays Decimal: the table formats it, exports stay exact)."""
    for name in df.columns:
        col = df[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            df[name] = col.dt.tz_convert("UTC").dt.tz_localize(None)
        elif col.dtype == object and name not in money and any(
                isinstance(v, Decimal) for v in col.head(20)):
            df[name] = pd.to_numeric(col, errors="coerce").astype(float)
        elif col.dtype == object and any(hasattr(v, "tzinfo") and v.tzinfo for v in col.head(5)):
            df[name] = pd.to_datetime(col, utc=True).dt.tz_localize(None)
    return df


def _rows(s: Session, stmt: Any, money: Sequence[str] = ()) -> pd.DataFrame:
    result = s.connection().execute(stmt)
    return _tidy(pd.DataFrame(result.fetchall(), columns=list(result.keys())), money)


def _section(key: str, s: Session, stmt: Any, links: dict[str, tuple[str, str]] | None = None,
             money: tuple[str, ...] = (), rates: tuple[str, ...] = (), drop: Sequence[str] = (),
             optional: bool = False) -> Section:
    df = _rows(s, stmt.limit(LIMIT), money).drop(columns=list(drop))
    kept = {k: v for k, v in (links or {}).items() if k in df.columns}
    orphans = {v[1] for v in (links or {}).values()} - {v[1] for v in kept.values()}
    return Section(key, df.drop(columns=[c for c in orphans if c in df.columns]), kept, money,
                   rates, optional)


def _net_by_order(s: Session, order_ids: Iterable[int]) -> dict[int, Decimal]:
    lines = in_chunks(s, m.SalesOrderLine, m.SalesOrderLine.sales_order_id, sorted(order_ids))
    totals: dict[int, Decimal] = {}
    for line in lines:
        totals[line.sales_order_id] = totals.get(line.sales_order_id, ZERO) + line.net_amount
    return totals


def _orders(s: Session, where: Any, drop: Sequence[str] = ()) -> Section:
    so, c = m.SalesOrder, m.Customer
    stmt = (select(so.id.label("sales_order_id"), so.order_no, so.order_date,
                   so.status.label("order_status"), so.promised_date,
                   c.id.label("customer_id"), c.name.label("customer_name"))
            .join(c, c.id == so.customer_id).where(where)
            .order_by(so.order_date.desc(), so.id.desc()))
    sec = _section("orders", s, stmt, {"order_no": ("sales_order", "sales_order_id"),
                                       "customer_name": ("customer", "customer_id")},
                   money=("net_amount",), drop=drop)
    totals = _net_by_order(s, sec.frame["sales_order_id"].tolist())
    sec.frame.insert(3, "net_amount", [totals.get(i, ZERO) for i in sec.frame["sales_order_id"]])
    return sec


def _invoices(s: Session, where: Any, key: str = "invoices") -> Section:
    inv = m.Invoice
    stmt = (select(inv.id.label("invoice_id"), inv.invoice_no, inv.kind.label("rec_invoice_kind"),
                   inv.issue_date, inv.due_date, inv.gross_amount, inv.paid_amount)
            .where(where).order_by(inv.issue_date.desc(), inv.id.desc()))
    sec = _section(key, s, stmt, {"invoice_no": ("invoice", "invoice_id")},
                   money=("gross_amount", "paid_amount", "open_amount"))
    credits = _credits(s, sec.frame["invoice_id"].tolist())
    df = sec.frame
    df["open_amount"] = [g + credits.get(i, ZERO) - p if k == "invoice" else ZERO
                         for i, k, g, p in zip(df["invoice_id"], df["rec_invoice_kind"],
                                               df["gross_amount"], df["paid_amount"], strict=True)]
    return sec


def _credits(s: Session, invoice_ids: Sequence[int]) -> dict[int, Decimal]:
    """Credit notes' (negative) gross amounts per credited invoice."""
    notes = in_chunks(s, m.Invoice, m.Invoice.credited_invoice_id, sorted(invoice_ids))
    out: dict[int, Decimal] = {}
    for note in notes:
        if note.kind == "credit_note" and note.credited_invoice_id is not None:
            out[note.credited_invoice_id] = out.get(note.credited_invoice_id, ZERO) + \
                note.gross_amount
    return out


def _payments(s: Session, where: Any) -> Section:
    pay, inv = m.Payment, m.Invoice
    stmt = (select(pay.id.label("payment_id"), pay.payment_no, inv.id.label("invoice_id"),
                   inv.invoice_no, pay.amount, pay.paid_date, pay.method.label("rec_method"))
            .join(inv, inv.id == pay.invoice_id).where(where)
            .order_by(pay.paid_date.desc(), pay.id.desc()))
    return _section("payments", s, stmt, {"payment_no": ("payment", "payment_id"),
                                          "invoice_no": ("invoice", "invoice_id")},
                    money=("amount",))


def _deliveries(s: Session, where: Any, drop: Sequence[str] = ()) -> Section:
    d, so, line, p = m.Delivery, m.SalesOrder, m.SalesOrderLine, m.Product
    stmt = (select(d.id.label("delivery_id"), d.delivery_no.label("rec_delivery_no"),
                   so.id.label("sales_order_id"), so.order_no, p.id.label("product_id"), p.sku,
                   p.name.label("product_name"), d.quantity, d.shipped_at.label("rec_shipped_at"),
                   d.delivered_at.label("rec_delivered_at"))
            .join(so, so.id == d.sales_order_id).join(line, line.id == d.sales_order_line_id)
            .join(p, p.id == line.product_id).where(where)
            .order_by(d.shipped_at.desc(), d.id.desc()))
    return _section("deliveries", s, stmt, {"rec_delivery_no": ("delivery", "delivery_id"),
                                            "order_no": ("sales_order", "sales_order_id"),
                                            "sku": ("product", "product_id")}, drop=drop)


def _activities(s: Session, where: Any) -> Section:
    a, e = m.Activity, m.Employee
    stmt = (select(a.id.label("activity_id"), a.occurred_at.label("rec_occurred_at"),
                   a.kind.label("rec_activity_kind"), a.subject.label("rec_subject"),
                   e.name.label("rec_employee"),
                   a.next_follow_up_date.label("rec_next_follow_up"))
            .outerjoin(e, e.id == a.employee_id).where(where)
            .order_by(a.occurred_at.desc(), a.id.desc()))
    return _section("activities", s, stmt, {"rec_subject": ("activity", "activity_id")})


def _opportunities(s: Session, where: Any) -> Section:
    o, e = m.Opportunity, m.Employee
    stmt = (select(o.id.label("opportunity_id"), o.name.label("opportunity_name"), o.stage,
                   o.amount, o.expected_close_date, e.name.label("owner_name"))
            .outerjoin(e, e.id == o.owner_id).where(where).order_by(o.id.desc()))
    return _section("opportunities", s, stmt,
                    {"opportunity_name": ("opportunity", "opportunity_id")}, money=("amount",))


def _tickets(s: Session, where: Any) -> Section:
    t = m.ServiceTicket
    stmt = (select(t.id.label("service_ticket_id"), t.ticket_no.label("rec_ticket_no"),
                   t.category.label("ticket_category"), t.priority.label("rec_priority"),
                   t.subject.label("rec_subject"), t.status.label("rec_status"),
                   t.opened_at.label("rec_opened_at"))
            .where(where).order_by(t.opened_at.desc(), t.id.desc()))
    return _section("tickets", s, stmt, {"rec_ticket_no": ("service_ticket", "service_ticket_id")})


def _contacts(s: Session, rid: int, _: dict) -> Section:
    c = m.Contact
    stmt = (select(c.id.label("contact_id"), c.name.label("rec_contact"),
                   c.title.label("rec_job_title"), c.phone.label("rec_phone"),
                   c.email.label("rec_email"), c.is_primary.label("rec_is_primary"))
            .where(c.customer_id == rid).order_by(c.is_primary.desc(), c.id))
    return _section("contacts", s, stmt, {"rec_contact": ("contact", "contact_id")})


def _order_lines(s: Session, rid: int, _: dict) -> Section:
    line, p = m.SalesOrderLine, m.Product
    stmt = (select(line.id.label("sales_order_line_id"), line.line_no.label("rec_line_no"),
                   p.id.label("product_id"), p.sku, p.name.label("product_name"), line.quantity,
                   line.unit_price.label("rec_unit_price"), line.discount.label("rec_discount"),
                   line.net_amount, line.promised_date,
                   line.reserved_quantity.label("rec_reserved"),
                   line.shipped_quantity.label("rec_shipped"))
            .join(p, p.id == line.product_id).where(line.sales_order_id == rid)
            .order_by(line.line_no))
    return _section("lines", s, stmt, {"rec_line_no": ("sales_order_line", "sales_order_line_id"),
                                       "sku": ("product", "product_id")},
                    money=("rec_unit_price", "net_amount"), rates=("rec_discount",))


def _invoice_lines(s: Session, rid: int, _: dict) -> Section:
    il, line, p = m.InvoiceLine, m.SalesOrderLine, m.Product
    stmt = (select(line.line_no.label("rec_line_no"), p.id.label("product_id"), p.sku,
                   p.name.label("product_name"), il.quantity, il.net_amount,
                   il.tax_amount.label("rec_tax_amount"))
            .join(line, line.id == il.sales_order_line_id).join(p, p.id == line.product_id)
            .where(il.invoice_id == rid).order_by(line.line_no))
    return _section("lines", s, stmt, {"sku": ("product", "product_id")},
                    money=("net_amount", "rec_tax_amount"))


def _po_lines(s: Session, rid: int, _: dict) -> Section:
    line, p = m.PurchaseOrderLine, m.Product
    stmt = (select(line.line_no.label("rec_line_no"), p.id.label("product_id"), p.sku,
                   p.name.label("product_name"), line.quantity,
                   line.unit_cost.label("rec_unit_cost"),
                   line.received_quantity.label("rec_received"))
            .join(p, p.id == line.product_id).where(line.purchase_order_id == rid)
            .order_by(line.line_no))
    return _section("lines", s, stmt, {"sku": ("product", "product_id")},
                    money=("rec_unit_cost",))


def _receipts(s: Session, where: Any) -> Section:
    g, line, p = m.GoodsReceipt, m.PurchaseOrderLine, m.Product
    stmt = (select(g.id.label("goods_receipt_id"), g.receipt_no.label("rec_receipt_no"),
                   line.line_no.label("rec_line_no"), p.id.label("product_id"), p.sku,
                   g.quantity, g.received_at.label("rec_received_at"))
            .join(line, line.id == g.purchase_order_line_id).join(p, p.id == line.product_id)
            .where(where).order_by(g.received_at.desc(), g.id.desc()))
    return _section("receipts", s, stmt, {"rec_receipt_no": ("goods_receipt", "goods_receipt_id"),
                                          "sku": ("product", "product_id")})


def _supplier_payments(s: Session, rid: int, _: dict) -> Section:
    sp, ar = m.SupplierPayment, m.ApprovalRequest
    stmt = (select(sp.id.label("supplier_payment_id"), sp.payment_no, sp.amount, sp.paid_date,
                   ar.id.label("approval_request_id"), ar.request_no)
            .outerjoin(ar, ar.id == sp.approval_request_id).where(sp.purchase_order_id == rid)
            .order_by(sp.paid_date.desc()))
    return _section("supplier_payments", s, stmt,
                    {"payment_no": ("supplier_payment", "supplier_payment_id"),
                     "request_no": ("approval_request", "approval_request_id")}, money=("amount",))


def _decisions(s: Session, rid: int, values: dict) -> Section:
    """Submitted by the requester, then decided by the approver (with the note)."""
    people = labels(s, "employee", [values["requester_id"], values["approver_id"]])
    rows = []
    if values["submitted_at"] is not None:
        rows.append((values["submitted_at"], "submitted", people.get(values["requester_id"]),
                     None))
    if values["decided_at"] is not None:
        rows.append((values["decided_at"], values["status"], people.get(values["approver_id"]),
                     values["decision_note"]))
    df = pd.DataFrame(rows, columns=["rec_changed_at", "rec_action", "rec_changed_by",
                                     "rec_note"])
    return Section("decisions", _tidy(df, ()))


def _movements(s: Session, rid: int, _: dict) -> Section:
    mv = m.StockMovement
    stmt = (select(mv.moved_at.label("rec_moved_at"), mv.kind.label("rec_movement_kind"),
                   mv.quantity, mv.balance_after.label("rec_balance_after"),
                   mv.unit_cost.label("rec_unit_cost"), mv.reference_type, mv.reference_id,
                   mv.note.label("rec_note"))
            .where(mv.product_id == rid).order_by(mv.moved_at.desc(), mv.id.desc()))
    sec = _section("movements", s, stmt, money=("rec_unit_cost",))
    _with_reference(s, sec)
    return sec


def _with_reference(s: Session, sec: Section) -> None:
    """A ``rec_reference`` column naming what each row is about, linked to it."""
    df = sec.frame
    names = _pair_labels(s, zip(df["reference_type"], df["reference_id"], strict=True))
    df.insert(len(df.columns) - 1, "rec_reference", [
        names.get((t, int(i))) if t and i is not None and not pd.isna(i) else None
        for t, i in zip(df["reference_type"], df["reference_id"], strict=True)])
    df["reference_id"] = pd.array([None if pd.isna(i) else int(i) for i in df["reference_id"]],
                                  dtype="Int64")
    sec.links["rec_reference"] = ("reference_type", "reference_id")


def _stage_history(s: Session, rid: int, _: dict) -> Section:
    c = m.OpportunityStageChange
    stmt = (select(c.changed_at.label("rec_changed_at"), c.from_stage.label("rec_from_stage"),
                   c.to_stage.label("rec_to_stage"))
            .where(c.opportunity_id == rid).order_by(c.changed_at.desc(), c.id.desc()))
    return _section("stage_history", s, stmt)


def _products(s: Session, rid: int, _: dict) -> Section:
    p = m.Product
    stmt = (select(p.id.label("product_id"), p.sku, p.name.label("product_name"), p.category,
                   p.unit.label("rec_unit"), p.list_price.label("rec_list_price"))
            .where(p.supplier_id == rid).order_by(p.sku))
    return _section("products", s, stmt, {"sku": ("product", "product_id")},
                    money=("rec_list_price",))


def _purchase_orders(s: Session, rid: int, _: dict) -> Section:
    po = m.PurchaseOrder
    stmt = (select(po.id.label("purchase_order_id"), po.po_no, po.order_date,
                   po.status.label("rec_status"), po.total_amount.label("amount"))
            .where(po.supplier_id == rid).order_by(po.order_date.desc(), po.id.desc()))
    return _section("purchase_orders", s, stmt, {"po_no": ("purchase_order", "purchase_order_id")},
                    money=("amount",))


def _owned_customers(s: Session, rid: int, _: dict) -> Section:
    c = m.Customer
    stmt = (select(c.id.label("customer_id"), c.code.label("customer_code"),
                   c.name.label("customer_name"), c.region, c.grade.label("customer_grade"))
            .where(c.owner_id == rid).order_by(c.code))
    return _section("customers", s, stmt, {"customer_name": ("customer", "customer_id")})


def _leads(s: Session, rid: int, _: dict) -> Section:
    ld = m.Lead
    stmt = (select(ld.id.label("lead_id"), ld.code.label("rec_lead_code"),
                   ld.company_name.label("rec_company"), ld.status.label("rec_status"))
            .where(ld.campaign_id == rid).order_by(ld.id.desc()))
    return _section("leads", s, stmt, {"rec_lead_code": ("lead", "lead_id")})


def _assigned_tasks(s: Session, rid: int, _: dict) -> Section:
    t = m.Task
    stmt = (select(t.id.label("task_id"), t.title, t.status.label("task_status"), t.due_date,
                   t.reason, t.reference_type, t.reference_id)
            .where(t.assignee_id == rid, t.status.in_(("open", "in_progress")))  # type: ignore[attr-defined]
            .order_by(t.due_date, t.id))
    sec = _section("tasks", s, stmt, {"title": ("task", "task_id")})
    _with_reference(s, sec)
    return sec


def _about_tasks(s: Session, table: str, rid: int) -> Section:
    t = m.Task
    stmt = (select(t.id.label("task_id"), t.title, t.status.label("task_status"), t.due_date,
                   t.reason)
            .where(t.reference_type == table, t.reference_id == rid).order_by(t.id.desc()))
    return _section("tasks", s, stmt, {"title": ("task", "task_id")}, optional=True)


def _about_approvals(s: Session, table: str, rid: int) -> Section:
    a = m.ApprovalRequest
    stmt = (select(a.id.label("approval_request_id"), a.request_no, a.kind.label("approval_kind"),
                   a.status.label("approval_status"), a.amount, a.submitted_at)
            .where(a.reference_type == table, a.reference_id == rid).order_by(a.id.desc()))
    return _section("approvals", s, stmt,
                    {"request_no": ("approval_request", "approval_request_id")},
                    money=("amount",), optional=True)


Builder = Callable[[Session, int, dict], Section]
RELATED: dict[str, list[Builder]] = {
    "customer": [
        lambda s, r, v: _orders(s, m.SalesOrder.customer_id == r, drop=["customer_name"]),
        lambda s, r, v: _invoices(s, m.Invoice.customer_id == r),
        lambda s, r, v: _payments(s, m.Payment.customer_id == r),
        lambda s, r, v: _deliveries(s, m.SalesOrder.customer_id == r),
        lambda s, r, v: _opportunities(s, m.Opportunity.customer_id == r),
        lambda s, r, v: _activities(s, m.Activity.customer_id == r),
        lambda s, r, v: _tickets(s, m.ServiceTicket.customer_id == r),
        _contacts,
    ],
    "sales_order": [
        _order_lines,
        lambda s, r, v: _deliveries(s, m.Delivery.sales_order_id == r, drop=["order_no"]),
        lambda s, r, v: _invoices(s, m.Invoice.sales_order_id == r),
        lambda s, r, v: _tickets(s, m.ServiceTicket.sales_order_id == r),
    ],
    "sales_order_line": [
        lambda s, r, v: _deliveries(s, m.Delivery.sales_order_line_id == r),
    ],
    "invoice": [
        _invoice_lines,
        lambda s, r, v: _payments(s, m.Payment.invoice_id == r),
        lambda s, r, v: _invoices(s, m.Invoice.credited_invoice_id == r, key="credit_notes"),
    ],
    "purchase_order": [
        _po_lines,
        lambda s, r, v: _receipts(s, m.GoodsReceipt.purchase_order_id == r),
        _supplier_payments,
    ],
    "purchase_order_line": [
        lambda s, r, v: _receipts(s, m.GoodsReceipt.purchase_order_line_id == r),
    ],
    "approval_request": [_decisions],
    "product": [_movements],
    "opportunity": [_stage_history,
                    lambda s, r, v: _activities(s, m.Activity.opportunity_id == r)],
    "lead": [lambda s, r, v: _activities(s, m.Activity.lead_id == r)],
    "supplier": [_products, _purchase_orders],
    "employee": [_assigned_tasks, _owned_customers],
    "campaign": [_leads],
}


# --- key figures ---------------------------------------------------------------------------


def _customer_figures(s: Session, rid: int, values: dict) -> list[tuple[str, Any, str]]:
    orders = s.exec(select(m.SalesOrder.id, m.SalesOrder.order_date).where(
        m.SalesOrder.customer_id == rid, m.SalesOrder.status != "cancelled")).all()
    net = sum(_net_by_order(s, [o.id for o in orders]).values(), ZERO)
    invoices = list(s.exec(select(m.Invoice).where(m.Invoice.customer_id == rid)).all())
    credits = _credits(s, [i.id for i in invoices])
    today = company_today()
    open_by_invoice = [(i, i.gross_amount + credits.get(i.id, ZERO) - i.paid_amount)
                       for i in invoices if i.kind == "invoice"]
    last: date | None = max((o.order_date for o in orders), default=None)
    return [
        ("lifetime_sales", net, "money"),
        ("orders", len(orders), "count"),
        ("last_order", last, "date"),
        ("open_receivables", sum((amt for _, amt in open_by_invoice), ZERO), "money"),
        ("overdue", sum((amt for i, amt in open_by_invoice if i.due_date < today and amt > 0),
                        ZERO), "money"),
        ("credit_limit", values["credit_limit"], "money"),
    ]


def _order_figures(s: Session, rid: int, values: dict) -> list[tuple[str, Any, str]]:
    invoices = list(s.exec(select(m.Invoice).where(m.Invoice.sales_order_id == rid)).all())
    gross = sum((i.gross_amount for i in invoices), ZERO)
    paid = sum((i.paid_amount for i in invoices), ZERO)
    return [("net_total", _net_by_order(s, [rid]).get(rid, ZERO), "money"),
            ("invoiced", gross, "money"), ("paid", paid, "money"),
            ("open", gross - paid, "money")]


def _invoice_figures(s: Session, rid: int, values: dict) -> list[tuple[str, Any, str]]:
    credited = _credits(s, [rid]).get(rid, ZERO)
    open_amount = values["gross_amount"] + credited - values["paid_amount"]
    return [("invoiced", values["gross_amount"], "money"), ("credited", credited, "money"),
            ("paid", values["paid_amount"], "money"),
            ("open", open_amount if values["kind"] == "invoice" else ZERO, "money")]


def _product_figures(s: Session, rid: int, values: dict) -> list[tuple[str, Any, str]]:
    level = s.exec(select(m.StockLevel).where(m.StockLevel.product_id == rid)).first()
    on_hand = level.on_hand if level else Decimal(0)
    reserved = level.reserved if level else Decimal(0)
    return [("on_hand", on_hand, "quantity"), ("reserved", reserved, "quantity"),
            ("available", on_hand - reserved, "quantity")]


def _po_figures(s: Session, rid: int, values: dict) -> list[tuple[str, Any, str]]:
    paid = s.exec(select(m.SupplierPayment.amount).where(
        m.SupplierPayment.purchase_order_id == rid)).all()
    return [("net_total", values["total_amount"], "money"),
            ("supplier_paid", sum(paid, ZERO), "money")]


FIGURES: dict[str, Callable[[Session, int, dict], list[tuple[str, Any, str]]]] = {
    "customer": _customer_figures, "sales_order": _order_figures,
    "invoice": _invoice_figures, "product": _product_figures, "purchase_order": _po_figures,
}


# --- links from other pages ----------------------------------------------------------------


def resolve(df: pd.DataFrame, wanted: Mapping[str, tuple[str, str]]
            ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Store ids for the business numbers a table shows, for ``components.table(links=...)``.

    ``wanted`` maps a shown column to ``(table, column holding that table's business number)``,
    e.g. ``{"customer_name": ("customer", "customer_code")}``. An ``<table>_id`` column is added
    (rows that already carry it keep theirs). Without a store the rows come back without links.
    """
    links: dict[str, tuple[str, str]] = {}
    for shown, (table, key) in wanted.items():
        id_col = f"{table}_id"
        if shown not in df.columns:
            continue
        if id_col not in df.columns:
            if key not in df.columns:
                continue
            found = TABLES[table]
            numbers = sorted({str(v) for v in df[key].dropna()})
            try:
                with forms.session() as s:
                    number = getattr(found.model, str(found.number))
                    ids = {str(getattr(r, str(found.number))): r.id
                           for r in in_chunks(s, found.model, number, numbers)}
            except Exception:  # noqa: BLE001 - no store here: the table shows without links
                continue
            df = df.assign(**{id_col: pd.array([ids.get(str(v)) for v in df[key]],
                                               dtype="Int64")})
        links[shown] = (table, id_col)
    return df, links


def my_tasks(employee_id: int) -> pd.DataFrame:
    """One person's open tasks from the store (current: a task done a second ago is gone),
    with what each is about: ``task_reference`` linked by ``reference_type``/``reference_id``."""
    from writeback.queries import my_work

    df = my_work(forms.engine(), employee_id)
    names = reference_labels(zip(df["reference_type"], df["reference_id"], strict=True))
    df["task_reference"] = [
        names.get((t, int(i))) if isinstance(t, str) and not pd.isna(i) else None
        for t, i in zip(df["reference_type"], df["reference_id"], strict=True)]
    df = df.rename(columns={"status": "task_status", "source": "task_source"})
    return df[["task_id", "title", "task_status", "due_date", "is_overdue", "reason",
               "task_reference", "reference_type", "reference_id", "task_source"]]


def quantity(value: Any) -> str:
    """``Decimal('1236.500')`` -> ``1,236.5`` (quantities keep their meaningful places)."""
    if value is None:
        return ""
    text = f"{Decimal(str(value)):,.3f}".rstrip("0").rstrip(".")
    return text or "0"
