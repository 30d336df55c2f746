"""The SQLite store: atomic decisions, dedupe, case numbering, the outbox, purges and migrations."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.errors import StoreError
from bot.records import Action, Assessment, CaseDraft, CaseKind, ThreadRef, ThreadState
from bot.store import (
    AuditEntry,
    DuplicateEvent,
    SqliteStore,
    Store,
    TurnRecord,
    open_store,
)
from bot.store.migrations import MIGRATIONS, migrate
from bot.store.sqlite import HOT_PATH_QUERIES, TURN_TEXT_CHARS

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REF = ThreadRef(platform="discord", workspace="g1", channel="c1", thread="t1")


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


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """The database file opened with the plain sqlite3 module, outside the store."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        yield db


def count(path: Path, table: str) -> int:
    with raw(path) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "threadkeeper.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    s = await open_store(db_path)
    yield s
    await s.close()


# --- opening -------------------------------------------------------------------------------------


async def test_satisfies_the_store_protocol(store: SqliteStore) -> None:
    """SqliteStore type-checks as the Store protocol the core depends on."""
    as_protocol: Store = store
    assert await as_protocol.event_seen("nothing") is False


async def test_wal_and_pragmas_are_set(store: SqliteStore, db_path: Path) -> None:
    """The file is in WAL mode and the connection syncs NORMAL, enforces keys, waits when busy."""
    with raw(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def pragmas(conn: sqlite3.Connection) -> tuple[int, int, int]:
        return (
            conn.execute("PRAGMA synchronous").fetchone()[0],
            conn.execute("PRAGMA foreign_keys").fetchone()[0],
            conn.execute("PRAGMA busy_timeout").fetchone()[0],
        )

    assert await store._call("read pragmas", pragmas) == (1, 1, 5000)


async def test_memory_database_works() -> None:
    """ ":memory:" opens, migrates and stores like a file."""
    async with SqliteStore(":memory:") as s:
        await s.commit(at=T0, event_id="e1", state=state())
        assert await s.load_thread(REF.key) == state()


async def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    """A path that cannot be opened raises StoreError naming it."""
    with pytest.raises(StoreError, match=r"cannot open the database at .*missing"):
        await open_store(tmp_path / "missing" / "x.db")


async def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    """A file that is not SQLite raises StoreError, not sqlite3's exception."""
    path = tmp_path / "notes.db"
    path.write_text("these are not the tables you are looking for" * 100)
    with pytest.raises(StoreError, match="not a database"):
        await open_store(path)


async def test_closed_store_refuses_with_a_store_error(db_path: Path) -> None:
    """Using a store before open or after close raises StoreError."""
    s = SqliteStore(db_path)
    with pytest.raises(StoreError, match="not open"):
        await s.load_thread(REF.key)
    await s.open()
    await s.close()
    await s.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="not open"):
        await s.commit(at=T0, event_id=None, state=state())


# --- migrations ----------------------------------------------------------------------------------


async def test_migrations_are_recorded_and_idempotent(db_path: Path) -> None:
    """Opening twice applies each migration once and records its number, name and time."""
    for _ in range(2):
        s = await open_store(db_path)
        await s.close()
    with raw(db_path) as db:
        rows = db.execute("SELECT number, name, applied_at FROM migrations").fetchall()
    assert [(n, name) for n, name, _ in rows] == [(m.number, m.name) for m in MIGRATIONS]
    assert all(applied_at.endswith("+00:00") for _, _, applied_at in rows)
    async with aiosqlite.connect(db_path, isolation_level=None) as db:
        assert await migrate(db) == []


async def test_a_newer_database_is_refused(db_path: Path) -> None:
    """A database with a migration this code does not know is refused with a clear StoreError."""
    s = await open_store(db_path)
    await s.close()
    with raw(db_path) as db:
        db.execute("INSERT INTO migrations VALUES (99, 'from the future', '2030-01-01')")
    with pytest.raises(StoreError, match=r"migration 99 .*newer version"):
        await open_store(db_path)


async def test_a_differently_named_migration_is_refused(db_path: Path) -> None:
    """A database whose migration 1 has another name came from another build and is refused."""
    s = await open_store(db_path)
    await s.close()
    with raw(db_path) as db:
        db.execute("UPDATE migrations SET name = 'something else' WHERE number = 1")
    with pytest.raises(StoreError, match="different build"):
        await open_store(db_path)


async def test_hot_path_queries_use_indexes(store: SqliteStore, db_path: Path) -> None:
    """No query on the per-turn path scans a table (a scan of a partial index is fine)."""
    with raw(db_path) as db:
        for sql in HOT_PATH_QUERIES:
            n = sql.count("?") - sum(sql.count(f"?{i}") for i in range(1, 10))
            n += len({i for i in range(1, 10) if f"?{i}" in sql})
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", [None] * n)]
            scans = [p for p in plan if p.startswith("SCAN") and "USING" not in p]
            assert not scans, f"{sql}\n{plan}"


# --- threads and turns ---------------------------------------------------------------------------


async def test_thread_state_round_trips_and_updates(store: SqliteStore) -> None:
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
    )
    await store.commit(at=T0, event_id="e1", state=first)
    assert await store.load_thread(REF.key) == first
    second = state(status="locked", strikes=3)
    await store.commit(at=minutes(1), event_id="e2", state=second)
    assert await store.load_thread(REF.key) == second
    assert await store.load_thread("discord:g1:c1:nope") is None


async def test_threads_are_listed_newest_first_and_filtered(store: SqliteStore) -> None:
    """threads() lists hosted threads by last change, filtered by platform and status."""
    slack = ThreadRef(platform="slack", workspace="T1", channel="C1", thread="1.2")
    other = ThreadRef(platform="discord", workspace="g1", channel="c1", thread="t2")
    await store.commit(at=minutes(0), event_id="e1", state=state())
    await store.commit(at=minutes(1), event_id="e2", state=state(slack))
    await store.commit(at=minutes(2), event_id="e3", state=state(other, status="locked"))
    await store.commit(at=minutes(3), event_id="e4", state=state(strikes=1))
    assert [t.ref for t in await store.threads()] == [REF, other, slack]
    assert [t.ref for t in await store.threads(platform="discord")] == [REF, other]
    assert [t.ref for t in await store.threads(platform="disc")] == []
    assert [t.ref for t in await store.threads(status="locked")] == [other]
    assert [t.ref for t in await store.threads(limit=1)] == [REF]


async def test_recent_turns_are_oldest_first_with_every_field(store: SqliteStore) -> None:
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
    assert turns[0].seq < turns[1].seq
    assert await store.recent_turns("discord:g1:c1:other", limit=5) == []


async def test_turn_text_is_kept_whole_up_to_the_limit(store: SqliteStore) -> None:
    """A turn keeps its full text up to TURN_TEXT_CHARS and is cut there."""
    long = "x" * (TURN_TEXT_CHARS + 50)
    await store.commit(at=T0, event_id="e1", state=None, turns=[turn(long), turn("y" * 3000)])
    texts = [t.text for t in await store.recent_turns(REF.key, limit=5)]
    assert texts == ["x" * TURN_TEXT_CHARS, "y" * 3000]


async def test_unstorable_text_is_repaired_not_refused(store: SqliteStore) -> None:
    """A lone surrogate (which a JSON payload can carry) is stored as '?' instead of failing."""
    await store.commit(at=T0, event_id="e1", state=None, turns=[turn("bad \ud800 text")])
    assert (await store.recent_turns(REF.key, limit=1))[0].text == "bad ? text"


# --- dedupe and atomicity ------------------------------------------------------------------------


async def test_a_redelivered_event_raises_duplicate_and_writes_nothing(
    store: SqliteStore, db_path: Path
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
    assert count(db_path, "cases") == count(db_path, "audit") == 0


async def test_commits_without_an_event_id_are_never_duplicates(store: SqliteStore) -> None:
    """event_id None (a timer, a startup task) can be committed any number of times."""
    for _ in range(3):
        await store.commit(at=T0, event_id=None, state=state())
    assert await store.event_seen("") is False


@pytest.mark.parametrize("table", ["outbox", "audit", "audit_head"])
async def test_a_failure_midway_leaves_nothing(db_path: Path, table: str) -> None:
    """When the database fails partway through a decision, nothing of it remains."""
    # A real failure: a trigger makes SQLite itself abort the write to `table`, after the event,
    # state, turns, excerpts and cases of the decision have already been written.
    s = await open_store(db_path)
    await s.close()
    with raw(db_path) as db:
        event = "UPDATE" if table == "audit_head" else "INSERT"
        db.execute(
            f"CREATE TRIGGER fail BEFORE {event} ON {table}"
            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    decision: dict[str, Any] = {
        "at": T0,
        "event_id": "e1",
        "state": state(status="locked"),
        "turns": [turn("abuse")],
        "cases": [draft(excerpts=("abuse",))],
        "actions": [Action(kind="lock", thread=REF), Action(kind="case", thread=REF, case_ref=0)],
        "audit": [AuditEntry(kind="decision", actor="bot", data={"v": "lock"}, excerpt="abuse")],
    }
    async with SqliteStore(db_path) as s:
        with pytest.raises(StoreError, match=r"disk on fire.*nothing was written"):
            await s.commit(**decision)
        assert not await s.event_seen("e1")
        assert await s.load_thread(REF.key) is None
        assert await s.recent_turns(REF.key, limit=5) == []
        assert await s.cases() == [] and await s.owed_actions() == []
        assert (await s.verify_audit()).ok
    for name in ("events", "threads", "turns", "excerpts", "cases", "outbox", "audit"):
        assert count(db_path, name) == 0, name

    with raw(db_path) as db:
        db.execute("DROP TRIGGER fail")
    async with SqliteStore(db_path) as s:
        committed = await s.commit(**decision)
        assert [c.number for c in committed.cases] == [1]
        assert (await s.verify_audit()).ok


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
    store: SqliteStore, db_path: Path, change: dict[str, Any], message: str
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
    assert count(db_path, "turns") == count(db_path, "cases") == 0


# --- cases ---------------------------------------------------------------------------------------


async def test_cases_are_numbered_per_workspace(store: SqliteStore) -> None:
    """Each workspace counts its own cases from 1, also within one decision."""
    first = await store.commit(
        at=T0, event_id="e1", state=None, cases=[draft(), draft("crisis"), draft(workspace="g2")]
    )
    assert [(c.workspace, c.number) for c in first.cases] == [("g1", 1), ("g1", 2), ("g2", 1)]
    second = await store.commit(at=T0, event_id="e2", state=None, cases=[draft(workspace="g2")])
    assert [c.number for c in second.cases] == [2]


async def test_concurrent_commits_number_cases_without_gaps(store: SqliteStore) -> None:
    """50 concurrent decisions (some redelivered) leave each workspace numbered 1..n, no gaps."""
    events = [f"e{i % 45}" for i in range(50)]  # five redeliveries, which must not burn a number
    results = await asyncio.gather(
        *(
            store.commit(
                at=minutes(i),
                event_id=event,
                state=None,
                cases=[draft(workspace=f"g{i % 2}")],
            )
            for i, event in enumerate(events)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, DuplicateEvent) for r in results) == 5
    for workspace in ("g0", "g1"):
        numbers = sorted(c.number for c in await store.cases(workspace=workspace, limit=100))
        assert numbers == list(range(1, len(numbers) + 1))
    assert len(await store.cases(limit=100)) == 45


async def test_case_round_trips_with_excerpts_cut(db_path: Path) -> None:
    """A stored case reads back as committed, excerpts cut to excerpt_chars."""
    async with SqliteStore(db_path, excerpt_chars=10) as s:
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


async def test_action_case_ref_becomes_the_case_number(store: SqliteStore) -> None:
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
    assert [a.action for a in await store.owed_actions()] == [a.action for a in committed.actions]


async def test_unlock_and_uphold_review_the_case_they_refer_to(store: SqliteStore) -> None:
    """An unlock or uphold marks its referred case reviewed; a note leaves it open."""
    await store.commit(at=T0, event_id="e1", state=None, cases=[draft(), draft(), draft()])
    await store.commit(
        at=minutes(1),
        event_id="e2",
        state=None,
        cases=[draft("note", refers_to=1), draft("uphold", refers_to=2)],
    )
    await store.commit(
        at=minutes(2), event_id="e3", state=None, cases=[draft("unlock", refers_to=3)]
    )
    status = {c.number: c.status for c in await store.cases(workspace="g1")}
    assert status == {1: "open", 2: "reviewed", 3: "reviewed", 4: "open", 5: "open", 6: "open"}
    open_locks = await store.cases(kinds=["lock"], open_only=True)
    assert [c.number for c in open_locks] == [1]


async def test_cases_are_listed_newest_first_and_filtered(store: SqliteStore) -> None:
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
    assert [c.number for c in await store.cases(user_id="u2")] == [3]
    assert len(await store.cases(limit=2)) == 2


async def test_recent_locks_count_from_the_later_of_since_and_the_last_pardon(
    store: SqliteStore,
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
    assert await store.recent_locks(workspace="g1", user_id="nobody", since=T0) == 0


# --- the outbox ----------------------------------------------------------------------------------


async def test_owed_actions_done_failed_and_given_up(store: SqliteStore) -> None:
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
    with pytest.raises(StoreError, match="no action 999"):
        await store.action_done(999, at=minutes(3))
    stats = await store.stats()
    assert stats["actions.owed"] == 1 and stats["actions.given_up"] == 1


async def test_owed_actions_survive_a_restart(db_path: Path) -> None:
    """An action committed and not done is still owed after the process reopens the database."""
    async with SqliteStore(db_path) as s:
        committed = await s.commit(
            at=T0, event_id="e1", state=state(), actions=[Action(kind="lock", thread=REF)]
        )
    async with SqliteStore(db_path) as s:
        assert await s.owed_actions() == list(committed.actions)


# --- purge and stats -----------------------------------------------------------------------------


async def test_purge_deletes_old_texts_and_keeps_the_rest(
    store: SqliteStore, db_path: Path
) -> None:
    """purge_excerpts removes texts older than `before`; turns and cases stay, without text."""
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
    )
    assert await store.purge_excerpts(before=minutes(60)) == 3
    assert [t.text for t in await store.recent_turns(REF.key, limit=5)] == ["", "new message"]
    cases = {c.number: c.excerpts for c in await store.cases()}
    assert cases == {1: (), 2: ("new message",)}
    assert (await store.verify_audit()).ok
    with raw(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM excerpts WHERE text LIKE 'old%'").fetchone()[0] == 0
    assert await store.purge_excerpts(before=minutes(60)) == 0


async def test_stats_count_threads_cases_and_actions(store: SqliteStore) -> None:
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
