"""The PostgreSQL backend of the Store, for several bot processes on one database.

SQLite serves one process; a bot that outgrows it runs several processes on PostgreSQL, and every
guarantee of the single process holds across them, kept by the database itself (see `commit`).
Beyond the Store protocol it gives a runtime of several processes leases, claims and thread
locks (`coordination`, `inbox`, `outbox`).

| module | holds |
|---|---|
| `urls` | telling a postgresql:// URL from a path; its password redacted |
| `driver` | the one contact with asyncpg: typed `Conn` and `Pool`, its errors, pool creation |
| `connection` | `PostgresBase`: the two pools, migrations, reads and retried writes |
| `statements` | every SQL statement |
| `commit` | `commit`: a whole decision in one transaction, across processes; `event_seen` |
| `inbox` | messages accepted (leased) before the ack, read back, forgotten, claimed |
| `outbox` | owed actions: listed, claimed, marked done, failed or given up |
| `coordination` | renewing and releasing leases; thread locks across processes |
| `reads` | `turn_reads`: everything a turn reads before it decides, in one round trip |
| `threads` | thread states and turns read back |
| `cases` | the mod log read back; a user's recent locks |
| `audit` | the audit chain read back and verified (`walk_chain`); the excerpt purge |
| `stats` | model usage and the CLI's counts |
| `limits` | the message rate and token budgets every process counts against together |
| `store` | `PostgresStore`, all of the above together |

Times are timestamptz; JSON is stored as TEXT exactly as written (see pg_migrations), and the chain
hashes `codec.time_to_json` of each time, the same string SQLite stores, so a chain copied between
the backends verifies on either side. What is not SQL is shared with the SQLite backend:
`bot.store.decision`, `bot.store.rows`, `bot.store.chain`.
"""

from bot.store.postgres.audit import walk_chain
from bot.store.postgres.connection import COMMIT_LEASE
from bot.store.postgres.driver import Conn, Pool
from bot.store.postgres.store import PostgresStore
from bot.store.postgres.urls import is_postgres_url, redact

__all__ = [
    "COMMIT_LEASE",
    "Conn",
    "Pool",
    "PostgresStore",
    "is_postgres_url",
    "redact",
    "walk_chain",
]
