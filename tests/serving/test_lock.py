"""One writer: overlapping refresh requests run one at a time or are cancelled with a reason."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

from serving.lock import RefreshBusy, writer_lock


def _hold(lock_path: str, wait: float, hold: float, log_path: str) -> None:
    try:
        with writer_lock(Path(lock_path), wait_seconds=wait):
            with open(log_path, "a") as log:
                log.write(f"start {time.monotonic():.4f}\n")
            time.sleep(hold)
            with open(log_path, "a") as log:
                log.write(f"end {time.monotonic():.4f}\n")
    except RefreshBusy as exc:
        with open(log_path, "a") as log:
            log.write(f"busy {exc}\n")


def _run(tmp_path: Path, wait: float, hold: float) -> list[str]:
    ctx = mp.get_context("spawn")
    lock = tmp_path / "refresh.lock"
    log = tmp_path / "log.txt"
    procs = [ctx.Process(target=_hold, args=(str(lock), wait, hold, str(log))) for _ in range(5)]
    for p in procs:  # five requests within one second
        p.start()
        time.sleep(0.1)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    return log.read_text().splitlines()


def test_requests_that_do_not_wait_are_cancelled_with_a_reason(tmp_path):
    lines = _run(tmp_path, wait=0.0, hold=3.0)
    assert sum(line.startswith("start") for line in lines) == 1
    busy = [line for line in lines if line.startswith("busy")]
    assert len(busy) == 4
    assert all("another refresh is running (pid" in line for line in busy)


def test_requests_that_wait_run_one_at_a_time(tmp_path):
    lines = _run(tmp_path, wait=30.0, hold=0.5)
    events = [(line.split()[0], float(line.split()[1])) for line in lines]
    assert [e for e, _ in events] == ["start", "end"] * 5  # never two inside at once
    times = [t for _, t in events]
    assert times == sorted(times)


def test_a_killed_holder_releases_the_lock(tmp_path):
    ctx = mp.get_context("spawn")
    lock = tmp_path / "refresh.lock"
    p = ctx.Process(target=_hold, args=(str(lock), 0.0, 60.0, str(tmp_path / "log.txt")))
    p.start()
    time.sleep(1.5)
    p.kill()
    p.join()
    with writer_lock(lock, wait_seconds=5):
        pass
