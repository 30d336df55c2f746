"""The SQLite store's figures: model usage per turn, and the counts the CLI shows.

`usage` feeds the spending limits and the usage report; `stats` is `threadkeeper stats`.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from bot.store.base import UsageRow
from bot.store.rows import time_text, usage_from_row, zero_stats
from bot.store.sqlite.connection import SqliteBase

log = logging.getLogger(__name__)


class SqliteStats(SqliteBase):
    """Reading usage and counting what the store holds."""

    async def usage(self, *, since: datetime | None = None) -> list[UsageRow]:
        """Turns that recorded model usage, oldest first."""
        floor = time_text(since) if since is not None else ""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(
                "SELECT thread_key, at, usage FROM turns WHERE usage != '{}' AND at >= ? "
                "ORDER BY at, seq",
                (floor,),
            ).fetchall()

        return [usage_from_row(row) for row in await self._call("read usage", read)]

    async def stats(self) -> dict[str, int]:
        """Counts for the CLI: threads by status, cases by kind, the outbox, the audit log."""
        out = zero_stats()

        def read(conn: sqlite3.Connection) -> None:
            for status, n in conn.execute("SELECT status, COUNT(*) FROM threads GROUP BY status"):
                out[f"threads.{status}"] = n
            for kind, n in conn.execute("SELECT kind, COUNT(*) FROM cases GROUP BY kind"):
                out[f"cases.{kind}"] = n
            for status, n in conn.execute(
                "SELECT status, COUNT(*) FROM outbox WHERE status != 'done' GROUP BY status"
            ):
                out[f"actions.{status}"] = n
            for (seq,) in conn.execute("SELECT seq FROM audit_head"):
                out["audit.records"] = seq

        await self._call("count for stats", read)
        return out
