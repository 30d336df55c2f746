"""How many store calls and commits a turn makes, counted on a wrapped real store (both backends).

Structural, not timed: each store call is a worker hop on SQLite and a round trip on PostgreSQL,
so the count is what a turn waits on. A follow-up turn and an opening turn each make one read
(`turn_reads`), the decision's commit and the reply's commit: three calls, two commits. Limits
are off as in `bench/`: on PostgreSQL a rate limit is one more call, to the shared counters.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Awaitable, Callable

from bot.config import LimitSettings, Settings
from bot.store import Store
from tests.store.conftest import Backend
from tests.test_runtime import Harness

NO_LIMITS = Settings(
    limits=LimitSettings(
        user_messages_per_minute=0,
        thread_tokens_per_day=0,
        workspace_tokens_per_day=0,
        max_concurrent_model_calls=0,
    )
)
COMMITS = frozenset({"commit"})


class CountingStore:
    """The real store, with every call of one of its coroutine methods counted by name.

    It answers `isinstance(..., SharedStore)` as the store it wraps does (the runtime asks), and
    hands out the rest (thread locks, attributes) as they are, so the runtime takes the same way
    through it as through the real store.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> object:
        real = getattr(self._store, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(real):
            return real
        method: Callable[..., Awaitable[object]] = real

        async def counted(*args: object, **kw: object) -> object:
            self.calls.append(name)
            return await method(*args, **kw)

        return counted

    def count(self) -> Counter[str]:
        """The calls since the last `reset`, by method name."""
        return Counter(self.calls)

    def reset(self) -> None:
        """Start counting afresh."""
        self.calls.clear()


def commits(calls: list[str]) -> int:
    """How many of `calls` were commits."""
    return sum(1 for c in calls if c in COMMITS)


async def counted_harness(backend: Backend) -> tuple[Harness, CountingStore, Store]:
    """A runtime whose store counts its calls, and the real store under it."""
    real = await backend.open()
    counting = CountingStore(real)
    h = Harness(counting, settings=NO_LIMITS)  # type: ignore[arg-type]
    return h, counting, real


async def test_a_follow_up_and_an_opening_make_three_store_calls_and_two_commits(
    backend: Backend,
) -> None:
    """Opening: read, commit, reply commit; the follow-up the same (no separate event_seen,
    thread, turns or locks read, no separate commit for the opened thread)."""
    h, counting, real = await counted_harness(backend)
    try:
        assert await h.say("hello", opens=True) == "reply"
        opening = list(counting.calls)
        counting.reset()
        assert await h.say("and another question") == "reply"
        follow_up = list(counting.calls)
        assert opening == ["turn_reads", "commit", "commit"], opening
        assert follow_up == ["turn_reads", "commit", "commit"], follow_up
        assert len(follow_up) <= 3 and commits(follow_up) <= 2
        assert len(opening) <= 3 and commits(opening) <= 2
        # What was read in one call is what the separate calls would have read.
        turns = await real.recent_turns(h.message("x").thread.key, limit=10)
        assert [t.text for t in turns if t.role == "user"] == ["hello", "and another question"]
        history = h.assistant.contexts[-1].history
        assert [t.text for t in history if t.role == "user"] == ["hello"]
        assert [t.role for t in history] == ["user", "assistant"]
    finally:
        await real.close()


async def test_an_accepted_follow_up_reads_its_inbox_with_the_turn(backend: Backend) -> None:
    """Through the inbox (as the adapters deliver): after the accept, three calls, two commits;
    the pending-messages read is part of the turn's one read."""
    h, counting, real = await counted_harness(backend)
    try:
        opening = h.message("hello", opens=True)
        assert await h.runtime.accept(opening)
        counting.reset()
        assert (await h.runtime.handle(opening)).verdict == "reply"
        assert counting.calls == ["turn_reads", "commit", "commit"], counting.calls
        follow = h.message("more")
        assert await h.runtime.accept(follow)
        counting.reset()
        assert (await h.runtime.handle(follow)).verdict == "reply"
        assert counting.calls == ["turn_reads", "commit", "commit"], counting.calls
        assert await real.accepted_events() == []
    finally:
        await real.close()


async def test_a_redelivered_event_costs_one_read_and_writes_nothing(backend: Backend) -> None:
    """A decided event delivered again is dropped on the turn's one read: no commit."""
    h, counting, real = await counted_harness(backend)
    try:
        first = h.message("hello", opens=True)
        assert (await h.runtime.handle(first)).verdict == "reply"
        counting.reset()
        assert (await h.make_runtime().handle(first)).verdict == "duplicate"
        assert counting.calls == ["turn_reads"], counting.calls
    finally:
        await real.close()
