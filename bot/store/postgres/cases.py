"""The PostgreSQL store's mod log read back: cases by number or filtered, a user's recent locks.

Cases are written only as part of a decision (see `commit`); here they are read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.records import Case, CaseKind
from bot.store.postgres.connection import PostgresBase, time_value
from bot.store.postgres.driver import Conn
from bot.store.postgres.statements import CASE, CASE_COLUMNS, RECENT_LOCKS, SET_POST
from bot.store.rows import Row, case_from_row

log = logging.getLogger(__name__)


class PostgresCases(PostgresBase):
    """Reading cases, and counting the locks that make a repeat offender."""

    async def recent_locks(self, *, workspace: str, user_id: str, since: datetime) -> int:
        """Locks of this user's threads since `since` and since their last pardon."""
        floor = time_value(since)

        async def read(conn: Conn) -> int:
            return int(await conn.fetchval(RECENT_LOCKS, workspace, user_id, floor))

        return await self._read("count recent locks", read)

    async def case(self, *, workspace: str, number: int) -> Case | None:
        """One case by its number in a workspace."""

        async def read(conn: Conn) -> Row | None:
            return await conn.fetchrow(CASE, workspace, number)

        row = await self._read(f"read case {number}", read)
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
            params.append(workspace)
            where.append(f"c.workspace = ${len(params)}")
        if user_id is not None:
            params.append(user_id)
            where.append(f"c.user_id = ${len(params)}")
        if thread_key is not None:
            params.append(thread_key)
            where.append(f"c.thread_key = ${len(params)}")
        if kinds:
            params.append(list(kinds))
            where.append(f"c.kind = ANY(${len(params)}::text[])")
        if open_only:
            where.append("c.status <> 'resolved'")
        sql = f"SELECT {CASE_COLUMNS}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        params.append(limit)
        sql += f" ORDER BY c.created_at DESC, c.workspace, c.number DESC LIMIT ${len(params)}"

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(sql, *params)

        return [case_from_row(row) for row in await self._read("list cases", read)]

    async def case_posted(self, *, workspace: str, number: int, post: str) -> None:
        """Remember where the platform shows a case, so a later change edits it in place."""

        async def write(conn: Conn) -> None:
            await conn.execute(SET_POST, post, workspace, number)

        await self._write(f"record where case {number} is shown", write)
