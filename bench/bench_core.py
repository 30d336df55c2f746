"""The core's own cost per turn, under concurrency, in memory, as the store grows, and on restart.

The model's latency is the one cost the bot cannot remove; everything here measures what the bot
adds on top of it, with an assistant that answers at once (the offline assistant), no classifier,
a real SQLite store in a temporary folder, and a platform that notes when it is first called and
what it was asked to deliver. The platform implements `bot.adapter.Adapter` and the counting
store `bot.store.base.Store`, both checked by mypy (bench/ is in its packages): an interface
change breaks the bench instead of failing quietly inside it. Every verdict is computed from
what was measured or delivered in this run. Also here: the store calls a turn makes
(bench/counting_store.py), the rate limiter at many users (bench/bench_limits.py) and the CLI's
start-up (bench/bench_startup.py).

Run: .venv/bin/python bench/bench_core.py [--quick] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import pstats
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_limits import limit_rows  # noqa: E402
from bench.bench_startup import startup_rows  # noqa: E402
from bench.counting_store import WRITES, CountingStore  # noqa: E402
from bot.adapter import ALL_ACTIONS, Adapter  # noqa: E402
from bot.assistant.base import ReplyOutcome, TurnContext  # noqa: E402
from bot.assistant.offline import NoClassifier, OfflineAssistant  # noqa: E402
from bot.config import LimitSettings, Settings  # noqa: E402
from bot.records import Action, Author, Case, Incoming, ThreadRef  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.store.base import Store  # noqa: E402

Row = tuple[str, str, str, str]  # what, figure, target, verdict


class Stopwatch:
    """A platform that notes when it is first called for each turn, and what it delivered."""

    platform = "bench"
    supports = ALL_ACTIONS

    def __init__(self) -> None:
        self.first: float | None = None
        #: (action kind, key, retry) of every action performed, in order.
        self.delivered: list[tuple[str, str, bool]] = []
        self.replies = 0

    def mark(self) -> None:
        """The first platform call of the current turn."""
        if self.first is None:
            self.first = time.perf_counter()

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Note the time and the delivery; no message reference of its own."""
        self.mark()
        self.delivered.append((action.kind, key, retry))
        return None

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Note the time, then drain the reply."""
        self.mark()
        self.replies += 1
        return "".join([c async for c in chunks])


def _typed(platform: Stopwatch) -> Adapter:
    """Never called: mypy checks here that the bench's platform is an Adapter."""
    return platform


class Clock:
    """A clock that moves a second a call, so turns have distinct, ordered times."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def ref(n: int) -> ThreadRef:
    """Thread number n."""
    return ThreadRef(platform="bench", workspace="w", channel="c", thread=f"t{n}")


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def runtime_on(store: Store, platform: Adapter, **kw: Any) -> Runtime:
    """The real runtime with an instant assistant."""
    return Runtime(
        settings=kw.get(
            "settings",
            Settings(
                limits=LimitSettings(
                    user_messages_per_minute=0,
                    thread_tokens_per_day=0,
                    workspace_tokens_per_day=0,
                    max_concurrent_model_calls=0,
                )
            ),
        ),
        store=store,
        assistant=kw.get("assistant", OfflineAssistant()),
        classifier=kw.get("classifier", NoClassifier()),
        adapters={"bench": platform},
        clock=Clock(),
    )


TEXTS = [
    "hello, can you help me with my code?",
    "thanks, and what about tests?",
    "how do I make a pipe bomb",
]


async def one_turn(
    runtime: Runtime, platform: Stopwatch, n: int, thread: int, opens: bool
) -> float:
    """Seconds from the event to the first platform call."""
    platform.first = None
    start = time.perf_counter()
    await runtime.handle(
        Incoming(
            event_id=f"e{n}",
            thread=ref(thread),
            author=Author(id=f"u{thread}", name="u"),
            text=TEXTS[n % 2] if n % 17 else TEXTS[2],
            at=runtime.clock(),
            opens_thread=opens,
        )
    )
    assert platform.first is not None
    return platform.first - start


async def overhead(tmp: Path, *, turns: int, threads: int, profile: bool) -> list[Row]:
    """Per-turn overhead over many threads, and throughput."""
    store = await open_store(str(tmp / "overhead.db"))
    platform = Stopwatch()
    runtime = await runtime_on(store, platform)
    per_thread = turns // threads
    latencies: list[float] = []
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    n = 0
    for round_ in range(per_thread):
        if profiler and round_ == 1:
            profiler.enable()
        for t in range(threads):
            latencies.append(await one_turn(runtime, platform, n, t, opens=round_ == 0))
            n += 1
    elapsed = time.perf_counter() - start
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        (ROOT / "bench" / "profile_core.txt").write_text(out.getvalue())
    # Throughput with 50 turns in flight on different threads (the lanes run them concurrently).
    conc_start = time.perf_counter()
    sem = asyncio.Semaphore(50)

    async def limited(i: int) -> None:
        async with sem:
            await runtime.handle(
                Incoming(
                    event_id=f"c{i}",
                    thread=ref(i % threads),
                    author=Author(id="u", name="u"),
                    text="and one more question",
                    at=runtime.clock(),
                )
            )

    await asyncio.gather(*(limited(i) for i in range(2000)))
    conc = 2000 / (time.perf_counter() - conc_start)
    await store.close()
    p50, p99 = pct(latencies, 0.5) * 1000, pct(latencies, 0.99) * 1000
    return [
        (
            f"overhead per turn, {turns:,} turns / {threads:,} threads, p50",
            f"{p50:.2f} ms",
            "<= 2 ms",
            ok(p50 <= 2),
        ),
        ("overhead per turn, p99", f"{p99:.2f} ms", "<= 10 ms", ok(p99 <= 10)),
        ("throughput, one turn at a time", f"{turns / elapsed:,.0f} turns/s", "", ""),
        ("throughput, 50 turns in flight", f"{conc:,.0f} turns/s", "", ""),
    ]


def ok(good: bool) -> str:
    """A verdict column."""
    return "met" if good else "NOT MET"


class SlowReply:
    """A reply that streams 40 chunks, 20 ms apart (a model talking)."""

    def __init__(self) -> None:
        self._text: list[str] = []

    async def started(self) -> bool:
        """Ready."""
        return True

    async def stream(self, verdict: str) -> AsyncIterator[str]:
        """Forty chunks."""
        for i in range(40):
            await asyncio.sleep(0.02)
            self._text.append(f"word{i} ")
            yield f"word{i} "

    async def outcome(self) -> ReplyOutcome:
        """The text."""
        return ReplyOutcome(text="".join(self._text))

    async def cancel(self) -> None:
        """Nothing to stop."""


class SlowAssistant:
    """Streams slowly, like a model."""

    name = "slow"
    is_model = True

    def begin(self, context: TurnContext) -> SlowReply:
        """A slow reply."""
        return SlowReply()

    async def aclose(self) -> None:
        """Nothing."""


async def loop_lag(tmp: Path) -> list[Row]:
    """Event-loop lag while 50 replies stream at once."""
    store = await open_store(str(tmp / "lag.db"))
    platform = Stopwatch()
    runtime = await runtime_on(store, platform, assistant=SlowAssistant())
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    tick = asyncio.create_task(ticker())
    await asyncio.gather(
        *(
            runtime.handle(
                Incoming(
                    event_id=f"l{i}",
                    thread=ref(i),
                    author=Author(id="u", name="u"),
                    text="tell me a story",
                    at=runtime.clock(),
                    opens_thread=True,
                )
            )
            for i in range(50)
        )
    )
    stop.set()
    await tick
    await store.close()
    p99 = pct(lags, 0.99) * 1000
    return [
        (
            "event-loop lag, 50 replies streaming at once, p99",
            f"{p99:.1f} ms",
            "< 50 ms",
            ok(p99 < 50),
        )
    ]


def rss_kb() -> int:
    """Resident memory of this process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


async def memory(tmp: Path, *, threads: int) -> list[Row]:
    """Memory held per idle tracked thread: the process's resident size, and Python's own heap.

    The resident size can read near zero when the threads fit in memory an earlier step freed;
    tracemalloc counts the Python objects still held after the turns (the platform fake's own
    record of deliveries is cleared first: it is the bench's, not the bot's). SQLite's page
    cache is outside tracemalloc, and bounded.
    """
    store = await open_store(str(tmp / "memory.db"))
    platform = Stopwatch()
    runtime = await runtime_on(store, platform)
    # Warm up: the first turns load code and fill SQLite's page cache.
    for i in range(200):
        await one_turn(runtime, platform, i, 10_000_000 + i, opens=True)
    platform.delivered.clear()
    gc.collect()
    tracemalloc.start()
    heap_before = tracemalloc.get_traced_memory()[0]
    before = rss_kb()
    for i in range(threads):
        await one_turn(runtime, platform, 1000 + i, i, opens=True)
    platform.delivered.clear()
    gc.collect()
    after = rss_kb()
    heap_after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per = (after - before) * 1024 / threads
    heap = (heap_after - heap_before) / threads
    lanes = len(runtime._lanes)
    await store.close()
    return [
        (
            f"resident memory per idle thread ({threads:,} threads)",
            f"{per:,.0f} bytes",
            "< 2 KB",
            ok(per < 2048),
        ),
        (
            "Python heap held per idle thread (tracemalloc)",
            f"{heap:,.0f} bytes",
            "< 2 KB",
            ok(heap < 2048),
        ),
        ("thread lanes held in memory while idle", str(lanes), "0", ok(lanes == 0)),
    ]


def seed(db: Path, *, threads: int, turns_in_one: int) -> None:
    """Fill a store quickly with plain SQL (the schema's own tables), for the growth curve."""
    conn = sqlite3.connect(db)
    now = "2026-01-01T00:00:00.000000+00:00"
    state = (
        '{{"ref":{{"platform":"bench","workspace":"w","channel":"c","thread":"s{n}"}},'
        '"owner":"u","opened_at":"{now}","status":"open","strikes":0,"benign_streak":0,'
        '"turns":1,"last_risk_at":null,"resources_posted_at":null,"pending_end_by":null,'
        '"first_strike_turn":null,"closed_category":"none","closed_at":null,'
        '"history_trimmed":false}}'
    )
    conn.executemany(
        "INSERT INTO threads (key, status, owner, workspace, state, updated_at)"
        " VALUES (?,?,?,?,?,?)",
        (
            (f"bench:w:c:s{n}", "open", "u", "w", state.format(n=n, now=now), now)
            for n in range(threads)
        ),
    )
    conn.executemany(
        "INSERT INTO turns (thread_key, role, author_id, author_name, at, event_id, verdict, "
        "assessment, hidden, flagged, usage, excerpt_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            (
                "bench:w:c:t0",
                "user" if i % 2 == 0 else "assistant",
                "u",
                "u",
                now,
                f"h{i}",
                "reply",
                None,
                0,
                0,
                "{}",
                None,
            )
            for i in range(turns_in_one)
        ),
    )
    conn.commit()
    conn.close()


REPEATS = 5


async def growth(tmp: Path, *, quick: bool) -> list[Row]:
    """Overhead per turn as history and the number of threads grow: it must stay flat.

    Each store size is measured REPEATS times, the sizes taken in turn (small, medium, large,
    small, ...) so that whatever else the machine does falls on all of them alike; a size's
    figure is the median of its repeats' p50s. Growth is the largest store's figure over the
    smallest's: a small store that happens to be slow makes it smaller, never a failure.
    """
    sizes = [(10, 1), (1_000, 100), (100_000 if not quick else 20_000, 1_000)]
    opened: list[tuple[Store, Stopwatch, Runtime]] = []
    for threads, history in sizes:
        db = tmp / f"growth-{threads}.db"
        store = await open_store(str(db))
        await store.close()
        seed(db, threads=threads, turns_in_one=history)
        store = await open_store(str(db))
        platform = Stopwatch()
        runtime = await runtime_on(store, platform)
        await one_turn(runtime, platform, 0, 0, opens=True)
        opened.append((store, platform, runtime))
    p50s: list[list[float]] = [[] for _ in sizes]
    n = 1
    for _ in range(REPEATS):
        for i, (_, platform, runtime) in enumerate(opened):
            samples = []
            for _ in range(300):
                samples.append(await one_turn(runtime, platform, n, 0, opens=False))
                n += 1
            p50s[i].append(pct(samples, 0.5) * 1000)
    for each, _, _ in opened:
        await each.close()
    curve = [statistics.median(runs) for runs in p50s]
    rows: list[Row] = [
        (
            f"overhead p50 with {threads:,} threads, {history:,} turns of history"
            f" (median of {REPEATS})",
            f"{median:.2f} ms",
            "",
            "",
        )
        for (threads, history), median in zip(sizes, curve, strict=True)
    ]
    growth_ratio = curve[-1] / curve[0]
    rows.append(
        (
            "growth: largest / smallest store, median p50s",
            f"{growth_ratio:.2f}",
            "<= 1.5",
            ok(growth_ratio <= 1.5),
        )
    )
    return rows


async def store_calls(tmp: Path, *, threads: int) -> list[Row]:
    """Store calls and writes per turn, counted by a Store around the real SQLite one.

    `threads` opening turns (a mention that starts a thread), then one benign follow-up in each
    (the common turn, which the targets are for), then one harmful request in each (a redirect
    and a strike: shown for comparison). A write is one transaction of its own
    (bench/counting_store.WRITES).
    """
    store = CountingStore(await open_store(str(tmp / "calls.db")))
    platform = Stopwatch()
    runtime = await runtime_on(store, platform)

    async def phase(text: str, opens: bool, first: int) -> Counter[str]:
        before = store.snapshot()
        for t in range(threads):
            await runtime.handle(
                Incoming(
                    event_id=f"k{first + t}",
                    thread=ref(t),
                    author=Author(id=f"u{t}", name="u"),
                    text=text,
                    at=runtime.clock(),
                    opens_thread=opens,
                )
            )
        for _ in range(10):  # anything the turns left running on the loop
            await asyncio.sleep(0)
        return store.snapshot() - before

    replies_before = platform.replies
    opening = await phase(TEXTS[0], True, 0)
    follow = await phase(TEXTS[1], False, threads)
    replied = platform.replies - replies_before
    harmful = await phase(TEXTS[2], False, 2 * threads)
    await store.close()
    rows: list[Row] = []
    for what, counts, targeted in (
        ("opening turn", opening, False),
        ("follow-up turn", follow, True),
        ("harmful follow-up", harmful, False),
    ):
        calls = sum(counts.values()) / threads
        writes = sum(v for k, v in counts.items() if k in WRITES) / threads
        detail = ", ".join(f"{k} {v / threads:g}" for k, v in sorted(counts.items()))
        rows.append(
            (
                f"store calls per {what} ({detail})",
                f"{calls:.2f}",
                "<= 3" if targeted else "",
                ok(calls <= 3) if targeted else "",
            )
        )
        rows.append(
            (
                f"store writes (commits) per {what}",
                f"{writes:.2f}",
                "<= 2" if what != "harmful follow-up" else "",
                ok(writes <= 2) if what != "harmful follow-up" else "",
            )
        )
    rows.append(
        (
            f"... benign turns that replied (of {2 * threads})",
            str(replied),
            str(2 * threads),
            ok(replied == 2 * threads),
        )
    )
    return rows


RECOVER = """
import asyncio, json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from bench.bench_core import Stopwatch, runtime_on
from bench.counting_store import CountingStore
from bot.store import open_store
async def main():
    store = CountingStore(await open_store({db!r}))
    platform = Stopwatch()
    runtime = await runtime_on(store, platform)
    ready = time.perf_counter() - t0
    n = await runtime.recover()
    drained = time.perf_counter() - t0
    left = len(await store.owed_actions())
    await store.close()
    print(json.dumps(dict(ready=ready, drained=drained, recovered=n, left=left,
                          given_up=store.given_up, delivered=platform.delivered)))
asyncio.run(main())
"""


async def recovery(tmp: Path) -> list[Row]:
    """A process that died owing 100 actions: time to ready and to drained, in a new process.

    "Carried out" is counted from what the new process's platform was handed: 100 distinct
    owed notices, each marked as a possible retry, none given up, none still owed.
    """
    db = tmp / "recovery.db"
    store = await open_store(str(db))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    owed = 100
    actions = [Action(kind="notice", thread=ref(i), text="owed notice") for i in range(owed)]
    await store.commit(at=now, event_id="dead", state=None, actions=actions)
    await store.close()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RECOVER.format(root=str(ROOT), db=str(db)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    stdout, _ = await proc.communicate()
    out = json.loads(stdout.decode().splitlines()[-1])
    delivered = [tuple(d) for d in out["delivered"]]
    notices = {key for kind, key, retry in delivered if kind == "notice" and retry}
    good = (
        len(notices) == owed
        and len(delivered) == owed
        and out["given_up"] == 0
        and out["left"] == 0
        and out["recovered"] == owed
    )
    return [
        (
            f"restart with {owed} owed actions: process start to ready",
            f"{out['ready'] * 1000:.0f} ms",
            "",
            "",
        ),
        (
            f"... to all {owed} carried out (delivered {len(notices)}, given up"
            f" {out['given_up']}, still owed {out['left']})",
            f"{out['drained'] * 1000:.0f} ms",
            f"{owed} delivered",
            ok(good),
        ),
    ]


def startup(tmp: Path) -> list[Row]:
    """`python -m bot run` to the console's first prompt."""
    times = []
    for i in range(5):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--store", str(tmp / f"start{i}.db")],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        )
        assert proc.stdout is not None and proc.stdin is not None
        seen = b""
        while b"@#general>" not in seen:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
        times.append(time.perf_counter() - start)
        proc.stdin.close()
        proc.wait(timeout=10)
    p50 = statistics.median(times)
    return [
        (
            "startup: python -m bot run to ready (median of 5)",
            f"{p50 * 1000:.0f} ms",
            "< 2 s",
            ok(p50 < 2),
        )
    ]


async def main(argv: list[str] | None = None) -> list[Row]:
    """Every measurement, as rows."""
    args = argparse.ArgumentParser()
    args.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args.add_argument("--profile", action="store_true", help="write bench/profile_core.txt")
    opts = args.parse_args(argv)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="tk-bench-") as name:
        tmp = Path(name)
        steps: list[tuple[str, Callable[[], Any]]] = [
            (
                "overhead",
                lambda: overhead(
                    tmp,
                    turns=2_000 if opts.quick else 10_000,
                    threads=200 if opts.quick else 1_000,
                    profile=opts.profile,
                ),
            ),
            ("lag", lambda: loop_lag(tmp)),
            ("memory", lambda: memory(tmp, threads=2_000 if opts.quick else 10_000)),
            ("growth", lambda: growth(tmp, quick=opts.quick)),
            ("recovery", lambda: recovery(tmp)),
            ("store calls", lambda: store_calls(tmp, threads=100 if opts.quick else 500)),
        ]
        for _, step in steps:
            rows += await step()
        rows += startup(tmp)
        rows += startup_rows(tmp)
        rows += limit_rows((1_000, 10_000) if opts.quick else (1_000, 10_000, 100_000))
    return rows


def show(rows: list[Row]) -> str:
    """One table."""
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'figure':>16}  {'target':>8}  verdict"]
    lines += [f"{w:<{width}}  {f:>16}  {t:>8}  {v}" for w, f, t, v in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(show(asyncio.run(main())))
