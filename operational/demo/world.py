"""The generator's working state: scale, calendar, random streams, entities and row buffers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from operational.demo.clock import DAY, local_to_utc, months_back


@dataclass(frozen=True)
class Scale:
    order_lines: int
    customers: int  # customer base at the start of the history
    leads: int
    opportunities: int  # opened for existing customers (converted leads add their own)
    tickets: int
    tasks: int
    staff_requests: int  # leave and expense approval requests


SCALES: dict[str, Scale] = {
    "small": Scale(5_000, 220, 360, 200, 150, 120, 160),
    "medium": Scale(100_000, 2_400, 3_000, 1_600, 2_500, 1_200, 1_200),
    "large": Scale(1_000_000, 12_000, 15_000, 8_000, 15_000, 5_000, 4_000),
}
HISTORY_MONTHS = 26


@dataclass(slots=True)
class Emp:
    id: int
    code: str
    name: str
    department: str
    title: str
    region: str | None
    email: str
    hired: date
    left: date | None = None


@dataclass(slots=True)
class Prod:
    id: int
    sku: str
    name: str
    cat: int
    unit: str
    price: int  # cents
    cost: int  # cents
    typical: int  # typical line quantity, thousandths
    step: int  # quantity step, thousandths
    lead_time: int
    supplier_id: int
    popularity: float
    phase_out: date | None = None  # customers stop buying it after this date
    neglect_from: date | None = None  # purchasing stops reordering it after this date
    rop: int = 0
    up_to: int = 0
    opening: int = 0


@dataclass(slots=True)
class Cust:
    id: int
    name: str
    kind: str
    ctype: int  # index into catalog.CUSTOMER_TYPES
    region: str
    city: str
    owner_id: int
    created: datetime
    weight: float
    size: float
    grade: str = "C"
    credit_limit: int = 0
    churn: date | None = None
    billing: str = "delivery"  # "delivery" or "monthly"
    payer: str = "prompt"  # prompt | slow | partial | bad
    terms: int = 30


@dataclass
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class World:
    scale: Scale
    seed: int
    today: date
    start: date = field(init=False)
    last_day: date = field(init=False)  # history ends the day before ``today``
    tables: dict[str, Table] = field(default_factory=dict)
    employees: list[Emp] = field(default_factory=list)
    products: list[Prod] = field(default_factory=list)
    customers: list[Cust] = field(default_factory=list)
    supplier_terms: dict[int, int] = field(default_factory=dict)
    commodity_index: dict[int, list[float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start = months_back(self.today, HISTORY_MONTHS)
        self.last_day = self.today - DAY
        self.now = local_to_utc(self.today, 0)  # the generator's "now": start of today

    def rng(self, stream: str) -> random.Random:
        """An independent stream per part, so changing one part leaves the others identical."""
        return random.Random(f"{self.seed}:{stream}")

    def table(self, name: str, columns: tuple[str, ...]) -> Table:
        t = self.tables.get(name)
        if t is None:
            t = self.tables[name] = Table(columns)
        return t

    def days(self) -> list[date]:
        out, d = [], self.start
        while d <= self.last_day:
            out.append(d)
            d += DAY
        return out

    # helpers over people
    def dept(self, department: str) -> list[Emp]:
        return [e for e in self.employees if e.department == department and e.left is None]

    def head(self, department: str) -> Emp:
        return next(e for e in self.employees if e.department == department)

    def reps(self, region: str) -> list[Emp]:
        return [e for e in self.employees if e.region == region]
