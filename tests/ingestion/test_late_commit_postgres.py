"""A real late commit on PostgreSQL: the row's updated_at is its transaction's start (older
than the cursor the landing in between saw), and the next landing still picks it up."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session

from ingestion.duck import connect
from ingestion.landing import land
from operational.models import Customer


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_row_committed_after_a_landing_with_an_older_timestamp_lands_next(
    store_engine, store_url, tmp_path: Path
):
    with Session(store_engine) as s:
        s.add(Customer(code="C1", name="early", credit_limit=Decimal("1.00")))
        s.commit()
    duck = connect(tmp_path / "w.duckdb")

    late = Session(store_engine)
    late.add(Customer(code="C2", name="late", credit_limit=Decimal("2.00")))
    late.flush()  # the INSERT runs now: updated_at = now() = this transaction's start
    time.sleep(1.0)
    with Session(store_engine) as s:  # another writer commits after the late one began
        s.add(Customer(code="C3", name="in between", credit_limit=Decimal("3.00")))
        s.commit()
    first = land(duck, store_url)
    assert {t.table: t.landed for t in first.tables}["customer"] == 2  # C2 not committed yet
    cursor = duck.execute(
        "select cursor_at from meta.landing_state where table_name = 'customer'"
    ).fetchone()[0]
    late.commit()
    late.close()

    second = land(duck, store_url)
    assert {t.table: t.landed for t in second.tables}["customer"] == 1
    name, updated_at = duck.execute(
        "select name, updated_at from raw.customer where code = 'C2'"
    ).fetchone()
    assert name == "late"
    assert updated_at < cursor  # older than what the first landing had already seen
    duck.close()
