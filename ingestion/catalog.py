"""What lands: the operational tables and the warehouse type of each column."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Table
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from operational.types import ExactDecimal

# Secrets and bookkeeping never leave the operational store.
NOT_LANDED = frozenset({"user_account", "audit_log", "idempotency_key", "alembic_version"})


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: dict[str, str]  # column -> DuckDB type, in table order
    key: str = "id"
    cursor: str = "updated_at"
    money_columns: tuple[str, ...] = ()
    date_column: str | None = None  # business date for per-day reconciliation


def duck_type(column_type: object) -> str:
    if isinstance(column_type, ExactDecimal):
        return f"DECIMAL({column_type.precision},{column_type.scale})"
    if isinstance(column_type, TypeDecorator):  # e.g. SQLModel's UTCDateTime
        return duck_type(column_type.impl_instance)
    if isinstance(column_type, Boolean):
        return "BOOLEAN"
    if isinstance(column_type, DateTime):
        return "TIMESTAMP"
    if isinstance(column_type, Date):
        return "DATE"
    if isinstance(column_type, Integer):
        return "BIGINT"
    if isinstance(column_type, JSON):
        return "VARCHAR"
    return "VARCHAR"


def _spec(table: Table) -> TableSpec:
    columns = {c.name: duck_type(c.type) for c in table.columns}
    money = tuple(
        c.name
        for c in table.columns
        if isinstance(c.type, ExactDecimal) and c.type.scale == 2
    )
    dates = [c.name for c in table.columns if isinstance(c.type, Date)]
    return TableSpec(
        name=table.name,
        columns=columns,
        money_columns=money,
        date_column=dates[0] if dates else None,
    )


def landed_tables() -> list[TableSpec]:
    import operational.models  # noqa: F401 - registers every table

    return [
        _spec(t)
        for t in SQLModel.metadata.sorted_tables
        if t.name not in NOT_LANDED and "updated_at" in t.c
    ]
