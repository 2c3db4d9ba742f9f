"""Billing forms: invoice what was delivered, record what customers paid. Shapes and
guarantees: see ``form_views_kit``.

``issue_invoice`` takes no ``expected_version``: the form sends a ``guard`` on the order's
invoicing state (its version, deliveries arrived, invoices issued), so a second clerk
invoicing the same order meanwhile makes this form stale instead of double-billing.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboards import form_views_kit as kit
from dashboards import forms
from dashboards.components import today
from dashboards.form_views_kit import Errors, Values, link
from dashboards.i18n import t

IV = "invoice"


def _invoice(order: Values, v: Values) -> forms.Outcome:
    return forms.run("issue_invoice", order_id=order["id"], issue_date=v["issue_date"],
                     due_date=v["due_date"], guard=("invoice_order", order["id"],
                                                    order["version"]))


def _invoiced(r: Values, _: Values) -> str:
    return t("forms.invoice.saved", number=link("invoice", r["id"], r["invoice_no"]),
             amount=kit.money(r["gross_amount"]))


def invoice_form() -> None:
    order, err = kit.change_form(IV, title="forms.invoice.title", kind="invoice_order",
                                 label="forms.sales_order",
                                 options=forms.invoice_order_choices())
    if order is None:
        return
    kit.facts([("form.customer", order["customer"]), ("forms.status", kit.status(
        order["status"])), ("forms.deliveries", order["deliveries"]),
        ("forms.invoices", ", ".join(order["invoices"]) or None)])
    c1, c2, c3 = st.columns([1, 1, 1.3], vertical_alignment="bottom")
    with c1:
        kit.day(IV, "issue_date", "forms.issue_date", err, value=today())
    with c2:
        kit.day(IV, "due_date", "forms.due_date", err, value=today() + timedelta(days=30))
    with c3:
        kit.step_button(IV, "forms.invoice.button", kit.submit_change,
                        (IV, "invoice_order", "invoice",
                         lambda: kit.values(IV, ["issue_date", "due_date"]), kit.version,
                         _invoice, _invoiced))
    err.rest()


PM = "payment"
PAYMENT = ["invoice_id", "amount", "paid_date", "method"]


def _payment_values() -> Values:
    v = kit.values(PM, PAYMENT)
    return v | {"amount": forms.decimal(v["amount"])}


def _invoice_chosen() -> None:
    invoice_id = st.session_state.get(f"{PM}_invoice_id")
    invoice = forms.load("invoice", invoice_id) if invoice_id else None
    if invoice is not None:
        st.session_state[f"{PM}_amount"] = float(invoice["outstanding"])


def _payment_fields(err: Errors) -> None:
    st.session_state.setdefault(f"{PM}_method", "bank_transfer")
    kit.pick(PM, "invoice_id", "forms.invoice", err, forms.invoice_choices(),
             on_change=_invoice_chosen)
    invoice_id = st.session_state.get(f"{PM}_invoice_id")
    invoice = forms.load("invoice", invoice_id) if invoice_id else None
    if invoice is not None:
        kit.facts([("form.customer", invoice["customer"]),
                   ("forms.due_date", invoice["due_date"]),
                   ("forms.gross", kit.money(invoice["gross_amount"])),
                   ("forms.paid", kit.money(invoice["paid_amount"])),
                   ("forms.open", kit.money(invoice["outstanding"]))])
    c1, c2, c3 = st.columns(3)
    with c1:
        kit.number(PM, "amount", "forms.amount", err)
    with c2:
        kit.day(PM, "paid_date", "forms.paid_date", err, value=today())
    with c3:
        kit.choice(PM, "method", "forms.method", err, forms.kinds("payment_method"),
                   lambda v: t(f"forms.method.{v}"))


def _pay(v: Values, idempotency_key: str) -> forms.Outcome:
    return forms.run("record_payment", idempotency_key=idempotency_key, **v)


def _paid(r: Values) -> str:
    invoice = forms.load("invoice", r["invoice_id"]) or {"invoice_no": r["invoice_id"]}
    return t("forms.payment.saved", number=link("payment", r["id"], r["payment_no"]),
             amount=kit.money(r["amount"]),
             invoice=link("invoice", r["invoice_id"], invoice["invoice_no"]))


def payment_form() -> None:
    kit.create_form(PM, title="forms.payment.title", fields=_payment_fields, keys=PAYMENT,
                    read=_payment_values, save=_pay, saved=_paid, button="forms.payment.save")
