"""`SqliteStore`: the Store protocol on one SQLite file, assembled from its parts.

Each part is a mixin over `SqliteBase` (the connection) named for what it does; this class only
puts them together, so a method is found in the module its concern names.
"""

from __future__ import annotations

import logging

from bot.store.sqlite.audit import SqliteAudit
from bot.store.sqlite.cases import SqliteCases
from bot.store.sqlite.commit import SqliteCommit
from bot.store.sqlite.inbox import SqliteInbox
from bot.store.sqlite.outbox import SqliteOutbox
from bot.store.sqlite.reads import SqliteReads
from bot.store.sqlite.stats import SqliteStats
from bot.store.sqlite.threads import SqliteThreads

log = logging.getLogger(__name__)


class SqliteStore(
    SqliteCommit,
    SqliteInbox,
    SqliteOutbox,
    SqliteReads,
    SqliteThreads,
    SqliteCases,
    SqliteAudit,
    SqliteStats,
):
    """The Store protocol on one aiosqlite connection."""
