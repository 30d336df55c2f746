"""Persistence for the core: the `Store` protocol and its SQLite and PostgreSQL backends.

The core depends on the protocol only; `open_store` is the one place that picks a backend: a
postgresql:// URL opens PostgreSQL (several processes), anything else is an SQLite file (one).

Each backend is imported when it is first asked for (`open_store`, or `bot.store.PostgresStore` /
`bot.store.SqliteStore` by name): a bot on SQLite never loads asyncpg or the PostgreSQL backend,
which would cost every start of the CLI a driver it does not use.
"""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.store.base import (
    AcceptedEvent,
    AuditEntry,
    AuditRecord,
    AuditReport,
    Committed,
    DuplicateEvent,
    OwedAction,
    Store,
    Turn,
    TurnRecord,
    TurnRole,
)

if TYPE_CHECKING:
    from bot.store.postgres import PostgresStore
    from bot.store.sqlite import SqliteStore

log = logging.getLogger(__name__)

__all__ = [
    "AcceptedEvent",
    "AuditEntry",
    "AuditRecord",
    "AuditReport",
    "Committed",
    "DuplicateEvent",
    "OwedAction",
    "PostgresStore",
    "SqliteStore",
    "Store",
    "Turn",
    "TurnRecord",
    "TurnRole",
    "open_store",
]


#: The names this package gives that live in a backend, and the module each comes from.
_BACKENDS = {"PostgresStore": "bot.store.postgres", "SqliteStore": "bot.store.sqlite"}


def __getattr__(name: str) -> Any:
    """`bot.store.PostgresStore` and `bot.store.SqliteStore`, importing the backend on first use."""
    module = _BACKENDS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def is_postgres_url(value: str) -> bool:
    """True for a postgresql:// (or postgres://) URL.

    The same test as `bot.store.postgres.urls.is_postgres_url`, repeated here because importing
    that module loads the whole PostgreSQL package (its `__init__`), asyncpg included.
    """
    return value.startswith(("postgresql://", "postgres://"))


async def open_store(
    path_or_url: str | Path, *, excerpt_chars: int = 300, lease: timedelta | None = None
) -> SqliteStore | PostgresStore:
    """Open (creating and migrating if need be) the store at a path or a postgresql:// URL.

    An SQLite path may also be a URL (sqlite:///relative.db, sqlite:////absolute.db); ":memory:"
    is an in-memory SQLite database. `lease` is how long a PostgreSQL process holds what it
    accepted or committed before others presume it dead (SQLite serves one process: no leases).
    """
    where = str(path_or_url)
    store: SqliteStore | PostgresStore
    if is_postgres_url(where):
        from bot.store.postgres import PostgresStore

        store = (
            PostgresStore(where, excerpt_chars=excerpt_chars)
            if lease is None
            else PostgresStore(where, excerpt_chars=excerpt_chars, lease=lease)
        )
    else:
        if where.startswith("sqlite:///"):
            path_or_url = where.removeprefix("sqlite:///")  # sqlite:////abs, sqlite:///rel
        from bot.store.sqlite import SqliteStore

        store = SqliteStore(path_or_url, excerpt_chars=excerpt_chars)
    await store.open()
    return store
