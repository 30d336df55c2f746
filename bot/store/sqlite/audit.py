"""The SQLite store's audit chain read back and checked, and the retention purge of its excerpts.

Records are appended only as part of a decision (see `commit`). Here they are read, walked for
verification inside one read transaction, and their message texts purged on the retention
schedule: the chain holds only digests, so it still verifies after a purge.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from bot.progress import EVERY, Progress, silent
from bot.store.base import AuditRecord, AuditReport
from bot.store.chain import GENESIS, record_fault, walk_end
from bot.store.rows import audit_record_from_row, time_text
from bot.store.sqlite.connection import SqliteBase, in_transaction
from bot.store.sqlite.statements import AUDIT_HEAD, AUDIT_ROWS

log = logging.getLogger(__name__)

#: The stages a long verify or purge reports (see `bot.progress`).
STAGE_VERIFY = "verifying the audit chain"
STAGE_PURGE = "purging message texts"
#: Texts deleted per statement when a purge reports its progress.
PURGE_BATCH = 5000
COUNT_OLD_EXCERPTS = "SELECT COUNT(*) FROM excerpts WHERE at < ?"
DELETE_OLD_EXCERPTS = (
    "DELETE FROM excerpts WHERE id IN (SELECT id FROM excerpts WHERE at < ? ORDER BY id LIMIT ?)"
)


class SqliteAudit(SqliteBase):
    """Reading and verifying the audit chain, and purging old excerpts."""

    async def audit_records(self, *, since: datetime | None = None) -> list[AuditRecord]:
        """Audit records in chain order, with their excerpts where not purged."""
        sql, params = AUDIT_ROWS, []
        if since is not None:
            sql, params = sql + " WHERE a.at >= ?", [time_text(since)]

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(sql + " ORDER BY a.seq", params).fetchall()

        return [audit_record_from_row(row) for row in await self._call("read the audit log", read)]

    async def verify_audit(self, *, progress: Progress | None = None) -> AuditReport:
        """Walk the chain and report the first edited, removed or reordered record.

        `records` counts the records found sound (all of them when `ok`). A chain whose newest
        records were removed together with a rewritten head cannot be told from a shorter chain;
        an exported head hash kept elsewhere can.
        """

        def walk(conn: sqlite3.Connection) -> AuditReport:
            # In a transaction: one snapshot, so another process appending cannot confuse the walk.
            return in_transaction(conn, lambda c: self._walk(c, progress), mode="DEFERRED")

        return await self._call("verify the audit log", walk)

    @staticmethod
    def _walk(conn: sqlite3.Connection, progress: Progress | None = None) -> AuditReport:
        """Verify the chain on `conn` (the copy into SQLite checks its work with this too).

        Runs on aiosqlite's worker thread: `progress` is called from there.
        """
        head = conn.execute(AUDIT_HEAD).fetchone()
        total = int(head["seq"]) if head is not None else None
        good, prev = 0, GENESIS
        for row in conn.execute(AUDIT_ROWS + " ORDER BY a.seq"):
            fault = record_fault(row, good=good, prev=prev)
            if fault is not None:
                return fault
            good, prev = good + 1, row["hash"]
            if progress is not None and good % EVERY == 0:
                progress(STAGE_VERIFY, good, total)
        if progress is not None:
            progress(STAGE_VERIFY, good, total)
        return walk_end(head, good=good, prev=prev)

    async def purge_excerpts(self, *, before: datetime, progress: Progress | None = None) -> int:
        """Delete message texts older than `before`; the chain and case metadata stay verifiable.

        In batches inside the one transaction, so a long purge can say how far it has got.
        """
        when = time_text(before)

        report = progress or silent

        def delete(c: sqlite3.Connection) -> int:
            total = int(c.execute(COUNT_OLD_EXCERPTS, (when,)).fetchone()[0])
            done = 0
            report(STAGE_PURGE, 0, total)
            while batch := int(c.execute(DELETE_OLD_EXCERPTS, (when, PURGE_BATCH)).rowcount):
                done += batch
                report(STAGE_PURGE, done, total)
            return done

        def purge(conn: sqlite3.Connection) -> int:
            deleted = in_transaction(conn, delete)
            if deleted:
                # Older copies of the purged pages live on in the WAL until it is checkpointed.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            return deleted

        deleted = await self._call("purge excerpts", purge)
        log.info("purged %d excerpt(s) older than %s", deleted, when)
        return deleted
