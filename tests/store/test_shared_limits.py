"""Limits several processes count against together: on PostgreSQL the database keeps them.

Two bot runtimes, each on its own connection pool to one database (two processes, as far as the
database can tell), share one user's message rate and one thread's token budget: the pair allows
what one process allows. On SQLite the counting stays in the process's memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import notices
from bot.config import LimitSettings, Settings
from bot.limits import RateLimiter
from bot.records import Author, Incoming, ThreadRef
from bot.runtime import Runtime
from bot.store import PostgresStore, open_store
from bot.store.base import shared_limits
from tests.fakes.core import (
    RecordingAdapter,
    ScriptedAssistant,
    ScriptedClassifier,
    ScriptedReply,
    SteppingClock,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REF = ThreadRef(platform="test", workspace="w", channel="c", thread="t1")
ALICE = Author(id="u1", name="alice")


@pytest.fixture
async def pair(pg_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one database, as two processes hold them."""
    first, second = await open_store(pg_url), await open_store(pg_url)
    assert isinstance(first, PostgresStore) and isinstance(second, PostgresStore)
    yield first, second
    await first.close()
    await second.close()


def runtime(
    store: PostgresStore, limits: LimitSettings, assistant: ScriptedAssistant, clock: SteppingClock
) -> Runtime:
    """One process's runtime with these limits."""
    return Runtime(
        settings=Settings(limits=limits),
        store=store,
        assistant=assistant,
        classifier=ScriptedClassifier(),
        adapters={"test": RecordingAdapter()},
        clock=clock,
        delivery_backoff=(0.0, 0.0),
    )


def message(n: int, text: str = "a question", *, opens: bool = False) -> Incoming:
    """A message by alice in the shared thread."""
    return Incoming(
        event_id=f"e{n}", thread=REF, author=ALICE, text=text, at=T0, opens_thread=opens
    )


async def test_the_database_counts_a_rate_window_as_the_process_does(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    """The same answers as RateLimiter for the same times, whichever store is asked."""
    first, second = pair
    local = RateLimiter(3)
    seconds = [0, 0, 10, 20, 30, 61, 65, 75, 76, 200]
    times = [T0 + timedelta(seconds=s) for s in seconds]
    answers = [
        await (first if n % 2 else second).count_message("w:u1", at=at, per_minute=3)
        for n, at in enumerate(times)
    ]
    assert answers == [local.check("w:u1", at) for at in times]
    assert answers == ["ok", "ok", "ok", "slow_down", "drop", "ok", "ok", "ok", "drop", "ok"]
    assert await first.count_message("w:u2", at=T0, per_minute=3) == "ok"


async def test_checks_at_the_same_moment_from_two_processes_count_once_each(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    """Twenty checks at once across two pools, four a minute: exactly four pass, one is told."""
    first, second = pair
    answers = await asyncio.gather(
        *(
            (first if n % 2 else second).count_message("w:u1", at=T0, per_minute=4)
            for n in range(20)
        )
    )
    assert sorted(answers) == ["drop"] * 15 + ["ok"] * 4 + ["slow_down"]


async def test_two_runtimes_on_one_database_hold_one_users_rate_for_the_pair(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    """Alice's messages alternate between two processes; 3 a minute is 3 for both together."""
    clock = SteppingClock()
    limits = LimitSettings(user_messages_per_minute=3)
    a_assistant, b_assistant = ScriptedAssistant(), ScriptedAssistant()
    a = runtime(pair[0], limits, a_assistant, clock)
    b = runtime(pair[1], limits, b_assistant, clock)
    verdicts = [(await a.handle(message(0, "hello", opens=True))).verdict]
    for n in range(1, 6):
        verdicts.append((await (b if n % 2 else a).handle(message(n))).verdict)
    assert verdicts == ["reply", "reply", "reply", "rate_limited", "rate_limited", "rate_limited"]
    assert len(a_assistant.contexts) + len(b_assistant.contexts) == 3
    told = [c for r in (a, b) for c in r.adapters["test"].calls if c.text == notices.SLOW_DOWN]  # type: ignore[attr-defined]
    assert len(told) == 1
    clock.advance(minutes=1)
    assert (await b.handle(message(9))).verdict == "reply"


async def test_two_runtimes_on_one_database_share_a_threads_token_budget(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    """Each process's calls count for both: past 1,000 tokens the pair answers offline, and the
    budget notice is posted once, by whichever process gets there first."""
    clock = SteppingClock()
    limits = LimitSettings(thread_tokens_per_day=1_000, user_messages_per_minute=0)
    usage = {"model": "m", "input_tokens": 600, "output_tokens": 10}
    a_assistant = ScriptedAssistant(lambda ctx: ScriptedReply(["a"], usage=usage))
    b_assistant = ScriptedAssistant(lambda ctx: ScriptedReply(["b"], usage=usage))
    a = runtime(pair[0], limits, a_assistant, clock)
    b = runtime(pair[1], limits, b_assistant, clock)
    assert (await a.handle(message(0, "hello", opens=True))).verdict == "reply"  # 610 tokens
    assert (await b.handle(message(1))).verdict == "reply"  # 1,220: spent now
    assert (await a.handle(message(2))).verdict == "reply"  # offline, with the notice
    assert (await b.handle(message(3))).verdict == "reply"  # offline, no second notice
    assert len(a_assistant.contexts) == 1 and len(b_assistant.contexts) == 1
    calls = [c for r in (a, b) for c in r.adapters["test"].calls]  # type: ignore[attr-defined]
    assert [c.text for c in calls].count(notices.BUDGET_REACHED) == 1
    spent = await pair[1].tokens_spent(day=clock().date(), thread_key=REF.key, workspace="test:w")
    assert spent == (1_220, 1_220)


async def test_old_counters_are_pruned(pair: tuple[PostgresStore, PostgresStore]) -> None:
    """Rate windows idle past a minute and earlier days' tokens are dropped; today's stay."""
    store = pair[0]
    await store.count_message("w:old", at=T0, per_minute=3)
    await store.count_message("w:new", at=T0 + timedelta(days=1), per_minute=3)
    await store.add_tokens(day=T0.date(), thread_key=REF.key, workspace="test:w", tokens=5)
    tomorrow = (T0 + timedelta(days=1)).date()
    await store.add_tokens(day=tomorrow, thread_key=REF.key, workspace="test:w", tokens=7)
    assert await store.prune_limits(before=T0 + timedelta(days=1)) == 3
    assert await store.tokens_spent(day=tomorrow, thread_key=REF.key, workspace="test:w") == (7, 7)
    assert await store.count_message("w:new", at=T0 + timedelta(days=1), per_minute=1) == (
        "slow_down"
    )


async def test_sqlite_keeps_the_counting_in_the_process(tmp_path: Path) -> None:
    """One process needs no shared counters: the SQLite store offers none."""
    store = await open_store(str(tmp_path / "one.db"))
    try:
        assert shared_limits(store) is None
    finally:
        await store.close()
