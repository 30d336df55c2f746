"""Accepted messages: written down before the platform's ack, decided in accept order, never lost.

Runs on both backends through the store contract's `backend` fixture: on SQLite a restart takes up
what the dead process accepted; on PostgreSQL a live process does, once the dead one's lease runs
out, and a thread's messages are decided in the order they were accepted whichever process took
each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from bot import notices
from bot.config import LimitSettings, Settings
from bot.errors import StoreError
from bot.records import Author
from bot.runtime import MAX_RECOVERIES
from bot.store import PostgresStore, Store, open_store
from bot.store.codec import incoming_to_json
from tests.fakes.core import ScriptedAssistant, ScriptedReply
from tests.store.conftest import Backend
from tests.test_runtime import ALICE, Harness, ref

BOB = Author(id="u2", name="bob")


async def turn_texts(store: Store, thread: str = "t1") -> list[str]:
    """The user turns stored for a thread, in the order they were decided."""
    return [
        t.text for t in await store.recent_turns(ref(thread).key, limit=100) if t.role == "user"
    ]


async def test_an_accepted_message_is_decided_and_leaves_the_inbox(backend: Backend) -> None:
    """accept, then handle: an ordinary turn; a redelivery is refused at accept."""
    store = await backend.open()
    try:
        h = Harness(store)
        opening = h.message("hello", opens=True)
        assert await h.runtime.accept(opening) is True
        assert (await h.runtime.handle(opening)).verdict == "reply"
        assert await h.runtime.accept(opening) is False
        assert await store.accepted_events() == []
        assert await turn_texts(store) == ["hello"]
    finally:
        await store.close()


async def test_a_message_that_is_not_a_turn_is_forgotten(backend: Backend) -> None:
    """Not hosted, or from a bot: handled without a decision, and not taken up again."""
    store = await backend.open()
    try:
        h = Harness(store)
        stray = h.message("hello", thread="elsewhere")
        robot = h.message("beep", opens=True, author=Author(id="b", name="b", is_bot=True))
        for msg, verdict in ((stray, "not_hosted"), (robot, "not_a_turn")):
            assert await h.runtime.accept(msg)
            assert (await h.runtime.handle(msg)).verdict == verdict
        assert await store.accepted_events() == []
        assert await h.make_runtime().recover() == 0
    finally:
        await store.close()


async def test_a_message_accepted_before_a_crash_is_decided_on_restart(backend: Backend) -> None:
    """Acked and accepted, then the process died before deciding: the next start decides it."""
    store = await backend.open(**lease_now(backend))
    try:
        h = Harness(store)
        opening = h.message("hello", opens=True)
        assert await h.runtime.accept(opening)  # ...and the process dies here
        await asyncio.sleep(lease_wait(backend))
        restarted = h.make_runtime()
        assert await restarted.recover() == 1
        assert await turn_texts(store) == ["hello"]
        assert h.adapter.kinds() == ["stream"]
        assert await store.accepted_events() == []
        assert await restarted.recover() == 0
    finally:
        await store.close()


async def test_a_later_message_decides_the_threads_earlier_ones_first(backend: Backend) -> None:
    """Accepted m1, m2, m3 but m3's task runs first: the turns are stored as m1, m2, m3."""
    store = await backend.open()
    try:
        h = Harness(store)
        await h.runtime.handle(h.message("hello", opens=True))
        msgs = [h.message(f"m{n}", author=ALICE if n % 2 else BOB) for n in (1, 2, 3)]
        for msg in msgs:
            assert await h.runtime.accept(msg)
        assert (await h.runtime.handle(msgs[2])).verdict == "reply"
        assert await turn_texts(store) == ["hello", "m1", "m2", "m3"]
        assert [(await h.runtime.handle(m)).verdict for m in msgs[:2]] == ["duplicate"] * 2
        # Each message was answered once.
        assert h.adapter.kinds().count("stream") == 4
        assert await store.accepted_events() == []
    finally:
        await store.close()


async def test_concurrent_accepted_messages_keep_accept_order(backend: Backend) -> None:
    """Twenty messages accepted in order, handled all at once in reverse: stored in order."""
    store = await backend.open()
    try:
        h = Harness(store, settings=Settings(limits=LimitSettings(user_messages_per_minute=0)))
        await h.runtime.handle(h.message("hello", opens=True))
        msgs = [h.message(f"m{n}") for n in range(20)]
        for msg in msgs:
            assert await h.runtime.accept(msg)
        verdicts = await asyncio.gather(*(h.runtime.handle(m) for m in reversed(msgs)))
        # The first task to get the lane decides all nineteen before its own; the rest find theirs
        # decided.
        assert sorted(v.verdict for v in verdicts) == ["duplicate"] * 19 + ["reply"]
        assert await turn_texts(store) == ["hello", *(m.text for m in msgs)]
    finally:
        await store.close()


async def test_a_turn_stopped_by_shutdown_stays_accepted(backend: Backend) -> None:
    """A stop that cuts a turn off leaves its message in the inbox for the next start."""
    store = await backend.open(**lease_now(backend))
    try:
        gate = asyncio.Event()
        h = Harness(store, assistant=ScriptedAssistant(lambda ctx: ScriptedReply(["x"], gate=gate)))
        opening = h.message("hello", opens=True)
        assert await h.runtime.accept(opening)
        task = asyncio.create_task(h.runtime.handle(opening))
        await asyncio.sleep(0.2)
        assert await h.runtime.shutdown(grace=0.05) is False
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [e.event_id for e in await store.accepted_events()] == [opening.event_id]
        await asyncio.sleep(lease_wait(backend))
        h.assistant = ScriptedAssistant()
        assert await h.make_runtime().recover() == 1
        assert await turn_texts(store) == ["hello"]
    finally:
        await store.close()


async def test_another_process_decides_what_a_dead_one_accepted(pg_url: str) -> None:
    """On PostgreSQL: A accepted m1 and died; B's m2 decides m1 first, then B's sweep finds none."""
    dead = PostgresStore(pg_url, lease=timedelta(seconds=30))
    live = PostgresStore(pg_url, lease=timedelta(seconds=30))
    await asyncio.gather(dead.open(), live.open())
    try:
        a, b = Harness(dead), Harness(live)
        b.n = 100
        await b.runtime.handle(b.message("hello", opens=True))
        m1 = a.message("from the dead process")
        assert await a.runtime.accept(m1)
        await dead.close()  # died after acking m1
        m2 = b.message("next")
        assert await b.runtime.accept(m2)
        assert (await b.runtime.handle(m2)).verdict == "reply"
        assert await turn_texts(live) == ["hello", m1.text, "next"]
        assert b.adapter.kinds().count("stream") == 3
        # Nothing is left for anyone's sweep, even after the lease would have run out.
        assert await live.accepted_events() == []
    finally:
        await asyncio.gather(dead.close(), live.close())


def lease_now(backend: Backend) -> dict[str, object]:
    """Open options under which a dead process's lease runs out at once (PostgreSQL)."""
    return {"lease": timedelta(milliseconds=200)} if backend.name == "postgres" else {}


def lease_wait(backend: Backend) -> float:
    return 0.3 if backend.name == "postgres" else 0.0


async def test_an_earlier_message_that_fails_does_not_take_the_later_one_down(
    backend: Backend,
) -> None:
    """A message whose turn raises (a bug) is dropped when drained; the next one is answered."""
    store = await backend.open()
    try:

        def make(ctx: object) -> ScriptedReply:
            if getattr(ctx, "text", "") == "poison":
                raise RuntimeError("a bug in the assistant")
            return ScriptedReply(["fine"])

        h = Harness(store, assistant=ScriptedAssistant(make))
        await h.runtime.handle(h.message("hello", opens=True))
        poison, later = h.message("poison"), h.message("another question")
        assert await h.runtime.accept(poison) and await h.runtime.accept(later)
        assert (await h.runtime.handle(later)).verdict == "reply"
        assert await turn_texts(store) == ["hello", "another question"]
        assert await store.accepted_events() == []
        assert (await h.runtime.handle(poison)).verdict == "duplicate"
    finally:
        await store.close()


async def test_a_decided_message_accepted_again_in_a_race_is_not_run_again(pg_url: str) -> None:
    """PostgreSQL: a redelivery accepted while the decision was committing leaves a row behind.

    Under READ COMMITTED the accept's NOT EXISTS can miss a decision being committed; the row it
    leaves must neither be run again ahead of the thread's next message nor claimed by a sweep.
    """
    store = PostgresStore(pg_url, lease=timedelta(milliseconds=100))
    await store.open()
    try:
        h = Harness(store)
        await h.runtime.handle(h.message("hello", opens=True))
        first = h.message("a question")
        assert await h.runtime.accept(first)
        assert (await h.runtime.handle(first)).verdict == "reply"
        conn = await asyncpg.connect(pg_url)
        try:  # what the race leaves: the decided event back in the inbox
            await conn.execute(
                "INSERT INTO inbox (event_id, thread_key, payload, accepted_at, claimed_by,"
                " lease_until) VALUES ($1, $2, $3, now(), 'other', now())",
                first.event_id,
                first.thread.key,
                json.dumps(incoming_to_json(first)),
            )
        finally:
            await conn.close()
        asked = len(h.assistant.contexts)
        nxt = h.message("next")
        assert await h.runtime.accept(nxt)
        assert (await h.runtime.handle(nxt)).verdict == "reply"
        assert [c.text for c in h.assistant.contexts[asked:]] == ["next"]
        assert await h.runtime.recover() == 0
        assert await store.accepted_events() == []
        assert await turn_texts(store) == ["hello", "a question", "next"]
    finally:
        await store.close()


async def test_a_store_error_before_the_decision_keeps_the_message_and_tells_the_user(
    backend: Backend,
) -> None:
    """The turn fails before its commit: the user is told once, and the next start decides it."""
    store = await backend.open(**lease_now(backend))
    try:
        h = Harness(store)
        await h.runtime.handle(h.message("hello", opens=True))
        msg = h.message("a question")
        assert await h.runtime.accept(msg)
        h.runtime.store = Failing(store, method="turn_reads", times=1)  # type: ignore[assignment]
        with pytest.raises(StoreError):
            await h.runtime.handle(msg)
        told = [c.text for c in h.adapter.calls if c.kind == "notice"]
        assert told == [notices.TURN_FAILED]
        assert [e.event_id for e in await store.accepted_events()] == [msg.event_id]
        await asyncio.sleep(lease_wait(backend))
        assert await h.make_runtime().recover() == 1
        assert await turn_texts(store) == ["hello", "a question"]
    finally:
        await store.close()


class Failing:
    """The real store with one of its methods failing as a lost connection would."""

    def __init__(self, store: Store, *, method: str, times: int = 1_000_000) -> None:
        self._store = store
        self._method = method
        self.times = times

    def __getattr__(self, name: str) -> object:
        real = getattr(self._store, name)
        if name != self._method:
            return real

        async def failing(*args: object, **kw: object) -> object:
            if self.times > 0:
                self.times -= 1
                raise StoreError(f"could not {name}: connection lost")
            return await real(*args, **kw)

        return failing

    def thread_lock(self, key: str) -> contextlib.AbstractAsyncContextManager[None]:
        @contextlib.asynccontextmanager
        async def lock() -> AsyncIterator[None]:
            if self._method == "thread_lock" and self.times > 0:
                self.times -= 1
                raise StoreError(f"could not lock thread {key}: too many clients")
            yield

        return lock()


async def test_a_thread_lock_failure_tells_the_user_and_keeps_the_message(pg_url: str) -> None:
    """The per-thread lock (PostgreSQL's, across processes) cannot be taken: told once, still
    accepted, decided on the retry."""
    real = PostgresStore(pg_url, lease=timedelta(milliseconds=100))
    await real.open()
    try:
        store = Failing(real, method="thread_lock", times=0)
        h = Harness(store)  # type: ignore[arg-type]
        await h.runtime.handle(h.message("hello", opens=True))
        msg = h.message("a question")
        assert await h.runtime.accept(msg)
        store.times = 1
        with pytest.raises(StoreError):
            await h.runtime.handle(msg)
        assert [c.text for c in h.adapter.calls if c.kind == "notice"] == [notices.TURN_FAILED]
        assert [e.event_id for e in await real.accepted_events()] == [msg.event_id]
        await asyncio.sleep(0.15)  # its lease lapses: nobody works on it any more
        assert await h.make_runtime().recover() == 1
        assert await turn_texts(real) == ["hello", "a question"]
    finally:
        await real.close()


async def test_a_store_error_after_the_commit_does_not_say_the_turn_failed(
    tmp_path: Path,
) -> None:
    """The crisis resources went out and the decision stands; recording the notice as done
    failed. The user is not told their (answered) turn failed."""
    real = await open_store(str(tmp_path / "bot.db"))
    try:
        store = Failing(real, method="action_done", times=0)
        h = Harness(store)  # type: ignore[arg-type]
        await h.runtime.handle(h.message("hello", opens=True))
        msg = h.message("I want to kill myself")
        assert await h.runtime.accept(msg)
        store.times = 1
        with pytest.raises(StoreError):
            await h.runtime.handle(msg)
        assert notices.TURN_FAILED not in [c.text for c in h.adapter.calls]
        assert await real.event_seen(msg.event_id)
        assert await real.accepted_events() == []
    finally:
        await real.close()


async def test_a_message_that_fails_every_time_is_given_up_after_a_few_recoveries(
    pg_url: str,
) -> None:
    """Each sweep takes it up again; after MAX_RECOVERIES failures it is dropped, not kept."""
    real = PostgresStore(pg_url, lease=timedelta(milliseconds=100))
    await real.open()
    try:
        h = Harness(real)
        await h.runtime.handle(h.message("hello", opens=True))
        msg = h.message("a question")
        assert await h.runtime.accept(msg)
        broken = Failing(real, method="turn_reads")
        h.store = broken  # type: ignore[assignment]
        runtime = h.make_runtime()
        runtime.store = broken  # type: ignore[assignment]
        for _ in range(MAX_RECOVERIES):
            await asyncio.sleep(0.15)
            assert await runtime.recover() == 0
        assert [e.attempts for e in await real.accepted_events()] == [MAX_RECOVERIES]
        await asyncio.sleep(0.15)
        await runtime.recover()
        assert await real.accepted_events() == []
        assert [c.text for c in h.adapter.calls if c.kind == "notice"] == []  # retried quietly
    finally:
        await real.close()
