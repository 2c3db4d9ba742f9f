"""The record page (one operational record, its related rows, its change history) and the
links that lead to it from the other pages' tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd
import pytest
from sqlalchemy import event, func
from sqlmodel import select

from tests.dashboards.conftest import DEMO_USERS, EXECUTIVE, PAGES, run_page, signed_in

RECORD = PAGES / "record.py"


def open_record(table: str | None, record_id: Any, *, lang: str = "en",
                user: dict[str, Any] = EXECUTIVE) -> Any:
    from streamlit.testing.v1 import AppTest

    at = signed_in(AppTest.from_file(str(RECORD), default_timeout=120), user)
    at.session_state["lang"] = lang
    if table is not None:
        at.query_params["table"] = table
    if record_id is not None:
        at.query_params["id"] = str(record_id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def target(url: str) -> tuple[str, dict[str, str], str]:
    """``/record?table=task&id=5&lang=en#Call back`` -> ("/record", {...}, "Call back")."""
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}, unquote(parts.fragment)


def frame_with(at: Any, *columns: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert found, f"no table with {columns}"
    return found[0]


@pytest.fixture(scope="module")
def busiest_customer(warehouse_home) -> dict[str, Any]:
    """The customer with the most orders, after one change made through the services."""
    from dashboards.forms import session
    from operational.models import Customer, SalesOrder
    from operational.services import update_customer

    with session() as s:
        customer_id, orders = s.exec(
            select(SalesOrder.customer_id, func.count()).group_by(SalesOrder.customer_id)
            .order_by(func.count().desc())).first()
        booked = s.exec(select(func.count()).where(SalesOrder.customer_id == customer_id,
                                                   SalesOrder.status != "cancelled")).one()
        customer = s.get(Customer, customer_id)
        before = customer.grade
        after = "A" if before != "A" else "B"
        update_customer(session=s, customer_id=customer_id, data={"grade": after},
                        expected_version=customer.version, actor="boss")
        return {"id": customer_id, "code": customer.code, "name": customer.name,
                "orders": orders, "booked": booked, "before": before, "after": after}


def test_customer_record_shows_name_orders_figures_and_change_history(busiest_customer):
    c = busiest_customer
    at = open_record("customer", c["id"])
    assert at.title[0].value == f"{c['code']} · {c['name']}"
    assert c["name"] in [x.value for x in at.text]  # the field list, as plain text
    figures = {m.label: m.value for m in at.metric}
    assert figures["Booked orders"] == str(c["booked"])
    assert figures["Lifetime sales"].startswith("¥")
    orders = frame_with(at, "order_no", "order_status")
    assert len(orders) == c["orders"]
    assert "sales_order_id" not in orders.columns  # link plumbing is not shown
    path, query, text = target(orders["order_no"].iloc[0])
    assert (path, query["table"]) == ("/record", "sales_order")
    from dashboards.forms import session
    from operational.models import SalesOrder

    with session() as s:
        assert s.get(SalesOrder, int(query["id"])).order_no == text
    history = frame_with(at, "rec_field", "rec_before", "rec_after")
    change = history.iloc[0]  # newest first
    assert (change["rec_field"], change["rec_before"], change["rec_after"]) == (
        "Grade", c["before"], c["after"])
    assert change["rec_action"] == "Changed"
    assert change["rec_changed_by"] == f"{DEMO_USERS['boss']['display_name']} (boss)"


def test_customer_record_in_chinese(busiest_customer):
    at = open_record("customer", busiest_customer["id"], lang="zh")
    assert at.caption[0].value == "客户"
    assert {"累计销售额", "有效订单数", "未收应收款"} <= {m.label for m in at.metric}
    assert "变更记录" in [h.value for h in at.subheader]
    history = frame_with(at, "rec_field")
    assert (history.iloc[0]["rec_field"], history.iloc[0]["rec_action"]) == ("等级", "修改")


def test_sales_order_record_shows_its_lines_and_customer(warehouse_home):
    from dashboards.forms import session
    from operational.models import Customer, Product, SalesOrder, SalesOrderLine

    with session() as s:
        order = s.exec(select(SalesOrder).where(SalesOrder.status == "delivered")
                       .order_by(SalesOrder.id.desc())).first()
        lines = s.exec(select(SalesOrderLine.line_no, Product.sku, SalesOrderLine.net_amount)
                       .join(Product, Product.id == SalesOrderLine.product_id)
                       .where(SalesOrderLine.sales_order_id == order.id)
                       .order_by(SalesOrderLine.line_no)).all()
        customer = s.get(Customer, order.customer_id)
    at = open_record("sales_order", order.id)
    assert at.title[0].value.replace("\\", "") == order.order_no
    shown = frame_with(at, "rec_line_no", "sku", "net_amount")
    assert [target(u)[2] for u in shown["sku"]] == [sku for _, sku, _ in lines]
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in shown["net_amount"]] == [
        net for _, _, net in lines]
    total = sum((net for *_, net in lines), Decimal("0.00"))
    assert {m.label: m.value for m in at.metric}["Net total"] == f"¥{total:,.2f}"
    links = " ".join(md.value for md in at.markdown)
    assert f"/record?table=customer&id={customer.id}&lang=en" in links


def test_every_kind_of_record_opens_with_readable_tables(warehouse_home):
    from dashboards import records
    from dashboards.forms import session
    from dashboards.labels import COLUMNS
    from dashboards.labels_record import FIELDS

    for table, spec in records.TABLES.items():
        with session() as s:
            newest = s.exec(select(func.max(spec.model.id))).one()
        at = open_record(table, newest)
        assert at.title[0].value != "Record", table
        assert at.caption[0].value == records_kind(table)
        for frame in at.dataframe:
            raw = [c for c in frame.value.columns if c not in COLUMNS]
            assert not raw, f"{table}: columns without a label: {raw}"
        for field in records.load(table, newest).fields:
            assert field.name in FIELDS, f"{table}.{field.name} has no label"


def records_kind(table: str) -> str:
    from dashboards.labels_record import LABELS

    return LABELS[f"record.kind.{table}"][0]


def test_record_page_without_a_store_says_so(empty_home):
    at = open_record("customer", 1)
    assert "operational store is not ready" in at.warning[0].value


BAD_LINKS = [
    ("no_such_table", "1", "This link does not point to a kind of record"),
    ("user_account", "1", "This link does not point to a kind of record"),  # not allow-listed
    ("customer; drop table customer", "1", "This link does not point to a kind of record"),
    ("customer", "1 or 1=1", "The record number in this link is not valid."),
    ("customer", "99999999", "There is no customer with id 99999999."),
    (None, None, "No record chosen."),
]


@pytest.mark.parametrize(("table", "record_id", "message"), BAD_LINKS)
def test_bad_links_explain_themselves_and_never_reach_sql(warehouse_home, table, record_id,
                                                          message):
    from dashboards import forms

    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(f"{statement} {parameters!r}")

    engine = forms.engine()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        at = open_record(table, record_id)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert at.title[0].value == "Record"
    assert message in at.info[0].value
    assert not at.dataframe
    for text in (table, record_id):
        if text and text not in ("customer", "99999999"):
            assert not [s for s in statements if text in s], statements
    if table != "customer" or record_id == "1 or 1=1":
        assert not [s for s in statements if "FROM customer" in s]


def test_sales_rep_sees_own_customers_only(busiest_customer):
    from dashboards.forms import session
    from operational.models import Customer

    rep = DEMO_USERS["sales1"]
    with session() as s:
        own = s.exec(select(Customer.id).where(Customer.owner_id == rep["employee_id"])).first()
        other = s.exec(select(Customer.id).where(Customer.owner_id != rep["employee_id"])).first()
    assert open_record("customer", own, user=rep).title[0].value != "Record"
    denied = open_record("customer", other, user=rep)
    assert not denied.dataframe
    assert "don't have access" in denied.error[0].value


def test_my_work_links_tasks_references_and_drafts_to_their_records(warehouse_home):
    from dashboards import forms
    from operational.models import Task

    with forms.session() as s:
        open_tasks = s.exec(select(Task).where(Task.status.in_(("open", "in_progress")),
                                               Task.assignee_id.is_not(None))).all()
        by_person: dict[int, list[Task]] = {}
        for task in open_tasks:
            by_person.setdefault(task.assignee_id, []).append(task)
        me = max(by_person, key=lambda p: sum(t.reference_type is not None
                                              for t in by_person[p]))
        tasks = {t.id: t for t in by_person[me]}
    assert any(t.reference_type for t in tasks.values())
    at = run_page(PAGES / "my_work.py", me=me)
    shown = frame_with(at, "title", "task_reference")
    assert len(shown) == len(tasks)
    assert not {"task_id", "reference_type", "reference_id"} & set(shown.columns)
    for title_url, ref_url in zip(shown["title"], shown["task_reference"], strict=True):
        path, query, text = target(title_url)
        task = tasks[int(query["id"])]
        assert (path, query["table"], text) == ("/record", "task", task.title)
        if task.reference_type is None:
            assert ref_url is None or pd.isna(ref_url)
        else:
            _, ref, _ = target(ref_url)
            assert (ref["table"], int(ref["id"])) == (task.reference_type, task.reference_id)
    drafts = forms.draft_orders(me)
    links = " ".join(md.value for md in at.markdown)
    for order in drafts[:20]:
        assert f"/record?table=sales_order&id={order['id']}&lang=en" in links


def test_tables_link_to_records_only_for_those_who_may_open_them(warehouse_home):
    boss = run_page(PAGES / "sales.py", period_preset="last_12_months")
    customers = frame_with(boss, "customer_code", "customer_name")
    from dashboards.forms import session
    from operational.models import Customer

    path, query, name = target(customers["customer_name"].iloc[0])
    assert (path, query["table"]) == ("/record", "customer")
    with session() as s:
        linked = s.get(Customer, int(query["id"]))
    assert (linked.code, linked.name) == (customers["customer_code"].iloc[0], name)
    analyst = run_page(PAGES / "sales.py", user=DEMO_USERS["analyst"],
                       period_preset="last_12_months")
    plain = frame_with(analyst, "customer_code", "customer_name")
    assert not plain["customer_name"].str.contains("/record").any()
    assert "customer_id" not in plain.columns


def test_table_links_show_urls_and_export_plain_values(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboards import components

    exported: list[pd.DataFrame] = []
    plain_export = components.export_frame

    def spy(df: pd.DataFrame) -> pd.DataFrame:
        out = plain_export(df)
        exported.append(out)
        return out

    monkeypatch.setattr(components, "export_frame", spy)

    def page() -> None:
        from decimal import Decimal

        import pandas as pd

        from dashboards import components as ui

        rows = pd.DataFrame({"order_no": ["SO-1", "SO/2 #b"], "sales_order_id": [12, None],
                             "net_amount": [Decimal("1.50"), Decimal("2.00")]})
        ui.table(rows, key="t", file_stem="orders", money=("net_amount",),
                 links={"order_no": ("sales_order", "sales_order_id")})

    at = signed_in(AppTest.from_function(page, default_timeout=60)).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["order_no", "net_amount"]
    assert shown["order_no"].tolist() == ["/record?table=sales_order&id=12&lang=en#SO-1",
                                          "SO/2 #b"]  # no id: the plain value, no link
    csv = exported[0].to_csv(index=False)
    assert csv.splitlines() == ["Order,Net amount", "SO-1,1.50", "SO/2 #b,2.00"]


def test_record_labels_have_both_languages_and_the_same_placeholders():
    import string

    from dashboards.labels_record import COLUMNS, FIELDS, LABELS

    for key, (en, zh) in {**LABELS, **FIELDS, **COLUMNS}.items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in (en, zh)]
        assert en and zh and fields[0] == fields[1], key
