"""Serve the refresh deployments: incremental on a cron, a nightly full rebuild.

Schedules need a real Prefect server (the temporary API cannot schedule). ``serve`` uses the
one at ``PREFECT_API_URL`` or starts one on 127.0.0.1 (UI included) for as long as it runs.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import time
import urllib.request

from flows.env import configure_prefect
from operational.settings import get_settings

configure_prefect()

DEFAULT_PORT = 4200


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def ensure_server(port: int = DEFAULT_PORT, timeout: float = 90.0) -> str:
    """Return the API URL of a running Prefect server, starting one if none is configured."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        if not _healthy(configured):
            raise RuntimeError(f"PREFECT_API_URL={configured} does not answer /health")
        return configured
    api_url = f"http://127.0.0.1:{port}/api"
    if not _healthy(api_url):
        log = get_settings().resolved_home / "prefect" / "server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=log.open("ab"), stderr=subprocess.STDOUT, env=os.environ.copy(),
        )
        atexit.register(proc.terminate)
        deadline = time.monotonic() + timeout
        while not _healthy(api_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not start; see {log}")
            time.sleep(0.5)
    os.environ["PREFECT_API_URL"] = api_url
    return api_url


def deployments(*, cron: str, nightly: str, timezone: str) -> list[object]:
    from prefect.schedules import Cron

    from flows.refresh import refresh_flow

    return [
        refresh_flow.to_deployment(
            name="incremental", schedule=Cron(cron, timezone=timezone),
            parameters={"full": False},
            description="Land changes, reconcile, dbt build, publish.",
        ),
        refresh_flow.to_deployment(
            name="nightly-full", schedule=Cron(nightly, timezone=timezone),
            parameters={"full": True},
            description="Re-land every row and rebuild every model.",
        ),
    ]


def serve(*, cron: str, nightly: str, timezone: str, port: int = DEFAULT_PORT) -> None:
    """Block, serving both deployments until interrupted (SIGTERM/Ctrl+C stop cleanly)."""
    api_url = ensure_server(port)
    print(f"Prefect server: {api_url.removesuffix('/api')} (runs, schedules, logs)")
    print(f"incremental refresh: '{cron}', full rebuild: '{nightly}' ({timezone})")
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(cron=cron, nightly=nightly, timezone=timezone))  # type: ignore[arg-type]
