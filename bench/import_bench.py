"""Import throughput: ``sales_order_lines`` rows/s (validation + write) on SQLite and PostgreSQL.

    .venv/bin/python -m bench.import_bench --lines 200000

Generates a CSV of N order lines (and the customers, products and orders they refer to,
imported first and not timed), imports it into a fresh store on each backend and prints
lines/s of wall-clock time, and lines per CPU-second (this process, plus the PostgreSQL
backend when the server runs on this machine): on a shared, busy machine the second figure
is the one that says what the importer costs. The data looks like a trader's order book: a
few thousand SKUs at list or negotiated prices, whole quantities with some fractional ones,
most lines undiscounted.
PostgreSQL uses the server at ``MIS_TEST_POSTGRES_URL`` (default: the machine's
127.0.0.1:5432, database test); each run creates and drops its own database.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from operational.db import init_schema, make_engine
from operational.importer import import_file

PG_ADMIN_URL = os.environ.get(
    "MIS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def make_files(folder: Path, lines: int, seed: int = 1) -> dict[str, Path]:
    rng = random.Random(seed)
    n_customers, n_products, n_orders = 2_000, 3_000, max(1, lines // 5)
    customers = [(f"C{i:05d}", f"Customer {i}", "company") for i in range(1, n_customers + 1)]
    prices = {}
    products = []
    for i in range(1, n_products + 1):
        cents = rng.randint(150, 500_000)
        prices[f"SKU-{i:05d}"] = cents
        products.append(
            (
                f"SKU-{i:05d}",
                f"Product {i}",
                "materials",
                "pcs",
                f"{cents / 100:.2f}",
                f"{cents * 0.7 / 100:.2f}",
            )
        )
    start = date(2024, 1, 1)
    orders, order_dates = [], []
    for i in range(1, n_orders + 1):
        d = start + timedelta(days=rng.randint(0, 700))
        order_dates.append(d)
        orders.append(
            (
                f"SO-{i:07d}",
                rng.choice(customers)[0],
                d.isoformat(),
                (d + timedelta(days=10)).isoformat(),
                "delivered",
            )
        )
    rows = []
    skus = list(prices)
    for k in range(lines):
        o = k // 5
        sku = rng.choice(skus)
        cents = prices[sku]
        if rng.random() < 0.2:  # negotiated price
            cents = cents * rng.choice((90, 92, 95, 97)) // 100
        qty = str(rng.randint(1, 200)) if rng.random() < 0.9 else f"{rng.randint(1, 400) / 4:.2f}"
        discount = "0" if rng.random() < 0.7 else rng.choice(("0.02", "0.05", "0.08", "0.1"))
        promised = "" if rng.random() < 0.8 else (order_dates[o] + timedelta(days=14)).isoformat()
        rows.append(
            (
                f"SO-{o + 1:07d}",
                k % 5 + 1,
                sku,
                qty,
                f"{cents // 100}.{cents % 100:02d}",
                discount,
                "0.13",
                promised,
            )
        )
    return {
        "customers": write_csv(
            folder / "customers.csv", ["customer_code", "name", "kind"], customers
        ),
        "products": write_csv(
            folder / "products.csv",
            ["sku", "name", "category", "unit", "list_price", "standard_cost"],
            products,
        ),
        "sales_orders": write_csv(
            folder / "sales_orders.csv",
            ["order_no", "customer_code", "order_date", "promised_date", "status"],
            orders,
        ),
        "sales_order_lines": write_csv(
            folder / "sales_order_lines.csv",
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
            rows,
        ),
    }


def _backend_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds of this database's PostgreSQL backends, when the server runs on this
    machine (read from /proc); empty otherwise."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        pids = (
            conn.execute(
                text("select pid from pg_stat_activity where datname = current_database()")
            )
            .scalars()
            .all()
        )
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return {}
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def run(url: str, files: dict[str, Path]) -> float:
    engine = make_engine(url)
    init_schema(engine)
    try:
        for entity in ("customers", "products", "sales_orders"):
            import_file(engine=engine, entity=entity, path=files[entity])
        server = _backend_cpu(engine)
        cpu, t = time.process_time(), time.perf_counter()
        report = import_file(
            engine=engine, entity="sales_order_lines", path=files["sales_order_lines"]
        )
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        after = _backend_cpu(engine)
        server_cpu = sum(v - server.get(pid, 0.0) for pid, v in after.items())
        assert report.imported == report.rows
        again = import_file(
            engine=engine, entity="sales_order_lines", path=files["sales_order_lines"]
        )
        assert again.imported == 0 and again.unchanged == report.rows
        used = cpu + server_cpu
        server_note = f" + server {server_cpu:.2f} s" if after else ""
        print(
            f"  {engine.dialect.name:<10} {report.rows:>9,} lines in {seconds:6.2f} s = "
            f"{report.rows / seconds:>9,.0f} lines/s wall; CPU {cpu:.2f} s{server_note} = "
            f"{report.rows / used:,.0f} lines/CPU-s (re-import, all unchanged: "
            f"{again.seconds:.2f} s)"
        )
        return report.rows / seconds
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = make_files(folder, args.lines)
        load = os.getloadavg()[0]
        print(
            f"sales_order_lines import, {args.lines:,} lines (validation + write); "
            f"{os.cpu_count()} CPUs, load average {load:.1f}:"
        )
        if "sqlite" in args.backends:
            run(f"sqlite:///{folder / 'bench.sqlite'}", files)
        if "postgresql" in args.backends:
            name = f"mis_bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'create database "{name}"'))
            try:
                run(make_url(PG_ADMIN_URL).set(database=name).render_as_string(False), files)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'drop database if exists "{name}" with (force)'))
                admin.dispose()


if __name__ == "__main__":
    main()
