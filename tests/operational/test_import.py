"""Bulk import (``operational.importer``, ``mis import``) on SQLite and PostgreSQL.

A small trading history is written as CSV and as XLSX, imported entity by entity, then
imported again (nothing may change). The other tests break one rule each and check that the
file is refused with (row, column, reason) and that no table gained a row.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from mis_cli.import_cmd import import_command
from operational.importer import ENTITIES, ImportRejected, import_file
from operational.importer import fields as f
from operational.importer.fields import EMPTY, Bad, Column
from operational.services import receive_stock

D = Decimal
ORDER = (
    "customers",
    "suppliers",
    "products",
    "stock",
    "sales_orders",
    "sales_order_lines",
    "deliveries",
    "invoices",
    "payments",
)
HISTORY: dict[str, tuple[list[str], list[tuple[str, ...]]]] = {
    "customers": (
        [
            "customer_code",
            "name",
            "kind",
            "industry",
            "region",
            "grade",
            "credit_limit",
            "created_at",
        ],
        [
            (
                "C001",
                "恒筑建设",
                "company",
                "construction",
                "华东",
                "A",
                "50000.00",
                "2024-01-05 09:30",
            ),
            ("C002", "Li Wei", "person", "", "", "", "", ""),
        ],
    ),
    "suppliers": (["supplier_code", "name", "region"], [("S01", "Steel Mill", "North")]),
    "products": (
        [
            "sku",
            "name",
            "category",
            "unit",
            "list_price",
            "standard_cost",
            "reorder_point",
            "lead_time_days",
            "supplier_code",
        ],
        [
            ("SKU-1", "Rebar 12mm", "steel", "t", "4200.00", "3900.00", "5", "10", "S01"),
            ("SKU-2", "Cement", "cement", "bag", "30.5", "22", "", "", ""),
        ],
    ),
    "stock": (
        ["sku", "quantity", "as_of"],
        [("SKU-1", "10", "2024-01-01"), ("SKU-2", "200", "2024-01-01")],
    ),
    "sales_orders": (
        ["order_no", "customer_code", "order_date", "promised_date", "status"],
        [
            ("SO-1", "C001", "2024-02-01", "2024-02-10", "delivered"),
            ("SO-2", "C002", "2024-02-03", "", "confirmed"),
        ],
    ),
    "sales_order_lines": (
        [
            "order_no",
            "line_no",
            "sku",
            "quantity",
            "unit_price",
            "discount",
            "tax_rate",
            "promised_date",
        ],
        [
            ("SO-1", "1", "SKU-1", "2.5", "4100.00", "0.05", "0.13", ""),
            ("SO-1", "2", "SKU-2", "100", "30.50", "", "", "2024-02-08"),
            ("SO-2", "1", "SKU-2", "3", "29.99", "0.1", "0.13", ""),
        ],
    ),
    "deliveries": (
        ["order_no", "line_no", "quantity", "shipped_at", "delivered_at"],
        [
            ("SO-1", "1", "2.5", "2024-02-05 10:00", "2024-02-06 09:00"),
            ("SO-1", "2", "100", "2024-02-05 10:00", "2024-02-06 09:00"),
            ("SO-2", "1", "1", "2024-02-04T08:00:00", ""),
        ],
    ),
    "invoices": (
        ["invoice_no", "order_no", "issue_date", "due_date"],
        [("INV-1", "SO-1", "2024-02-07", "2024-03-07")],
    ),
    "payments": (
        ["payment_no", "invoice_no", "amount", "paid_at", "method"],
        [("P-1", "INV-1", "5000.00", "2024-02-20", "bank_transfer")],
    ),
}


# ---- helpers ------------------------------------------------------------------------------


def write_csv(
    path: Path, header: list[str], rows: list[tuple[Any, ...]], bom: bool = False
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _typed(value: str) -> Any:
    """What a spreadsheet cell would hold: numbers, dates and date-times, not text."""
    if value == "":
        return None
    for parse in (int, float):
        try:
            return parse(value)
        except ValueError:
            pass
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return value


def write_xlsx(path: Path, header: list[str], rows: list[tuple[Any, ...]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append([_typed(v) if isinstance(v, str) else v for v in r])
    wb.save(path)
    return path


def write(folder: Path, entity: str, header: list[str], rows: list[Any], fmt: str = "csv") -> Path:
    path = folder / f"{entity}.{fmt}"
    return (write_csv if fmt == "csv" else write_xlsx)(path, header, rows)


def run(engine: Engine, entity: str, path: Path, **kw: Any) -> Any:
    return import_file(engine=engine, entity=entity, path=path, **kw)


def import_history(
    engine: Engine, folder: Path, fmt: str = "csv", upto: str = "payments", skip: tuple = ()
) -> None:
    for entity in ORDER[: ORDER.index(upto) + 1]:
        if entity in skip:
            continue
        header, rows = HISTORY[entity]
        report = run(engine, entity, write(folder, entity, header, rows, fmt))
        assert (report.imported, report.unchanged) == (len(rows), 0), entity


def tables() -> dict[str, Any]:
    return {t.name: t for t in SQLModel.metadata.sorted_tables}


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in tables().items()
        }


def read(engine: Engine, table: str) -> list[Any]:
    t = tables()[table]
    with engine.connect() as conn:
        return list(conn.execute(select(t).order_by(t.c.id)))


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: [tuple(r) for r in read(engine, name)]
        for name in tables()
        if "id" in tables()[name].c
    }


def refused(engine: Engine, entity: str, path: Path) -> dict[tuple[int, str], str]:
    """Import a bad file: it must be refused with nothing written; (row, column) -> reason."""
    before = counts(engine)
    with pytest.raises(ImportRejected) as caught:
        run(engine, entity, path)
    assert counts(engine) == before
    found = {(e.row, e.column): e.reason for e in caught.value.errors}
    assert len(found) == len(caught.value.errors), "one error per cell"
    return found


def half_up(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


# ---- a whole history, from CSV and from XLSX ---------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_entity_imports_and_reimport_changes_nothing(
    store_engine: Engine, tmp_path: Path, fmt: str
) -> None:
    import_history(store_engine, tmp_path, fmt)
    n = counts(store_engine)
    assert {
        k: n[k]
        for k in (
            "customer",
            "supplier",
            "product",
            "sales_order",
            "sales_order_line",
            "delivery",
            "invoice",
            "invoice_line",
            "payment",
            "stock_movement",
            "stock_level",
            "audit_log",
        )
    } == {
        "customer": 2,
        "supplier": 1,
        "product": 2,
        "sales_order": 2,
        "sales_order_line": 3,
        "delivery": 3,
        "invoice": 1,
        "invoice_line": 2,
        "payment": 1,
        "stock_movement": 5,
        "stock_level": 2,
        "audit_log": 9,
    }
    c1, c2 = read(store_engine, "customer")
    assert (c1.code, c1.name, c1.kind, c1.grade, c1.credit_limit) == (
        "C001",
        "恒筑建设",
        "company",
        "A",
        D("50000.00"),
    )
    assert c1.created_at == datetime.fromisoformat("2024-01-05T01:30:00+00:00")  # 09:30 Shanghai
    assert (c2.kind, c2.industry, c2.grade, c2.credit_limit) == ("person", None, "C", D("0.00"))
    p1, p2 = read(store_engine, "product")
    assert (p2.list_price, p2.standard_cost, p2.reorder_point, p2.lead_time_days) == (
        D("30.50"),
        D("22.00"),
        D("0.000"),
        7,
    )
    assert p1.supplier_id == read(store_engine, "supplier")[0].id and p2.supplier_id is None
    lines = read(store_engine, "sales_order_line")
    assert [(x.net_amount, x.shipped_quantity, x.promised_date) for x in lines] == [
        (D("9737.50"), D("2.500"), None),
        (D("3050.00"), D("100.000"), date(2024, 2, 8)),
        (D("80.97"), D("1.000"), None),
    ]
    (inv,) = read(store_engine, "invoice")
    assert (inv.net_amount, inv.tax_amount, inv.gross_amount, inv.paid_amount) == (
        D("12787.50"),
        D("1662.38"),
        D("14449.88"),
        D("5000.00"),
    )
    levels = {s.product_id: s.on_hand for s in read(store_engine, "stock_level")}
    assert levels == {p1.id: D("7.500"), p2.id: D("99.000")}
    assert {o.status for o in read(store_engine, "sales_order")} == {"delivered", "confirmed"}
    assert all(x.reserved_quantity == 0 for x in lines)  # history reserves nothing
    assert {r.updated_by for r in read(store_engine, "payment")} == {f"import:payments.{fmt}"}
    audit = read(store_engine, "audit_log")
    assert [a.action for a in audit] == ["import"] * 9
    assert audit[-1].after["file"] == f"payments.{fmt}"
    assert (audit[-1].after["entity"], audit[-1].after["rows"]) == ("payments", 1)

    before = snapshot(store_engine)
    for entity in ORDER:
        report = run(store_engine, entity, tmp_path / f"{entity}.{fmt}")
        assert (report.imported, report.unchanged) == (0, len(HISTORY[entity][1])), entity
    assert snapshot(store_engine) == before  # counts, values, updated_at and version


def test_csv_with_bom_blank_rows_and_missing_optional_columns(
    store_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "\ufeffcustomer_code,name\r\nC1,First\r\n\r\n,,\r\nC2,Second\r\n", encoding="utf-8"
    )
    assert run(store_engine, "customers", path).imported == 2
    path.write_text("customer_code,name\nC3,Third\n\nC4,\n", encoding="utf-8")
    assert refused(store_engine, "customers", path) == {(4, "name"): "is required"}
    latin = tmp_path / "latin.csv"
    latin.write_bytes("customer_code,name\nC5,Ok\nC6,José\n".encode("latin-1"))
    assert refused(store_engine, "customers", latin) == {
        (3, ""): "latin.csv is not UTF-8 text (save it as 'CSV UTF-8')"
    }
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    found = refused(store_engine, "customers", broken)
    assert found[(1, "")].startswith("broken.xlsx is not a readable .xlsx workbook")


def test_unknown_and_missing_columns_are_refused_with_a_message(
    store_engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", ["customer_code", "nme", "grade"], [("C1", "x", "A")])
    found = refused(store_engine, "customers", path)
    assert set(found) == {(1, "nme"), (1, "name")}
    assert found[(1, "nme")].startswith("unknown column for customers; the columns are: ")
    assert "customer_code, name, kind" in found[(1, "nme")]
    assert found[(1, "name")] == "required column is missing from the header"


# ---- every kind of bad value --------------------------------------------------------------


def test_each_kind_of_bad_value_is_reported_and_nothing_is_written(
    store_engine: Engine, tmp_path: Path
) -> None:
    import_history(store_engine, tmp_path, upto="suppliers")
    header = HISTORY["products"][0]
    good = ["P-OK", "Good", "misc", "pcs", "1.00", "0.50", "", "", "S01"]

    def row(**change: str) -> list[str]:
        return [change.get(c, v) for c, v in zip(header, good, strict=True)]

    rows = [
        good,
        row(sku="P3", list_price="12.345"),
        row(sku="P4", standard_cost="NaN"),
        row(sku="P5", list_price="inf"),
        row(sku="P\u200b6"),  # zero-width space: looks like P6
        row(sku="P7", name="bad\x00name"),
        row(sku="P8", name="x" * 201),
        row(sku="P9", lead_time_days="ten"),
        row(sku="P10", supplier_code="NOPE"),
        row(sku=""),
        row(sku="P12", reorder_point="-1"),
        row(sku="P-OK"),
        row(sku="P14", list_price="1,5"),
        row(sku="P15", list_price="1e400"),
        row(sku="P 16"),
        [*good, "extra"],
    ]
    found = refused(store_engine, "products", write_csv(tmp_path / "p.csv", header, rows))
    assert found == {
        (3, "list_price"): "at most 2 decimal places (got '12.345')",
        (4, "standard_cost"): "must be a finite number (got 'NaN')",
        (5, "list_price"): "must be a finite number (got 'inf')",
        (6, "sku"): "may contain only letters, digits and . _ - / (no spaces or invisible "
        "characters) (got 'P\\u200b6')",
        (7, "name"): "must not contain control characters (such as NUL) (got 'bad\\x00name')",
        (8, "name"): f"at most 200 characters (got 201) (got {'x' * 40 + '…'!r})",
        (9, "lead_time_days"): "must be a whole number (got 'ten')",
        (10, "supplier_code"): "no supplier 'NOPE' in the store (import suppliers first)",
        (11, "sku"): "is required",
        (12, "reorder_point"): "must be at least 0 (got '-1')",
        (13, "sku"): "repeats the sku of row 2",
        (14, "list_price"): "must be a number (got '1,5')",
        (15, "list_price"): "must be at most 1E+15 (got '1e400')",
        (16, "sku"): "may contain only letters, digits and . _ - / (no spaces or invisible "
        "characters) (got 'P 16')",
        (17, ""): "has 10 cells but the header has 9 columns",
    }


def test_bad_dates_enums_quantities_and_references(store_engine: Engine, tmp_path: Path) -> None:
    import_history(store_engine, tmp_path, upto="sales_orders")
    header = HISTORY["sales_orders"][0]
    orders = [
        ("SO-3", "C001", "2024-02-30", "", "draft"),
        ("SO-4", "C001", "31/01/2024", "", "draft"),
        ("SO-5", "C001", "2024-03-01", "2024-02-01", "draft"),
        ("SO-6", "C001", "2024-03-01", "", "open"),
        ("SO-7", "C999", "2024-03-01", "", "draft"),
        ("SO-8", "C001", "2024-03-01 10:00", "", "draft"),
    ]
    found = refused(store_engine, "sales_orders", write_csv(tmp_path / "o.csv", header, orders))
    assert found == {
        (2, "order_date"): "must be a date as YYYY-MM-DD (got '2024-02-30')",
        (3, "order_date"): "must be a date as YYYY-MM-DD (got '31/01/2024')",
        (4, "promised_date"): "must not be before order_date",
        (5, "status"): "must be one of: draft, confirmed, shipped, delivered, cancelled "
        "(got 'open')",
        (6, "customer_code"): "no customer 'C999' in the store (import customers first)",
        (7, "order_date"): "must be a date as YYYY-MM-DD (got '2024-03-01 10:00')",
    }
    header = HISTORY["sales_order_lines"][0]
    lines = [
        ("SO-1", "1", "SKU-1", "0", "10.00", "", "", ""),
        ("SO-1", "2", "SKU-1", "1.0001", "10.00", "", "", ""),
        ("SO-1", "3", "SKU-1", "1", "10.00", "1.5", "", ""),
        ("SO-1", "4", "SKU-9", "1", "10.00", "", "", ""),
        ("SO-9", "1", "SKU-1", "1", "10.00", "", "", ""),
        ("SO-1", "0", "SKU-1", "1", "10.00", "", "", ""),
        ("SO-1", "7", "SKU-1", "1", "10.00", "", "", "2024-01-31"),
    ]
    found = refused(store_engine, "sales_order_lines", write_csv(tmp_path / "l.csv", header, lines))
    assert found == {
        (2, "quantity"): "must be greater than 0 (got '0')",
        (3, "quantity"): "at most 3 decimal places (got '1.0001')",
        (4, "discount"): "must be at most 1 (got '1.5')",
        (5, "sku"): "no product 'SKU-9' in the store (import products first)",
        (6, "order_no"): "no sales order 'SO-9' in the store (import sales_orders first)",
        (7, "line_no"): "must be between 1 and 99999 (got '0')",
        (8, "promised_date"): "must not be before the order's order_date",
    }


def test_a_changed_row_on_reimport_is_an_error(store_engine: Engine, tmp_path: Path) -> None:
    import_history(store_engine, tmp_path, upto="customers")
    header, rows = HISTORY["customers"]
    changed = [rows[0], ("C002", "Li Wei", "person", "", "", "B", "100.00", "")]
    before = snapshot(store_engine)
    found = refused(store_engine, "customers", write_csv(tmp_path / "c2.csv", header, changed))
    assert found == {
        (3, "grade"): "differs from existing record: the store has 'C', the file has 'B' "
        "(re-import does not change records)",
        (3, "credit_limit"): "differs from existing record: the store has 0.00, the file has "
        "100.00 (re-import does not change records)",
    }
    assert snapshot(store_engine) == before


def test_dry_run_checks_everything_and_writes_nothing(store_engine: Engine, tmp_path: Path) -> None:
    header, rows = HISTORY["customers"]
    report = run(
        store_engine, "customers", write_csv(tmp_path / "c.csv", header, rows), dry_run=True
    )
    assert (report.imported, report.unchanged, report.dry_run) == (2, 0, True)
    assert counts(store_engine)["customer"] == 0 and counts(store_engine)["audit_log"] == 0


# ---- derived values -----------------------------------------------------------------------


def test_order_line_net_amounts_are_exact(store_engine: Engine, tmp_path: Path) -> None:
    import_history(store_engine, tmp_path, upto="sales_orders")
    cases = [  # quantity, unit price, discount -> net (half-up per line, never banker's)
        ("1", "0.05", "0.5", "0.03"),
        ("7", "0.15", "0.5", "0.53"),
        ("3.333", "1.11", "0.1", "3.33"),
        ("0.001", "0.01", "0", "0.00"),
        ("2.675", "1", "0", "2.68"),
        ("1000000", "12345.67", "0.1234", "10822214322.00"),
        ("999999999", "999999.99", "0", "999999989000000.01"),
    ]
    header = HISTORY["sales_order_lines"][0]
    rows = [
        ("SO-2", str(k), "SKU-2", q, p, d, "0.13", "")
        for k, (q, p, d, _) in enumerate(cases, start=2)
    ]
    run(store_engine, "sales_order_lines", write_csv(tmp_path / "l.csv", header, rows))
    got = {x.line_no: x for x in read(store_engine, "sales_order_line")}
    for k, (q, p, d, net) in enumerate(cases, start=2):
        line = got[k]
        assert isinstance(line.net_amount, Decimal)
        assert line.net_amount == D(net) == half_up(D(q) * D(p) * (1 - D(d))), (q, p, d)
        assert (line.quantity, line.unit_price) == (D(q), D(p))


def test_connection_settings_are_restored_after_an_import(
    store_engine: Engine, tmp_path: Path
) -> None:
    """Order lines skip the per-row foreign-key checks (their references were read under
    lock); the connection goes back to the pool checking them again, also after a refusal."""
    import_history(store_engine, tmp_path, upto="sales_order_lines")
    header, rows = HISTORY["sales_order_lines"]
    refused(
        store_engine,
        "sales_order_lines",
        write_csv(tmp_path / "l.csv", header, [("SO-1", "9", "SKU-1", "1", "1.001", "", "", "")]),
    )
    sql = (
        "PRAGMA foreign_keys"
        if store_engine.dialect.name == "sqlite"
        else "show session_replication_role"
    )
    with store_engine.connect() as conn:
        assert conn.exec_driver_sql(sql).scalar() in (1, "origin")


# ---- stock and money rules ----------------------------------------------------------------


def _ledger(engine: Engine) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for m in sorted(read(engine, "stock_movement"), key=lambda m: (m.moved_at, m.id)):
        out[m.product_id].append(m)
    return out


def test_deliveries_write_the_ledger_and_never_take_stock_below_zero(
    store_engine: Engine, tmp_path: Path
) -> None:
    import_history(store_engine, tmp_path, upto="sales_order_lines", skip=("stock",))
    header = HISTORY["deliveries"][0]
    # SKU-2 has no opening stock yet: history cannot ship what was never there
    found = refused(
        store_engine,
        "deliveries",
        write_csv(tmp_path / "d0.csv", header, [("SO-2", "1", "1", "2024-02-04 08:00", "")]),
    )
    assert found[(2, "quantity")].startswith(
        "shipping 1.000 of SKU-2 on 2024-02-04 08:00:00 would take stock below zero "
        "(0.000 on hand); import opening stock for SKU-2"
    )
    stock_header = ["sku", "quantity", "as_of"]
    stock = write_csv(tmp_path / "s.csv", stock_header, [("SKU-2", "101.5", "2024-01-15")])
    run(store_engine, "stock", stock)
    deliveries = [  # out of time order on purpose: applied oldest first
        ("SO-1", "2", "100", "2024-02-05 10:00", "2024-02-06 09:00"),
        ("SO-2", "1", "1", "2024-02-04 08:00", ""),
        ("SO-2", "1", "1", "2024-02-06 08:00", ""),
    ]
    found = refused(
        store_engine,
        "deliveries",
        write_csv(
            tmp_path / "d1.csv", header, [*deliveries, ("SO-1", "2", "1", "2024-01-10 08:00", "")]
        ),
    )
    assert found == {
        (4, "quantity"): "shipping 1.000 of SKU-2 on 2024-02-06 08:00:00 would take stock "
        "below zero (0.500 on hand); import opening stock for SKU-2 (stock, as_of on or "
        "before that day) first",
        (5, "shipped_at"): "is before the latest stock movement of SKU-2 (2024-01-15 "
        "00:00:00): the stock ledger is kept in time order, so import history oldest first "
        "(opening stock, then deliveries)",
    }
    run(store_engine, "deliveries", write_csv(tmp_path / "d2.csv", header, deliveries[:2]))
    skus = {p.sku: p.id for p in read(store_engine, "product")}
    product = skus["SKU-2"]
    moves = _ledger(store_engine)[product]
    assert [(m.kind, m.quantity, m.balance_after) for m in moves] == [
        ("opening", D("101.500"), D("101.500")),
        ("shipment", D("-1.000"), D("100.500")),
        ("shipment", D("-100.000"), D("0.500")),
    ]
    assert [m.id for m in moves] == sorted(m.id for m in moves)  # ids follow time
    level = {s.product_id: s for s in read(store_engine, "stock_level")}[product]
    assert level.on_hand == sum(m.quantity for m in moves) == D("0.500")
    deliveries_by_id = {d.id: d for d in read(store_engine, "delivery")}
    for m in moves[1:]:
        assert m.reference_type == "delivery" and m.unit_cost == D("22.00")
        assert deliveries_by_id[m.reference_id].shipped_at == m.moved_at
    lines = read(store_engine, "sales_order_line")
    assert [x.shipped_quantity for x in lines] == [D("0.000"), D("100.000"), D("1.000")]
    # a line cannot ship more than it ordered, a draft order not at all
    found = refused(
        store_engine,
        "deliveries",
        write_csv(tmp_path / "d3.csv", header, [("SO-2", "1", "2.5", "2024-02-07 08:00", "")]),
    )
    assert found == {(2, "quantity"): "only 2.000 left to ship on line 1 of SO-2"}
    # an opening balance is a product's first movement: later, stock is adjusted instead
    with Session(store_engine) as session:
        receive_stock(
            session=session, product_id=skus["SKU-1"], quantity="3", unit_cost="1.00", actor="t"
        )
        session.commit()
    late = [("SKU-1", "5", "2024-01-15"), ("SKU-2", "101.5", "2024-01-16")]
    found = refused(store_engine, "stock", write_csv(tmp_path / "s2.csv", stock_header, late))
    assert found[(2, "as_of")].startswith("SKU-1 already has stock movements (the latest ")
    assert found[(2, "as_of")].endswith(
        "an opening balance is a product's first movement (correct stock with an adjustment "
        "instead)"
    )
    assert found[(3, "as_of")].startswith(
        "differs from existing record: the store has 2024-01-15, the file has 2024-01-16"
    )


def test_payments_refuse_overpayment(store_engine: Engine, tmp_path: Path) -> None:
    import_history(store_engine, tmp_path, upto="invoices")  # gross 14449.88
    header = HISTORY["payments"][0]
    rows = [
        ("P-3", "INV-1", "0.01", "2024-03-05", "cash"),  # listed first, paid last
        ("P-1", "INV-1", "10000.00", "2024-02-20", ""),
        ("P-2", "INV-1", "4449.88", "2024-03-01", "cheque"),
        ("P-4", "INV-1", "1.00", "2024-02-01", ""),
    ]
    found = refused(store_engine, "payments", write_csv(tmp_path / "p.csv", header, rows))
    assert found == {
        (2, "amount"): "0.01 is more than the 0.00 outstanding on INV-1",
        (5, "paid_at"): "is before INV-1 was issued (2024-02-07)",
    }
    run(store_engine, "payments", write_csv(tmp_path / "p2.csv", header, rows[1:3]))
    (inv,) = read(store_engine, "invoice")
    assert inv.paid_amount == inv.gross_amount == D("14449.88")
    assert [(p.payment_no, p.method) for p in read(store_engine, "payment")] == [
        ("P-1", "bank_transfer"),
        ("P-2", "cheque"),
    ]


def test_an_invoice_needs_something_delivered(store_engine: Engine, tmp_path: Path) -> None:
    import_history(store_engine, tmp_path, upto="deliveries")
    header = HISTORY["invoices"][0]
    found = refused(
        store_engine,
        "invoices",
        write_csv(
            tmp_path / "i.csv",
            header,
            [
                ("INV-0", "SO-1", "2024-02-05", "2024-03-05"),  # before anything arrived
                ("INV-2", "SO-2", "2024-03-01", "2024-02-01"),
            ],
        ),
    )
    assert found == {
        (2, "order_no"): "order SO-1 has nothing delivered by 2024-02-05 that is not "
        "invoiced yet (import its deliveries first)",
        (3, "due_date"): "must not be before issue_date",
    }


# ---- the command --------------------------------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("import")(import_command)

    @app.callback()
    def main() -> None:
        """mis"""

    return app


def test_the_command_prints_the_result_or_every_bad_row(
    store_url: str, store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from operational.settings import get_settings

    monkeypatch.setenv("MIS_DATABASE_URL", store_url)
    get_settings.cache_clear()
    runner = CliRunner()
    header, rows = HISTORY["customers"]
    good = write_csv(tmp_path / "customers.csv", header, rows)
    try:
        result = runner.invoke(_cli(), ["import", "customers", str(good), "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "would import 2 rows (0 unchanged) into customers (dry run" in result.output
        result = runner.invoke(_cli(), ["import", "customers", str(good)])
        assert result.exit_code == 0, result.output
        assert "imported 2 rows (0 unchanged) into customers" in result.output
        result = runner.invoke(_cli(), ["import", "customers", str(good)])
        assert "imported 0 rows (2 unchanged) into customers" in result.output
        bad = write_csv(tmp_path / "bad.csv", header, [("C9", "", "robot", "", "", "", "", "")])
        result = runner.invoke(_cli(), ["import", "customers", str(bad)])
        assert result.exit_code == 1
        assert "bad.csv: 2 problem(s) in 1 row(s)" in result.output
        assert "is required" in result.output and "must be one of" in result.output
        assert "nothing was imported into customers" in result.output
        result = runner.invoke(_cli(), ["import", "clients", str(good)])
        assert result.exit_code == 2 and "unknown entity 'clients'" in result.output
        result = runner.invoke(_cli(), ["import", "customers", str(tmp_path / "c.txt")])
        assert result.exit_code == 1 and "only .csv and .xlsx" in result.output
    finally:
        get_settings.cache_clear()
    assert counts(store_engine)["customer"] == 2


# ---- the column parsers (property tests) --------------------------------------------------

places2 = st.decimals(min_value=0, max_value=D("999999999999999.99"), places=2)
places3 = st.decimals(min_value=D("0.001"), max_value=D("1000000000"), places=3)


@settings(max_examples=200, deadline=None)
@given(places2)
def test_money_parser_round_trips_two_places(value: Decimal) -> None:
    for text in (str(value), f"{value:f}", f" {value} "):
        parsed = f.money(text)
        assert parsed == value and str(parsed) == f"{value:.2f}"


@settings(max_examples=200, deadline=None)
@given(places2, st.integers(min_value=1, max_value=9))
def test_money_parser_refuses_a_third_decimal(value: Decimal, digit: int) -> None:
    with pytest.raises(ValueError, match="at most 2 decimal places"):
        f.money(f"{value:.2f}{digit}")


@settings(max_examples=200, deadline=None)
@given(places3)
def test_quantity_parser_round_trips_three_places(value: Decimal) -> None:
    parsed = f.quantity(str(value))
    assert parsed == value and str(parsed) == f"{value:.3f}"
    with pytest.raises(ValueError):
        f.quantity(str(-value))


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=12)
    | st.sampled_from(
        ["NaN", "-inf", "Infinity", "sNaN", "1e999", "-0", "0.000", "1_000", "١٢", "+5", "5."]
    )
)
def test_money_and_quantity_parsers_accept_exact_values_or_say_why(text: str) -> None:
    for parse, places in ((f.money, 2), (f.quantity, 3)):
        try:
            value = parse(text)
        except ValueError as exc:
            assert str(exc)
            continue
        assert value.is_finite() and value >= 0 and not value.is_signed()
        assert value.as_tuple().exponent == -places


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["1", "2.50", "", "  ", "x", "3.001", "NaN", "7"]), max_size=30))
def test_a_cached_column_parser_gives_what_parsing_each_cell_gives(cells: list[str]) -> None:
    required = Column("q", f.money).parser()
    optional = Column("q", f.money, False, D("9.99")).parser()
    for parser in (required, optional):
        got = parser.values(cells)
        for cell, value in zip(cells, got, strict=True):
            if not cell.strip():
                assert value is EMPTY if parser is required else value == D("9.99")
            elif cell in ("x", "3.001", "NaN"):
                assert type(value) is Bad and parser.problems >= {cell}
            else:
                assert value == f.money(cell)


def test_every_entity_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "importing.md").read_text(encoding="utf-8")
    for name, spec in ENTITIES.items():
        assert f"| {name} |" in doc
        for column in spec.columns:
            assert column.name in doc, (name, column.name)
