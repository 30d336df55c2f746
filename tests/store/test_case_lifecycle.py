"""The contract for a case's life: born open or resolved, moved with who and why, grouped, audited.

Part of the Store contract suite: every test runs on SQLite and on PostgreSQL (the `store` and
`backend` fixtures of tests/store/conftest.py). The last tests migrate a database written before
cases had a lifecycle and check what each old case became.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import asyncpg
import pytest

from bot.errors import StoreError
from bot.records import CaseDraft, CaseKind, CaseUpdate, ThreadRef
from bot.store import PostgresStore, SqliteStore, pg_migrations
from bot.store import migrations as sqlite_migrations
from bot.store.codec import time_to_json
from tests.store.conftest import Backend

AnyStore = SqliteStore | PostgresStore

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REF = ThreadRef(platform="discord", workspace="g1", channel="c1", thread="t1")
REF2 = ThreadRef(platform="discord", workspace="g1", channel="c1", thread="t2")


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def draft(kind: CaseKind = "lock", **kw: Any) -> CaseDraft:
    return CaseDraft(
        kind=kind,
        workspace="g1",
        user_id="u1",
        actor=kw.pop("actor", "bot"),
        thread=kw.pop("thread", REF),
        **kw,
    )


async def audit_of(store: AnyStore, kind: str) -> list[dict[str, Any]]:
    """The data of every audit record of `kind`, in chain order, with its actor and excerpt."""
    return [
        {**r.data, "actor": r.actor, "excerpt": r.excerpt, "thread": r.thread_key}
        for r in await store.audit_records()
        if r.kind == kind
    ]


async def test_cases_that_wait_are_born_open_and_records_resolved(store: AnyStore) -> None:
    """A lock or crisis waits (open); a note or unlock only records (resolved by its author)."""
    committed = await store.commit(
        at=T0,
        event_id="e1",
        state=None,
        cases=[
            draft("lock"),
            draft("crisis", priority=True),
            draft("note", actor="m1"),
            draft("unlock", actor="m1"),
        ],
    )
    born = {c.number: (c.status, c.status_by, c.status_at) for c in committed.cases}
    assert born == {
        1: ("open", "", None),
        2: ("open", "", None),
        3: ("resolved", "m1", T0),
        4: ("resolved", "m1", T0),
    }
    read = {c.number: c for c in await store.cases()}
    assert {n: c.status for n, c in read.items()} == {
        1: "open",
        2: "open",
        3: "resolved",
        4: "resolved",
    }
    assert read[2].pinged_at == T0 and read[1].pinged_at is None  # a priority case alerts
    assert read[2].signals == 1 and read[2].updated_at == T0
    assert [c.number for c in await store.cases(open_only=True)] == [2, 1]


async def test_a_case_is_acknowledged_then_resolved_with_who_and_why(store: AnyStore) -> None:
    """Each change is stored on the case and appended to the chain as its own record."""
    await store.commit(at=T0, event_id="e1", state=None, cases=[draft("crisis", priority=True)])
    await store.commit(
        at=minutes(5),
        event_id="e2",
        state=None,
        updates=[CaseUpdate(workspace="g1", number=1, actor="m1", status="acknowledged")],
    )
    case = await store.case(workspace="g1", number=1)
    assert case is not None
    assert (case.status, case.status_by, case.status_at) == ("acknowledged", "m1", minutes(5))
    assert [c.number for c in await store.cases(open_only=True)] == [1]  # still waiting
    await store.commit(
        at=minutes(9),
        event_id="e3",
        state=None,
        updates=[
            CaseUpdate(
                workspace="g1",
                number=1,
                actor="m2",
                status="resolved",
                reason="  Called them; they are safe with family.  ",
            )
        ],
    )
    case = await store.case(workspace="g1", number=1)
    assert case is not None
    assert (case.status, case.status_by, case.status_reason) == (
        "resolved",
        "m2",
        "Called them; they are safe with family.",
    )
    assert await store.cases(open_only=True) == []
    changes = await audit_of(store, "case_update")
    assert [(c["number"], c["status"], c["actor"], c["reason"]) for c in changes] == [
        (1, "acknowledged", "m1", ""),
        (1, "resolved", "m2", "Called them; they are safe with family."),
    ]
    assert all(c["thread"] == REF.key for c in changes)
    assert (await store.verify_audit()).ok


async def test_a_grouped_signal_counts_and_keeps_the_latest_excerpt(store: AnyStore) -> None:
    """One more signal: the count rises, excerpts and summary are replaced, the ping is dated."""
    await store.commit(
        at=T0,
        event_id="e1",
        state=None,
        cases=[draft("crisis", priority=True, summary="first", excerpts=("I can't go on",))],
    )
    for n, text in enumerate(("nobody would notice", "tonight is the night"), start=1):
        await store.commit(
            at=minutes(n),
            event_id=f"s{n}",
            state=None,
            updates=[
                CaseUpdate(
                    workspace="g1",
                    number=1,
                    actor="bot",
                    signal=True,
                    excerpts=("I can't go on", text),
                    summary=f"after {n + 1} signals",
                    pinged=n == 2,
                )
            ],
        )
    case = await store.case(workspace="g1", number=1)
    assert case is not None
    assert case.signals == 3 and case.updated_at == minutes(2) and case.pinged_at == minutes(2)
    assert case.excerpts == ("I can't go on", "tonight is the night")
    assert case.summary == "after 3 signals" and case.status == "open"
    grouped = await audit_of(store, "case_update")
    assert [(g["signals"], g["pinged"], g["excerpt"]) for g in grouped] == [
        (2, False, "nobody would notice"),
        (3, True, "tonight is the night"),
    ]
    # The latest excerpt is outside the chain: a purge deletes it and the chain still verifies.
    assert await store.purge_excerpts(before=minutes(60)) > 0
    assert (await store.verify_audit()).ok
    purged = await store.case(workspace="g1", number=1)
    assert purged is not None and purged.excerpts == () and purged.signals == 3


async def test_an_update_of_a_missing_case_writes_nothing(store: AnyStore) -> None:
    """The whole decision is refused: no event, no state, no case, no audit record."""
    await store.commit(at=T0, event_id="e1", state=None, cases=[draft("crisis")])
    before = len(await store.audit_records())
    with pytest.raises(StoreError, match="no such case"):
        await store.commit(
            at=minutes(1),
            event_id="e2",
            state=None,
            cases=[draft("note", actor="m1")],
            updates=[CaseUpdate(workspace="g1", number=7, actor="m1", status="resolved")],
        )
    assert not await store.event_seen("e2")
    assert len(await store.cases()) == 1
    assert len(await store.audit_records()) == before


async def test_an_unknown_status_is_refused_before_writing(store: AnyStore) -> None:
    """A status outside open/acknowledged/resolved is a StoreError naming it."""
    await store.commit(at=T0, event_id="e1", state=None, cases=[draft("crisis")])
    bogus = CaseUpdate(workspace="g1", number=1, actor="m1", status="reviewed")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="reviewed"):
        await store.commit(at=minutes(1), event_id="e2", state=None, updates=[bogus])
    case = await store.case(workspace="g1", number=1)
    assert case is not None and case.status == "open"


async def test_where_a_case_is_shown_is_remembered(store: AnyStore) -> None:
    """case_posted stores the platform's reference; it is read back with the case."""
    await store.commit(at=T0, event_id="e1", state=None, cases=[draft("crisis")])
    await store.case_posted(workspace="g1", number=1, post="123/456")
    case = await store.case(workspace="g1", number=1)
    assert case is not None and case.post == "123/456"


async def test_cases_of_one_thread(store: AnyStore) -> None:
    """cases(thread_key=...) lists that thread's cases only, newest first."""
    await store.commit(at=T0, event_id="e1", state=None, cases=[draft("lock")])
    await store.commit(
        at=minutes(1), event_id="e2", state=None, cases=[draft("crisis", thread=REF2)]
    )
    await store.commit(at=minutes(2), event_id="e3", state=None, cases=[draft("appeal")])
    mine = await store.cases(thread_key=REF.key)
    assert [c.number for c in mine] == [3, 1]
    assert [c.number for c in await store.cases(thread_key=REF.key, kinds=["lock"])] == [1]


# --- a database from before the lifecycle --------------------------------------------------------

OLD_CASES = [
    # number, kind, actor, refers_to, status, priority, minutes
    (1, "lock", "bot", None, "reviewed", False, 0),
    (2, "appeal", "u1", 1, "open", False, 1),
    (3, "unlock", "m1", 1, "open", False, 2),
    (4, "crisis", "bot", None, "open", True, 3),
    (5, "note", "m2", 4, "open", False, 4),
]


def _old_rows() -> list[tuple[Any, ...]]:
    return [
        ("g1", n, kind, "u1", actor, REF.key, "none", priority, 0, "", None, refers, status, m)
        for n, kind, actor, refers, status, priority, m in OLD_CASES
    ]


async def _old_sqlite(path: str) -> None:
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await sqlite_migrations.migrate(db, known=sqlite_migrations.MIGRATIONS[:4])
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for row in _old_rows():
            db.execute(
                "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row[:7], int(row[7]), *row[8:13], time_to_json(minutes(row[13]))),
            )


async def _old_postgres(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await pg_migrations.migrate(conn, known=pg_migrations.MIGRATIONS[:2])
        for row in _old_rows():
            await conn.execute(
                "INSERT INTO cases VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
                " $13, $14)",
                *row[:13],
                minutes(row[13]),
            )
    finally:
        await conn.close()


async def test_old_cases_are_given_a_state_by_the_migration(backend: Backend) -> None:
    """Reviewed becomes resolved (by the reviewer); an answered appeal and the records are
    resolved; a crisis nobody closed stays open."""
    if backend.name == "sqlite":
        await _old_sqlite(backend.where)
    else:
        await _old_postgres(backend.where)
    store = await backend.open()
    try:
        cases = {c.number: c for c in await store.cases()}
    finally:
        await store.close()
    assert {n: (c.status, c.status_by) for n, c in cases.items()} == {
        1: ("resolved", "m1"),
        2: ("resolved", "m1"),
        3: ("resolved", "m1"),
        4: ("open", ""),
        5: ("resolved", "m2"),
    }
    assert cases[1].status_at == minutes(2) and cases[2].status_at == minutes(2)
    assert cases[4].pinged_at == minutes(3) and cases[4].signals == 1
    assert cases[4].updated_at == minutes(3)
    assert json.dumps([c.post for c in cases.values()]) == json.dumps([""] * 5)
