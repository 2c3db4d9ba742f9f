"""One writer: overlapping refresh requests run one at a time or are cancelled with a reason.

Each request is its own Python process (as a second `mis refresh` or the scheduler would
be). The holder keeps the lock until the test releases it, so the outcome never depends on
how fast the machine starts processes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from serving.lock import writer_lock
from serving.paths import PROJECT_DIR

REQUEST = r"""
import sys, time
from pathlib import Path
from serving.lock import RefreshBusy, writer_lock
lock, log, release = sys.argv[1], sys.argv[4], sys.argv[5]
wait, hold = float(sys.argv[2]), float(sys.argv[3])
def say(line):
    with open(log, "a") as f:
        f.write(line + "\n")
try:
    with writer_lock(Path(lock), wait_seconds=wait):
        say(f"start {time.monotonic():.4f}")
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline and not Path(release).exists():
            time.sleep(0.05)
        say(f"end {time.monotonic():.4f}")
except RefreshBusy as exc:
    say(f"busy {exc}")
"""


def _request(tmp_path: Path, wait: float, hold: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", REQUEST, str(tmp_path / "refresh.lock"), str(wait), str(hold),
         str(tmp_path / "log.txt"), str(tmp_path / "release")],
        cwd=PROJECT_DIR,
    )


def _lines(tmp_path: Path) -> list[str]:
    log = tmp_path / "log.txt"
    return log.read_text().splitlines() if log.exists() else []


def _wait_for(predicate, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the request processes"
        time.sleep(0.05)


def test_requests_that_do_not_wait_are_cancelled_with_a_reason(tmp_path):
    holder = _request(tmp_path, wait=0.0, hold=120.0)
    _wait_for(lambda: any(line.startswith("start") for line in _lines(tmp_path)))
    others = [_request(tmp_path, wait=0.0, hold=120.0) for _ in range(4)]
    for p in others:
        assert p.wait(60) == 0
    (tmp_path / "release").touch()
    assert holder.wait(60) == 0
    lines = _lines(tmp_path)
    assert [line.split()[0] for line in lines] == ["start"] + ["busy"] * 4 + ["end"]
    busy = [line for line in lines if line.startswith("busy")]
    assert all(f"another refresh is running (pid {holder.pid} since" in line for line in busy)
    assert all("this request was cancelled" in line for line in busy)


def test_requests_that_wait_run_one_at_a_time(tmp_path):
    procs = []
    for _ in range(5):  # five requests within about a second
        procs.append(_request(tmp_path, wait=120.0, hold=0.5))
        time.sleep(0.2)
    for p in procs:
        assert p.wait(120) == 0
    events = [(line.split()[0], float(line.split()[1])) for line in _lines(tmp_path)]
    assert [e for e, _ in events] == ["start", "end"] * 5  # never two inside at once
    times = [t for _, t in events]
    assert times == sorted(times)


def test_a_killed_holder_releases_the_lock(tmp_path):
    holder = _request(tmp_path, wait=0.0, hold=120.0)
    _wait_for(lambda: any(line.startswith("start") for line in _lines(tmp_path)))
    holder.kill()
    holder.wait()
    with writer_lock(tmp_path / "refresh.lock", wait_seconds=5):
        assert _lines(tmp_path) == [_lines(tmp_path)[0]]  # it never reached its end
