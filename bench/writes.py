"""Form writes on PostgreSQL: a sales order created and confirmed through the services.

Latency: one writer, each order in its own transaction (create + confirm + commit), as the
entry form does it. Throughput: 20 threads, each writing orders back to back for a fixed
time, with the services' retry on transient conflicts (deadlocks, serialization).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from datetime import date
from typing import Any

from bench.dashboard import percentile
from bench.store import order_data, order_pool, place_order
from operational.db import make_engine


def latency(store_url: str, today: date, *, writes: int, seed: int = 7) -> dict[str, Any]:
    engine = make_engine(store_url)
    try:
        pool, rng = order_pool(engine), random.Random(seed)
        for _ in range(3):  # warm-up: connections, statement caches
            place_order(engine, order_data(rng, pool, today))
        times = []
        for _ in range(writes):
            data = order_data(rng, pool, today)
            t0 = time.perf_counter()
            place_order(engine, data)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        engine.dispose()
    return {"p50": statistics.median(times), "p95": percentile(times, 95), "writes": writes}


def throughput(store_url: str, today: date, *, writers: int, seconds: float,
               seed: int = 11) -> dict[str, Any]:
    engine = make_engine(store_url)
    pool = order_pool(engine)
    done = [0] * writers
    errors: list[str] = []
    start = threading.Barrier(writers + 1)
    stop_at = [0.0]

    def writer(i: int) -> None:
        rng = random.Random(seed + i)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            try:
                place_order(engine, order_data(rng, pool, today))
                done[i] += 1
            except Exception as exc:  # noqa: BLE001 - count it, keep writing
                errors.append(f"{exc.__class__.__name__}: {exc}"[:200])

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return {
        "orders": sum(done),
        "seconds": elapsed,
        "orders_per_second": sum(done) / elapsed,
        "errors": len(errors),
        "first_errors": errors[:3],
    }
