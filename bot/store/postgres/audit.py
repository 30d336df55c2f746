"""The PostgreSQL store's audit chain read back and checked, and the retention purge of excerpts.

Records are appended only as part of a decision (see `commit`) and linked into the chain after
it (see `chaining`); reading or verifying first links every record committed so far. Here they
are read, walked for verification in one repeatable-read snapshot, and their message texts purged
on the retention schedule: the chain holds only digests, so it still verifies after a purge.
PostgreSQL has no
equivalent of SQLite's secure_delete: a purge vacuums the table, but freed bytes stay on disk
until reused.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.errors import StoreError
from bot.progress import EVERY, Progress, silent
from bot.store.base import AuditRecord, AuditReport
from bot.store.chain import GENESIS, record_fault, walk_end
from bot.store.codec import time_to_json
from bot.store.postgres.chaining import PostgresChaining
from bot.store.postgres.connection import time_value
from bot.store.postgres.driver import Conn, count
from bot.store.postgres.statements import AUDIT_HEAD, AUDIT_ROWS, COUNT_PENDING
from bot.store.rows import Row, audit_record_from_row

log = logging.getLogger(__name__)

#: The stages a long verify or purge reports (see `bot.progress`).
STAGE_VERIFY = "verifying the audit chain"
STAGE_PURGE = "purging message texts"
#: Texts deleted per statement (a long purge reports between them).
PURGE_BATCH = 5000
DELETE_OLD_EXCERPTS = (
    "DELETE FROM excerpts WHERE id IN (SELECT id FROM excerpts WHERE at < $1 ORDER BY id LIMIT $2)"
)


class PostgresAudit(PostgresChaining):
    """Reading and verifying the audit chain, and purging old excerpts."""

    async def audit_records(self, *, since: datetime | None = None) -> list[AuditRecord]:
        """Audit records in chain order, with their excerpts where not purged."""
        floor = time_value(since) if since is not None else None
        await self.link_all()

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(
                AUDIT_ROWS + " WHERE ($1::timestamptz IS NULL OR a.at >= $1) ORDER BY a.seq",
                floor,
            )

        return [audit_record_from_row(row) for row in await self._read("read the audit log", read)]

    async def verify_audit(self, *, progress: Progress | None = None) -> AuditReport:
        """Walk the chain and report the first edited, removed or reordered record.

        `records` counts the records found sound (all of them when `ok`). A chain whose newest
        records were removed together with a rewritten head cannot be told from a shorter chain;
        an exported head hash kept elsewhere can. Every record committed before the call is
        linked first; `pending` counts those committed since and not linked yet.
        """
        await self.link_all()

        async def walk(conn: Conn) -> AuditReport:
            # One snapshot, so another process appending cannot confuse the walk.
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                return await walk_chain(conn, progress)

        return await self._read("verify the audit log", walk)

    async def purge_excerpts(self, *, before: datetime, progress: Progress | None = None) -> int:
        """Delete message texts older than `before`; the chain and case metadata stay verifiable.

        In batches inside the one transaction, so a long purge can say how far it has got.
        """
        when = time_value(before)
        report = progress or silent

        async def purge(conn: Conn) -> int:
            total = int(await conn.fetchval("SELECT COUNT(*) FROM excerpts WHERE at < $1", when))
            done = 0
            report(STAGE_PURGE, 0, total)
            while batch := count(await conn.execute(DELETE_OLD_EXCERPTS, when, PURGE_BATCH)):
                done += batch
                report(STAGE_PURGE, done, total)
            return done

        deleted = await self._write("purge excerpts", purge)
        if deleted:
            try:
                # Dead row versions keep the text readable to the server until vacuumed.
                await self._read("vacuum excerpts", lambda conn: conn.execute("VACUUM excerpts"))
            except StoreError:
                log.warning("could not vacuum excerpts after a purge", exc_info=True)
        log.info("purged %d excerpt(s) older than %s", deleted, time_to_json(when))
        return deleted


async def walk_chain(conn: Conn, progress: Progress | None = None) -> AuditReport:
    """Verify the chain on `conn`, which must be inside a transaction (the cursor needs one)."""
    head = await conn.fetchrow(AUDIT_HEAD)
    total = int(head["seq"]) if head is not None else None
    report = progress or silent
    good, prev = 0, GENESIS
    async for row in conn.cursor(AUDIT_ROWS + " ORDER BY a.seq", prefetch=500):
        fault = record_fault(row, good=good, prev=prev)
        if fault is not None:
            return fault
        good, prev = good + 1, row["hash"]
        if good % EVERY == 0:
            report(STAGE_VERIFY, good, total)
    report(STAGE_VERIFY, good, total)
    pending = int(await conn.fetchval(COUNT_PENDING))
    return replace(walk_end(head, good=good, prev=prev), pending=pending)
