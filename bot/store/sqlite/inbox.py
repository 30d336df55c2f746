"""The SQLite store's inbox: messages written down on arrival, before the platform is acked.

A message stays in the inbox until the decision on it is committed (which deletes its row in the
same transaction) or it is forgotten; one process serves SQLite, so at its start it takes up
whatever is left (`accepted_events`).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from bot.store.base import AcceptedEvent
from bot.store.codec import time_to_json
from bot.store.sqlite.connection import SqliteBase
from bot.store.sqlite.statements import ACCEPT, ACCEPTED, FORGET, HAS_ACCEPTED, PENDING_IN_THREAD

log = logging.getLogger(__name__)


class SqliteInbox(SqliteBase):
    """Accepting messages, reading the undecided ones back, forgetting one."""

    async def accept_event(
        self, event_id: str, *, thread_key: str, payload: str, at: datetime
    ) -> bool:
        """Write a message down before the platform is told it arrived; False if seen before."""
        when = time_to_json(at)

        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(ACCEPT, (event_id, thread_key, payload, when)).rowcount > 0

        return await self._write(f"accept event {event_id}", write)

    async def pending_in_thread(self, thread_key: str, event_id: str) -> list[AcceptedEvent] | None:
        """The thread's undecided messages up to `event_id`; None when it is no longer pending."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(PENDING_IN_THREAD, (thread_key, event_id)).fetchall()

        rows = await self._call(f"read the inbox of thread {thread_key}", read)
        found = [AcceptedEvent.from_row(row) for row in rows]
        return found if found and found[-1].event_id == event_id else None

    async def has_accepted(self, thread_key: str) -> bool:
        """Whether the thread has an undecided message."""

        def read(conn: sqlite3.Connection) -> bool:
            return conn.execute(HAS_ACCEPTED, (thread_key,)).fetchone() is not None

        return await self._call(f"read the inbox of thread {thread_key}", read)

    async def forget_event(self, event_id: str) -> None:
        """Drop an accepted message that was handled without a decision."""

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(FORGET, (event_id,))

        await self._write(f"forget event {event_id}", write)

    async def accepted_events(self, *, limit: int = 1000) -> list[AcceptedEvent]:
        """Every undecided message, oldest first."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(ACCEPTED, (limit,)).fetchall()

        return [AcceptedEvent.from_row(row) for row in await self._call("read the inbox", read)]
