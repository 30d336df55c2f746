"""The SQLite store's turn reads: everything a user's turn reads before it decides, in one hop.

Each store call is a hop to aiosqlite's worker thread (see `connection`), and a turn used to make
four or five before the model could start. `turn_reads` runs the same statements as
`event_seen`, `load_thread`, `recent_turns`, `recent_locks` and `pending_in_thread` in one
worker job, inside one read transaction, so they also see one snapshot of the database.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from bot.store.base import AcceptedEvent, TurnReads, kept_history
from bot.store.rows import thread_state_from_text, time_text, turn_from_row
from bot.store.sqlite.connection import SqliteBase, in_transaction
from bot.store.sqlite.statements import (
    EVENT_SEEN,
    LOAD_THREAD,
    PENDING_IN_THREAD,
    RECENT_LOCKS,
    RECENT_TURNS,
)

log = logging.getLogger(__name__)


class SqliteReads(SqliteBase):
    """The reads of a turn, as one call on the worker thread."""

    async def turn_reads(
        self,
        thread_key: str,
        *,
        event_id: str,
        history: int,
        workspace: str,
        user_id: str,
        locks_since: datetime,
        pending: bool = False,
    ) -> TurnReads:
        """What a user's turn reads before it decides, in one worker hop (see `Store`)."""
        since = time_text(locks_since)

        def read(conn: sqlite3.Connection) -> TurnReads:
            seen = conn.execute(EVENT_SEEN, (event_id,)).fetchone() is not None
            row = conn.execute(LOAD_THREAD, (thread_key,)).fetchone()
            state = None if row is None else thread_state_from_text(thread_key, str(row[0]))
            newest = conn.execute(RECENT_TURNS, (thread_key, 0, history)).fetchall()
            locks = int(conn.execute(RECENT_LOCKS, (workspace, user_id, since)).fetchone()[0])
            waiting: tuple[AcceptedEvent, ...] | None = None
            if pending:
                rows = conn.execute(PENDING_IN_THREAD, (thread_key, event_id)).fetchall()
                found = tuple(AcceptedEvent.from_row(r) for r in rows)
                waiting = found if found and found[-1].event_id == event_id else None
            return TurnReads(
                seen=seen,
                state=state,
                history=kept_history([turn_from_row(r) for r in reversed(newest)], state),
                recent_locks=locks,
                pending=waiting,
            )

        def snapshot(conn: sqlite3.Connection) -> TurnReads:
            return in_transaction(conn, read, mode="DEFERRED")

        return await self._call(f"read the turn in {thread_key}", snapshot)
