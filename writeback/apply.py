"""Turn the warehouse's findings into tasks and draft purchase orders, idempotently.

Each finding of ``actions.rpt_action_findings`` gets one task for its owner through
``raise_rule_task``; a stock finding with a known supplier also gets a draft purchase order
(``is_system_draft``) through the purchasing service, and its task points at that order.
A finding already served is left alone, so any number of refreshes raise one task. When a
finding is gone, its open task is closed through ``close_rule_task`` with a note saying so
(and a system draft nobody touched is cancelled). A task a person closed while the finding
persists stays closed: that is the owner's call. Every write goes through the services,
one finding per transaction, so one bad finding cannot block the rest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import duckdb
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from operational import services as svc
from operational.errors import ServiceError
from operational.models import PurchaseOrder, PurchaseOrderLine, ReplenishmentSuggestion, Task
from operational.services._core import company_today
from writeback.findings import Finding, read_findings
from writeback.rules import CLEARED_PREFIX, RULES, episode_key, is_owned, split_episode

OPEN = ("open", "in_progress")
Say = Callable[[str], None]


@dataclass
class WritebackReport:
    raised: int = 0  # new tasks (a recurrence counts as new)
    closed: int = 0  # tasks closed because their finding is gone
    unchanged: int = 0  # findings whose task already exists (open, or closed by a person)
    drafts: int = 0  # draft purchase orders created
    dismissed: int = 0  # of unchanged: the finding persists but a person closed the task
    cancelled_drafts: int = 0  # system drafts cancelled because their finding cleared
    findings: int = 0
    as_of_date: str | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"write-back: {self.findings} findings -> {self.raised} tasks raised, "
            f"{self.closed} closed, {self.unchanged} unchanged ({self.dismissed} dismissed by "
            f"their owner), {self.drafts} draft purchase orders"
            + (f", {len(self.errors)} errors" if self.errors else "")
        )


# --- writing ------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tasks_by_finding(engine: Engine) -> dict[str, list[Task]]:
    """The write-back's tasks (rule tasks of a known rule), grouped by finding key, oldest
    episode first."""
    with Session(engine) as session:
        tasks = [t for t in session.exec(select(Task).where(Task.source == "rule")).all()
                 if is_owned(t.rule_key)]
    grouped: dict[str, list[Task]] = {}
    for task in tasks:
        base, _ = split_episode(task.rule_key)  # type: ignore[arg-type]
        grouped.setdefault(base, []).append(task)
    for episodes in grouped.values():
        episodes.sort(key=lambda t: split_episode(t.rule_key)[1])  # type: ignore[arg-type]
    return grouped


def _cleared_by_writeback(task: Task) -> bool:
    return task.status not in OPEN and (task.close_note or "").startswith(CLEARED_PREFIX)


class _AlreadyRaised(Exception):
    """Another write-back raised this key first; roll back what this one created."""


def _raise(
    session: Session, finding: Finding, key: str, actor: str, today: date
) -> tuple[Task, bool]:
    """The finding's task (and draft purchase order); (task, a draft was created?)."""
    if session.exec(select(Task.id).where(Task.rule_key == key)).first() is not None:
        raise _AlreadyRaised(key)
    reference = (finding.reference_type, finding.reference_id)
    title, reason = finding.title, finding.reason
    po, created = _draft_purchase_order(session, finding, actor, today)
    if po is not None:
        reference = ("purchase_order", po.id)  # type: ignore[assignment]
        title = f"{title}: review draft {po.po_no}"
        reason = (f"{reason} Draft purchase order {po.po_no} is ready: check the quantity, "
                  "then place it (or cancel it).")
    task = svc.raise_rule_task(
        session=session, rule_key=key, title=_clip(title, 200), actor=actor,
        assignee_id=finding.assignee_id, due_date=finding.due_date,
        reference_type=reference[0], reference_id=reference[1], reason=_clip(reason, 1000),
    )
    return task, created


def _draft_purchase_order(
    session: Session, finding: Finding, actor: str, today: date
) -> tuple[PurchaseOrder | None, bool]:
    """The system draft for the stock rule's suggestion when the supplier is known: one still
    open for the product and supplier is reused, else a new one. (order, created?)"""
    d = finding.details
    if finding.rule != "stock_below_reorder_point" or int(d.get("supplier_id") or -1) <= 0:
        return None, False
    product_id, supplier_id = int(d["product_id"]), int(d["supplier_id"])
    reusable = session.exec(
        select(PurchaseOrder)
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)  # type: ignore[arg-type]
        .where(
            PurchaseOrder.status == "draft",
            PurchaseOrder.is_system_draft == True,  # noqa: E712 - SQL, not Python
            PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrderLine.product_id == product_id,
        )
        .order_by(PurchaseOrder.id.desc())  # type: ignore[union-attr]
    ).first()
    if reusable is not None:
        return reusable, False
    suggestions = session.exec(
        select(ReplenishmentSuggestion.id).where(
            ReplenishmentSuggestion.product_id == product_id,
            ReplenishmentSuggestion.status == "open",
        )
    ).all()
    po = svc.create_purchase_order(
        session=session,
        data={
            "supplier_id": supplier_id,
            "order_date": today,
            "expected_date": today + timedelta(days=int(d.get("lead_time_days") or 0)),
            "buyer_id": finding.assignee_id,
            "is_system_draft": True,
            "lines": [{
                "product_id": product_id,
                "quantity": Decimal(d["suggested_quantity"]),
                "unit_cost": Decimal(d["unit_cost"]),
            }],
        },
        actor=actor,
        suggestion_ids=tuple(int(s) for s in suggestions if s is not None),
    )
    return po, True


def _close(session: Session, task: Task, actor: str, today: date) -> tuple[Task, bool]:
    """Close a task whose finding is gone; cancel its system draft if nobody used it."""
    rule = RULES[task.rule_key.split(":", 1)[0]]  # type: ignore[union-attr]
    note = f"{CLEARED_PREFIX} {today.isoformat()}: {rule.cleared}."
    cancelled = False
    if task.reference_type == "purchase_order" and task.reference_id is not None:
        po = session.get(PurchaseOrder, task.reference_id)
        if po is not None and po.status == "draft" and po.is_system_draft:
            linked = session.exec(
                select(ReplenishmentSuggestion.id).where(
                    ReplenishmentSuggestion.purchase_order_id == po.id
                )
            ).first()
            if linked is None:
                svc.cancel_purchase_order(
                    session=session, purchase_order_id=po.id,  # type: ignore[arg-type]
                    expected_version=po.version, actor=actor,
                )
                note += f" Draft {po.po_no} was not needed and is cancelled."
                cancelled = True
            else:
                note += f" Draft {po.po_no} is still a draft: place or cancel it."
    if task.reason:
        note += f" Was: {task.reason}"
    closed = svc.close_rule_task(
        session=session, rule_key=task.rule_key, note=_clip(note, 1000), actor=actor  # type: ignore[arg-type]
    )
    return closed, cancelled


def apply_findings(
    *,
    engine: Engine,
    published_db_path: Path | str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    actor: str = "warehouse",
    say: Say | None = None,
) -> WritebackReport:
    """Raise a task per new finding, close the tasks of findings that are gone.

    Reads ``actions.rpt_action_findings`` from ``con`` or from the DuckDB file at
    ``published_db_path`` (opened read-only and closed before anything is written).
    """
    started = time.perf_counter()
    if con is None:
        if published_db_path is None:
            raise TypeError("give published_db_path or con")
        own = duckdb.connect(str(published_db_path), read_only=True)
        try:
            findings, as_of = read_findings(own)
        finally:
            own.close()
    else:
        findings, as_of = read_findings(con)
    today = as_of or company_today()
    report = WritebackReport(findings=len(findings), as_of_date=today.isoformat())
    existing = _tasks_by_finding(engine)

    for finding in findings:
        episodes = existing.get(finding.rule_key, [])
        latest = episodes[-1] if episodes else None
        if latest is not None and not _cleared_by_writeback(latest):
            report.unchanged += 1
            report.dismissed += latest.status not in OPEN
            continue
        key = episode_key(finding.rule_key, split_episode(latest.rule_key)[1] + 1 if latest else 1)  # type: ignore[arg-type]
        try:
            _, created = svc.run_in_transaction(
                engine, partial(_raise, finding=finding, key=key, actor=actor, today=today)
            )
        except _AlreadyRaised:
            report.unchanged += 1
            continue
        except (ServiceError, ValueError, KeyError, ArithmeticError) as exc:
            report.errors.append(f"{key}: {exc}")
            continue
        report.raised += 1
        report.drafts += created

    current = {f.rule_key for f in findings}
    for base, episodes in existing.items():
        if base in current:
            continue
        for task in episodes:
            if task.status not in OPEN:
                continue
            try:
                _, cancelled = svc.run_in_transaction(
                    engine, partial(_close, task=task, actor=actor, today=today)
                )
            except ServiceError as exc:
                report.errors.append(f"{task.rule_key}: {exc}")
                continue
            report.closed += 1
            report.cancelled_drafts += cancelled

    report.seconds = round(time.perf_counter() - started, 3)
    if say:
        say(report.summary())
        for error in report.errors[:20]:
            say(f"  - {error}")
    return report


def record_writeback(path: Path, report: WritebackReport) -> None:
    """Append the run to ``writeback.jsonl`` beside the refresh history."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = asdict(report) | {"finished_at": datetime.now(UTC).isoformat()}
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, default=str) + "\n")
