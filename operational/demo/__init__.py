"""Demo data: 26 months of a building-materials trading company (杭州恒筑建材贸易有限公司).

``generate`` fills an empty operational store with a coherent history (CRM, sales, stock,
purchasing, receivables, payables, approvals, service) that obeys every rule the domain
services enforce, so the warehouse, KPIs and dashboards have something true to show.
Same ``scale``, ``seed`` and ``today`` give byte-identical rows (only the bcrypt hashes of
the demo log-ins differ). History ends the day before ``today``; nothing is dated in the
future except due, promised and expected dates.

Rows are built in memory as canonical text and written in one transaction with driver-level
batches (see ``writer``), which keeps ``large`` (~1M order lines) within minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

from sqlalchemy.engine import Engine

from operational.demo import billing, crm, ledger, master, oa, orders, stock
from operational.demo.world import SCALES, Scale, World
from operational.demo.writer import StoreNotEmpty, ensure_empty, has_data, reset, write_all

__all__ = [
    "SCALES",
    "Scale",
    "StoreNotEmpty",
    "build",
    "generate",
    "has_data",
    "reset",
]

Progress = Callable[[str, int, int], None]


def build(
    *,
    scale: str = "small",
    seed: int = 42,
    today: date | None = None,
    progress: Progress | None = None,
) -> World:
    """Generate the whole history in memory (no database): ``World.tables`` holds the rows."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if today is None:  # the company's today (its timezone), as the services and dashboards use
        from operational.services._core import company_today

        today = company_today()
    w = World(SCALES[scale], seed, today)
    total = 7

    def step(done: int) -> None:
        if progress:
            progress("generate", done, total)

    step(0)
    master.build_people(w)
    master.build_catalog(w)
    master.build_campaigns(w)
    master.build_customer_base(w)
    step(1)
    acts = crm.Activities(w)
    leads = crm.build_leads(w, acts)
    master.finalize_customers(w)
    opps = crm.build_opportunities(w, leads, acts)
    crm.build_account_visits(w, acts)
    crm.write_crm(w, leads, opps, acts)
    step(2)
    sales = orders.build_orders(w)
    step(3)
    requests = stock.plan_requests(w, sales)
    demand = {pid: (sum(r[3] for r in reqs), len(reqs)) for pid, reqs in requests.items()}
    master.plan_stock_parameters(w, demand)
    master.write_products(w)
    st = stock.simulate(w, requests)
    step(4)
    invoices = billing.build_invoices(w, sales, st)
    ledger.close_day(w, sales, st)
    ledger.assign_ids(st)
    step(5)
    oa.build_contract_approvals(w, opps)
    oa.build_staff_requests(w)
    oa.write_approvals(w)
    oa.build_tasks(w)
    oa.build_tickets(w, sales, invoices)
    oa.build_users(w)
    step(6)
    ledger.write_sales(w, sales, st)
    ledger.write_purchasing(w, st)
    ledger.write_stock(w, st)
    billing.write_invoices(w, invoices)
    billing.build_supplier_payments(w, st.pos)
    step(7)
    return w


def generate(
    *,
    engine: Engine,
    scale: Literal["small", "medium", "large"] = "small",
    seed: int = 42,
    today: date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill an empty store with demo history; return rows written per table.

    Refuses a store that has any row (``StoreNotEmpty``). ``progress(label, done,
    total)`` is called while generating (label ``"generate"``, 7 steps) and after each
    written batch (label = table name).
    """
    ensure_empty(engine)
    w = build(scale=scale, seed=seed, today=today, progress=progress)
    return write_all(engine, {n: (t.columns, t.rows) for n, t in w.tables.items()}, progress)
