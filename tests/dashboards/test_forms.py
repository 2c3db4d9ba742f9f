"""The staff forms under AppTest: errors beside their fields, one record per submit.

(Every other form of the New records page: ``test_forms_all.py``.)
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import func, select

from tests.dashboards.conftest import PAGES, below, run_page

ENTRY = PAGES / "entry.py"
USER = {"username": "boss", "display_name": "Boss", "role": "executive", "department": None,
        "employee_id": None}


def page():
    return run_page(ENTRY, user=USER)


def record_link(table: str, record_id: int, number: str) -> str:
    from dashboards.form_views_kit import md
    from dashboards.links import record_url

    return f"[{md(number)}]({record_url(table, record_id, lang='en')})"


def count(model) -> int:
    from dashboards.forms import session as session_scope

    with session_scope() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_empty_customer_name_shows_under_name_and_saves_nothing(store_home):
    from operational.models import Customer

    before = count(Customer)
    at = page()
    at.text_input(key="cu_name").set_value("   ")
    at.button(key="cu_submit").click().run()
    assert not at.exception
    error = below(at, "cu_name")
    assert error is not None and error.type == "error"  # the element right under "Name"
    assert error.value == "Required"
    assert not at.success
    assert count(Customer) == before


def test_valid_customer_is_created_once(store_home):
    from dashboards.forms import session as session_scope
    from operational.models import Customer

    before = count(Customer)
    at = page()
    code = at.text_input(key="cu_code").value
    assert code  # suggested from the existing codes
    at.text_input(key="cu_name").set_value("上海申达建材有限公司")
    at.text_input(key="cu_region").set_value("East")
    at.button(key="cu_submit").click().run()
    at.button(key="cu_submit").click().run()  # a double submit replays, never duplicates
    assert count(Customer) == before + 1
    with session_scope() as s:
        row = s.exec(select(Customer).where(Customer.code == code)).one()
        assert (row.name, row.region) == ("上海申达建材有限公司", "East")
        assert row.updated_by == "boss"  # the signed-in user
    assert [s.value for s in at.success] == [
        f"Customer {record_link('customer', row.id, code)} saved: 上海申达建材有限公司."]


def test_order_without_customer_shows_error_under_customer(store_home):
    from operational.models import SalesOrder

    before = count(SalesOrder)
    at = page()
    at.selectbox(key="so_0_product").select_index(1).run()
    at.number_input(key="so_0_qty").set_value(2.0).run()
    at.button(key="so_submit").click().run()
    error = below(at, "so_customer")
    assert error is not None and error.type == "error"
    assert error.value == "Choose one from the list"
    assert count(SalesOrder) == before


def test_zero_quantity_error_is_under_that_lines_quantity(store_home):
    at = page()
    at.selectbox(key="so_customer").select_index(1).run()
    at.button(key="so_add").click().run()
    for i in (0, 1):
        at.selectbox(key=f"so_{i}_product").select_index(i + 1).run()
    at.number_input(key="so_0_qty").set_value(1.0).run()
    at.button(key="so_submit").click().run()
    assert below(at, "so_0_qty") is None  # line 1 is fine: nothing under its quantity
    error = below(at, "so_1_qty")
    assert error.type == "error" and error.value == "must be greater than 0"


def test_valid_order_creates_exactly_one_order_with_the_right_net(store_home):
    from dashboards import forms
    from dashboards.forms import session as session_scope
    from operational.models import SalesOrder, SalesOrderLine

    before = count(SalesOrder)
    at = page()
    at.selectbox(key="so_customer").select_index(3).run()
    at.button(key="so_add").click().run()
    products = forms.product_choices()
    first, second = list(products)[:2]
    at.selectbox(key="so_0_product").select(first).run()
    at.selectbox(key="so_1_product").select(second).run()
    # choosing a product fills in its list price
    assert Decimal(str(at.number_input(key="so_0_price").value)) == products[first]["list_price"]
    at.number_input(key="so_0_qty").set_value(7.5).run()
    at.number_input(key="so_0_disc").set_value(3.0).run()
    at.number_input(key="so_1_qty").set_value(12.0).run()
    at.number_input(key="so_1_price").set_value(19.99).run()
    at.number_input(key="so_1_disc").set_value(12.5).run()

    def net(q: str, p: Decimal, d: str) -> Decimal:
        value = Decimal(q) * p * (1 - Decimal(d))
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    want = net("7.5", products[first]["list_price"], "0.03") + net("12", Decimal("19.99"), "0.125")
    at.button(key="so_submit").click().run()
    at.button(key="so_submit").click().run()  # double submit: same record
    assert not at.error, [e.value for e in at.error]
    assert count(SalesOrder) == before + 1
    with session_scope() as s:
        order = s.exec(select(SalesOrder).order_by(SalesOrder.id.desc())).first()
        lines = s.exec(
            select(SalesOrderLine).where(SalesOrderLine.sales_order_id == order.id)).all()
    total = sum((line.net_amount for line in lines), Decimal("0.00"))
    assert isinstance(total, Decimal) and total == want
    assert len(lines) == 2 and order.status == "draft"
    from dashboards import fmt

    assert [s.value for s in at.success] == [
        f"Sales order {record_link('sales_order', order.id, order.order_no)} saved as draft: "
        f"net {fmt.money(want)}."
    ]
