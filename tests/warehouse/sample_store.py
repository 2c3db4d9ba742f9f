"""A small, deterministic operational store for warehouse tests.

Written straight through the SQLModel tables (not the services) so the warehouse tests do
not depend on service behaviour, while keeping the store's invariants: line net amounts
rounded half-up per line, stock never negative, invoices after deliveries, payments no
larger than what is owed. It deliberately includes the edge cases the KPIs must handle:
cancelled orders, partial and late deliveries, deliveries after 16:00 UTC (next day in
Shanghai), credit notes, draft orders, orders without a promised date.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from operational.models import (
    Activity,
    ApprovalRequest,
    Campaign,
    Contact,
    Customer,
    Delivery,
    Employee,
    GoodsReceipt,
    Invoice,
    InvoiceLine,
    Lead,
    Opportunity,
    OpportunityStageChange,
    Payment,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentSuggestion,
    SalesOrder,
    SalesOrderLine,
    ServiceTicket,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierPayment,
    Task,
)

CENT = Decimal("0.01")
START = date(2024, 1, 2)
END = date(2025, 3, 20)  # last business date in the store
AS_OF = date(2025, 3, 31)  # the as_of_date the tests build with


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def utc_at(d: date, hour: int, minute: int = 0) -> datetime:
    """Naive UTC timestamp; hours >= 16 fall on the next calendar day in Asia/Shanghai."""
    return datetime.combine(d, time(hour, minute), tzinfo=UTC)


def populate(engine: Engine, *, seed: int = 7, n_orders: int = 160) -> None:
    rnd = random.Random(seed)
    with Session(engine) as s:
        emps = [
            Employee(code=f"E{i:03d}", name=f"Emp {i}", department=dep)
            for i, dep in enumerate(
                ["sales", "sales", "sales", "purchasing", "finance", "service", "management"], 1
            )
        ]
        sups = [Supplier(code=f"S{i:03d}", name=f"Supplier {i}", region="East") for i in (1, 2, 3)]
        s.add_all(emps + sups)
        s.flush()
        sales_reps = emps[:3]
        cats = ["Fasteners", "Tools", "Electrical"]
        prods = []
        for i in range(1, 11):
            cost = Decimal(rnd.randint(500, 9000)) / 100
            prods.append(
                Product(
                    sku=f"SKU-{i:03d}",
                    name=f"Product {i}",
                    category=cats[i % 3],
                    unit="pcs",
                    list_price=money(cost * Decimal("1.45")),
                    standard_cost=cost,
                    reorder_point=Decimal("50.000"),
                    lead_time_days=7 + i % 5,
                    supplier_id=sups[i % 3].id,
                )
            )
        camps = [
            Campaign(
                code="C01",
                name="Spring fair",
                channel="event",
                cost=Decimal("5000.00"),
                start_date=date(2024, 3, 1),
                end_date=date(2024, 3, 31),
            ),
            Campaign(
                code="C02",
                name="Mailing",
                channel="email",
                cost=Decimal("800.00"),
                start_date=date(2024, 9, 1),
            ),
        ]
        s.add_all(prods + camps)
        s.flush()
        custs = []
        for i in range(1, 16):
            custs.append(
                Customer(
                    code=f"CU{i:03d}",
                    name=f"Customer {i}",
                    kind="person" if i % 5 == 0 else "company",
                    industry=["retail", "manufacturing", "construction"][i % 3],
                    region=["East", "North", "South"][i % 3],
                    grade="ABCD"[i % 4],
                    owner_id=sales_reps[i % 3].id,
                    credit_limit=Decimal("50000.00"),
                    created_at=utc_at(START - timedelta(days=30), 2),
                )
            )
        s.add_all(custs)
        s.flush()
        s.add_all(
            [Contact(customer_id=c.id, name=f"Contact {c.code}", is_primary=True) for c in custs]
        )

        _crm(s, rnd, emps, custs, camps)
        stock = {p.id: Decimal("2000.000") for p in prods}
        movements: list[StockMovement] = []
        for p in prods:
            movements.append(
                StockMovement(
                    product_id=p.id,
                    kind="opening",
                    quantity=stock[p.id],
                    moved_at=utc_at(START - timedelta(days=2), 1),
                    unit_cost=p.standard_cost,
                    balance_after=stock[p.id],
                )
            )
        _sales(s, rnd, custs, prods, sales_reps, movements, stock, n_orders)
        _purchasing(s, rnd, sups, prods, emps, movements, stock)
        movements.sort(key=lambda m: m.moved_at)
        running: dict[int, Decimal] = {}
        for m in movements:
            running[m.product_id] = running.get(m.product_id, Decimal(0)) + m.quantity
            m.balance_after = running[m.product_id]
        s.add_all(movements)
        s.add_all([StockLevel(product_id=pid, on_hand=q) for pid, q in running.items()])
        _oa(s, rnd, emps)
        s.commit()


def _crm(s: Session, rnd: random.Random, emps, custs, camps) -> None:
    opps = []
    for i in range(1, 26):
        created = START + timedelta(days=rnd.randint(0, 400))
        status = rnd.choice(
            ["new", "contacted", "qualified", "converted", "converted", "disqualified"]
        )
        lead = Lead(
            code=f"L{i:03d}",
            company_name=f"Prospect {i}",
            source_channel=rnd.choice(["website", "referral", "campaign", "trade_show"]),
            campaign_id=camps[i % 2].id,
            owner_id=emps[i % 3].id,
            region=[None, "East", "North", "South"][i % 4],  # every 4th lead without one
            status=status,
            created_at=utc_at(created, 3),
        )
        if status == "converted":
            cust = custs[i % len(custs)]
            lead.customer_id = cust.id
            lead.converted_at = utc_at(created + timedelta(days=rnd.randint(3, 20)), 5)
        s.add(lead)
        s.flush()
        if status == "converted":
            opps.append((lead, lead.customer_id, lead.converted_at))
    for j in range(10):
        opps.append((None, custs[j].id, utc_at(START + timedelta(days=rnd.randint(0, 400)), 4)))
    for n, (lead, cust_id, created_at) in enumerate(opps, 1):
        path = ["prospecting", "qualification", "proposal", "negotiation"]
        final = rnd.choice(["won", "won", "lost", "proposal", "qualification"])
        stages = (
            path[: path.index(final) + 1] if final in path else path[: rnd.randint(1, 4)] + [final]
        )
        opp = Opportunity(
            customer_id=cust_id,
            name=f"Deal {n}",
            amount=Decimal(rnd.randint(10, 200) * 100),
            owner_id=emps[n % 3].id,
            lead_id=lead.id if lead else None,
            stage=stages[-1],
            created_at=created_at,
        )
        s.add(opp)
        s.flush()
        if lead:
            lead.opportunity_id = opp.id
        at = created_at
        prev = None
        for st in stages[1:] if stages[0] == "prospecting" else stages:
            at = at + timedelta(days=rnd.randint(2, 15), hours=rnd.randint(0, 8))
            s.add(
                OpportunityStageChange(
                    opportunity_id=opp.id,
                    from_stage=prev or "prospecting",
                    to_stage=st,
                    changed_at=at,
                )
            )
            prev = st
        opp.stage_changed_at = at
        opp.last_activity_at = at
        if opp.stage in ("won", "lost"):
            opp.closed_at = at
        s.add(
            Activity(
                kind=rnd.choice(["call", "visit", "email", "meeting"]),
                customer_id=cust_id,
                opportunity_id=opp.id,
                employee_id=emps[n % 3].id,
                occurred_at=at,
                subject=f"Follow up deal {n}",
            )
        )
    for k in range(1, 13):
        opened = START + timedelta(days=rnd.randint(0, 420))
        resolved = rnd.random() < 0.75
        s.add(
            ServiceTicket(
                ticket_no=f"T{k:04d}",
                customer_id=custs[k % len(custs)].id,
                category="quality",
                priority=rnd.choice(["low", "normal", "high"]),
                subject=f"Ticket {k}",
                # two service staff, and every 4th ticket (from the 3rd) not assigned
                assignee_id=None if k % 4 == 3 else emps[4 + k % 2].id,
                status="resolved" if resolved else "open",
                opened_at=utc_at(opened, 2),
                resolved_at=utc_at(opened, 2) + timedelta(hours=rnd.randint(2, 90))
                if resolved
                else None,
                satisfaction=rnd.randint(2, 5) if resolved else None,
            )
        )


def _sales(s, rnd, custs, prods, reps, movements, stock, n_orders) -> None:
    span = (END - START).days
    inv_no = 0
    for n in range(1, n_orders + 1):
        od = START + timedelta(days=int(span * n / n_orders))
        age = (END - od).days
        r = rnd.random()
        if r < 0.06:
            status = "cancelled"
        elif r < 0.09:
            status = "draft"
        elif age < 20:
            status = rnd.choice(["confirmed", "shipped"])
        else:
            status = "delivered"
        cust = custs[rnd.randint(0, len(custs) - 2)]  # the last customer never orders
        promised = od + timedelta(days=rnd.randint(5, 14)) if rnd.random() > 0.05 else None
        so = SalesOrder(
            order_no=f"SO{n:05d}",
            customer_id=cust.id,
            owner_id=cust.owner_id,
            order_date=od,
            promised_date=promised,
            status=status,
            confirmed_at=utc_at(od, 3) if status not in ("draft", "cancelled") else None,
            cancelled_at=utc_at(od + timedelta(days=1), 3) if status == "cancelled" else None,
        )
        s.add(so)
        s.flush()
        lines = []
        for ln in range(1, rnd.randint(1, 3) + 1):
            p = rnd.choice(prods)
            qty = Decimal(rnd.randint(1, 40)) + (Decimal("0.5") if rnd.random() < 0.2 else 0)
            disc = rnd.choice([Decimal("0"), Decimal("0.05"), Decimal("0.1"), Decimal("0.125")])
            price = p.list_price
            line = SalesOrderLine(
                sales_order_id=so.id,
                line_no=ln,
                product_id=p.id,
                quantity=qty,
                unit_price=price,
                discount=disc,
                tax_rate=Decimal("0.13"),
                net_amount=money(qty * price * (1 - disc)),
                promised_date=od + timedelta(days=rnd.randint(3, 10))
                if rnd.random() < 0.3
                else None,
            )
            s.add(line)
            lines.append((line, p))
        s.flush()
        if status in ("draft", "cancelled"):
            continue
        delivered_lines = []
        for line, p in lines:
            due = line.promised_date or promised or od + timedelta(days=7)
            if status == "confirmed" and rnd.random() < 0.6:
                continue
            parts = [line.quantity]
            if rnd.random() < 0.25:
                first = (line.quantity / 2).quantize(Decimal("1"))
                if 0 < first < line.quantity:
                    parts = [first, line.quantity - first]
            if status == "confirmed":
                parts = parts[:1] if len(parts) > 1 else [line.quantity]
            shipped_total = Decimal(0)
            last_day = None
            for k, q in enumerate(parts, 1):
                day = due + timedelta(days=rnd.randint(-4, 3) + (k - 1) * 3)
                day = max(day, od + timedelta(days=1))
                shipped_at = utc_at(day - timedelta(days=1), rnd.choice([1, 9, 15]))
                delivered_at = utc_at(day, rnd.choice([2, 8, 15, 16, 17, 23]))
                if status == "shipped" and k == len(parts):
                    delivered_at = None
                if delivered_at and delivered_at.date() > END:
                    delivered_at = None
                s.add(
                    Delivery(
                        delivery_no=f"D{so.id:05d}-{line.line_no}-{k}",
                        sales_order_id=so.id,
                        sales_order_line_id=line.id,
                        quantity=q,
                        shipped_at=shipped_at,
                        delivered_at=delivered_at,
                    )
                )
                movements.append(
                    StockMovement(
                        product_id=p.id,
                        kind="shipment",
                        quantity=-q,
                        moved_at=shipped_at,
                        unit_cost=p.standard_cost,
                        balance_after=Decimal(0),
                        reference_type="delivery",
                        reference_id=so.id,
                    )
                )
                stock[p.id] -= q
                shipped_total += q
                last_day = max(last_day or day, day)
            line.shipped_quantity = shipped_total
            if status == "delivered":
                delivered_lines.append((line, last_day))
        if status != "delivered" or not delivered_lines:
            continue
        inv_no += 1
        issue = max(d for _, d in delivered_lines) + timedelta(days=rnd.randint(0, 2))
        if issue > END:
            continue
        net = sum(line.net_amount for line, _ in delivered_lines)
        tax = sum(money(line.net_amount * line.tax_rate) for line, _ in delivered_lines)
        inv = Invoice(
            invoice_no=f"INV{inv_no:05d}",
            kind="invoice",
            sales_order_id=so.id,
            customer_id=cust.id,
            issue_date=issue,
            due_date=issue + timedelta(days=30),
            net_amount=net,
            tax_amount=tax,
            gross_amount=net + tax,
        )
        s.add(inv)
        s.flush()
        for line, _ in delivered_lines:
            s.add(
                InvoiceLine(
                    invoice_id=inv.id,
                    sales_order_line_id=line.id,
                    quantity=line.quantity,
                    net_amount=line.net_amount,
                    tax_amount=money(line.net_amount * line.tax_rate),
                )
            )
        owed = inv.gross_amount
        if rnd.random() < 0.08:
            line = delivered_lines[0][0]
            cn_issue = issue + timedelta(days=rnd.randint(3, 20))
            if cn_issue <= END:
                cn_net = -money(line.net_amount / 2)
                cn_tax = -money(-cn_net * line.tax_rate)
                inv_no += 1
                cn = Invoice(
                    invoice_no=f"CN{inv_no:05d}",
                    kind="credit_note",
                    sales_order_id=so.id,
                    customer_id=cust.id,
                    credited_invoice_id=inv.id,
                    issue_date=cn_issue,
                    due_date=cn_issue,
                    net_amount=cn_net,
                    tax_amount=cn_tax,
                    gross_amount=cn_net + cn_tax,
                )
                s.add(cn)
                s.flush()
                s.add(
                    InvoiceLine(
                        invoice_id=cn.id,
                        sales_order_line_id=line.id,
                        quantity=-(line.quantity / 2).quantize(Decimal("0.001")),
                        net_amount=cn_net,
                        tax_amount=cn_tax,
                    )
                )
                owed += cn.gross_amount
        pay_day = inv.due_date + timedelta(days=rnd.randint(-25, 40))
        if pay_day <= END and rnd.random() < 0.85:
            amount = owed if rnd.random() < 0.85 else money(owed / 2)
            s.add(
                Payment(
                    payment_no=f"P{inv.id:05d}",
                    invoice_id=inv.id,
                    customer_id=cust.id,
                    amount=amount,
                    paid_date=pay_day,
                    method=rnd.choice(["bank_transfer", "cash", "card"]),
                )
            )
            inv.paid_amount = amount


def _purchasing(s, rnd, sups, prods, emps, movements, stock) -> None:
    for n in range(1, 11):
        od = START + timedelta(days=n * 38)
        sup = sups[n % 3]
        status = "received" if od < END - timedelta(days=20) else "ordered"
        po = PurchaseOrder(
            po_no=f"PO{n:04d}",
            supplier_id=sup.id,
            order_date=od,
            expected_date=od + timedelta(days=10),
            buyer_id=emps[3].id,
            status=status,
        )
        s.add(po)
        s.flush()
        total = Decimal(0)
        for ln, p in enumerate([p for p in prods if p.supplier_id == sup.id][:2], 1):
            q = Decimal(rnd.randint(50, 300))
            pol = PurchaseOrderLine(
                purchase_order_id=po.id,
                line_no=ln,
                product_id=p.id,
                quantity=q,
                unit_cost=p.standard_cost,
                received_quantity=q if status == "received" else Decimal(0),
            )
            s.add(pol)
            s.flush()
            total += money(q * p.standard_cost)
            if status == "received":
                at = utc_at(od + timedelta(days=rnd.randint(7, 14)), 6)
                s.add(
                    GoodsReceipt(
                        receipt_no=f"GR{po.id:04d}-{ln}",
                        purchase_order_id=po.id,
                        purchase_order_line_id=pol.id,
                        quantity=q,
                        received_at=at,
                    )
                )
                movements.append(
                    StockMovement(
                        product_id=p.id,
                        kind="receipt",
                        quantity=q,
                        moved_at=at,
                        unit_cost=p.standard_cost,
                        balance_after=Decimal(0),
                        reference_type="goods_receipt",
                        reference_id=po.id,
                    )
                )
                stock[p.id] += q
        po.total_amount = total
        appr = ApprovalRequest(
            request_no=f"AR-PO{n:04d}",
            kind="purchase",
            requester_id=emps[3].id,
            approver_id=emps[6].id,
            subject=f"Pay {po.po_no}",
            amount=total,
            reference_type="purchase_order",
            reference_id=po.id,
            status="approved",
            submitted_at=utc_at(od, 2),
            decided_at=utc_at(od, 2) + timedelta(hours=rnd.randint(1, 60)),
        )
        s.add(appr)
        s.flush()
        if status == "received":
            s.add(
                SupplierPayment(
                    payment_no=f"SP{n:04d}",
                    purchase_order_id=po.id,
                    amount=total,
                    paid_date=od + timedelta(days=30),
                    approval_request_id=appr.id,
                )
            )
    s.add(
        ReplenishmentSuggestion(
            product_id=prods[0].id,
            supplier_id=prods[0].supplier_id,
            quantity=Decimal("100.000"),
            status="open",
            estimated_available_date=END + timedelta(days=7),
        )
    )


def _oa(s, rnd, emps) -> None:
    for n in range(1, 13):
        sub = START + timedelta(days=rnd.randint(0, 420))
        status = rnd.choice(["approved", "rejected", "submitted", "draft"])
        s.add(
            ApprovalRequest(
                request_no=f"AR{n:04d}",
                kind=rnd.choice(["leave", "expense", "contract", "discount"]),
                requester_id=emps[n % 6].id,
                approver_id=emps[6].id,
                subject=f"Request {n}",
                amount=Decimal(rnd.randint(1, 50) * 100) if n % 2 else None,
                status=status,
                submitted_at=utc_at(sub, 1) if status != "draft" else None,
                decided_at=utc_at(sub, 1) + timedelta(hours=rnd.randint(1, 100))
                if status in ("approved", "rejected")
                else None,
            )
        )
    for n in range(1, 11):
        status = rnd.choice(["open", "in_progress", "done", "cancelled"])
        s.add(
            Task(
                title=f"Task {n}",
                assignee_id=emps[n % 7].id if n != 8 else None,  # one open task unassigned
                due_date=START + timedelta(days=rnd.randint(0, 440)),
                status=status,
                source="manual" if n % 3 else "warehouse",
                closed_at=utc_at(END, 3) if status in ("done", "cancelled") else None,
            )
        )
