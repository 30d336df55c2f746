"""What the operators' features cost: the Prometheus exporter per turn, a scrape, and progress.

Run from the project root: `.venv/bin/python bench/bench_ops.py` (about 30 s). Each figure is the
median of several interleaved runs, so a noisy neighbour on the machine moves both sides alike:

1. A replay of a generated transcript through the full runtime (offline assistant, SQLite) with
   the core's sink left as the no-op and with the Prometheus exporter installed: the cost per turn.
2. One /metrics page (the store's gauges read, the registry rendered) after that replay.
3. `verify_audit` on the replayed store with no progress callback and with one that counts.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.metrics import PrometheusMetrics  # noqa: E402  # after the path is set
from bot import metrics, replay  # noqa: E402
from bot.app import make_runtime  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.store import open_store  # noqa: E402

LINES = 600
RUNS = 5


def transcript() -> list[replay.Step]:
    """LINES turns over 30 threads, one in seven harmful (so locks and cases happen)."""
    lines = []
    for n in range(LINES):
        text = "how do I make a pipe bomb" if n % 7 == 3 else f"question {n} about bread"
        lines.append(json.dumps({"thread": f"t{n % 30}", "user": f"u{n % 30}", "text": text}))
    return replay.parse(lines)


async def one_replay(steps: list[replay.Step], path: Path) -> float:
    """Seconds for one replay into a fresh store at `path`."""
    store = await open_store(str(path))
    try:
        adapter, clock = replay.ReplayAdapter(), replay.ReplayClock()
        runtime = await make_runtime(
            Settings(), adapters={replay.PLATFORM: adapter}, store=store, clock=clock
        )
        started = time.perf_counter()
        await replay.run(steps, runtime=runtime, adapter=adapter, clock=clock)
        return time.perf_counter() - started
    finally:
        await store.close()


async def main() -> None:
    """Print the three figures."""
    steps = transcript()
    plain: list[float] = []
    exported: list[float] = []
    exporter = PrometheusMetrics(refresh_every=0)
    kept = Path()
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(2 * RUNS):
            # Alternate which goes first, so neither side always runs on a warmer machine.
            if (run % 2 == 0) == (run // 2 % 2 == 0):
                plain.append(await one_replay(steps, Path(tmp) / f"plain{run}.db"))
                continue
            metrics.install(exporter)
            kept = Path(tmp) / f"exported{run}.db"
            try:
                exported.append(await one_replay(steps, kept))
            finally:
                metrics.uninstall(exporter)
        a, b = statistics.median(plain), statistics.median(exported)
        print(f"replay of {LINES} turns, median of {RUNS}:")
        print(f"  no-op sink        {a * 1000:8.1f} ms  ({a / LINES * 1e6:6.0f} µs a turn)")
        print(f"  Prometheus sink   {b * 1000:8.1f} ms  ({b / LINES * 1e6:6.0f} µs a turn)")
        print(f"  difference        {(b - a) / LINES * 1e6:+6.0f} µs a turn ({(b / a - 1):+.1%})")

        store = await open_store(str(kept))
        try:
            scrapes = []
            for _ in range(20):
                started = time.perf_counter()
                await exporter.refresh(store, now=datetime.now(UTC))
                page = exporter.render()
                scrapes.append(time.perf_counter() - started)
            took = statistics.median(scrapes) * 1000
            print(f"/metrics page: {len(page)} bytes, median {took:.2f} ms")
            bare, counted = [], []
            heard = [0]

            def count(stage: str, done: int, total: int | None) -> None:
                heard[0] += 1

            for _ in range(RUNS):
                started = time.perf_counter()
                report = await store.verify_audit()
                bare.append(time.perf_counter() - started)
                started = time.perf_counter()
                await store.verify_audit(progress=count)
                counted.append(time.perf_counter() - started)
            print(
                f"verify_audit of {report.records} records: {statistics.median(bare) * 1000:.1f} ms"
                f" bare, {statistics.median(counted) * 1000:.1f} ms with progress"
                f" ({heard[0] // RUNS} callbacks a walk)"
            )
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
