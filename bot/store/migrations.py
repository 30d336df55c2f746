"""Numbered schema migrations, recorded in the database they changed.

The schema only ever moves forward, one numbered step at a time, and each database says which steps
it has had, so any copy (a backup, a moderator's export) can be brought up to date on open. A
database that has a step this code does not know was written by a newer version: opening it is
refused, because an older version writing to a newer schema is how data quietly goes wrong.

To change the schema, append a `Migration` with the next number; never edit one that has shipped.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosqlite

from bot.errors import StoreError
from bot.store.chain import GENESIS

log = logging.getLogger(__name__)

MigrationStep = str | Callable[[aiosqlite.Connection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: SQL statements, or an async function run inside the transaction."""

    number: int
    name: str
    step: MigrationStep


_INITIAL = """
-- One row per hosted thread: the policy's whole state is the JSON; the rest is for queries.
CREATE TABLE threads (
    key        TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    owner      TEXT NOT NULL,
    workspace  TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Message texts, kept apart so a retention purge can delete them. AUTOINCREMENT: an id is never
-- reused, so a row that still points at a purged excerpt can never pick up someone else's text.
CREATE TABLE excerpts (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL,
    text   TEXT NOT NULL,
    at     TEXT NOT NULL
);
CREATE INDEX excerpts_at ON excerpts (at);

-- Platform event ids already committed: a redelivered event produces nothing twice.
CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    at       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE turns (
    seq         INTEGER PRIMARY KEY,
    thread_key  TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    author_id   TEXT NOT NULL,
    author_name TEXT NOT NULL,
    at          TEXT NOT NULL,
    event_id    TEXT,
    verdict     TEXT NOT NULL,
    assessment  TEXT,
    hidden      INTEGER NOT NULL,
    flagged     INTEGER NOT NULL,
    usage       TEXT NOT NULL,
    excerpt_id  INTEGER
);
CREATE INDEX turns_thread ON turns (thread_key, seq);

CREATE TABLE cases (
    workspace  TEXT NOT NULL,
    number     INTEGER NOT NULL CHECK (number > 0),
    kind       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    thread_key TEXT,
    category   TEXT NOT NULL,
    priority   INTEGER NOT NULL,
    strikes    INTEGER NOT NULL,
    summary    TEXT NOT NULL,
    excerpt_id INTEGER,
    refers_to  INTEGER,
    status     TEXT NOT NULL CHECK (status IN ('open', 'reviewed')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace, number)
) WITHOUT ROWID;
-- recent_locks: a user's locks and latest pardon in a workspace, by time.
CREATE INDEX cases_user ON cases (workspace, user_id, kind, created_at);

-- Actions owed to a platform. AUTOINCREMENT: the id is the idempotency key (tk-<id>) a platform
-- may remember, so it must never be handed out twice.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    action     TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('owed', 'done', 'given_up')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    done_at    TEXT,
    outcome    TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    event_id   TEXT
);
-- Only owed actions are ever looked up by status; the partial index stays as small as the backlog.
CREATE INDEX outbox_owed ON outbox (id) WHERE status = 'owed';

-- The hash chain. excerpt_id is deliberately outside the hash: it points at purgeable text whose
-- digest is inside it.
CREATE TABLE audit (
    seq            INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    thread_key     TEXT,
    data           TEXT NOT NULL,
    excerpt_digest TEXT,
    excerpt_id     INTEGER,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
-- Guards against our own bugs, not against an attacker (who can drop them): the log only grows.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- The chain's last seq and hash, updated with every append, so removing the newest records shows.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{genesis}');
"""

_CASE_LIFECYCLE = """
CREATE TABLE cases_new (
    workspace     TEXT NOT NULL,
    number        INTEGER NOT NULL CHECK (number > 0),
    kind          TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    actor         TEXT NOT NULL,
    thread_key    TEXT,
    category      TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    strikes       INTEGER NOT NULL,
    summary       TEXT NOT NULL,
    excerpt_id    INTEGER,
    refers_to     INTEGER,
    status        TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    created_at    TEXT NOT NULL,
    status_by     TEXT NOT NULL DEFAULT '',
    status_reason TEXT NOT NULL DEFAULT '',
    status_at     TEXT,
    signals       INTEGER NOT NULL DEFAULT 1 CHECK (signals > 0),
    updated_at    TEXT,
    pinged_at     TEXT,
    post          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (workspace, number)
) WITHOUT ROWID;
-- A case an unlock or uphold reviewed was 'reviewed': it is resolved, by that moderator. A case
-- that only records (a note, an unlock, an end) never waited: resolved by whoever made it.
INSERT INTO cases_new (workspace, number, kind, user_id, actor, thread_key, category, priority,
    strikes, summary, excerpt_id, refers_to, status, created_at, status_by, status_at,
    updated_at, pinged_at)
SELECT c.workspace, c.number, c.kind, c.user_id, c.actor, c.thread_key, c.category, c.priority,
    c.strikes, c.summary, c.excerpt_id, c.refers_to,
    CASE WHEN c.status = 'reviewed' OR c.kind NOT IN ('appeal', 'lock', 'crisis',
        'harmful_in_crisis', 'repeat_locks', 'delivery_failure') THEN 'resolved' ELSE 'open' END,
    c.created_at,
    CASE WHEN c.status = 'reviewed' THEN COALESCE((SELECT r.actor FROM cases r
        WHERE r.workspace = c.workspace AND r.refers_to = c.number
        AND r.kind IN ('unlock', 'uphold') ORDER BY r.number LIMIT 1), '')
        WHEN c.kind NOT IN ('appeal', 'lock', 'crisis', 'harmful_in_crisis', 'repeat_locks',
        'delivery_failure') THEN c.actor ELSE '' END,
    CASE WHEN c.status = 'reviewed' THEN COALESCE((SELECT r.created_at FROM cases r
        WHERE r.workspace = c.workspace AND r.refers_to = c.number
        AND r.kind IN ('unlock', 'uphold') ORDER BY r.number LIMIT 1), c.created_at)
        WHEN c.kind NOT IN ('appeal', 'lock', 'crisis', 'harmful_in_crisis', 'repeat_locks',
        'delivery_failure') THEN c.created_at END,
    c.created_at,
    CASE WHEN c.priority THEN c.created_at END
FROM cases c;
DROP TABLE cases;
ALTER TABLE cases_new RENAME TO cases;
CREATE INDEX cases_user ON cases (workspace, user_id, kind, created_at);
CREATE INDEX cases_thread ON cases (thread_key, kind, created_at);
-- An appeal was answered by any later unlock or uphold of its thread.
UPDATE cases SET status = 'resolved',
    status_by = (SELECT r.actor FROM cases r WHERE r.workspace = cases.workspace
        AND r.thread_key = cases.thread_key AND r.kind IN ('unlock', 'uphold')
        AND r.number > cases.number ORDER BY r.number LIMIT 1),
    status_at = (SELECT r.created_at FROM cases r WHERE r.workspace = cases.workspace
        AND r.thread_key = cases.thread_key AND r.kind IN ('unlock', 'uphold')
        AND r.number > cases.number ORDER BY r.number LIMIT 1)
WHERE kind = 'appeal' AND status = 'open' AND EXISTS (SELECT 1 FROM cases r
    WHERE r.workspace = cases.workspace AND r.thread_key = cases.thread_key
    AND r.kind IN ('unlock', 'uphold') AND r.number > cases.number);
-- The review queue: only cases still waiting.
CREATE INDEX cases_waiting ON cases (workspace, created_at) WHERE status != 'resolved';
"""


#: Every migration, in order. Append only.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial", _INITIAL.replace("{genesis}", GENESIS)),
    # `stats` reads the usage of model calls by date; only turns that made a call are indexed.
    Migration(
        2, "turns_usage_by_time", "CREATE INDEX turns_usage_at ON turns (at) WHERE usage != '{}';"
    ),
    # Repeat-lock counting asks whether a lock's thread was later unlocked.
    Migration(
        3, "cases_by_thread", "CREATE INDEX cases_thread ON cases (thread_key, kind, created_at);"
    ),
    # Messages written down before the platform was told they arrived, until decided (see
    # `Store.accept_event`): a crash between the two no longer loses a message.
    Migration(
        4,
        "inbox",
        """
        CREATE TABLE inbox (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id    TEXT NOT NULL UNIQUE,
            thread_key  TEXT NOT NULL,
            payload     TEXT NOT NULL,
            accepted_at TEXT NOT NULL,
            claimed_by  TEXT NOT NULL DEFAULT '',
            attempts    INTEGER NOT NULL DEFAULT 0,
            lease_until TEXT
        );
        CREATE INDEX inbox_thread ON inbox (thread_key, seq);
        """,
    ),
    # Cases move open -> acknowledged -> resolved, with who, why and when; a crisis case groups
    # the follow-up signals of its thread (count, latest time, last ping); `post` is where the
    # platform shows the case. SQLite cannot change a CHECK, so the table is rebuilt.
    Migration(5, "case_lifecycle", _CASE_LIFECYCLE),
)

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS migrations (
    number     INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


def statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (trigger bodies stay whole)."""
    out: list[str] = []
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if _strip_comments(buf).strip(" \n\t;"):
                out.append(buf.strip())
            buf = ""
    if _strip_comments(buf).strip(" \n\t;"):
        raise ValueError(f"incomplete SQL statement: {buf.strip()[:80]!r}")
    return out


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


async def applied(db: aiosqlite.Connection) -> dict[int, str]:
    """The migrations a database has had, by number."""
    rows = await db.execute_fetchall("SELECT number, name FROM migrations ORDER BY number")
    return {int(number): str(name) for number, name in rows}


def _check_known(done: dict[int, str], known: tuple[Migration, ...], db_name: str) -> None:
    names = {m.number: m.name for m in known}
    newest = max(names, default=0)
    newer = sorted(n for n in done if n > newest)
    if newer:
        raise StoreError(
            f"{db_name} has migration {newer[-1]} ({done[newer[-1]]!r}), but this "
            f"version of threadkeeper knows only up to {newest}: it was written by a newer "
            "version. Upgrade threadkeeper, or open a backup made before the upgrade."
        )
    for number, name in done.items():
        if names.get(number) != name:
            raise StoreError(
                f"{db_name} has migration {number} named {name!r}, but this version "
                f"calls migration {number} {names.get(number)!r}: it was made by a different "
                "build of threadkeeper."
            )


async def migrate(
    db: aiosqlite.Connection,
    *,
    where: str = "",
    known: tuple[Migration, ...] = MIGRATIONS,
) -> list[int]:
    """Apply the migrations the database has not had, in one transaction; return their numbers.

    Running it again does nothing. `db` must be in autocommit mode (isolation_level=None).
    """
    # IMMEDIATE takes the write lock before reading what was applied, so two processes opening
    # the same file at once apply each migration exactly once.
    db_name = f"the database at {where}" if where else "the database"
    await db.execute("BEGIN IMMEDIATE")
    try:
        await db.execute(_CREATE_TABLE)
        done = await applied(db)
        _check_known(done, known, db_name)
        pending = [m for m in known if m.number not in done]
        for m in pending:
            log.info("applying migration %d (%s) to %s", m.number, m.name, db_name)
            if isinstance(m.step, str):
                for sql in statements(m.step):
                    await db.execute(sql)
            else:
                await m.step(db)
            await db.execute(
                "INSERT INTO migrations (number, name, applied_at)"
                " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))",
                (m.number, m.name),
            )
        await db.execute("COMMIT")
    except BaseException as exc:
        try:
            await db.execute("ROLLBACK")
        except sqlite3.Error:
            log.debug("rollback after a failed migration failed", exc_info=True)
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"could not migrate {db_name}: {exc}") from exc
        raise
    return [m.number for m in pending]
