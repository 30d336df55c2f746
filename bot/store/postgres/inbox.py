"""The PostgreSQL store's inbox: messages written down on arrival, leased to the accepting process.

An accepted message is leased to its process like a fresh action; when that process dies, its
lease runs out and a live one claims the message (`claim_accepted`) and decides it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.store.base import AcceptedEvent
from bot.store.postgres.connection import PostgresBase, clean, time_value
from bot.store.postgres.driver import Conn, count
from bot.store.postgres.statements import (
    ACCEPT,
    ACCEPTED,
    CLAIM_ACCEPTED,
    DROP_DECIDED,
    FORGET,
    HAS_ACCEPTED,
    PENDING_IN_THREAD,
)
from bot.store.rows import Row

log = logging.getLogger(__name__)


class PostgresInbox(PostgresBase):
    """Accepting messages, reading the undecided ones back, forgetting and claiming them."""

    async def accept_event(
        self, event_id: str, *, thread_key: str, payload: str, at: datetime
    ) -> bool:
        """Write a message down (leased to this process); False if accepted or decided before."""
        when = time_value(at)

        async def write(conn: Conn) -> bool:
            status = await conn.execute(
                ACCEPT, event_id, thread_key, clean(payload), when, self.owner, self.lease
            )
            return count(status) > 0

        return await self._write(f"accept event {event_id}", write, retries=3)

    async def pending_in_thread(self, thread_key: str, event_id: str) -> list[AcceptedEvent] | None:
        """The thread's undecided messages up to `event_id`; None when it is no longer pending."""

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(PENDING_IN_THREAD, thread_key, event_id)

        rows = await self._read(f"read the inbox of thread {thread_key}", read)
        found = [AcceptedEvent.from_row(row) for row in rows]
        return found if found and found[-1].event_id == event_id else None

    async def has_accepted(self, thread_key: str) -> bool:
        """Whether the thread has an undecided message."""

        async def read(conn: Conn) -> bool:
            return await conn.fetchval(HAS_ACCEPTED, thread_key) is not None

        return await self._read(f"read the inbox of thread {thread_key}", read)

    async def forget_event(self, event_id: str) -> None:
        """Drop an accepted message that was handled without a decision."""

        async def write(conn: Conn) -> None:
            await conn.execute(FORGET, event_id)

        await self._write(f"forget event {event_id}", write)

    async def accepted_events(self, *, limit: int = 1000) -> list[AcceptedEvent]:
        """Every undecided message, oldest first (leased ones included)."""

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(ACCEPTED, limit)

        return [AcceptedEvent.from_row(row) for row in await self._read("read the inbox", read)]

    async def claim_accepted(
        self, owner: str, *, limit: int, lease: timedelta
    ) -> list[AcceptedEvent]:
        """Lease up to `limit` undecided messages whose process's lease ran out to `owner`."""
        if limit < 1:
            return []
        if lease <= timedelta(0):
            raise ValueError("a lease must be longer than zero")

        async def claim(conn: Conn) -> list[Row]:
            await conn.execute(DROP_DECIDED)
            return await conn.fetch(CLAIM_ACCEPTED, owner, limit, lease)

        rows = await self._write(f"claim accepted events for {owner}", claim)
        return sorted((AcceptedEvent.from_row(row) for row in rows), key=lambda e: e.seq)
