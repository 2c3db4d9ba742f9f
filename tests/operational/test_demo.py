"""The demo generator: a small store on each backend obeys every rule the services enforce.

One small store per backend is generated per module (``seeded``) and read back through the
typed tables, so amounts arrive as ``Decimal`` and timestamps as UTC datetimes on both
backends. Tests that need fresh stores (determinism, refusal, reset) use ``store_engine``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from operational import demo
from operational.db import init_schema, make_engine
from operational.demo.writer import all_tables
from operational.models import Employee
from operational.states import KINDS, TRANSITIONS, is_allowed, statuses
from tests.conftest import create_pg_database, drop_pg_database

TODAY = date(2026, 11, 22)
START = date(2024, 9, 1)  # first day of the month 26 months before TODAY's month
CENT = Decimal("0.01")
EMPTY_TABLES = {"audit_log", "idempotency_key"}


def _tables() -> dict[str, Any]:
    """The store's data tables (its change counters are the triggers' bookkeeping)."""
    return {t.name: t for t in all_tables()}


def read(engine: Engine, table: str, order_by: str = "id") -> list[Any]:
    t = _tables()[table]
    with engine.connect() as conn:
        return list(conn.execute(select(t).order_by(t.c[order_by])))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, dict[str, int]]]:
    """A small demo store, generated once per module and backend."""
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}", None
    else:
        url = create_pg_database()
        drop = url
    engine = make_engine(url)
    init_schema(engine)
    counts = demo.generate(engine=engine, scale="small", seed=42, today=TODAY)
    try:
        yield engine, counts
    finally:
        engine.dispose()
        if drop:
            drop_pg_database(drop)


def _utc(d: date) -> datetime:
    """Midnight of a company-calendar day (Asia/Shanghai) as an aware UTC datetime."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(hours=8)


def _local_day(ts: datetime) -> date:
    return (ts + timedelta(hours=8)).date()


def _half_up(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


# ---- volume -------------------------------------------------------------------------------


def test_small_scale_row_counts(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, counts = seeded
    with engine.connect() as conn:
        for name, t in _tables().items():
            n = conn.execute(select(func.count()).select_from(t)).scalar_one()
            assert n == counts.get(name, 0), name
            if name not in EMPTY_TABLES:
                assert n > 0, f"{name} is empty"
    assert 4_500 <= counts["sales_order_line"] <= 5_500
    assert 1_200 <= counts["sales_order"] <= 1_800
    assert 20 <= counts["employee"] <= 40
    assert 180 <= counts["product"] <= 220
    assert counts["supplier"] == 15
    assert 250 <= counts["customer"] <= 450
    assert counts["delivery"] >= counts["sales_order_line"] * 0.95
    assert counts["user_account"] == 6


def test_history_spans_26_months_and_ends_before_today(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    orders = read(engine, "sales_order")
    days = [o.order_date for o in orders]
    assert min(days) < START + timedelta(days=7) and max(days) == TODAY - timedelta(days=1)
    end = _utc(TODAY)
    for name, t in _tables().items():
        cols = [c.name for c in t.c if c.name.endswith("_at")]
        for row in read(engine, name, order_by=t.primary_key.columns.keys()[0]):
            for c in cols:
                v = getattr(row, c)
                assert v is None or v < end, f"{name}.{c} = {v} is not in the past"
            if "created_at" in t.c and "updated_at" in t.c:
                assert row.updated_at >= row.created_at, f"{name} {row.id}"
    # business happens in Shanghai working hours (receipts start at 08:30 local)
    hours = {
        (_local_day(d.shipped_at), (d.shipped_at + timedelta(hours=8)).hour)
        for d in read(engine, "delivery")
    }
    assert all(11 <= h < 18 for _, h in hours)


# ---- money --------------------------------------------------------------------------------


def test_line_and_invoice_amounts_recompute_exactly(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    lines = {x.id: x for x in read(engine, "sales_order_line")}
    discounts = []
    for x in lines.values():
        assert x.net_amount == _half_up(x.quantity * x.unit_price * (1 - x.discount))
        assert x.tax_rate == Decimal("0.1300")
        discounts.append(x.discount)
    assert sum(d <= Decimal("0.15") for d in discounts) / len(discounts) > 0.98
    assert any(d > Decimal("0.15") for d in discounts)
    by_invoice: dict[int, list[Any]] = defaultdict(list)
    for il in read(engine, "invoice_line"):
        so = lines[il.sales_order_line_id]
        assert il.net_amount == _half_up(il.quantity * so.unit_price * (1 - so.discount))
        assert il.tax_amount == _half_up(il.net_amount * so.tax_rate)
        by_invoice[il.invoice_id].append(il)
    for inv in read(engine, "invoice"):
        ls = by_invoice[inv.id]
        assert ls, f"invoice {inv.id} has no lines"
        assert inv.net_amount == sum(x.net_amount for x in ls)
        assert inv.tax_amount == sum(x.tax_amount for x in ls)
        assert inv.gross_amount == inv.net_amount + inv.tax_amount


def test_payments_match_invoices(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    invoices = {i.id: i for i in read(engine, "invoice")}
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for p in read(engine, "payment"):
        inv = invoices[p.invoice_id]
        assert p.customer_id == inv.customer_id
        assert p.paid_date >= inv.issue_date
        paid[p.invoice_id] += p.amount
    overdue = 0
    for inv in invoices.values():
        assert inv.paid_amount == paid[inv.id]
        if inv.kind == "invoice":
            assert Decimal(0) <= inv.paid_amount <= inv.gross_amount
            assert inv.credited_invoice_id is None and inv.due_date >= inv.issue_date
            overdue += inv.due_date < TODAY and inv.paid_amount < inv.gross_amount
        else:
            assert inv.kind == "credit_note" and inv.gross_amount < 0
            assert inv.gross_amount <= inv.paid_amount <= 0
            original = invoices[inv.credited_invoice_id]
            assert original.kind == "invoice" and original.sales_order_id == inv.sales_order_id
            assert original.issue_date < inv.issue_date
    assert overdue >= 20
    assert sum(i.kind == "credit_note" for i in invoices.values()) >= 5


def test_no_payment_exceeds_what_was_outstanding(seeded: tuple[Engine, dict[str, int]]) -> None:
    """The services refuse a payment above gross + credit notes − paid: per invoice, the
    running total of payments never exceeds gross plus the credit notes issued by then.

    "By then" counts a credit note dated the same day as the payment, which is stricter than
    the services (they compare instants)."""
    engine, _ = seeded
    invoices = {i.id: i for i in read(engine, "invoice")}
    credits: dict[int, list[Any]] = defaultdict(list)
    for i in invoices.values():
        if i.kind == "credit_note":
            credits[i.credited_invoice_id].append(i)
    payments: dict[int, list[Any]] = defaultdict(list)
    for p in read(engine, "payment"):
        payments[p.invoice_id].append(p)
    checked = 0
    for inv_id, ps in payments.items():
        inv = invoices[inv_id]
        if inv.kind != "invoice":
            continue
        running = Decimal(0)
        for p in sorted(ps, key=lambda p: (p.paid_date, p.created_at, p.id)):
            running += p.amount
            owed = inv.gross_amount + sum(
                (c.gross_amount for c in credits[inv_id] if c.issue_date <= p.paid_date),
                Decimal(0),
            )
            assert running <= owed, f"payment {p.payment_no}: {running} paid, {owed} owed"
            checked += bool(credits[inv_id])
    assert checked >= 3  # payments after a credit note exist and were checked


# ---- quantities ---------------------------------------------------------------------------


def test_shipped_delivered_invoiced_quantities(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    shipped: dict[int, Decimal] = defaultdict(Decimal)
    delivered: dict[int, Decimal] = defaultdict(Decimal)
    drops: dict[int, int] = defaultdict(int)
    for d in read(engine, "delivery"):
        assert d.quantity > 0 and (d.delivered_at is None or d.delivered_at > d.shipped_at)
        shipped[d.sales_order_line_id] += d.quantity
        drops[d.sales_order_line_id] += 1
        if d.delivered_at is not None:
            delivered[d.sales_order_line_id] += d.quantity
    invoiced: dict[int, Decimal] = defaultdict(Decimal)
    for il in read(engine, "invoice_line"):
        invoiced[il.sales_order_line_id] += il.quantity
    for x in read(engine, "sales_order_line"):
        assert x.quantity > 0 and x.unit_price > 0
        assert x.shipped_quantity == shipped[x.id] <= x.quantity
        assert Decimal(0) <= invoiced[x.id] <= delivered[x.id]
        assert x.reserved_quantity <= x.quantity - x.shipped_quantity
    assert sum(n > 1 for n in drops.values()) >= 20  # some lines arrive in two drops
    assert any(invoiced[k] < v for k, v in delivered.items())  # delivered, not yet invoiced


def test_stock_ledger_replays_to_stock_levels(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    moves = sorted(read(engine, "stock_movement"), key=lambda m: (m.moved_at, m.id))
    balance: dict[int, Decimal] = defaultdict(Decimal)
    kinds = set()
    for m in moves:
        balance[m.product_id] += m.quantity
        assert m.balance_after == balance[m.product_id] >= 0, f"movement {m.id}"
        kinds.add(m.kind)
        sign = {
            "opening": m.quantity >= 0,
            "receipt": m.quantity > 0,
            "return": m.quantity > 0,
            "shipment": m.quantity < 0,
            "adjustment": m.quantity != 0,
        }
        assert sign[m.kind], f"{m.kind} movement {m.id} of {m.quantity}"
    assert kinds == set(KINDS["stock_movement_kind"])
    deliveries = {d.id: d for d in read(engine, "delivery")}
    receipts = {r.id: r for r in read(engine, "goods_receipt")}
    for m in moves:
        if m.kind == "shipment":
            assert m.reference_type == "delivery"
            assert deliveries[m.reference_id].quantity == -m.quantity
            assert deliveries[m.reference_id].shipped_at == m.moved_at
        elif m.kind == "receipt":
            assert m.reference_type == "goods_receipt"
            assert receipts[m.reference_id].quantity == m.quantity
    lines = read(engine, "sales_order_line")
    orders = {o.id: o for o in read(engine, "sales_order")}
    reserved: dict[int, Decimal] = defaultdict(Decimal)
    for x in lines:
        if x.reserved_quantity:
            assert orders[x.sales_order_id].status == "confirmed"
            reserved[x.product_id] += x.reserved_quantity
    products = {p.id: p for p in read(engine, "product")}
    below = 0
    for s in read(engine, "stock_level"):
        assert s.on_hand == balance[s.product_id]
        assert s.reserved == reserved[s.product_id] <= s.on_hand
        below += s.on_hand < products[s.product_id].reorder_point
    assert 1 <= below <= len(products) // 2
    received: dict[int, Decimal] = defaultdict(Decimal)
    for r in receipts.values():
        received[r.purchase_order_line_id] += r.quantity
    assert all(r.quantity > 0 for r in receipts.values())
    for pl in read(engine, "purchase_order_line"):
        assert pl.quantity > 0 and pl.unit_cost > 0
        assert pl.received_quantity == received[pl.id] <= pl.quantity


# ---- statuses and workflows ---------------------------------------------------------------


STATUS_COLUMNS = {
    "lead": ("status", "lead"),
    "opportunity": ("stage", "opportunity"),
    "sales_order": ("status", "sales_order"),
    "purchase_order": ("status", "purchase_order"),
    "approval_request": ("status", "approval_request"),
    "task": ("status", "task"),
    "service_ticket": ("status", "service_ticket"),
    "replenishment_suggestion": ("status", "replenishment_suggestion"),
}
KIND_COLUMNS = {
    ("customer", "kind"): "customer_kind",
    ("customer", "grade"): "customer_grade",
    ("activity", "kind"): "activity_kind",
    ("invoice", "kind"): "invoice_kind",
    ("payment", "method"): "payment_method",
    ("approval_request", "kind"): "approval_kind",
    ("service_ticket", "priority"): "ticket_priority",
    ("lead", "source_channel"): "lead_source",
    ("campaign", "channel"): "campaign_channel",
    ("user_account", "role"): "role",
    ("employee", "department"): "department",
}


def test_statuses_and_kinds_come_from_states(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as conn:
        for table, (col, machine) in STATUS_COLUMNS.items():
            found = set(conn.execute(text(f"select distinct {col} from {table}")).scalars())
            assert found <= set(statuses(machine)), table
        for (table, col), kind in KIND_COLUMNS.items():
            found = set(conn.execute(text(f"select distinct {col} from {table}")).scalars())
            assert found <= set(KINDS[kind]), table
        pairs = set(conn.execute(text("select distinct kind, status from approval_request")))
        order_statuses = set(
            conn.execute(text("select distinct status from sales_order")).scalars()
        )
    assert pairs == {(k, s) for k in KINDS["approval_kind"] for s in statuses("approval_request")}
    assert order_statuses == set(statuses("sales_order"))


def test_order_status_matches_its_lines(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    lines: dict[int, list[Any]] = defaultdict(list)
    for x in read(engine, "sales_order_line"):
        lines[x.sales_order_id].append(x)
    pending: dict[int, bool] = defaultdict(bool)
    for d in read(engine, "delivery"):
        pending[d.sales_order_id] |= d.delivered_at is None
    orders = read(engine, "sales_order")
    for o in orders:
        full = all(x.shipped_quantity == x.quantity for x in lines[o.id])
        none = all(x.shipped_quantity == 0 for x in lines[o.id])
        assert o.promised_date > o.order_date
        if o.status == "cancelled":
            assert o.cancelled_at is not None and none
        elif o.status == "draft":
            assert o.confirmed_at is None and none
        elif o.status == "confirmed":
            assert o.confirmed_at is not None and not full
        else:
            assert full and pending[o.id] == (o.status == "shipped")
    cancelled = sum(o.status == "cancelled" for o in orders) / len(orders)
    assert 0.03 <= cancelled <= 0.08


def test_on_time_delivery_is_mostly_but_not_always_met(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    """OTD as DOMAIN.md defines it, per line: full quantity delivered by the promised day."""
    engine, _ = seeded
    orders = {o.id: o for o in read(engine, "sales_order")}
    on_time: dict[int, Decimal] = defaultdict(Decimal)
    lines = read(engine, "sales_order_line")
    promised = {x.id: x.promised_date or orders[x.sales_order_id].promised_date for x in lines}
    for d in read(engine, "delivery"):
        if d.delivered_at and _local_day(d.delivered_at) <= promised[d.sales_order_line_id]:
            on_time[d.sales_order_line_id] += d.quantity
    due = [
        x
        for x in lines
        if orders[x.sales_order_id].status != "cancelled" and promised[x.id] <= TODAY
    ]
    otd = sum(on_time[x.id] >= x.quantity for x in due) / len(due)
    assert 0.80 <= otd <= 0.97


def test_purchases_are_paid_only_after_approval(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    approvals = {a.id: a for a in read(engine, "approval_request")}
    pos = {p.id: p for p in read(engine, "purchase_order")}
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for sp in read(engine, "supplier_payment"):
        a = approvals[sp.approval_request_id]
        assert (a.kind, a.status, a.reference_type) == ("purchase", "approved", "purchase_order")
        assert a.reference_id == sp.purchase_order_id and a.decided_at <= sp.created_at
        paid[sp.purchase_order_id] += sp.amount
    for po_id, amount in paid.items():
        assert amount <= pos[po_id].total_amount
        assert pos[po_id].status in ("ordered", "partially_received", "received")
    for a in approvals.values():
        assert (a.submitted_at is None) == (a.status == "draft")
        assert (a.decided_at is None) == (a.status in ("draft", "submitted"))
        if a.decided_at:
            assert a.decided_at > a.submitted_at >= a.created_at
    received = {p.id for p in pos.values() if p.status in ("received", "partially_received")}
    purchase = [a for a in approvals.values() if a.kind == "purchase" and a.reference_id]
    assert all(a.status == "approved" for a in purchase if a.reference_id in received)


def test_crm_history_is_consistent(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    opps = {o.id: o for o in read(engine, "opportunity")}
    for lead in read(engine, "lead"):
        converted = lead.status == "converted"
        assert (lead.customer_id is not None) == converted == (lead.converted_at is not None)
        if converted:
            o = opps[lead.opportunity_id]
            assert o.lead_id == lead.id and o.customer_id == lead.customer_id
    last: dict[int, datetime] = {}
    for a in read(engine, "activity"):
        if a.opportunity_id:
            last[a.opportunity_id] = max(last.get(a.opportunity_id, a.occurred_at), a.occurred_at)
    changes: dict[int, list[Any]] = defaultdict(list)
    for c in read(engine, "opportunity_stage_change"):
        changes[c.opportunity_id].append(c)
    stalled = 0
    for o in opps.values():
        assert o.last_activity_at == last.get(o.id)
        chain = sorted(changes[o.id], key=lambda c: (c.changed_at, c.id))
        assert chain[0].from_stage is None and chain[-1].to_stage == o.stage
        for prev, nxt in zip(chain, chain[1:], strict=False):
            assert nxt.from_stage == prev.to_stage and is_allowed(
                "opportunity", prev.to_stage, nxt.to_stage
            )
        assert o.stage_changed_at == chain[-1].changed_at
        assert (o.closed_at is not None) == (o.stage in ("won", "lost"))
        if o.stage not in ("won", "lost"):
            stalled += o.last_activity_at is None or o.last_activity_at < _utc(
                TODAY - timedelta(days=30)
            )
    assert stalled >= 3
    assert set(TRANSITIONS["opportunity"]) == {o.stage for o in opps.values()}


def test_references_resolve(seeded: tuple[Engine, dict[str, int]]) -> None:
    """Declared foreign keys are enforced by both databases; these are the soft ones."""
    engine, _ = seeded
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        soft = [
            ("lead", "opportunity_id", "opportunity", None),
            ("stock_movement", "reference_id", "delivery", "delivery"),
            ("stock_movement", "reference_id", "goods_receipt", "goods_receipt"),
            ("stock_movement", "reference_id", "invoice", "invoice"),
            ("approval_request", "reference_id", "purchase_order", "purchase_order"),
            ("approval_request", "reference_id", "sales_order", "sales_order"),
            ("approval_request", "reference_id", "opportunity", "opportunity"),
            ("task", "reference_id", "customer", "customer"),
        ]
        for table, col, target, ref_type in soft:
            where = f"and s.reference_type = '{ref_type}'" if ref_type else ""
            orphans = conn.execute(
                text(
                    f"select count(*) from {table} s left join {target} t on t.id = s.{col} "
                    f"where s.{col} is not null {where} and t.id is null"
                )
            ).scalar_one()
            assert orphans == 0, (table, col, target)
        types = set(
            conn.execute(text("select distinct reference_type from stock_movement")).scalars()
        )
    assert types == {None, "delivery", "goods_receipt", "invoice"}


# ---- determinism, refusal, reset ----------------------------------------------------------


def _dump(engine: Engine) -> dict[str, list[tuple]]:
    out = {}
    for name, t in _tables().items():
        cols = [c for c in t.c if c.name != "password_hash"]
        with engine.connect() as conn:
            out[name] = [
                tuple(r) for r in conn.execute(select(*cols).order_by(*t.primary_key.columns))
            ]
    return out


def _sums(engine: Engine) -> dict[str, tuple]:
    out = {}
    with engine.connect() as conn:
        for name, t in _tables().items():
            money = [c for c in t.c if "amount" in c.name or "quantity" in c.name]
            out[name] = tuple(
                conn.execute(
                    select(func.count(), *(func.sum(c) for c in money)).select_from(t)
                ).one()
            )
    return out


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A scale of ~400 order lines: enough to compare, fast on both backends."""
    monkeypatch.setitem(demo.SCALES, "tiny", demo.Scale(400, 40, 40, 20, 10, 10, 20))
    return "tiny"


def test_same_seed_same_data_on_every_backend(
    store_engine: Engine, tmp_path: Path, tiny: Any
) -> None:
    other = make_engine(f"sqlite:///{tmp_path / 'again.sqlite'}")
    init_schema(other)
    a = demo.generate(engine=store_engine, scale=tiny, seed=7, today=TODAY)
    b = demo.generate(engine=other, scale=tiny, seed=7, today=TODAY)
    assert a == b
    assert _sums(store_engine) == _sums(other)  # readable first: counts and money per table
    dump_a, dump_b = _dump(store_engine), _dump(other)
    other.dispose()
    for name in dump_a:
        assert dump_a[name] == dump_b[name], name


def test_other_seed_other_data(tiny: Any) -> None:
    a = demo.build(scale=tiny, seed=1, today=TODAY).tables["sales_order_line"].rows
    b = demo.build(scale=tiny, seed=2, today=TODAY).tables["sales_order_line"].rows
    assert a[:50] != b[:50]


def test_refuses_a_store_with_data_until_reset(store_engine: Engine, tiny: Any) -> None:
    with store_engine.begin() as conn:
        conn.execute(
            Employee.__table__.insert(), [{"code": "X1", "name": "已有员工", "department": "admin"}]
        )
    assert demo.has_data(store_engine)
    with pytest.raises(demo.StoreNotEmpty, match="fresh MIS_HOME or --reset"):
        demo.generate(engine=store_engine, scale="small", today=TODAY)
    demo.reset(store_engine)
    assert not demo.has_data(store_engine)
    seen: list[str] = []
    counts = demo.generate(
        engine=store_engine,
        scale=tiny,
        today=TODAY,
        progress=lambda name, done, total: seen.append(name),
    )
    assert "sales_order_line" in seen and any(s.startswith("generate") for s in seen)
    # ids continue after the demo's explicit ids (PostgreSQL sequences were moved on)
    with store_engine.begin() as conn:
        new_id = conn.execute(
            Employee.__table__.insert()
            .values(code="X2", name="新员工", department="admin")
            .returning(Employee.__table__.c.id)
        ).scalar_one()
    assert new_id == counts["employee"] + 1


def test_history_ends_the_day_before_the_companys_today_not_the_machines(
    tiny: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between 16:00 and 24:00 UTC the machine's date is a day behind Shanghai's: the demo
    must end where the dashboards' "today" begins, in the company's timezone."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from operational.settings import get_settings

    last_days = {}
    for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        monkeypatch.setenv("MIS_TIMEZONE", tz)
        get_settings.cache_clear()
        world = demo.build(scale=tiny, seed=1)
        assert world.last_day == datetime.now(ZoneInfo(tz)).date() - timedelta(days=1)
        last_days[tz] = world.last_day
    get_settings.cache_clear()
    assert last_days["Pacific/Kiritimati"] > last_days["Pacific/Pago_Pago"]
