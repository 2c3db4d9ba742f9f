"""Sales & CRM forms: contacts, leads and their conversion, opportunity stages, activities,
service tickets and their progress. Shapes and guarantees: see ``form_views_kit``."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboards import form_views_kit as kit
from dashboards import forms
from dashboards.components import today
from dashboards.form_views_kit import Errors, Values, link, md
from dashboards.i18n import t
from dashboards.identity import user


def _me() -> int | None:
    """The signed-in person's employee id (a sensible default for "who did it")."""
    current = user()
    return current.get("employee_id") if current else None


# --- contact ------------------------------------------------------------------------------

CONTACT = ["customer_id", "name", "title", "phone", "email", "is_primary"]


def _contact_values() -> Values:
    v = kit.values("contact", CONTACT)
    return v | {"is_primary": bool(v["is_primary"])}


def _contact_fields(err: Errors) -> None:
    p = "contact"
    kit.pick(p, "customer_id", "form.customer", err, forms.customer_choices())
    c1, c2 = st.columns(2)
    with c1:
        kit.text(p, "name", "form.name", err, max_chars=100)
    with c2:
        kit.text(p, "title", "forms.job_title", err, max_chars=100)
    c1, c2, c3 = st.columns([1, 1.5, 1], vertical_alignment="center")
    with c1:
        kit.text(p, "phone", "forms.phone", err, max_chars=40)
    with c2:
        kit.text(p, "email", "forms.email", err, max_chars=200)
    with c3:
        kit.check(p, "is_primary", "forms.is_primary", err)


def contact_form() -> None:
    kit.create_form(
        "contact", title="forms.contact.title", fields=_contact_fields, read=_contact_values,
        save=lambda v, k: forms.create("create_contact", v, k), keys=CONTACT,
        saved=lambda r: t("forms.contact.saved", number=link("contact", r["id"], f"#{r['id']}"),
                          name=md(r["name"])),
        button="forms.contact.save")


# --- lead ---------------------------------------------------------------------------------

LEAD = ["code", "company_name", "contact_name", "phone", "email", "region", "industry",
        "source_channel", "campaign_id", "owner_id"]


def _lead_fields(err: Errors) -> None:
    p = "lead"
    st.session_state.setdefault("lead_code", forms.suggest_code("lead"))
    c1, c2 = st.columns([1, 2])
    with c1:
        kit.text(p, "code", "forms.lead_code", err, max_chars=20)
    with c2:
        kit.text(p, "company_name", "forms.company", err, max_chars=200)
    c1, c2, c3 = st.columns(3)
    with c1:
        kit.text(p, "contact_name", "forms.contact_name", err, max_chars=100)
        kit.choice(p, "source_channel", "forms.source", err, forms.kinds("lead_source"),
                   lambda v: t(f"forms.source.{v}"))
    with c2:
        kit.text(p, "phone", "forms.phone", err, max_chars=40)
        kit.pick(p, "campaign_id", "forms.campaign", err, forms.campaign_choices(), optional=True)
    with c3:
        kit.text(p, "email", "forms.email", err, max_chars=200)
        kit.pick(p, "owner_id", "form.owner", err, forms.employee_choices("sales"), optional=True)
    c1, c2 = st.columns(2)
    with c1:
        kit.text(p, "region", "form.region", err, max_chars=60)
    with c2:
        kit.text(p, "industry", "form.industry", err, max_chars=60)


def lead_form() -> None:
    kit.create_form(
        "lead", title="forms.lead.title", fields=_lead_fields,
        read=lambda: kit.values("lead", LEAD), keys=LEAD,
        save=lambda v, k: forms.create("create_lead", v, k),
        saved=lambda r: t("forms.lead.saved", number=link("lead", r["id"], r["code"]),
                          name=md(r["company_name"])),
        button="forms.lead.save")


# --- lead: qualify, then convert ----------------------------------------------------------

LC = "lead_conversion"
_CONVERSION = ("target", "customer_code", "customer_id", "opportunity_name", "amount",
               "expected_close_date")


def _lead_loaded(lead: Values) -> None:
    s = st.session_state
    moves = [m for m in forms.next_statuses("lead", lead["status"]) if m != "converted"]
    s[f"{LC}_to_status"] = moves[0] if moves else None
    s.setdefault(f"{LC}_customer_code", forms.suggest_code("customer"))
    s.setdefault(f"{LC}_opportunity_name", f"{lead['company_name']}: first deal"[:200])


def _conversion_values() -> Values:
    v = kit.values(LC, list(_CONVERSION))
    new = v.pop("target") != "existing"
    return v | {"customer_code": v["customer_code"] if new else None,
                "customer_id": None if new else v["customer_id"],
                "opportunity_name": v["opportunity_name"] or None,
                "amount": forms.decimal(v["amount"] or 0)}


def _convert(lead: Values, v: Values) -> forms.Outcome:
    return forms.run("convert_lead", lead_id=lead["id"], expected_version=lead["version"], data=v)


def _converted(r: Values, _: Values) -> str:
    lead, customer, opp = r["lead"], r["customer"], r["opportunity"]
    return t("forms.lead_conversion.saved", number=link("lead", lead["id"], lead["code"]),
             customer=link("customer", customer["id"], customer["code"]),
             opportunity=link("opportunity", opp["id"], opp["name"]))


def _set_status(lead: Values, v: Values) -> forms.Outcome:
    return forms.run("set_lead_status", lead_id=lead["id"], to_status=v["to_status"],
                     expected_version=lead["version"])


def _status_set(r: Values, v: Values) -> str:
    return t("forms.lead_conversion.status_saved", number=link("lead", r["id"], r["code"]),
             status=kit.status(r["status"]))


def _conversion_fields(err: Errors) -> None:
    st.markdown(f"**{t('forms.lead_conversion.convert')}**")
    st.radio(t("forms.lead_conversion.target"), ["new", "existing"], key=f"{LC}_target",
             horizontal=True, format_func=lambda v: t(f"forms.lead_conversion.{v}"))
    c1, c2, c3 = st.columns([2, 1, 1])
    with c1:
        if st.session_state.get(f"{LC}_target") == "existing":
            kit.pick(LC, "customer_id", "form.customer", err, forms.customer_choices())
            err.under("customer_code")
        else:
            kit.text(LC, "customer_code", "forms.new_customer_code", err, max_chars=20)
            err.under("code")  # convert_lead names a taken code after the customer's column
        kit.text(LC, "opportunity_name", "forms.opportunity_name", err, max_chars=200)
    with c2:
        kit.number(LC, "amount", "forms.amount", err, step=1000.0)
    with c3:
        kit.day(LC, "expected_close_date", "forms.expected_close", err)
    kit.step_button(LC, "forms.lead_conversion.button", kit.submit_change,
                    (LC, "lead", "convert", _conversion_values, kit.version, _convert,
                     _converted))


def lead_conversion_form() -> None:
    lead, err = kit.change_form(LC, title="forms.lead_conversion.title", kind="lead",
                                label="forms.lead", on_load=_lead_loaded, fields=_CONVERSION,
                                options=forms.lead_choices(("new", "contacted", "qualified")))
    if lead is None:
        return
    kit.facts([("forms.company", lead["company_name"]), ("forms.contact_name",
               lead["contact_name"]), ("forms.source", t(f"forms.source.{lead['source_channel']}")),
               ("form.owner", lead["owner"]), ("forms.status", kit.status(lead["status"]))])
    moves = [m for m in forms.next_statuses("lead", lead["status"]) if m != "converted"]
    if moves or kit.just_done(LC, "status"):
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        with c1:
            kit.choice(LC, "to_status", "forms.move_to", err, moves, kit.status)
        with c2:
            kit.step_button(LC, "forms.lead_conversion.save_status", kit.submit_change,
                            (LC, "lead", "status", lambda: kit.values(LC, ["to_status"]),
                             kit.version, _set_status, _status_set), name="status")
    if lead["status"] == "qualified" or kit.just_done(LC, "convert"):
        _conversion_fields(err)
    elif not moves:
        st.info(t("forms.nothing_to_do"), icon=":material/task_alt:")
    err.rest()


# --- opportunity stage --------------------------------------------------------------------

OS = "opportunity_stage"


def _stage_loaded(opp: Values) -> None:
    moves = forms.next_statuses("opportunity", opp["stage"])
    st.session_state[f"{OS}_to_stage"] = moves[0] if moves else None


def _change_stage(opp: Values, v: Values) -> forms.Outcome:
    return forms.run("change_stage", opportunity_id=opp["id"], to_stage=v["to_stage"],
                     expected_version=opp["version"])


def _stage_changed(r: Values, _: Values) -> str:
    return t("forms.opportunity_stage.saved", number=link("opportunity", r["id"], r["name"]),
             stage=t(f"stage.{r['stage']}"))


def opportunity_stage_form() -> None:
    opp, err = kit.change_form(OS, title="forms.opportunity_stage.title", kind="opportunity",
                               label="forms.opportunity", options=forms.opportunity_choices(),
                               on_load=_stage_loaded)
    if opp is None:
        return
    kit.facts([("form.customer", opp["customer"]), ("forms.amount", kit.money(opp["amount"])),
               ("forms.expected_close", opp["expected_close_date"]),
               ("forms.stage", t(f"stage.{opp['stage']}"))])
    moves = forms.next_statuses("opportunity", opp["stage"])
    if not moves and not kit.just_done(OS):
        st.info(t("forms.nothing_to_do"), icon=":material/task_alt:")
        err.rest()
        return
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    with c1:
        kit.choice(OS, "to_stage", "forms.move_to", err, moves, lambda v: t(f"stage.{v}"))
    with c2:
        kit.step_button(OS, "forms.opportunity_stage.button", kit.submit_change,
                        (OS, "opportunity", "stage", lambda: kit.values(OS, ["to_stage"]),
                         kit.version, _change_stage, _stage_changed))
    err.rest()


# --- activity -----------------------------------------------------------------------------

ACTIVITY = ["kind", "customer_id", "opportunity_id", "lead_id", "employee_id", "on", "at",
            "subject", "notes", "next_follow_up_date"]


def _activity_values() -> Values:
    v = kit.values("activity", ACTIVITY)
    return {k: v[k] for k in ACTIVITY if k not in ("on", "at")} | {
        "occurred_at": kit.at(v["on"], v["at"])}


def _activity_fields(err: Errors) -> None:
    p, s = "activity", st.session_state
    kit.default(p, "employee_id", _me())
    c1, c2, c3 = st.columns([1, 1, 1])
    with c1:
        kit.choice(p, "kind", "forms.activity_kind", err, forms.kinds("activity_kind"),
                   lambda v: t(f"forms.activity_kind.{v}"))
    with c2:
        kit.day(p, "on", "forms.occurred_on", err, value=today(), path="occurred_at")
    with c3:
        kit.clock(p, "at", "forms.occurred_time", err)
    c1, c2, c3 = st.columns(3)
    with c1:
        kit.pick(p, "customer_id", "form.customer", err, forms.customer_choices(), optional=True,
                 on_change=lambda: s.pop("activity_opportunity_id", None))
    with c2:
        kit.pick(p, "opportunity_id", "forms.opportunity", err, optional=True,
                 options=forms.opportunity_choices(s.get("activity_customer_id")))
    with c3:
        kit.pick(p, "lead_id", "forms.lead", err, optional=True,
                 options=forms.lead_choices(("new", "contacted", "qualified")))
    c1, c2, c3 = st.columns([2, 1, 1])
    with c1:
        kit.text(p, "subject", "forms.subject", err, max_chars=200)
    with c2:
        kit.pick(p, "employee_id", "forms.employee", err, forms.employee_choices(None),
                 optional=True)
    with c3:
        kit.day(p, "next_follow_up_date", "forms.next_follow_up", err)
    kit.text(p, "notes", "form.notes", err, area=True, max_chars=4000)


def activity_form() -> None:
    kit.create_form(
        "activity", title="forms.activity.title", fields=_activity_fields, keys=ACTIVITY,
        read=_activity_values, save=lambda v, k: forms.create("log_activity", v, k),
        saved=lambda r: t("forms.activity.saved", number=link("activity", r["id"], f"#{r['id']}"),
                          subject=md(r["subject"])),
        button="forms.activity.save")


# --- service ticket -----------------------------------------------------------------------

TICKET = ["customer_id", "sales_order_id", "category", "priority", "subject", "assignee_id"]


def _ticket_fields(err: Errors) -> None:
    p, s = "ticket", st.session_state
    s.setdefault("ticket_priority", "normal")
    c1, c2 = st.columns([3, 2])
    with c1:
        kit.pick(p, "customer_id", "form.customer", err, forms.customer_choices(),
                 on_change=lambda: s.pop("ticket_sales_order_id", None))
    with c2:
        customer = s.get("ticket_customer_id")
        orders = forms.sales_order_choices(("confirmed", "shipped", "delivered"), customer) \
            if customer else {}
        kit.pick(p, "sales_order_id", "forms.sales_order", err, orders, optional=True)
    c1, c2, c3 = st.columns([2, 1, 1.5])
    with c1:
        kit.text(p, "subject", "forms.subject", err, max_chars=200)
    with c2:
        kit.text(p, "category", "forms.category", err, max_chars=40)
    with c3:
        kit.choice(p, "priority", "forms.priority", err, forms.kinds("ticket_priority"),
                   lambda v: t(f"forms.priority.{v}"))
    kit.pick(p, "assignee_id", "forms.assignee", err, forms.employee_choices("service"),
             optional=True)


def ticket_form() -> None:
    kit.create_form(
        "ticket", title="forms.ticket.title", fields=_ticket_fields, keys=TICKET,
        read=lambda: kit.values("ticket", TICKET),
        save=lambda v, k: forms.create("open_ticket", v, k),
        saved=lambda r: t("forms.ticket.saved", number=link("service_ticket", r["id"],
                                                             r["ticket_no"]),
                          subject=md(r["subject"])),
        button="forms.ticket.save")


# --- service ticket: start, resolve, close --------------------------------------------------

TP = "ticket_progress"
_TICKET_STEP = {"in_progress": "start_ticket", "resolved": "resolve_ticket",
                "closed": "close_ticket"}


def _ticket_loaded(ticket: Values) -> None:
    moves = forms.next_statuses("service_ticket", ticket["status"])
    st.session_state[f"{TP}_to_status"] = moves[0] if moves else None


def _ticket_step(ticket: Values, v: Values) -> forms.Outcome:
    extra: dict[str, Any] = {"satisfaction": v["satisfaction"]} \
        if v["to_status"] == "resolved" else {}
    return forms.run(_TICKET_STEP[v["to_status"]], ticket_id=ticket["id"],
                     expected_version=ticket["version"], **extra)


def _ticket_moved(r: Values, _: Values) -> str:
    return t("forms.ticket_progress.saved",
             number=link("service_ticket", r["id"], r["ticket_no"]), status=kit.status(r["status"]))


def ticket_progress_form() -> None:
    ticket, err = kit.change_form(TP, title="forms.ticket_progress.title", kind="service_ticket",
                                  label="forms.ticket", options=forms.ticket_choices(),
                                  on_load=_ticket_loaded, fields=("satisfaction",))
    if ticket is None:
        return
    kit.facts([("form.customer", ticket["customer"]), ("forms.subject", ticket["subject"]),
               ("forms.priority", t(f"forms.priority.{ticket['priority']}")),
               ("forms.status", kit.status(ticket["status"]))])
    moves = forms.next_statuses("service_ticket", ticket["status"])
    if not moves and not kit.just_done(TP):
        st.info(t("forms.nothing_to_do"), icon=":material/task_alt:")
        err.rest()
        return
    reopen = ticket["status"] == "resolved"
    c1, c2, c3 = st.columns([2, 1.5, 1.2], vertical_alignment="bottom")
    with c1:
        kit.choice(TP, "to_status", "forms.ticket_progress.step", err, moves,
                   lambda v: t("forms.ticket_step.reopen" if reopen and v == "in_progress"
                               else f"forms.ticket_step.{v}"))
    with c2:
        if st.session_state.get(f"{TP}_to_status") == "resolved":
            kit.choice(TP, "satisfaction", "forms.satisfaction", err, [None, 1, 2, 3, 4, 5],
                       lambda v: t("form.none") if v is None else "★" * v)
    with c3:
        kit.step_button(TP, "forms.ticket_progress.button", kit.submit_change,
                        (TP, "service_ticket", "step",
                         lambda: kit.values(TP, ["to_status", "satisfaction"]), kit.version,
                         _ticket_step, _ticket_moved))
    err.rest()
