"""New records: every staff transaction, by area, written through the operational services.

Pick an area (Sales & CRM, Stock & purchasing, Billing, Office); each form is a tab. Every
form has a stable name (``AREAS``); ``allowed_areas`` keeps only the forms the signed-in
user's role may use (``auth.can_use_form``), so a form the role may not use is never drawn.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, form_views, forms
from dashboards import form_views_billing as billing
from dashboards import form_views_crm as crm
from dashboards import form_views_erp as erp
from dashboards import form_views_oa as oa
from dashboards.i18n import t

auth.require_page("entry")

AREAS: dict[str, list[tuple[str, Callable[[], None]]]] = {
    "sales": [
        ("sales_order", form_views.sales_order_form),
        ("customer", form_views.customer_form),
        ("contact", crm.contact_form),
        ("lead", crm.lead_form),
        ("lead_conversion", crm.lead_conversion_form),
        ("opportunity_stage", crm.opportunity_stage_form),
        ("activity", crm.activity_form),
        ("ticket", crm.ticket_form),
        ("ticket_progress", crm.ticket_progress_form),
    ],
    "stock": [
        ("delivery", erp.delivery_form),
        ("delivery_arrival", erp.delivery_arrival_form),
        ("purchase_order", erp.purchase_order_form),
        ("purchase_order_placement", erp.purchase_order_placement_form),
        ("goods_receipt", erp.goods_receipt_form),
        ("product", erp.product_form),
        ("supplier", erp.supplier_form),
    ],
    "billing": [
        ("invoice", billing.invoice_form),
        ("payment", billing.payment_form),
    ],
    "office": [
        ("approval_request", oa.approval_request_form),
        ("approval_submission", oa.approval_submission_form),
        ("approval_decision", oa.approval_decision_form),
        ("task", oa.task_form),
        ("task_progress", oa.task_progress_form),
    ],
}


def allowed_areas() -> dict[str, list[tuple[str, Callable[[], None]]]]:
    """Only the forms the user's role may use; areas left empty are not offered."""
    mine = {area: [(n, d) for n, d in chosen if auth.can_use_form(n)]
            for area, chosen in AREAS.items()}
    return {area: chosen for area, chosen in mine.items() if chosen}


st.title(t("page.entry"))
problem = forms.store_problem()
if problem:
    st.warning(t("form.no_store", detail=problem), icon=":material/database:")
    st.stop()
areas = allowed_areas()
if not areas:
    st.info(t("auth.no_forms"), icon=":material/lock:")
    st.stop()
if st.session_state.get("entry_area") not in areas:
    st.session_state["entry_area"] = next(iter(areas))
area = st.segmented_control(t("forms.area"), list(areas), key="entry_area", required=True,
                            format_func=lambda a: t(f"forms.area.{a}"))
st.caption(t(f"forms.area.{area}.help"))
chosen = areas[area]
for tab, (_, draw) in zip(st.tabs([t(f"forms.tab.{n}") for n, _ in chosen]), chosen,
                             strict=True):
    with tab:
        draw()
