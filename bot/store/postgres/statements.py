"""Every SQL statement of the PostgreSQL store, in one place.

Placeholders are asyncpg's ($1, $2, ...); times are timestamptz and JSON is TEXT (see
pg_migrations). asyncpg prepares and caches each statement per connection.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

INSERT_EVENT = "INSERT INTO events (event_id, at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
UPSERT_THREAD = (
    "INSERT INTO threads (key, status, owner, workspace, state, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (key) DO UPDATE SET status = excluded.status, owner = excluded.owner,"
    " workspace = excluded.workspace, state = excluded.state, updated_at = excluded.updated_at"
)
INSERT_EXCERPT = "INSERT INTO excerpts (digest, text, at) VALUES ($1, $2, $3) RETURNING id"
# The turn and its text in one round trip; no excerpt row when the text is empty. The excerpt's
# id comes back, so an audit record of the same text can refer to it instead of a second copy.
INSERT_TURN = (
    "WITH e AS (INSERT INTO excerpts (digest, text, at) SELECT $12, $13, $5 WHERE $13 <> ''"
    " RETURNING id)"
    " INSERT INTO turns (thread_key, role, author_id, author_name, at, event_id, verdict,"
    " assessment, hidden, flagged, usage, excerpt_id)"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, (SELECT id FROM e) RETURNING excerpt_id"
)
NEXT_CASES = (
    "INSERT INTO case_counters AS c (workspace, last) VALUES ($1, $2)"
    " ON CONFLICT (workspace) DO UPDATE SET last = c.last + excluded.last RETURNING last"
)
INSERT_CASE = (
    "INSERT INTO cases (workspace, number, kind, user_id, actor, thread_key, category, priority,"
    " strikes, summary, excerpt_id, refers_to, status, created_at, status_by, status_at,"
    " updated_at, pinged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
    " $14, $15, $16, $17, $18)"
)
# A change to a stored case (see CaseUpdate): the row is locked and read (it must exist), then
# changed.
CASE_FOR_UPDATE = (
    "SELECT thread_key, signals FROM cases WHERE workspace = $1 AND number = $2 FOR UPDATE"
)
SET_CASE_STATUS = (
    "UPDATE cases SET status = $1, status_by = $2, status_reason = $3, status_at = $4"
    " WHERE workspace = $5 AND number = $6"
)
GROUP_SIGNAL = (
    "UPDATE cases SET signals = signals + 1, updated_at = $1,"
    " summary = CASE WHEN $2 <> '' THEN $2 ELSE summary END,"
    " excerpt_id = COALESCE($3, excerpt_id) WHERE workspace = $4 AND number = $5"
)
SET_PINGED = "UPDATE cases SET pinged_at = $1 WHERE workspace = $2 AND number = $3"
SET_POST = "UPDATE cases SET post = $1 WHERE workspace = $2 AND number = $3"
# A fresh action is leased to the process that committed it, so another live process does not
# claim it while it is being carried out; if that process dies, the lease runs out.
INSERT_OUTBOX = (
    "INSERT INTO outbox (action, status, created_at, event_id, claimed_by, lease_until)"
    " VALUES ($1, 'owed', $2, $3, $4, now() + $5::interval) RETURNING id"
)
LOCK_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
# A decision's audit records, unlinked; the chainer links them after the commit (chaining.py).
INSERT_PENDING = (
    "INSERT INTO audit_pending (at, kind, actor, thread_key, data, excerpt_digest, excerpt_id)"
    " SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
    " $7::bigint[])"
)
# The oldest committed unlinked records, taken out of the queue in the chainer's transaction.
TAKE_PENDING = (
    "DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT $1)"
    " RETURNING id, at, kind, actor, thread_key, data, excerpt_digest, excerpt_id"
)
COUNT_PENDING = "SELECT COUNT(*) FROM audit_pending"
TRY_CHAIN_LOCK = "SELECT pg_try_advisory_xact_lock($1)"
CHAIN_LOCK = "SELECT pg_advisory_xact_lock($1)"
AUDIT_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
INSERT_AUDIT = (
    "INSERT INTO audit (seq, at, kind, actor, thread_key, data, excerpt_digest, excerpt_id,"
    " prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)
SET_HEAD = "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1"
EVENT_SEEN = "SELECT 1 FROM events WHERE event_id = $1"
# An accepted message is leased to its process like a fresh action (see INSERT_OUTBOX).
ACCEPT = (
    "INSERT INTO inbox (event_id, thread_key, payload, accepted_at, claimed_by, lease_until)"
    " SELECT $1, $2, $3, $4, $5, now() + $6::interval"
    " WHERE NOT EXISTS (SELECT 1 FROM events WHERE event_id = $1)"
    " ON CONFLICT (event_id) DO NOTHING"
)
INBOX_COLUMNS = "seq, event_id, thread_key, payload, attempts"
# A row whose event is decided can exist here: a redelivery accepted while another process was
# committing that event's decision (READ COMMITTED: the accept's NOT EXISTS did not see it yet).
PENDING_IN_THREAD = (
    f"SELECT {INBOX_COLUMNS} FROM inbox i WHERE thread_key = $1"
    " AND seq <= (SELECT seq FROM inbox WHERE event_id = $2)"
    " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = i.event_id) ORDER BY seq"
)
DROP_DECIDED = "DELETE FROM inbox i USING events e WHERE e.event_id = i.event_id"
ACCEPTED = f"SELECT {INBOX_COLUMNS} FROM inbox ORDER BY seq LIMIT $1"
CLAIM_ACCEPTED = (
    "WITH c AS (SELECT seq FROM inbox WHERE lease_until IS NULL OR lease_until <= now()"
    " ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)"
    " UPDATE inbox i SET claimed_by = $1, lease_until = now() + $3::interval,"
    " attempts = i.attempts + 1 FROM c"
    " WHERE i.seq = c.seq RETURNING i.seq, i.event_id, i.thread_key, i.payload, i.attempts"
)
FORGET = "DELETE FROM inbox WHERE event_id = $1"
# A live process renews the leases on everything it holds, so only a dead one's lapse. A row
# locked right now is skipped, not waited for: it is being committed (forgotten, marked done) by
# this very process, which is also what the renewal was for; commits never queue behind a renewal
# holding rows they write, nor a renewal behind them.
RENEW_INBOX = (
    "UPDATE inbox SET lease_until = now() + $2::interval WHERE seq IN (SELECT seq FROM inbox"
    " WHERE claimed_by = $1 AND event_id = ANY($3::text[]) FOR UPDATE SKIP LOCKED)"
)
RENEW_OUTBOX = (
    "UPDATE outbox SET lease_until = now() + $2::interval WHERE id IN (SELECT id FROM outbox"
    " WHERE claimed_by = $1 AND status = 'owed' AND id = ANY($3::bigint[]) FOR UPDATE SKIP LOCKED)"
)
RELEASE_INBOX = "UPDATE inbox SET lease_until = now() WHERE claimed_by = $1"
RELEASE_OUTBOX = "UPDATE outbox SET lease_until = now() WHERE claimed_by = $1 AND status = 'owed'"
HAS_ACCEPTED = "SELECT 1 FROM inbox WHERE thread_key = $1 LIMIT 1"
LOAD_THREAD = "SELECT state FROM threads WHERE key = $1"
RECENT_TURNS = (
    "SELECT t.seq, t.thread_key, t.role, t.author_id, t.author_name, e.text AS text, t.at,"
    " t.verdict, t.hidden, t.flagged, t.assessment"
    " FROM turns t LEFT JOIN excerpts e ON e.id = t.excerpt_id"
    " WHERE t.thread_key = $1 AND t.seq >= $2 ORDER BY t.seq DESC LIMIT $3"
)
# A lock a moderator later reversed (an unlock of the same thread) no longer counts. GREATEST
# ignores NULL, so a user never pardoned counts from `since`.
RECENT_LOCKS = (
    "SELECT COUNT(*) FROM cases l WHERE l.workspace = $1 AND l.user_id = $2 AND l.kind = 'lock'"
    " AND l.created_at >= GREATEST($3::timestamptz, (SELECT MAX(created_at) FROM cases"
    " WHERE workspace = $1 AND user_id = $2 AND kind = 'pardon'))"
    " AND NOT EXISTS (SELECT 1 FROM cases u WHERE u.thread_key = l.thread_key"
    " AND u.kind = 'unlock' AND u.created_at >= l.created_at)"
)
CASE_COLUMNS = (
    "c.workspace, c.number, c.kind, c.user_id, c.actor, c.thread_key, c.category, c.priority,"
    " c.strikes, c.summary, e.text AS excerpts, c.refers_to, c.status, c.created_at,"
    " c.status_by, c.status_reason, c.status_at, c.signals, c.updated_at, c.pinged_at, c.post"
    " FROM cases c LEFT JOIN excerpts e ON e.id = c.excerpt_id"
)
CASE = f"SELECT {CASE_COLUMNS} WHERE c.workspace = $1 AND c.number = $2"
OWED_COLUMNS = "id, action, created_at, attempts, event_id"
OWED = f"SELECT {OWED_COLUMNS} FROM outbox WHERE status = 'owed' ORDER BY id"
# Unleased or expired, oldest first; rows another process is claiming right now are skipped.
CLAIM = (
    "WITH c AS (SELECT id FROM outbox WHERE status = 'owed'"
    " AND (lease_until IS NULL OR lease_until <= now()) ORDER BY id LIMIT $2"
    " FOR UPDATE SKIP LOCKED)"
    " UPDATE outbox o SET claimed_by = $1, lease_until = now() + $3::interval FROM c"
    f" WHERE o.id = c.id RETURNING o.{OWED_COLUMNS.replace(', ', ', o.')}"
)
ACTION_DONE = (
    "UPDATE outbox SET status = 'done', done_at = $1, outcome = $2, lease_until = NULL"
    " WHERE id = $3 AND status = 'owed'"
)
ACTION_FAILED = (
    "UPDATE outbox SET attempts = attempts + 1, last_error = $1,"
    " status = CASE WHEN $2 THEN 'given_up' ELSE status END,"
    " done_at = CASE WHEN $2 THEN $3 ELSE done_at END"
    " WHERE id = $4 AND status = 'owed'"
)
AUDIT_ROWS = (
    "SELECT a.seq, a.at, a.kind, a.actor, a.thread_key, a.data, a.excerpt_digest, a.prev_hash,"
    " a.hash, e.text AS excerpt FROM audit a LEFT JOIN excerpts e ON e.id = a.excerpt_id"
)
THREAD_LOCK_KEY = "hashtextextended('threadkeeper.thread:' || $1, 0)"
# Everything a turn reads before it decides, in one round trip: whether the event was decided,
# the thread's state, the author's recent locks (as RECENT_LOCKS) and, with $7, the thread's
# pending messages up to the event (as PENDING_IN_THREAD, as JSON), on every row; and one row per
# turn of the thread's newest $3 (as RECENT_TURNS from seq 0; the caller cuts at history_from),
# or one row of NULL turn columns when there are none.
TURN_READS = (
    "SELECT h.seen, h.state, h.locks, h.pending, r.* FROM (SELECT"
    " EXISTS (SELECT 1 FROM events WHERE event_id = $1) AS seen,"
    " (SELECT state FROM threads WHERE key = $2) AS state,"
    " (SELECT COUNT(*) FROM cases l WHERE l.workspace = $4 AND l.user_id = $5 AND l.kind = 'lock'"
    " AND l.created_at >= GREATEST($6::timestamptz, (SELECT MAX(created_at) FROM cases"
    " WHERE workspace = $4 AND user_id = $5 AND kind = 'pardon'))"
    " AND NOT EXISTS (SELECT 1 FROM cases u WHERE u.thread_key = l.thread_key"
    " AND u.kind = 'unlock' AND u.created_at >= l.created_at)) AS locks,"
    " CASE WHEN $7::boolean THEN (SELECT json_agg(json_build_object('seq', i.seq,"
    " 'event_id', i.event_id, 'thread_key', i.thread_key, 'payload', i.payload,"
    " 'attempts', i.attempts) ORDER BY i.seq) FROM inbox i WHERE i.thread_key = $2"
    " AND i.seq <= (SELECT seq FROM inbox WHERE event_id = $1)"
    " AND NOT EXISTS (SELECT 1 FROM events d WHERE d.event_id = i.event_id)) END AS pending) h"
    " LEFT JOIN LATERAL (SELECT t.seq, t.thread_key, t.role, t.author_id, t.author_name,"
    " e.text AS text, t.at, t.verdict, t.hidden, t.flagged, t.assessment"
    " FROM turns t LEFT JOIN excerpts e ON e.id = t.excerpt_id"
    " WHERE t.thread_key = $2 ORDER BY t.seq DESC LIMIT $3) r ON true"
)
