"""The SQLite backend of the Store, for one bot process.

| module | holds |
|---|---|
| `connection` | `SqliteBase`: the one connection, its pragmas and migrations, work on its thread |
| `statements` | every SQL statement, and the hot-path ones a test checks scan no table |
| `commit` | `commit`: a whole decision in one IMMEDIATE transaction; `event_seen` |
| `inbox` | messages accepted before the ack, read back and forgotten |
| `outbox` | owed actions: listed, marked done, failed or given up |
| `reads` | `turn_reads`: everything a turn reads before it decides, in one worker hop |
| `threads` | thread states and turns read back |
| `cases` | the mod log read back; a user's recent locks |
| `audit` | the audit chain read back and verified; the excerpt purge |
| `stats` | model usage and the CLI's counts |
| `store` | `SqliteStore`, all of the above together |

What is not SQL (checking a decision, rows to records, the chain's hashes) is shared with the
PostgreSQL backend: `bot.store.decision`, `bot.store.rows`, `bot.store.chain`.
"""

from bot.store.decision import TURN_TEXT_CHARS
from bot.store.sqlite.statements import HOT_PATH_QUERIES
from bot.store.sqlite.store import SqliteStore

__all__ = ["HOT_PATH_QUERIES", "TURN_TEXT_CHARS", "SqliteStore"]
