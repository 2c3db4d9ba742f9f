"""Column types shared by every table: exact decimals and the database's UTC clock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

MONEY_SCALE = 2
QTY_SCALE = 3
RATE_SCALE = 4


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(p, s) on PostgreSQL; canonical decimal text on SQLite.

    SQLite's NUMERIC affinity turns values into floats, so on SQLite the column is text and
    every value is written as a quantized ``Decimal`` string. Values with more places than
    the scale are refused, never rounded: rounding is a business rule, done in services.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = MONEY_SCALE) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("float is not accepted for exact decimal columns; pass Decimal or str")
        d = Decimal(value)
        if not d.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        q = d.quantize(Decimal(1).scaleb(-self.scale))
        if q != d:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return str(q) if dialect.name == "sqlite" else q

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).quantize(Decimal(1).scaleb(-self.scale))


def Money() -> ExactDecimal:  # noqa: N802 - reads like a type in column definitions
    return ExactDecimal(18, MONEY_SCALE)


def Quantity() -> ExactDecimal:  # noqa: N802
    return ExactDecimal(16, QTY_SCALE)


def Rate() -> ExactDecimal:  # noqa: N802
    return ExactDecimal(7, RATE_SCALE)


class utcnow(FunctionElement[Any]):  # noqa: N801 - SQL function name
    """The database server's clock: UTC text on SQLite, ``timestamptz`` on PostgreSQL."""

    type = DateTime()
    inherit_cache = True


@compiles(utcnow, "sqlite")
def _utcnow_sqlite(element: utcnow, compiler: Any, **kw: Any) -> str:
    return "strftime('%Y-%m-%d %H:%M:%f','now')"


@compiles(utcnow, "postgresql")
def _utcnow_postgresql(element: utcnow, compiler: Any, **kw: Any) -> str:
    # timestamptz; now() is the transaction's start: a long transaction commits rows
    # "in the past", which is why landing re-reads an overlap window.
    return "now()"


@compiles(utcnow)
def _utcnow_default(element: utcnow, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"
