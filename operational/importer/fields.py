"""Column parsers: the rules of ``operational/validation.py`` applied to one cell.

Forms and imports refuse the same values with the same words: money with three decimals,
NaN and infinity, codes with spaces, control or zero-width characters, text over its length,
values outside an enumeration. Each parser takes a raw cell (text, or a date cell from
XLSX) that is not empty and returns the value to store, or raises ``ValueError``.

``Column.parser()`` wraps a parser with a per-import cache: business files repeat the same
codes, prices, rates and dates on many rows, and parsing a value once keeps validation of
hundreds of thousands of rows within the throughput the importer promises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from operational import validation
from operational.settings import get_settings

Parser = Callable[[Any], Any]
EMPTY: Any = object()  # the cell was empty (or only spaces)


class Bad:
    """A cached refusal: the reason the value was refused."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass(frozen=True)
class Column:
    """One file column: its parser, and what an empty cell means."""

    name: str
    parse: Parser
    required: bool = True
    default: Any = None

    def parser(self) -> ColumnParser:
        return ColumnParser(self)


class ColumnParser:
    """Parses a column's cells, each distinct raw value once (a cache per import).

    ``values(raw_cells)`` returns the parsed values: an empty cell of an optional column
    becomes its default; an empty cell of a required column comes out as ``EMPTY`` and a
    refused one as ``Bad``. ``problems`` holds the raw values that gave either, so a caller
    can skip looking for them in a chunk that has none.
    """

    def __init__(self, column: Column) -> None:
        self.column = column
        self.cache: dict[Any, Any] = {}
        self.problems: set[Any] = set()

    def one(self, raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.column.required:
                self.problems.add(raw)
                return EMPTY
            return self.column.default
        try:
            return self.column.parse(raw)
        except ValueError as exc:
            self.problems.add(raw)
            return Bad(f"{exc} (got {_show(raw)})")

    def values(self, raw_cells: Sequence[Any]) -> list[Any]:
        cache = self.cache
        for raw in set(raw_cells).difference(cache):
            cache[raw] = self.one(raw)
        return list(map(cache.__getitem__, raw_cells))


def _show(raw: Any) -> str:
    text = raw.isoformat() if isinstance(raw, date) else str(raw)
    shown = repr(text[:40] + ("…" if len(text) > 40 else ""))
    return shown


# --- text and codes --------------------------------------------------------------------


_PLAIN_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*\Z")


def code(max_length: int) -> Parser:
    """``validation.code``, with a shortcut for the common case of a plain ASCII code, which
    that rule accepts unchanged (it only needs its character-by-character checks, which cost
    more than anything else here, for text that is not plain ASCII)."""

    def parse(v: Any) -> str:
        if isinstance(v, str) and len(v) <= max_length and _PLAIN_CODE.match(v):
            return v
        return validation.code(v, max_length=max_length)

    return parse


def text(max_length: int) -> Parser:
    return lambda v: validation.text(v, max_length=max_length, required=True)


def choice(options: tuple[str, ...]) -> Parser:
    return lambda v: validation.choice(v.strip() if isinstance(v, str) else v, options=options)


_INT = re.compile(r"^[+-]?\d{1,12}$")


def integer(minimum: int, maximum: int) -> Parser:
    def parse(v: Any) -> int:
        s = v.strip() if isinstance(v, str) else ""
        if not _INT.match(s):
            raise ValueError("must be a whole number")
        n = int(s)
        if not minimum <= n <= maximum:
            raise ValueError(f"must be between {minimum} and {maximum}")
        return n

    return parse


# --- numbers (the validators of operational/validation.py, text in) ---------------------


def _plus_zero(check: Callable[[Any], Decimal]) -> Callable[[Any], Decimal]:
    # "-0.00" passes a minimum of 0; store it as "0.00" (adding 0 drops the sign only).
    return lambda v: check(v) + 0


money = _plus_zero(validation.money)
positive_money = _plus_zero(validation.positive_money)
quantity = _plus_zero(validation.quantity)
rate = _plus_zero(validation.rate)
nonnegative_quantity = _plus_zero(
    lambda v: validation.check_decimal(
        v, places=3, minimum=Decimal(0), maximum=validation.MAX_QUANTITY
    )
)


# --- dates and times ---------------------------------------------------------------------


def day(v: Any) -> date:
    """An ISO date (``2025-03-31``); an XLSX date cell; not a date with a time of day."""
    if isinstance(v, datetime):
        if v.time() != datetime.min.time():
            raise ValueError("must be a date without a time of day")
        return v.date()
    if isinstance(v, date):
        return v
    s = v.strip()
    if len(s) != 10:
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise ValueError("must be a date as YYYY-MM-DD") from None


_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]|\Z)")


def instant(v: Any) -> datetime:
    """An ISO date and time (``2025-03-31 14:05``, ``T`` or a space, optional seconds and
    UTC offset) as aware UTC. Without an offset it is company-timezone wall-clock time; a
    bare date means the start of that day there."""
    if isinstance(v, datetime):
        return validation.to_utc(v)
    if isinstance(v, date):
        return validation.to_utc(datetime(v.year, v.month, v.day))
    s = v.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        if not _ISO_START.match(s):
            raise ValueError
        parsed = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError("must be a date and time as YYYY-MM-DD HH:MM[:SS]") from None
    return validation.to_utc(parsed)


def local_day(v: Any) -> date:
    """A date, or a date and time read as the company-calendar day it falls on."""
    if isinstance(v, str) and len(v.strip()) == 10:
        return day(v)
    if isinstance(v, date) and not isinstance(v, datetime):
        return v
    return instant(v).astimezone(company_tz()).date()


def company_tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def company_today() -> date:
    return datetime.now(company_tz()).date()


def start_of_day(d: date) -> datetime:
    """Midnight of a company-calendar day, as aware UTC."""
    return datetime(d.year, d.month, d.day, tzinfo=company_tz()).astimezone(UTC)


# --- storage text (what ExactDecimal and SQLAlchemy's date types write) -------------------


def ts_text(v: datetime | None) -> str | None:
    """Aware datetime -> naive-UTC text (SQLite stores it; PostgreSQL reads it in UTC)."""
    if v is None:
        return None
    return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def date_text(v: date | None) -> str | None:
    return None if v is None else v.isoformat()


def dec_text(v: Decimal) -> str:
    """Canonical decimal text; ``-0.00`` is written ``0.00``."""
    return str(v) if v else str(abs(v))


def past(parse: Parser) -> Parser:
    """History only: a moment or day that is not in the future."""

    def run(v: Any) -> Any:
        value = parse(v)
        if isinstance(value, datetime):
            if value > datetime.now(UTC):
                raise ValueError("must not be in the future")
        elif value > company_today():
            raise ValueError("must not be after today")
        return value

    return run
