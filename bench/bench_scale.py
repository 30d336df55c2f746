"""Turns per second with 1, 2 and 4 bot processes on PostgreSQL, against one process on SQLite.

The same workload each time: THREADS Slack threads of MESSAGES messages each, every thread's user
writing as soon as the previous message was acked, all threads at once, sent as signed event
callbacks to one address served by the workers (SO_REUSEPORT). The workers are real
`python -m bot run` processes (tests/scale/cluster.py) with the offline assistant, so this is the
bot's own ceiling: store round trips, Slack Web API calls (to the local fake), and Python, with no
model latency. The clock runs from the first delivery until every message is decided and nothing
is pending or owed.

Everything shares this machine's cores: the workers, PostgreSQL, the fake Slack API and the
sender. On the 2-core machine the figures show the contention, not the scaling a host with a core
per worker would show; `--cores` in the output says how many there were.

Run: .venv/bin/python bench/bench_scale.py [--threads N] [--messages N] [--runs N]
     (a PostgreSQL server: THREADKEEPER_TEST_PG_URL, or the local one as the tests use it)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402

from bench.bench_claude import BENIGN  # noqa: E402
from tests.fakes.messages_api import FakeMessagesAPI, JsonReply, Reply  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.scale.cluster import CHANNEL, MOD_LOG, Cluster, Slack, ThreadScript  # noqa: E402
from tests.store.conftest import LOCAL_PG_URL, PG_URL_ENV, with_database  # noqa: E402


async def counts(store: str) -> tuple[int, int, int]:
    """Decided events, pending messages and owed actions in the store."""
    queries = (
        "SELECT count(*) FROM events",
        "SELECT count(*) FROM inbox",
        "SELECT count(*) FROM outbox WHERE status = 'owed'",
    )
    if store.startswith("postgresql://"):
        conn = await asyncpg.connect(store)
        try:
            decided, pending, owed = [int(await conn.fetchval(q)) for q in queries]
        finally:
            await conn.close()
        return decided, pending, owed
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        decided, pending, owed = [int(db.execute(q).fetchone()[0]) for q in queries]
    finally:
        db.close()
    return decided, pending, owed


async def one_run(
    store: str, workers: int, threads: int, messages: int, tmp: Path, latency: float
) -> float:
    """Turns per second for one configuration on a fresh store."""
    if latency:
        async with FakeMessagesAPI() as claude:
            # The classifier answers in half the reply's time; the reply streams a few chunks.
            reply = Reply("An answer in a few parts. " * 4, latency=latency, chunk_delay=0.01)
            verdict = JsonReply(BENIGN, latency=latency / 2)
            claude.route(lambda body: verdict if "output_config" in body else reply)
            return await _run(store, workers, threads, messages, tmp, claude.url)
    return await _run(store, workers, threads, messages, tmp, None)


async def _run(
    store: str, workers: int, threads: int, messages: int, tmp: Path, claude_url: str | None
) -> float:
    api = FakeSlackApi()
    api.channels = {
        MOD_LOG: {"id": MOD_LOG, "name": "mod-log", "is_member": True},
        CHANNEL: {"id": CHANNEL, "name": "general", "is_member": True},
    }
    await api.start()
    cluster = Cluster(store=store, api_url=api.base_url, tmp=tmp, claude_url=claude_url)
    try:
        await cluster.start(workers)
        scripts = [
            ThreadScript(user=f"U{i:04d}", texts=[f"question {k}" for k in range(messages)])
            for i in range(threads)
        ]
        async with Slack(cluster.url) as slack:

            async def send(script: ThreadScript) -> None:
                for body in script.events(slack.payloads):
                    await slack.deliver(body)

            start = time.perf_counter()
            await asyncio.gather(*(send(s) for s in scripts))
            total = threads * messages
            deadline = time.perf_counter() + 300
            while True:
                decided, pending, owed = await counts(store)
                if decided >= total and not pending and not owed:
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"not settled: {decided}/{total}, {pending=}, {owed=}")
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - start
        return total / elapsed
    finally:
        await cluster.stop()
        await api.close()


async def fresh_pg(admin_url: str) -> tuple[str, str]:
    """A new database on the server; its URL and name."""
    name = f"threadkeeper_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name), name


async def drop_pg(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def main(argv: list[str]) -> list[tuple[str, float, float]]:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=40)
    p.add_argument("--messages", type=int, default=8)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workers", default="1,2,4")
    p.add_argument(
        "--model-latency",
        type=float,
        default=0.0,
        metavar="S",
        help="answer through a local Messages API that takes S seconds per reply (0: offline)",
    )
    args = p.parse_args(argv)
    admin = os.environ.get(PG_URL_ENV) or LOCAL_PG_URL
    configs: list[tuple[str, int]] = [("sqlite", 1)] + [
        ("postgresql", int(n)) for n in args.workers.split(",")
    ]
    rows: list[tuple[str, float, float]] = []
    latency = args.model_latency
    for backend, workers in configs:
        rates = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="tk-bench-scale-") as tmp:
                if backend == "sqlite":
                    store = str(Path(tmp) / "bot.db")
                    rates.append(
                        await one_run(store, 1, args.threads, args.messages, Path(tmp), latency)
                    )
                    continue
                url, name = await fresh_pg(admin)
                try:
                    rates.append(
                        await one_run(url, workers, args.threads, args.messages, Path(tmp), latency)
                    )
                finally:
                    await drop_pg(admin, name)
        label = f"{backend}, {workers} process{'es' if workers > 1 else ''}"
        rows.append((label, statistics.median(rates), min(rates)))
        print(
            f"{label:<26} median {rows[-1][1]:7.1f} turns/s   worst {rows[-1][2]:7.1f}", flush=True
        )
    model = f"model latency {latency:g} s" if latency else "offline assistant"
    print(
        f"({args.threads} threads x {args.messages} messages, {args.runs} runs each, {model}, "
        f"{os.cpu_count()} cores)"
    )
    return rows


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
