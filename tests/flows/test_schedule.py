"""`mis schedule` serves both deployments on a real Prefect server, and they run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_schedule_registers_cron_deployments_and_runs_a_refresh(mis_home, monkeypatch):
    from operational import demo
    from operational.db import init_schema, make_engine
    from operational.settings import get_settings

    engine = make_engine(get_settings().store_url)
    init_schema(engine)
    demo.generate(engine=engine, scale="small", seed=3)
    engine.dispose()

    port = _free_port()
    env = os.environ | {"MIS_HOME": str(mis_home), "PREFECT_HOME": str(mis_home / "prefect")}
    env.pop("PREFECT_API_URL", None)
    log = mis_home / "schedule.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mis_cli.main", "schedule", "--port", str(port),
         "--cron", "*/15 * * * *", "--nightly", "30 2 * * *"],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    from prefect.settings import PREFECT_API_URL, temporary_settings

    settings_ctx = temporary_settings(updates={PREFECT_API_URL: api})
    settings_ctx.__enter__()
    try:
        from prefect.client.orchestration import get_client
        from prefect.deployments import run_deployment

        async def deployments() -> dict[str, object]:
            async with get_client() as client:
                found = await client.read_deployments()
                return {d.name: d for d in found}

        deadline = time.monotonic() + 240  # a cold server start is slow on a busy machine
        found: dict[str, object] = {}
        while time.monotonic() < deadline and len(found) < 2:
            with contextlib.suppress(Exception):  # the server is still starting
                found = asyncio.run(deployments())
            time.sleep(1)
        server_log = mis_home / "prefect" / "server.log"
        assert set(found) >= {"incremental", "nightly-full"}, (
            log.read_text()[-3000:]
            + (server_log.read_text()[-3000:] if server_log.exists() else "")
        )
        incremental = found["incremental"]
        (sched,) = incremental.schedules  # type: ignore[attr-defined]
        assert sched.schedule.cron == "*/15 * * * *"
        assert sched.schedule.timezone == "Asia/Shanghai"
        (nightly,) = found["nightly-full"].schedules  # type: ignore[attr-defined]
        assert nightly.schedule.cron == "30 2 * * *"

        run = run_deployment("mis-refresh/incremental", timeout=300)
        assert run.state.is_completed(), run.state
        from serving.refresh import read_history

        (last, *_) = read_history()
        assert last["status"] == "success"
        assert (mis_home / "warehouse" / "published.duckdb").exists()
    finally:
        settings_ctx.__exit__(None, None, None)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
