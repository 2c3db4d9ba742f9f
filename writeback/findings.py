"""The findings the warehouse publishes (``actions.rpt_action_findings``), read into Python."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb


class FindingsNotReady(RuntimeError):
    """The published warehouse has no findings table (built before the actions models)."""


@dataclass(frozen=True)
class Finding:
    rule_key: str
    rule: str
    reference_type: str
    reference_id: int
    owner_employee_id: int
    title: str
    reason: str
    severity: str
    amount: Decimal | None
    due_date: date | None
    details: dict[str, Any]

    @property
    def assignee_id(self) -> int | None:
        return self.owner_employee_id if self.owner_employee_id > 0 else None


_COLUMNS = (
    "rule_key, rule, reference_type, reference_id, owner_employee_id, title, reason, "
    "severity, amount, due_date, details"
)


def read_findings(con: duckdb.DuckDBPyConnection) -> tuple[list[Finding], date | None]:
    """Every open finding, and the as-of date of the build that found them."""
    try:
        rows = con.execute(
            f"select {_COLUMNS} from actions.rpt_action_findings order by rule, rule_key"
        ).fetchall()
    except duckdb.CatalogException as exc:
        raise FindingsNotReady(
            "the published warehouse has no actions.rpt_action_findings: run a full refresh"
        ) from exc
    findings = [
        Finding(
            rule_key=r[0], rule=r[1], reference_type=r[2], reference_id=int(r[3]),
            owner_employee_id=int(r[4]), title=r[5], reason=r[6], severity=r[7],
            amount=r[8], due_date=r[9], details=json.loads(r[10]) if r[10] else {},
        )
        for r in rows
    ]
    return findings, build_as_of_date(con)


def build_as_of_date(con: duckdb.DuckDBPyConnection) -> date | None:
    try:
        row = con.execute(
            "select json_extract_string(info, '$.as_of_date') from meta.build_info"
        ).fetchone()
    except duckdb.Error:
        return None
    return date.fromisoformat(row[0]) if row and row[0] else None
