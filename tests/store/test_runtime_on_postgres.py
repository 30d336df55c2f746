"""Two bot runtimes on one PostgreSQL database serialise a thread's turns between them."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.config import Settings
from bot.records import Author, Incoming, ThreadRef
from bot.runtime import Runtime
from bot.store import PostgresStore, open_store
from tests.fakes.core import (
    RecordingAdapter,
    ScriptedAssistant,
    ScriptedClassifier,
    ScriptedReply,
    SteppingClock,
)

REF = ThreadRef(platform="test", workspace="w", channel="c", thread="t1")
ALICE = Author(id="u1", name="alice")


def runtime(store: PostgresStore, assistant: ScriptedAssistant) -> Runtime:
    """A runtime as one bot process would run it."""
    return Runtime(
        settings=Settings(),
        store=store,
        assistant=assistant,
        classifier=ScriptedClassifier(),
        adapters={"test": RecordingAdapter()},
        clock=SteppingClock(),
    )


def message(n: int, text: str, *, opens: bool = False) -> Incoming:
    """A message in the shared thread."""
    return Incoming(
        event_id=f"e{n}",
        thread=REF,
        author=ALICE,
        text=text,
        at=SteppingClock()(),
        opens_thread=opens,
    )


async def test_a_thread_is_serialised_across_two_runtimes(pg_url: str) -> None:
    """While one process answers a turn, another process's turn in that thread waits for it."""
    first_store = await open_store(pg_url)
    second_store = await open_store(pg_url)
    assert isinstance(first_store, PostgresStore) and isinstance(second_store, PostgresStore)
    gate = asyncio.Event()
    slow = ScriptedAssistant(lambda ctx: ScriptedReply(["one"], gate=gate))
    quick = ScriptedAssistant()
    a, b = runtime(first_store, slow), runtime(second_store, quick)
    try:
        assert (await b.handle(message(0, "hello", opens=True))).verdict == "reply"
        first = asyncio.create_task(a.handle(message(1, "slow question")))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(b.handle(message(2, "next question")))
        await asyncio.sleep(0.3)
        assert [c.text for c in quick.contexts] == ["hello"]  # waits for the other process
        gate.set()
        assert (await first).verdict == "reply" and (await second).verdict == "reply"
        history = [c.text for c in quick.contexts[-1].history]
        assert history[-2:] == ["slow question", "one"]  # it saw the first turn's reply
        again = await b.handle(message(1, "slow question"))
        assert again.verdict == "duplicate"
    finally:
        await first_store.close()
        await second_store.close()


async def test_a_dead_processs_owed_actions_are_taken_over_after_its_lease(pg_url: str) -> None:
    """Fresh actions belong to the process that committed them; once its lease runs out,
    another process's recovery carries them out, once."""
    from datetime import UTC, datetime

    from bot.records import Action

    dead = await open_store(pg_url)
    live = await open_store(pg_url)
    assert isinstance(dead, PostgresStore) and isinstance(live, PostgresStore)
    try:
        notice = Action(kind="notice", thread=REF, text="owed")
        await dead.commit(at=datetime.now(UTC), event_id="x", state=None, actions=[notice])
        survivor = runtime(live, ScriptedAssistant())
        assert await survivor.recover() == 0  # the committing process still holds it
        conn = await asyncpg_connect(pg_url)
        try:
            await conn.execute("UPDATE outbox SET lease_until = now() - interval '1 second'")
        finally:
            await conn.close()
        assert await survivor.recover() == 1
        assert await survivor.recover() == 0
        assert await live.owed_actions() == []
    finally:
        await dead.close()
        await live.close()


async def asyncpg_connect(url: str) -> Any:
    """A plain connection, as an operator's psql would be (the URL carries the search path)."""
    import asyncpg  # type: ignore[import-untyped]

    return await asyncpg.connect(url)
