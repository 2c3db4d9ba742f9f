"""CRM history: leads (some converted), opportunities with stage history, activities."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from operational.demo import catalog as cat
from operational.demo.clock import (
    add_working_days,
    ds,
    local_date,
    money,
    next_working_day,
    ts,
    work_time,
)
from operational.demo.master import NameMaker, company_name, new_customer, phone
from operational.demo.world import Cust, World

SOURCES = (
    ("website", 25),
    ("referral", 15),
    ("trade_show", 12),
    ("cold_call", 15),
    ("campaign", 25),
    ("other", 8),
)
NOTES = (
    "客户关注价格和交期",
    "需要提供样品",
    "对方在比价，跟进报价",
    "项目进度推迟一个月",
    "客户要求账期 60 天",
    "已发送产品目录",
    "决策人是项目经理",
    None,
    None,
    None,
)


@dataclass(slots=True)
class Lead:
    created: datetime
    company: str
    contact: str
    region: str
    ctype: int
    source: str
    campaign_id: int | None
    owner_id: int
    status: str = "new"
    status_at: datetime | None = None
    customer: Cust | None = None
    opp: Opp | None = None
    id: int = 0


@dataclass(slots=True)
class Opp:
    cust: Cust
    name: str
    amount: int
    owner_id: int
    created: datetime
    lead: Lead | None = None
    stage: str = "prospecting"
    changes: list[tuple[str | None, str, datetime]] = field(default_factory=list)
    acts: list[datetime] = field(default_factory=list)
    expected_close: date | None = None
    closed_at: datetime | None = None
    id: int = 0


class Activities:
    """Collects activity rows; ids are given in time order when written."""

    def __init__(self, w: World) -> None:
        self.rows: list[tuple] = []
        self.rng = w.rng("activity-text")

    def add(
        self,
        kind: str | None,
        at: datetime,
        employee_id: int,
        customer_id: int | None,
        opp: Opp | None = None,
        lead: Lead | None = None,
    ) -> None:
        r = self.rng
        kind = kind or r.choices(("call", "visit", "email", "meeting"), (40, 25, 20, 15))[0]
        follow = (
            ds(add_working_days(local_date(at), r.randint(2, 10))) if r.random() < 0.4 else None
        )
        self.rows.append(
            (
                at,
                kind,
                customer_id,
                opp,
                lead,
                employee_id,
                r.choice(cat.ACTIVITY_SUBJECTS[kind]),
                r.choice(NOTES),
                follow,
            )
        )


def _moment(rng: random.Random, after: datetime, days: float) -> datetime:
    d = next_working_day(local_date(after) + timedelta(days=max(0, int(days))))
    t = work_time(rng, d)
    return t if t > after else after + timedelta(minutes=rng.randint(20, 240))


def build_leads(w: World, acts: Activities) -> list[Lead]:
    rng = w.rng("leads")
    names, used = w.extra["customer_names"]
    people = NameMaker(w.rng("lead-contacts"), unique=False)
    campaigns = w.extra["campaigns"]
    span = (w.last_day - w.start).days
    leads: list[Lead] = []
    regions = list(cat.REGIONS)
    for _ in range(w.scale.leads):
        source = rng.choices([s for s, _ in SOURCES], [n for _, n in SOURCES])[0]
        pool = [c for c in campaigns if (c[1] == "event") == (source == "trade_show")]
        campaign_id = None
        if source in ("campaign", "trade_show") and pool:
            cid, _, first, end = rng.choice(pool)
            day = first + timedelta(days=rng.randrange((end - first).days + 15))
            campaign_id = cid
        else:
            day = w.start + timedelta(days=rng.randrange(span))
        day = next_working_day(day)
        if day > w.last_day:
            day = w.last_day - timedelta(days=rng.randrange(30))
        region = rng.choices(regions, [r[0] for r in cat.REGIONS.values()])[0]
        ctype = rng.choices(range(4), [t.share for t in cat.CUSTOMER_TYPES[:4]])[0]
        city = rng.choice(cat.REGIONS[region][1])
        leads.append(
            Lead(
                work_time(rng, day),
                company_name(rng, city, cat.CUSTOMER_TYPES[ctype], used),
                people.person()[0],
                region,
                ctype,
                source,
                campaign_id,
                rng.choice(w.reps(region)).id,
            )
        )
    leads.sort(key=lambda x: x.created)
    for i, lead in enumerate(leads, start=1):
        lead.id = i
        _advance_lead(w, rng, lead, acts, names, used)
    return leads


def _advance_lead(
    w: World, rng: random.Random, lead: Lead, acts: Activities, names: NameMaker, used: set[str]
) -> None:
    """new → contacted → qualified → converted | disqualified, as far as time allows."""
    lead.status_at = lead.created
    if rng.random() < 0.15:
        return  # never followed up
    steps = [("contacted", rng.uniform(0, 4))]
    r = rng.random()
    if r < 0.45:
        steps.append(("qualified", rng.uniform(3, 20)))
        r2 = rng.random()
        if r2 < 0.55:
            steps.append(("converted", rng.uniform(5, 30)))
        elif r2 < 0.80:
            steps.append(("disqualified", rng.uniform(5, 30)))
    elif r < 0.80:
        steps.append(("disqualified", rng.uniform(2, 15)))
    at = lead.created
    for status, days in steps:
        at = _moment(rng, at, days)
        if at >= w.now:
            return
        lead.status, lead.status_at = status, at
        if status in ("contacted", "qualified"):
            kind = "call" if status == "contacted" else rng.choice(("visit", "meeting"))
            acts.add(kind, at, lead.owner_id, None, lead=lead)
    if lead.status == "converted":
        cust = new_customer(w, rng, names, used, lead.status_at, lead.ctype, lead.region)
        cust.name, cust.owner_id = lead.company, lead.owner_id
        used.add(lead.company)
        w.customers.append(cust)
        lead.customer = cust


def _amount(rng: random.Random, c: Cust) -> int:
    base = {
        "contractor": 400_000,
        "developer": 800_000,
        "retailer": 120_000,
        "decorator": 150_000,
        "person": 30_000,
    }[cat.CUSTOMER_TYPES[c.ctype].key]
    return max(10, int(base * rng.lognormvariate(0, 0.5) * min(c.size, 2) / 1000)) * 1000 * 100


def build_opportunities(w: World, leads: list[Lead], acts: Activities) -> list[Opp]:
    rng = w.rng("opportunities")
    opps: list[Opp] = []
    for lead in leads:
        if lead.customer is not None:
            c = lead.customer
            lead.opp = Opp(
                c,
                _opp_name(rng, c),
                _amount(rng, c),
                c.owner_id,
                (lead.status_at or lead.created) + timedelta(minutes=rng.randint(5, 90)),
                lead,
            )
            opps.append(lead.opp)
    companies = [c for c in w.customers if c.kind == "company"]
    span = (w.last_day - w.start).days
    cum = list(itertools.accumulate(x.weight for x in companies))
    for _ in range(w.scale.opportunities):
        day = next_working_day(w.start + timedelta(days=rng.randrange(span)))
        if day > w.last_day:
            continue
        at = work_time(rng, day)
        for _ in range(20):
            c = rng.choices(companies, cum_weights=cum)[0]
            if c.created < at and (c.churn is None or c.churn > day):
                opps.append(Opp(c, _opp_name(rng, c), _amount(rng, c), c.owner_id, at))
                break
    opps.sort(key=lambda o: o.created)
    for i, o in enumerate(opps, start=1):
        o.id = i
        _advance_opp(w, rng, o, acts)
    return opps


def _opp_name(rng: random.Random, c: Cust) -> str:
    cats = rng.sample([x.name for x in cat.CATEGORIES], 2)
    return f"{c.city}{rng.choice(cat.PROJECT_KINDS)} {cats[0]}{cats[1]}供应"


STAGE_DAYS = {
    "prospecting": (5, 25),
    "qualification": (7, 30),
    "proposal": (7, 35),
    "negotiation": (7, 40),
}


def _next_stage(rng: random.Random, stage: str) -> str:
    r = rng.random()
    if stage == "prospecting":
        return "lost" if r < 0.15 else "qualification"
    if stage == "qualification":
        return "lost" if r < 0.20 else "proposal"
    if stage == "proposal":
        return "lost" if r < 0.20 else "won" if r < 0.30 else "negotiation"
    return "won" if r < 0.60 else "lost"


def _advance_opp(w: World, rng: random.Random, o: Opp, acts: Activities) -> None:
    cid = o.cust.id
    o.changes.append((None, "prospecting", o.created))
    o.expected_close = local_date(o.created) + timedelta(days=rng.randint(30, 120))
    stall_at = None
    age = (w.now - o.created).days
    if 50 < age < 300 and rng.random() < 0.4:
        stall_at = w.now - timedelta(days=rng.randint(31, max(32, age // 2)))
    horizon = stall_at or w.now
    at = o.created
    while o.stage not in ("won", "lost"):
        lo, hi = STAGE_DAYS[o.stage]
        nxt = _moment(rng, at, rng.uniform(lo, hi))
        span = (nxt - at).total_seconds()
        for _ in range(rng.randint(1, 3)):
            t = at + timedelta(seconds=rng.uniform(0.05, 1.0) * span)
            t = work_time(rng, next_working_day(local_date(t)))
            if at < t < horizon:
                o.acts.append(t)
                acts.add(None, t, o.owner_id, cid, opp=o)
        if nxt >= horizon:
            break
        stage = _next_stage(rng, o.stage)
        o.changes.append((o.stage, stage, nxt))
        o.stage, at = stage, nxt
    if o.stage in ("won", "lost"):
        o.closed_at = at
        o.expected_close = local_date(at) if o.stage == "won" else o.expected_close
        if o.stage == "won":
            w.extra.setdefault("won", []).append(o)
    elif stall_at is None and (not o.acts or o.acts[-1] < w.now - timedelta(days=14)):
        t = work_time(rng, next_working_day(local_date(w.now) - timedelta(days=rng.randint(2, 14))))
        if o.created < t < w.now:
            o.acts.append(t)
            acts.add(None, t, o.owner_id, cid, opp=o)


def build_account_visits(w: World, acts: Activities) -> None:
    """Regular calls and visits to A and B customers, with no opportunity attached."""
    rng = w.rng("account-visits")
    for c in w.customers:
        if c.grade not in ("A", "B") or c.kind != "company":
            continue
        gap = 25 if c.grade == "A" else 45
        t = max(c.created, w.now - timedelta(days=(w.last_day - w.start).days))
        end = (
            w.now
            if c.churn is None
            else min(w.now, datetime(c.churn.year, c.churn.month, c.churn.day))
        )
        while True:
            t = work_time(
                rng,
                next_working_day(local_date(t) + timedelta(days=rng.randint(gap // 2, gap * 2))),
            )
            if t >= end:
                break
            acts.add(rng.choice(("call", "visit", "visit", "meeting")), t, c.owner_id, c.id)


def write_crm(w: World, leads: list[Lead], opps: list[Opp], acts: Activities) -> None:
    lt = w.table(
        "lead",
        (
            "id",
            "code",
            "company_name",
            "contact_name",
            "phone",
            "email",
            "region",
            "industry",
            "source_channel",
            "campaign_id",
            "owner_id",
            "status",
            "customer_id",
            "opportunity_id",
            "converted_at",
            "created_at",
            "updated_at",
        ),
    )
    rng = w.rng("lead-phones")
    for x in leads:
        conv = x.status_at if x.status == "converted" else None
        lt.rows.append(
            (
                x.id,
                f"L{x.id:06d}",
                x.company,
                x.contact,
                phone(rng),
                f"lead{x.id}@mail{x.id % 40}.example" if rng.random() < 0.6 else None,
                x.region,
                cat.CUSTOMER_TYPES[x.ctype].industry,
                x.source,
                x.campaign_id,
                x.owner_id,
                x.status,
                x.customer.id if x.customer else None,
                x.opp.id if x.opp else None,
                ts(conv),
                ts(x.created),
                ts(x.status_at),
            )
        )
    ot = w.table(
        "opportunity",
        (
            "id",
            "customer_id",
            "name",
            "amount",
            "expected_close_date",
            "owner_id",
            "lead_id",
            "stage",
            "stage_changed_at",
            "last_activity_at",
            "closed_at",
            "created_at",
            "updated_at",
        ),
    )
    st = w.table(
        "opportunity_stage_change",
        (
            "id",
            "opportunity_id",
            "from_stage",
            "to_stage",
            "changed_at",
            "created_at",
            "updated_at",
        ),
    )
    for o in opps:
        last_change = o.changes[-1][2]
        last_act = max(o.acts) if o.acts else None
        updated = max(last_change, last_act) if last_act else last_change
        ot.rows.append(
            (
                o.id,
                o.cust.id,
                o.name,
                money(o.amount),
                ds(o.expected_close),
                o.owner_id,
                o.lead.id if o.lead else None,
                o.stage,
                ts(last_change),
                ts(last_act),
                ts(o.closed_at),
                ts(o.created),
                ts(updated),
            )
        )
        for frm, to, at in o.changes:
            st.rows.append((len(st.rows) + 1, o.id, frm, to, ts(at), ts(at), ts(at)))
    at_ = w.table(
        "activity",
        (
            "id",
            "kind",
            "customer_id",
            "opportunity_id",
            "lead_id",
            "employee_id",
            "occurred_at",
            "subject",
            "notes",
            "next_follow_up_date",
            "created_at",
            "updated_at",
        ),
    )
    acts.rows.sort(key=lambda r: r[0])
    for i, (at, kind, cid, opp, lead, emp, subject, notes, follow) in enumerate(acts.rows, 1):
        at_.rows.append(
            (
                i,
                kind,
                cid,
                opp.id if opp else None,
                lead.id if lead else None,
                emp,
                ts(at),
                subject,
                notes,
                follow,
                ts(at),
                ts(at),
            )
        )
