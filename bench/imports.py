"""Import: the spreadsheets a business moves in with (``operational.importer``), as CSV files
exported from a seeded store, imported into an empty store, in the order a migration would."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from operational.db import init_schema, make_engine

# entity -> query on the seeded store giving the file's columns (natural keys, no ids)
EXPORTS: dict[str, str] = {
    "customers": """
        select code as customer_code, name, kind, industry, region, grade, credit_limit
        from customer order by id
    """,
    "suppliers": "select code as supplier_code, name, region from supplier order by id",
    "products": """
        select p.sku, p.name, p.category, p.unit, p.list_price, p.standard_cost,
               p.reorder_point, p.lead_time_days, s.code as supplier_code
        from product as p left join supplier as s on s.id = p.supplier_id
        order by p.id
    """,
    "sales_orders": """
        select o.order_no, c.code as customer_code, o.order_date, o.promised_date, o.status
        from sales_order as o join customer as c on c.id = o.customer_id
        order by o.id
    """,
    "sales_order_lines": """
        select o.order_no, l.line_no, p.sku, l.quantity, l.unit_price, l.discount, l.tax_rate,
               l.promised_date
        from sales_order_line as l
        join sales_order as o on o.id = l.sales_order_id
        join product as p on p.id = l.product_id
        order by l.id
    """,
}
LINES = "sales_order_lines"


def export_files(store_url: str, folder: Path) -> dict[str, int]:
    """Write one CSV per entity from the store; return rows per file."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(store_url)
    counts = {}
    try:
        with engine.connect() as conn:
            for entity, sql in EXPORTS.items():
                result = conn.execute(text(sql))
                with (folder / f"{entity}.csv").open("w", newline="", encoding="utf-8") as fh:
                    out = csv.writer(fh)
                    out.writerow(result.keys())
                    n = 0
                    for row in result:
                        out.writerow("" if v is None else v for v in row)
                        n += 1
                counts[entity] = n
    finally:
        engine.dispose()
    return counts


def import_files(store_url: str, folder: Path) -> dict[str, Any]:
    """Import every exported file, in order, into the (empty) store; seconds per file."""
    from operational.importer import import_file

    engine = make_engine(store_url)
    try:
        init_schema(engine)
        out: dict[str, Any] = {}
        for entity in EXPORTS:
            t0 = time.perf_counter()
            report = import_file(engine=engine, entity=entity, path=folder / f"{entity}.csv")
            out[entity] = {"rows": report.rows, "imported": report.imported,
                           "seconds": time.perf_counter() - t0}
        return out
    finally:
        engine.dispose()
