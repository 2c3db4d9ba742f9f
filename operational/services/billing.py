"""Invoices follow deliveries; credit notes reverse them; payments reduce receivables.

Amounts per invoice line: net = cumulative net of the invoiced quantity minus what earlier
invoices of that order line already carried, so partial invoices always add up to the
order line's rounded net amount; tax = net x tax rate, rounded half-up per line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from operational.errors import ValidationFailed
from operational.models import Delivery, Invoice, InvoiceLine, Payment, SalesOrder, SalesOrderLine
from operational.services._core import (
    actor_of,
    claim_key,
    find_replay,
    finish_key,
    get,
    insert,
    line_net,
    new_number,
    pk,
    round_money,
    save,
    service,
    snapshot,
)
from operational.services.sales import order_lines
from operational.states import KINDS
from operational.validation import check_field, choice, positive_money
from operational.validation import quantity as positive_quantity

ZERO = Decimal(0)


def _check_dates(issue_date: Any, due_date: Any) -> None:
    errors = {}
    if not isinstance(issue_date, date):
        errors["issue_date"] = "must be a date"
    if not isinstance(due_date, date):
        errors["due_date"] = "must be a date"
    if not errors and due_date < issue_date:
        errors["due_date"] = "must not be before issue_date"
    if errors:
        raise ValidationFailed(errors)


def _delivered(session: Session, line_id: int) -> Decimal:
    # Sums in Python: SQLite stores exact decimals as text, and SUM() there returns a float.
    rows = session.exec(
        select(col(Delivery.quantity)).where(
            Delivery.sales_order_line_id == line_id,
            Delivery.delivered_at.is_not(None),  # type: ignore[union-attr]
        )
    ).all()
    return sum(rows, ZERO)


def _invoiced(session: Session, line_id: int) -> tuple[Decimal, Decimal]:
    """(quantity, net) already invoiced for an order line, credit notes subtracted."""
    rows = session.exec(
        select(col(InvoiceLine.quantity), col(InvoiceLine.net_amount)).where(
            InvoiceLine.sales_order_line_id == line_id
        )
    ).all()
    return sum((r[0] for r in rows), ZERO), sum((r[1] for r in rows), ZERO)


def _totals(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    invoice.net_amount = sum((ln.net_amount for ln in lines), ZERO)
    invoice.tax_amount = sum((ln.tax_amount for ln in lines), ZERO)
    invoice.gross_amount = invoice.net_amount + invoice.tax_amount


@service
def issue_invoice(
    *, session: Session, order_id: int, issue_date: date, due_date: date, actor: str
) -> Invoice:
    """Invoice what was delivered and not yet invoiced on an order."""
    actor = actor_of(actor)
    _check_dates(issue_date, due_date)
    order = get(session, SalesOrder, order_id, lock=True)  # one invoicer per order at a time
    planned: list[tuple[SalesOrderLine, Decimal, Decimal]] = []
    for line in order_lines(session, order.id):  # type: ignore[arg-type]
        delivered = _delivered(session, line.id)  # type: ignore[arg-type]
        inv_qty, inv_net = _invoiced(session, line.id)  # type: ignore[arg-type]
        qty = delivered - inv_qty
        if qty <= 0:
            continue
        net = line_net(inv_qty + qty, line.unit_price, line.discount) - inv_net
        planned.append((line, qty, net))
    if not planned:
        raise ValidationFailed(
            {"order_id": f"order {order.order_no} has nothing delivered that is not invoiced yet"}
        )
    invoice = Invoice(
        invoice_no=new_number(session, Invoice, "invoice_no", "INV"),
        kind="invoice",
        sales_order_id=order.id,  # type: ignore[arg-type]
        customer_id=order.customer_id,
        issue_date=issue_date,
        due_date=due_date,
        net_amount=ZERO,
        tax_amount=ZERO,
        gross_amount=ZERO,
    )
    insert(session, invoice, actor=actor)
    lines = [
        insert(
            session,
            InvoiceLine(
                invoice_id=invoice.id,  # type: ignore[arg-type]
                sales_order_line_id=line.id,  # type: ignore[arg-type]
                quantity=qty,
                net_amount=net,
                tax_amount=round_money(net * line.tax_rate),
            ),
            actor=actor,
        )
        for line, qty, net in planned
    ]
    before = snapshot(invoice)
    _totals(invoice, lines)
    save(session, invoice, actor=actor, before=before, action="totals")
    return invoice


def _credited(session: Session, invoice_id: int) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """order line id -> (quantity, net, tax) already credited against an invoice (negative)."""
    rows = session.exec(
        select(
            col(InvoiceLine.sales_order_line_id),
            col(InvoiceLine.quantity),
            col(InvoiceLine.net_amount),
            col(InvoiceLine.tax_amount),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)  # type: ignore[arg-type]
        .where(Invoice.credited_invoice_id == invoice_id, Invoice.kind == "credit_note")
    ).all()
    out: dict[int, tuple[Decimal, Decimal, Decimal]] = {}
    for line_id, qty, net, tax in rows:
        q, n, t = out.get(line_id, (ZERO, ZERO, ZERO))
        out[line_id] = (q + qty, n + net, t + tax)
    return out


@service
def issue_credit_note(
    *,
    session: Session,
    invoice_id: int,
    issue_date: date,
    actor: str,
    quantities: Mapping[int, Any] | None = None,
) -> Invoice:
    """A credit note (negative amounts) against an invoice.

    ``quantities`` maps order line id -> quantity to credit; by default everything on the
    invoice not credited yet. Crediting the whole remainder of a line reverses its exact
    amounts, so an invoice credited in full nets to zero to the cent.
    """
    actor = actor_of(actor)
    _check_dates(issue_date, issue_date)
    invoice = get(session, Invoice, invoice_id, lock=True)
    if invoice.kind != "invoice":
        raise ValidationFailed({"invoice_id": f"{invoice.invoice_no} is a credit note itself"})
    inv_lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
    credited = _credited(session, invoice.id)  # type: ignore[arg-type]
    wanted = dict(quantities or {})
    unknown = set(wanted) - {ln.sales_order_line_id for ln in inv_lines}
    if unknown:
        raise ValidationFailed({"quantities": f"lines {sorted(unknown)} are not on this invoice"})
    planned: list[tuple[int, Decimal, Decimal, Decimal]] = []
    errors: dict[str, str] = {}
    for inv_line in inv_lines:
        line_id = inv_line.sales_order_line_id
        c_qty, c_net, c_tax = credited.get(line_id, (ZERO, ZERO, ZERO))
        left = inv_line.quantity + c_qty
        if quantities is not None and line_id not in wanted:
            continue
        try:
            qty = positive_quantity(wanted[line_id]) if line_id in wanted else left
        except ValueError as exc:
            errors[f"quantities.{line_id}"] = str(exc)
            continue
        if qty <= 0:
            continue
        if qty > left:
            errors[f"quantities.{line_id}"] = f"only {left} left to credit on this line"
            continue
        if qty == left:
            net, tax = inv_line.net_amount + c_net, inv_line.tax_amount + c_tax
        else:
            so_line = get(session, SalesOrderLine, line_id)
            net = line_net(qty, so_line.unit_price, so_line.discount)
            tax = round_money(net * so_line.tax_rate)
        planned.append((line_id, qty, net, tax))
    if errors:
        raise ValidationFailed(errors)
    if not planned:
        raise ValidationFailed({"invoice_id": f"{invoice.invoice_no} is already fully credited"})
    note = Invoice(
        invoice_no=new_number(session, Invoice, "invoice_no", "CN"),
        kind="credit_note",
        sales_order_id=invoice.sales_order_id,
        customer_id=invoice.customer_id,
        credited_invoice_id=invoice.id,
        issue_date=issue_date,
        due_date=issue_date,
        net_amount=ZERO,
        tax_amount=ZERO,
        gross_amount=ZERO,
    )
    insert(session, note, actor=actor)
    lines = [
        insert(
            session,
            InvoiceLine(
                invoice_id=pk(note),
                sales_order_line_id=line_id,  # type: ignore[arg-type]
                quantity=-qty,
                net_amount=-net,
                tax_amount=-tax,
            ),
            actor=actor,
        )
        for line_id, qty, net, tax in planned
    ]
    before = snapshot(note)
    _totals(note, lines)
    save(session, note, actor=actor, before=before, action="totals")
    return note


def outstanding(*, session: Session, invoice: Invoice) -> Decimal:
    """Gross amount, less credit notes against it, less what was paid."""
    credited = session.exec(
        select(col(Invoice.gross_amount)).where(
            Invoice.credited_invoice_id == invoice.id, Invoice.kind == "credit_note"
        )
    ).all()
    credited_dec = sum(credited, ZERO)
    return invoice.gross_amount + credited_dec - invoice.paid_amount


@service
def record_payment(
    *,
    session: Session,
    invoice_id: int,
    amount: Any,
    paid_date: date,
    method: str,
    actor: str,
    idempotency_key: str | None = None,
) -> Payment:
    """A customer payment against an invoice; more than is outstanding is refused."""
    actor = actor_of(actor)
    value = check_field("amount", positive_money, amount)
    method = check_field("method", choice, method, options=KINDS["payment_method"])
    if not isinstance(paid_date, date):
        raise ValidationFailed({"paid_date": "must be a date"})
    payload = {"invoice_id": invoice_id, "amount": value, "paid_date": paid_date, "method": method}
    replay = find_replay(session, idempotency_key, "record_payment", payload, Payment)
    if replay is not None:
        return replay
    invoice = get(session, Invoice, invoice_id, lock=True)
    if invoice.kind != "invoice":
        raise ValidationFailed({"invoice_id": f"{invoice.invoice_no} is a credit note"})
    owed = outstanding(session=session, invoice=invoice)
    if value > owed:
        raise ValidationFailed(
            {"amount": f"{value} is more than the {owed} outstanding on {invoice.invoice_no}"}
        )
    key_row = claim_key(session, idempotency_key, "record_payment", payload)
    payment = insert(
        session,
        Payment(
            payment_no=new_number(session, Payment, "payment_no", "PAY"),
            invoice_id=invoice.id,  # type: ignore[arg-type]
            customer_id=invoice.customer_id,
            amount=value,
            paid_date=paid_date,
            method=method,
        ),
        actor=actor,
    )
    before = snapshot(invoice)
    invoice.paid_amount += value
    save(session, invoice, actor=actor, before=before, action="payment")
    finish_key(key_row, payment)
    return payment
