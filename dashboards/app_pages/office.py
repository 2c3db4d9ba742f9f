"""Office (OA): approvals and their cycle time, open tasks per person, service tickets.

The owner picker offers the people on this page: the requester of an approval, the assignee
of a task or a ticket. Region reaches service tickets through their customer; approvals and
tasks have no customer and say so when a region is chosen. No category: nothing here is a
product line.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

import dashboards  # noqa: F401 - project root on sys.path when run alone
from dashboards import auth, data, records
from dashboards import components as ui
from dashboards.i18n import t

auth.require_page("office")

KPIS = ("approval_cycle_hours", "pending_approvals", "overdue_tasks",
        "service_resolution_hours", "service_satisfaction")

info = ui.require_warehouse()
per = ui.period()
ui.page_header("page.office", t("office.caption", period=per.label()))
filters = ui.filter_bar(info, "office", pickers=("region", "owner"),
                        owners=data.office_people(info["build_id"]),
                        owner_help=t("office.owner_help"))
region, _category, owner = filters
tiles = ui.available(info, KPIS)
if tiles:
    ui.kpi_tiles(info, tiles, per, filters=filters)
period = {"date_from": per.date_from, "date_to": per.date_to}

ui.section("office.approvals", "office.approvals_caption")
ui.not_applied(filters, ("region",), "filter.why.approvals")
ui.table(data.frame(info, "approvals_by_kind", owner=owner, **period), key="office_approvals",
         file_stem="approvals-by-kind")

ui.section("office.pending", "office.pending_caption")
ui.not_applied(filters, ("region",), "filter.why.approvals")
now = datetime.now(UTC).replace(tzinfo=None)
pending, links = records.resolve(
    data.frame(info, "pending_approvals", owner=owner,
               now=now.replace(second=0, microsecond=0)),
    {"request_no": ("approval_request", "request_no")})
ui.table(pending, key="office_pending", file_stem="pending-approvals", money=("amount",),
         links=links)

left, right = st.columns(2)
with left:
    ui.section("office.tasks", "office.tasks_caption")
    ui.not_applied(filters, ("region",), "filter.why.tasks")
    ui.table(data.frame(info, "tasks_by_assignee", owner=owner), key="office_tasks",
             file_stem="open-tasks")
with right:
    ui.section("office.tickets", "office.tickets_caption")
    ui.table(data.frame(info, "tickets_by_category", region=region, owner=owner, **period),
             key="office_tickets", file_stem="service-tickets")
