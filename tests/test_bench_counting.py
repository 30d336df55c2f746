"""The bench's counting store: it passes every call through to the real store and counts it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.counting_store import WRITES, CountingStore
from bot.records import Action, ThreadRef
from bot.store import open_store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_calls_are_passed_through_and_counted(tmp_path: Path) -> None:
    store = CountingStore(await open_store(str(tmp_path / "c.db")))
    thread = ThreadRef(platform="p", workspace="w", channel="c", thread="t")
    try:
        await store.commit(
            at=T0, event_id="e1", state=None, actions=[Action(kind="notice", thread=thread)]
        )
        assert await store.event_seen("e1")
        assert not await store.event_seen("e2")
        owed = await store.owed_actions()
        assert len(owed) == 1
        await store.action_failed(owed[0].id, at=T0, error="down", give_up=False)
        assert store.given_up == 0
        await store.action_failed(owed[0].id, at=T0, error="down", give_up=True)
        assert store.given_up == 1
        assert await store.owed_actions() == []  # the real store saw the give-up
        before = store.snapshot()
        await store.load_thread(thread.key)
        assert store.snapshot() - before == {"load_thread": 1}
        assert store.calls["event_seen"] == 2
        assert store.calls["commit"] == 1
        assert store.calls["owed_actions"] == 2
        assert {"commit", "action_failed"} <= WRITES and "event_seen" not in WRITES
    finally:
        await store.close()
