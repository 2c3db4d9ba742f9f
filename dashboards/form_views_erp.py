"""Stock and purchasing forms: deliveries (ship, arrive), purchase orders (create, place,
receive goods), products and suppliers. Shapes and guarantees: see ``form_views_kit``.

Receiving, shipping and marking delivered take no ``expected_version``; their forms send a
``guard`` instead (the version of the line or delivery the form showed), which
``forms.call_service`` checks in the same transaction as the service.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import streamlit as st

from dashboards import form_views_kit as kit
from dashboards import forms
from dashboards.components import today
from dashboards.form_views_kit import Errors, Values, link, md
from dashboards.i18n import t

# --- product and supplier -----------------------------------------------------------------

PRODUCT = ["sku", "name", "category", "unit", "list_price", "standard_cost", "reorder_point",
           "lead_time_days", "supplier_id"]


def _product_values() -> Values:
    v = kit.values("product", PRODUCT)
    return v | {k: forms.decimal(v[k]) for k in ("list_price", "standard_cost", "reorder_point")}


def _product_fields(err: Errors) -> None:
    p = "product"
    c1, c2, c3 = st.columns([1.2, 2, 1.2])
    with c1:
        kit.text(p, "sku", "forms.sku", err, max_chars=40)
    with c2:
        kit.text(p, "name", "form.name", err, max_chars=200)
    with c3:
        kit.text(p, "category", "forms.category", err, max_chars=60)
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        kit.text(p, "unit", "forms.unit", err, max_chars=10)
    with c2:
        kit.number(p, "list_price", "forms.list_price", err)
    with c3:
        kit.number(p, "standard_cost", "forms.standard_cost", err)
    with c4:
        kit.number(p, "reorder_point", "forms.reorder_point", err, places=3)
    c1, c2 = st.columns([1, 3])
    with c1:
        kit.whole(p, "lead_time_days", "forms.lead_time_days", err, value=7)
    with c2:
        kit.pick(p, "supplier_id", "forms.supplier", err, forms.supplier_choices(), optional=True)


def product_form() -> None:
    kit.create_form(
        "product", title="forms.product.title", fields=_product_fields, keys=PRODUCT,
        read=_product_values, save=lambda v, k: forms.create("create_product", v, k),
        saved=lambda r: t("forms.product.saved", number=link("product", r["id"], r["sku"]),
                          name=md(r["name"])),
        button="forms.product.save")


SUPPLIER = ["code", "name", "region", "contact_name", "phone"]


def _supplier_fields(err: Errors) -> None:
    p = "supplier"
    st.session_state.setdefault("supplier_code", forms.suggest_code("supplier"))
    c1, c2 = st.columns([1, 2])
    with c1:
        kit.text(p, "code", "forms.supplier_code", err, max_chars=20)
    with c2:
        kit.text(p, "name", "form.name", err, max_chars=200)
    c1, c2, c3 = st.columns(3)
    with c1:
        kit.text(p, "region", "form.region", err, max_chars=60)
    with c2:
        kit.text(p, "contact_name", "forms.contact_name", err, max_chars=100)
    with c3:
        kit.text(p, "phone", "forms.phone", err, max_chars=40)


def supplier_form() -> None:
    kit.create_form(
        "supplier", title="forms.supplier.title", fields=_supplier_fields, keys=SUPPLIER,
        read=lambda: kit.values("supplier", SUPPLIER),
        save=lambda v, k: forms.create("create_supplier", v, k),
        saved=lambda r: t("forms.supplier.saved", number=link("supplier", r["id"], r["code"]),
                          name=md(r["name"])),
        button="forms.supplier.save")


# --- purchase order -----------------------------------------------------------------------

PO = "purchase_order"
_PO_HEAD = ["supplier_id", "order_date", "expected_date", "buyer_id"]


def _po_keys() -> list[str]:
    n = st.session_state.get(f"{PO}_lines", 1)
    return [*_PO_HEAD, "lines", *(f"{i}_{k}" for i in range(n) for k in ("product", "qty", "cost"))]


def _po_values() -> Values:
    s = st.session_state
    lines = [{"product_id": s.get(f"{PO}_{i}_product"),
              "quantity": forms.decimal(s.get(f"{PO}_{i}_qty")),
              "unit_cost": forms.decimal(s.get(f"{PO}_{i}_cost"))}
             for i in range(s.get(f"{PO}_lines", 1))]
    return kit.values(PO, _PO_HEAD) | {"lines": lines}


def _po_product_chosen(i: int) -> None:
    """Fill in the chosen product's standard cost (the buyer can still change it)."""
    product = forms.product_choices().get(st.session_state.get(f"{PO}_{i}_product"))
    if product is not None:
        st.session_state[f"{PO}_{i}_cost"] = float(product["standard_cost"])


def _po_resize(delta: int) -> None:
    st.session_state[f"{PO}_lines"] = max(1, st.session_state.get(f"{PO}_lines", 1) + delta)


def _po_fields(err: Errors) -> None:
    c1, c2, c3, c4 = st.columns([2.5, 1.2, 1.2, 2])
    with c1:
        kit.pick(PO, "supplier_id", "forms.supplier", err, forms.supplier_choices())
    with c2:
        kit.day(PO, "order_date", "form.order_date", err, value=today())
    with c3:
        kit.day(PO, "expected_date", "forms.expected_date", err)
    with c4:
        kit.pick(PO, "buyer_id", "forms.buyer", err, forms.employee_choices("purchasing"),
                 optional=True)
    st.markdown(f"**{t('form.lines')}**")
    err.under("lines")
    products = {k: v["label"] for k, v in forms.product_choices().items()}
    n = st.session_state.setdefault(f"{PO}_lines", 1)
    total = Decimal("0.00")
    for i in range(n):
        c1, c2, c3 = st.columns([4, 1.3, 1.6])
        with c1:
            kit.pick(PO, f"{i}_product", "form.product", err, products,
                     path=f"lines.{i}.product_id", on_change=_po_product_chosen, args=(i,))
        with c2:
            kit.number(PO, f"{i}_qty", "form.quantity", err, places=3, path=f"lines.{i}.quantity")
        with c3:
            kit.number(PO, f"{i}_cost", "forms.unit_cost", err, path=f"lines.{i}.unit_cost")
        qty, cost = (forms.decimal(st.session_state.get(f"{PO}_{i}_{k}")) for k in ("qty", "cost"))
        total += (qty or 0) * (cost or 0)
    a1, a2, a3 = st.columns([1, 1, 4])
    a1.button(t("form.add_line"), key=f"{PO}_add", on_click=_po_resize, args=(1,),
              icon=":material/add:")
    a2.button(t("form.remove_line"), key=f"{PO}_remove", on_click=_po_resize, args=(-1,),
              icon=":material/remove:", disabled=n <= 1)
    a3.markdown(f"**{t('forms.purchase_order.total', amount=kit.money(total))}**")


def purchase_order_form() -> None:
    kit.create_form(
        PO, title="forms.purchase_order.title", fields=_po_fields, keys=_po_keys(),
        read=_po_values, save=lambda v, k: forms.create("create_purchase_order", v, k),
        saved=lambda r: t("forms.purchase_order.saved",
                          number=link("purchase_order", r["id"], r["po_no"]),
                          amount=kit.money(r["total_amount"])),
        button="forms.purchase_order.save")


PP = "purchase_order_placement"


def purchase_order_placement_form() -> None:
    po, err = kit.change_form(PP, title="forms.purchase_order_placement.title",
                              kind="purchase_order", label="forms.purchase_order",
                              options=forms.purchase_order_choices(("draft",)))
    if po is None:
        return
    kit.facts([("forms.supplier", po["supplier"]), ("form.order_date", po["order_date"]),
               ("forms.expected_date", po["expected_date"]),
               ("forms.total", kit.money(po["total_amount"])), ("forms.lines", len(po["lines"])),
               ("forms.status", kit.status(po["status"]))])
    if po["status"] == "draft" or kit.just_done(PP):
        kit.step_button(PP, "forms.purchase_order_placement.button", kit.submit_change,
                        (PP, "purchase_order", "place", dict, kit.version, _place, _placed))
    err.rest()


def _place(po: Values, _: Values) -> forms.Outcome:
    return forms.run("place_purchase_order", purchase_order_id=po["id"],
                     expected_version=po["version"])


def _placed(r: Values, _: Values) -> str:
    return t("forms.purchase_order_placement.saved",
             number=link("purchase_order", r["id"], r["po_no"]))


# --- lines of a loaded document: pick one, quantity defaults to what is left ------------------


def _first_open_line(p: str, doc: Values) -> None:
    lines = doc["lines"]
    line = next((i for i, ln in lines.items() if ln["left"] > 0), next(iter(lines), None))
    st.session_state[f"{p}_line"] = line
    _line_chosen(p)


def _line_chosen(p: str) -> None:
    doc = st.session_state.get(f"{p}_loaded") or {}
    line = doc.get("lines", {}).get(st.session_state.get(f"{p}_line"))
    if line is not None:
        st.session_state[f"{p}_quantity"] = float(line["left"])


def _line_fields(p: str, doc: Values, err: Errors, label: str, describe: Any) -> None:
    lines = {i: describe(ln) for i, ln in doc["lines"].items()}
    c1, c2 = st.columns([3, 1])
    with c1:
        kit.pick(p, "line", label, err, lines, path="id", on_change=_line_chosen, args=(p,))
    with c2:
        kit.number(p, "quantity", "form.quantity", err, places=3)


def _line_values(p: str) -> Values:
    v = kit.values(p, ["line", "quantity"])
    return v | {"quantity": forms.decimal(v["quantity"])}


def _line_version(doc: Values, v: Values) -> Any:
    return doc["lines"][v["line"]]["version"]


# --- goods receipt ------------------------------------------------------------------------

GR = "goods_receipt"


def _receive(po: Values, v: Values) -> forms.Outcome:
    line = v["line"]
    guard = ("purchase_order_line", line, _line_version(po, v)) if line in po["lines"] else None
    return forms.run("receive_goods", purchase_order_line_id=line, quantity=v["quantity"],
                     guard=guard)


def _received(r: Values, v: Values) -> str:
    po = st.session_state[f"{GR}_loaded"]
    return t("forms.goods_receipt.saved", number=link("goods_receipt", r["id"], r["receipt_no"]),
             quantity=r["quantity"], product=md(po["lines"][v["line"]]["product"]))


def goods_receipt_form() -> None:
    po, err = kit.change_form(GR, title="forms.goods_receipt.title", kind="purchase_order",
                              label="forms.purchase_order",
                              options=forms.purchase_order_choices(("ordered",
                                                                    "partially_received")),
                              on_load=lambda d: _first_open_line(GR, d))
    if po is None:
        return
    kit.facts([("forms.supplier", po["supplier"]), ("forms.expected_date", po["expected_date"]),
               ("forms.status", kit.status(po["status"]))])
    _line_fields(GR, po, err, "forms.po_line", lambda ln: t(
        "forms.goods_receipt.line", no=ln["line_no"], sku=ln["sku"], product=ln["product"],
        done=ln["received"], quantity=ln["quantity"]))
    kit.step_button(GR, "forms.goods_receipt.button", kit.submit_change,
                    (GR, "purchase_order", "receive", lambda: _line_values(GR), _line_version,
                     _receive, _received))
    err.rest()


# --- delivery: ship, then arrive ------------------------------------------------------------

DL = "delivery"


def _ship(order: Values, v: Values) -> forms.Outcome:
    line = v["line"]
    guard = ("sales_order_line", line, _line_version(order, v)) if line in order["lines"] else None
    return forms.run("record_delivery", order_line_id=line, quantity=v["quantity"], guard=guard)


def _shipped(r: Values, v: Values) -> str:
    order = st.session_state[f"{DL}_loaded"]
    return t("forms.delivery.saved", number=link("delivery", r["id"], r["delivery_no"]),
             quantity=r["quantity"], product=md(order["lines"][v["line"]]["product"]))


def delivery_form() -> None:
    order, err = kit.change_form(DL, title="forms.delivery.title", kind="sales_order",
                                 label="forms.sales_order",
                                 options=forms.sales_order_choices(("confirmed",)),
                                 on_load=lambda d: _first_open_line(DL, d))
    if order is None:
        return
    kit.facts([("form.customer", order["customer"]), ("form.promised_date",
               order["promised_date"]), ("forms.status", kit.status(order["status"]))])
    _line_fields(DL, order, err, "forms.order_line", lambda ln: t(
        "forms.delivery.line", no=ln["line_no"], sku=ln["sku"], product=ln["product"],
        done=ln["shipped"], quantity=ln["quantity"], free=ln["free"]))
    kit.step_button(DL, "forms.delivery.button", kit.submit_change,
                    (DL, "sales_order", "ship", lambda: _line_values(DL), _line_version, _ship,
                     _shipped))
    err.rest()


DA = "delivery_arrival"


def _arrival_loaded(_: Values) -> None:
    st.session_state[f"{DA}_on"] = today()
    st.session_state[f"{DA}_at"] = kit.now_local().time()


def _arrive(delivery: Values, v: Values) -> forms.Outcome:
    return forms.run("mark_delivered", delivery_id=delivery["id"],
                     delivered_at=kit.at(v["on"], v["at"]),
                     guard=("delivery", delivery["id"], delivery["version"]))


def _arrived(r: Values, _: Values) -> str:
    return t("forms.delivery_arrival.saved", number=link("delivery", r["id"], r["delivery_no"]))


def delivery_arrival_form() -> None:
    dl, err = kit.change_form(DA, title="forms.delivery_arrival.title", kind="delivery",
                              label="forms.delivery", options=forms.delivery_choices(),
                              on_load=_arrival_loaded)
    if dl is None:
        return
    kit.facts([("forms.sales_order", dl["order_no"]), ("form.customer", dl["customer"]),
               ("form.product", dl["product"]), ("form.quantity", dl["quantity"]),
               ("forms.shipped_at", kit.moment(dl["shipped_at"])),
               ("forms.delivered_at", kit.moment(dl["delivered_at"]))])
    c1, c2, c3 = st.columns([1, 1, 1.3], vertical_alignment="bottom")
    with c1:
        kit.day(DA, "on", "forms.delivered_on", err, path="delivered_at")
    with c2:
        kit.clock(DA, "at", "forms.delivered_time", err)
    with c3:
        kit.step_button(DA, "forms.delivery_arrival.button", kit.submit_change,
                        (DA, "delivery", "arrive", lambda: kit.values(DA, ["on", "at"]),
                         kit.version, _arrive, _arrived))
    err.rest()
