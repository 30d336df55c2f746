"""`Store.turn_reads` reads what the separate calls read, on both backends, in one call.

Each field is checked against the method it stands in for (`event_seen`, `load_thread`,
`recent_turns` from the state's `history_from`, `recent_locks`, `pending_in_thread`) on a store
that holds turns, locks, a pardon and accepted messages, so a subquery that reads the wrong rows
shows up here rather than in a user's history or the ladder.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.records import ThreadState
from bot.store import PostgresStore, SqliteStore
from bot.store.base import TurnReads
from tests.store.test_contract import REF, REF2, T0, draft, minutes, state, turn

AnyStore = SqliteStore | PostgresStore
WINDOW = timedelta(days=7)


async def reads_of(
    store: AnyStore, *, event_id: str, history: int, pending: bool = False, user: str = "u1"
) -> TurnReads:
    return await store.turn_reads(
        REF.key,
        event_id=event_id,
        history=history,
        workspace=REF.workspace,
        user_id=user,
        locks_since=minutes(100) - WINDOW,
        pending=pending,
    )


async def separately(
    store: AnyStore, *, event_id: str, history: int, user: str = "u1"
) -> tuple[bool, ThreadState | None, list[object], int]:
    """What the four separate calls read."""
    loaded = await store.load_thread(REF.key)
    return (
        await store.event_seen(event_id),
        loaded,
        list(
            await store.recent_turns(
                REF.key, limit=history, from_seq=loaded.history_from if loaded else 0
            )
        ),
        await store.recent_locks(
            workspace=REF.workspace, user_id=user, since=minutes(100) - WINDOW
        ),
    )


async def test_an_unknown_thread_reads_as_nothing(store: AnyStore) -> None:
    """No thread, no turns, no locks, not seen, not pending."""
    reads = await reads_of(store, event_id="nope", history=5, pending=True)
    assert reads == TurnReads(seen=False, state=None, history=(), recent_locks=0, pending=None)


@pytest.mark.parametrize("history", [1, 3, 4, 50])
async def test_the_reads_match_the_separate_calls(store: AnyStore, history: int) -> None:
    """With history cut by history_from, two locks (one pardoned away) and other threads' rows."""
    await store.commit(
        at=T0,
        event_id="e1",
        state=state(),
        turns=[turn(f"m{i}", at=minutes(i)) for i in range(6)] + [turn("other", ref=REF2)],
    )
    every = await store.recent_turns(REF.key, limit=10)
    await store.commit(
        at=minutes(10), event_id="e2", state=state(history_from=every[2].seq, strikes=1)
    )
    # A lock before a pardon (not counted), a pardon, a lock after it, and someone else's lock.
    await store.commit(at=minutes(20), event_id=None, state=None, cases=[draft("lock")])
    await store.commit(at=minutes(30), event_id=None, state=None, cases=[draft("pardon")])
    await store.commit(at=minutes(40), event_id=None, state=None, cases=[draft("lock")])
    await store.commit(
        at=minutes(41), event_id=None, state=None, cases=[draft("lock", user_id="u2")]
    )

    for event_id in ("e1", "e9"):
        reads = await reads_of(store, event_id=event_id, history=history)
        seen, loaded, turns, locks = await separately(store, event_id=event_id, history=history)
        assert reads.seen is seen is (event_id == "e1")
        assert reads.state == loaded and loaded is not None and loaded.strikes == 1
        assert list(reads.history) == turns
        assert [t.text for t in reads.history] == ["m2", "m3", "m4", "m5"][-history:]
        assert reads.recent_locks == locks == 1
        assert reads.pending is None  # not asked


async def test_the_pending_messages_match_pending_in_thread(store: AnyStore) -> None:
    """Up to and including the event, in accept order; None once it is decided or unknown."""
    await store.commit(at=T0, event_id="e0", state=state())
    for n, key in enumerate(("a1", "a2", "a3")):
        assert await store.accept_event(key, thread_key=REF.key, payload=f"p{n}", at=minutes(n))
    assert await store.accept_event("b1", thread_key=REF2.key, payload="x", at=minutes(5))
    reads = await reads_of(store, event_id="a2", history=5, pending=True)
    expected = await store.pending_in_thread(REF.key, "a2")
    assert expected is not None and reads.pending == tuple(expected)
    assert [p.event_id for p in reads.pending] == ["a1", "a2"]
    assert [p.payload for p in reads.pending] == ["p0", "p1"]
    await store.commit(at=minutes(6), event_id="a2", state=replace(state(), turns=1))
    decided = await reads_of(store, event_id="a2", history=5, pending=True)
    assert decided.pending is None and decided.seen
    assert await store.pending_in_thread(REF.key, "a2") is None
    assert (await reads_of(store, event_id="zz", history=5, pending=True)).pending is None
