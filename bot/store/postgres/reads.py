"""The PostgreSQL store's turn reads: everything a user's turn reads before it decides, in one
round trip.

On PostgreSQL each store call is a network round trip, and a turn used to make four or five
(event seen, thread, turns, locks, inbox) before the model could start: the main reason one
PostgreSQL process did about half the turns of one on SQLite. `turn_reads` is one statement
(`TURN_READS`) with the same subqueries as those calls, so it also reads one snapshot.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from bot.errors import StoreError
from bot.store.base import AcceptedEvent, TurnReads, kept_history
from bot.store.postgres.connection import PostgresBase, time_value
from bot.store.postgres.driver import Conn
from bot.store.postgres.statements import TURN_READS
from bot.store.rows import Row, thread_state_from_text, turn_from_row

log = logging.getLogger(__name__)


def pending_from_json(
    thread_key: str, event_id: str, text: str | None
) -> tuple[AcceptedEvent, ...] | None:
    """The pending messages TURN_READS aggregated as JSON; None when `event_id` is not one."""
    if text is None:
        return None
    try:
        found = tuple(AcceptedEvent.from_row(item) for item in json.loads(text))
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"the inbox of thread {thread_key} does not load: {exc}") from exc
    return found if found and found[-1].event_id == event_id else None


class PostgresReads(PostgresBase):
    """The reads of a turn, as one statement."""

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
        """What a user's turn reads before it decides, in one round trip (see `Store`)."""
        floor = time_value(locks_since)

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(
                TURN_READS, event_id, thread_key, history, workspace, user_id, floor, pending
            )

        rows = await self._read(f"read the turn in {thread_key}", read)
        head = rows[0]  # the LEFT JOIN gives at least one row
        state = None if head["state"] is None else thread_state_from_text(thread_key, head["state"])
        newest = [turn_from_row(row) for row in reversed(rows) if row["seq"] is not None]
        return TurnReads(
            seen=bool(head["seen"]),
            state=state,
            history=kept_history(newest, state),
            recent_locks=int(head["locks"]),
            pending=pending_from_json(thread_key, event_id, head["pending"]) if pending else None,
        )
