"""The SQLite backend of the Store, for one bot process.

One connection in WAL mode with `synchronous=NORMAL`: a commit survives the process crashing (what
the outbox promises), though not the machine losing power in the same instant.

Each operation is one plain function over the `sqlite3` connection, run on aiosqlite's worker
thread in a single hop. That keeps a decision's dozen statements at one thread switch instead of a
dozen (a hop costs about 0.1 ms; the hot path wants about 2 ms a turn), and, because the worker runs
queued calls one at a time, no two coroutines can ever interleave statements in one transaction,
and a cancelled caller cannot leave a transaction half-open: BEGIN and COMMIT or ROLLBACK always
run in the same call. The price is one private aiosqlite method, `_execute`, used in `_call` only
(pyproject pins aiosqlite to 0.22.x).

Everything that can be rejected without the database (a time without a timezone, data that is not
JSON, a `case_ref` out of range) is checked before the transaction starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast

import aiosqlite

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
from bot.store.migrations import migrate

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Longest turn text kept: the model's history needs whole messages, but not unbounded ones.
TURN_TEXT_CHARS = 8000
#: A moderator case of these kinds closes (marks reviewed) the case it refers to. A note does not.
REVIEWING_KINDS: frozenset[str] = frozenset({"unlock", "uphold"})

# Statements are module constants so sqlite3's statement cache prepares each one once.
_INSERT_EVENT = "INSERT INTO events (event_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING"
_UPSERT_THREAD = (
    "INSERT INTO threads (key, status, owner, workspace, state, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET status = excluded.status, owner = excluded.owner,"
    " workspace = excluded.workspace, state = excluded.state, updated_at = excluded.updated_at"
)
_INSERT_EXCERPT = "INSERT INTO excerpts (digest, text, at) VALUES (?, ?, ?)"
_INSERT_TURN = (
    "INSERT INTO turns (thread_key, role, author_id, author_name, at, event_id, verdict,"
    " assessment, hidden, flagged, usage, excerpt_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_NEXT_CASE = "SELECT number FROM cases WHERE workspace = ? ORDER BY number DESC LIMIT 1"
_INSERT_CASE = (
    "INSERT INTO cases (workspace, number, kind, user_id, actor, thread_key, category, priority,"
    " strikes, summary, excerpt_id, refers_to, status, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)"
)
_MARK_REVIEWED = (
    "UPDATE cases SET status = 'reviewed' WHERE workspace = ? AND number = ? AND status = 'open'"
)
_INSERT_OUTBOX = (
    "INSERT INTO outbox (action, status, created_at, event_id) VALUES (?, 'owed', ?, ?)"
)
_AUDIT_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
_INSERT_AUDIT = (
    "INSERT INTO audit (seq, at, kind, actor, thread_key, data, excerpt_digest, excerpt_id,"
    " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SET_HEAD = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"
_EVENT_SEEN = "SELECT 1 FROM events WHERE event_id = ?"
_ACCEPT = (
    "INSERT INTO inbox (event_id, thread_key, payload, accepted_at)"
    " SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM events WHERE event_id = ?1)"
    " ON CONFLICT (event_id) DO NOTHING"
)
_INBOX_COLUMNS = "seq, event_id, thread_key, payload, attempts"
_PENDING_IN_THREAD = (
    f"SELECT {_INBOX_COLUMNS} FROM inbox WHERE thread_key = ?1"
    " AND seq <= (SELECT seq FROM inbox WHERE event_id = ?2) ORDER BY seq"
)
_ACCEPTED = f"SELECT {_INBOX_COLUMNS} FROM inbox ORDER BY seq LIMIT ?"
_FORGET = "DELETE FROM inbox WHERE event_id = ?"
_HAS_ACCEPTED = "SELECT 1 FROM inbox WHERE thread_key = ? LIMIT 1"
_LOAD_THREAD = "SELECT state FROM threads WHERE key = ?"
_RECENT_TURNS = (
    "SELECT t.seq, t.thread_key, t.role, t.author_id, t.author_name, e.text AS text, t.at,"
    " t.verdict, t.hidden, t.flagged, t.assessment"
    " FROM turns t LEFT JOIN excerpts e ON e.id = t.excerpt_id"
    " WHERE t.thread_key = ? AND t.seq >= ? ORDER BY t.seq DESC LIMIT ?"
)
# A lock a moderator later reversed (an unlock of the same thread) no longer counts.
_RECENT_LOCKS = (
    "SELECT COUNT(*) FROM cases l WHERE l.workspace = ?1 AND l.user_id = ?2 AND l.kind = 'lock'"
    " AND l.created_at >= max(?3, COALESCE((SELECT MAX(created_at) FROM cases"
    " WHERE workspace = ?1 AND user_id = ?2 AND kind = 'pardon'), ''))"
    " AND NOT EXISTS (SELECT 1 FROM cases u WHERE u.thread_key = l.thread_key"
    " AND u.kind = 'unlock' AND u.created_at >= l.created_at)"
)
_CASE_COLUMNS = (
    "c.workspace, c.number, c.kind, c.user_id, c.actor, c.thread_key, c.category, c.priority,"
    " c.strikes, c.summary, e.text AS excerpts, c.refers_to, c.status, c.created_at"
    " FROM cases c LEFT JOIN excerpts e ON e.id = c.excerpt_id"
)
_CASE = f"SELECT {_CASE_COLUMNS} WHERE c.workspace = ? AND c.number = ?"
_OWED = (
    "SELECT id, action, created_at, attempts, event_id FROM outbox"
    " WHERE status = 'owed' ORDER BY id"
)
_ACTION_DONE = (
    "UPDATE outbox SET status = 'done', done_at = ?, outcome = ? WHERE id = ? AND status = 'owed'"
)
_ACTION_FAILED = (
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
    " status = CASE WHEN ? THEN 'given_up' ELSE status END,"
    " done_at = CASE WHEN ? THEN ? ELSE done_at END"
    " WHERE id = ? AND status = 'owed'"
)
_AUDIT_ROWS = (
    "SELECT a.seq, a.at, a.kind, a.actor, a.thread_key, a.data, a.excerpt_digest, a.prev_hash,"
    " a.hash, e.text AS excerpt FROM audit a LEFT JOIN excerpts e ON e.id = a.excerpt_id"
)

#: Queries run for every turn or every start; a test checks that none of them scans a table.
HOT_PATH_QUERIES: tuple[str, ...] = (
    _EVENT_SEEN,
    _LOAD_THREAD,
    _RECENT_TURNS,
    _RECENT_LOCKS,
    _NEXT_CASE,
    _MARK_REVIEWED,
    _CASE,
    _OWED,
    _ACTION_DONE,
    _AUDIT_HEAD,
)


@dataclass(frozen=True, slots=True)
class _Decision:
    """A decision checked and serialised, ready to be written in one transaction."""

    at: datetime
    when: str
    event_id: str | None
    thread_row: tuple[Any, ...] | None
    turn_rows: list[tuple[tuple[Any, ...], str, str]]
    drafts: list[CaseDraft]
    draft_excerpts: list[str | None]
    actions: Sequence[Action]
    entries: list[ChainItem]
    #: Owed actions (id, outcome) this write also marks done.
    done: list[tuple[int, str]] = field(default_factory=list)


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _clean(text: str) -> str:
    """Text SQLite can store: a lone surrogate (a valid JSON escape, not UTF-8) becomes '?'."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _in_transaction(
    conn: sqlite3.Connection,
    body: Callable[[sqlite3.Connection], T],
    mode: Literal["IMMEDIATE", "DEFERRED"] = "IMMEDIATE",
) -> T:
    """Run `body` between BEGIN and COMMIT; on any exception roll back and re-raise."""
    conn.execute(f"BEGIN {mode}")
    try:
        result = body(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return result


def _insert_excerpt(
    conn: sqlite3.Connection, text: str, at: str, text_digest: str | None = None
) -> int:
    cursor = conn.execute(_INSERT_EXCERPT, (text_digest or digest(text), text, at))
    assert cursor.lastrowid is not None  # an INSERT into a rowid table always has one
    return cursor.lastrowid


class SqliteStore:
    """The Store protocol on one aiosqlite connection."""

    def __init__(self, path: str | Path, *, excerpt_chars: int = 300) -> None:
        if excerpt_chars < 1:
            raise ValueError("excerpt_chars must be at least 1")
        self.path = path
        self.excerpt_chars = excerpt_chars
        self._db: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

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
        """Connect, set the pragmas, apply migrations."""
        async with self._opening:
            if self._db is None:
                self._db = await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        where = str(self.path)
        folder = Path(where).parent
        if where != ":memory:" and not folder.is_dir():
            raise StoreError(
                f"cannot open the database at {where}: the folder {folder} does not exist"
            )
        # isolation_level=None: sqlite3 opens no transactions of its own; ours are explicit.
        connecting = aiosqlite.connect(self.path, isolation_level=None)
        try:
            db = await connecting
        except sqlite3.Error as exc:
            # aiosqlite stops its worker thread without waiting for it; join it so the thread does
            # not call back into this event loop after it has closed (a private attribute, pinned).
            await asyncio.to_thread(connecting._thread.join, 5)
            raise StoreError(f"cannot open the database at {where}: {exc}") from exc
        try:
            db.row_factory = sqlite3.Row
            async with db.execute("PRAGMA journal_mode=WAL") as cursor:
                row = await cursor.fetchone()
            mode = str(row[0]) if row else "?"
            if mode != "wal" and where != ":memory:":
                log.warning("the database at %s is in %s mode, not WAL", where, mode)
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            # A purge must really remove message text, not leave it readable in free pages.
            await db.execute("PRAGMA secure_delete=ON")
            applied = await migrate(db, where=where)
        except BaseException as exc:
            await db.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot open the database at {where}: {exc}") from exc
            raise
        if applied:
            log.info("database %s: applied migrations %s", where, applied)
        return db

    async def close(self) -> None:
        """Let SQLite update its statistics and disconnect."""
        async with self._opening:
            db, self._db = self._db, None
            if db is None:
                return
            try:
                await db.execute("PRAGMA optimize")
            except sqlite3.Error:
                log.debug("PRAGMA optimize failed on close", exc_info=True)
            await db.close()

    async def _call(
        self, what: str, fn: Callable[[sqlite3.Connection], T], *, writes: bool = False
    ) -> T:
        """Run `fn` with the connection on aiosqlite's worker thread, as one queued call."""
        db = self._db
        if db is None:
            raise StoreError(f"could not {what}: the store at {self.path} is not open")
        # The one use of aiosqlite's private API (see the module docstring).
        run = cast(Callable[[Callable[[], T]], Awaitable[T]], db._execute)
        try:
            return await run(partial(fn, db._conn))
        except sqlite3.Error as exc:
            rolled_back = "; nothing was written" if writes else ""
            raise StoreError(f"could not {what}: {exc}{rolled_back}") from exc

    async def _write(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` as one IMMEDIATE transaction: all of it is written, or none of it."""
        return await self._call(what, partial(_in_transaction, body=fn), writes=True)

    # --- the decision --------------------------------------------------------------------------

    async def event_seen(self, event_id: str) -> bool:
        """True when a decision for this platform event id was already committed."""

        def read(conn: sqlite3.Connection) -> bool:
            return conn.execute(_EVENT_SEEN, (event_id,)).fetchone() is not None

        return await self._call("look up an event", read)

    async def load_thread(self, key: str) -> ThreadState | None:
        """The thread's state, or None when the bot does not host that thread."""

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(_LOAD_THREAD, (key,)).fetchone()
            return None if row is None else str(row[0])

        state = await self._call(f"load thread {key}", read)
        if state is None:
            return None
        try:
            return codec.thread_state_from_json(json.loads(state))
        except ValueError as exc:
            raise StoreError(f"the stored state of thread {key} does not load: {exc}") from exc

    # --- the inbox -----------------------------------------------------------------------------

    async def accept_event(
        self, event_id: str, *, thread_key: str, payload: str, at: datetime
    ) -> bool:
        """Write a message down before the platform is told it arrived; False if seen before."""
        when = codec.time_to_json(at)

        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(_ACCEPT, (event_id, thread_key, payload, when)).rowcount > 0

        return await self._write(f"accept event {event_id}", write)

    async def pending_in_thread(self, thread_key: str, event_id: str) -> list[AcceptedEvent] | None:
        """The thread's undecided messages up to `event_id`; None when it is no longer pending."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(_PENDING_IN_THREAD, (thread_key, event_id)).fetchall()

        rows = await self._call(f"read the inbox of thread {thread_key}", read)
        found = [AcceptedEvent.from_row(row) for row in rows]
        return found if found and found[-1].event_id == event_id else None

    async def has_accepted(self, thread_key: str) -> bool:
        """Whether the thread has an undecided message."""

        def read(conn: sqlite3.Connection) -> bool:
            return conn.execute(_HAS_ACCEPTED, (thread_key,)).fetchone() is not None

        return await self._call(f"read the inbox of thread {thread_key}", read)

    async def forget_event(self, event_id: str) -> None:
        """Drop an accepted message that was handled without a decision."""

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(_FORGET, (event_id,))

        await self._write(f"forget event {event_id}", write)

    async def accepted_events(self, *, limit: int = 1000) -> list[AcceptedEvent]:
        """Every undecided message, oldest first."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(_ACCEPTED, (limit,)).fetchall()

        return [AcceptedEvent.from_row(row) for row in await self._call("read the inbox", read)]

    # --- the decision, continued ---------------------------------------------------------------

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
        return await self._write("commit a decision", partial(self._commit, decision=decision))

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
        when = codec.time_to_json(at)
        drafts = [self._trim_draft(d) for d in cases]
        for action in actions:
            if action.case_ref is not None and not 0 <= action.case_ref < len(drafts):
                raise ValueError(
                    f"a {action.kind} action refers to case {action.case_ref} of a decision "
                    f"that opens {len(drafts)} case(s)"
                )
        return _Decision(
            at=codec.time_from_json(when),
            when=when,
            event_id=event_id,
            thread_row=None if state is None else self._thread_row(state, when),
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
    def _thread_row(state: ThreadState, when: str) -> tuple[Any, ...]:
        return (
            state.ref.key,
            state.status,
            state.owner,
            state.ref.workspace,
            _json(codec.thread_state_to_json(state)),
            when,
        )

    @staticmethod
    def _turn_row(turn: TurnRecord) -> tuple[tuple[Any, ...], str, str]:
        at = codec.time_to_json(turn.at)
        params = (
            turn.thread_key,
            turn.role,
            turn.author_id,
            turn.author_name,
            at,
            turn.event_id,
            turn.verdict,
            None if turn.assessment is None else _json(codec.assessment_to_json(turn.assessment)),
            int(turn.hidden),
            int(turn.flagged),
            _json(dict(turn.usage)),
        )
        return params, _clean(turn.text[:TURN_TEXT_CHARS]), at

    def _trim_draft(self, draft: CaseDraft) -> CaseDraft:
        if draft.kind not in CASE_KINDS:
            raise ValueError(f"unknown case kind {draft.kind!r}")
        return replace(
            draft,
            summary=_clean(draft.summary),
            excerpts=tuple(_cut(_clean(e), self.excerpt_chars) for e in draft.excerpts),
        )

    @staticmethod
    def _commit(conn: sqlite3.Connection, decision: _Decision) -> Committed:
        """The body of `commit`, on the worker thread, inside BEGIN IMMEDIATE."""
        d = decision
        if d.event_id is not None:
            inserted = conn.execute(_INSERT_EVENT, (d.event_id, d.when)).rowcount
            if not inserted:
                raise DuplicateEvent(f"event {d.event_id} was already committed")
            conn.execute(_FORGET, (d.event_id,))
        if d.thread_row is not None:
            conn.execute(_UPSERT_THREAD, d.thread_row)
        for params, text, text_at in d.turn_rows:
            excerpt_id = _insert_excerpt(conn, text, text_at) if text else None
            conn.execute(_INSERT_TURN, (*params, excerpt_id))

        numbered: list[Case] = []
        chain: list[ChainItem] = []
        next_number: dict[str, int] = {}
        for draft, excerpt in zip(d.drafts, d.draft_excerpts, strict=True):
            case, item = SqliteStore._insert_case(conn, draft, excerpt, d, next_number)
            numbered.append(case)
            chain.append(item)

        owed: list[OwedAction] = []
        for action in d.actions:
            if action.case_ref is not None:
                action = replace(action, case=numbered[action.case_ref].number, case_ref=None)
            row = (_json(codec.action_to_json(action)), d.when, d.event_id)
            action_id = conn.execute(_INSERT_OUTBOX, row).lastrowid
            assert action_id is not None  # an INSERT into a rowid table always has one
            owed.append(
                OwedAction(id=action_id, action=action, created_at=d.at, event_id=d.event_id)
            )

        for item in d.entries:
            if item.excerpt is not None:
                text_digest = digest(item.excerpt)
                excerpt_id = _insert_excerpt(conn, item.excerpt, d.when, text_digest)
                item = replace(item, excerpt_id=excerpt_id, excerpt_digest=text_digest)
            chain.append(item)
        if chain:
            SqliteStore._append(conn, d.when, chain)
        for action_id, outcome in d.done:
            if conn.execute(_ACTION_DONE, (d.when, outcome, action_id)).rowcount == 0:
                SqliteStore._not_owed(conn, action_id, "done")
        return Committed(cases=tuple(numbered), actions=tuple(owed))

    @staticmethod
    def _insert_case(
        conn: sqlite3.Connection,
        draft: CaseDraft,
        excerpt: str | None,
        d: _Decision,
        next_number: dict[str, int],
    ) -> tuple[Case, ChainItem]:
        # Numbered inside the write transaction, so concurrent decisions can neither share a
        # number nor leave a gap (a rolled-back decision takes its number with it).
        number = next_number.get(draft.workspace)
        if number is None:
            row = conn.execute(_NEXT_CASE, (draft.workspace,)).fetchone()
            number = 1 if row is None else int(row[0]) + 1
        next_number[draft.workspace] = number + 1

        excerpt_id = excerpt_digest = None
        if excerpt is not None:
            excerpt_digest = digest(excerpt)
            excerpt_id = _insert_excerpt(conn, excerpt, d.when, excerpt_digest)
        thread_key = draft.thread.key if draft.thread is not None else None
        conn.execute(
            _INSERT_CASE,
            (
                draft.workspace,
                number,
                draft.kind,
                draft.user_id,
                draft.actor,
                thread_key,
                draft.category,
                int(draft.priority),
                draft.strikes,
                draft.summary,
                excerpt_id,
                draft.refers_to,
                d.when,
            ),
        )
        if draft.refers_to is not None and draft.kind in REVIEWING_KINDS:
            marked = conn.execute(_MARK_REVIEWED, (draft.workspace, draft.refers_to)).rowcount
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
            at=d.at,
            excerpt_id=excerpt_id,
            excerpt_digest=excerpt_digest,
        )

    @staticmethod
    def _append(conn: sqlite3.Connection, when: str, items: Sequence[ChainItem]) -> None:
        head = conn.execute(_AUDIT_HEAD).fetchone()
        if head is None:
            raise StoreError("the audit chain head is missing; run `audit verify`")
        seq, prev = int(head[0]), str(head[1])
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
            conn.execute(
                _INSERT_AUDIT,
                (
                    seq,
                    when,
                    item.kind,
                    item.actor,
                    item.thread_key,
                    item.data_json,
                    item.excerpt_digest,
                    item.excerpt_id,
                    prev,
                    hashed,
                ),
            )
            prev = hashed
        conn.execute(_SET_HEAD, (seq, prev))

    # --- the outbox ----------------------------------------------------------------------------

    async def owed_actions(self) -> list[OwedAction]:
        """Actions committed but not yet done or given up, oldest first."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(_OWED).fetchall()

        owed = []
        for row in await self._call("list owed actions", read):
            try:
                action = codec.action_from_json(json.loads(row["action"]))
            except ValueError as exc:
                raise StoreError(f"owed action {row['id']} does not load: {exc}") from exc
            owed.append(
                OwedAction(
                    id=row["id"],
                    action=action,
                    created_at=codec.time_from_json(row["created_at"]),
                    attempts=row["attempts"],
                    event_id=row["event_id"],
                )
            )
        return owed

    async def action_done(self, action_id: int, *, at: datetime, outcome: str = "") -> None:
        """Mark an owed action carried out."""
        params = (self._time(at), _clean(outcome), action_id)

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(_ACTION_DONE, params).rowcount == 0:
                self._not_owed(conn, action_id, "done")

        await self._write(f"mark action {action_id} done", write)

    async def action_failed(
        self, action_id: int, *, at: datetime, error: str, give_up: bool
    ) -> None:
        """Count a failed attempt; with `give_up` the action is no longer owed."""
        params = (_clean(error), give_up, give_up, self._time(at), action_id)

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(_ACTION_FAILED, params).rowcount == 0:
                self._not_owed(conn, action_id, "failed")

        await self._write(f"record a failure of action {action_id}", write)

    @staticmethod
    def _not_owed(conn: sqlite3.Connection, action_id: int, what: str) -> None:
        row = conn.execute("SELECT status FROM outbox WHERE id = ?", (action_id,)).fetchone()
        if row is None:
            raise StoreError(f"there is no action {action_id} in the outbox")
        # A retry racing a success, or a restart repeating one: harmless, and worth a trace.
        log.info("action %d reported %s but is already %s; ignored", action_id, what, row[0])

    # --- reading back --------------------------------------------------------------------------

    async def threads(
        self, *, platform: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[ThreadState]:
        """Hosted threads, most recently changed first."""
        where: list[str] = []
        params: list[Any] = []
        if platform is not None:
            # Keys start "platform:"; ';' sorts right after ':', so this is a range on the key.
            where.append("key >= ? AND key < ?")
            params += [f"{platform}:", f"{platform};"]
        if status is not None:
            where.append("status = ?")
            params.append(status)
        sql = "SELECT key, state FROM threads"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC, key LIMIT ?"
        params.append(limit)

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(sql, params).fetchall()

        states = []
        for row in await self._call("list threads", read):
            try:
                states.append(codec.thread_state_from_json(json.loads(row["state"])))
            except ValueError as exc:
                raise StoreError(
                    f"the stored state of thread {row['key']} does not load: {exc}"
                ) from exc
        return states

    async def recent_turns(self, thread_key: str, *, limit: int, from_seq: int = 0) -> list[Turn]:
        """The thread's last `limit` turns from `from_seq` on, oldest first (hidden included)."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(_RECENT_TURNS, (thread_key, from_seq, limit)).fetchall()

        rows = await self._call(f"read the turns of {thread_key}", read)
        return [self._turn(row) for row in reversed(rows)]

    @staticmethod
    def _turn(row: sqlite3.Row) -> Turn:
        assessment = row["assessment"]
        try:
            return Turn(
                seq=row["seq"],
                thread_key=row["thread_key"],
                role=cast(TurnRole, row["role"]),
                author_id=row["author_id"],
                author_name=row["author_name"],
                text=row["text"] or "",
                at=codec.time_from_json(row["at"]),
                verdict=row["verdict"],
                hidden=bool(row["hidden"]),
                flagged=bool(row["flagged"]),
                assessment=None
                if assessment is None
                else codec.assessment_from_json(json.loads(assessment)),
            )
        except ValueError as exc:
            raise StoreError(f"turn {row['seq']} does not load: {exc}") from exc

    async def user_turns(self, user_id: str, *, limit: int = 100_000) -> list[Turn]:
        """Every stored message this user wrote, oldest first (for a data export)."""
        sql = _RECENT_TURNS.split(" WHERE ")[0] + (
            " WHERE t.author_id = ? AND t.role = 'user' ORDER BY t.seq LIMIT ?"
        )

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(sql, (user_id, limit)).fetchall()

        # An export is rare and offline: a scan of the turns table is acceptable here.
        return [self._turn(row) for row in await self._call("read a user's turns", read)]

    async def usage(self, *, since: datetime | None = None) -> list[UsageRow]:
        """Turns that recorded model usage, oldest first."""
        floor = self._time(since) if since is not None else ""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(
                "SELECT thread_key, at, usage FROM turns WHERE usage != '{}' AND at >= ? "
                "ORDER BY at, seq",
                (floor,),
            ).fetchall()

        rows = await self._call("read usage", read)
        return [
            UsageRow(
                thread_key=row["thread_key"],
                at=codec.time_from_json(row["at"]),
                usage=json.loads(row["usage"]),
            )
            for row in rows
        ]

    async def recent_locks(self, *, workspace: str, user_id: str, since: datetime) -> int:
        """Locks of this user's threads since `since` and since their last pardon."""
        params = (workspace, user_id, self._time(since))

        def read(conn: sqlite3.Connection) -> int:
            return int(conn.execute(_RECENT_LOCKS, params).fetchone()[0])

        return await self._call("count recent locks", read)

    async def case(self, *, workspace: str, number: int) -> Case | None:
        """One case by its number in a workspace."""

        def read(conn: sqlite3.Connection) -> sqlite3.Row | None:
            row: sqlite3.Row | None = conn.execute(_CASE, (workspace, number)).fetchone()
            return row

        row = await self._call(f"read case {number}", read)
        return None if row is None else self._case(row)

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
            where.append("c.workspace = ?")
            params.append(workspace)
        if user_id is not None:
            where.append("c.user_id = ?")
            params.append(user_id)
        if kinds:
            where.append(f"c.kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        if open_only:
            where.append("c.status = 'open'")
        sql = f"SELECT {_CASE_COLUMNS}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.created_at DESC, c.workspace, c.number DESC LIMIT ?"
        params.append(limit)

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(sql, params).fetchall()

        return [self._case(row) for row in await self._call("list cases", read)]

    @staticmethod
    def _case(row: sqlite3.Row) -> Case:
        data = dict(zip(row.keys(), row, strict=True))
        thread_key, excerpts = data.pop("thread_key"), data.pop("excerpts")
        data["priority"] = bool(data["priority"])
        data["thread"] = (
            None if thread_key is None else codec.thread_ref_to_json(ThreadRef.from_key(thread_key))
        )
        try:
            data["excerpts"] = [] if excerpts is None else json.loads(excerpts)
            return codec.case_from_json(data)
        except ValueError as exc:
            raise StoreError(
                f"case {row['number']} in {row['workspace']} does not load: {exc}"
            ) from exc

    # --- the audit chain -----------------------------------------------------------------------

    async def audit_records(self, *, since: datetime | None = None) -> list[AuditRecord]:
        """Audit records in chain order, with their excerpts where not purged."""
        sql, params = _AUDIT_ROWS, []
        if since is not None:
            sql, params = sql + " WHERE a.at >= ?", [self._time(since)]

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return conn.execute(sql + " ORDER BY a.seq", params).fetchall()

        return [self._audit_record(row) for row in await self._call("read the audit log", read)]

    @staticmethod
    def _audit_record(row: sqlite3.Row) -> AuditRecord:
        try:
            return AuditRecord(
                seq=row["seq"],
                at=codec.time_from_json(row["at"]),
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

    async def verify_audit(self) -> AuditReport:
        """Walk the chain and report the first edited, removed or reordered record.

        `records` counts the records found sound (all of them when `ok`). A chain whose newest
        records were removed together with a rewritten head cannot be told from a shorter chain;
        an exported head hash kept elsewhere can.
        """

        def walk(conn: sqlite3.Connection) -> AuditReport:
            # In a transaction: one snapshot, so another process appending cannot confuse the walk.
            return _in_transaction(conn, self._walk, mode="DEFERRED")

        return await self._call("verify the audit log", walk)

    @staticmethod
    def _walk(conn: sqlite3.Connection) -> AuditReport:
        head = conn.execute(_AUDIT_HEAD).fetchone()
        good, prev = 0, GENESIS
        for row in conn.execute(_AUDIT_ROWS + " ORDER BY a.seq"):
            seq = row["seq"]
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

    async def purge_excerpts(self, *, before: datetime) -> int:
        """Delete message texts older than `before`; the chain and case metadata stay verifiable."""
        when = self._time(before)

        def purge(conn: sqlite3.Connection) -> int:
            deleted = _in_transaction(
                conn, lambda c: c.execute("DELETE FROM excerpts WHERE at < ?", (when,)).rowcount
            )
            if deleted:
                # Older copies of the purged pages live on in the WAL until it is checkpointed.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            return deleted

        deleted = await self._call("purge excerpts", purge)
        log.info("purged %d excerpt(s) older than %s", deleted, when)
        return deleted

    # --- for the CLI ---------------------------------------------------------------------------

    async def stats(self) -> dict[str, int]:
        """Counts for the CLI: threads by status, cases by kind, the outbox, the audit log."""
        out: dict[str, int] = {f"threads.{s}": 0 for s in THREAD_STATUSES}
        out.update({f"cases.{k}": 0 for k in CASE_KINDS})
        out.update({"actions.owed": 0, "actions.given_up": 0, "audit.records": 0})

        def read(conn: sqlite3.Connection) -> None:
            for status, n in conn.execute("SELECT status, COUNT(*) FROM threads GROUP BY status"):
                out[f"threads.{status}"] = n
            for kind, n in conn.execute("SELECT kind, COUNT(*) FROM cases GROUP BY kind"):
                out[f"cases.{kind}"] = n
            for status, n in conn.execute(
                "SELECT status, COUNT(*) FROM outbox WHERE status != 'done' GROUP BY status"
            ):
                out[f"actions.{status}"] = n
            for (seq,) in conn.execute("SELECT seq FROM audit_head"):
                out["audit.records"] = seq

        await self._call("count for stats", read)
        return out

    @staticmethod
    def _time(value: datetime) -> str:
        try:
            return codec.time_to_json(value)
        except ValueError as exc:
            raise StoreError(str(exc)) from exc


def _row_hash(row: sqlite3.Row) -> str:
    """The hash a stored record should have; "" when its data is not even JSON."""
    try:
        data = json.loads(row["data"])
    except ValueError:
        return ""
    return record_hash(
        prev_hash=row["prev_hash"],
        seq=row["seq"],
        at=row["at"],
        kind=row["kind"],
        actor=row["actor"],
        thread_key=row["thread_key"],
        data=data,
        excerpt_digest=row["excerpt_digest"],
    )


def _broken(good: int, seq: int | None, problem: str) -> AuditReport:
    return AuditReport(ok=False, records=good, seq=seq, problem=problem)
