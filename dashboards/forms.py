"""Staff forms: new customer and new sales order, written through the operational services.

The only module of the dashboards that opens an operational session: it reads the choices a
form offers (customers, products, employees: from the store, since the warehouse may lag)
and calls the services. Rules stay in the services; a ``ValidationFailed`` comes back as
``{field path: message}`` and each message is shown under its widget.

Idempotency: see ``form_key``; submitting the same content twice (a double click) replays
the first record instead of creating a second one.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import streamlit as st
from sqlmodel import select

from dashboards.i18n import t
from dashboards.identity import actor
from operational import errors as service_errors


@dataclass
class Outcome:
    """What a service call did: the record, or field errors, or one general message."""

    record: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.record is not None


# --- reads from the operational store --------------------------------------------------


def engine() -> Any:
    """The engine of the store the settings name *now*.

    ``get_engine()`` without a URL is cached under ``None``, so it would keep the first
    store it saw even after ``MIS_HOME`` changes; asking by URL keeps one engine per store.
    """
    from operational.db import get_engine
    from operational.settings import get_settings

    return get_engine(get_settings().store_url)


def session() -> Any:
    """A transaction on the current store (commit on success, rollback on error)."""
    from operational.db import session_scope

    return session_scope(engine())


def store_problem() -> str | None:
    """Why the operational store cannot take entries (not created, not migrated), or None."""
    from operational.db import check_schema

    try:
        check_schema(engine())
    except Exception as exc:  # noqa: BLE001 - shown to the user instead of a traceback
        return str(exc).splitlines()[0]
    return None


def _rows(stmt: Any) -> list[Any]:
    with session() as s:
        return list(s.exec(stmt).all())


def customer_choices() -> dict[int, str]:
    from operational.models import Customer

    rows = _rows(select(Customer.id, Customer.code, Customer.name).order_by(Customer.code))
    return {r.id: f"{r.code} · {r.name}" for r in rows}


def product_choices() -> dict[int, dict[str, Any]]:
    from operational.models import Product

    stmt = select(Product.id, Product.sku, Product.name, Product.unit, Product.list_price) \
        .where(Product.is_active == True).order_by(Product.sku)  # noqa: E712 - SQL expression
    return {r.id: {"label": f"{r.sku} · {r.name} ({r.unit})", "list_price": r.list_price}
            for r in _rows(stmt)}


def employee_choices(department: str | None = "sales") -> dict[int, str]:
    from operational.models import Employee

    stmt = select(Employee.id, Employee.code, Employee.name).where(Employee.is_active == True)  # noqa: E712
    if department:
        stmt = stmt.where(Employee.department == department)
    return {r.id: f"{r.name} ({r.code})" for r in _rows(stmt.order_by(Employee.code))}


def customer_codes() -> list[str]:
    from operational.models import Customer

    return [r for r in _rows(select(Customer.code))]


def next_code(codes: list[str], default: str = "CU0001") -> str:
    """The code after the highest ``PREFIX<digits>`` code, keeping its width (CU099 -> CU100)."""
    best: tuple[int, str, int] | None = None
    for code in codes:
        m = re.fullmatch(r"([A-Za-z_-]*)(\d+)", code)
        if m and (best is None or int(m.group(2)) > best[0]):
            best = (int(m.group(2)), m.group(1), len(m.group(2)))
    if best is None:
        return default
    number, prefix, width = best
    return f"{prefix}{number + 1:0{width}d}"


# --- service calls ------------------------------------------------------------------------


def call_service(fn: Callable[..., Any], **kwargs: Any) -> Outcome:
    """Run one service in its own transaction and translate its errors for the form."""
    try:
        with session() as s:
            record = fn(session=s, **kwargs)
            detached = _snapshot(record)
        return Outcome(record=detached)
    except service_errors.ValidationFailed as exc:
        return Outcome(errors=dict(exc.errors))
    except service_errors.StaleEdit as exc:
        return Outcome(message=t("form.stale", detail=str(exc)))
    except service_errors.IdempotencyConflict:
        return Outcome(message=t("form.conflict"))
    except service_errors.ServiceError as exc:
        return Outcome(message=t("form.failed", detail=str(exc)))


def _snapshot(record: Any) -> dict[str, Any]:
    """Plain values read inside the transaction (safe to use after the session closes)."""
    if hasattr(record, "model_dump"):
        return dict(record.model_dump())
    order = record.order  # ConfirmResult
    return {**order.model_dump(), "fully_reserved": record.fully_reserved,
            "estimated_delivery_date": order.estimated_delivery_date}


def create_customer(values: dict[str, Any], idempotency_key: str) -> Outcome:
    from operational.services import create_customer as service

    return call_service(service, data=values, actor=actor(), idempotency_key=idempotency_key)


def create_sales_order(values: dict[str, Any], idempotency_key: str) -> Outcome:
    """Create the draft order; the outcome's record carries the order's net total."""
    from operational.models import SalesOrderLine
    from operational.services import create_sales_order as service

    out = call_service(service, data=values, actor=actor(), idempotency_key=idempotency_key)
    if out.ok:
        stmt = select(SalesOrderLine.net_amount).where(
            SalesOrderLine.sales_order_id == out.record["id"])
        out.record["net_total"] = sum(_rows(stmt), Decimal("0.00"))
    return out


def draft_orders(owner_id: int | None) -> list[dict[str, Any]]:
    """Draft sales orders (of one owner, or all), newest first, with their net totals."""
    from sqlalchemy import func

    from operational.models import Customer, SalesOrder, SalesOrderLine

    stmt = (
        select(SalesOrder.id, SalesOrder.order_no, SalesOrder.order_date, SalesOrder.version,
               Customer.name.label("customer_name"),
               func.sum(SalesOrderLine.net_amount).label("net_amount"))
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .join(SalesOrderLine, SalesOrderLine.sales_order_id == SalesOrder.id)
        .where(SalesOrder.status == "draft")
        .group_by(SalesOrder.id, Customer.name)
        .order_by(SalesOrder.id.desc())  # type: ignore[union-attr]
    )
    if owner_id is not None:
        stmt = stmt.where(SalesOrder.owner_id == owner_id)
    return [dict(r._mapping) for r in _rows(stmt.limit(200))]


def confirm_order(order_id: int, expected_version: int) -> Outcome:
    """Confirm a draft: the service checks stock line by line and reserves what it can."""
    from operational.services import confirm_order as service

    return call_service(service, order_id=order_id, expected_version=expected_version,
                        actor=actor())


def decimal(value: Any) -> Decimal | None:
    """A widget's number as an exact decimal (``12.5`` -> ``Decimal('12.5')``)."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def percent(value: Any) -> Decimal | None:
    """A percentage typed by a person (``5.5``) as the rate the services take (``0.055``)."""
    d = decimal(value)
    return None if d is None else d / 100


# --- form state ---------------------------------------------------------------------------


def form_key(form: str, values: dict[str, Any]) -> str:
    """The idempotency key of this form render *and* this content.

    A render id (new after "start a new one") plus a hash of the values: a double click
    sends the same content with the same key, so the service replays the first record; an
    edited form is a different request with a different key, never an ``IdempotencyConflict``.
    """
    render = st.session_state.setdefault(f"{form}_render", uuid.uuid4().hex)
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
    return f"{form}-{render[:12]}-{digest[:24]}"


def reset(form: str, keys: list[str]) -> None:
    """Start a new record: clear the widgets and messages, and begin a new render id."""
    for key in [*keys, *(f"{form}_{s}" for s in ("errors", "saved", "saved_key", "message"))]:
        st.session_state.pop(key, None)
    st.session_state[f"{form}_render"] = uuid.uuid4().hex


def remember(form: str, key: str, out: Outcome, saved: str | None) -> None:
    st.session_state[f"{form}_errors"] = out.errors
    st.session_state[f"{form}_message"] = out.message
    st.session_state[f"{form}_saved"] = saved
    st.session_state[f"{form}_saved_key"] = key if out.ok else None


def show_outcome(form: str, key: str) -> dict[str, str]:
    """Success (while the form still shows what was saved) or a general error at the top of
    the form; returns the field errors for the widgets to show under themselves."""
    s = st.session_state
    errors: dict[str, str] = s.get(f"{form}_errors") or {}
    if s.get(f"{form}_saved") and s.get(f"{form}_saved_key") == key:
        st.success(s[f"{form}_saved"], icon=":material/check_circle:")
        st.caption(t("form.warehouse_lag"))
    if s.get(f"{form}_message"):
        st.error(s[f"{form}_message"], icon=":material/error:")
    if errors:
        st.warning(t("form.fix_errors"), icon=":material/edit:")
    return errors
