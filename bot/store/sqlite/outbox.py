"""The SQLite store's outbox: actions committed with their decision and owed until carried out.

An action is owed from its commit until it is marked done or given up; each failed attempt is
counted. A report about an action that is no longer owed (a retry racing a success) is ignored.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from bot.errors import StoreError
from bot.store.base import OwedAction
from bot.store.rows import clean_text, owed_from_row, time_text
from bot.store.sqlite.connection import SqliteBase
from bot.store.sqlite.statements import ACTION_DONE, ACTION_FAILED, OWED

log = logging.getLogger(__name__)


class SqliteOutbox(SqliteBase):
    """Listing owed actions and recording how carrying one out went."""

    async def owed_actions(self) -> list[OwedAction]:
        """Actions committed but not yet done or given up, oldest first."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(OWED).fetchall()

        return [owed_from_row(row) for row in await self._call("list owed actions", read)]

    async def action_done(self, action_id: int, *, at: datetime, outcome: str = "") -> None:
        """Mark an owed action carried out."""
        params = (time_text(at), clean_text(outcome), action_id)

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(ACTION_DONE, params).rowcount == 0:
                not_owed(conn, action_id, "done")

        await self._write(f"mark action {action_id} done", write)

    async def action_failed(
        self, action_id: int, *, at: datetime, error: str, give_up: bool
    ) -> None:
        """Count a failed attempt; with `give_up` the action is no longer owed."""
        params = (clean_text(error), give_up, give_up, time_text(at), action_id)

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(ACTION_FAILED, params).rowcount == 0:
                not_owed(conn, action_id, "failed")

        await self._write(f"record a failure of action {action_id}", write)


def not_owed(conn: sqlite3.Connection, action_id: int, what: str) -> None:
    """An action reported `what` matched no owed row: StoreError if it does not exist at all."""
    row = conn.execute("SELECT status FROM outbox WHERE id = ?", (action_id,)).fetchone()
    if row is None:
        raise StoreError(f"there is no action {action_id} in the outbox")
    # A retry racing a success, or a restart repeating one: harmless, and worth a trace.
    log.info("action %d reported %s but is already %s; ignored", action_id, what, row[0])
