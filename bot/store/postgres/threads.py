"""The PostgreSQL store's threads and turns read back: a thread's state, the hosted threads, turns.

The turns of a thread are what the model's history is built from; a user's turns are what a
data export holds.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.records import ThreadState
from bot.store.base import Turn
from bot.store.postgres.connection import PostgresBase
from bot.store.postgres.driver import Conn
from bot.store.postgres.statements import LOAD_THREAD, RECENT_TURNS
from bot.store.rows import Row, thread_state_from_text, turn_from_row

log = logging.getLogger(__name__)


class PostgresThreads(PostgresBase):
    """Reading threads and their turns."""

    async def load_thread(self, key: str) -> ThreadState | None:
        """The thread's state, or None when the bot does not host that thread."""

        async def read(conn: Conn) -> str | None:
            value = await conn.fetchval(LOAD_THREAD, key)
            return None if value is None else str(value)

        state = await self._read(f"load thread {key}", read)
        return None if state is None else thread_state_from_text(key, state)

    async def threads(
        self, *, platform: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[ThreadState]:
        """Hosted threads, most recently changed first."""
        where: list[str] = []
        params: list[Any] = []
        if platform is not None:
            # Keys start "platform:"; ';' sorts right after ':' (COLLATE "C"): a range on the key.
            params += [f"{platform}:", f"{platform};"]
            where.append(f"key >= ${len(params) - 1} AND key < ${len(params)}")
        if status is not None:
            params.append(status)
            where.append(f"status = ${len(params)}")
        sql = "SELECT key, state FROM threads"
        if where:
            sql += " WHERE " + " AND ".join(where)
        params.append(limit)
        sql += f" ORDER BY updated_at DESC, key LIMIT ${len(params)}"

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(sql, *params)

        found = await self._read("list threads", read)
        return [thread_state_from_text(row["key"], row["state"]) for row in found]

    async def recent_turns(self, thread_key: str, *, limit: int, from_seq: int = 0) -> list[Turn]:
        """The thread's last `limit` turns from `from_seq` on, oldest first (hidden included)."""

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(RECENT_TURNS, thread_key, from_seq, limit)

        found = await self._read(f"read the turns of {thread_key}", read)
        return [turn_from_row(row) for row in reversed(found)]

    async def user_turns(self, user_id: str, *, limit: int = 100_000) -> list[Turn]:
        """Every stored message this user wrote, oldest first (for a data export)."""
        sql = RECENT_TURNS.split(" WHERE ")[0] + (
            " WHERE t.author_id = $1 AND t.role = 'user' ORDER BY t.seq LIMIT $2"
        )

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(sql, user_id, limit)

        return [turn_from_row(row) for row in await self._read("read a user's turns", read)]
