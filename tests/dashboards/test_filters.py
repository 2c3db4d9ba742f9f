"""The filter bar on Finance and Office under AppTest: each chosen member reaches every section
that has it (checked against SQL on the same warehouse), and a section that cannot take it
says so. Sales staff, limited to their own records, get no owner picker."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest

from tests.dashboards.conftest import DEMO_USERS, PAGES, run_page

FINANCE, OFFICE = PAGES / "finance.py", PAGES / "office.py"
OFFICE_KPIS = ("approval_cycle_hours", "pending_approvals", "overdue_tasks",
               "service_resolution_hours", "service_satisfaction")
PERIOD = "last_12_months"


def sql(text: str, **params: Any) -> list[tuple]:
    from dashboards import data

    return [tuple(r) for r in data.query(text, params).itertuples(index=False)]


def one(text: str, **params: Any) -> Any:
    return sql(text, **params)[0][0]


def tables(at: Any, column: str) -> list[Any]:
    """The page's tables that have ``column``."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def table(at: Any, column: str) -> Any:
    """The page's table that has ``column``."""
    return tables(at, column)[0]


def plain(cells: Any) -> list[str]:
    """Link cells (``<url>#<text>``) as the text they show."""
    return sorted(unquote(str(c).rsplit("#", 1)[-1]) for c in cells)


def figure(at: Any, trace: str) -> dict[str, Any]:
    """The plotly figure with a trace named ``trace``."""
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(f for f in figs if trace in [d.get("name") for d in f["data"]])


def trace_sum(fig: dict[str, Any], name: str) -> float:
    return sum(y or 0 for d in fig["data"] if d["name"] == name for y in d["y"])


def tile(at: Any, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def captions(at: Any) -> list[str]:
    return [c.value for c in at.caption]


def window() -> tuple[Any, Any, Any, Any]:
    """The page's period and its 12-month trend window."""
    from dashboards import components, periods

    lo, hi = periods.resolve(PERIOD, components.today())
    return lo, hi, *periods.trend_window(hi)


# --- Finance ------------------------------------------------------------------------------


def busiest_region() -> str:
    """The region with the most open invoices, but not all of them (the filter can fail)."""
    region, n = sql(
        """
        select c.region, count(*) from marts.fct_invoices as i
        join marts.dim_customers as c using (customer_id)
        where not i.is_credit_note and i.open_amount > 0
        group by 1 order by 2 desc, 1 limit 1
        """)[0]
    assert 0 < n < one("select count(*) from marts.fct_invoices"
                       " where not is_credit_note and open_amount > 0")
    return region


@pytest.mark.parametrize("user", ["boss", "finance1"])
def test_finance_region_cuts_tiles_ageing_cash_and_tables(warehouse_home, user):
    from dashboards import fmt

    lo, hi, span_lo, span_hi = window()
    region = busiest_region()
    at = run_page(FINANCE, user=DEMO_USERS[user], period_preset=PERIOD)
    suppliers_before = tables(at, "payment_no")  # the demo has none: empty is good
    turnover_before = tile(at, "Turnover")
    at.selectbox(key="finance_region").select(region).run()
    assert not at.exception

    # tiles: turnover and receivables of that region's orders
    turnover = one("select sum(turnover) from reports.rpt_kpi_daily_dims"
                   " where date_day between $lo and $hi and customer_region = $r",
                   lo=lo, hi=hi, r=region)
    open_ar = one("select sum(receivable_change_amount) from reports.rpt_receivables_daily_dims"
                  " where event_date <= $hi and customer_region = $r", hi=hi, r=region)
    assert tile(at, "Turnover") == fmt.money(turnover, "en") != turnover_before
    assert tile(at, "Receivables") == fmt.money(open_ar, "en")

    # ageing: the buckets add up to the region's receivables at the period end
    assert f"As of {fmt.day(hi, 'en')}: {fmt.money(open_ar, 'en')} open." in captions(at)
    assert trace_sum(figure(at, "Open amount"), "Open amount") == pytest.approx(float(open_ar))

    # invoiced vs collected over the trend window
    cash = figure(at, "Collected")
    collected = one("select sum(p.payment_amount) from marts.fct_payments as p"
                    " join marts.dim_customers as c using (customer_id)"
                    " where p.paid_date between $lo and $hi and c.region = $r",
                    lo=span_lo, hi=span_hi, r=region)
    invoiced = one("select sum(turnover) from reports.rpt_kpi_daily_dims"
                   " where date_day between $lo and $hi and customer_region = $r",
                   lo=span_lo, hi=span_hi, r=region)
    assert trace_sum(cash, "Collected") == pytest.approx(float(collected))
    assert trace_sum(cash, "Turnover") == pytest.approx(float(invoiced))

    # receivables by customer: that region's customers with an open balance, and their sums
    want = sql(
        """
        select a.customer_code, sum(a.open_amount) from reports.rpt_receivables_ageing as a
        join marts.dim_customers as c using (customer_id)
        where a.as_of_date = (select max(as_of_date) from reports.rpt_receivables_ageing)
            and c.region = $r
        group by 1 having sum(a.open_amount) <> 0 order by 1
        """, r=region)
    customers = table(at, "overdue_amount")
    assert set(customers["region"]) == {region}
    assert sorted(customers["customer_code"]) == [code for code, _ in want]
    assert customers["open_amount"].sum() == pytest.approx(float(sum(v for _, v in want)))

    # open invoices: only that region's, summing to the warehouse's open amount
    want = sql("select i.invoice_no, i.open_amount from marts.fct_invoices as i"
               " join marts.dim_customers as c using (customer_id)"
               " where not i.is_credit_note and i.open_amount > 0 and c.region = $r", r=region)
    invoices = table(at, "invoice_no")
    assert set(invoices["region"]) == {region}
    assert plain(invoices["invoice_no"]) == sorted(no for no, _ in want)
    assert invoices["open_amount"].sum() == pytest.approx(float(sum(v for _, v in want)))

    # supplier payments have no region: every row stays, and the page says why
    suppliers = tables(at, "payment_no")
    assert len(suppliers) == len(suppliers_before)
    assert all(a.equals(b) for a, b in zip(suppliers, suppliers_before, strict=True))
    assert ("Not filtered by region: supplier payments have no customer, product line or "
            "sales owner.") in captions(at)
    assert not [c for c in captions(at) if c.startswith("Not filtered by category")]


def test_finance_category_cuts_margin_and_tiles_but_not_receivables(warehouse_home):
    from dashboards import data, fmt

    lo, hi, span_lo, span_hi = window()
    category = data.filter_options(data.build_info()["build_id"])["category"][0]
    at = run_page(FINANCE, period_preset=PERIOD)
    invoices_before = table(at, "invoice_no")
    receivables_before = tile(at, "Receivables")
    at.selectbox(key="finance_category").select(category).run()
    assert not at.exception

    turnover = one("select sum(turnover) from reports.rpt_kpi_daily_dims"
                   " where date_day between $lo and $hi and product_category = $c",
                   lo=lo, hi=hi, c=category)
    assert tile(at, "Turnover") == fmt.money(turnover, "en")
    assert tile(at, "Receivables") == receivables_before  # not split: it says so
    assert "company-wide: not split by Category" in captions(at)

    # margin by grade from the delivered lines of that category, month by month
    rows = sql(
        """
        select strftime(delivered_date, '%Y-%m'), customer_grade,
               (sum(net_amount) - sum(cost_amount)) / sum(net_amount)
        from marts.fct_deliveries
        where is_delivered and not is_order_cancelled and product_category = $c
            and delivered_date between date_trunc('month', $lo) and $hi
        group by 1, 2 having sum(net_amount) <> 0
        """, c=category, lo=span_lo, hi=span_hi)
    assert rows
    want = {(grade, fmt.month_label(month, "en")): pytest.approx(float(rate))
            for month, grade, rate in rows}
    fig = figure(at, rows[0][1])
    got = {(d["name"], x): y for d in fig["data"] for x, y in zip(d["x"], d["y"], strict=True)
           if y is not None}
    assert got == want

    # invoices and receivables are not product lines: unchanged, with the reason shown
    assert table(at, "invoice_no").equals(invoices_before)
    shown = captions(at)
    assert shown.count("Not filtered by category: receivables are per invoice, not per "
                       "product.") == 3  # ageing, by customer, open invoices
    assert "Not filtered by category: payments settle invoices, not products." in shown


def test_finance_margin_by_grade_unfiltered_is_the_registry_kpi(warehouse_home):
    """The page's margin-by-grade query (it takes the filters) is the registry KPI's."""
    from dashboards import data

    info = data.build_info()
    _, _, span_lo, span_hi = window()
    page = data.filtered(info, "margin_by_grade", (None, None, None), date_from=span_lo,
                         date_to=span_hi)
    registry = data.kpi_by_month(info["build_id"], "gross_margin_rate_by_grade", span_lo, span_hi)
    assert len(page) == len(registry) > 0
    for got, want in zip(page.itertuples(), registry.itertuples(), strict=True):
        assert (got.month, got.customer_grade) == (want.month, want.customer_grade)
        assert got.value == pytest.approx(want.value, nan_ok=True)


@pytest.mark.parametrize("user", ["boss", "finance1"])
def test_finance_owner_keeps_that_owners_customers(warehouse_home, user):
    from dashboards import data

    owner_id, owner_name = data.filter_options(data.build_info()["build_id"])["owner"][0]
    at = run_page(FINANCE, user=DEMO_USERS[user], period_preset=PERIOD)
    at.selectbox(key="finance_owner").select(owner_id).run()
    assert not at.exception
    want = sql(
        """
        select distinct a.customer_code from reports.rpt_receivables_ageing as a
        join marts.dim_customers as c using (customer_id)
        where a.as_of_date = (select max(as_of_date) from reports.rpt_receivables_ageing)
            and c.owner_employee_id = $o and a.open_amount <> 0 order by 1
        """, o=owner_id)
    customers = table(at, "overdue_amount")
    assert len(want) > 0
    assert set(customers["owner_name"]) == {owner_name}
    assert sorted(customers["customer_code"]) == [code for (code,) in want]


def test_finance_says_in_chinese_which_filter_a_section_leaves_out(warehouse_home):
    at = run_page(FINANCE, lang="zh", period_preset=PERIOD)
    at.selectbox(key="finance_region").select(busiest_region()).run()
    assert not at.exception
    assert "未按区域筛选：供应商付款不涉及客户、产品明细或销售负责人。" in captions(at)


# --- Office -------------------------------------------------------------------------------


def service_staff() -> dict[str, Any]:
    (employee_id, name), *_ = sql("select employee_id, employee_name from marts.dim_employees"
                                  " where department = 'service' order by 1")
    return {"username": "service1", "display_name": name, "role": "staff",
            "department": "service", "employee_id": employee_id}


def office_user(user: str) -> dict[str, Any]:
    return DEMO_USERS["boss"] if user == "boss" else service_staff()


@pytest.mark.parametrize("user", ["boss", "service"])
def test_office_owner_cuts_approvals_tasks_and_the_tiles_that_take_it(warehouse_home, user):
    from dashboards import data, fmt

    lo, hi, _, _ = window()
    # The demo is generated up to the day the tests run, and on some days nobody has both a
    # pending request and an open task: take one owner with a pending request and another
    # with an open task, and check every table and tile against SQL for each of them.
    requester = sql(
        """
        select e.employee_id, e.employee_name from marts.dim_employees as e
        where exists (select 1 from marts.fct_approval_requests as a
                      where a.is_pending and a.requester_employee_id = e.employee_id)
        order by 1 limit 1
        """)[0]
    assignee = sql(
        """
        select e.employee_id, e.employee_name from marts.dim_employees as e
        where exists (select 1 from marts.fct_tasks as t
                      where t.is_open and t.assignee_employee_id = e.employee_id)
            and e.employee_id <> $r
        order by 1 limit 1
        """, r=requester[0])[0]
    at = run_page(OFFICE, user=office_user(user), period_preset=PERIOD)
    tiles_before = {m.label: m.value for m in at.metric}
    assert [s.key for s in at.selectbox] == ["office_region", "office_owner"]
    reg = data.registry(data.build_info()["build_id"])
    seen = {"pending": 0, "tasks": 0}
    for owner, name in (requester, assignee):
        at.selectbox(key="office_owner").select(owner).run()
        assert not at.exception

        requests = one("select count(*) from marts.fct_approval_requests"
                       " where submitted_date between $lo and $hi"
                       " and requester_employee_id = $o", lo=lo, hi=hi, o=owner)
        shown = tables(at, "requests")
        assert (shown[0]["requests"].sum() if shown else 0) == requests
        pending_n = one("select count(*) from marts.fct_approval_requests"
                        " where is_pending and requester_employee_id = $o", o=owner)
        shown = tables(at, "waiting_hours")
        assert (len(shown[0]) if shown else 0) == pending_n
        if shown:
            assert set(shown[0]["requester"]) == {name}
        open_n = one("select count(*) from marts.fct_tasks"
                     " where is_open and assignee_employee_id = $o", o=owner)
        shown = tables(at, "open_tasks")
        if open_n:
            assert list(shown[0]["assignee"]) == [name]
            assert shown[0]["open_tasks"].iloc[0] == open_n
        else:
            assert not shown
        seen["pending"] += pending_n
        seen["tasks"] += open_n

        # a tile the registry can cut by owner (the requester, the assignee) shows that
        # person's value; any other stays company-wide and says so
        alone = {
            "pending_approvals": one(
                "select count(*) from marts.fct_approval_requests"
                " where requester_employee_id = $o and submitted_date <= $hi"
                " and (decided_date is null or decided_date > $hi)", o=owner, hi=hi),
            "overdue_tasks": one("select count(*) from marts.fct_tasks"
                                 " where is_overdue and assignee_employee_id = $o", o=owner),
        }
        tiles = {m.label: m.value for m in at.metric}
        for kpi, value in alone.items():
            label = reg[kpi].label_en
            cut = "owner" in reg[kpi].dimensions
            assert tiles[label] == (fmt.value(value, reg[kpi].unit, "en") if cut
                                    else tiles_before[label])
        whole = [n for n in OFFICE_KPIS if "owner" not in reg[n].dimensions]
        assert captions(at).count("company-wide: not split by Owner") == len(whole)
        assert len(tiles) == len(OFFICE_KPIS)
    assert seen["pending"] > 0 and seen["tasks"] > 0  # both tables were checked with rows


@pytest.mark.parametrize("user", ["boss", "service"])
def test_office_region_and_assignee_cut_the_service_tickets(warehouse_home, user):
    from dashboards.i18n import value

    lo, hi, _, _ = window()
    assignee, region, n = sql(
        """
        select t.assignee_employee_id, c.region, count(*) from marts.fct_service_tickets as t
        join marts.dim_customers as c using (customer_id)
        where t.opened_date between $lo and $hi group by 1, 2 order by 3 desc, 1, 2 limit 1
        """, lo=lo, hi=hi)[0]
    at = run_page(OFFICE, user=office_user(user), period_preset=PERIOD)
    tasks_before = table(at, "open_tasks")
    everyone = table(at, "tickets")["tickets"].sum()
    at.selectbox(key="office_region").select(region).run()
    at.selectbox(key="office_owner").select(assignee).run()
    assert not at.exception

    want = {value("ticket_category", category, "en"): count for category, count in sql(
        """
        select t.ticket_category, count(*) from marts.fct_service_tickets as t
        join marts.dim_customers as c using (customer_id)
        where t.opened_date between $lo and $hi and c.region = $r
            and t.assignee_employee_id = $a
        group by 1
        """, lo=lo, hi=hi, r=region, a=assignee)}
    tickets = table(at, "tickets")
    assert dict(zip(tickets["ticket_category"], tickets["tickets"], strict=True)) == want
    assert tickets["tickets"].sum() == n < everyone
    # tasks have no region: a region alone leaves them as they were, and the page says so
    at.selectbox(key="office_owner").select(None).run()
    assert table(at, "open_tasks").equals(tasks_before)
    assert "Not filtered by region: tasks have no customer." in captions(at)
    assert captions(at).count("Not filtered by region: approvals have no customer.") == 2


# --- owner scope ----------------------------------------------------------------------------


def test_scoped_sales_rep_gets_no_owner_picker(warehouse_home):
    rep = DEMO_USERS["sales1"]
    at = run_page(PAGES / "sales.py", user=rep, period_preset=PERIOD)
    keys = [s.key for s in at.selectbox]
    assert "sales_owner" not in keys
    assert {"sales_region", "sales_category"} <= set(keys)
    assert set(table(at, "owner_name")["owner_name"]) == {rep["display_name"]}
    leader = run_page(PAGES / "sales.py", period_preset=PERIOD)
    assert "sales_owner" in [s.key for s in leader.selectbox]
