"""Property tests: validators and money, including a round-trip to the cent on both backends."""

from __future__ import annotations

import itertools
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from operational import services as svc
from operational.models import Customer, Product, SalesOrderLine
from operational.services._core import line_net
from operational.validation import code, money, quantity, rate, text

from .conftest import ACTOR

cents = st.integers(min_value=0, max_value=10**17 - 1).map(lambda n: Decimal(n).scaleb(-2))
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(cents)
def test_money_accepts_cents_exactly(value: Decimal) -> None:
    assert money(value) == value
    assert money(str(value)) == value
    assert money(value).as_tuple().exponent == -2


@FAST
@given(st.decimals(allow_nan=False, allow_infinity=False, places=5, min_value=0, max_value=10**9))
def test_money_refuses_sub_cent_values(value: Decimal) -> None:
    if value == value.quantize(Decimal("0.01")):
        assert money(value) == value
    else:
        with pytest.raises(ValueError, match="at most 2 decimal places"):
            money(value)


@FAST
@given(
    st.one_of(
        st.floats(),
        st.just(Decimal("NaN")),
        st.just(Decimal("Infinity")),
        st.just(Decimal("-Infinity")),
        st.just(Decimal("sNaN")),
    )
)
def test_non_exact_numbers_are_refused(value: object) -> None:
    for fn in (money, quantity, rate):
        with pytest.raises(ValueError):
            fn(value)


@FAST
@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10, max_value=10**10)
)
def test_quantity_bounds(value: Decimal) -> None:
    if 0 < value <= 10**9:
        assert quantity(value) == value
    else:
        with pytest.raises(ValueError):
            quantity(value)


@FAST
@given(st.text(max_size=300))
def test_text_never_keeps_control_characters(value: str) -> None:
    try:
        out = text(value, max_length=200, required=False)
    except ValueError:
        assert len(value.strip()) > 200 or any(
            unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r" for c in value
        )
        return
    assert out is None or (out == value.strip() and 0 < len(out) <= 200)


@FAST
@given(st.text(min_size=1, max_size=25))
def test_codes_hold_no_invisible_or_space_characters(value: str) -> None:
    try:
        out = code(value, max_length=20)
    except ValueError:
        return
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Zs", "Zl", "Zp") for c in out)
    assert not any(c.isspace() for c in out)


@FAST
@given(
    st.decimals(min_value=Decimal("0.001"), max_value=10**6, places=3),
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.decimals(min_value=0, max_value=1, places=4),
)
def test_line_net_is_half_up_to_the_cent(q: Decimal, p: Decimal, d: Decimal) -> None:
    net = line_net(q, p, d)
    exact = Fraction(q) * Fraction(p) * (1 - Fraction(d))
    assert abs(Fraction(net) - exact) <= Fraction(1, 200)  # within half a cent
    expected = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    assert net == expected


_counter = itertools.count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amount=cents.filter(lambda v: v < Decimal("1e15")),
    price=st.decimals(min_value=0, max_value=10**7, places=2),
    qty=st.decimals(min_value=Decimal("0.001"), max_value=10**5, places=3),
)
def test_money_round_trips_to_the_cent(
    session: Session, amount: Decimal, price: Decimal, qty: Decimal
) -> None:
    n = next(_counter)
    c = svc.create_customer(
        session=session, data={"code": f"H{n}", "name": "h", "credit_limit": amount}, actor=ACTOR
    )
    p = session.get(Product, 1) or svc.create_product(
        session=session,
        actor=ACTOR,
        data={
            "sku": "HP",
            "name": "p",
            "category": "x",
            "unit": "pcs",
            "list_price": "1.00",
            "standard_cost": "1.00",
        },
    )
    o = svc.create_sales_order(
        session=session,
        actor=ACTOR,
        data={
            "customer_id": c.id,
            "order_date": "2025-03-03",
            "lines": [
                {"product_id": p.id, "quantity": qty, "unit_price": price, "discount": "0.0333"}
            ],
        },
    )
    session.commit()
    session.expire_all()
    assert session.get(Customer, c.id).credit_limit == amount
    line = session.exec(select(SalesOrderLine).where(SalesOrderLine.sales_order_id == o.id)).one()
    assert line.unit_price == price
    assert line.quantity == qty
    assert line.net_amount == line_net(qty, price, Decimal("0.0333"))
