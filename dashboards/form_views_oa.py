"""Office forms: approval requests (draft, submit, decide) and tasks (create, start, complete).
Shapes and guarantees: see ``form_views_kit``."""

from __future__ import annotations

import streamlit as st

from dashboards import form_views_kit as kit
from dashboards import forms
from dashboards.form_views_kit import Errors, Values, link, md
from dashboards.i18n import t
from dashboards.identity import user

# A discount is approved against a draft sales order, a purchase against a purchase order.
_REFERENCE = {"discount": "sales_order", "purchase": "purchase_order"}


def _me() -> int | None:
    current = user()
    return current.get("employee_id") if current else None


# --- approval request ---------------------------------------------------------------------

AR = "approval_request"
REQUEST = ["kind", "requester_id", "approver_id", "subject", "amount", "reference_id"]


def _request_values() -> Values:
    v = kit.values(AR, REQUEST)
    reference = _REFERENCE.get(v["kind"]) if v["reference_id"] is not None else None
    return v | {"amount": forms.decimal(v["amount"]), "reference_type": reference,
                "reference_id": v["reference_id"] if reference else None}


def _reference_options(kind: str | None) -> dict[int, str]:
    if kind == "discount":
        return forms.sales_order_choices(("draft",))
    if kind == "purchase":
        return forms.purchase_order_choices(("draft", "ordered", "partially_received",
                                             "received"))
    return {}


def _request_fields(err: Errors) -> None:
    s = st.session_state
    kit.default(AR, "requester_id", _me())
    people = forms.employee_choices(None)
    c1, c2 = st.columns([1, 2])
    with c1:
        kit.choice(AR, "kind", "forms.approval_kind", err, forms.kinds("approval_kind"),
                   lambda v: t(f"kind.{v}"), on_change=lambda: s.pop(f"{AR}_reference_id", None))
    with c2:
        kit.text(AR, "subject", "forms.subject", err, max_chars=200)
    c1, c2, c3 = st.columns(3)
    with c1:
        kit.pick(AR, "requester_id", "forms.requester", err, people)
    with c2:
        kit.pick(AR, "approver_id", "forms.approver", err, people, optional=True)
    with c3:
        kit.number(AR, "amount", "forms.amount", err, optional=True)
    kind = s.get(f"{AR}_kind")
    if kind in _REFERENCE:
        kit.pick(AR, "reference_id", f"forms.reference.{kind}", err, _reference_options(kind),
                 optional=True)
        err.under("reference_type")


def approval_request_form() -> None:
    kit.create_form(
        AR, title="forms.approval_request.title", fields=_request_fields, keys=REQUEST,
        read=_request_values, save=lambda v, k: forms.create("create_approval_request", v, k),
        saved=lambda r: t("forms.approval_request.saved",
                          number=link("approval_request", r["id"], r["request_no"]),
                          subject=md(r["subject"])),
        button="forms.approval_request.save")


def _request_facts(req: Values) -> None:
    kit.facts([("forms.approval_kind", t(f"kind.{req['kind']}")), ("forms.subject",
               req["subject"]), ("forms.requester", req["requester"]),
               ("forms.approver", req["approver"]),
               ("forms.amount", None if req["amount"] is None else kit.money(req["amount"])),
               ("forms.status", kit.status(req["status"]))])


# --- submit --------------------------------------------------------------------------------

AS = "approval_submission"


def _submit(req: Values, _: Values) -> forms.Outcome:
    return forms.run("submit_approval", request_id=req["id"], expected_version=req["version"])


def _submitted(r: Values, _: Values) -> str:
    return t("forms.approval_submission.saved",
             number=link("approval_request", r["id"], r["request_no"]))


def approval_submission_form() -> None:
    req, err = kit.change_form(AS, title="forms.approval_submission.title",
                               kind="approval_request", label="forms.approval",
                               options=forms.approval_choices("draft"))
    if req is None:
        return
    _request_facts(req)
    if req["status"] == "draft" or kit.just_done(AS):
        kit.step_button(AS, "forms.approval_submission.button", kit.submit_change,
                        (AS, "approval_request", "submit", dict, kit.version, _submit,
                         _submitted))
    err.rest()


# --- decide --------------------------------------------------------------------------------

AD = "approval_decision"


def _decision_loaded(req: Values) -> None:
    s = st.session_state
    s[f"{AD}_decision"] = "approved"
    s[f"{AD}_approver_id"] = req["approver_id"] or _me()


def _decide(req: Values, v: Values) -> forms.Outcome:
    service = "approve_request" if v["decision"] == "approved" else "reject_request"
    return forms.run(service, request_id=req["id"], expected_version=req["version"],
                     note=v["note"] or None, approver_id=v["approver_id"])


def _decided(r: Values, _: Values) -> str:
    return t("forms.approval_decision.saved",
             number=link("approval_request", r["id"], r["request_no"]),
             status=kit.status(r["status"]))


def approval_decision_form() -> None:
    req, err = kit.change_form(AD, title="forms.approval_decision.title",
                               kind="approval_request", label="forms.approval",
                               options=forms.approval_choices("submitted"),
                               on_load=_decision_loaded, fields=("note",))
    if req is None:
        return
    _request_facts(req)
    if req["status"] != "submitted" and not kit.just_done(AD):
        st.info(t("forms.nothing_to_do"), icon=":material/task_alt:")
        err.rest()
        return
    c1, c2 = st.columns([1, 2])
    with c1:
        st.radio(t("forms.decision"), ["approved", "rejected"], key=f"{AD}_decision",
                 format_func=lambda v: t(f"forms.decision.{v}"), horizontal=True)
    with c2:
        kit.pick(AD, "approver_id", "forms.approver", err, forms.employee_choices(None),
                 optional=True)
    kit.text(AD, "note", "forms.decision_note", err, area=True, max_chars=2000)
    kit.step_button(AD, "forms.approval_decision.button", kit.submit_change,
                    (AD, "approval_request", "decide",
                     lambda: kit.values(AD, ["decision", "approver_id", "note"]), kit.version,
                     _decide, _decided))
    err.rest()


# --- task ----------------------------------------------------------------------------------

TASK = ["title", "assignee_id", "due_date", "reason"]


def _task_fields(err: Errors) -> None:
    kit.default("task", "assignee_id", _me())
    kit.text("task", "title", "forms.task_title", err, max_chars=200)
    c1, c2 = st.columns([2, 1])
    with c1:
        kit.pick("task", "assignee_id", "forms.assignee", err, forms.employee_choices(None),
                 optional=True)
    with c2:
        kit.day("task", "due_date", "forms.due_date", err)
    kit.text("task", "reason", "forms.task_reason", err, area=True, max_chars=1000)


def task_form() -> None:
    kit.create_form(
        "task", title="forms.task.title", fields=_task_fields, keys=TASK,
        read=lambda: kit.values("task", TASK), save=lambda v, k: forms.create("create_task", v, k),
        saved=lambda r: t("forms.task.saved", number=link("task", r["id"], f"#{r['id']}"),
                          title=md(r["title"])),
        button="forms.task.save")


# --- task: start, complete -------------------------------------------------------------------

TG = "task_progress"
_TASK_STEP = {"in_progress": "start_task", "done": "complete_task"}


def _task_moves(status: str) -> list[str]:
    return [m for m in forms.next_statuses("task", status) if m in _TASK_STEP]


def _task_loaded(task: Values) -> None:
    moves = _task_moves(task["status"])
    st.session_state[f"{TG}_to_status"] = moves[0] if moves else None


def _task_step(task: Values, v: Values) -> forms.Outcome:
    extra = {"note": v["note"] or None} if v["to_status"] == "done" else {}
    return forms.run(_TASK_STEP[v["to_status"]], task_id=task["id"],
                     expected_version=task["version"], **extra)


def _task_moved(r: Values, _: Values) -> str:
    return t("forms.task_progress.saved", number=link("task", r["id"], f"#{r['id']}"),
             status=kit.status(r["status"]))


def task_progress_form() -> None:
    task, err = kit.change_form(TG, title="forms.task_progress.title", kind="task",
                                label="forms.task", options=forms.task_choices(),
                                on_load=_task_loaded, fields=("note",))
    if task is None:
        return
    kit.facts([("forms.task_title", task["title"]), ("forms.assignee", task["assignee"]),
               ("forms.due_date", task["due_date"]), ("forms.status", kit.status(task["status"]))])
    moves = _task_moves(task["status"])
    if not moves and not kit.just_done(TG):
        st.info(t("forms.nothing_to_do"), icon=":material/task_alt:")
        err.rest()
        return
    c1, c2 = st.columns([1, 2])
    with c1:
        kit.choice(TG, "to_status", "forms.task_progress.step", err, moves,
                   lambda v: t(f"forms.task_step.{v}"))
    with c2:
        if st.session_state.get(f"{TG}_to_status") == "done":
            kit.text(TG, "note", "forms.close_note", err, max_chars=1000)
    kit.step_button(TG, "forms.task_progress.button", kit.submit_change,
                    (TG, "task", "step", lambda: kit.values(TG, ["to_status", "note"]),
                     kit.version, _task_step, _task_moved))
    err.rest()
