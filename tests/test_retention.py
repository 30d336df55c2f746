"""Retention: texts past the period are purged while the bot runs; the audit chain stays valid."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.retention import keep_purging, purge_once
from bot.store import open_store
from bot.store.base import AuditEntry, TurnRecord

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_purge_keeps_recent_texts_and_the_chain(tmp_path: Path) -> None:
    """Old texts go, recent ones stay, and the audit chain still verifies."""
    store = await open_store(str(tmp_path / "r.db"))
    try:
        for day, text in ((0, "old words"), (40, "recent words")):
            at = T0 + timedelta(days=day)
            await store.commit(
                at=at,
                event_id=f"e{day}",
                state=None,
                turns=[
                    TurnRecord(
                        thread_key="p:w:c:t",
                        role="user",
                        author_id="u",
                        author_name="u",
                        text=text,
                        at=at,
                    )
                ],
                audit=[AuditEntry(kind="decision", actor="bot", data={}, excerpt=text)],
            )
        purged = await purge_once(store, retention=timedelta(days=30), now=T0 + timedelta(days=45))
        assert purged >= 1
        texts = [t.text for t in await store.recent_turns("p:w:c:t", limit=10)]
        assert texts == ["", "recent words"]
        assert (await store.verify_audit()).ok
    finally:
        await store.close()


async def test_the_running_loop_purges_and_stops_on_cancel(tmp_path: Path) -> None:
    """The background task purges at once and ends cleanly when the bot stops."""
    store = await open_store(str(tmp_path / "r.db"))
    try:
        await store.commit(
            at=T0,
            event_id="e",
            state=None,
            turns=[
                TurnRecord(
                    thread_key="p:w:c:t",
                    role="user",
                    author_id="u",
                    author_name="u",
                    text="old",
                    at=T0,
                )
            ],
        )
        task = asyncio.create_task(
            keep_purging(store, retention=timedelta(days=1), clock=lambda: T0 + timedelta(days=9))
        )
        for _ in range(50):
            await asyncio.sleep(0.01)
            if [t.text for t in await store.recent_turns("p:w:c:t", limit=1)] == [""]:
                break
        assert [t.text for t in await store.recent_turns("p:w:c:t", limit=1)] == [""]
        task.cancel()
        await asyncio.wait([task])
        assert task.cancelled()
    finally:
        await store.close()
