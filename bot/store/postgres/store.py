"""`PostgresStore`: the Store protocol (and SharedStore) on PostgreSQL, assembled from its parts.

Each part is a mixin over `PostgresBase` (the pools) named for what it does; this class only
puts them together, so a method is found in the module its concern names.
"""

from __future__ import annotations

import logging

from bot.store.postgres.audit import PostgresAudit
from bot.store.postgres.cases import PostgresCases
from bot.store.postgres.commit import PostgresCommit
from bot.store.postgres.coordination import PostgresCoordination
from bot.store.postgres.inbox import PostgresInbox
from bot.store.postgres.limits import PostgresLimits
from bot.store.postgres.outbox import PostgresOutbox
from bot.store.postgres.reads import PostgresReads
from bot.store.postgres.stats import PostgresStats
from bot.store.postgres.threads import PostgresThreads

log = logging.getLogger(__name__)


class PostgresStore(
    PostgresCommit,
    PostgresInbox,
    PostgresOutbox,
    PostgresCoordination,
    PostgresReads,
    PostgresThreads,
    PostgresCases,
    PostgresAudit,
    PostgresStats,
    PostgresLimits,
):
    """The Store protocol on an asyncpg pool, safe for several processes on one database; also
    SharedStore (leases, claims, thread locks) and SharedLimits (limits across processes)."""
