"""The PostgreSQL store's figures: model usage per turn, and the counts the CLI shows.

`usage` feeds the spending limits and the usage report; `stats` is `threadkeeper stats`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.store.base import UsageRow
from bot.store.postgres.connection import PostgresBase, time_value
from bot.store.postgres.driver import Conn
from bot.store.rows import Row, usage_from_row, zero_stats

log = logging.getLogger(__name__)


class PostgresStats(PostgresBase):
    """Reading usage and counting what the store holds."""

    async def usage(self, *, since: datetime | None = None) -> list[UsageRow]:
        """Turns that recorded model usage, oldest first."""
        floor = time_value(since) if since is not None else None

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(
                "SELECT thread_key, at, usage FROM turns WHERE usage <> '{}'"
                " AND ($1::timestamptz IS NULL OR at >= $1) ORDER BY at, seq",
                floor,
            )

        return [usage_from_row(row) for row in await self._read("read usage", read)]

    async def stats(self) -> dict[str, int]:
        """Counts for the CLI: threads by status, cases by kind, the outbox, the audit log."""
        out = zero_stats()

        async def read(conn: Conn) -> None:
            for row in await conn.fetch("SELECT status, COUNT(*) FROM threads GROUP BY status"):
                out[f"threads.{row[0]}"] = int(row[1])
            for row in await conn.fetch("SELECT kind, COUNT(*) FROM cases GROUP BY kind"):
                out[f"cases.{row[0]}"] = int(row[1])
            for row in await conn.fetch(
                "SELECT status, COUNT(*) FROM outbox WHERE status <> 'done' GROUP BY status"
            ):
                out[f"actions.{row[0]}"] = int(row[1])
            # Linked and still pending (linked after the commit, see `chaining`) alike.
            for row in await conn.fetch(
                "SELECT seq + (SELECT COUNT(*) FROM audit_pending) FROM audit_head"
            ):
                out["audit.records"] = int(row[0])

        await self._read("count for stats", read)
        return out
