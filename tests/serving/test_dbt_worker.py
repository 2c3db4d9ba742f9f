"""The long-lived dbt worker: faster builds without losing what a child process gave.

One demo warehouse is built once for the module; each test builds into a copy of it.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from serving import dbt_worker
from serving.dbt import DbtBuildFailed, run_dbt_build
from serving.paths import PROJECT_DIR

pytestmark = pytest.mark.slow

AS_OF = {"as_of_date": "2026-11-20"}
# One small model and its data tests: enough to prove where and how dbt ran.
ONE_MODEL = "stg_oa__tasks"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A published demo warehouse (small), built by a plain refresh."""
    home = tmp_path_factory.mktemp("worker_home")
    env = os.environ | {"MIS_HOME": str(home)}
    for cmd in (["seed", "--scale", "small"], ["refresh", "--no-prefect", "--quiet"]):
        subprocess.run([sys.executable, "-m", "mis_cli.main", *cmd], env=env, check=True,
                       cwd=PROJECT_DIR, capture_output=True)
    yield home / "warehouse" / "published.duckdb"
    dbt_worker.stop(home / "warehouse")


def _warehouse(published: Path, tmp_path: Path) -> Path:
    """A build file copied from the published warehouse, in a folder of its own (so a worker
    of its own); dbt's partial-parse state comes along, as it does between refreshes."""
    folder = tmp_path / "warehouse"
    folder.mkdir()
    shutil.copyfile(published, folder / "build.duckdb")
    shutil.copytree(published.parent / "dbt-target", folder / "dbt-target")
    return folder / "build.duckdb"


def _worker_pids(folder: Path) -> list[int]:
    return [pid for pid, served in dbt_worker.workers().items() if served == folder.resolve()]


def _gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or "Z" in _state(pid):
            return True
        time.sleep(0.05)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


@pytest.fixture
def build_db(published: Path, tmp_path: Path) -> Iterator[Path]:
    db = _warehouse(published, tmp_path)
    yield db
    dbt_worker.stop(db.parent)


def test_the_second_build_reuses_the_worker_and_its_manifest(build_db: Path) -> None:
    first = run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)
    pids = _worker_pids(build_db.parent)
    second = run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)

    assert first.runner == "worker, parsed"
    assert second.runner == "worker"
    assert len(pids) == 1 and _worker_pids(build_db.parent) == pids
    assert second.models == 1 and second.tests >= 1 and not second.failures
    assert second.worker_peak_mb and second.worker_peak_mb > 50
    # Between builds the worker holds nothing open: another process may write the file.
    con = duckdb.connect(str(build_db))
    assert con.execute("select count(*) from staging.stg_oa__tasks").fetchone()[0] > 0
    con.close()
    # New vars (a new day) mean a new parse, not a stale manifest.
    third = run_dbt_build(build_db, select=ONE_MODEL, extra_vars={"as_of_date": "2026-11-21"})
    assert third.runner == "worker, parsed"
    # ... except those only macros read as the build runs (test_incremental_models.py shows
    # the build sees their new value)
    fourth = run_dbt_build(build_db, select=ONE_MODEL,
                           extra_vars={"as_of_date": "2026-11-21", "incremental_keys": True})
    assert fourth.runner == "worker"


def test_the_worker_builds_what_a_child_process_builds(
    build_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = "rpt_kpi_daily"
    by_worker = run_dbt_build(build_db, select=model, extra_vars=AS_OF)
    con = duckdb.connect(str(build_db), read_only=True)
    rows_worker = con.execute(f"select * from reports.{model} order by all").fetchall()
    con.close()
    monkeypatch.setenv("MIS_DBT_WORKER", "0")
    con = duckdb.connect(str(build_db))
    con.execute(f"drop table reports.{model}")
    con.close()
    by_child = run_dbt_build(build_db, select=model, extra_vars=AS_OF)
    con = duckdb.connect(str(build_db), read_only=True)
    rows_child = con.execute(f"select * from reports.{model} order by all").fetchall()
    con.close()

    assert by_worker.runner.startswith("worker") and by_child.runner == "child process"
    assert len(rows_worker) > 100
    assert rows_worker == rows_child


def test_a_failing_data_test_fails_the_build_through_the_worker(build_db: Path) -> None:
    con = duckdb.connect(str(build_db))
    # A duplicate task id: the staging view's unique test must fail.
    con.execute("insert into raw.task select * from raw.task order by id limit 1")
    con.close()
    with pytest.raises(DbtBuildFailed) as caught:
        run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)
    assert any("unique_stg_oa__tasks" in f and "fail" in f for f in caught.value.failures)
    # The worker survives a failed build and serves the next one.
    assert len(_worker_pids(build_db.parent)) == 1


CLIENT = r"""
import json, sys
from pathlib import Path
from serving.dbt import run_dbt_build
run_dbt_build(Path(sys.argv[1]), extra_vars=json.loads(sys.argv[2]))
"""


def test_a_build_whose_refresh_is_killed_stops_at_once(build_db: Path) -> None:
    run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)  # the worker is up and warm
    (pid,) = _worker_pids(build_db.parent)
    client = subprocess.Popen(  # a whole build: long enough to be killed in the middle
        [sys.executable, "-c", CLIENT, str(build_db), json.dumps(AS_OF)], cwd=PROJECT_DIR
    )
    busy = build_db.parent / dbt_worker.BUSY_FILE
    deadline = time.monotonic() + 60
    while not busy.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert busy.read_text().strip() == str(pid)
    time.sleep(1.0)  # well inside the build
    client.send_signal(signal.SIGKILL)
    client.wait()

    assert _gone(pid, seconds=5), "the worker went on building for a refresh that was killed"
    # The next refresh (its prepare step) finds nothing left to kill, and builds as usual.
    assert dbt_worker.kill_orphan_build(build_db.parent) is None
    assert not busy.exists()
    assert run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF).runner == "worker, parsed"


def test_a_worker_that_exits_as_the_refresh_connects_is_asked_again(build_db: Path) -> None:
    # A worker on its way out (killed, idle, replaced) can still hold its listening socket for
    # a moment: the next refresh's connection is queued there, and reset when it closes with
    # the request unread (as CI once saw right after a refresh was killed). No build started,
    # so the client asks again: here a new worker starts and builds.
    dying = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dying.bind(dbt_worker.address(build_db.parent))
    dying.listen(1)
    queued = threading.Event()

    def close_once_a_request_waits() -> None:
        if select.select([dying], [], [], 60)[0]:
            queued.set()
            time.sleep(0.2)  # the request sits in the queued connection, unread
        dying.close()

    closer = threading.Thread(target=close_once_a_request_waits)
    closer.start()
    try:
        result = run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)
    finally:
        closer.join()
    assert queued.is_set(), "the refresh never reached the exiting worker"
    assert result.runner == "worker, parsed" and result.models == 1 and not result.failures
    assert len(_worker_pids(build_db.parent)) == 1


def test_an_orphaned_build_is_killed_before_the_build_file_is_replaced(build_db: Path) -> None:
    # A worker that has not (yet) noticed its refresh is gone, as the next refresh finds it.
    run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)
    (pid,) = _worker_pids(build_db.parent)
    os.kill(pid, signal.SIGSTOP)
    (build_db.parent / dbt_worker.BUSY_FILE).write_text(str(pid))

    from serving.publish import prepare_build

    prepare_build(build_db, build_db.parent.parent / "published-copy.duckdb")
    assert _gone(pid, seconds=5)
    assert not (build_db.parent / dbt_worker.BUSY_FILE).exists()


def test_a_build_that_runs_out_of_time_ends_its_worker(build_db: Path) -> None:
    run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)
    (pid,) = _worker_pids(build_db.parent)
    with pytest.raises(DbtBuildFailed, match="timed out after 2s"):
        run_dbt_build(build_db, extra_vars=AS_OF, timeout_seconds=2)
    assert _gone(pid, seconds=5)


def test_a_worker_from_other_code_is_not_used(
    build_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)
    (old,) = _worker_pids(build_db.parent)
    # This caller's code differs from any worker's: each is told to stop, and the build
    # runs as a child process instead.
    monkeypatch.setattr(dbt_worker, "code_version", lambda: "code of another release")
    result = run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)

    assert result.runner == "child process" and not result.failures
    assert _gone(old)
    assert not dbt_worker.running(build_db.parent)


def test_an_idle_worker_exits(build_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIS_DBT_WORKER_IDLE_SECONDS", "1")
    run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)
    (pid,) = _worker_pids(build_db.parent)
    assert _gone(pid, seconds=10)
    assert "idle for 1s: exiting" in (build_db.parent / "dbt-logs" / "worker.log").read_text()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another user")
def test_the_worker_answers_only_its_own_user(build_db: Path) -> None:
    run_dbt_build(build_db, select=ONE_MODEL, extra_vars=AS_OF)
    # The worker may close the connection before the request is even sent: any of these
    # outcomes means "no answer".
    probe = (
        "import os, socket, sys, json\n"
        "os.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
        f"s.connect({dbt_worker.address(build_db.parent)!r})\n"
        "s.settimeout(10)\n"
        "try:\n"
        "    s.sendall(json.dumps({'args': ['run-operation', 'x'], 'env': {}, "
        "'fingerprint': '', 'version': ''}).encode() + b'\\n')\n"
        "    print(repr(s.recv(100)))\n"
        "except (BrokenPipeError, ConnectionResetError):\n"
        "    print(repr(b''))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "b''"  # closed without an answer
    assert len(_worker_pids(build_db.parent)) == 1  # and still serving its own user
    assert dbt_worker.running(build_db.parent)
