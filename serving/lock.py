"""One writer on the warehouse: an exclusive file lock held for the whole refresh."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class RefreshBusy(RuntimeError):
    """Another refresh holds the warehouse."""


def _holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it (it may not have written yet)."""
    note = Path(path).read_text(errors="replace").strip()
    return note if note.startswith("pid ") else "pid not yet recorded"


@contextmanager
def writer_lock(path: Path, *, wait_seconds: float = 0.0, on_wait: object = None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    announced = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise RefreshBusy(
                        f"another refresh is running ({holder}); this request was cancelled"
                    ) from None
                if callable(on_wait) and not announced:
                    on_wait(f"waiting for the running refresh ({holder})")
                    announced = True
                time.sleep(0.2)
        # Write first, then cut to length: a waiter never reads a half-written or empty note.
        note = f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode()
        os.pwrite(fd, note, 0)
        os.ftruncate(fd, len(note))
        yield
    finally:
        os.close(fd)  # closing releases the lock; a killed process releases it too
