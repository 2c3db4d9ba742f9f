"""Invoices follow deliveries, credit notes reverse them, payments never exceed what is owed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from operational import services as svc
from operational.errors import ValidationFailed
from operational.models import Invoice, InvoiceLine, Payment, SalesOrderLine

from .conftest import Factory

D = Decimal
T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)


def _setup(session: Session, make: Factory) -> tuple[int, list[SalesOrderLine]]:
    c = make.customer()
    p = make.product(stock="100")
    order = make.confirmed_order(
        c,
        [
            # 3 x 19.99 x 0.9 = 53.973 -> 53.97 net; tax 13% = 7.0161 -> 7.02
            {"product_id": p.id, "quantity": "3", "unit_price": "19.99", "discount": "0.1"},
            # 10 x 0.35 = 3.50; tax 6% = 0.21
            {"product_id": p.id, "quantity": "10", "unit_price": "0.35", "tax_rate": "0.06"},
        ],
    )
    lines = list(
        session.exec(
            select(SalesOrderLine)
            .where(SalesOrderLine.sales_order_id == order.id)
            .order_by(SalesOrderLine.line_no)
        ).all()
    )
    return order.id, lines


def _ship(session: Session, line_id: int, qty: str, delivered: bool = True) -> None:
    svc.record_delivery(
        session=session,
        order_line_id=line_id,
        quantity=qty,
        actor="wh",
        shipped_at=T0,
        delivered_at=T1 if delivered else None,
    )


def test_invoice_covers_delivered_quantities_only(session: Session, make: Factory) -> None:
    order_id, (l1, l2) = _setup(session, make)
    _ship(session, l1.id, "3")
    _ship(session, l2.id, "4", delivered=False)  # shipped, not yet delivered
    inv = svc.issue_invoice(
        session=session,
        order_id=order_id,
        issue_date=date(2025, 3, 6),
        due_date=date(2025, 4, 5),
        actor="fin",
    )
    session.commit()
    assert inv.kind == "invoice"
    assert inv.invoice_no.startswith("INV-")
    assert (inv.net_amount, inv.tax_amount, inv.gross_amount) == (D("53.97"), D("7.02"), D("60.99"))
    [line] = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)).all()
    assert (line.sales_order_line_id, line.quantity) == (l1.id, D("3.000"))

    with pytest.raises(ValidationFailed) as err:
        svc.issue_invoice(
            session=session,
            order_id=order_id,
            issue_date=date(2025, 3, 6),
            due_date=date(2025, 4, 5),
            actor="fin",
        )
    assert "nothing delivered that is not invoiced" in err.value.errors["order_id"]


def test_partial_invoices_add_up_to_the_line_amount(session: Session, make: Factory) -> None:
    order_id, (l1, _) = _setup(session, make)
    totals = []
    for _ in range(3):
        _ship(session, l1.id, "1")
        inv = svc.issue_invoice(
            session=session,
            order_id=order_id,
            issue_date=date(2025, 3, 6),
            due_date=date(2025, 3, 6),
            actor="fin",
        )
        totals.append(inv.net_amount)
    # 17.991 -> 17.99; 35.982 -> 35.98 (-17.99 = 17.99); 53.973 -> 53.97 (-35.98 = 17.99)
    assert totals == [D("17.99"), D("17.99"), D("17.99")]
    assert sum(totals) == l1.net_amount == D("53.97")


def test_invoice_date_rules(session: Session, make: Factory) -> None:
    order_id, _ = _setup(session, make)
    with pytest.raises(ValidationFailed) as err:
        svc.issue_invoice(
            session=session,
            order_id=order_id,
            issue_date=date(2025, 3, 6),
            due_date=date(2025, 3, 5),
            actor="fin",
        )
    assert err.value.errors == {"due_date": "must not be before issue_date"}


def test_payments_reduce_outstanding_and_overpayment_is_refused(
    session: Session, make: Factory
) -> None:
    order_id, (l1, l2) = _setup(session, make)
    _ship(session, l1.id, "3")
    _ship(session, l2.id, "10")
    inv = svc.issue_invoice(
        session=session,
        order_id=order_id,
        issue_date=date(2025, 3, 6),
        due_date=date(2025, 4, 5),
        actor="fin",
    )
    assert inv.gross_amount == D("64.70")  # 53.97 + 7.02 + 3.50 + 0.21
    session.commit()
    p1 = svc.record_payment(
        session=session,
        invoice_id=inv.id,
        amount="60.00",
        paid_date=date(2025, 3, 20),
        method="bank_transfer",
        actor="fin",
    )
    session.commit()
    assert p1.customer_id == inv.customer_id
    assert session.get(Invoice, inv.id).paid_amount == D("60.00")
    with pytest.raises(ValidationFailed) as err:
        svc.record_payment(
            session=session,
            invoice_id=inv.id,
            amount="4.71",
            paid_date=date(2025, 3, 21),
            method="cash",
            actor="fin",
        )
    assert err.value.errors == {
        "amount": f"4.71 is more than the 4.70 outstanding on {inv.invoice_no}"
    }
    session.rollback()
    for bad, field in (("0", "amount"), ("-1", "amount"), ("1.001", "amount"), ("NaN", "amount")):
        with pytest.raises(ValidationFailed) as err:
            svc.record_payment(
                session=session,
                invoice_id=inv.id,
                amount=bad,
                paid_date=date(2025, 3, 21),
                method="cash",
                actor="fin",
            )
        assert set(err.value.errors) == {field}
    with pytest.raises(ValidationFailed) as err:
        svc.record_payment(
            session=session,
            invoice_id=inv.id,
            amount="1",
            method="barter",
            paid_date=date(2025, 3, 21),
            actor="fin",
        )
    assert set(err.value.errors) == {"method"}
    svc.record_payment(
        session=session,
        invoice_id=inv.id,
        amount="4.70",
        paid_date=date(2025, 3, 21),
        method="cash",
        actor="fin",
    )
    session.commit()
    assert svc.outstanding(session=session, invoice=session.get(Invoice, inv.id)) == D("0.00")
    assert len(session.exec(select(Payment)).all()) == 2


def test_payment_idempotency(session: Session, make: Factory) -> None:
    order_id, (l1, _) = _setup(session, make)
    _ship(session, l1.id, "3")
    inv = svc.issue_invoice(
        session=session,
        order_id=order_id,
        issue_date=date(2025, 3, 6),
        due_date=date(2025, 4, 5),
        actor="fin",
    )
    kw = dict(
        session=session,
        invoice_id=inv.id,
        amount="10.00",
        paid_date=date(2025, 3, 9),
        method="card",
        actor="fin",
        idempotency_key="pay-1",
    )
    a = svc.record_payment(**kw)
    b = svc.record_payment(**kw)
    assert a.id == b.id
    assert session.get(Invoice, inv.id).paid_amount == D("10.00")


def test_credit_note_reverses_and_allows_reinvoicing(session: Session, make: Factory) -> None:
    order_id, (l1, l2) = _setup(session, make)
    _ship(session, l1.id, "3")
    _ship(session, l2.id, "10")
    inv = svc.issue_invoice(
        session=session,
        order_id=order_id,
        issue_date=date(2025, 3, 6),
        due_date=date(2025, 4, 5),
        actor="fin",
    )
    partial = svc.issue_credit_note(
        session=session,
        invoice_id=inv.id,
        issue_date=date(2025, 3, 7),
        actor="fin",
        quantities={l1.id: "1"},
    )
    assert partial.kind == "credit_note"
    assert partial.credited_invoice_id == inv.id
    # 1 x 19.99 x 0.9 = 17.991 -> -17.99; tax -2.34
    assert (partial.net_amount, partial.tax_amount, partial.gross_amount) == (
        D("-17.99"),
        D("-2.34"),
        D("-20.33"),
    )
    assert svc.outstanding(session=session, invoice=inv) == D("44.37")
    with pytest.raises(ValidationFailed) as err:
        svc.issue_credit_note(
            session=session,
            invoice_id=inv.id,
            issue_date=date(2025, 3, 7),
            actor="fin",
            quantities={l1.id: "3"},
        )
    assert err.value.errors == {f"quantities.{l1.id}": "only 2.000 left to credit on this line"}
    rest = svc.issue_credit_note(
        session=session, invoice_id=inv.id, issue_date=date(2025, 3, 8), actor="fin"
    )
    # the remainder reverses exactly: the invoice nets to zero to the cent
    assert partial.gross_amount + rest.gross_amount == -inv.gross_amount
    assert partial.net_amount + rest.net_amount == D("-57.47")
    assert svc.outstanding(session=session, invoice=inv) == D("0.00")
    with pytest.raises(ValidationFailed, match="already fully credited"):
        svc.issue_credit_note(
            session=session, invoice_id=inv.id, issue_date=date(2025, 3, 8), actor="fin"
        )
    # credited quantities can be invoiced again (a corrected invoice)
    again = svc.issue_invoice(
        session=session,
        order_id=order_id,
        issue_date=date(2025, 3, 9),
        due_date=date(2025, 4, 9),
        actor="fin",
    )
    assert again.gross_amount == D("64.70")
