"""Master data: employees, suppliers, products, campaigns, customers and contacts."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from operational.demo import catalog as cat
from operational.demo.clock import ds, local_to_utc, money, month_index, qty, ts, work_time
from operational.demo.world import Cust, Emp, Prod, World

STAFF = (  # department, title, how many
    ("management", "总经理", 1),
    ("management", "副总经理", 1),
    ("sales", "销售总监", 1),
    ("purchasing", "采购经理", 1),
    ("purchasing", "采购专员", 2),
    ("warehouse", "仓库主管", 1),
    ("warehouse", "仓管员", 3),
    ("finance", "财务经理", 1),
    ("finance", "会计", 1),
    ("finance", "出纳", 1),
    ("service", "客服主管", 1),
    ("service", "客服专员", 2),
    ("admin", "行政人事经理", 1),
    ("admin", "行政专员", 1),
    ("admin", "IT 管理员", 1),
)
SKU_PREFIX = ("CEM", "REB", "TIL", "PNT", "PIP", "INS", "TIM", "GLS", "SAN", "ELE")


class NameMaker:
    """Chinese person names with a pinyin e-mail handle; unique while the list allows."""

    def __init__(self, rng: random.Random, unique: bool = True) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.tries = 50 if unique else 1

    def person(self) -> tuple[str, str]:
        for _ in range(self.tries):
            (s, sp), (g, gp) = self.rng.choice(cat.SURNAMES), self.rng.choice(cat.GIVEN_NAMES)
            if s + g not in self.used:
                break
        self.used.add(s + g)
        return s + g, f"{gp}.{sp}"


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10)}{rng.randrange(10**8):08d}"


def _stamp(created: datetime, updated: datetime | None = None) -> tuple[str | None, str | None]:
    return ts(created), ts(updated or created)


def build_people(w: World) -> None:
    rng = w.rng("employees")
    names = NameMaker(rng)
    specs: list[tuple[str, str, str | None]] = []
    for dept, title, n in STAFF[:3]:
        specs += [(dept, title, None)] * n
    for reg, (_, _, reps) in cat.REGIONS.items():
        specs += [("sales", f"销售代表（{reg}）", reg)] * reps
    for dept, title, n in STAFF[3:]:
        specs += [(dept, title, None)] * n
    handles: set[str] = set()
    for i, (dept, title, region) in enumerate(specs, start=1):
        name, handle = names.person()
        while handle in handles:
            handle += str(rng.randrange(10))
        handles.add(handle)
        hired = w.start - timedelta(days=rng.randrange(200, 3000))
        w.employees.append(
            Emp(i, f"E{i:03d}", name, dept, title, region, f"{handle}@{cat.EMAIL_DOMAIN}", hired)
        )
    # a warehouse clerk left half-way through the history and was replaced
    leaver = w.dept("warehouse")[-1]
    leaver.left = w.start + timedelta(days=(w.last_day - w.start).days // 2)
    name, handle = names.person()
    w.employees.append(
        Emp(
            len(w.employees) + 1,
            f"E{len(w.employees) + 1:03d}",
            name,
            "warehouse",
            "仓管员",
            None,
            f"{handle}@{cat.EMAIL_DOMAIN}",
            leaver.left + timedelta(days=10),
        )
    )
    t = w.table(
        "employee",
        ("id", "code", "name", "department", "email", "is_active", "created_at", "updated_at"),
    )
    for e in w.employees:
        created = local_to_utc(e.hired, 9 * 60)
        updated = local_to_utc(e.left, 17 * 60) if e.left else created
        t.rows.append(
            (e.id, e.code, e.name, e.department, e.email, e.left is None, *_stamp(created, updated))
        )


def build_catalog(w: World) -> None:
    rng = w.rng("catalog")
    names = NameMaker(w.rng("supplier-contacts"))
    st = w.table(
        "supplier",
        ("id", "code", "name", "region", "contact_name", "phone", "created_at", "updated_at"),
    )
    by_cat: dict[str, list[int]] = {}
    for i, (name, region, cats, terms) in enumerate(cat.SUPPLIERS, start=1):
        created = work_time(rng, w.start - timedelta(days=rng.randrange(100, 2500)))
        st.rows.append(
            (i, f"S{i:03d}", name, region, names.person()[0], phone(rng), *_stamp(created))
        )
        w.supplier_terms[i] = terms
        for c in cats:
            by_cat.setdefault(c, []).append(i)
    keys = [c.key for c in cat.CATEGORIES]
    counters = [0] * len(keys)
    for spec in cat.PRODUCTS:
        ci = keys.index(spec[0])
        counters[ci] += 1
        category = cat.CATEGORIES[ci]
        price = int(round(spec[3] * 100))
        margin = rng.uniform(*category.margin)
        suppliers = by_cat[spec[0]]
        w.products.append(
            Prod(
                id=len(w.products) + 1,
                sku=f"{SKU_PREFIX[ci]}-{counters[ci]:04d}",
                name=spec[1],
                cat=ci,
                unit=spec[2],
                price=price,
                cost=int(round(price * (1 - margin))),
                typical=int(spec[4] * 1000),
                step=spec[5],
                lead_time=rng.randint(*category.lead_time),
                supplier_id=suppliers[counters[ci] % len(suppliers)],
                popularity=rng.paretovariate(1.6),
            )
        )
    # a few products customers stopped buying (slow movers), two of them discontinued
    faded = rng.sample(w.products, 6)
    for p in faded:
        p.phase_out = w.last_day - timedelta(days=rng.randrange(100, 200))
    w.extra["discontinued"] = {p.id for p in faded[:2]}
    _price_index(w, rng)


def _price_index(w: World, rng: random.Random) -> None:
    """Monthly market index for commodity categories; today's index is 1 (= list price)."""
    months = month_index(w.last_day, w.start) + 1
    for ci, c in enumerate(cat.CATEGORIES):
        if c.commodity:
            walk, x = [], 1.0
            for _ in range(months):
                walk.append(x)
                x = min(1.08, max(0.92, x + rng.gauss(0, 0.025)))
            walk.reverse()
        else:  # one list-price rise of 3 % a year ago
            walk = [1 / 1.03 if m < months - 12 else 1.0 for m in range(months)]
        w.commodity_index[ci] = walk


def price_on(w: World, p: Prod, d: date) -> int:
    return int(round(p.price * w.commodity_index[p.cat][month_index(d, w.start)]))


def cost_on(w: World, p: Prod, d: date) -> int:
    return int(round(p.cost * w.commodity_index[p.cat][month_index(d, w.start)]))


def write_products(w: World) -> None:
    t = w.table(
        "product",
        (
            "id",
            "sku",
            "name",
            "category",
            "unit",
            "list_price",
            "standard_cost",
            "reorder_point",
            "lead_time_days",
            "supplier_id",
            "is_active",
            "created_at",
            "updated_at",
        ),
    )
    created = local_to_utc(w.start - timedelta(days=400), 10 * 60)
    for p in w.products:
        active = p.id not in w.extra["discontinued"]
        t.rows.append(
            (
                p.id,
                p.sku,
                p.name,
                cat.CATEGORIES[p.cat].name,
                p.unit,
                money(p.price),
                money(p.cost),
                qty(p.rop),
                p.lead_time,
                p.supplier_id,
                active,
                ts(created),
                ts(local_to_utc(w.start, 8 * 60) if p.rop else created),
            )
        )


def build_campaigns(w: World) -> None:
    rng = w.rng("campaigns")
    t = w.table(
        "campaign",
        (
            "id",
            "code",
            "name",
            "channel",
            "cost",
            "start_date",
            "end_date",
            "created_at",
            "updated_at",
        ),
    )
    found = []
    for name, channel, month, days, cost in cat.CAMPAIGNS:
        first = date(
            w.start.year + (w.start.month - 1 + month) // 12,
            (w.start.month - 1 + month) % 12 + 1,
            1,
        ) + timedelta(days=rng.randrange(10))
        if first >= w.today:
            continue
        found.append((first, name, channel, days, cost))
    found.sort()
    campaigns = []
    for i, (first, name, channel, days, cost) in enumerate(found, start=1):
        created = work_time(rng, first - timedelta(days=rng.randrange(7, 21)))
        end = first + timedelta(days=days - 1)
        t.rows.append(
            (
                i,
                f"CMP-{first.year}-{i:02d}",
                f"{first.year} {name}",
                channel,
                money(cost * 100),
                ds(first),
                ds(end),
                *_stamp(created),
            )
        )
        campaigns.append((i, channel, first, end))
    w.extra["campaigns"] = campaigns


def company_name(rng: random.Random, city: str, ctype: cat.CustomerType, used: set[str]) -> str:
    for _ in range(100):
        brand = "".join(rng.sample(cat.BRAND_SYLLABLES, 2))
        name = f"{city}{brand}{rng.choice(ctype.suffixes)}"
        if name not in used:
            break
    used.add(name)
    return name


def new_customer(
    w: World,
    rng: random.Random,
    names: NameMaker,
    used: set[str],
    created: datetime,
    ctype_idx: int | None = None,
    region: str | None = None,
) -> Cust:
    types = cat.CUSTOMER_TYPES
    if ctype_idx is None:
        ctype_idx = rng.choices(range(len(types)), [t.share for t in types])[0]
    ct = types[ctype_idx]
    if region is None:
        region = rng.choices(list(cat.REGIONS), [r[0] for r in cat.REGIONS.values()])[0]
    city = rng.choice(cat.REGIONS[region][1])
    if ct.key == "person":
        name, kind = names.person()[0], "person"
    else:
        name, kind = company_name(rng, city, ct, used), "company"
    weight = min(rng.paretovariate(1.8), 20.0) * (0.25 if kind == "person" else 1.0)
    return Cust(
        0,
        name,
        kind,
        ctype_idx,
        region,
        city,
        rng.choice(w.reps(region)).id,
        created,
        weight,
        rng.uniform(*ct.size),
    )


def build_customer_base(w: World) -> None:
    rng = w.rng("customers")
    names = NameMaker(w.rng("customer-names"), unique=False)
    used: set[str] = set()
    w.extra["customer_names"] = (names, used)
    for _ in range(w.scale.customers):
        created = work_time(rng, w.start - timedelta(days=rng.randrange(10, 5 * 365)))
        w.customers.append(new_customer(w, rng, names, used, created))
    # walk-in and referred customers added during the history (converted leads add more)
    span = (w.last_day - w.start).days
    for _ in range(w.scale.customers // 6):
        created = work_time(rng, w.start + timedelta(days=rng.randrange(span)))
        w.customers.append(new_customer(w, rng, names, used, created))


GRADE_LIMITS = {
    "A": (800_000, 2_000_000),
    "B": (300_000, 800_000),
    "C": (100_000, 300_000),
    "D": (20_000, 100_000),
}


def finalize_customers(w: World) -> None:
    """Order customers by creation, give ids, grades, terms, payment habits; write rows."""
    rng = w.rng("customer-terms")
    w.customers.sort(key=lambda c: c.created)
    ranked = sorted(w.customers, key=lambda c: -c.weight)
    n = len(ranked)
    for i, c in enumerate(ranked):
        c.grade = "A" if i < n * 0.10 else "B" if i < n * 0.35 else "C" if i < n * 0.75 else "D"
    span = (w.last_day - w.start).days
    for i, c in enumerate(w.customers, start=1):
        c.id = i
        if c.kind == "person":
            c.grade = "D" if c.grade in ("A", "B") else c.grade
            c.credit_limit, c.terms, c.billing, c.payer = 0, 0, "delivery", "prompt"
        else:
            lo, hi = GRADE_LIMITS[c.grade]
            c.credit_limit = rng.randrange(lo, hi + 1, 10_000) * 100
            c.terms = {"A": rng.choice((60, 90)), "B": 60, "C": 30, "D": 30}[c.grade]
            if cat.CUSTOMER_TYPES[c.ctype].key == "developer":
                c.terms = 90
            monthly = c.grade in ("A", "B") and rng.random() < 0.6
            c.billing = "monthly" if monthly else "delivery"
            c.payer = rng.choices(("prompt", "slow", "partial", "bad"), (55, 30, 10, 5))[0]
        if rng.random() < 0.10 and c.created.date() < w.start + timedelta(days=span // 2):
            c.churn = w.start + timedelta(days=rng.randrange(span // 3, span - 60))
    t = w.table(
        "customer",
        (
            "id",
            "code",
            "name",
            "kind",
            "industry",
            "region",
            "grade",
            "owner_id",
            "credit_limit",
            "created_at",
            "updated_at",
        ),
    )
    for c in w.customers:
        t.rows.append(
            (
                c.id,
                f"C{c.id:05d}",
                c.name,
                c.kind,
                cat.CUSTOMER_TYPES[c.ctype].industry,
                c.region,
                c.grade,
                c.owner_id,
                money(c.credit_limit),
                *_stamp(c.created),
            )
        )
    _contacts(w)


def _contacts(w: World) -> None:
    rng = w.rng("contacts")
    names = NameMaker(w.rng("contact-names"), unique=False)
    t = w.table(
        "contact",
        (
            "id",
            "customer_id",
            "name",
            "title",
            "phone",
            "email",
            "is_primary",
            "created_at",
            "updated_at",
        ),
    )
    for c in w.customers:
        people: list[tuple[str, str | None]]
        if c.kind == "person":
            people = [(c.name, None)]
        else:
            people = [
                (names.person()[0], rng.choice(cat.CONTACT_TITLES))
                for _ in range(rng.choice((1, 1, 2, 2, 3)))
            ]
        for k, (name, title) in enumerate(people):
            created = c.created + timedelta(minutes=5 + k)
            email = (
                None
                if c.kind == "person" and rng.random() < 0.7
                else f"c{c.id}.{k + 1}@mail{c.id % 50}.example"
            )
            t.rows.append(
                (len(t.rows) + 1, c.id, name, title, phone(rng), email, k == 0, *_stamp(created))
            )


def plan_stock_parameters(w: World, demand: dict[int, tuple[int, int]]) -> None:
    """Reorder point and order-up-to level from each product's average daily demand."""
    rng = w.rng("stock-params")
    days = max(sum(1 for _ in w.days()), 1)
    for p in w.products:
        total, lines = demand.get(p.id, (0, 0))
        daily = total / days * 1.15
        per_line = total / lines if lines else p.typical
        # demand comes in lumps (a truck of rebar): cover a few typical lines as well
        rop = max(daily * (p.lead_time + 8) * 1.2, per_line * 2.5)
        cycle = max(daily * rng.uniform(20, 35), per_line * 3)
        p.rop = max(p.step, int(rop / p.step + 0.999) * p.step)
        p.up_to = p.rop + max(p.step, int(cycle / p.step + 0.999) * p.step)
        p.opening = int(p.up_to * rng.uniform(0.8, 1.1) / p.step) * p.step
    # purchasing stopped reordering a few products lately: they end under the reorder point
    movers = [p for p in w.products if p.phase_out is None and demand.get(p.id, (0, 0))[0] > 0]
    for p in rng.sample(movers, min(8, len(movers))):
        p.neglect_from = w.last_day - timedelta(days=rng.randrange(25, 60))
