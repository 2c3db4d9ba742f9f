"""What runs after a refresh: ``apply_after_refresh`` (the CLI's and the flow's entry point)
and the Prefect flow's write-back task, without a Prefect server or dbt."""

from __future__ import annotations

import json

import pytest

from operational import services as svc
from operational.db import init_schema, make_engine, session_scope
from operational.settings import get_settings
from serving.lock import writer_lock
from tests.writeback.fakes import finding, warehouse
from writeback import WritebackBusy, WritebackReport, apply_after_refresh


@pytest.fixture
def home_with_findings(mis_home):
    settings = get_settings()
    engine = make_engine(settings.store_url)
    init_schema(engine)
    with session_scope(engine) as s:
        owner = svc.create_employee(
            session=s, actor="t", data={"code": "E1", "name": "Fiona", "department": "finance"}
        ).id
    settings.warehouse_dir.mkdir(parents=True)
    warehouse([finding("overdue_receivable", "overdue_receivable:invoice:5", "invoice", 5, owner)],
              path=str(settings.published_db_path)).close()
    yield settings
    engine.dispose()


def test_apply_after_refresh_writes_back_and_records_the_run(home_with_findings):
    settings = home_with_findings

    first = apply_after_refresh(settings)
    second = apply_after_refresh()  # default: the settings of MIS_HOME

    assert (first.raised, second.unchanged) == (1, 1)
    runs = [json.loads(line) for line in
            (settings.warehouse_dir / "writeback.jsonl").read_text().splitlines()]
    assert [(r["raised"], r["unchanged"], r["as_of_date"]) for r in runs] == [
        (1, 0, "2025-03-31"), (0, 1, "2025-03-31")]


def test_one_write_back_at_a_time(home_with_findings):
    settings = home_with_findings
    with (
        writer_lock(settings.warehouse_dir / "writeback.lock"),
        pytest.raises(WritebackBusy, match="another write-back is running"),
    ):
        apply_after_refresh(settings, wait_seconds=0)


def test_the_flow_writes_back_only_after_a_successful_refresh(mis_home, monkeypatch):
    import flows.refresh as flow

    calls: list[str] = []
    monkeypatch.setattr(flow, "run_refresh", lambda **kw: calls.append("refresh") or "report")
    monkeypatch.setattr(flow, "writeback_task", lambda: calls.append("writeback"))
    assert flow.refresh_flow.fn(full=False) == "report"
    assert flow.refresh_flow.fn(full=False, writeback=False) == "report"
    assert calls == ["refresh", "writeback", "refresh"]

    def failing(**kw):
        calls.append("failed refresh")
        raise RuntimeError("dbt build failed")

    monkeypatch.setattr(flow, "run_refresh", failing)
    with pytest.raises(RuntimeError):
        flow.refresh_flow.fn()
    assert calls[-1] == "failed refresh"


def test_the_write_back_task_fails_when_findings_could_not_be_written(mis_home, monkeypatch):
    import flows.refresh as flow

    monkeypatch.setattr(flow, "apply_after_refresh",
                        lambda say: WritebackReport(raised=3, errors=["approval_waiting:x: no"]))
    with pytest.raises(RuntimeError, match="1 findings could not be written back"):
        flow.writeback_task.fn()
    monkeypatch.setattr(flow, "apply_after_refresh", lambda say: WritebackReport(raised=3))
    assert flow.writeback_task.fn().raised == 3
