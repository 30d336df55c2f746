"""Linking the audit records decisions committed unlinked: one chainer at a time, after the commit.

A decision writes its audit records into `audit_pending` inside its own transaction (see
`commit`), so writers in any number of processes never wait on one row. Linking them is a short
transaction of its own: under a transaction-level advisory lock (one chainer at a time, in any
process), take the oldest committed pending rows, give them the next seqs and hashes after
`audit_head`, write them to `audit` and move the head, all at once. Why this order is sound:

- Only committed rows are visible to the chainer, and a rolled-back decision's rows never were:
  the chain's seqs are given here, so they have no gaps whatever the pending ids do.
- A pending id handed out before another's may commit after it; it is then simply linked in a
  later batch. Two decisions of which one began after the other committed (a thread's decisions
  are such) are linked in that order, because the later one's ids are higher.
- A crash between the commit and the linking leaves the rows committed in `audit_pending`: the
  next chainer of any process links them, and `verify_audit` links everything before it walks.

After each commit that wrote records the process schedules its chainer (`chain_soon`): one
background task that links until the queue it can see is empty, retrying after a short pause
when another process holds the lock (that one may have begun before this commit was visible).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.errors import StoreError
from bot.store.chain import Unlinked, link_rows
from bot.store.codec import time_to_json
from bot.store.postgres.connection import PostgresBase
from bot.store.postgres.driver import Conn
from bot.store.postgres.statements import (
    CHAIN_LOCK,
    COUNT_PENDING,
    INSERT_AUDIT,
    LOCK_HEAD,
    SET_HEAD,
    TAKE_PENDING,
    TRY_CHAIN_LOCK,
)

log = logging.getLogger(__name__)

#: The advisory lock key one chainer at a time holds (any constant; this one spells "tkchain").
CHAIN_LOCK_KEY = 0x746B636861696E
#: Records linked per transaction.
CHAIN_BATCH = 500
#: How long a chainer waits before trying again when another process is linking.
BUSY_PAUSE = 0.005
#: How often a linking transaction is retried after a deadlock or a serialisation failure.
CHAIN_ATTEMPTS = 3


class PostgresChaining(PostgresBase):
    """Linking pending audit records into the chain, in the background or on demand."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chainer: asyncio.Task[None] | None = None
        self._chain_again = False

    def chain_soon(self) -> None:
        """Have this process's chainer link what was just committed (it runs in the background)."""
        self._chain_again = True
        if self._chainer is None or self._chainer.done():
            self._chainer = asyncio.get_running_loop().create_task(self._chain_loop())

    async def _chain_loop(self) -> None:
        while self._chain_again:
            self._chain_again = False
            try:
                linked = await self.link_pending()
            except StoreError:
                # The records stay pending, committed: the next commit, close or verify links them.
                log.warning("could not link audit records; they stay pending", exc_info=True)
                return
            if linked is None:  # another process is linking; it may not have seen ours
                self._chain_again = True
                await asyncio.sleep(BUSY_PAUSE)
            elif linked == CHAIN_BATCH:
                self._chain_again = True

    async def link_pending(self, *, wait: bool = False) -> int | None:
        """Link one batch of pending records; how many, or None when another chainer is busy.

        With `wait` it queues for the chainer's lock instead of giving up.
        """

        async def link(conn: Conn) -> int | None:
            return await link_batch(conn, wait=wait)

        return await self._write("link audit records", link, retries=CHAIN_ATTEMPTS)

    async def link_all(self) -> int:
        """Link every record committed so far (waiting for other chainers); how many this did."""
        total = 0
        while True:
            linked = await self.link_pending(wait=True) or 0
            total += linked
            if linked < CHAIN_BATCH:
                return total

    async def pending_records(self) -> int:
        """Committed audit records not linked yet (or written by a transaction still open)."""

        async def read(conn: Conn) -> int:
            return int(await conn.fetchval(COUNT_PENDING))

        return await self._read("count pending audit records", read)

    async def close(self) -> None:
        """Finish linking what this process committed, then close the pools."""
        task, self._chainer = self._chainer, None
        if task is not None and not task.done():
            self._chain_again = False
            await task  # it ends at its next check; it logs its own failures
        if self._pool is not None:
            try:
                await self.link_all()
            except StoreError:
                log.warning("could not link audit records on close; they stay pending")
        await super().close()


async def link_batch(conn: Conn, *, wait: bool = False) -> int | None:
    """Inside a transaction on `conn`: link up to CHAIN_BATCH pending records, oldest first."""
    got = await conn.fetchval(CHAIN_LOCK if wait else TRY_CHAIN_LOCK, CHAIN_LOCK_KEY)
    if not wait and not got:
        return None
    taken = sorted(await conn.fetch(TAKE_PENDING, CHAIN_BATCH), key=lambda r: int(r["id"]))
    if not taken:
        return 0
    head = await conn.fetchrow(LOCK_HEAD)
    if head is None:
        raise StoreError("the audit chain head is missing; run `audit verify`")
    rows, new_head = link_rows(
        [
            Unlinked(
                at=time_to_json(r["at"]),
                stored_at=r["at"],
                kind=r["kind"],
                actor=r["actor"],
                thread_key=r["thread_key"],
                data_json=r["data"],
                excerpt_digest=r["excerpt_digest"],
                excerpt_id=r["excerpt_id"],
            )
            for r in taken
        ],
        head=(int(head["seq"]), str(head["hash"])),
    )
    await conn.executemany(INSERT_AUDIT, rows)
    await conn.execute(SET_HEAD, *new_head)
    return len(rows)
