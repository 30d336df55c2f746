"""What several processes on one database need beyond the Store protocol: leases and thread locks.

- A live process renews the leases on what it works on (`renew_leases`), so only a dead one's
  lapse, and gives them all up on a clean stop (`release_leases`).
- `thread_lock(key)` is an async context manager holding a session-level advisory lock
  (`pg_advisory_lock(hashtextextended(...))`) on a connection of its own, so the turns of one
  thread are serialised across processes while other threads run. Lock connections come from a
  second, small pool (`lock_pool_size`), so holding locks can never starve the pool that commits.

The claims that take over a dead process's work are with what they claim (`inbox`, `outbox`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from bot.errors import StoreError
from bot.store.postgres.connection import PostgresBase
from bot.store.postgres.driver import DB_ERRORS, Conn, count
from bot.store.postgres.statements import (
    RELEASE_INBOX,
    RELEASE_OUTBOX,
    RENEW_INBOX,
    RENEW_OUTBOX,
    THREAD_LOCK_KEY,
)

log = logging.getLogger(__name__)


class PostgresCoordination(PostgresBase):
    """Renewing and releasing this process's leases; locking a thread across processes."""

    async def renew_leases(self, *, events: Sequence[str], actions: Sequence[int]) -> int:
        """Extend this process's leases on the messages and actions it is working on; how many.

        Called well within each lease (every `storage.sweep_seconds`) with what the runtime is
        deciding or carrying out right now, so a live process's work is not taken over however
        long a turn takes, while what it holds and no longer works on (a turn that failed on a
        store error) lapses and is claimed again by a sweep, this process's own included.
        """
        if not events and not actions:
            return 0

        async def write(conn: Conn) -> int:
            a = count(await conn.execute(RENEW_INBOX, self.owner, self.lease, list(events)))
            b = await conn.execute(RENEW_OUTBOX, self.owner, self.lease, list(actions))
            return a + count(b)

        return await self._write("renew leases", write)

    async def release_leases(self) -> int:
        """On a clean stop: give up this process's leases now, so the next process need not wait."""

        async def write(conn: Conn) -> int:
            a = count(await conn.execute(RELEASE_INBOX, self.owner))
            return a + count(await conn.execute(RELEASE_OUTBOX, self.owner))

        return await self._write("release leases", write)

    @asynccontextmanager
    async def thread_lock(self, key: str) -> AsyncIterator[None]:
        """Hold the thread's advisory lock (across processes) for the body of the `async with`."""
        pool = await self._lock_pool_ready()
        async with AsyncExitStack() as stack:
            try:
                conn = await stack.enter_async_context(pool.acquire())
                await conn.execute(f"SELECT pg_advisory_lock({THREAD_LOCK_KEY})", key)
            except DB_ERRORS as exc:
                raise StoreError(f"could not lock thread {key}: {exc}") from exc
            try:
                yield
            finally:
                try:
                    await conn.execute(f"SELECT pg_advisory_unlock({THREAD_LOCK_KEY})", key)
                except DB_ERRORS:
                    # The connection is broken, so the server has dropped its locks; and the
                    # pool's reset on release unlocks everything a connection still holds.
                    log.warning("could not unlock thread %s", key, exc_info=True)
