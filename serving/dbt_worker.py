"""A long-lived dbt process per warehouse, so a refresh does not pay for starting dbt.

Starting dbt costs 5-7 s before its first model runs: the interpreter, dbt's imports and
reading the project's manifest. An incremental refresh spends as long again building what
changed, so half of it went on start-up. The worker pays that once: it stays up between
refreshes (``MIS_DBT_WORKER_IDLE_SECONDS``, default 20 minutes, longer than the 15-minute
schedule), keeps the parsed manifest while the project and the build's vars are unchanged,
and runs each ``dbt build`` in-process with it.

What the child process gave, the worker keeps:

- **A build that outlives its refresh never writes on.** The worker runs a build only while
  its client stays connected. A refresh that is killed (or times out) drops the connection,
  and the worker ends itself at once (``os._exit``), as the child used to die with its parent.
  It also marks a running build in ``dbt-worker.busy``; the next refresh (under the writer
  lock, so any build still running is an orphan) kills that process before it replaces the
  build file.
- **dbt never holds the build file between refreshes.** After each build the worker closes
  dbt-duckdb's connection, which dbt-duckdb otherwise keeps for the life of the process.
- **Memory comes back.** DuckDB's memory goes with that connection; the worker then holds
  dbt's manifest (about 200 MB) until it idles out.

One worker serves one warehouse folder. It listens on an abstract Unix socket named after the
folder (no file to go stale; Linux only, elsewhere dbt runs as a child process) and answers
only processes of its own user. A worker started from older code or another interpreter is
told to stop and replaced. ``MIS_DBT_WORKER=0`` turns the worker off.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from serving.paths import PROJECT_DIR

IDLE_SECONDS_DEFAULT = 1200.0
BUSY_FILE = "dbt-worker.busy"
# dbt flags a parse shares with the build it prepares for (the rest select what runs).
_PARSE_FLAGS = {"--project-dir", "--profiles-dir", "--target-path", "--log-path", "--vars"}
# vars that only macros read while a build runs (dbt reads them from the build's own --vars),
# so a change of them keeps the parsed project: incremental_keys flips between a full
# refresh and the incremental ones after it (macros/changed_rows.sql).
_BUILD_ONLY_VARS = {"incremental_keys"}


class WorkerUnavailable(RuntimeError):
    """The worker could not be started or reached; the caller runs dbt as a child instead."""


class _NotHeard(Exception):
    """The worker's end closed before it read the request (a reset, not an answer)."""


def enabled() -> bool:
    flag = os.environ.get("MIS_DBT_WORKER", "1").strip().lower()
    return sys.platform.startswith("linux") and flag not in {"0", "false", "no", "off"}


def address(warehouse_dir: Path) -> bytes:
    digest = hashlib.sha256(str(Path(warehouse_dir).resolve()).encode()).hexdigest()[:24]
    return b"\0mis-dbt-worker-" + digest.encode()


def code_version() -> str:
    """What the running worker must match: its code (this file and the changes it makes to
    dbt, serving/dbt_speedups.py), the interpreter, dbt's version."""
    try:
        from importlib.metadata import version

        dbt_version = version("dbt-core") + "/" + version("dbt-duckdb")
    except Exception:  # noqa: BLE001 - not installed: the worker will say so when it runs
        dbt_version = "?"
    files = [Path(__file__).stat(), Path(__file__).with_name("dbt_speedups.py").stat()]
    stamps = "|".join(f"{f.st_mtime_ns}|{f.st_size}" for f in files)
    return f"{sys.executable}|{dbt_version}|{stamps}"


# --------------------------------------------------------------------------- client side


@contextlib.contextmanager
def _connected(warehouse_dir: Path, *, start: bool) -> Iterator[socket.socket]:
    sock = _connect(warehouse_dir)
    if sock is None and start:
        _start(warehouse_dir)
        deadline = time.monotonic() + 60.0
        while sock is None and time.monotonic() < deadline:
            time.sleep(0.05)
            sock = _connect(warehouse_dir)
        if sock is None:
            raise WorkerUnavailable(
                f"the dbt worker did not start within 60 s; see {_log_path(warehouse_dir)}"
            )
    if sock is None:
        raise WorkerUnavailable("no dbt worker is running")
    try:
        yield sock
    finally:
        sock.close()


def _connect(warehouse_dir: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(address(warehouse_dir))
    except (ConnectionRefusedError, FileNotFoundError):
        sock.close()
        return None
    return sock


def _log_path(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / "dbt-logs" / "worker.log"


def _start(warehouse_dir: Path) -> None:
    log = _log_path(warehouse_dir)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as fh:
        # The worker forks once more and this child exits at once, so nobody has to reap the
        # worker later; it runs in a session of its own, away from the caller's terminal.
        proc = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "serving.dbt_worker", str(Path(warehouse_dir).resolve())],
            cwd=PROJECT_DIR, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )
        proc.wait(timeout=30)


def run_build(
    args: list[str],
    env: dict[str, str],
    *,
    warehouse_dir: Path,
    fingerprint: str,
    timeout_seconds: float,
    on_line: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run ``dbt <args>`` in the warehouse's worker (started if none is up).

    Returns the worker's answer: ``code`` (0 when dbt succeeded), ``lines`` (the last 40 lines
    dbt logged), ``warm`` (the manifest was reused), ``peak_mb``. Raises TimeoutError after
    ``timeout_seconds`` (the worker stops the build and exits) and WorkerUnavailable when no
    worker could run it.
    """
    started = time.monotonic()
    request = {"args": args, "env": env, "fingerprint": fingerprint, "version": code_version()}
    for _attempt in range(3):
        try:
            with _connected(warehouse_dir, start=True) as sock:
                try:
                    sock.sendall(json.dumps(request).encode() + b"\n")
                except (BrokenPipeError, ConnectionResetError):
                    raise _NotHeard from None
                answer = _read_answer(sock, started + timeout_seconds, on_line)
        except _NotHeard:
            # We reached a worker that was exiting (killed, idle, replaced): its listening
            # socket took the connection but closed without reading the request, so no build
            # started. Wait for it to go and ask again; a new worker starts if none is up.
            _wait_gone(warehouse_dir)
            continue
        if not answer.get("restart"):
            return answer
        _wait_gone(warehouse_dir)  # an out-of-date worker stops; start a current one
    raise WorkerUnavailable("the dbt worker kept going away or asking to be restarted")


def _read_answer(
    sock: socket.socket, deadline: float, on_line: Callable[[str], None] | None
) -> dict[str, Any]:
    tail: list[str] = []
    buffer = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError  # closing the socket (by the caller) ends the worker's build
        sock.settimeout(min(remaining, 5.0))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            # A Unix socket is reset only when its peer closes with our bytes unread: the
            # request never reached a build. Once the worker has spoken, the build had begun.
            if not tail:
                raise _NotHeard from None
            chunk = b""
        if not chunk:
            raise WorkerUnavailable(
                "the dbt worker ended before dbt finished: " + " | ".join(tail[-5:])
            )
        buffer += chunk
        while b"\n" in buffer:
            raw, buffer = buffer.split(b"\n", 1)
            message = json.loads(raw)
            if "line" in message:
                tail = (tail + [message["line"]])[-40:]
                if on_line:
                    on_line(message["line"])
            else:
                return message | {"lines": tail}


def running(warehouse_dir: Path) -> bool:
    """Whether a worker for this warehouse is listening. The probe asks nothing, which
    leaves the worker as it was."""
    sock = _connect(warehouse_dir)
    if sock is None:
        return False
    sock.close()
    return True


def _wait_gone(warehouse_dir: Path, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while running(warehouse_dir) and time.monotonic() < deadline:
        time.sleep(0.05)


def stop(warehouse_dir: Path) -> bool:
    """Ask the warehouse's worker to exit; True if one was running."""
    try:
        with _connected(warehouse_dir, start=False) as sock:
            sock.sendall(b'{"stop": true}\n')
            sock.settimeout(10)
            with contextlib.suppress(OSError):
                sock.recv(16)
    except WorkerUnavailable:
        return False
    _wait_gone(warehouse_dir)
    return True


def workers() -> dict[int, Path]:
    """Every dbt worker on this machine: pid -> the warehouse folder it serves."""
    found: dict[int, Path] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # [python, -m, serving.dbt_worker, folder] as _start runs it
        if len(argv) > 3 and argv[1:3] == [b"-m", b"serving.dbt_worker"]:
            found[int(proc.name)] = Path(os.fsdecode(argv[3]))
    return found


def kill_orphan_build(warehouse_dir: Path) -> int | None:
    """Kill a worker still building for a refresh that has gone (call under the writer
    lock: a build running then belongs to no live refresh). Returns its pid, if any."""
    busy = Path(warehouse_dir) / BUSY_FILE
    try:
        pid = int(busy.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return None
    # this warehouse's worker, not a process that has since taken over the pid
    is_worker = bool(pid) and workers().get(pid) == Path(warehouse_dir).resolve()
    if is_worker:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10.0
        while Path(f"/proc/{pid}/cmdline").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    busy.unlink(missing_ok=True)
    return pid if is_worker else None


# --------------------------------------------------------------------------- worker side


def _peak_mb() -> float | None:
    try:
        found = re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM for this build's figure


def _flag(args: list[str], name: str) -> str | None:
    """The value given to ``name`` in ``args``, if any."""
    return next((args[i + 1] for i, arg in enumerate(args[:-1]) if arg == name), None)


def _parse_args(args: list[str]) -> list[str]:
    kept = ["parse"]
    for i, arg in enumerate(args[:-1]):
        if arg == "--vars":
            parse_vars = {k: v for k, v in json.loads(args[i + 1]).items()
                          if k not in _BUILD_ONLY_VARS}
            kept += [arg, json.dumps(parse_vars, sort_keys=True)]
        elif arg in _PARSE_FLAGS:
            kept += [arg, args[i + 1]]
    return kept


class _Worker:
    def __init__(self, warehouse_dir: Path) -> None:
        self.warehouse_dir = warehouse_dir
        self.version = code_version()
        self.manifest: Any = None
        self.manifest_key: str | None = None

    def forget_manifest(self) -> None:
        """Drop the parsed manifest; the objects frozen with it can be collected again."""
        self.manifest, self.manifest_key = None, None
        gc.unfreeze()

    def handle(self, conn: socket.socket) -> None:
        uid = struct.unpack("3i", conn.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]
        if uid != os.getuid():
            return  # only our own user's refreshes
        reader = conn.makefile("rb")
        line = reader.readline()
        if not line.strip():
            return  # connected and left without asking (a liveness probe): nothing to do
        request = json.loads(line)
        if request.get("stop"):
            conn.sendall(b'{"stopped": true}\n')
            os._exit(0)
        if request.get("version") != self.version:
            conn.sendall(b'{"restart": true}\n')
            os._exit(0)
        self.build(conn, request)

    def build(self, conn: socket.socket, request: dict[str, Any]) -> None:
        from dbt.cli.main import dbtRunner

        send_lock = threading.Lock()

        def send(message: dict[str, Any]) -> None:
            try:
                with send_lock:
                    conn.sendall(json.dumps(message, default=str).encode() + b"\n")
            except OSError:
                os._exit(1)  # the refresh has gone: stop building at once

        def forward(event: Any) -> None:
            if event.info.level in {"info", "warn", "error"} and event.info.msg.strip():
                send({"line": event.info.msg})

        # dbt's own output would only fill the worker's logs: its lines reach the refresh
        # through ``forward``. (--log-level none also turns dbt.log off, since no
        # --log-level-file is given; a build by hand or MIS_DBT_WORKER=0 writes it in full.)
        # dbt would also rewrite target/manifest.json after every build (~0.15 s of an
        # incremental one at large, with nothing else running): nothing reads it, so only
        # the run results are written (below), as dbt writes them.
        args = [*request["args"], "--log-level", "none", "--no-use-colors", "--no-write-json"]
        target_path = _flag(args, "--target-path")
        os.environ.clear()
        os.environ.update(request["env"])
        key = json.dumps([request["fingerprint"], _parse_args(args),
                          sorted((k, v) for k, v in request["env"].items()
                                 if k.startswith(("MIS_", "DBT_")))])
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                warm = self.manifest is not None and self.manifest_key == key
                if not warm:
                    self.forget_manifest()
                    parsed = dbtRunner(callbacks=[forward]).invoke(_parse_args(args))
                    if parsed.success:
                        self.manifest, self.manifest_key = parsed.result, key
                        # The manifest lives as long as the worker: kept out of the garbage
                        # collector's scans, each build's collections and the one that
                        # closes DuckDB no longer walk its ~200 MB of objects. The parse's
                        # garbage is collected first, or it would be kept for good.
                        gc.collect()
                        gc.freeze()
                result = dbtRunner(manifest=self.manifest, callbacks=[forward]).invoke(args)
                results: Any = result.result
                if target_path and hasattr(results, "write"):
                    results.write(str(Path(target_path) / "run_results.json"))
                outcome.update(code=0 if result.success else 1, warm=warm)
                if result.exception is not None:
                    send({"line": f"dbt error: {result.exception}"})
                    self.forget_manifest()
            except BaseException as exc:  # noqa: BLE001 - reported to the refresh
                outcome.update(code=2, warm=False)
                send({"line": f"dbt worker error: {exc.__class__.__name__}: {exc}"})
                self.forget_manifest()
            finally:
                _release_duckdb()

        busy = self.warehouse_dir / BUSY_FILE
        # written whole, then renamed: a reader never sees the file without its pid
        pending = busy.with_name(f"{BUSY_FILE}.{os.getpid()}")
        pending.write_text(str(os.getpid()))
        os.replace(pending, busy)
        _reset_peak()
        thread = threading.Thread(target=run, name="dbt-build", daemon=True)
        thread.start()
        # Woken by the build's end at once (a poll of the socket first would add up to its
        # period to every refresh), and five times a second to see the refresh is still there.
        while True:
            thread.join(0.2)
            if not thread.is_alive():
                break
            readable, _, _ = select.select([conn], [], [], 0)
            if readable and not conn.recv(1, socket.MSG_PEEK):
                os._exit(1)  # the refresh has gone (killed or timed out): stop building
        busy.unlink(missing_ok=True)
        send({"done": True, **outcome, "peak_mb": _peak_mb(), "pid": os.getpid()})

    def serve(self) -> int:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(address(self.warehouse_dir))
        except OSError:
            return 0  # another worker for this warehouse won the race
        server.listen(8)
        idle = float(os.environ.get("MIS_DBT_WORKER_IDLE_SECONDS", IDLE_SECONDS_DEFAULT))
        print(f"dbt worker {os.getpid()} serving {self.warehouse_dir} "
              f"(idle exit after {idle:.0f}s)", flush=True)
        import dbt.cli.main  # noqa: F401 - pay for dbt's imports before the first request

        from serving import dbt_speedups

        print(f"dbt worker {os.getpid()}: {', '.join(dbt_speedups.apply())}", flush=True)

        while True:
            server.settimeout(idle)
            try:
                conn, _ = server.accept()
            except TimeoutError:
                print(f"dbt worker {os.getpid()} idle for {idle:.0f}s: exiting", flush=True)
                return 0
            with conn:
                conn.settimeout(None)
                self.handle(conn)


def _release_duckdb() -> None:
    """Close dbt-duckdb's connection: it otherwise keeps the build file open for good."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
        from dbt.adapters.factory import reset_adapters
    except ImportError:
        return
    with contextlib.suppress(Exception):
        reset_adapters()
    env = DuckDBConnectionManager._ENV
    if env is not None:
        with contextlib.suppress(Exception):
            env.close()
    DuckDBConnectionManager.close_all_connections()
    gc.collect()


def main(argv: list[str]) -> int:
    warehouse_dir = Path(argv[0])
    if os.fork() > 0:  # the starter reaps this parent at once; the worker lives on alone
        os._exit(0)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    return _Worker(warehouse_dir).serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
