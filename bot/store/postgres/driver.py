"""The PostgreSQL store's one contact with asyncpg: typed views of it, its errors, its pools.

asyncpg ships no type information; the few calls the store makes are typed by the Protocols here,
and every other module of the backend speaks to `Conn` and `Pool`, not to asyncpg.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, cast

# asyncpg ships no type information; the few calls used here are typed by the Protocols below.
import asyncpg  # type: ignore[import-untyped]

from bot.store.rows import Row

log = logging.getLogger(__name__)

#: Errors of the driver and the connection that become StoreError.
DB_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    UnicodeEncodeError,
)
#: Opening also fails on a URL the driver cannot parse.
OPEN_ERRORS: tuple[type[BaseException], ...] = (*DB_ERRORS, ValueError)
RETRYABLE: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)


class Conn(Protocol):
    """The part of an asyncpg connection this store uses."""

    async def execute(self, query: str, *args: Any) -> str: ...

    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None: ...

    async def fetch(self, query: str, *args: Any) -> list[Row]: ...

    async def fetchrow(self, query: str, *args: Any) -> Row | None: ...

    async def fetchval(self, query: str, *args: Any) -> Any: ...

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False
    ) -> AbstractAsyncContextManager[Any]: ...

    def cursor(self, query: str, *args: Any, prefetch: int | None = None) -> AsyncIterator[Row]: ...


class Pool(Protocol):
    """The part of an asyncpg pool this store uses."""

    def acquire(self) -> AbstractAsyncContextManager[Conn]: ...

    async def close(self) -> None: ...


class _StatelessConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """A main-pool connection: skips the reset query asyncpg sends on every release.

    The store leaves no session state on these connections (no SET, LISTEN, cursor or session
    advisory lock: thread locks live in the lock pool, which keeps the reset), so the reset round
    trip bought nothing and cost about a fifth of all statements per turn (bench/RESULTS.md). An
    open transaction is still rolled back on release: asyncpg does that whatever this returns.
    """

    def get_reset_query(self) -> str:
        return ""


async def create_pool(url: str, *, min_size: int, max_size: int, reset: bool = True) -> Pool:
    """A pool of connections to `url`; the main pool skips the reset (`_StatelessConnection`)."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        connection_class=asyncpg.Connection if reset else _StatelessConnection,
    )
    return cast(Pool, pool)


def count(status: str) -> int:
    """The row count of a command status such as 'INSERT 0 1' or 'DELETE 3'."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0
