"""The Store protocol: everything the core persists, named for the domain, not for SQL.

One `commit` writes a whole decision (thread state, turns, cases, owed actions, audit records and
the event id) in one transaction, so a crash leaves either all of it or none of it. A second
backend (PostgreSQL, for several processes) implements the same protocol without touching the core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from bot.errors import StoreError
from bot.progress import Progress
from bot.records import Action, Assessment, Case, CaseDraft, CaseKind, CaseUpdate, ThreadState

TurnRole = Literal["user", "assistant"]


class DuplicateEvent(StoreError):
    """The event id was already committed: a redelivery. Nothing was written."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TurnRecord:
    """One message in a thread, as the store keeps it. The text goes to the purgeable excerpts."""

    thread_key: str
    role: TurnRole
    author_id: str
    author_name: str
    text: str
    at: datetime
    event_id: str | None = None
    verdict: str = ""
    assessment: Assessment | None = None
    #: Kept out of the history sent to the model (a refused turn, or the reply to one).
    hidden: bool = False
    #: The turn cost a strike.
    flagged: bool = False
    #: Usage fields of the model calls for this turn (filled by the Claude assistant).
    usage: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Turn:
    """A stored turn read back; `text` is "" once its excerpt has been purged."""

    seq: int
    thread_key: str
    role: TurnRole
    author_id: str
    author_name: str
    text: str
    at: datetime
    verdict: str
    hidden: bool
    flagged: bool
    assessment: Assessment | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class UsageRow:
    """The usage fields of the model calls made for one stored turn."""

    thread_key: str
    at: datetime
    usage: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEntry:
    """An audit record to append; `excerpt` is kept outside the chain, which holds its digest."""

    kind: str
    actor: str
    data: Mapping[str, Any]
    thread_key: str | None = None
    excerpt: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditRecord:
    """A stored audit record; `hash` covers every other field and the previous record's hash."""

    seq: int
    at: datetime
    kind: str
    actor: str
    thread_key: str | None
    data: Mapping[str, Any]
    excerpt_digest: str | None
    prev_hash: str
    hash: str
    excerpt: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditReport:
    """The result of walking the chain: ok, or the first record that does not fit and why."""

    ok: bool
    records: int
    problem: str = ""
    seq: int | None = None
    #: Records committed but not linked into the chain yet when the walk ended (PostgreSQL links
    #: after the commit; verify links all it can see first, so these were committed since).
    pending: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class OwedAction:
    """An action committed with its decision and not yet carried out."""

    id: int
    action: Action
    created_at: datetime
    attempts: int = 0
    event_id: str | None = None

    @property
    def key(self) -> str:
        """An idempotency key for platforms that honour one (Discord's message nonce)."""
        return f"tk-{self.id}"


@dataclass(frozen=True, kw_only=True, slots=True)
class AcceptedEvent:
    """A message written down on arrival and not yet decided (see `Store.accept_event`)."""

    seq: int
    event_id: str
    thread_key: str
    payload: str
    #: How many times recovery has claimed it (a message that fails every time is given up).
    attempts: int = 0

    @classmethod
    def from_row(cls, row: Any) -> AcceptedEvent:
        """From an inbox row of either backend (sqlite3.Row and asyncpg's Record index alike)."""
        return cls(
            seq=int(row["seq"]),
            event_id=str(row["event_id"]),
            thread_key=str(row["thread_key"]),
            payload=str(row["payload"]),
            attempts=int(row["attempts"]),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Committed:
    """What `commit` wrote: the numbered cases and the owed actions with case numbers filled in."""

    cases: tuple[Case, ...]
    actions: tuple[OwedAction, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class TurnReads:
    """Everything a user's turn reads before it decides, read in one store call.

    One call rather than five (event seen, thread, turns, locks, inbox): on SQLite each call is a
    hop to the worker thread, on PostgreSQL a network round trip, and the turn waits on all of
    them before the model starts. Reading the locks and the history for a turn the policy then
    settles without the model (a closed thread) costs less than a second call would.
    """

    #: A decision on the event was committed already: a redelivery.
    seen: bool
    #: The thread's state; None when the bot does not host it (yet).
    state: ThreadState | None
    #: The thread's last turns from `state.history_from` on, oldest first (hidden included).
    history: tuple[Turn, ...]
    #: Locks of the author's threads in the repeat window, since their last pardon.
    recent_locks: int
    #: With `pending=True`: as `pending_in_thread` (None when the event is no longer pending).
    pending: tuple[AcceptedEvent, ...] | None = None


def kept_history(newest: Sequence[Turn], state: ThreadState | None) -> tuple[Turn, ...]:
    """Of a thread's newest turns (oldest first), those from the state's `history_from` on.

    The turns from `history_from` on are a thread's newest ones, so the newest N of them are the
    newest N of all its turns cut at `history_from`: a store can read the turns in the same
    statement as the state, without knowing `history_from` first.
    """
    start = state.history_from if state is not None else 0
    return tuple(t for t in newest if t.seq >= start)


class Store(Protocol):
    """Persistence for the core. All methods are safe to call concurrently from one event loop."""

    async def open(self) -> None:
        """Connect, apply migrations, and get ready."""
        ...

    async def close(self) -> None:
        """Flush and disconnect."""
        ...

    async def event_seen(self, event_id: str) -> bool:
        """True when a decision for this platform event id was already committed."""
        ...

    async def load_thread(self, key: str) -> ThreadState | None:
        """The thread's state, or None when the bot does not host that thread."""
        ...

    async def turn_reads(
        self,
        thread_key: str,
        *,
        event_id: str,
        history: int,
        workspace: str,
        user_id: str,
        locks_since: datetime,
        pending: bool = False,
    ) -> TurnReads:
        """What a user's turn reads before it decides, in one call (see `TurnReads`).

        The same as `event_seen(event_id)`, `load_thread(thread_key)`, `recent_turns(thread_key,
        limit=history, from_seq=state.history_from)`, `recent_locks(workspace=..., user_id=...,
        since=locks_since)` and, with `pending`, `pending_in_thread(thread_key, event_id)`: one
        worker hop on SQLite, one round trip on PostgreSQL.
        """
        ...

    async def accept_event(
        self, event_id: str, *, thread_key: str, payload: str, at: datetime
    ) -> bool:
        """Write a message down before the platform is told it arrived (the inbox).

        False when it was accepted before (by any process) or already decided: the caller acks it
        and drops it. The row stays until the decision on `event_id` is committed (which removes
        it in the same transaction) or `forget_event` is called, so a process that dies between
        the ack and the decision loses nothing: the next start, or another process, takes it up.
        """
        ...

    async def pending_in_thread(self, thread_key: str, event_id: str) -> list[AcceptedEvent] | None:
        """The thread's undecided messages up to and including `event_id`, in accept order.

        None when `event_id` is no longer pending (someone decided or forgot it). Run under the
        thread's lock, this is what keeps a thread's turns in the order its messages arrived.
        """
        ...

    async def has_accepted(self, thread_key: str) -> bool:
        """Whether the thread has an undecided message (its opening mention may be one).

        An adapter asks before dropping a message in a thread the bot does not host yet: the
        mention that opens it may have been accepted, by any process, and not decided yet.
        """
        ...

    async def forget_event(self, event_id: str) -> None:
        """Drop an accepted message that was handled without a decision (not a turn, an error)."""
        ...

    async def accepted_events(self, *, limit: int = 1000) -> list[AcceptedEvent]:
        """Every undecided message, oldest first (leased ones included)."""
        ...

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
        updates: Sequence[CaseUpdate] = (),
    ) -> Committed:
        """Write one decision atomically; raise DuplicateEvent if `event_id` was seen before.

        `done` marks owed actions (id, outcome) carried out in the same transaction: a reply's
        stored text and its action's completion are one write, so no crash can fall between.

        Cases are numbered per workspace (1, 2, 3 ... without gaps), open when their kind waits
        for a moderator and resolved otherwise. An action's `case_ref` is an index into `cases`
        and comes back as `case` holding that case's number. `updates` change stored cases (their
        state, a grouped signal, a ping); an update of a case that does not exist is a StoreError
        and nothing is written. Each case, each update and each entry of `audit` is appended to
        the hash chain.
        """
        ...

    async def owed_actions(self) -> list[OwedAction]:
        """Actions committed but not yet done or given up, oldest first."""
        ...

    async def action_done(self, action_id: int, *, at: datetime, outcome: str = "") -> None:
        """Mark an owed action carried out."""
        ...

    async def action_failed(
        self, action_id: int, *, at: datetime, error: str, give_up: bool
    ) -> None:
        """Count a failed attempt; with `give_up` the action is no longer owed."""
        ...

    async def threads(
        self, *, platform: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[ThreadState]:
        """Hosted threads, most recently changed first."""
        ...

    async def recent_turns(self, thread_key: str, *, limit: int, from_seq: int = 0) -> list[Turn]:
        """The thread's last `limit` turns from `from_seq` on, oldest first (hidden included)."""
        ...

    async def user_turns(self, user_id: str, *, limit: int = 100_000) -> list[Turn]:
        """Every stored message this user wrote, oldest first (for a data export)."""
        ...

    async def usage(self, *, since: datetime | None = None) -> list[UsageRow]:
        """Turns that recorded model usage, oldest first."""
        ...

    async def recent_locks(self, *, workspace: str, user_id: str, since: datetime) -> int:
        """Locks of this user's threads since `since` and since their last pardon."""
        ...

    async def case(self, *, workspace: str, number: int) -> Case | None:
        """One case by its number in a workspace."""
        ...

    async def cases(
        self,
        *,
        workspace: str | None = None,
        kinds: Sequence[CaseKind] = (),
        open_only: bool = False,
        user_id: str | None = None,
        thread_key: str | None = None,
        limit: int = 50,
    ) -> list[Case]:
        """Cases, newest first, filtered; `open_only` keeps those not resolved yet."""
        ...

    async def case_posted(self, *, workspace: str, number: int, post: str) -> None:
        """Remember where the platform shows a case, so a later change edits it in place."""
        ...

    async def audit_records(self, *, since: datetime | None = None) -> list[AuditRecord]:
        """Audit records in chain order, with their excerpts where not purged."""
        ...

    async def verify_audit(self, *, progress: Progress | None = None) -> AuditReport:
        """Walk the chain and report the first edited, removed or reordered record.

        `progress` hears ("verifying the audit chain", records walked, records in the chain).
        """
        ...

    async def purge_excerpts(self, *, before: datetime, progress: Progress | None = None) -> int:
        """Delete message texts older than `before`; the chain and case metadata stay verifiable.

        `progress` hears ("purging message texts", texts deleted, texts to delete).
        """
        ...


@runtime_checkable
class SharedStore(Store, Protocol):
    """A Store that several processes use at once (PostgreSQL): thread locks, leases, claims.

    Fresh actions and accepted messages are leased to `owner`, which renews the leases on what
    it works on; what a dead process held is claimed by the others once its leases lapse. A
    store without these (SQLite) serves one process, which takes up everything at its start.
    """

    #: Who this process is, in the leases it takes.
    owner: str
    #: How long after a process's last renewal the others presume it dead.
    lease: timedelta

    def thread_lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the thread's lock across processes for the body of the `async with`."""
        ...

    async def claim_owed_actions(
        self, owner: str, *, limit: int, lease: timedelta
    ) -> list[OwedAction]:
        """Lease owed actions nobody holds (or whose lease ran out) to `owner`."""
        ...

    async def claim_accepted(
        self, owner: str, *, limit: int, lease: timedelta
    ) -> list[AcceptedEvent]:
        """Lease undecided messages whose process's lease ran out to `owner`."""
        ...

    async def renew_leases(self, *, events: Sequence[str], actions: Sequence[int]) -> int:
        """Extend this process's leases on the messages and actions it is working on."""
        ...

    async def release_leases(self) -> int:
        """On a clean stop: give up this process's leases now."""
        ...


def shared(store: Store) -> SharedStore | None:
    """The store as one several processes share, or None when it serves one process."""
    return store if isinstance(store, SharedStore) else None


@runtime_checkable
class SharedLimits(Protocol):
    """Limits that several processes count against together, kept by the database.

    PostgreSQL implements it (one row per user's rate window, one per thread's and workspace's
    day of tokens, each changed by one atomic statement), so N processes allow a user the rate of
    one. A store without it (SQLite: one process) leaves the counting to the process's memory
    (`bot.limits`). `bot.quotas` chooses between the two.
    """

    async def count_message(self, key: str, *, at: datetime, per_minute: int) -> str:
        """Count one message by `key` in the minute up to `at`: "ok" (counted), "slow_down" (the
        first refusal in that minute: say so) or "drop" (refused quietly)."""
        ...

    async def add_tokens(self, *, day: date, thread_key: str, workspace: str, tokens: int) -> None:
        """Add `tokens` to the day's count of the thread and of its workspace."""
        ...

    async def tokens_spent(self, *, day: date, thread_key: str, workspace: str) -> tuple[int, int]:
        """The day's tokens of the thread and of its workspace so far."""
        ...

    async def first_budget_notice(self, *, day: date, thread_key: str) -> bool:
        """True exactly once per thread and day, across every process: whether to say so."""
        ...

    async def prune_limits(self, *, before: datetime) -> int:
        """Forget rate windows idle since `before` and token counts of days before it."""
        ...


def shared_limits(store: Store) -> SharedLimits | None:
    """The store as one that keeps limits for several processes, or None (count in memory)."""
    return store if isinstance(store, SharedLimits) else None
