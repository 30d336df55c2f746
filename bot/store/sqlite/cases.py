"""The SQLite store's mod log read back: cases by number or filtered, and a user's recent locks.

Cases are written only as part of a decision (see `commit`); here they are read.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.records import Case, CaseKind
from bot.store.rows import case_from_row, time_text
from bot.store.sqlite.connection import SqliteBase
from bot.store.sqlite.statements import CASE, CASE_COLUMNS, RECENT_LOCKS, SET_POST

log = logging.getLogger(__name__)


class SqliteCases(SqliteBase):
    """Reading cases, and counting the locks that make a repeat offender."""

    async def recent_locks(self, *, workspace: str, user_id: str, since: datetime) -> int:
        """Locks of this user's threads since `since` and since their last pardon."""
        params = (workspace, user_id, time_text(since))

        def read(conn: sqlite3.Connection) -> int:
            return int(conn.execute(RECENT_LOCKS, params).fetchone()[0])

        return await self._call("count recent locks", read)

    async def case(self, *, workspace: str, number: int) -> Case | None:
        """One case by its number in a workspace."""

        def read(conn: sqlite3.Connection) -> sqlite3.Row | None:
            row: sqlite3.Row | None = conn.execute(CASE, (workspace, number)).fetchone()
            return row

        row = await self._call(f"read case {number}", read)
        return None if row is None else case_from_row(row)

    async def cases(
        self,
        *,
        workspace: str | None = None,
        kinds: Sequence[CaseKind] = (),
        open_only: bool = False,
        user_id: str | None = None,
        thread_key: str | None = None,
        limit: int = 50,
    ) -> list[Case]:
        """Cases, newest first, filtered; `open_only` keeps those not resolved yet."""
        where: list[str] = []
        params: list[Any] = []
        if workspace is not None:
            where.append("c.workspace = ?")
            params.append(workspace)
        if user_id is not None:
            where.append("c.user_id = ?")
            params.append(user_id)
        if thread_key is not None:
            where.append("c.thread_key = ?")
            params.append(thread_key)
        if kinds:
            where.append(f"c.kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        if open_only:
            where.append("c.status != 'resolved'")
        sql = f"SELECT {CASE_COLUMNS}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.created_at DESC, c.workspace, c.number DESC LIMIT ?"
        params.append(limit)

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(sql, params).fetchall()

        return [case_from_row(row) for row in await self._call("list cases", read)]

    async def case_posted(self, *, workspace: str, number: int, post: str) -> None:
        """Remember where the platform shows a case, so a later change edits it in place."""
        params = (post, workspace, number)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(SET_POST, params)

        await self._write(f"record where case {number} is shown", write)
