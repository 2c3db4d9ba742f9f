"""Coordination and service: approval requests of every kind, tasks, service tickets and
the demo log-ins."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from itertools import accumulate

import bcrypt

from operational.demo import catalog as cat
from operational.demo.billing import Invoice
from operational.demo.clock import ds, local_date, money, next_working_day, ts, work_time
from operational.demo.crm import Opp
from operational.demo.orders import Approval, Order
from operational.demo.world import World
from operational.states import KINDS, statuses

TICKET_PRIORITY = (("low", 20), ("normal", 55), ("high", 20), ("urgent", 5))


def _decide(rng: random.Random, submitted: datetime) -> datetime:
    hours = rng.lognormvariate(2.3, 1.0)  # median ~10 h, a long tail of forgotten requests
    return submitted + timedelta(hours=min(hours, 240))


def build_contract_approvals(w: World, opps: list[Opp]) -> None:
    rng = w.rng("contracts")
    boss = w.head("management").id
    out: list[Approval] = w.extra["approvals"]
    for o in opps:
        if o.amount < 10_000_000 or len(o.changes) < 3:
            continue
        last = o.changes[-1][2]
        subject = f"合同审批：{o.name}"
        if o.stage in ("won", "lost"):
            if o.stage == "lost" and rng.random() > 0.3:
                continue
            created = max(o.changes[-2][2], last - timedelta(days=rng.uniform(1, 5)))
            decided = last - timedelta(minutes=rng.randint(5, 120))
            if decided <= created:
                decided = created + timedelta(minutes=30)
            status = "approved" if o.stage == "won" else "rejected"
            out.append(
                Approval(
                    "contract",
                    o.owner_id,
                    boss,
                    subject,
                    o.amount,
                    "opportunity",
                    o,
                    created,
                    created,
                    decided,
                    status,
                    None if status == "approved" else rng.choice(cat.REJECT_NOTES),
                )
            )
        elif o.stage == "negotiation":
            created = last + timedelta(days=rng.uniform(0.5, 5))
            if created >= w.now:
                continue
            sub = created if rng.random() < 0.7 else None
            out.append(
                Approval(
                    "contract",
                    o.owner_id,
                    boss,
                    subject,
                    o.amount,
                    "opportunity",
                    o,
                    created,
                    sub,
                    None,
                    "submitted" if sub else "draft",
                )
            )


def build_staff_requests(w: World) -> None:
    """Leave and expense requests; most decided, some waiting, a few drafts."""
    rng = w.rng("staff-requests")
    out: list[Approval] = w.extra["approvals"]
    span = (w.last_day - w.start).days
    boss = w.head("management")
    for _ in range(w.scale.staff_requests):
        e = rng.choice(w.employees)
        day = next_working_day(w.start + timedelta(days=rng.randrange(span)))
        if day > w.last_day or day < e.hired or (e.left and day >= e.left):
            continue
        head = w.head(e.department)
        approver = boss if head is e or e.department == "management" else head
        if approver is e:
            approver = w.dept("management")[1]
        created = work_time(rng, day)
        if rng.random() < 0.5:
            kind, amount = "leave", None
            subject = f"{rng.choice(cat.LEAVE_SUBJECTS)} {rng.choice((0.5, 1, 1, 2, 3, 5))} 天"
        else:
            kind = "expense"
            amount = int(rng.lognormvariate(7.2, 0.8)) * 100
            subject = rng.choice(cat.EXPENSE_SUBJECTS)
        submitted = created + timedelta(minutes=rng.randint(1, 240))
        decided = _decide(rng, submitted)
        if day > w.last_day - timedelta(days=10) and rng.random() < 0.15:
            out.append(
                Approval(
                    kind,
                    e.id,
                    approver.id,
                    subject,
                    amount,
                    None,
                    None,
                    created,
                    None,
                    None,
                    "draft",
                )
            )
        elif submitted >= w.now or decided >= w.now:
            out.append(
                Approval(
                    kind,
                    e.id,
                    approver.id,
                    subject,
                    amount,
                    None,
                    None,
                    created,
                    min(submitted, w.now - timedelta(minutes=5)),
                    None,
                    "submitted",
                )
            )
        else:
            ok = rng.random() < (0.92 if kind == "leave" else 0.88)
            out.append(
                Approval(
                    kind,
                    e.id,
                    approver.id,
                    subject,
                    amount,
                    None,
                    None,
                    created,
                    submitted,
                    decided,
                    "approved" if ok else "rejected",
                    None if ok else rng.choice(cat.REJECT_NOTES),
                )
            )
    _cover_every_status(w, rng, out)


def _cover_every_status(w: World, rng: random.Random, out: list[Approval]) -> None:
    """Small stores may lack a rare combination (a pending discount, say): add one recent
    request for each, so every kind shows every status."""
    seen = {(a.kind, a.status) for a in out}
    requester = w.reps("华东")[0].id
    approver = w.head("management").id
    for kind in KINDS["approval_kind"]:
        for status in statuses("approval_request"):
            if (kind, status) in seen:
                continue
            created = work_time(rng, w.last_day - timedelta(days=rng.randint(1, 6)), 9, 12)
            sub = None if status == "draft" else created + timedelta(minutes=20)
            dec = created + timedelta(hours=3) if status in ("approved", "rejected") else None
            out.append(
                Approval(
                    kind,
                    requester,
                    approver,
                    f"{kind} 申请（示例）",
                    None if kind == "leave" else 500_000,
                    None,
                    None,
                    created,
                    sub,
                    dec,
                    status,
                    rng.choice(cat.REJECT_NOTES) if status == "rejected" else None,
                )
            )


def write_approvals(w: World) -> None:
    out: list[Approval] = w.extra["approvals"]
    out.sort(key=lambda a: a.created)
    t = w.table(
        "approval_request",
        (
            "id",
            "request_no",
            "kind",
            "requester_id",
            "approver_id",
            "subject",
            "amount",
            "reference_type",
            "reference_id",
            "status",
            "submitted_at",
            "decided_at",
            "decision_note",
            "created_at",
            "updated_at",
        ),
    )
    for i, a in enumerate(out, start=1):
        a.id = i
    for a in out:
        ref = a.ref.id if a.ref is not None else None
        updated = a.decided_at or a.submitted_at or a.created
        t.rows.append(
            (
                a.id,
                f"AP{local_date(a.created):%Y%m%d}-{a.id:06d}",
                a.kind,
                a.requester_id,
                a.approver_id,
                a.subject,
                None if a.amount is None else money(a.amount),
                a.ref_type,
                ref,
                a.status,
                ts(a.submitted_at),
                ts(a.decided_at),
                a.note,
                ts(a.created),
                ts(updated),
            )
        )


def build_tasks(w: World) -> None:
    rng = w.rng("tasks")
    t = w.table(
        "task",
        (
            "id",
            "title",
            "assignee_id",
            "due_date",
            "reference_type",
            "reference_id",
            "status",
            "source",
            "rule_key",
            "reason",
            "closed_at",
            "close_note",
            "created_at",
            "updated_at",
        ),
    )
    span = (w.last_day - w.start).days
    rows = []
    for _ in range(w.scale.tasks):
        e = rng.choice(w.employees)
        day = next_working_day(w.start + timedelta(days=rng.randrange(span)))
        if day > w.last_day or day < e.hired or (e.left and day >= e.left):
            continue
        created = work_time(rng, day)
        due = day + timedelta(days=rng.randint(1, 14))
        ref_type = ref_id = None
        if e.department == "sales":
            mine = [c for c in w.customers if c.owner_id == e.id and c.created < created]
            if mine:
                ref_type, ref_id = "customer", rng.choice(mine).id
        closed: datetime | None = created + timedelta(
            days=rng.uniform(0.2, 1.3) * (due - day).days + 0.1
        )
        if closed is not None and closed < w.now and rng.random() < 0.9:
            status = "done" if rng.random() < 0.92 else "cancelled"
            note = "已完成" if status == "done" else "不再需要"
        else:
            status, closed, note = rng.choice(("open", "open", "in_progress")), None, None
        updated = closed or (created + timedelta(hours=2) if status == "in_progress" else created)
        rows.append(
            (
                created,
                rng.choice(cat.TASK_TITLES[e.department]),
                e.id,
                ds(due),
                ref_type,
                ref_id,
                status,
                "manual",
                None,
                None,
                ts(closed),
                note,
                ts(created),
                ts(min(updated, w.now - timedelta(minutes=1))),
            )
        )
    rows.sort(key=lambda r: r[0])
    t.rows.extend((i, *r[1:]) for i, r in enumerate(rows, start=1))


def build_tickets(w: World, orders: list[Order], invoices: list[Invoice]) -> None:
    rng = w.rng("tickets")
    returned = {inv.order.id for inv in invoices if inv.kind == "credit_note"}
    delivered = [o for o in orders if any(d.delivered_at for x in o.lines for d in x.deliveries)]
    if not delivered:
        return
    cum = list(accumulate(6.0 if o.id in returned else 3.0 if _late(o) else 1.0 for o in delivered))
    service = w.dept("service")
    cats = [c for c, _ in cat.TICKET_CATEGORIES]
    rows = []
    for _ in range(w.scale.tickets):
        order = rng.choices(delivered, cum_weights=cum)[0] if rng.random() < 0.85 else None
        if order is not None:
            first = min(d.delivered_at for x in order.lines for d in x.deliveries if d.delivered_at)
            opened = first + timedelta(days=rng.uniform(0, 10))
            cust = order.cust
            category = (
                "退换货"
                if order.id in returned and rng.random() < 0.7
                else "物流配送"
                if _late(order) and rng.random() < 0.6
                else rng.choices(cats, [k for _, k in cat.TICKET_CATEGORIES])[0]
            )
        else:
            cust = rng.choice(w.customers)
            opened = max(
                cust.created,
                w.now
                - timedelta(
                    days=rng.randrange(
                        (w.now - datetime(w.start.year, w.start.month, w.start.day)).days
                    )
                ),
            ) + timedelta(hours=1)
            category = rng.choice(("价格咨询", "其他", "安装指导"))
        if rng.random() < 0.04:  # today's backlog: recently opened tickets
            opened = w.now - timedelta(days=rng.uniform(0.5, 12))
        opened = work_time(rng, next_working_day(local_date(opened)))
        if opened >= w.now:
            continue
        priority = rng.choices([p for p, _ in TICKET_PRIORITY], [k for _, k in TICKET_PRIORITY])[0]
        hours = rng.lognormvariate(3.0, 1.0) * (0.4 if priority == "urgent" else 1.0)
        resolved: datetime | None = opened + timedelta(hours=hours)
        sat: int | None = None
        assert resolved is not None
        if resolved >= w.now or (opened > w.now - timedelta(days=6) and rng.random() < 0.5):
            status = "in_progress" if rng.random() < 0.6 else "open"
            resolved, sat = None, None
        else:
            status = (
                "closed"
                if resolved < w.now - timedelta(days=7) and rng.random() < 0.8
                else "resolved"
            )
            if rng.random() < 0.8:
                sat = rng.choices((1, 2, 3, 4, 5), (3, 7, 15, 35, 40))[0]
                if category in ("质量问题", "物流配送", "退换货") and rng.random() < 0.5:
                    sat = max(1, sat - 1)
        rows.append(
            (
                opened,
                cust.id,
                order.id if order else None,
                category,
                priority,
                rng.choice(cat.TICKET_SUBJECTS[category]),
                rng.choice(service).id,
                status,
                resolved,
                sat,
            )
        )
    rows.sort(key=lambda r: r[0])
    t = w.table(
        "service_ticket",
        (
            "id",
            "ticket_no",
            "customer_id",
            "sales_order_id",
            "category",
            "priority",
            "subject",
            "assignee_id",
            "status",
            "opened_at",
            "resolved_at",
            "satisfaction",
            "created_at",
            "updated_at",
        ),
    )
    for i, (opened, cid, oid, category, prio, subject, who, status, resolved, sat) in enumerate(
        rows, start=1
    ):
        t.rows.append(
            (
                i,
                f"TK{local_date(opened):%Y%m%d}-{i:05d}",
                cid,
                oid,
                category,
                prio,
                subject,
                who,
                status,
                ts(opened),
                ts(resolved),
                sat,
                ts(opened),
                ts(resolved or opened),
            )
        )


def _late(o: Order) -> bool:
    """Some line arrived (or left, if still on the road) after its promised date."""
    for x in o.lines:
        if x.deliveries:
            last = x.deliveries[-1]
            if local_date(last.delivered_at or last.shipped_at) > (x.promised or o.promised):
                return True
    return False


def build_users(w: World) -> None:
    """Demo log-ins, all with password 'demo' (bcrypt: the one non-deterministic column)."""
    pw = bcrypt.hashpw(b"demo", bcrypt.gensalt()).decode()
    it = next(e for e in w.employees if e.title == "IT 管理员")
    accounts = (
        ("boss", w.head("management"), "executive", "management"),
        ("sales1", w.reps("华东")[0], "staff", "sales"),
        ("warehouse1", w.head("warehouse"), "staff", "warehouse"),
        ("finance1", w.head("finance"), "staff", "finance"),
        ("analyst", None, "analyst", None),
        ("admin", it, "admin", "admin"),
    )
    t = w.table(
        "user_account",
        (
            "id",
            "username",
            "display_name",
            "password_hash",
            "role",
            "department",
            "employee_id",
            "is_active",
            "created_at",
            "updated_at",
        ),
    )
    created = ts(w.now - timedelta(days=1))
    for i, (username, e, role, dept) in enumerate(accounts, start=1):
        name = e.name if e else "数据分析师"
        t.rows.append(
            (i, username, name, pw, role, dept, e.id if e else None, True, created, created)
        )
