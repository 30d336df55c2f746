"""The PostgreSQL backend of the Store, for several bot processes on one database.

SQLite serves one process; a bot that outgrows it runs several processes on PostgreSQL, and every
guarantee of the single process must hold across them. They are kept by the database itself, not by
a protocol between processes:

- **Each event handled once**: `events.event_id` is a primary key; `commit` inserts it first with
  ON CONFLICT DO NOTHING and raises DuplicateEvent (writing nothing) when the row already existed.
  A second process committing the same event concurrently waits for the first and then finds it.
- **Cases numbered without gaps or duplicates** per workspace: a `case_counters` row per workspace
  is advanced with `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` inside the decision's
  transaction. The row stays locked until commit, and a rollback returns the numbers.
- **One audit chain**: each append first locks the `audit_head` row (SELECT ... FOR UPDATE), so
  appends from any number of processes are serialised and each links to the one before.
- Locks are always taken in one order (event, thread, case counters by workspace name, chain head),
  so concurrent decisions queue instead of deadlocking; a deadlock or serialisation failure all the
  same is retried a few times.

Two coordination primitives, beyond the Store protocol, for a runtime of several processes:

- `claim_owed_actions(owner, limit=, lease=)` takes owed actions with FOR UPDATE SKIP LOCKED and
  leases them to `owner` (by the database's clock) until done, given up, or the lease runs out. A
  process that dies mid-action leaves its lease to expire, and a live one then claims the action.
  A failed attempt that is not given up keeps its lease: the owner retries on its own schedule.
- `thread_lock(key)` is an async context manager holding a session-level advisory lock
  (`pg_advisory_lock(hashtextextended(...))`) on a connection of its own, so the turns of one
  thread are serialised across processes while other threads run. Lock connections come from a
  second, small pool (`lock_pool_size`), so holding locks can never starve the pool that commits.

Times are timestamptz; JSON is stored as TEXT exactly as written (see pg_migrations), and the chain
hashes `codec.time_to_json` of each time, the same string SQLite stores, so a chain copied between
the backends verifies on either side. A purge deletes excerpt rows and vacuums the table, but
PostgreSQL has no equivalent of SQLite's secure_delete: freed bytes stay on disk until reused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

# asyncpg ships no type information; the few calls used here are typed by the Protocols below.
import asyncpg  # type: ignore[import-untyped]

from bot.errors import StoreError
from bot.records import CASE_KINDS, Action, Case, CaseDraft, CaseKind, ThreadRef, ThreadState
from bot.store import codec
from bot.store.base import (
    AcceptedEvent,
    AuditEntry,
    AuditRecord,
    AuditReport,
    Committed,
    DuplicateEvent,
    OwedAction,
    Turn,
    TurnRecord,
    TurnRole,
    UsageRow,
)
from bot.store.chain import GENESIS, ChainItem, canonical_json, digest, numbered_case, record_hash
from bot.store.codec import THREAD_STATUSES
from bot.store.pg_migrations import migrate
from bot.store.sqlite import REVIEWING_KINDS, TURN_TEXT_CHARS

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often a decision is retried after a deadlock or a serialisation failure.
COMMIT_ATTEMPTS = 3

#: Errors of the driver and the connection that become StoreError.
_DB_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    UnicodeEncodeError,
)
#: Opening also fails on a URL the driver cannot parse.
_OPEN_ERRORS: tuple[type[BaseException], ...] = (*_DB_ERRORS, ValueError)
_RETRYABLE: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)


class Row(Protocol):
    """An asyncpg Record: by column name or position."""

    def __getitem__(self, key: str | int, /) -> Any: ...


class Conn(Protocol):
    """The part of an asyncpg connection this store uses."""

    async def execute(self, query: str, *args: Any) -> str: ...

    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None: ...

    async def fetch(self, query: str, *args: Any) -> list[Row]: ...

    async def fetchrow(self, query: str, *args: Any) -> Row | None: ...

    async def fetchval(self, query: str, *args: Any) -> Any: ...

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False
    ) -> AbstractAsyncContextManager[Any]: ...

    def cursor(self, query: str, *args: Any, prefetch: int | None = None) -> AsyncIterator[Row]: ...


class Pool(Protocol):
    """The part of an asyncpg pool this store uses."""

    def acquire(self) -> AbstractAsyncContextManager[Conn]: ...

    async def close(self) -> None: ...


# --- statements --------------------------------------------------------------------------------

_INSERT_EVENT = "INSERT INTO events (event_id, at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
_UPSERT_THREAD = (
    "INSERT INTO threads (key, status, owner, workspace, state, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (key) DO UPDATE SET status = excluded.status, owner = excluded.owner,"
    " workspace = excluded.workspace, state = excluded.state, updated_at = excluded.updated_at"
)
_INSERT_EXCERPT = "INSERT INTO excerpts (digest, text, at) VALUES ($1, $2, $3) RETURNING id"
# The turn and its text in one round trip; no excerpt row when the text is empty.
_INSERT_TURN = (
    "WITH e AS (INSERT INTO excerpts (digest, text, at) SELECT $12, $13, $5 WHERE $13 <> ''"
    " RETURNING id)"
    " INSERT INTO turns (thread_key, role, author_id, author_name, at, event_id, verdict,"
    " assessment, hidden, flagged, usage, excerpt_id)"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, (SELECT id FROM e)"
)
_NEXT_CASES = (
    "INSERT INTO case_counters AS c (workspace, last) VALUES ($1, $2)"
    " ON CONFLICT (workspace) DO UPDATE SET last = c.last + excluded.last RETURNING last"
)
_INSERT_CASE = (
    "INSERT INTO cases (workspace, number, kind, user_id, actor, thread_key, category, priority,"
    " strikes, summary, excerpt_id, refers_to, status, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13)"
)
_MARK_REVIEWED = (
    "UPDATE cases SET status = 'reviewed' WHERE workspace = $1 AND number = $2 AND status = 'open'"
)
# A fresh action is leased to the process that committed it, so another live process does not
# claim it while it is being carried out; if that process dies, the lease runs out.
_INSERT_OUTBOX = (
    "INSERT INTO outbox (action, status, created_at, event_id, claimed_by, lease_until)"
    " VALUES ($1, 'owed', $2, $3, $4, now() + $5::interval) RETURNING id"
)
#: How long a committing process holds its fresh actions before others may take them over.
COMMIT_LEASE = timedelta(minutes=5)
_LOCK_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
_AUDIT_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
_INSERT_AUDIT = (
    "INSERT INTO audit (seq, at, kind, actor, thread_key, data, excerpt_digest, excerpt_id,"
    " prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)
_SET_HEAD = "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1"
_EVENT_SEEN = "SELECT 1 FROM events WHERE event_id = $1"
# An accepted message is leased to its process like a fresh action (see _INSERT_OUTBOX).
_ACCEPT = (
    "INSERT INTO inbox (event_id, thread_key, payload, accepted_at, claimed_by, lease_until)"
    " SELECT $1, $2, $3, $4, $5, now() + $6::interval"
    " WHERE NOT EXISTS (SELECT 1 FROM events WHERE event_id = $1)"
    " ON CONFLICT (event_id) DO NOTHING"
)
_INBOX_COLUMNS = "seq, event_id, thread_key, payload, attempts"
# A row whose event is decided can exist here: a redelivery accepted while another process was
# committing that event's decision (READ COMMITTED: the accept's NOT EXISTS did not see it yet).
_PENDING_IN_THREAD = (
    f"SELECT {_INBOX_COLUMNS} FROM inbox i WHERE thread_key = $1"
    " AND seq <= (SELECT seq FROM inbox WHERE event_id = $2)"
    " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = i.event_id) ORDER BY seq"
)
_DROP_DECIDED = "DELETE FROM inbox i USING events e WHERE e.event_id = i.event_id"
_ACCEPTED = f"SELECT {_INBOX_COLUMNS} FROM inbox ORDER BY seq LIMIT $1"
_CLAIM_ACCEPTED = (
    "WITH c AS (SELECT seq FROM inbox WHERE lease_until IS NULL OR lease_until <= now()"
    " ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)"
    " UPDATE inbox i SET claimed_by = $1, lease_until = now() + $3::interval,"
    " attempts = i.attempts + 1 FROM c"
    " WHERE i.seq = c.seq RETURNING i.seq, i.event_id, i.thread_key, i.payload, i.attempts"
)
_FORGET = "DELETE FROM inbox WHERE event_id = $1"
# A live process renews the leases on everything it holds, so only a dead one's lapse.
_RENEW_INBOX = (
    "UPDATE inbox SET lease_until = now() + $2::interval"
    " WHERE claimed_by = $1 AND event_id = ANY($3::text[])"
)
_RENEW_OUTBOX = (
    "UPDATE outbox SET lease_until = now() + $2::interval"
    " WHERE claimed_by = $1 AND status = 'owed' AND id = ANY($3::bigint[])"
)
_RELEASE_INBOX = "UPDATE inbox SET lease_until = now() WHERE claimed_by = $1"
_RELEASE_OUTBOX = "UPDATE outbox SET lease_until = now() WHERE claimed_by = $1 AND status = 'owed'"
_HAS_ACCEPTED = "SELECT 1 FROM inbox WHERE thread_key = $1 LIMIT 1"
_LOAD_THREAD = "SELECT state FROM threads WHERE key = $1"
_RECENT_TURNS = (
    "SELECT t.seq, t.thread_key, t.role, t.author_id, t.author_name, e.text AS text, t.at,"
    " t.verdict, t.hidden, t.flagged, t.assessment"
    " FROM turns t LEFT JOIN excerpts e ON e.id = t.excerpt_id"
    " WHERE t.thread_key = $1 AND t.seq >= $2 ORDER BY t.seq DESC LIMIT $3"
)
# A lock a moderator later reversed (an unlock of the same thread) no longer counts. GREATEST
# ignores NULL, so a user never pardoned counts from `since`.
_RECENT_LOCKS = (
    "SELECT COUNT(*) FROM cases l WHERE l.workspace = $1 AND l.user_id = $2 AND l.kind = 'lock'"
    " AND l.created_at >= GREATEST($3::timestamptz, (SELECT MAX(created_at) FROM cases"
    " WHERE workspace = $1 AND user_id = $2 AND kind = 'pardon'))"
    " AND NOT EXISTS (SELECT 1 FROM cases u WHERE u.thread_key = l.thread_key"
    " AND u.kind = 'unlock' AND u.created_at >= l.created_at)"
)
_CASE_COLUMNS = (
    "c.workspace, c.number, c.kind, c.user_id, c.actor, c.thread_key, c.category, c.priority,"
    " c.strikes, c.summary, e.text AS excerpts, c.refers_to, c.status, c.created_at"
    " FROM cases c LEFT JOIN excerpts e ON e.id = c.excerpt_id"
)
_CASE = f"SELECT {_CASE_COLUMNS} WHERE c.workspace = $1 AND c.number = $2"
_OWED_COLUMNS = "id, action, created_at, attempts, event_id"
_OWED = f"SELECT {_OWED_COLUMNS} FROM outbox WHERE status = 'owed' ORDER BY id"
# Unleased or expired, oldest first; rows another process is claiming right now are skipped.
_CLAIM = (
    "WITH c AS (SELECT id FROM outbox WHERE status = 'owed'"
    " AND (lease_until IS NULL OR lease_until <= now()) ORDER BY id LIMIT $2"
    " FOR UPDATE SKIP LOCKED)"
    " UPDATE outbox o SET claimed_by = $1, lease_until = now() + $3::interval FROM c"
    f" WHERE o.id = c.id RETURNING o.{_OWED_COLUMNS.replace(', ', ', o.')}"
)
_ACTION_DONE = (
    "UPDATE outbox SET status = 'done', done_at = $1, outcome = $2, lease_until = NULL"
    " WHERE id = $3 AND status = 'owed'"
)
_ACTION_FAILED = (
    "UPDATE outbox SET attempts = attempts + 1, last_error = $1,"
    " status = CASE WHEN $2 THEN 'given_up' ELSE status END,"
    " done_at = CASE WHEN $2 THEN $3 ELSE done_at END"
    " WHERE id = $4 AND status = 'owed'"
)
_AUDIT_ROWS = (
    "SELECT a.seq, a.at, a.kind, a.actor, a.thread_key, a.data, a.excerpt_digest, a.prev_hash,"
    " a.hash, e.text AS excerpt FROM audit a LEFT JOIN excerpts e ON e.id = a.excerpt_id"
)
_THREAD_LOCK_KEY = "hashtextextended('threadkeeper.thread:' || $1, 0)"


@dataclass(frozen=True, slots=True)
class _Decision:
    """A decision checked and serialised, ready to be written in one transaction."""

    at: datetime
    event_id: str | None
    thread_row: tuple[Any, ...] | None
    turn_rows: list[tuple[Any, ...]]
    drafts: list[CaseDraft]
    draft_excerpts: list[str | None]
    actions: Sequence[Action]
    entries: list[ChainItem]
    #: Owed actions (id, outcome) this write also marks done.
    done: list[tuple[int, str]] = field(default_factory=list)
    owner: str = ""
    lease: timedelta = COMMIT_LEASE


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _clean(text: str) -> str:
    """Text PostgreSQL can store: a lone surrogate or a NUL character becomes '?'."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "?")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(status: str) -> int:
    """The row count of a command status such as 'INSERT 0 1' or 'DELETE 3'."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0


def redact(url: str) -> str:
    """The URL with any password replaced by ***, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def is_postgres_url(value: str) -> bool:
    """True for a postgresql:// (or postgres://) URL."""
    return value.startswith(("postgresql://", "postgres://"))


class _StatelessConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """A main-pool connection: skips the reset query asyncpg sends on every release.

    The store leaves no session state on these connections (no SET, LISTEN, cursor or session
    advisory lock: thread locks live in the lock pool, which keeps the reset), so the reset round
    trip bought nothing and cost about a fifth of all statements per turn (bench/RESULTS.md). An
    open transaction is still rolled back on release: asyncpg does that whatever this returns.
    """

    def get_reset_query(self) -> str:
        return ""


class PostgresStore:
    """The Store protocol on an asyncpg pool, safe for several processes on one database."""

    def __init__(
        self,
        url: str,
        *,
        excerpt_chars: int = 300,
        pool_size: int = 10,
        lock_pool_size: int = 10,
        lease: timedelta = COMMIT_LEASE,
    ) -> None:
        if excerpt_chars < 1:
            raise ValueError("excerpt_chars must be at least 1")
        if not is_postgres_url(url):
            raise ValueError(f"not a postgresql:// URL: {redact(url)}")
        self.url = url
        #: Who this process is, for the leases on the owed actions it commits and claims.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.excerpt_chars = excerpt_chars
        self.pool_size = pool_size
        self.lock_pool_size = lock_pool_size
        if lease <= timedelta(0):
            raise ValueError("a lease must be longer than zero")
        #: How long the accepting or committing process holds a message or a fresh action
        #: before a live process may take it over (it is presumed dead by then).
        self.lease = lease
        self._pool: Pool | None = None
        self._lock_pool: Pool | None = None
        self._opening = asyncio.Lock()

    def __repr__(self) -> str:
        return f"PostgresStore({redact(self.url)!r})"

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> None:
        """Create the connection pool and apply migrations."""
        async with self._opening:
            if self._pool is None:
                self._pool = await self._connect()

    async def _create_pool(self, min_size: int, max_size: int, *, reset: bool = True) -> Pool:
        pool = await asyncpg.create_pool(
            self.url,
            min_size=min_size,
            max_size=max_size,
            connection_class=asyncpg.Connection if reset else _StatelessConnection,
        )
        return cast(Pool, pool)

    async def _connect(self) -> Pool:
        where = redact(self.url)
        try:
            pool = await self._create_pool(1, self.pool_size, reset=False)
        except _OPEN_ERRORS as exc:
            raise StoreError(f"cannot open the database at {where}: {exc}") from exc
        try:
            async with pool.acquire() as conn, conn.transaction():
                applied = await migrate(conn, db_name=f"the database at {where}")
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, _DB_ERRORS):
                raise StoreError(f"cannot open the database at {where}: {exc}") from exc
            raise
        if applied:
            log.info("database %s: applied migrations %s", where, applied)
        return pool

    async def close(self) -> None:
        """Close both pools, waiting for connections in use to be released."""
        async with self._opening:
            pools = [p for p in (self._lock_pool, self._pool) if p is not None]
            self._pool = self._lock_pool = None
            for pool in pools:
                try:
                    await pool.close()
                except _DB_ERRORS:
                    log.debug("closing a pool failed", exc_info=True)

    def _ready(self, what: str) -> Pool:
        if self._pool is None:
            raise StoreError(f"could not {what}: the store at {redact(self.url)} is not open")
        return self._pool

    @asynccontextmanager
    async def _connection(self, what: str) -> AsyncIterator[Conn]:
        """A pooled connection; driver errors become StoreError naming `what`."""
        pool = self._ready(what)
        try:
            async with pool.acquire() as conn:
                yield conn
        except _DB_ERRORS as exc:
            raise StoreError(f"could not {what}: {exc}") from exc

    async def _read(self, what: str, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run `fn` on a pooled connection outside any explicit transaction."""
        async with self._connection(what) as conn:
            return await fn(conn)

    async def _write(self, what: str, fn: Callable[[Conn], Awaitable[T]], retries: int = 1) -> T:
        """Run `fn` in one transaction: all of it is written, or none of it."""
        pool = self._ready(what)
        for attempt in range(1, retries + 1):
            try:
                async with pool.acquire() as conn, conn.transaction():
                    return await fn(conn)
            except _RETRYABLE as exc:
                if attempt == retries:
                    raise StoreError(f"could not {what}: {exc}; nothing was written") from exc
                log.info("%s: %s; retrying (attempt %d)", what, exc, attempt + 1)
            except _DB_ERRORS as exc:
                raise StoreError(f"could not {what}: {exc}; nothing was written") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # --- the decision --------------------------------------------------------------------------

    async def event_seen(self, event_id: str) -> bool:
        """True when a decision for this platform event id was already committed."""

        async def read(conn: Conn) -> bool:
            return await conn.fetchval(_EVENT_SEEN, event_id) is not None

        return await self._read("look up an event", read)

    # --- the inbox ---------------------------------------------------------------------------

    async def accept_event(
        self, event_id: str, *, thread_key: str, payload: str, at: datetime
    ) -> bool:
        """Write a message down (leased to this process); False if accepted or decided before."""
        when = self._time(at)

        async def write(conn: Conn) -> bool:
            status = await conn.execute(
                _ACCEPT, event_id, thread_key, _clean(payload), when, self.owner, self.lease
            )
            return _count(status) > 0

        return await self._write(f"accept event {event_id}", write, retries=3)

    async def pending_in_thread(self, thread_key: str, event_id: str) -> list[AcceptedEvent] | None:
        """The thread's undecided messages up to `event_id`; None when it is no longer pending."""

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(_PENDING_IN_THREAD, thread_key, event_id)

        rows = await self._read(f"read the inbox of thread {thread_key}", read)
        found = [AcceptedEvent.from_row(row) for row in rows]
        return found if found and found[-1].event_id == event_id else None

    async def has_accepted(self, thread_key: str) -> bool:
        """Whether the thread has an undecided message."""

        async def read(conn: Conn) -> bool:
            return await conn.fetchval(_HAS_ACCEPTED, thread_key) is not None

        return await self._read(f"read the inbox of thread {thread_key}", read)

    async def forget_event(self, event_id: str) -> None:
        """Drop an accepted message that was handled without a decision."""

        async def write(conn: Conn) -> None:
            await conn.execute(_FORGET, event_id)

        await self._write(f"forget event {event_id}", write)

    async def accepted_events(self, *, limit: int = 1000) -> list[AcceptedEvent]:
        """Every undecided message, oldest first (leased ones included)."""

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(_ACCEPTED, limit)

        return [AcceptedEvent.from_row(row) for row in await self._read("read the inbox", read)]

    async def claim_accepted(
        self, owner: str, *, limit: int, lease: timedelta
    ) -> list[AcceptedEvent]:
        """Lease up to `limit` undecided messages whose process's lease ran out to `owner`."""
        if limit < 1:
            return []
        if lease <= timedelta(0):
            raise ValueError("a lease must be longer than zero")

        async def claim(conn: Conn) -> list[Row]:
            await conn.execute(_DROP_DECIDED)
            return await conn.fetch(_CLAIM_ACCEPTED, owner, limit, lease)

        rows = await self._write(f"claim accepted events for {owner}", claim)
        return sorted((AcceptedEvent.from_row(row) for row in rows), key=lambda e: e.seq)

    async def renew_leases(self, *, events: Sequence[str], actions: Sequence[int]) -> int:
        """Extend this process's leases on the messages and actions it is working on; how many.

        Called well within each lease (every `storage.sweep_seconds`) with what the runtime is
        deciding or carrying out right now, so a live process's work is not taken over however
        long a turn takes, while what it holds and no longer works on (a turn that failed on a
        store error) lapses and is claimed again by a sweep, this process's own included.
        """
        if not events and not actions:
            return 0

        async def write(conn: Conn) -> int:
            a = _count(await conn.execute(_RENEW_INBOX, self.owner, self.lease, list(events)))
            b = await conn.execute(_RENEW_OUTBOX, self.owner, self.lease, list(actions))
            return a + _count(b)

        return await self._write("renew leases", write)

    async def release_leases(self) -> int:
        """On a clean stop: give up this process's leases now, so the next process need not wait."""

        async def write(conn: Conn) -> int:
            a = _count(await conn.execute(_RELEASE_INBOX, self.owner))
            return a + _count(await conn.execute(_RELEASE_OUTBOX, self.owner))

        return await self._write("release leases", write)

    # --- the decision, continued -----------------------------------------------------------

    async def load_thread(self, key: str) -> ThreadState | None:
        """The thread's state, or None when the bot does not host that thread."""

        async def read(conn: Conn) -> str | None:
            value = await conn.fetchval(_LOAD_THREAD, key)
            return None if value is None else str(value)

        state = await self._read(f"load thread {key}", read)
        if state is None:
            return None
        try:
            return codec.thread_state_from_json(json.loads(state))
        except ValueError as exc:
            raise StoreError(f"the stored state of thread {key} does not load: {exc}") from exc

    async def commit(
        self,
        *,
        at: datetime,
        event_id: str | None,
        state: ThreadState | None,
        turns: Sequence[TurnRecord] = (),
        cases: Sequence[CaseDraft] = (),
        actions: Sequence[Action] = (),
        audit: Sequence[AuditEntry] = (),
        done: Sequence[tuple[int, str]] = (),
    ) -> Committed:
        """Write one decision atomically; raise DuplicateEvent if `event_id` was seen before."""
        try:
            decision = self._prepare(at, event_id, state, turns, cases, actions, audit)
            decision = replace(decision, done=[(i, _clean(o)) for i, o in done])
        except (ValueError, TypeError) as exc:
            raise StoreError(f"cannot commit this decision: {exc}; nothing was written") from exc

        async def body(conn: Conn) -> Committed:
            return await self._commit(conn, decision)

        return await self._write("commit a decision", body, retries=COMMIT_ATTEMPTS)

    def _prepare(
        self,
        at: datetime,
        event_id: str | None,
        state: ThreadState | None,
        turns: Sequence[TurnRecord],
        cases: Sequence[CaseDraft],
        actions: Sequence[Action],
        audit: Sequence[AuditEntry],
    ) -> _Decision:
        when = codec.time_from_json(codec.time_to_json(at))
        drafts = [self._trim_draft(d) for d in cases]
        for action in actions:
            if action.case_ref is not None and not 0 <= action.case_ref < len(drafts):
                raise ValueError(
                    f"a {action.kind} action refers to case {action.case_ref} of a decision "
                    f"that opens {len(drafts)} case(s)"
                )
        thread_row = None
        if state is not None:
            thread_row = (
                state.ref.key,
                state.status,
                state.owner,
                state.ref.workspace,
                _json(codec.thread_state_to_json(state)),
                when,
            )
        return _Decision(
            owner=self.owner,
            lease=self.lease,
            at=when,
            event_id=event_id,
            thread_row=thread_row,
            turn_rows=[self._turn_row(t) for t in turns],
            drafts=drafts,
            draft_excerpts=[_json(list(d.excerpts)) if d.excerpts else None for d in drafts],
            actions=actions,
            entries=[
                ChainItem(
                    kind=e.kind,
                    actor=e.actor,
                    thread_key=e.thread_key,
                    data_json=canonical_json(dict(e.data)),
                    excerpt=None if e.excerpt is None else _clean(e.excerpt),
                )
                for e in audit
            ],
        )

    @staticmethod
    def _turn_row(turn: TurnRecord) -> tuple[Any, ...]:
        at = codec.time_from_json(codec.time_to_json(turn.at))
        text = _clean(turn.text[:TURN_TEXT_CHARS])
        return (
            turn.thread_key,
            turn.role,
            turn.author_id,
            turn.author_name,
            at,
            turn.event_id,
            turn.verdict,
            None if turn.assessment is None else _json(codec.assessment_to_json(turn.assessment)),
            turn.hidden,
            turn.flagged,
            _json(dict(turn.usage)),
            digest(text),
            text,
        )

    def _trim_draft(self, draft: CaseDraft) -> CaseDraft:
        if draft.kind not in CASE_KINDS:
            raise ValueError(f"unknown case kind {draft.kind!r}")
        return replace(
            draft,
            summary=_clean(draft.summary),
            excerpts=tuple(_cut(_clean(e), self.excerpt_chars) for e in draft.excerpts),
        )

    @staticmethod
    async def _commit(conn: Conn, d: _Decision) -> Committed:
        """The body of `commit`, inside its transaction."""
        if d.event_id is not None and not _count(
            await conn.execute(_INSERT_EVENT, d.event_id, d.at)
        ):
            raise DuplicateEvent(f"event {d.event_id} was already committed")
        if d.event_id is not None:
            await conn.execute(_FORGET, d.event_id)
        if d.thread_row is not None:
            await conn.execute(_UPSERT_THREAD, *d.thread_row)
        for row in d.turn_rows:
            await conn.execute(_INSERT_TURN, *row)

        # Take every workspace's numbers up front, in name order (see the module docstring).
        wanted: dict[str, int] = {}
        for draft in d.drafts:
            wanted[draft.workspace] = wanted.get(draft.workspace, 0) + 1
        next_number: dict[str, int] = {}
        for workspace in sorted(wanted):
            last = await conn.fetchval(_NEXT_CASES, workspace, wanted[workspace])
            next_number[workspace] = int(last) - wanted[workspace] + 1

        numbered: list[Case] = []
        chain: list[ChainItem] = []
        for draft, excerpt in zip(d.drafts, d.draft_excerpts, strict=True):
            number = next_number[draft.workspace]
            next_number[draft.workspace] = number + 1
            case, item = await PostgresStore._insert_case(conn, draft, number, excerpt, d.at)
            numbered.append(case)
            chain.append(item)

        owed: list[OwedAction] = []
        for action in d.actions:
            if action.case_ref is not None:
                action = replace(action, case=numbered[action.case_ref].number, case_ref=None)
            action_id = await conn.fetchval(
                _INSERT_OUTBOX,
                _json(codec.action_to_json(action)),
                d.at,
                d.event_id,
                d.owner,
                d.lease,
            )
            owed.append(
                OwedAction(id=int(action_id), action=action, created_at=d.at, event_id=d.event_id)
            )

        for item in d.entries:
            if item.excerpt is not None:
                text_digest = digest(item.excerpt)
                excerpt_id = await conn.fetchval(_INSERT_EXCERPT, text_digest, item.excerpt, d.at)
                item = replace(item, excerpt_id=int(excerpt_id), excerpt_digest=text_digest)
            chain.append(item)
        if chain:
            await _append(conn, d.at, chain)
        for action_id, outcome in d.done:
            if not _count(await conn.execute(_ACTION_DONE, d.at, outcome, action_id)):
                await PostgresStore._not_owed(conn, action_id, "done")
        return Committed(cases=tuple(numbered), actions=tuple(owed))

    @staticmethod
    async def _insert_case(
        conn: Conn, draft: CaseDraft, number: int, excerpt: str | None, at: datetime
    ) -> tuple[Case, ChainItem]:
        excerpt_id = excerpt_digest = None
        if excerpt is not None:
            excerpt_digest = digest(excerpt)
            excerpt_id = int(await conn.fetchval(_INSERT_EXCERPT, excerpt_digest, excerpt, at))
        thread_key = draft.thread.key if draft.thread is not None else None
        await conn.execute(
            _INSERT_CASE,
            draft.workspace,
            number,
            draft.kind,
            draft.user_id,
            draft.actor,
            thread_key,
            draft.category,
            draft.priority,
            draft.strikes,
            draft.summary,
            excerpt_id,
            draft.refers_to,
            at,
        )
        if draft.refers_to is not None and draft.kind in REVIEWING_KINDS:
            marked = _count(await conn.execute(_MARK_REVIEWED, draft.workspace, draft.refers_to))
            if not marked:
                log.info(
                    "case %d (%s) refers to case %d in %s, which is not open",
                    number,
                    draft.kind,
                    draft.refers_to,
                    draft.workspace,
                )
        return numbered_case(
            draft,
            number=number,
            at=at,
            excerpt_id=excerpt_id,
            excerpt_digest=excerpt_digest,
        )

    # --- the outbox ----------------------------------------------------------------------------

    async def owed_actions(self) -> list[OwedAction]:
        """Actions committed but not yet done or given up, oldest first (leased ones included)."""

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(_OWED)

        return [_owed(row) for row in await self._read("list owed actions", read)]

    async def claim_owed_actions(
        self, owner: str, *, limit: int, lease: timedelta
    ) -> list[OwedAction]:
        """Lease up to `limit` owed actions nobody holds (or whose lease ran out) to `owner`."""
        if limit < 1:
            return []
        if lease <= timedelta(0):
            raise ValueError("a lease must be longer than zero")

        async def claim(conn: Conn) -> list[Row]:
            return await conn.fetch(_CLAIM, owner, limit, lease)

        rows = await self._write(f"claim owed actions for {owner}", claim)
        return sorted((_owed(row) for row in rows), key=lambda a: a.id)

    async def action_done(self, action_id: int, *, at: datetime, outcome: str = "") -> None:
        """Mark an owed action carried out."""
        when = self._time(at)

        async def write(conn: Conn) -> None:
            if not _count(await conn.execute(_ACTION_DONE, when, _clean(outcome), action_id)):
                await self._not_owed(conn, action_id, "done")

        await self._write(f"mark action {action_id} done", write)

    async def action_failed(
        self, action_id: int, *, at: datetime, error: str, give_up: bool
    ) -> None:
        """Count a failed attempt; with `give_up` the action is no longer owed."""
        when = self._time(at)

        async def write(conn: Conn) -> None:
            status = await conn.execute(_ACTION_FAILED, _clean(error), give_up, when, action_id)
            if not _count(status):
                await self._not_owed(conn, action_id, "failed")

        await self._write(f"record a failure of action {action_id}", write)

    @staticmethod
    async def _not_owed(conn: Conn, action_id: int, what: str) -> None:
        status = await conn.fetchval("SELECT status FROM outbox WHERE id = $1", action_id)
        if status is None:
            raise StoreError(f"there is no action {action_id} in the outbox")
        # A retry racing a success, or a restart repeating one: harmless, and worth a trace.
        log.info("action %d reported %s but is already %s; ignored", action_id, what, status)

    # --- coordination --------------------------------------------------------------------------

    @asynccontextmanager
    async def thread_lock(self, key: str) -> AsyncIterator[None]:
        """Hold the thread's advisory lock (across processes) for the body of the `async with`."""
        pool = await self._lock_pool_ready()
        async with AsyncExitStack() as stack:
            try:
                conn = await stack.enter_async_context(pool.acquire())
                await conn.execute(f"SELECT pg_advisory_lock({_THREAD_LOCK_KEY})", key)
            except _DB_ERRORS as exc:
                raise StoreError(f"could not lock thread {key}: {exc}") from exc
            try:
                yield
            finally:
                try:
                    await conn.execute(f"SELECT pg_advisory_unlock({_THREAD_LOCK_KEY})", key)
                except _DB_ERRORS:
                    # The connection is broken, so the server has dropped its locks; and the
                    # pool's reset on release unlocks everything a connection still holds.
                    log.warning("could not unlock thread %s", key, exc_info=True)

    async def _lock_pool_ready(self) -> Pool:
        self._ready("lock a thread")
        async with self._opening:
            if self._lock_pool is None:
                try:
                    self._lock_pool = await self._create_pool(0, self.lock_pool_size)
                except _DB_ERRORS as exc:
                    raise StoreError(f"could not open the lock pool: {exc}") from exc
            return self._lock_pool

    # --- reading back --------------------------------------------------------------------------

    async def threads(
        self, *, platform: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[ThreadState]:
        """Hosted threads, most recently changed first."""
        where: list[str] = []
        params: list[Any] = []
        if platform is not None:
            # Keys start "platform:"; ';' sorts right after ':' (COLLATE "C"): a range on the key.
            params += [f"{platform}:", f"{platform};"]
            where.append(f"key >= ${len(params) - 1} AND key < ${len(params)}")
        if status is not None:
            params.append(status)
            where.append(f"status = ${len(params)}")
        sql = "SELECT key, state FROM threads"
        if where:
            sql += " WHERE " + " AND ".join(where)
        params.append(limit)
        sql += f" ORDER BY updated_at DESC, key LIMIT ${len(params)}"

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(sql, *params)

        states = []
        for row in await self._read("list threads", read):
            try:
                states.append(codec.thread_state_from_json(json.loads(row["state"])))
            except ValueError as exc:
                raise StoreError(
                    f"the stored state of thread {row['key']} does not load: {exc}"
                ) from exc
        return states

    async def recent_turns(self, thread_key: str, *, limit: int, from_seq: int = 0) -> list[Turn]:
        """The thread's last `limit` turns from `from_seq` on, oldest first (hidden included)."""

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(_RECENT_TURNS, thread_key, from_seq, limit)

        rows = await self._read(f"read the turns of {thread_key}", read)
        return [_turn(row) for row in reversed(rows)]

    async def user_turns(self, user_id: str, *, limit: int = 100_000) -> list[Turn]:
        """Every stored message this user wrote, oldest first (for a data export)."""
        sql = _RECENT_TURNS.split(" WHERE ")[0] + (
            " WHERE t.author_id = $1 AND t.role = 'user' ORDER BY t.seq LIMIT $2"
        )

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(sql, user_id, limit)

        return [_turn(row) for row in await self._read("read a user's turns", read)]

    async def usage(self, *, since: datetime | None = None) -> list[UsageRow]:
        """Turns that recorded model usage, oldest first."""
        floor = self._time(since) if since is not None else None

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(
                "SELECT thread_key, at, usage FROM turns WHERE usage <> '{}'"
                " AND ($1::timestamptz IS NULL OR at >= $1) ORDER BY at, seq",
                floor,
            )

        rows = await self._read("read usage", read)
        return [
            UsageRow(thread_key=row["thread_key"], at=row["at"], usage=json.loads(row["usage"]))
            for row in rows
        ]

    async def recent_locks(self, *, workspace: str, user_id: str, since: datetime) -> int:
        """Locks of this user's threads since `since` and since their last pardon."""
        floor = self._time(since)

        async def read(conn: Conn) -> int:
            return int(await conn.fetchval(_RECENT_LOCKS, workspace, user_id, floor))

        return await self._read("count recent locks", read)

    async def case(self, *, workspace: str, number: int) -> Case | None:
        """One case by its number in a workspace."""

        async def read(conn: Conn) -> Row | None:
            return await conn.fetchrow(_CASE, workspace, number)

        row = await self._read(f"read case {number}", read)
        return None if row is None else _case(row)

    async def cases(
        self,
        *,
        workspace: str | None = None,
        kinds: Sequence[CaseKind] = (),
        open_only: bool = False,
        user_id: str | None = None,
        limit: int = 50,
    ) -> list[Case]:
        """Cases, newest first, filtered."""
        where: list[str] = []
        params: list[Any] = []
        if workspace is not None:
            params.append(workspace)
            where.append(f"c.workspace = ${len(params)}")
        if user_id is not None:
            params.append(user_id)
            where.append(f"c.user_id = ${len(params)}")
        if kinds:
            params.append(list(kinds))
            where.append(f"c.kind = ANY(${len(params)}::text[])")
        if open_only:
            where.append("c.status = 'open'")
        sql = f"SELECT {_CASE_COLUMNS}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        params.append(limit)
        sql += f" ORDER BY c.created_at DESC, c.workspace, c.number DESC LIMIT ${len(params)}"

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(sql, *params)

        return [_case(row) for row in await self._read("list cases", read)]

    # --- the audit chain -----------------------------------------------------------------------

    async def audit_records(self, *, since: datetime | None = None) -> list[AuditRecord]:
        """Audit records in chain order, with their excerpts where not purged."""
        floor = self._time(since) if since is not None else None

        async def read(conn: Conn) -> list[Row]:
            return await conn.fetch(
                _AUDIT_ROWS + " WHERE ($1::timestamptz IS NULL OR a.at >= $1) ORDER BY a.seq",
                floor,
            )

        return [_audit_record(row) for row in await self._read("read the audit log", read)]

    async def verify_audit(self) -> AuditReport:
        """Walk the chain and report the first edited, removed or reordered record.

        `records` counts the records found sound (all of them when `ok`). A chain whose newest
        records were removed together with a rewritten head cannot be told from a shorter chain;
        an exported head hash kept elsewhere can.
        """

        async def walk(conn: Conn) -> AuditReport:
            # One snapshot, so another process appending cannot confuse the walk.
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                return await walk_chain(conn)

        return await self._read("verify the audit log", walk)

    async def purge_excerpts(self, *, before: datetime) -> int:
        """Delete message texts older than `before`; the chain and case metadata stay verifiable."""
        when = self._time(before)

        async def purge(conn: Conn) -> int:
            return _count(await conn.execute("DELETE FROM excerpts WHERE at < $1", when))

        deleted = await self._write("purge excerpts", purge)
        if deleted:
            try:
                # Dead row versions keep the text readable to the server until vacuumed.
                await self._read("vacuum excerpts", lambda conn: conn.execute("VACUUM excerpts"))
            except StoreError:
                log.warning("could not vacuum excerpts after a purge", exc_info=True)
        log.info("purged %d excerpt(s) older than %s", deleted, codec.time_to_json(when))
        return deleted

    # --- for the CLI ---------------------------------------------------------------------------

    async def stats(self) -> dict[str, int]:
        """Counts for the CLI: threads by status, cases by kind, the outbox, the audit log."""
        out: dict[str, int] = {f"threads.{s}": 0 for s in THREAD_STATUSES}
        out.update({f"cases.{k}": 0 for k in CASE_KINDS})
        out.update({"actions.owed": 0, "actions.given_up": 0, "audit.records": 0})

        async def read(conn: Conn) -> None:
            for row in await conn.fetch("SELECT status, COUNT(*) FROM threads GROUP BY status"):
                out[f"threads.{row[0]}"] = int(row[1])
            for row in await conn.fetch("SELECT kind, COUNT(*) FROM cases GROUP BY kind"):
                out[f"cases.{row[0]}"] = int(row[1])
            for row in await conn.fetch(
                "SELECT status, COUNT(*) FROM outbox WHERE status <> 'done' GROUP BY status"
            ):
                out[f"actions.{row[0]}"] = int(row[1])
            for row in await conn.fetch("SELECT seq FROM audit_head"):
                out["audit.records"] = int(row[0])

        await self._read("count for stats", read)
        return out

    @staticmethod
    def _time(value: datetime) -> datetime:
        try:
            return codec.time_from_json(codec.time_to_json(value))
        except ValueError as exc:
            raise StoreError(str(exc)) from exc


# --- rows to records ---------------------------------------------------------------------------


async def _append(conn: Conn, at: datetime, items: Sequence[ChainItem]) -> None:
    """Append `items` to the chain under the head row's lock (held until the commit)."""
    head = await conn.fetchrow(_LOCK_HEAD)
    if head is None:
        raise StoreError("the audit chain head is missing; run `audit verify`")
    seq, prev = int(head["seq"]), str(head["hash"])
    when = codec.time_to_json(at)
    rows = []
    for item in items:
        seq += 1
        # Hash what verify will read back (the stored JSON, parsed), not the caller's objects.
        hashed = record_hash(
            prev_hash=prev,
            seq=seq,
            at=when,
            kind=item.kind,
            actor=item.actor,
            thread_key=item.thread_key,
            data=json.loads(item.data_json),
            excerpt_digest=item.excerpt_digest,
        )
        rows.append(
            (
                seq,
                at,
                item.kind,
                item.actor,
                item.thread_key,
                item.data_json,
                item.excerpt_digest,
                item.excerpt_id,
                prev,
                hashed,
            )
        )
        prev = hashed
    await conn.executemany(_INSERT_AUDIT, rows)
    await conn.execute(_SET_HEAD, seq, prev)


async def walk_chain(conn: Conn) -> AuditReport:
    """Verify the chain on `conn`, which must be inside a transaction (the cursor needs one)."""
    head = await conn.fetchrow(_AUDIT_HEAD)
    good, prev = 0, GENESIS
    async for row in conn.cursor(_AUDIT_ROWS + " ORDER BY a.seq", prefetch=500):
        seq = int(row["seq"])
        if seq != good + 1 or row["prev_hash"] != prev:
            return _broken(good, good + 1, f"record {good + 1} is missing or out of order")
        if _row_hash(row) != row["hash"]:
            return _broken(good, seq, f"record {seq} was changed")
        excerpt = row["excerpt"]
        if excerpt is not None and digest(excerpt) != row["excerpt_digest"]:
            return _broken(good, seq, f"the excerpt of record {seq} was changed")
        good, prev = good + 1, row["hash"]
    if head is None:
        return _broken(good, None, "the chain head is missing")
    if head["seq"] > good:
        return _broken(good, good + 1, f"record {good + 1} is missing or out of order")
    if head["seq"] != good or head["hash"] != prev:
        return _broken(good, good, f"the chain head does not match record {good}")
    return AuditReport(ok=True, records=good)


def _row_hash(row: Row) -> str:
    """The hash a stored record should have; "" when its data is not even JSON."""
    try:
        data = json.loads(row["data"])
    except ValueError:
        return ""
    return record_hash(
        prev_hash=row["prev_hash"],
        seq=int(row["seq"]),
        at=codec.time_to_json(row["at"]),
        kind=row["kind"],
        actor=row["actor"],
        thread_key=row["thread_key"],
        data=data,
        excerpt_digest=row["excerpt_digest"],
    )


def _broken(good: int, seq: int | None, problem: str) -> AuditReport:
    return AuditReport(ok=False, records=good, seq=seq, problem=problem)


def _owed(row: Row) -> OwedAction:
    try:
        action = codec.action_from_json(json.loads(row["action"]))
    except ValueError as exc:
        raise StoreError(f"owed action {row['id']} does not load: {exc}") from exc
    return OwedAction(
        id=int(row["id"]),
        action=action,
        created_at=row["created_at"],
        attempts=int(row["attempts"]),
        event_id=row["event_id"],
    )


def _turn(row: Row) -> Turn:
    assessment = row["assessment"]
    try:
        return Turn(
            seq=int(row["seq"]),
            thread_key=row["thread_key"],
            role=cast(TurnRole, row["role"]),
            author_id=row["author_id"],
            author_name=row["author_name"],
            text=row["text"] or "",
            at=row["at"],
            verdict=row["verdict"],
            hidden=bool(row["hidden"]),
            flagged=bool(row["flagged"]),
            assessment=None
            if assessment is None
            else codec.assessment_from_json(json.loads(assessment)),
        )
    except ValueError as exc:
        raise StoreError(f"turn {row['seq']} does not load: {exc}") from exc


def _case(row: Row) -> Case:
    thread_key, excerpts = row["thread_key"], row["excerpts"]
    data: dict[str, Any] = {
        "workspace": row["workspace"],
        "number": row["number"],
        "kind": row["kind"],
        "user_id": row["user_id"],
        "actor": row["actor"],
        "thread": None
        if thread_key is None
        else codec.thread_ref_to_json(ThreadRef.from_key(thread_key)),
        "category": row["category"],
        "priority": bool(row["priority"]),
        "strikes": row["strikes"],
        "summary": row["summary"],
        "refers_to": row["refers_to"],
        "status": row["status"],
        "created_at": codec.time_to_json(row["created_at"]),
    }
    try:
        data["excerpts"] = [] if excerpts is None else json.loads(excerpts)
        return codec.case_from_json(data)
    except ValueError as exc:
        raise StoreError(
            f"case {row['number']} in {row['workspace']} does not load: {exc}"
        ) from exc


def _audit_record(row: Row) -> AuditRecord:
    try:
        return AuditRecord(
            seq=int(row["seq"]),
            at=row["at"],
            kind=row["kind"],
            actor=row["actor"],
            thread_key=row["thread_key"],
            data=json.loads(row["data"]),
            excerpt_digest=row["excerpt_digest"],
            prev_hash=row["prev_hash"],
            hash=row["hash"],
            excerpt=row["excerpt"],
        )
    except ValueError as exc:
        raise StoreError(f"audit record {row['seq']} does not load: {exc}") from exc
