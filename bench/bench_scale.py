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

On PostgreSQL the bench also measures the lock wait of each commit: a sampler on its own
connection reads `pg_locks` every SAMPLE_EVERY seconds for ungranted locks of the bench's database
(each wait is one (pid, waitstart); its length is the longest `clock_timestamp() - waitstart`
seen, plus one interval, an upper bound). Row and transaction locks are what commits wait on;
advisory locks are the thread lanes (`thread_lock`, held while a thread's turn runs) and are
reported apart. The per-commit figure divides by the write transactions the run made (decisions
plus actions marked done); a wait shorter than the interval may go unseen. The sampler's queries
use some of the same cores, so PostgreSQL rows pay a little for being watched. The machine's CPU
use over the run (/proc/stat, niced time as idle) and, with a model, the model requests in flight
at the local Messages API (sampled every 10 ms; a turn makes two, the classifier's and the
reply's, and a process runs `max_concurrent_model_calls` = 8 turns at once) say which resource
bounds a run.

Run: .venv/bin/python bench/bench_scale.py [--threads N] [--messages N] [--runs N]
     [--model-latency S] (a PostgreSQL server: THREADKEEPER_TEST_PG_URL, or the local one as the
     tests use it)
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402

from bench.bench_claude import BENIGN  # noqa: E402
from tests.fakes.messages_api import FakeMessagesAPI, JsonReply, Reply  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.scale.cluster import CHANNEL, MOD_LOG, Cluster, Slack, ThreadScript  # noqa: E402
from tests.store.conftest import LOCAL_PG_URL, PG_URL_ENV, with_database  # noqa: E402

#: How often the lock sampler reads pg_locks (seconds).
SAMPLE_EVERY = 0.002
#: `limits.max_concurrent_model_calls` as the workers run it (the default).
MODEL_CALLS_PER_PROCESS = 8
LOCK_SAMPLE = (
    "SELECT l.pid, l.locktype, l.waitstart, EXTRACT(EPOCH FROM clock_timestamp() - l.waitstart)"
    " AS waited FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE NOT l.granted AND l.waitstart IS NOT NULL AND a.datname = current_database()"
    " AND l.pid <> pg_backend_pid()"
)
WRITE_TRANSACTIONS = (
    "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM outbox WHERE status = 'done')"
)


@dataclass
class RunResult:
    """What one run measured."""

    rate: float
    #: Lock waits seen, seconds each (upper bound), by kind: "row" (commits) or "advisory".
    waits: dict[str, list[float]] = field(default_factory=lambda: {"row": [], "advisory": []})
    #: Write transactions of the run (decisions and actions marked done).
    commits: int = 0
    #: The machine's CPU busy over the run, 0..1 of all cores.
    cpu: float = 0.0
    #: Model requests in flight at the local Messages API: mean while any was, and the most.
    in_flight: float = 0.0
    in_flight_max: int = 0


class LockSampler:
    """Polls pg_locks for ungranted locks in the run's database until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: dict[tuple[int, Any], tuple[str, float]] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LockSampler:
        conn = await asyncpg.connect(self.url)
        self._task = asyncio.get_running_loop().create_task(self._poll(conn))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _poll(self, conn: Any) -> None:
        try:
            while not self._stop.is_set():
                for row in await conn.fetch(LOCK_SAMPLE):
                    key = (int(row["pid"]), row["waitstart"])
                    kind = "advisory" if row["locktype"] == "advisory" else "row"
                    waited = float(row["waited"])
                    self.seen[key] = (kind, max(waited, self.seen.get(key, (kind, 0.0))[1]))
                await asyncio.sleep(SAMPLE_EVERY)
        finally:
            await conn.close()

    def waits(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {"row": [], "advisory": []}
        for kind, waited in self.seen.values():
            out[kind].append(waited + SAMPLE_EVERY)
        return out


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of all cores so far, from /proc/stat.

    Niced time counts as idle: the machine's background job runs at nice 19 and yields to the bench.
    """
    with open("/proc/stat", encoding="ascii") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    idle = fields[1] + fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


async def sample_in_flight(api: FakeMessagesAPI, out: list[int], stop: asyncio.Event) -> None:
    """Every 10 ms, how many model requests the local Messages API is serving."""
    while not stop.is_set():
        out.append(len(api._tasks))  # its in-flight handler tasks
        await asyncio.sleep(0.01)


def p99_per_commit(waits: list[float], commits: int) -> float:
    """The 99th percentile of lock wait over every commit (those not seen waiting waited 0)."""
    values = sorted(waits) + [0.0] * max(0, commits - len(waits))
    values.sort()
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(0.99 * len(values)))]


async def write_transactions(store: str) -> int:
    conn = await asyncpg.connect(store)
    try:
        return int(await conn.fetchval(WRITE_TRANSACTIONS))
    finally:
        await conn.close()


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
) -> RunResult:
    """What one configuration measured on a fresh store."""
    if latency:
        async with FakeMessagesAPI() as claude:
            # The classifier answers in half the reply's time; the reply streams a few chunks.
            reply = Reply("An answer in a few parts. " * 4, latency=latency, chunk_delay=0.01)
            verdict = JsonReply(BENIGN, latency=latency / 2)
            claude.route(lambda body: verdict if "output_config" in body else reply)
            seen: list[int] = []
            stop = asyncio.Event()
            sampler = asyncio.get_running_loop().create_task(sample_in_flight(claude, seen, stop))
            try:
                result = await _run(store, workers, threads, messages, tmp, claude.url)
            finally:
                stop.set()
                await sampler
        busy = [n for n in seen if n]  # while the traffic ran (not the workers' start)
        result.in_flight = statistics.mean(busy) if busy else 0.0
        result.in_flight_max = max(seen, default=0)
        return result
    return await _run(store, workers, threads, messages, tmp, None)


async def _run(
    store: str, workers: int, threads: int, messages: int, tmp: Path, claude_url: str | None
) -> RunResult:
    api = FakeSlackApi()
    api.channels = {
        MOD_LOG: {"id": MOD_LOG, "name": "mod-log", "is_member": True},
        CHANNEL: {"id": CHANNEL, "name": "general", "is_member": True},
    }
    await api.start()
    cluster = Cluster(store=store, api_url=api.base_url, tmp=tmp, claude_url=claude_url)
    on_pg = store.startswith("postgresql://")
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

            sampler = LockSampler(store) if on_pg else None
            if sampler is not None:
                await sampler.__aenter__()
            busy0, total0 = cpu_times()
            start = time.perf_counter()
            try:
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
                busy1, total1 = cpu_times()
            finally:
                if sampler is not None:
                    await sampler.__aexit__()
        result = RunResult(rate=total / elapsed, cpu=(busy1 - busy0) / max(total1 - total0, 1.0))
        if sampler is not None:
            result.waits = sampler.waits()
            result.commits = await write_transactions(store)
        return result
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


@dataclass
class Row:
    """One configuration's runs, summarised."""

    label: str
    backend: str
    workers: int
    rate: float  # median turns/s
    worst: float
    lock_p99: float  # median over runs of the per-commit p99 (s); PostgreSQL only
    lock_max: float  # the longest row-lock wait seen in any run (s)
    advisory_p99: float  # the same for advisory waits (thread lanes), over the waits seen
    cpu: float
    in_flight: float
    in_flight_max: int


def summarise(label: str, backend: str, workers: int, results: list[RunResult]) -> Row:
    rates = [r.rate for r in results]
    row_waits = [w for r in results for w in r.waits["row"]]
    advisory = sorted(w for r in results for w in r.waits["advisory"])
    return Row(
        label=label,
        backend=backend,
        workers=workers,
        rate=statistics.median(rates),
        worst=min(rates),
        lock_p99=statistics.median(p99_per_commit(r.waits["row"], r.commits) for r in results),
        lock_max=max(row_waits, default=0.0),
        advisory_p99=advisory[int(0.99 * (len(advisory) - 1))] if advisory else 0.0,
        cpu=statistics.median(r.cpu for r in results),
        in_flight=statistics.median(r.in_flight for r in results),
        in_flight_max=max(r.in_flight_max for r in results),
    )


def verdicts(rows: list[Row], latency: float) -> list[str]:
    """The targets of issue 17 this run can check, each computed from the rows measured."""
    by = {(r.backend, r.workers): r for r in rows}
    out: list[str] = []

    def line(name: str, ok: bool, figures: str) -> None:
        out.append(f"{name}: {figures} -> {'met' if ok else 'NOT met'}")

    pg1, pg2, pg4 = (by.get(("postgresql", n)) for n in (1, 2, 4))
    lite = by.get(("sqlite", 1))
    if latency:
        if pg1 and pg4:
            ratio = pg4.rate / pg1.rate
            line("4 processes >= 3x one (1 s model)", ratio >= 3, f"{ratio:.2f}x")
            cap = 2 * MODEL_CALLS_PER_PROCESS * 4
            out.append(
                f"  bound at 4 processes: CPU {pg4.cpu:.0%} of all cores busy (niced excluded);"
                f" model requests in flight mean {pg4.in_flight:.1f}, most {pg4.in_flight_max}"
                f" (cap {cap}: {MODEL_CALLS_PER_PROCESS} turns a process, 2 requests a turn)"
            )
        return out
    if pg2 and pg4:
        line(
            "PG 4-process ceiling >= 2-process",
            pg4.rate >= pg2.rate,
            f"{pg4.rate:.1f} vs {pg2.rate:.1f} turns/s",
        )
    if pg4:
        line(
            "PG lock wait per commit p99 < 5 ms at 4 processes",
            pg4.lock_p99 < 0.005,
            f"{pg4.lock_p99 * 1000:.1f} ms",
        )
    if pg1 and lite:
        ratio = pg1.rate / lite.rate
        line("PG one process >= 0.75 of SQLite", ratio >= 0.75, f"{ratio:.2f}")
    return out


async def main(argv: list[str]) -> list[Row]:
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
    rows: list[Row] = []
    latency = args.model_latency
    for backend, workers in configs:
        results: list[RunResult] = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="tk-bench-scale-") as tmp:
                if backend == "sqlite":
                    store = str(Path(tmp) / "bot.db")
                    results.append(
                        await one_run(store, 1, args.threads, args.messages, Path(tmp), latency)
                    )
                    continue
                url, name = await fresh_pg(admin)
                try:
                    results.append(
                        await one_run(url, workers, args.threads, args.messages, Path(tmp), latency)
                    )
                finally:
                    await drop_pg(admin, name)
        label = f"{backend}, {workers} process{'es' if workers > 1 else ''}"
        row = summarise(label, backend, workers, results)
        rows.append(row)
        locks = ""
        if backend == "postgresql":
            locks = (
                f"   lock wait/commit p99 {row.lock_p99 * 1000:5.1f} ms"
                f" (longest {row.lock_max * 1000:.1f} ms;"
                f" thread lanes p99 {row.advisory_p99 * 1000:.1f} ms)"
            )
        flight = (
            f"   model requests in flight {row.in_flight:.1f} (most {row.in_flight_max})"
            if latency
            else ""
        )
        print(
            f"{label:<26} median {row.rate:7.1f} turns/s   worst {row.worst:7.1f}"
            f"   CPU {row.cpu:4.0%}{locks}{flight}",
            flush=True,
        )
    model = f"model latency {latency:g} s" if latency else "offline assistant"
    print(
        f"({args.threads} threads x {args.messages} messages, {args.runs} runs each, {model}, "
        f"{os.cpu_count()} cores, locks sampled every {SAMPLE_EVERY * 1000:g} ms)"
    )
    for text in verdicts(rows, latency):
        print(text)
    return rows


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
