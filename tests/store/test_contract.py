"""The Store contract: one suite of behaviours every backend must show, on SQLite and PostgreSQL.

The core depends on the Store protocol only, so anything it may rely on is asserted here, against
each backend through the `backend` and `store` fixtures (tests/store/conftest.py). Breaking a store
on purpose (a failing trigger, an attacker editing the audit log) goes through `Backend`, which
speaks each database's own SQL.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.errors import StoreError
from bot.records import Action, Assessment, CaseDraft, CaseKind, ThreadRef, ThreadState
from bot.store import (
    AuditEntry,
    AuditReport,
    DuplicateEvent,
    PostgresStore,
    SqliteStore,
    Store,
    TurnRecord,
)
from bot.store.chain import GENESIS, digest, record_hash
from bot.store.codec import time_to_json
from bot.store.sqlite import TURN_TEXT_CHARS
from tests.store.conftest import Backend

AnyStore = SqliteStore | PostgresStore

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REF = ThreadRef(platform="discord", workspace="g1", channel="c1", thread="t1")
REF2 = ThreadRef(platform="discord", workspace="g1", channel="c1", thread="t2")


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def state(ref: ThreadRef = REF, **changes: Any) -> ThreadState:
    return ThreadState(ref=ref, owner="u1", opened_at=T0, **changes)


def turn(text: str = "hello", *, at: datetime = T0, ref: ThreadRef = REF, **kw: Any) -> TurnRecord:
    return TurnRecord(
        thread_key=ref.key,
        role=kw.pop("role", "user"),
        author_id=kw.pop("author_id", "u1"),
        author_name=kw.pop("author_name", "Ursula"),
        text=text,
        at=at,
        **kw,
    )


def draft(kind: CaseKind = "lock", *, workspace: str = "g1", **kw: Any) -> CaseDraft:
    return CaseDraft(
        kind=kind, workspace=workspace, user_id=kw.pop("user_id", "u1"), actor="bot", **kw
    )


# --- opening and migrations ----------------------------------------------------------------------


async def test_satisfies_the_store_protocol(store: AnyStore) -> None:
    """The store type-checks as the Store protocol the core depends on."""
    as_protocol: Store = store
    assert await as_protocol.event_seen("nothing") is False


async def test_closed_store_refuses_with_a_store_error(backend: Backend) -> None:
    """Using a store after close raises StoreError; closing twice is harmless."""
    s = await backend.open()
    await s.close()
    await s.close()
    with pytest.raises(StoreError, match="not open"):
        await s.commit(at=T0, event_id=None, state=state())
    with pytest.raises(StoreError, match="not open"):
        await s.load_thread(REF.key)


async def test_migrations_are_recorded_and_idempotent(backend: Backend) -> None:
    """Opening twice applies each migration once and records it."""
    for _ in range(2):
        s = await backend.open()
        await s.close()
    rows = await backend.sql("SELECT number, name FROM migrations ORDER BY number")
    assert rows and rows[0] == (1, "initial")
    assert [n for n, _ in rows] == list(range(1, len(rows) + 1))


async def test_a_newer_database_is_refused(backend: Backend) -> None:
    """A database with a migration this code does not know is refused with a clear StoreError."""
    s = await backend.open()
    await s.close()
    await backend.sql("INSERT INTO migrations VALUES (99, 'from the future', '2030-01-01')")
    with pytest.raises(StoreError, match=r"migration 99 .*newer version"):
        await backend.open()


async def test_a_differently_named_migration_is_refused(backend: Backend) -> None:
    """A database whose migration 1 has another name came from another build and is refused."""
    s = await backend.open()
    await s.close()
    await backend.sql("UPDATE migrations SET name = 'something else' WHERE number = 1")
    with pytest.raises(StoreError, match="different build"):
        await backend.open()


# --- threads and turns ---------------------------------------------------------------------------


async def test_thread_state_round_trips_and_updates(store: AnyStore) -> None:
    """A committed state loads back equal, a later commit replaces it, an unknown key is None."""
    first = state(
        status="warned",
        strikes=2,
        benign_streak=1,
        turns=7,
        last_risk_at=minutes(3),
        resources_posted_at=minutes(4),
        pending_end_by="u1",
        first_strike_turn=3,
        closed_category="harassment",
        closed_at=minutes(9),
        warned_users=("u2",),
        history_from=4,
    )
    await store.commit(at=T0, event_id="e1", state=first)
    assert await store.load_thread(REF.key) == first
    second = state(status="locked", strikes=3)
    await store.commit(at=minutes(1), event_id="e2", state=second)
    assert await store.load_thread(REF.key) == second
    assert await store.load_thread("discord:g1:c1:nope") is None


async def test_threads_are_listed_newest_first_and_filtered(store: AnyStore) -> None:
    """threads() lists hosted threads by last change, filtered by platform and status."""
    slack = ThreadRef(platform="slack", workspace="T1", channel="C1", thread="1.2")
    await store.commit(at=minutes(0), event_id="e1", state=state())
    await store.commit(at=minutes(1), event_id="e2", state=state(slack))
    await store.commit(at=minutes(2), event_id="e3", state=state(REF2, status="locked"))
    await store.commit(at=minutes(3), event_id="e4", state=state(strikes=1))
    assert [t.ref for t in await store.threads()] == [REF, REF2, slack]
    assert [t.ref for t in await store.threads(platform="discord")] == [REF, REF2]
    assert [t.ref for t in await store.threads(platform="disc")] == []
    assert [t.ref for t in await store.threads(status="locked")] == [REF2]
    assert [t.ref for t in await store.threads(platform="slack", status="open")] == [slack]
    assert [t.ref for t in await store.threads(limit=1)] == [REF]


async def test_recent_turns_are_oldest_first_with_every_field(store: AnyStore) -> None:
    """recent_turns returns the last `limit` turns oldest first, with flags and assessment."""
    assessment = Assessment(harmful=True, category="hate", rationale="slur")
    await store.commit(
        at=T0,
        event_id="e1",
        state=state(),
        turns=[
            turn("one", at=minutes(0)),
            turn("two", at=minutes(1), assessment=assessment, flagged=True, verdict="redirect"),
            turn("three", at=minutes(2), role="assistant", author_id="bot", hidden=True),
        ],
    )
    turns = await store.recent_turns(REF.key, limit=2)
    assert [t.text for t in turns] == ["two", "three"]
    assert turns[0].assessment == assessment and turns[0].flagged and turns[0].verdict == "redirect"
    assert turns[1].hidden and turns[1].role == "assistant" and turns[1].at == minutes(2)
    assert turns[1].author_id == "bot" and turns[0].author_name == "Ursula"
    assert turns[0].seq < turns[1].seq
    assert await store.recent_turns("discord:g1:c1:other", limit=5) == []


async def test_recent_turns_start_at_from_seq(store: AnyStore) -> None:
    """from_seq drops the turns before it; other threads' turns never appear."""
    await store.commit(
        at=T0,
        event_id="e1",
        state=None,
        turns=[turn(f"m{i}", at=minutes(i)) for i in range(5)] + [turn("other", ref=REF2)],
    )
    every = await store.recent_turns(REF.key, limit=10)
    assert [t.text for t in every] == ["m0", "m1", "m2", "m3", "m4"]
    later = await store.recent_turns(REF.key, limit=10, from_seq=every[2].seq)
    assert [t.text for t in later] == ["m2", "m3", "m4"]
    assert [t.text for t in await store.recent_turns(REF.key, limit=2, from_seq=every[1].seq)] == [
        "m3",
        "m4",
    ]
    assert await store.recent_turns(REF.key, limit=10, from_seq=every[4].seq + 100) == []


async def test_user_turns_are_everything_one_user_wrote(store: AnyStore) -> None:
    """A data export finds a user's messages in every thread, and no one else's or the bot's."""
    await store.commit(
        at=T0,
        event_id="e1",
        state=None,
        turns=[
            turn("mine", at=minutes(1)),
            turn("not mine", at=minutes(2), author_id="u2"),
            turn("also mine", at=minutes(3), ref=REF2),
            turn("a reply", at=minutes(4), role="assistant", author_id="u1"),
        ],
    )
    assert [t.text for t in await store.user_turns("u1")] == ["mine", "also mine"]
    assert await store.user_turns("nobody") == []


async def test_turn_text_is_kept_whole_up_to_the_limit(store: AnyStore) -> None:
    """A turn keeps its full text up to TURN_TEXT_CHARS and is cut there; "" stays empty."""
    long = "x" * (TURN_TEXT_CHARS + 50)
    await store.commit(
        at=T0, event_id="e1", state=None, turns=[turn(long), turn("y" * 3000), turn("")]
    )
    texts = [t.text for t in await store.recent_turns(REF.key, limit=5)]
    assert texts == ["x" * TURN_TEXT_CHARS, "y" * 3000, ""]


async def test_unstorable_text_is_repaired_not_refused(store: AnyStore) -> None:
    """A lone surrogate (which a JSON payload can carry) is stored as '?' instead of failing."""
    await store.commit(at=T0, event_id="e1", state=None, turns=[turn("bad \ud800 text")])
    assert (await store.recent_turns(REF.key, limit=1))[0].text == "bad ? text"


async def test_an_unstorable_name_is_repaired_and_an_unstorable_key_refused(
    store: AnyStore,
) -> None:
    """A turn's author id and name are repaired like its text; a key is refused (StoreError)."""
    await store.commit(
        at=T0,
        event_id="e1",
        state=None,
        turns=[turn("hi", author_id="u\udc00", author_name="ev\udc00il")],
    )
    (stored,) = await store.recent_turns(REF.key, limit=1)
    assert stored.author_name == "ev?il" and stored.author_id == "u?"
    dirty = ThreadRef(platform="discord", workspace="g1", channel="c1", thread="t\udc00")
    with pytest.raises(StoreError):
        await store.load_thread(dirty.key)
    with pytest.raises(StoreError):
        await store.commit(at=T0, event_id="e2", state=state(dirty))


async def test_usage_rows_are_the_turns_that_recorded_usage(store: AnyStore) -> None:
    """usage() lists turns with usage fields, oldest first, from `since`."""
    await store.commit(
        at=T0,
        event_id="e1",
        state=None,
        turns=[
            turn("q", at=minutes(0)),
            turn("a", at=minutes(1), role="assistant", usage={"input_tokens": 10, "model": "m"}),
            turn("a2", at=minutes(5), role="assistant", usage={"output_tokens": 3}, ref=REF2),
        ],
    )
    rows = await store.usage()
    assert [(r.thread_key, r.at, dict(r.usage)) for r in rows] == [
        (REF.key, minutes(1), {"input_tokens": 10, "model": "m"}),
        (REF2.key, minutes(5), {"output_tokens": 3}),
    ]
    assert [r.at for r in await store.usage(since=minutes(2))] == [minutes(5)]


# --- dedupe and atomicity ------------------------------------------------------------------------


async def test_a_redelivered_event_raises_duplicate_and_writes_nothing(
    store: AnyStore, backend: Backend
) -> None:
    """The second commit of an event id raises DuplicateEvent and adds nothing."""
    await store.commit(at=T0, event_id="e1", state=state(), turns=[turn("first")])
    assert await store.event_seen("e1")
    with pytest.raises(DuplicateEvent):
        await store.commit(
            at=minutes(1),
            event_id="e1",
            state=state(strikes=1),
            turns=[turn("again")],
            cases=[draft()],
            actions=[Action(kind="lock", thread=REF)],
            audit=[AuditEntry(kind="note", actor="bot", data={})],
        )
    assert await store.load_thread(REF.key) == state()
    assert [t.text for t in await store.recent_turns(REF.key, limit=9)] == ["first"]
    assert await store.owed_actions() == []
    assert await backend.count("cases") == await backend.count("audit") == 0
    assert await backend.count("excerpts") == 1
    # The redelivery did not burn a case number.
    committed = await store.commit(at=minutes(2), event_id="e2", state=None, cases=[draft()])
    assert [c.number for c in committed.cases] == [1]


async def test_commits_without_an_event_id_are_never_duplicates(store: AnyStore) -> None:
    """event_id None (a timer, a startup task) can be committed any number of times."""
    for _ in range(3):
        await store.commit(at=T0, event_id=None, state=state())
    assert await store.event_seen("") is False


@pytest.mark.parametrize("table", ["outbox", "audit", "audit_head"])
async def test_a_failure_midway_leaves_nothing(backend: Backend, table: str) -> None:
    """When the database fails partway through a decision, nothing of it remains."""
    # A real failure: a trigger makes the database itself abort the write to `table`, after the
    # event, state, turns, excerpts and cases of the decision have already been written.
    if backend.name == "postgres" and table == "audit_head":
        pytest.skip("a PostgreSQL decision does not touch audit_head (see test_chaining.py)")
    if backend.name == "postgres" and table == "audit":
        table = "audit_pending"  # its records are linked into `audit` after the commit
    s = await backend.open()
    await s.close()
    await backend.fail_on(table, "UPDATE" if table == "audit_head" else "INSERT")
    decision: dict[str, Any] = {
        "at": T0,
        "event_id": "e1",
        "state": state(status="locked"),
        "turns": [turn("abuse")],
        "cases": [draft(excerpts=("abuse",))],
        "actions": [Action(kind="lock", thread=REF), Action(kind="case", thread=REF, case_ref=0)],
        "audit": [AuditEntry(kind="decision", actor="bot", data={"v": "lock"}, excerpt="abuse")],
    }
    s = await backend.open()
    try:
        with pytest.raises(StoreError, match=r"disk on fire.*nothing was written"):
            await s.commit(**decision)
        assert not await s.event_seen("e1")
        assert await s.load_thread(REF.key) is None
        assert await s.recent_turns(REF.key, limit=5) == []
        assert await s.cases() == [] and await s.owed_actions() == []
        assert (await s.verify_audit()).ok
    finally:
        await s.close()
    for name in ("events", "threads", "turns", "excerpts", "cases", "outbox", "audit"):
        assert await backend.count(name) == 0, name

    await backend.stop_failing(table)
    s = await backend.open()
    try:
        committed = await s.commit(**decision)
        assert [c.number for c in committed.cases] == [1]
        assert (await s.verify_audit()).ok
    finally:
        await s.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"at": datetime(2026, 11, 1)}, "naive datetime"),
        ({"turns": [turn(at=datetime(2026, 11, 1))]}, "naive datetime"),
        ({"audit": [AuditEntry(kind="x", actor="bot", data={"o": object()})]}, "serialisable"),
        ({"audit": [AuditEntry(kind="x", actor="bot", data={"n": float("nan")})]}, "JSON"),
        ({"turns": [turn(usage={"when": object()})]}, "serializable"),
        ({"actions": [Action(kind="case", thread=REF, case_ref=1)]}, "refers to case 1"),
    ],
)
async def test_a_decision_that_cannot_be_stored_is_refused_whole(
    store: AnyStore, backend: Backend, change: dict[str, Any], message: str
) -> None:
    """Bad input (naive time, non-JSON data, case_ref out of range) is a StoreError; no writes."""
    decision: dict[str, Any] = {
        "at": T0,
        "event_id": "e1",
        "state": state(),
        "turns": [turn()],
        "cases": [draft()],
        **change,
    }
    with pytest.raises(StoreError, match=message):
        await store.commit(**decision)
    assert not await store.event_seen("e1")
    assert await backend.count("turns") == await backend.count("cases") == 0


# --- cases ---------------------------------------------------------------------------------------


async def test_cases_are_numbered_per_workspace(store: AnyStore) -> None:
    """Each workspace counts its own cases from 1, also within one decision."""
    first = await store.commit(
        at=T0, event_id="e1", state=None, cases=[draft(), draft("crisis"), draft(workspace="g2")]
    )
    assert [(c.workspace, c.number) for c in first.cases] == [("g1", 1), ("g1", 2), ("g2", 1)]
    second = await store.commit(at=T0, event_id="e2", state=None, cases=[draft(workspace="g2")])
    assert [c.number for c in second.cases] == [2]


async def test_concurrent_commits_number_cases_without_gaps(store: AnyStore) -> None:
    """50 concurrent decisions (some redelivered) leave each workspace numbered 1..n, no gaps."""
    events = [f"e{i % 45}" for i in range(50)]  # five redeliveries, which must not burn a number
    results = await asyncio.gather(
        *(
            store.commit(
                at=minutes(i),
                event_id=event,
                state=None,
                cases=[draft(workspace=f"g{i % 2}")] + ([draft(workspace="g2")] if i % 3 else []),
                audit=[AuditEntry(kind="decision", actor="bot", data={"i": i})],
            )
            for i, event in enumerate(events)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, DuplicateEvent) for r in results) == 5
    assert all(not isinstance(r, BaseException) or isinstance(r, DuplicateEvent) for r in results)
    for workspace in ("g0", "g1", "g2"):
        numbers = sorted(c.number for c in await store.cases(workspace=workspace, limit=100))
        assert numbers == list(range(1, len(numbers) + 1)), workspace
    committed = [c for r in results if not isinstance(r, BaseException) for c in r.cases]
    assert len(await store.cases(limit=200)) == len(committed)
    assert await store.verify_audit() == AuditReport(ok=True, records=len(committed) + 45)


async def test_case_round_trips_with_excerpts_cut(backend: Backend) -> None:
    """A stored case reads back as committed, excerpts cut to excerpt_chars."""
    s = await backend.open(excerpt_chars=10)
    try:
        committed = await s.commit(
            at=T0,
            event_id="e1",
            state=None,
            cases=[
                draft(
                    thread=REF,
                    category="hate",
                    priority=True,
                    strikes=3,
                    summary="locked after three",
                    excerpts=("short", "a much longer excerpt"),
                )
            ],
        )
        case = committed.cases[0]
        assert case.excerpts == ("short", "a much lo…")
        assert await s.case(workspace="g1", number=1) == case
        assert await s.case(workspace="g1", number=2) is None
        assert await s.case(workspace="g2", number=1) is None
    finally:
        await s.close()


async def test_action_case_ref_becomes_the_case_number(store: AnyStore) -> None:
    """An action's case_ref (index into the decision's cases) is stored as that case's number."""
    await store.commit(at=T0, event_id="e0", state=None, cases=[draft()])
    committed = await store.commit(
        at=T0,
        event_id="e1",
        state=None,
        cases=[draft("lock"), draft("repeat_locks")],
        actions=[
            Action(kind="lock", thread=REF),
            Action(kind="case", thread=REF, case_ref=1),
            Action(kind="case", thread=REF, case_ref=0),
        ],
    )
    assert [a.action.case for a in committed.actions] == [None, 3, 2]
    assert all(a.action.case_ref is None for a in committed.actions)
    assert await store.owed_actions() == list(committed.actions)


async def test_cases_are_listed_newest_first_and_filtered(store: AnyStore) -> None:
    """cases() orders newest first and filters by workspace, kind, user and limit."""
    await store.commit(at=minutes(0), event_id="e1", state=None, cases=[draft("lock")])
    await store.commit(at=minutes(1), event_id="e2", state=None, cases=[draft("crisis")])
    await store.commit(
        at=minutes(2), event_id="e3", state=None, cases=[draft("lock", user_id="u2")]
    )
    await store.commit(
        at=minutes(3), event_id="e4", state=None, cases=[draft("lock", workspace="g2")]
    )
    assert [(c.workspace, c.number) for c in await store.cases()] == [
        ("g2", 1),
        ("g1", 3),
        ("g1", 2),
        ("g1", 1),
    ]
    assert [c.number for c in await store.cases(workspace="g1", kinds=["lock"])] == [3, 1]
    assert [c.number for c in await store.cases(kinds=["crisis", "lock"], user_id="u1")] == [
        1,
        2,
        1,
    ]
    assert [c.number for c in await store.cases(user_id="u2")] == [3]
    assert len(await store.cases(limit=2)) == 2


async def test_recent_locks_count_from_the_later_of_since_and_the_last_pardon(
    store: AnyStore,
) -> None:
    """recent_locks counts the user's locks in the workspace since `since` and their last pardon."""
    kinds: list[CaseKind] = ["lock", "lock", "pardon", "lock"]
    for i, kind in enumerate(kinds):
        await store.commit(
            at=minutes(10 * (i + 1)), event_id=f"e{i}", state=None, cases=[draft(kind)]
        )
    await store.commit(at=minutes(50), event_id="x1", state=None, cases=[draft(user_id="u2")])
    await store.commit(at=minutes(50), event_id="x2", state=None, cases=[draft(workspace="g2")])

    async def locks(since: datetime, user_id: str = "u1") -> int:
        return await store.recent_locks(workspace="g1", user_id=user_id, since=since)

    assert await locks(T0) == 1  # only the lock after the pardon at minute 30
    assert await locks(minutes(45)) == 0
    assert await locks(T0, user_id="u2") == 1
    assert await locks(T0, user_id="nobody") == 0


async def test_a_lock_reversed_by_an_unlock_no_longer_counts(store: AnyStore) -> None:
    """A lock a moderator later unlocked (same thread) is not a repeat lock; others still are."""
    await store.commit(at=minutes(1), event_id="e1", state=None, cases=[draft(thread=REF)])
    await store.commit(at=minutes(2), event_id="e2", state=None, cases=[draft(thread=REF2)])
    assert await store.recent_locks(workspace="g1", user_id="u1", since=T0) == 2
    await store.commit(
        at=minutes(3),
        event_id="e3",
        state=None,
        cases=[draft("unlock", thread=REF, refers_to=1, user_id="mod")],
    )
    assert await store.recent_locks(workspace="g1", user_id="u1", since=T0) == 1
    # A new lock of the unlocked thread, after the unlock, counts again.
    await store.commit(at=minutes(4), event_id="e4", state=None, cases=[draft(thread=REF)])
    assert await store.recent_locks(workspace="g1", user_id="u1", since=T0) == 2


# --- the outbox ----------------------------------------------------------------------------------


async def test_owed_actions_done_failed_and_given_up(store: AnyStore) -> None:
    """Owed actions come oldest first; done and given-up ones leave, failures count attempts."""
    committed = await store.commit(
        at=T0,
        event_id="e1",
        state=None,
        actions=[Action(kind=k, thread=REF) for k in ("reply", "warn", "lock")],
    )
    reply, warn, lock = (a.id for a in committed.actions)
    assert [a.id for a in await store.owed_actions()] == [reply, warn, lock]
    assert committed.actions[0].key == f"tk-{reply}"

    await store.action_done(reply, at=minutes(1), outcome="message 123")
    await store.action_failed(warn, at=minutes(1), error="429", give_up=False)
    await store.action_failed(warn, at=minutes(2), error="429 again", give_up=False)
    await store.action_failed(lock, at=minutes(2), error="missing permission", give_up=True)
    owed = await store.owed_actions()
    assert [(a.id, a.attempts, a.event_id) for a in owed] == [(warn, 2, "e1")]
    assert owed[0].created_at == T0

    await store.action_done(reply, at=minutes(3))  # a repeat report is harmless
    await store.action_failed(lock, at=minutes(3), error="late", give_up=False)  # so is this
    with pytest.raises(StoreError, match="no action 999"):
        await store.action_done(999, at=minutes(3))
    with pytest.raises(StoreError, match="no action 999"):
        await store.action_failed(999, at=minutes(3), error="x", give_up=True)
    stats = await store.stats()
    assert stats["actions.owed"] == 1 and stats["actions.given_up"] == 1


async def test_a_commit_can_mark_actions_done_in_the_same_write(store: AnyStore) -> None:
    """A reply's text and its action's completion are one write: both, or (on error) neither."""
    committed = await store.commit(
        at=T0, event_id="e1", state=state(), actions=[Action(kind="reply", thread=REF)]
    )
    (reply,) = committed.actions
    with pytest.raises(StoreError):
        await store.commit(
            at=minutes(1),
            event_id=None,
            state=None,
            turns=[turn("the answer", role="assistant")],
            actions=[Action(kind="lock", thread=REF, case_ref=5)],  # refused: nothing written
            done=[(reply.id, "streamed")],
        )
    assert [a.id for a in await store.owed_actions()] == [reply.id]
    await store.commit(
        at=minutes(1),
        event_id=None,
        state=None,
        turns=[turn("the answer", role="assistant")],
        done=[(reply.id, "streamed")],
    )
    assert await store.owed_actions() == []
    texts = [t.text for t in await store.recent_turns(REF.key, limit=5)]
    assert texts == ["the answer"]


async def test_owed_actions_survive_a_restart(backend: Backend) -> None:
    """An action committed and not done is still owed after the process reopens the store."""
    s = await backend.open()
    committed = await s.commit(
        at=T0, event_id="e1", state=state(), actions=[Action(kind="lock", thread=REF)]
    )
    await s.close()
    s = await backend.open()
    try:
        assert await s.owed_actions() == list(committed.actions)
    finally:
        await s.close()


# --- the inbox -----------------------------------------------------------------------------------


async def accept(store: AnyStore, event_id: str, ref: ThreadRef = REF) -> bool:
    return await store.accept_event(
        event_id, thread_key=ref.key, payload=f'{{"id": "{event_id}"}}', at=T0
    )


async def test_an_accepted_message_is_pending_until_its_decision_is_committed(
    store: AnyStore,
) -> None:
    """Accepted once; a second accept (a redelivery) is refused; the commit removes it."""
    assert await accept(store, "e1") is True
    assert await accept(store, "e1") is False
    pending = await store.pending_in_thread(REF.key, "e1")
    assert pending is not None and [(p.event_id, p.payload) for p in pending] == [
        ("e1", '{"id": "e1"}')
    ]
    await store.commit(at=T0, event_id="e1", state=state())
    assert await store.pending_in_thread(REF.key, "e1") is None
    assert await store.accepted_events() == []
    # Decided already: a late redelivery is not accepted again.
    assert await accept(store, "e1") is False


async def test_pending_lists_the_threads_earlier_messages_in_accept_order(
    store: AnyStore,
) -> None:
    """Up to and including the message asked about, this thread only, in the order accepted."""
    for event_id, ref in (("a", REF), ("x", REF2), ("b", REF), ("c", REF)):
        assert await accept(store, event_id, ref)
    pending = await store.pending_in_thread(REF.key, "b")
    assert pending is not None and [p.event_id for p in pending] == ["a", "b"]
    seqs = [p.seq for p in pending]
    assert seqs == sorted(seqs)
    await store.forget_event("a")
    pending = await store.pending_in_thread(REF.key, "c")
    assert pending is not None and [p.event_id for p in pending] == ["b", "c"]
    assert await store.pending_in_thread(REF.key, "a") is None
    assert await store.pending_in_thread(REF.key, "x") is None  # another thread's
    assert await store.has_accepted(REF.key) and await store.has_accepted(REF2.key)
    await store.forget_event("x")
    assert not await store.has_accepted(REF2.key)
    assert [e.event_id for e in await store.accepted_events()] == ["b", "c"]
    assert [e.event_id for e in await store.accepted_events(limit=1)] == ["b"]


async def test_a_failed_commit_leaves_the_message_pending(store: AnyStore) -> None:
    """A decision that cannot be stored keeps its message in the inbox for another try."""
    assert await accept(store, "e1")
    with pytest.raises(StoreError):
        await store.commit(
            at=T0,
            event_id="e1",
            state=state(),
            actions=[Action(kind="lock", thread=REF, case_ref=3)],
        )
    assert [e.event_id for e in await store.accepted_events()] == ["e1"]


async def test_accepted_messages_survive_a_restart(backend: Backend) -> None:
    """A message accepted and not decided is still there after the process reopens the store."""
    s = await backend.open()
    await accept(s, "e1")
    await s.close()
    s = await backend.open()
    try:
        assert [e.event_id for e in await s.accepted_events()] == ["e1"]
    finally:
        await s.close()


async def test_concurrent_accepts_of_one_message_accept_it_once(store: AnyStore) -> None:
    """Ten deliveries of one message at once: exactly one is accepted."""
    results = await asyncio.gather(*(accept(store, "e1") for _ in range(10)))
    assert sorted(results) == [False] * 9 + [True]


# --- purge and stats -----------------------------------------------------------------------------


async def test_purge_deletes_old_texts_and_keeps_the_chain_verifiable(
    store: AnyStore, backend: Backend
) -> None:
    """purge_excerpts removes texts older than `before`; turns, cases and the chain stay."""
    await store.commit(
        at=T0,
        event_id="old",
        state=state(),
        turns=[turn("old message", at=T0)],
        cases=[draft(excerpts=("old message",))],
        audit=[AuditEntry(kind="decision", actor="bot", data={}, excerpt="old message")],
    )
    await store.commit(
        at=minutes(120),
        event_id="new",
        state=state(),
        turns=[turn("new message", at=minutes(120))],
        cases=[draft(excerpts=("new message",))],
        audit=[AuditEntry(kind="decision", actor="bot", data={}, excerpt="new message")],
    )
    # The turn's text and the decision record's excerpt are one row; the case's is another.
    assert await store.purge_excerpts(before=minutes(60)) == 2
    assert [t.text for t in await store.recent_turns(REF.key, limit=5)] == ["", "new message"]
    cases = {c.number: c.excerpts for c in await store.cases()}
    assert cases == {1: (), 2: ("new message",)}
    assert await store.verify_audit() == AuditReport(ok=True, records=4)
    records = await store.audit_records()
    assert [r.excerpt for r in records] == [None, None, '["new message"]', "new message"]
    assert all(r.excerpt_digest is not None for r in records)
    assert await backend.count("excerpts WHERE text LIKE 'old%'") == 0
    assert await store.purge_excerpts(before=minutes(60)) == 0


async def test_stats_count_threads_cases_and_actions(store: AnyStore) -> None:
    """stats() reports every status and kind, zeros included."""
    other = ThreadRef(platform="slack", workspace="T1", channel="C1", thread="1.2")
    await store.commit(at=T0, event_id="e1", state=state(status="locked"), cases=[draft()])
    await store.commit(
        at=T0, event_id="e2", state=state(other), actions=[Action(kind="reply", thread=other)]
    )
    stats = await store.stats()
    assert stats["threads.locked"] == 1 and stats["threads.open"] == 1
    assert stats["threads.ended"] == 0
    assert stats["cases.lock"] == 1 and stats["cases.pardon"] == 0
    assert stats["actions.owed"] == 1 and stats["audit.records"] == 1


# --- the audit chain -----------------------------------------------------------------------------

RECORDS = 6


@pytest.fixture
async def chained(store: AnyStore) -> AnyStore:
    """The store with six chain records: cases and entries, with and without excerpts."""
    for i in range(3):
        await store.commit(
            at=T0 + timedelta(hours=i),
            event_id=f"e{i}",
            state=None,
            cases=[draft(thread=REF, excerpts=(f"excerpt {i}", "ünïcode ✓"))],
            audit=[
                AuditEntry(
                    kind="decision",
                    actor="bot",
                    thread_key=REF.key,
                    data={"verdict": "lock", "strikes": i, "at": T0, "tags": ("a", "b")},
                    excerpt=None if i == 1 else f"message {i}",
                )
            ],
        )
    # PostgreSQL links records after the commit; verifying links them all, so the tests below
    # tamper with a complete chain.
    assert (await store.verify_audit()).ok
    return store


async def test_an_untouched_chain_verifies_and_links_from_genesis(chained: AnyStore) -> None:
    """A chain written only by the store verifies; each record holds the hash before it."""
    assert await chained.verify_audit() == AuditReport(ok=True, records=RECORDS)
    records = await chained.audit_records()
    assert [r.seq for r in records] == list(range(1, RECORDS + 1))
    assert records[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    case = records[0]
    assert case.kind == "case" and "excerpts" not in case.data
    assert case.excerpt_digest == digest(case.excerpt or "")
    assert records[1].data == {"verdict": "lock", "strikes": 0, "at": time_to_json(T0)} | {
        "tags": ["a", "b"]
    }
    assert [r.seq for r in await chained.audit_records(since=T0 + timedelta(hours=1))] == [
        3,
        4,
        5,
        6,
    ]


async def test_an_empty_chain_verifies(store: AnyStore) -> None:
    """A new database has an empty, valid chain."""
    assert await store.verify_audit() == AuditReport(ok=True, records=0)


async def test_the_store_itself_cannot_rewrite_the_log(chained: AnyStore, backend: Backend) -> None:
    """The schema refuses DELETE on the audit table (a guard against our own bugs)."""
    with pytest.raises(Exception, match="append-only"):
        await backend.sql("DELETE FROM audit WHERE seq = 1")
    assert (await chained.verify_audit()).ok


async def test_an_edited_record_is_found(chained: AnyStore, backend: Backend) -> None:
    """Changing a record's data breaks its hash: "record 4 was changed"."""
    await backend.tamper("""UPDATE audit SET data = '{"verdict":"reply"}' WHERE seq = 4""")
    report = await chained.verify_audit()
    assert (report.ok, report.seq, report.problem, report.records) == (
        False,
        4,
        "record 4 was changed",
        3,
    )


async def test_an_edited_record_with_a_recomputed_hash_is_found(
    chained: AnyStore, backend: Backend
) -> None:
    """Rewriting a record and its own hash still breaks the link to the next record."""
    record = (await chained.audit_records())[1]
    forged = record_hash(
        prev_hash=record.prev_hash,
        seq=record.seq,
        at=time_to_json(record.at),
        kind=record.kind,
        actor="moderator",
        thread_key=record.thread_key,
        data={},
        excerpt_digest=record.excerpt_digest,
    )
    await backend.tamper(
        f"UPDATE audit SET actor = 'moderator', data = '{{}}', hash = '{forged}' WHERE seq = 2"
    )
    report = await chained.verify_audit()
    assert (report.seq, report.problem) == (3, "record 3 is missing or out of order")


async def test_removed_records_are_found(chained: AnyStore, backend: Backend) -> None:
    """Deleting a middle record leaves a gap: "record 3 is missing or out of order"."""
    await backend.tamper("DELETE FROM audit WHERE seq = 3")
    report = await chained.verify_audit()
    assert (report.ok, report.seq, report.problem) == (
        False,
        3,
        "record 3 is missing or out of order",
    )


async def test_removed_last_records_are_found_by_the_head(
    chained: AnyStore, backend: Backend
) -> None:
    """Deleting the newest records is caught by the chain head; a forged head is caught too."""
    await backend.tamper("DELETE FROM audit WHERE seq >= 5")
    report = await chained.verify_audit()
    assert (report.ok, report.seq, report.problem, report.records) == (
        False,
        5,
        "record 5 is missing or out of order",
        4,
    )
    await backend.tamper(f"UPDATE audit_head SET seq = 4, hash = '{'f' * 64}'")
    report = await chained.verify_audit()
    assert not report.ok and report.problem == "the chain head does not match record 4"


async def test_two_swapped_records_are_found(chained: AnyStore, backend: Backend) -> None:
    """Swapping two records' places is reported at the first of them as out of order."""
    await backend.tamper(
        "UPDATE audit SET seq = 1000 WHERE seq = 2",
        "UPDATE audit SET seq = 2 WHERE seq = 3",
        "UPDATE audit SET seq = 3 WHERE seq = 1000",
    )
    report = await chained.verify_audit()
    assert (report.seq, report.problem) == (2, "record 2 is missing or out of order")


async def test_an_edited_excerpt_is_found(chained: AnyStore, backend: Backend) -> None:
    """Changing an excerpt's text no longer matches the digest in its record."""
    await backend.tamper(
        "UPDATE excerpts SET text = 'something milder'"
        " WHERE id = (SELECT excerpt_id FROM audit WHERE seq = 2)"
    )
    report = await chained.verify_audit()
    assert (report.seq, report.problem) == (2, "the excerpt of record 2 was changed")


async def test_the_chain_still_verifies_after_a_full_purge(chained: AnyStore) -> None:
    """Purging every excerpt leaves the chain verifiable; records keep their digests."""
    assert await chained.purge_excerpts(before=T0 + timedelta(days=1)) == 5
    assert await chained.verify_audit() == AuditReport(ok=True, records=RECORDS)
    records = await chained.audit_records()
    assert all(r.excerpt is None for r in records)
    assert sum(r.excerpt_digest is not None for r in records) == 5
