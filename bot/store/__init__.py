"""Persistence for the core: the `Store` protocol and its SQLite and PostgreSQL backends.

The core depends on the protocol only; `open_store` is the one place that picks a backend: a
postgresql:// URL opens PostgreSQL (several processes), anything else is an SQLite file (one).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

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
from bot.store.postgres import PostgresStore, is_postgres_url
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
        store = (
            PostgresStore(where, excerpt_chars=excerpt_chars)
            if lease is None
            else PostgresStore(where, excerpt_chars=excerpt_chars, lease=lease)
        )
    else:
        if where.startswith("sqlite:///"):
            path_or_url = where.removeprefix("sqlite:///")  # sqlite:////abs, sqlite:///rel
        store = SqliteStore(path_or_url, excerpt_chars=excerpt_chars)
    await store.open()
    return store
