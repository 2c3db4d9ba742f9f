"""Streamlit dashboards: executive views, staff forms and data health over the warehouse."""
