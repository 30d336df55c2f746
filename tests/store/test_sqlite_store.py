"""The SQLite store: atomic decisions, dedupe, case numbering, the outbox, purges and migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import (
    AuditEntry,
    SqliteStore,
    open_store,
)
from bot.store.sqlite import HOT_PATH_QUERIES

# The records the contract suite builds, so both files describe the same store the same way.
from tests.store.test_contract import REF, T0, draft, minutes, state, turn


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


# --- migrations ----------------------------------------------------------------------------------


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


# --- dedupe and atomicity ------------------------------------------------------------------------


# --- cases ---------------------------------------------------------------------------------------


# --- the outbox ----------------------------------------------------------------------------------


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
    # The turn's text and the decision record's excerpt are one row; the case's is another.
    assert await store.purge_excerpts(before=minutes(60)) == 2
    assert [t.text for t in await store.recent_turns(REF.key, limit=5)] == ["", "new message"]
    cases = {c.number: c.excerpts for c in await store.cases()}
    assert cases == {1: (), 2: ("new message",)}
    assert (await store.verify_audit()).ok
    with raw(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM excerpts WHERE text LIKE 'old%'").fetchone()[0] == 0
    assert await store.purge_excerpts(before=minutes(60)) == 0
