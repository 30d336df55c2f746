"""Persistence for the core: the `Store` protocol and its SQLite backend.

The core depends on the protocol only; `open_store` is the one place that picks a backend, so a
second one (PostgreSQL, for several processes) is a change here and nowhere else.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.store.base import (
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
from bot.store.sqlite import SqliteStore

log = logging.getLogger(__name__)

__all__ = [
    "AuditEntry",
    "AuditRecord",
    "AuditReport",
    "Committed",
    "DuplicateEvent",
    "OwedAction",
    "SqliteStore",
    "Store",
    "Turn",
    "TurnRecord",
    "TurnRole",
    "open_store",
]


async def open_store(path: str | Path, *, excerpt_chars: int = 300) -> SqliteStore:
    """Open (creating and migrating if need be) the database at `path`; ":memory:" for tests."""
    store = SqliteStore(path, excerpt_chars=excerpt_chars)
    await store.open()
    return store
