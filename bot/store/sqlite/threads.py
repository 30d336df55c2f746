"""The SQLite store's threads and turns read back: a thread's state, the hosted threads, turns.

The turns of a thread are what the model's history is built from; a user's turns are what a
data export holds.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from bot.records import ThreadState
from bot.store.base import Turn
from bot.store.rows import thread_state_from_text, turn_from_row
from bot.store.sqlite.connection import SqliteBase
from bot.store.sqlite.statements import LOAD_THREAD, RECENT_TURNS

log = logging.getLogger(__name__)


class SqliteThreads(SqliteBase):
    """Reading threads and their turns."""

    async def load_thread(self, key: str) -> ThreadState | None:
        """The thread's state, or None when the bot does not host that thread."""

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(LOAD_THREAD, (key,)).fetchone()
            return None if row is None else str(row[0])

        state = await self._call(f"load thread {key}", read)
        return None if state is None else thread_state_from_text(key, state)

    async def threads(
        self, *, platform: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[ThreadState]:
        """Hosted threads, most recently changed first."""
        where: list[str] = []
        params: list[Any] = []
        if platform is not None:
            # Keys start "platform:"; ';' sorts right after ':', so this is a range on the key.
            where.append("key >= ? AND key < ?")
            params += [f"{platform}:", f"{platform};"]
        if status is not None:
            where.append("status = ?")
            params.append(status)
        sql = "SELECT key, state FROM threads"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC, key LIMIT ?"
        params.append(limit)

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(sql, params).fetchall()

        found = await self._call("list threads", read)
        return [thread_state_from_text(row["key"], row["state"]) for row in found]

    async def recent_turns(self, thread_key: str, *, limit: int, from_seq: int = 0) -> list[Turn]:
        """The thread's last `limit` turns from `from_seq` on, oldest first (hidden included)."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(RECENT_TURNS, (thread_key, from_seq, limit)).fetchall()

        found = await self._call(f"read the turns of {thread_key}", read)
        return [turn_from_row(row) for row in reversed(found)]

    async def user_turns(self, user_id: str, *, limit: int = 100_000) -> list[Turn]:
        """Every stored message this user wrote, oldest first (for a data export)."""
        sql = RECENT_TURNS.split(" WHERE ")[0] + (
            " WHERE t.author_id = ? AND t.role = 'user' ORDER BY t.seq LIMIT ?"
        )

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(sql, (user_id, limit)).fetchall()

        # An export is rare and offline: a scan of the turns table is acceptable here.
        return [turn_from_row(row) for row in await self._call("read a user's turns", read)]
