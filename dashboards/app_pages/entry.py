"""New records: the staff forms (new customer, new sales order), written through services."""

from __future__ import annotations

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import form_views, forms
from dashboards.i18n import t

st.title(t("page.entry"))
problem = forms.store_problem()
if problem:
    st.warning(t("form.no_store", detail=problem), icon=":material/database:")
    st.stop()
order_tab, customer_tab = st.tabs([t("form.order.title"), t("form.customer.title")])
with order_tab:
    form_views.sales_order_form()
with customer_tab:
    form_views.customer_form()
