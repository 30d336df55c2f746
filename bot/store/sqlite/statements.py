"""Every SQL statement of the SQLite store, in one place.

Statements are module constants so sqlite3's statement cache prepares each one once; the ones on
the hot path are listed in HOT_PATH_QUERIES, which a test checks scan no table.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

INSERT_EVENT = "INSERT INTO events (event_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING"
UPSERT_THREAD = (
    "INSERT INTO threads (key, status, owner, workspace, state, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET status = excluded.status, owner = excluded.owner,"
    " workspace = excluded.workspace, state = excluded.state, updated_at = excluded.updated_at"
)
INSERT_EXCERPT = "INSERT INTO excerpts (digest, text, at) VALUES (?, ?, ?)"
INSERT_TURN = (
    "INSERT INTO turns (thread_key, role, author_id, author_name, at, event_id, verdict,"
    " assessment, hidden, flagged, usage, excerpt_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
NEXT_CASE = "SELECT number FROM cases WHERE workspace = ? ORDER BY number DESC LIMIT 1"
INSERT_CASE = (
    "INSERT INTO cases (workspace, number, kind, user_id, actor, thread_key, category, priority,"
    " strikes, summary, excerpt_id, refers_to, status, created_at, status_by, status_at,"
    " updated_at, pinged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# A change to a stored case (see CaseUpdate): the row is read first (it must exist), then changed.
CASE_FOR_UPDATE = "SELECT thread_key, signals FROM cases WHERE workspace = ? AND number = ?"
SET_CASE_STATUS = (
    "UPDATE cases SET status = ?, status_by = ?, status_reason = ?, status_at = ?"
    " WHERE workspace = ? AND number = ?"
)
GROUP_SIGNAL = (
    "UPDATE cases SET signals = signals + 1, updated_at = ?,"
    " summary = CASE WHEN ? != '' THEN ? ELSE summary END,"
    " excerpt_id = COALESCE(?, excerpt_id) WHERE workspace = ? AND number = ?"
)
SET_PINGED = "UPDATE cases SET pinged_at = ? WHERE workspace = ? AND number = ?"
SET_POST = "UPDATE cases SET post = ? WHERE workspace = ? AND number = ?"
INSERT_OUTBOX = "INSERT INTO outbox (action, status, created_at, event_id) VALUES (?, 'owed', ?, ?)"
AUDIT_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
INSERT_AUDIT = (
    "INSERT INTO audit (seq, at, kind, actor, thread_key, data, excerpt_digest, excerpt_id,"
    " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SET_HEAD = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"
EVENT_SEEN = "SELECT 1 FROM events WHERE event_id = ?"
ACCEPT = (
    "INSERT INTO inbox (event_id, thread_key, payload, accepted_at)"
    " SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM events WHERE event_id = ?1)"
    " ON CONFLICT (event_id) DO NOTHING"
)
INBOX_COLUMNS = "seq, event_id, thread_key, payload, attempts"
PENDING_IN_THREAD = (
    f"SELECT {INBOX_COLUMNS} FROM inbox WHERE thread_key = ?1"
    " AND seq <= (SELECT seq FROM inbox WHERE event_id = ?2) ORDER BY seq"
)
ACCEPTED = f"SELECT {INBOX_COLUMNS} FROM inbox ORDER BY seq LIMIT ?"
FORGET = "DELETE FROM inbox WHERE event_id = ?"
HAS_ACCEPTED = "SELECT 1 FROM inbox WHERE thread_key = ? LIMIT 1"
LOAD_THREAD = "SELECT state FROM threads WHERE key = ?"
RECENT_TURNS = (
    "SELECT t.seq, t.thread_key, t.role, t.author_id, t.author_name, e.text AS text, t.at,"
    " t.verdict, t.hidden, t.flagged, t.assessment"
    " FROM turns t LEFT JOIN excerpts e ON e.id = t.excerpt_id"
    " WHERE t.thread_key = ? AND t.seq >= ? ORDER BY t.seq DESC LIMIT ?"
)
# A lock a moderator later reversed (an unlock of the same thread) no longer counts.
RECENT_LOCKS = (
    "SELECT COUNT(*) FROM cases l WHERE l.workspace = ?1 AND l.user_id = ?2 AND l.kind = 'lock'"
    " AND l.created_at >= max(?3, COALESCE((SELECT MAX(created_at) FROM cases"
    " WHERE workspace = ?1 AND user_id = ?2 AND kind = 'pardon'), ''))"
    " AND NOT EXISTS (SELECT 1 FROM cases u WHERE u.thread_key = l.thread_key"
    " AND u.kind = 'unlock' AND u.created_at >= l.created_at)"
)
CASE_COLUMNS = (
    "c.workspace, c.number, c.kind, c.user_id, c.actor, c.thread_key, c.category, c.priority,"
    " c.strikes, c.summary, e.text AS excerpts, c.refers_to, c.status, c.created_at,"
    " c.status_by, c.status_reason, c.status_at, c.signals, c.updated_at, c.pinged_at, c.post"
    " FROM cases c LEFT JOIN excerpts e ON e.id = c.excerpt_id"
)
CASE = f"SELECT {CASE_COLUMNS} WHERE c.workspace = ? AND c.number = ?"
OWED = (
    "SELECT id, action, created_at, attempts, event_id FROM outbox"
    " WHERE status = 'owed' ORDER BY id"
)
ACTION_DONE = (
    "UPDATE outbox SET status = 'done', done_at = ?, outcome = ? WHERE id = ? AND status = 'owed'"
)
ACTION_FAILED = (
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
    " status = CASE WHEN ? THEN 'given_up' ELSE status END,"
    " done_at = CASE WHEN ? THEN ? ELSE done_at END"
    " WHERE id = ? AND status = 'owed'"
)
AUDIT_ROWS = (
    "SELECT a.seq, a.at, a.kind, a.actor, a.thread_key, a.data, a.excerpt_digest, a.prev_hash,"
    " a.hash, e.text AS excerpt FROM audit a LEFT JOIN excerpts e ON e.id = a.excerpt_id"
)

#: Queries run for every turn or every start; a test checks that none of them scans a table.
HOT_PATH_QUERIES: tuple[str, ...] = (
    EVENT_SEEN,
    LOAD_THREAD,
    RECENT_TURNS,
    RECENT_LOCKS,
    PENDING_IN_THREAD,
    NEXT_CASE,
    CASE_FOR_UPDATE,
    CASE,
    OWED,
    ACTION_DONE,
    AUDIT_HEAD,
)
