"""The SQLite store's one connection: opening it, closing it, and running work on it.

One connection in WAL mode with `synchronous=NORMAL`: a commit survives the process crashing (what
the outbox promises), though not the machine losing power in the same instant.

Each operation is one plain function over the `sqlite3` connection, run on aiosqlite's worker
thread in a single hop. That keeps a decision's dozen statements at one thread switch instead of a
dozen (a hop costs about 0.1 ms; the hot path wants about 2 ms a turn), and, because the worker runs
queued calls one at a time, no two coroutines can ever interleave statements in one transaction,
and a cancelled caller cannot leave a transaction half-open: BEGIN and COMMIT or ROLLBACK always
run in the same call. The price is one private aiosqlite method, `_execute`, used in `_call` only
(pyproject pins aiosqlite to 0.22.x).

`SqliteBase` holds the connection; each part of the store (commit, inbox, outbox, ...) is a mixin
over it, and `SqliteStore` is all of them together.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Literal, Self, TypeVar, cast

import aiosqlite

from bot.errors import StoreError
from bot.metrics import timed_store_call
from bot.store.chain import digest
from bot.store.migrations import migrate
from bot.store.sqlite.statements import INSERT_EXCERPT

log = logging.getLogger(__name__)

T = TypeVar("T")


def in_transaction(
    conn: sqlite3.Connection,
    body: Callable[[sqlite3.Connection], T],
    mode: Literal["IMMEDIATE", "DEFERRED"] = "IMMEDIATE",
) -> T:
    """Run `body` between BEGIN and COMMIT; on any exception roll back and re-raise."""
    conn.execute(f"BEGIN {mode}")
    try:
        result = body(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return result


def insert_excerpt(
    conn: sqlite3.Connection, text: str, at: str, text_digest: str | None = None
) -> int:
    """Store a message text (purgeable, outside the chain); its row id."""
    cursor = conn.execute(INSERT_EXCERPT, (text_digest or digest(text), text, at))
    assert cursor.lastrowid is not None  # an INSERT into a rowid table always has one
    return cursor.lastrowid


class SqliteBase:
    """The aiosqlite connection every part of the SQLite store runs its work on."""

    def __init__(self, path: str | Path, *, excerpt_chars: int = 300) -> None:
        if excerpt_chars < 1:
            raise ValueError("excerpt_chars must be at least 1")
        self.path = path
        self.excerpt_chars = excerpt_chars
        self._db: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect, set the pragmas, apply migrations."""
        async with self._opening:
            if self._db is None:
                self._db = await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        where = str(self.path)
        folder = Path(where).parent
        if where != ":memory:" and not folder.is_dir():
            raise StoreError(
                f"cannot open the database at {where}: the folder {folder} does not exist"
            )
        # isolation_level=None: sqlite3 opens no transactions of its own; ours are explicit.
        connecting = aiosqlite.connect(self.path, isolation_level=None)
        try:
            db = await connecting
        except sqlite3.Error as exc:
            # aiosqlite stops its worker thread without waiting for it; join it so the thread does
            # not call back into this event loop after it has closed (a private attribute, pinned).
            await asyncio.to_thread(connecting._thread.join, 5)
            raise StoreError(f"cannot open the database at {where}: {exc}") from exc
        try:
            db.row_factory = sqlite3.Row
            async with db.execute("PRAGMA journal_mode=WAL") as cursor:
                row = await cursor.fetchone()
            mode = str(row[0]) if row else "?"
            if mode != "wal" and where != ":memory:":
                log.warning("the database at %s is in %s mode, not WAL", where, mode)
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            # A purge must really remove message text, not leave it readable in free pages.
            await db.execute("PRAGMA secure_delete=ON")
            applied = await migrate(db, where=where)
        except BaseException as exc:
            await db.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot open the database at {where}: {exc}") from exc
            raise
        if applied:
            log.info("database %s: applied migrations %s", where, applied)
        return db

    async def close(self) -> None:
        """Let SQLite update its statistics and disconnect."""
        async with self._opening:
            db, self._db = self._db, None
            if db is None:
                return
            try:
                await db.execute("PRAGMA optimize")
            except sqlite3.Error:
                log.debug("PRAGMA optimize failed on close", exc_info=True)
            await db.close()

    @timed_store_call
    async def _call(
        self, what: str, fn: Callable[[sqlite3.Connection], T], *, writes: bool = False
    ) -> T:
        """Run `fn` with the connection on aiosqlite's worker thread, as one queued call."""
        db = self._db
        if db is None:
            raise StoreError(f"could not {what}: the store at {self.path} is not open")
        # The one use of aiosqlite's private API (see the module docstring).
        run = cast(Callable[[Callable[[], T]], Awaitable[T]], db._execute)
        try:
            return await run(partial(fn, db._conn))
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            # A string UTF-8 cannot hold (a lone surrogate the adapters did not clean) fails the
            # one operation cleanly, as on PostgreSQL, rather than escaping as a traceback.
            rolled_back = "; nothing was written" if writes else ""
            raise StoreError(f"could not {what}: {exc}{rolled_back}") from exc

    async def _write(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` as one IMMEDIATE transaction: all of it is written, or none of it."""
        return await self._call(what, partial(in_transaction, body=fn), writes=True)
