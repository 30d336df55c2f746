"""PostgreSQL only: coordinating several processes, and copying an installation across backends.

Separate `PostgresStore` instances (each with its own pools) stand in for separate bot processes:
they share nothing but the database, which is all separate processes would share.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from bot.errors import StoreError
from bot.records import Action, ThreadRef
from bot.store import AuditEntry, DuplicateEvent, PostgresStore, SqliteStore, open_store
from bot.store.copy import copy_store
from tests.store.test_contract import REF, REF2, T0, draft, minutes, state, turn


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[PostgresStore]:
    """A PostgreSQL store on a fresh schema."""
    async with PostgresStore(pg_url) as s:
        yield s


async def committer_died(url: str) -> None:
    """The process that committed the actions died: its leases on them run out now."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("UPDATE outbox SET lease_until = now() - interval '1 second'")
    finally:
        await conn.close()


async def processes(url: str, n: int) -> list[PostgresStore]:
    """`n` stores on one database, as `n` processes would open it."""
    stores = [PostgresStore(url, pool_size=4) for _ in range(n)]
    await asyncio.gather(*(s.open() for s in stores))
    return stores


# --- claiming owed actions -----------------------------------------------------------------------


async def test_concurrent_claimers_get_disjoint_actions(pg: PostgresStore, pg_url: str) -> None:
    """Two processes claiming at once never get the same action; together they get all."""
    committed = await pg.commit(
        at=T0,
        event_id="e1",
        state=None,
        actions=[Action(kind="reply", thread=REF, text=str(i)) for i in range(20)],
    )
    # Fresh actions are leased to the committer; nobody else may claim them while it lives.
    assert await pg.claim_owed_actions("other", limit=50, lease=timedelta(minutes=5)) == []
    await committer_died(pg_url)
    a, b = await processes(pg_url, 2)
    try:
        lease = timedelta(minutes=5)
        first, second = await asyncio.gather(
            a.claim_owed_actions("a", limit=8, lease=lease),
            b.claim_owed_actions("b", limit=8, lease=lease),
        )
        assert len(first) == len(second) == 8
        assert not {x.id for x in first} & {x.id for x in second}
        assert [x.id for x in first] == sorted(x.id for x in first)
        rest = await a.claim_owed_actions("a", limit=50, lease=lease)
        claimed = {x.id for x in first + second + rest}
        assert claimed == {x.id for x in committed.actions}
        assert await b.claim_owed_actions("b", limit=50, lease=lease) == []
        # Claimed actions are still owed (the protocol's view) until done.
        assert len(await pg.owed_actions()) == 20
    finally:
        await asyncio.gather(a.close(), b.close())


async def test_an_expired_lease_is_claimed_by_a_live_process(
    pg: PostgresStore, pg_url: str
) -> None:
    """What a dead process leased comes back once its lease runs out; done actions never do."""
    committed = await pg.commit(
        at=T0,
        event_id="e1",
        state=None,
        actions=[Action(kind="lock", thread=REF), Action(kind="reply", thread=REF)],
    )
    lock, reply = (a.id for a in committed.actions)
    await committer_died(pg_url)
    dead, live = await processes(pg_url, 2)
    try:
        taken = await dead.claim_owed_actions("dead", limit=10, lease=timedelta(seconds=1))
        assert [a.id for a in taken] == [lock, reply]
        await dead.action_done(reply, at=minutes(1))
        await dead.close()  # the process dies holding the lock action
        assert await live.claim_owed_actions("live", limit=10, lease=timedelta(minutes=1)) == []
        await asyncio.sleep(1.2)
        again = await live.claim_owed_actions("live", limit=10, lease=timedelta(minutes=1))
        assert [(a.id, a.action) for a in again] == [(lock, committed.actions[0].action)]
        await live.action_failed(lock, at=minutes(2), error="429", give_up=False)
        # A failure that is not given up keeps the lease with its owner.
        assert await pg.claim_owed_actions("other", limit=10, lease=timedelta(minutes=1)) == []
        await live.action_done(lock, at=minutes(3))
        assert await pg.owed_actions() == []
    finally:
        await asyncio.gather(dead.close(), live.close())


async def test_a_dead_processs_accepted_messages_are_claimed_once_its_lease_runs_out(
    pg_url: str,
) -> None:
    """A message accepted by a process that died is claimed by a live one, and only once."""
    dead, live, other = (
        PostgresStore(pg_url, pool_size=2, lease=timedelta(seconds=1)) for _ in "abc"
    )
    await asyncio.gather(dead.open(), live.open(), other.open())
    try:
        for n in range(3):
            assert await dead.accept_event(f"e{n}", thread_key=REF.key, payload="{}", at=T0)
        assert await live.accept_event("mine", thread_key=REF2.key, payload="{}", at=T0)
        assert await live.claim_accepted("live", limit=10, lease=timedelta(minutes=1)) == []
        await dead.close()
        await asyncio.sleep(1.2)
        first, second = await asyncio.gather(
            live.claim_accepted("live", limit=2, lease=timedelta(minutes=1)),
            other.claim_accepted("other", limit=2, lease=timedelta(minutes=1)),
        )
        claimed = [e.event_id for e in first + second]
        # "mine" was accepted by a live process with the same short lease: it has run out too.
        assert sorted(claimed) == ["e0", "e1", "e2", "mine"]
        assert len(set(claimed)) == 4
        assert await live.claim_accepted("live", limit=10, lease=timedelta(minutes=1)) == []
        with pytest.raises(ValueError, match="lease"):
            await live.claim_accepted("p", limit=1, lease=timedelta(0))
    finally:
        await asyncio.gather(dead.close(), live.close(), other.close())


async def test_a_claim_refuses_a_lease_of_nothing(pg: PostgresStore) -> None:
    """A zero lease is a programming error; a zero limit claims nothing."""
    with pytest.raises(ValueError, match="lease"):
        await pg.claim_owed_actions("p", limit=1, lease=timedelta(0))
    assert await pg.claim_owed_actions("p", limit=0, lease=timedelta(seconds=1)) == []


# --- per-thread locks ----------------------------------------------------------------------------


async def _hold(store: PostgresStore, key: str, log: list[tuple[str, str, float]]) -> None:
    async with store.thread_lock(key):
        log.append(("in", key, time.monotonic()))
        await asyncio.sleep(0.2)
        log.append(("out", key, time.monotonic()))


async def test_thread_lock_serialises_one_thread_across_processes(
    pg: PostgresStore, pg_url: str
) -> None:
    """Two processes taking the same thread's lock run one after the other."""
    (other,) = await processes(pg_url, 1)
    try:
        log: list[tuple[str, str, float]] = []
        await asyncio.gather(_hold(pg, REF.key, log), _hold(other, REF.key, log))
        assert [event for event, _, _ in log] == ["in", "out", "in", "out"]
        assert log[2][2] >= log[1][2]
    finally:
        await other.close()


async def test_thread_lock_lets_different_threads_run_together(pg: PostgresStore) -> None:
    """Locks of different threads do not wait for each other, even in one process."""
    log: list[tuple[str, str, float]] = []
    await asyncio.gather(_hold(pg, REF.key, log), _hold(pg, REF2.key, log))
    assert [event for event, _, _ in log] == ["in", "in", "out", "out"]


async def test_thread_lock_is_released_when_the_body_fails(pg: PostgresStore) -> None:
    """An exception in the body releases the lock; the exception is not disguised."""
    with pytest.raises(RuntimeError, match="boom"):
        async with pg.thread_lock(REF.key):
            raise RuntimeError("boom")
    async with asyncio.timeout(2), pg.thread_lock(REF.key):
        pass


# --- several processes committing ----------------------------------------------------------------


async def test_three_processes_keep_cases_gapless_and_one_chain(pg_url: str) -> None:
    """Concurrent commits from 3 pools (with redeliveries across them) number cases without gaps
    and append to one verifiable chain."""
    stores = await processes(pg_url, 3)
    try:
        jobs = []
        for i in range(90):
            event = f"e{i % 75}"  # 15 redeliveries, most to another process than the first
            jobs.append(
                stores[i % 3].commit(
                    at=minutes(i),
                    event_id=event,
                    state=state(
                        ThreadRef(platform="slack", workspace="T", channel="C", thread=event)
                    ),
                    turns=[turn(f"m{i}")],
                    cases=[draft(workspace=f"w{i % 2}")]
                    + ([draft(workspace="w2")] if i % 4 else []),
                    audit=[AuditEntry(kind="decision", actor="bot", data={"i": i}, excerpt="x")],
                )
            )
        results = await asyncio.gather(*jobs, return_exceptions=True)
        unexpected = [
            r for r in results if isinstance(r, BaseException) and not isinstance(r, DuplicateEvent)
        ]
        assert unexpected == []
        assert sum(isinstance(r, DuplicateEvent) for r in results) == 15
        cases = [c for r in results if not isinstance(r, BaseException) for c in r.cases]
        for workspace in ("w0", "w1", "w2"):
            numbers = sorted(c.number for c in cases if c.workspace == workspace)
            assert numbers == list(range(1, len(numbers) + 1)), workspace
            stored = await stores[0].cases(workspace=workspace, limit=500)
            assert sorted(c.number for c in stored) == numbers
        report = await stores[1].verify_audit()
        assert report.ok and report.records == len(cases) + 75
        records = await stores[2].audit_records()
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
    finally:
        await asyncio.gather(*(s.close() for s in stores))


# --- copying -------------------------------------------------------------------------------------


async def _fill(store: SqliteStore | PostgresStore) -> None:
    """A small installation: threads, turns, cases, owed/done/given-up actions, a purge."""
    await store.commit(
        at=T0,
        event_id="e1",
        state=state(status="warned", strikes=1),
        turns=[turn("old", at=T0), turn("reply", at=minutes(40), role="assistant", usage={"n": 1})],
        cases=[draft(thread=REF, excerpts=("old",)), draft(workspace="g2")],
        actions=[Action(kind="warn", thread=REF), Action(kind="case", thread=REF, case_ref=0)],
        audit=[
            AuditEntry(kind="decision", actor="bot", data={"v": "warn", "f": 1.5}, excerpt="old")
        ],
    )
    committed = await store.commit(
        at=minutes(90),
        event_id="e2",
        state=state(REF2, status="locked"),
        turns=[turn("new", at=minutes(90), ref=REF2, flagged=True)],
        cases=[draft("unlock", refers_to=1, thread=REF, excerpts=("ünïcode ✓",))],
        actions=[Action(kind="lock", thread=REF2), Action(kind="reply", thread=REF2)],
    )
    await store.action_done(committed.actions[0].id, at=minutes(91), outcome="ok")
    await store.action_failed(committed.actions[1].id, at=minutes(91), error="no", give_up=True)
    # The newest excerpt (highest id) is old, so the purge frees the top id: it must not return.
    await store.commit(at=minutes(91), event_id="e3", state=None, turns=[turn("purged", at=T0)])
    # "old" is one row for the turn and the decision record that quote it; the case's is another.
    assert await store.purge_excerpts(before=minutes(30)) == 3


async def _view(store: SqliteStore | PostgresStore) -> dict[str, object]:
    """Everything the protocol can read back, for comparing two stores."""
    return {
        "threads": await store.threads(),
        "turns": [await store.recent_turns(r.key, limit=50) for r in (REF, REF2)],
        "cases": await store.cases(limit=50),
        "owed": await store.owed_actions(),
        "audit": await store.audit_records(),
        "usage": await store.usage(),
        "stats": await store.stats(),
        "seen": [await store.event_seen(e) for e in ("e1", "e2", "e3", "e4")],
        "locks": await store.recent_locks(workspace="g1", user_id="u1", since=T0),
    }


async def test_copy_sqlite_to_postgres_and_back(tmp_path: Path, pg_url: str) -> None:
    """Every record moves with its number, id and hash; the chain verifies on both sides."""
    source = await open_store(tmp_path / "source.db")
    target = await open_store(pg_url)
    back = await open_store(tmp_path / "back.db")
    try:
        await _fill(source)
        original = await _view(source)
        counts = await copy_store(source, target)
        assert counts == {
            "threads": 2,
            "excerpts": 3,
            "events": 3,
            "turns": 4,
            "cases": 3,
            "outbox": 4,
            "audit": 4,
        }
        assert await _view(target) == original
        assert (await target.verify_audit()).ok

        assert await copy_store(target, back) == counts
        assert await _view(back) == original
        assert (await back.verify_audit()).ok

        # Both copies go on where the source left off: next case numbers, fresh ids, one chain.
        for store in (target, back):
            committed = await store.commit(
                at=minutes(100),
                event_id="e4",
                state=None,
                turns=[turn("later")],
                cases=[draft(), draft(workspace="g2")],
                actions=[Action(kind="reply", thread=REF)],
            )
            assert [c.number for c in committed.cases] == [3, 2]
            assert committed.actions[0].id == 5  # ids 1-4 were copied, done ones included
            texts = [t.text for t in await store.recent_turns(REF.key, limit=10)]
            assert texts == ["", "reply", "", "later"]  # the purged turn did not pick up a text
            assert (await store.verify_audit()).ok
    finally:
        await asyncio.gather(source.close(), target.close(), back.close())


async def test_copy_refuses_a_non_empty_target(tmp_path: Path, pg_url: str) -> None:
    """A target that holds anything is refused, and left as it was."""
    source = await open_store(tmp_path / "source.db")
    target = await open_store(pg_url)
    try:
        await _fill(source)
        await target.commit(at=T0, event_id="mine", state=state())
        with pytest.raises(StoreError, match=r"refusing to copy .*already holds records"):
            await copy_store(source, target)
        assert len(await target.threads()) == 1 and not await target.event_seen("e1")
    finally:
        await asyncio.gather(source.close(), target.close())


async def test_copy_refuses_a_source_whose_chain_is_broken(tmp_path: Path, pg_url: str) -> None:
    """A source chain that does not verify is not copied: the damage would look original."""
    path = tmp_path / "source.db"
    source = await open_store(path)
    target = await open_store(pg_url)
    try:
        await _fill(source)
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("""UPDATE audit SET data = '{"v":"none"}' WHERE seq = 3""")
        db.close()
        with pytest.raises(StoreError, match="does not verify"):
            await copy_store(source, target)
        assert await target.threads() == []
    finally:
        await asyncio.gather(source.close(), target.close())


async def test_a_live_process_renews_what_it_works_on_and_a_clean_stop_releases_it(
    pg_url: str,
) -> None:
    """Renewed, work in progress is not taken over past the lease; what the process holds but no
    longer works on lapses and is claimed; released on a clean stop, the rest is claimed at once."""
    short = timedelta(milliseconds=300)
    live, other = (PostgresStore(pg_url, pool_size=2, lease=short) for _ in "ab")
    await asyncio.gather(live.open(), other.open())
    try:
        for event_id in ("working", "abandoned"):
            assert await live.accept_event(event_id, thread_key=REF.key, payload="{}", at=T0)
        committed = await live.commit(
            at=T0, event_id=None, state=None, actions=[Action(kind="lock", thread=REF)]
        )
        (lock,) = (a.id for a in committed.actions)
        for _ in range(4):  # longer than the lease, renewed within it
            await asyncio.sleep(0.15)
            assert await live.renew_leases(events=["working"], actions=[lock]) == 2
        taken = await other.claim_accepted("other", limit=5, lease=timedelta(minutes=1))
        assert [e.event_id for e in taken] == ["abandoned"]  # held, but nobody worked on it
        assert await other.claim_owed_actions("other", limit=5, lease=timedelta(minutes=1)) == []
        assert await live.release_leases() == 2  # a clean stop
        taken = await other.claim_accepted("other", limit=5, lease=timedelta(minutes=1))
        owed = await other.claim_owed_actions("other", limit=5, lease=timedelta(minutes=1))
        assert [e.event_id for e in taken] == ["working"] and [a.id for a in owed] == [lock]
        assert taken[0].attempts == 1
        assert await live.renew_leases(events=["working"], actions=[lock]) == 0  # not its own
    finally:
        await asyncio.gather(live.close(), other.close())
