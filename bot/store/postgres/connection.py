"""The PostgreSQL store's pools: opening them, closing them, and running work on a connection.

Two pools: the main one commits and reads, and a second, small one (`lock_pool_size`, opened on
the first `thread_lock`) holds the connections that keep thread locks, so holding locks can never
starve the pool that commits. `_write` runs its work in one transaction and retries it a few times
after a deadlock or a serialisation failure; a driver error becomes StoreError naming the work.

`PostgresBase` holds the pools and this process's identity in leases (`owner`, `lease`); each
part of the store (commit, inbox, outbox, ...) is a mixin over it, and `PostgresStore` is all of
them together.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self, TypeVar

from bot.errors import StoreError
from bot.metrics import timed_store_call
from bot.store.codec import time_from_json
from bot.store.pg_migrations import migrate
from bot.store.postgres.driver import DB_ERRORS, OPEN_ERRORS, RETRYABLE, Conn, Pool, create_pool
from bot.store.postgres.urls import is_postgres_url, redact
from bot.store.rows import clean_text, time_text

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a committing process holds its fresh actions before others may take them over.
COMMIT_LEASE = timedelta(minutes=5)


def clean(text: str) -> str:
    """Text PostgreSQL can store: a lone surrogate or a NUL character becomes '?'."""
    return clean_text(text).replace("\x00", "?")


def time_value(value: datetime) -> datetime:
    """A time as this store writes it: no finer than SQLite's text, so both chains hash alike."""
    return time_from_json(time_text(value))


class PostgresBase:
    """The asyncpg pools every part of the PostgreSQL store runs its work on."""

    def __init__(
        self,
        url: str,
        *,
        excerpt_chars: int = 300,
        pool_size: int = 10,
        lock_pool_size: int = 10,
        lease: timedelta = COMMIT_LEASE,
    ) -> None:
        if excerpt_chars < 1:
            raise ValueError("excerpt_chars must be at least 1")
        if not is_postgres_url(url):
            raise ValueError(f"not a postgresql:// URL: {redact(url)}")
        self.url = url
        #: Who this process is, for the leases on the owed actions it commits and claims.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.excerpt_chars = excerpt_chars
        self.pool_size = pool_size
        self.lock_pool_size = lock_pool_size
        if lease <= timedelta(0):
            raise ValueError("a lease must be longer than zero")
        #: How long the accepting or committing process holds a message or a fresh action
        #: before a live process may take it over (it is presumed dead by then).
        self.lease = lease
        self._pool: Pool | None = None
        self._lock_pool: Pool | None = None
        self._opening = asyncio.Lock()

    def __repr__(self) -> str:
        return f"PostgresStore({redact(self.url)!r})"

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Create the connection pool and apply migrations."""
        async with self._opening:
            if self._pool is None:
                self._pool = await self._connect()

    async def _connect(self) -> Pool:
        where = redact(self.url)
        try:
            pool = await create_pool(self.url, min_size=1, max_size=self.pool_size, reset=False)
        except OPEN_ERRORS as exc:
            raise StoreError(f"cannot open the database at {where}: {exc}") from exc
        try:
            async with pool.acquire() as conn, conn.transaction():
                applied = await migrate(conn, db_name=f"the database at {where}")
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, DB_ERRORS):
                raise StoreError(f"cannot open the database at {where}: {exc}") from exc
            raise
        if applied:
            log.info("database %s: applied migrations %s", where, applied)
        return pool

    async def close(self) -> None:
        """Close both pools, waiting for connections in use to be released."""
        async with self._opening:
            pools = [p for p in (self._lock_pool, self._pool) if p is not None]
            self._pool = self._lock_pool = None
            for pool in pools:
                try:
                    await pool.close()
                except DB_ERRORS:
                    log.debug("closing a pool failed", exc_info=True)

    def _ready(self, what: str) -> Pool:
        if self._pool is None:
            raise StoreError(f"could not {what}: the store at {redact(self.url)} is not open")
        return self._pool

    async def _lock_pool_ready(self) -> Pool:
        self._ready("lock a thread")
        async with self._opening:
            if self._lock_pool is None:
                try:
                    self._lock_pool = await create_pool(
                        self.url, min_size=0, max_size=self.lock_pool_size
                    )
                except DB_ERRORS as exc:
                    raise StoreError(f"could not open the lock pool: {exc}") from exc
            return self._lock_pool

    @asynccontextmanager
    async def _connection(self, what: str) -> AsyncIterator[Conn]:
        """A pooled connection; driver errors become StoreError naming `what`."""
        pool = self._ready(what)
        try:
            async with pool.acquire() as conn:
                yield conn
        except DB_ERRORS as exc:
            raise StoreError(f"could not {what}: {exc}") from exc

    @timed_store_call
    async def _read(self, what: str, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run `fn` on a pooled connection outside any explicit transaction."""
        async with self._connection(what) as conn:
            return await fn(conn)

    @timed_store_call
    async def _write(self, what: str, fn: Callable[[Conn], Awaitable[T]], retries: int = 1) -> T:
        """Run `fn` in one transaction: all of it is written, or none of it."""
        pool = self._ready(what)
        for attempt in range(1, retries + 1):
            try:
                async with pool.acquire() as conn, conn.transaction():
                    return await fn(conn)
            except RETRYABLE as exc:
                if attempt == retries:
                    raise StoreError(f"could not {what}: {exc}; nothing was written") from exc
                log.info("%s: %s; retrying (attempt %d)", what, exc, attempt + 1)
            except DB_ERRORS as exc:
                raise StoreError(f"could not {what}: {exc}; nothing was written") from exc
        raise AssertionError("unreachable")  # pragma: no cover
