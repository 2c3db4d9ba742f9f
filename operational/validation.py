"""Shared validators for service inputs: text, codes, money, quantities, rates, dates.

Policy (one place, so forms and services agree):

- Money: ``Decimal`` or numeric string, never ``float``; finite; at most 2 places; below
  10^15. Quantities: at most 3 places, > 0, at most 10^9. Rates: 0..1, at most 4 places.
  Too many places are refused, not rounded (rounding is a business rule done in services).
- Free text is kept exactly as typed (after trimming the ends): quotes, ``;``, ``--`` and
  ``<script>`` are plain text (the store binds parameters; dashboards escape on output).
  NUL and other C0/C1 control characters (except tab and newline) are refused. Bidi and
  zero-width characters are *allowed* in free text: Arabic/Hebrew names and emoji need them.
- Codes (customer code, SKU, document numbers) are identifiers people type and search:
  letters, digits and ``. _ - /`` only, starting with a letter or digit. Bidi, zero-width and
  whitespace characters are refused there, since two codes that look the same must be equal.
- Required text must have a non-space character; every text has a length limit.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator

MAX_MONEY = Decimal("1e15")
MAX_QUANTITY = Decimal("1e9")
_CODE_RE = re.compile(r"^[^\W_][\w./-]*$")
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("must be a finite number")
        raise ValueError("must be an exact decimal (text or Decimal), not a float")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError("must be a number") from None
    if not isinstance(value, Decimal):
        raise ValueError("must be a number")
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


def _places(value: Decimal) -> int:
    exp = value.normalize().as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def check_decimal(
    value: Any,
    *,
    places: int,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    exclusive_minimum: bool = False,
) -> Decimal:
    d = _to_decimal(value)
    if _places(d) > places:
        raise ValueError(f"at most {places} decimal places")
    if minimum is not None and (d <= minimum if exclusive_minimum else d < minimum):
        raise ValueError(f"must be {'greater than' if exclusive_minimum else 'at least'} {minimum}")
    if maximum is not None and d > maximum:
        raise ValueError(f"must be at most {maximum}")
    # Keep the canonical scale so equality and storage are stable ("10" -> "10.00").
    return d.quantize(Decimal(1).scaleb(-places)) if places else d


def money(value: Any) -> Decimal:
    return check_decimal(value, places=2, minimum=Decimal(0), maximum=MAX_MONEY)


def positive_money(value: Any) -> Decimal:
    return check_decimal(
        value, places=2, minimum=Decimal(0), exclusive_minimum=True, maximum=MAX_MONEY
    )


def quantity(value: Any) -> Decimal:
    return check_decimal(
        value, places=3, minimum=Decimal(0), exclusive_minimum=True, maximum=MAX_QUANTITY
    )


def signed_quantity(value: Any) -> Decimal:
    d = check_decimal(value, places=3, minimum=-MAX_QUANTITY, maximum=MAX_QUANTITY)
    if d == 0:
        raise ValueError("must not be zero")
    return d


def rate(value: Any) -> Decimal:
    return check_decimal(value, places=4, minimum=Decimal(0), maximum=Decimal(1))


def _check_chars(value: str) -> None:
    for ch in value:
        if ch in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(ch) == "Cc":
            raise ValueError("must not contain control characters (such as NUL)")
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        raise ValueError("must not contain unpaired surrogates")


def text(value: Any, *, max_length: int, required: bool) -> str | None:
    if value is None:
        if required:
            raise ValueError("is required")
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    _check_chars(value)
    cleaned = value.strip()
    if not cleaned:
        if required:
            raise ValueError("must not be empty")
        return None
    if len(cleaned) > max_length:
        raise ValueError(f"at most {max_length} characters (got {len(cleaned)})")
    return cleaned


def code(value: Any, *, max_length: int) -> str:
    cleaned = text(value, max_length=max_length, required=True)
    assert cleaned is not None
    if not _CODE_RE.match(cleaned):
        raise ValueError(
            "may contain only letters, digits and . _ - / (no spaces or invisible characters)"
        )
    return cleaned


def choice(value: Any, *, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"must be one of: {', '.join(options)}")
    return str(value)


def to_utc(value: Any) -> datetime:
    """An aware UTC datetime. Naive values are read as company-timezone wall-clock time
    (what a person typing into a form means), then converted."""
    if not isinstance(value, datetime):
        raise ValueError("must be a date and time")
    if value.utcoffset() is None:
        from operational.settings import get_settings

        value = value.replace(tzinfo=ZoneInfo(get_settings().timezone))
    return value.astimezone(UTC)


def date_order(start: date | None, end: date | None) -> bool:
    """True when both are set and ``end`` is before ``start``."""
    return start is not None and end is not None and end < start


def _text(max_length: int, required: bool) -> Any:
    return BeforeValidator(lambda v: text(v, max_length=max_length, required=required))


def _code(max_length: int) -> Any:
    return BeforeValidator(lambda v: code(v, max_length=max_length))


Money = Annotated[Decimal, BeforeValidator(money)]
PositiveMoney = Annotated[Decimal, BeforeValidator(positive_money)]
Quantity = Annotated[Decimal, BeforeValidator(quantity)]
SignedQuantity = Annotated[Decimal, BeforeValidator(signed_quantity)]
Rate = Annotated[Decimal, BeforeValidator(rate)]
Code20 = Annotated[str, _code(20)]
Code30 = Annotated[str, _code(30)]
Code40 = Annotated[str, _code(40)]
Text40 = Annotated[str, _text(40, True)]
Text60 = Annotated[str, _text(60, True)]
Text100 = Annotated[str, _text(100, True)]
Text200 = Annotated[str, _text(200, True)]
OptText40 = Annotated[str | None, _text(40, False)]
OptText60 = Annotated[str | None, _text(60, False)]
OptText100 = Annotated[str | None, _text(100, False)]
OptText200 = Annotated[str | None, _text(200, False)]
OptText400 = Annotated[str | None, _text(400, False)]
OptText1000 = Annotated[str | None, _text(1000, False)]
OptText2000 = Annotated[str | None, _text(2000, False)]
OptText4000 = Annotated[str | None, _text(4000, False)]
Actor = Annotated[str, _text(80, True)]
Timestamp = Annotated[datetime, AfterValidator(to_utc)]
Id = Annotated[int, AfterValidator(lambda v: _positive_id(v))]


def _positive_id(value: int) -> int:
    if value <= 0:
        raise ValueError("must be a positive id")
    return value


def check_actor(actor: Any) -> str:
    """The ``actor`` every service records; refused like any other field."""
    from operational.errors import ValidationFailed

    try:
        cleaned = text(actor, max_length=80, required=True)
    except ValueError as exc:
        raise ValidationFailed({"actor": str(exc)}) from None
    assert cleaned is not None
    return cleaned


def check_field(field: str, fn: Any, value: Any, **kw: Any) -> Any:
    """Run one validator on a plain argument, turning ``ValueError`` into ``ValidationFailed``."""
    from operational.errors import ValidationFailed

    try:
        return fn(value, **kw)
    except ValueError as exc:
        raise ValidationFailed({field: str(exc)}) from None
