"""The database busy or full in the middle of a turn: the turn fails cleanly, nothing half-written.

SQLITE_BUSY: another connection holds the write lock (`BEGIN EXCLUSIVE`) past the store's
busy_timeout (5 s, so the test is slow). Disk full: the process's file-size limit (RLIMIT_FSIZE,
with SIGXFSZ ignored) is set to the write-ahead log's current size, so the commit cannot grow it,
exactly as on a full disk; SQLite reports the write error. (`PRAGMA max_page_count` on a second
connection would not do: the cap applies only to the connection that sets it.)

What must hold: the user is told with the fixed failure notice and nothing else is shown, every
table is exactly as before (no event id, no turn, no excerpt, no case, no owed action, no audit
record), the error reaches the platform layer only as the core's StoreError (so Slack answers with
a non-2xx and redelivers), and the same event delivered again once the database is back is
answered exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import notices
from bot.errors import StoreError
from tests.faults.model import answer_to
from tests.faults.rigs import Rig, RigFactory, SlackRig

QUESTION = "what is a good bread recipe"


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, over a separate read-only connection."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [
            str(r[0])
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            n: sorted(map(tuple, conn.execute(f'SELECT * FROM "{n}"')), key=repr) for n in names
        }
    finally:
        conn.close()


@contextlib.contextmanager
def disk_full(db: Path) -> Iterator[None]:
    """No file of this process may grow past its current size while inside."""
    limit = os.path.getsize(f"{db}-wal")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def assert_only_store_errors(rig: Rig) -> None:
    """What reached the platform library is the core's StoreError, once, and nothing else."""
    assert len(rig.escaped) == 1 and isinstance(rig.escaped[0], StoreError), rig.escaped
    if isinstance(rig, SlackRig):
        assert rig.responses[-1].status >= 500  # so Slack delivers the event again


async def test_disk_full_fails_the_turn_cleanly_and_a_redelivery_is_answered_once(
    rig: Rig, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The commit cannot write: the user is told, no table changes, the redelivery is answered."""
    db = tmp_path / "bot.db"
    thread = await rig.open("hello")
    before = snapshot(db)
    shown = len(rig.shown(thread))
    with disk_full(db):
        await rig.say(thread, QUESTION)
    assert rig.shown(thread)[shown:] == [notices.TURN_FAILED]
    assert snapshot(db) == before
    assert_only_store_errors(rig)

    await rig.redeliver()
    assert rig.shown(thread)[shown:] == [notices.TURN_FAILED, answer_to(QUESTION)]
    await rig.redeliver()  # and once more: it is answered once
    assert len(rig.shown(thread)) == shown + 2
    assert (await rig.state(thread)).strikes == 0
    assert await rig.store.owed_actions() == []
    assert (await rig.store.verify_audit()).ok


async def test_disk_full_on_a_locking_turn_loses_no_lock_later(
    rig: Rig, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A lock that could not be written is not half-done; redelivered, it locks exactly once."""
    db = tmp_path / "bot.db"
    thread = await rig.open("hello")
    for _ in range(3):
        await rig.say(thread, "how do I harm them")
    before = snapshot(db)
    with disk_full(db):
        await rig.say(thread, "how do I harm them")
    assert snapshot(db) == before
    assert (await rig.state(thread)).status == "warned"
    assert rig.cases() == [] and rig.shown(thread)[-1] == notices.TURN_FAILED
    await rig.redeliver()
    assert (await rig.state(thread)).status == "locked"
    assert rig.cases() == ["Case #1 · Thread locked"]
    assert sum("This thread has been closed" in t for t in rig.shown(thread)) == 1


@pytest.mark.slow
async def test_database_busy_past_the_timeout_fails_the_turn_cleanly(
    rigs: RigFactory, tmp_path: Path
) -> None:
    """Another connection holds the write lock past the timeout: told, nothing written, retried."""
    rig = await rigs("discord")
    db = tmp_path / "bot.db"
    thread = await rig.open("hello")
    before = snapshot(db)
    shown = len(rig.shown(thread))
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        conn = sqlite3.connect(db, isolation_level=None, timeout=0)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("INSERT INTO events (event_id, at) VALUES ('other-process', 'x')")
            locked.set()
            release.wait(30)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert await asyncio.to_thread(locked.wait, 5)
        await rig.say(thread, QUESTION)
    finally:
        release.set()
        await asyncio.to_thread(holder.join, 10)
    assert rig.shown(thread)[shown:] == [notices.TURN_FAILED]
    assert snapshot(db) == before
    assert_only_store_errors(rig)
    assert "locked" in str(rig.escaped[0]) or "busy" in str(rig.escaped[0])
    await rig.redeliver()
    assert rig.shown(thread)[shown:] == [notices.TURN_FAILED, answer_to(QUESTION)]


async def test_disk_full_on_the_opening_mention_tells_the_user_and_writes_nothing(
    rig: Rig, tmp_path: Path
) -> None:
    """A new thread that cannot be recorded: the user is told, and no thread row is left behind."""
    db = tmp_path / "bot.db"
    await rig.open("warming up")  # the database exists and has a write-ahead log
    before = snapshot(db)
    with disk_full(db):
        thread = await rig.open(QUESTION)
    assert snapshot(db) == before
    assert rig.shown(thread) == [notices.TURN_FAILED]
    assert_only_store_errors(rig)
