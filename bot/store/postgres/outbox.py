"""The PostgreSQL store's outbox: owed actions, listed, claimed by a live process, and settled.

`claim_owed_actions(owner, limit=, lease=)` takes owed actions with FOR UPDATE SKIP LOCKED and
leases them to `owner` (by the database's clock) until done, given up, or the lease runs out. A
process that dies mid-action leaves its lease to expire, and a live one then claims the action.
A failed attempt that is not given up keeps its lease: the owner retries on its own schedule.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.errors import StoreError
from bot.store.base import OwedAction
from bot.store.postgres.connection import PostgresBase, clean, time_value
from bot.store.postgres.driver import Conn, count
from bot.store.postgres.statements import ACTION_DONE, ACTION_FAILED, CLAIM, OWED
from bot.store.rows import Row, owed_from_row

log = logging.getLogger(__name__)


class PostgresOutbox(PostgresBase):
    """Listing and claiming owed actions, and recording how carrying one out went."""

    async def owed_actions(self) -> list[OwedAction]:
        """Actions committed but not yet done or given up, oldest first (leased ones included)."""

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(OWED)

        return [owed_from_row(row) for row in await self._read("list owed actions", read)]

    async def claim_owed_actions(
        self, owner: str, *, limit: int, lease: timedelta
    ) -> list[OwedAction]:
        """Lease up to `limit` owed actions nobody holds (or whose lease ran out) to `owner`."""
        if limit < 1:
            return []
        if lease <= timedelta(0):
            raise ValueError("a lease must be longer than zero")

        async def claim(conn: Conn) -> list[Row]:
            return await conn.fetch(CLAIM, owner, limit, lease)

        claimed = await self._write(f"claim owed actions for {owner}", claim)
        return sorted((owed_from_row(row) for row in claimed), key=lambda a: a.id)

    async def action_done(self, action_id: int, *, at: datetime, outcome: str = "") -> None:
        """Mark an owed action carried out."""
        when = time_value(at)

        async def write(conn: Conn) -> None:
            if not count(await conn.execute(ACTION_DONE, when, clean(outcome), action_id)):
                await not_owed(conn, action_id, "done")

        await self._write(f"mark action {action_id} done", write)

    async def action_failed(
        self, action_id: int, *, at: datetime, error: str, give_up: bool
    ) -> None:
        """Count a failed attempt; with `give_up` the action is no longer owed."""
        when = time_value(at)

        async def write(conn: Conn) -> None:
            status = await conn.execute(ACTION_FAILED, clean(error), give_up, when, action_id)
            if not count(status):
                await not_owed(conn, action_id, "failed")

        await self._write(f"record a failure of action {action_id}", write)


async def not_owed(conn: Conn, action_id: int, what: str) -> None:
    """An action reported `what` matched no owed row: StoreError if it does not exist at all."""
    status = await conn.fetchval("SELECT status FROM outbox WHERE id = $1", action_id)
    if status is None:
        raise StoreError(f"there is no action {action_id} in the outbox")
    # A retry racing a success, or a restart repeating one: harmless, and worth a trace.
    log.info("action %d reported %s but is already %s; ignored", action_id, what, status)
