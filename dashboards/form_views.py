"""The widgets of the staff forms; values go to ``dashboards.forms``, which calls the services.

Widgets are plain (not ``st.form``) so a product choice can fill in its list price and the
order total updates as lines are typed. Submit buttons use callbacks: the service runs
before the page is drawn again, so each error appears right under its own field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import streamlit as st

from dashboards import fmt, forms
from dashboards.components import field_error, lang, today
from dashboards.form_views_kit import friendly, link, md
from dashboards.i18n import t

__all__ = ["customer_form", "friendly", "sales_order_form"]

CUSTOMER_FIELDS = ["cu_code", "cu_name", "cu_kind", "cu_industry", "cu_region", "cu_grade",
                   "cu_owner", "cu_credit"]


# --- new customer -------------------------------------------------------------------------


def _customer_values() -> dict[str, Any]:
    s = st.session_state
    return {
        "code": s.get("cu_code", ""), "name": s.get("cu_name", ""),
        "kind": s.get("cu_kind", "company"), "industry": s.get("cu_industry") or None,
        "region": s.get("cu_region") or None, "grade": s.get("cu_grade", "C"),
        "owner_id": s.get("cu_owner"), "credit_limit": forms.decimal(s.get("cu_credit", 0.0)),
    }


def _submit_customer() -> None:
    values = _customer_values()
    key = forms.form_key("cu", values)
    out = forms.create_customer(values, key)
    saved = t("form.customer_saved", code=link("customer", out.record["id"], out.record["code"]),
              name=md(out.record["name"])) if out.ok else None
    forms.remember("cu", key, out, saved)


def customer_form() -> None:
    st.subheader(t("form.customer.title"))
    errors = friendly(forms.show_outcome("cu", forms.form_key("cu", _customer_values())))
    if "cu_code" not in st.session_state:
        st.session_state["cu_code"] = forms.next_code(forms.customer_codes())
    c1, c2 = st.columns([1, 2])
    with c1:
        st.text_input(t("form.code"), key="cu_code", max_chars=20)
        field_error(errors, "code")
    with c2:
        st.text_input(t("form.name"), key="cu_name", max_chars=200)
        field_error(errors, "name")
    c1, c2, c3 = st.columns(3)
    with c1:
        st.selectbox(t("form.kind"), ["company", "person"], key="cu_kind",
                     format_func=lambda k: t(f"form.kind.{k}"))
        field_error(errors, "kind")
        st.selectbox(t("form.grade"), ["A", "B", "C", "D"], index=2, key="cu_grade")
        field_error(errors, "grade")
    with c2:
        st.text_input(t("form.industry"), key="cu_industry", max_chars=60)
        field_error(errors, "industry")
        owners = forms.employee_choices("sales")
        st.selectbox(t("form.owner"), [None, *owners], key="cu_owner",
                     format_func=lambda v: t("form.none") if v is None else owners[v])
        field_error(errors, "owner_id")
    with c3:
        st.text_input(t("form.region"), key="cu_region", max_chars=60)
        field_error(errors, "region")
        st.number_input(t("form.credit_limit"), min_value=0.0, step=1000.0, format="%.2f",
                        key="cu_credit")
        field_error(errors, "credit_limit")
    b1, b2, _ = st.columns([1, 1, 4])
    b1.button(t("form.save_customer"), type="primary", key="cu_submit",
              on_click=_submit_customer, icon=":material/save:")
    b2.button(t("form.clear"), key="cu_clear", on_click=forms.reset, args=("cu", CUSTOMER_FIELDS))


# --- new sales order ----------------------------------------------------------------------


def _line_keys(i: int) -> list[str]:
    return [f"so_{i}_{k}" for k in ("product", "qty", "price", "disc", "tax")]


def _order_keys() -> list[str]:
    n = st.session_state.get("so_lines", 1)
    head = ["so_customer", "so_order_date", "so_promised", "so_notes", "so_lines"]
    return head + [k for i in range(n) for k in _line_keys(i)]


def _product_chosen(i: int) -> None:
    """Fill in the chosen product's list price (staff can still change it)."""
    product = forms.product_choices().get(st.session_state.get(f"so_{i}_product"))
    if product is not None:
        st.session_state[f"so_{i}_price"] = float(product["list_price"])


def _order_values() -> dict[str, Any]:
    s = st.session_state
    lines = [
        {"product_id": s.get(f"so_{i}_product"), "quantity": forms.decimal(s.get(f"so_{i}_qty")),
         "unit_price": forms.decimal(s.get(f"so_{i}_price")),
         "discount": forms.percent(s.get(f"so_{i}_disc", 0.0)),
         "tax_rate": forms.percent(s.get(f"so_{i}_tax", 13.0))}
        for i in range(s.get("so_lines", 1))
    ]
    return {"customer_id": s.get("so_customer"), "order_date": s.get("so_order_date"),
            "promised_date": s.get("so_promised"), "owner_id": s.get("so_owner"),
            "notes": s.get("so_notes") or None, "lines": lines}


def _submit_order() -> None:
    values = _order_values()
    key = forms.form_key("so", values)
    out = forms.create_sales_order(values, key)
    saved = None
    if out.ok:
        saved = t("form.order_saved",
                  number=link("sales_order", out.record["id"], out.record["order_no"]),
                  amount=fmt.money(out.record["net_total"], lang()))
        st.session_state["so_last"] = out.record
    forms.remember("so", key, out, saved)


def _resize(delta: int) -> None:
    st.session_state["so_lines"] = max(1, st.session_state.get("so_lines", 1) + delta)


def _line_net(i: int) -> Decimal | None:
    s = st.session_state
    qty, price = forms.decimal(s.get(f"so_{i}_qty")), forms.decimal(s.get(f"so_{i}_price"))
    disc = forms.percent(s.get(f"so_{i}_disc", 0.0)) or Decimal(0)
    if qty is None or price is None:
        return None
    return fmt.to_decimal(qty * price * (1 - disc)).quantize(fmt.CENT, rounding="ROUND_HALF_UP")


def _order_line(i: int, products: dict[int, dict[str, Any]], errors: dict[str, str]) -> None:
    c = st.columns([4, 1.3, 1.6, 1, 1, 1.4])
    with c[0]:
        st.selectbox(t("form.product"), [None, *products], key=f"so_{i}_product",
                     format_func=lambda v: t("form.pick") if v is None else products[v]["label"],
                     on_change=_product_chosen, args=(i,))
        field_error(errors, f"lines.{i}.product_id", f"lines.{i}")
    with c[1]:
        st.number_input(t("form.quantity"), min_value=0.0, step=1.0, format="%.3f",
                        key=f"so_{i}_qty")
        field_error(errors, f"lines.{i}.quantity")
    with c[2]:
        st.number_input(t("form.unit_price"), min_value=0.0, step=1.0, format="%.2f",
                        key=f"so_{i}_price")
        field_error(errors, f"lines.{i}.unit_price")
    with c[3]:
        st.number_input(t("form.discount"), min_value=0.0, max_value=100.0, step=1.0,
                        format="%.2f", key=f"so_{i}_disc")
        field_error(errors, f"lines.{i}.discount")
    with c[4]:
        st.number_input(t("form.tax_rate"), min_value=0.0, max_value=100.0, value=13.0,
                        step=1.0, format="%.2f", key=f"so_{i}_tax")
        field_error(errors, f"lines.{i}.tax_rate")
    with c[5]:
        st.caption(t("form.line_net"))
        st.markdown(f"**{fmt.money(_line_net(i), lang())}**")


def sales_order_form() -> None:
    st.subheader(t("form.order.title"))
    errors = friendly(forms.show_outcome("so", forms.form_key("so", _order_values())))
    customers, products = forms.customer_choices(), forms.product_choices()
    owners = forms.employee_choices("sales")
    c1, c2, c3, c4 = st.columns([3, 1.2, 1.2, 2])
    with c1:
        st.selectbox(t("form.customer"), [None, *customers], key="so_customer",
                     format_func=lambda v: t("form.pick") if v is None else customers[v])
        field_error(errors, "customer_id")
    with c2:
        st.date_input(t("form.order_date"), value=today(), key="so_order_date",
                      format="YYYY-MM-DD")
        field_error(errors, "order_date")
    with c3:
        st.date_input(t("form.promised_date"), value=None, key="so_promised",
                      format="YYYY-MM-DD")
        field_error(errors, "promised_date")
    with c4:
        st.selectbox(t("form.owner"), [None, *owners], key="so_owner",
                     format_func=lambda v: t("form.none") if v is None else owners[v])
        field_error(errors, "owner_id")
    st.markdown(f"**{t('form.lines')}**")
    field_error(errors, "lines")
    n = st.session_state.setdefault("so_lines", 1)
    for i in range(n):
        _order_line(i, products, errors)
    nets = [_line_net(i) for i in range(n)]
    total = sum((x for x in nets if x is not None), Decimal("0.00"))
    a1, a2, a3 = st.columns([1, 1, 4])
    a1.button(t("form.add_line"), key="so_add", on_click=_resize, args=(1,),
              icon=":material/add:")
    a2.button(t("form.remove_line"), key="so_remove", on_click=_resize, args=(-1,),
              icon=":material/remove:", disabled=n <= 1)
    a3.markdown(f"<div style='text-align:right;font-size:1.15rem'><b>"
                f"{t('form.order_total', amount=fmt.money(total, lang()))}</b></div>",
                unsafe_allow_html=True)
    st.text_area(t("form.notes"), key="so_notes", height=68)
    field_error(errors, "notes")
    b1, b2, _ = st.columns([1, 1, 4])
    b1.button(t("form.save_order"), type="primary", key="so_submit", on_click=_submit_order,
              icon=":material/save:")
    b2.button(t("form.clear"), key="so_clear", on_click=lambda: forms.reset("so", _order_keys()))
