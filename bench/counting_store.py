"""A Store that counts the calls the core makes of it, around a real store.

The bench reads from it how many store calls a turn makes and how many of them write (each write
is its own transaction: a commit on SQLite, a round trip and a COMMIT on PostgreSQL). It spells
out every method of `bot.store.base.Store` and mypy checks it against the protocol (the bench is
in mypy's packages), so a method added to or changed in the protocol breaks the bench at once
instead of being passed through uncounted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from bot.progress import Progress
from bot.records import Action, Case, CaseDraft, CaseKind, CaseUpdate, ThreadState
from bot.store.base import (
    AcceptedEvent,
    AuditEntry,
    AuditRecord,
    AuditReport,
    Committed,
    OwedAction,
    Store,
    Turn,
    TurnReads,
    TurnRecord,
    UsageRow,
)

#: The methods that write: each call is one transaction of its own.
WRITES = frozenset(
    {
        "accept_event",
        "forget_event",
        "commit",
        "action_done",
        "action_failed",
        "case_posted",
        "purge_excerpts",
    }
)


class CountingStore:
    """Every call passed to `inner`, and counted by method name (`calls`)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.given_up = 0

    def snapshot(self) -> Counter[str]:
        """The counts so far (a copy, to subtract from a later one)."""
        return Counter(self.calls)

    async def open(self) -> None:
        """Counted, then passed on."""
        self.calls["open"] += 1
        await self.inner.open()

    async def close(self) -> None:
        """Counted, then passed on."""
        self.calls["close"] += 1
        await self.inner.close()

    async def event_seen(self, event_id: str) -> bool:
        """Counted, then passed on."""
        self.calls["event_seen"] += 1
        return await self.inner.event_seen(event_id)

    async def load_thread(self, key: str) -> ThreadState | None:
        """Counted, then passed on."""
        self.calls["load_thread"] += 1
        return await self.inner.load_thread(key)

    async def accept_event(
        self, event_id: str, *, thread_key: str, payload: str, at: datetime
    ) -> bool:
        """Counted, then passed on."""
        self.calls["accept_event"] += 1
        return await self.inner.accept_event(
            event_id, thread_key=thread_key, payload=payload, at=at
        )

    async def pending_in_thread(self, thread_key: str, event_id: str) -> list[AcceptedEvent] | None:
        """Counted, then passed on."""
        self.calls["pending_in_thread"] += 1
        return await self.inner.pending_in_thread(thread_key, event_id)

    async def has_accepted(self, thread_key: str) -> bool:
        """Counted, then passed on."""
        self.calls["has_accepted"] += 1
        return await self.inner.has_accepted(thread_key)

    async def forget_event(self, event_id: str) -> None:
        """Counted, then passed on."""
        self.calls["forget_event"] += 1
        await self.inner.forget_event(event_id)

    async def accepted_events(self, *, limit: int = 1000) -> list[AcceptedEvent]:
        """Counted, then passed on."""
        self.calls["accepted_events"] += 1
        return await self.inner.accepted_events(limit=limit)

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
        """Counted, then passed on."""
        self.calls["commit"] += 1
        return await self.inner.commit(
            at=at,
            event_id=event_id,
            state=state,
            turns=turns,
            cases=cases,
            actions=actions,
            audit=audit,
            done=done,
            updates=updates,
        )

    async def owed_actions(self) -> list[OwedAction]:
        """Counted, then passed on."""
        self.calls["owed_actions"] += 1
        return await self.inner.owed_actions()

    async def action_done(self, action_id: int, *, at: datetime, outcome: str = "") -> None:
        """Counted, then passed on."""
        self.calls["action_done"] += 1
        await self.inner.action_done(action_id, at=at, outcome=outcome)

    async def action_failed(
        self, action_id: int, *, at: datetime, error: str, give_up: bool
    ) -> None:
        """Counted (and a give-up counted apart), then passed on."""
        self.calls["action_failed"] += 1
        self.given_up += give_up
        await self.inner.action_failed(action_id, at=at, error=error, give_up=give_up)

    async def threads(
        self, *, platform: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[ThreadState]:
        """Counted, then passed on."""
        self.calls["threads"] += 1
        return await self.inner.threads(platform=platform, status=status, limit=limit)

    async def recent_turns(self, thread_key: str, *, limit: int, from_seq: int = 0) -> list[Turn]:
        """Counted, then passed on."""
        self.calls["recent_turns"] += 1
        return await self.inner.recent_turns(thread_key, limit=limit, from_seq=from_seq)

    async def user_turns(self, user_id: str, *, limit: int = 100_000) -> list[Turn]:
        """Counted, then passed on."""
        self.calls["user_turns"] += 1
        return await self.inner.user_turns(user_id, limit=limit)

    async def usage(self, *, since: datetime | None = None) -> list[UsageRow]:
        """Counted, then passed on."""
        self.calls["usage"] += 1
        return await self.inner.usage(since=since)

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
        """Counted, then passed on."""
        self.calls["turn_reads"] += 1
        return await self.inner.turn_reads(
            thread_key,
            event_id=event_id,
            history=history,
            workspace=workspace,
            user_id=user_id,
            locks_since=locks_since,
            pending=pending,
        )

    async def recent_locks(self, *, workspace: str, user_id: str, since: datetime) -> int:
        """Counted, then passed on."""
        self.calls["recent_locks"] += 1
        return await self.inner.recent_locks(workspace=workspace, user_id=user_id, since=since)

    async def case(self, *, workspace: str, number: int) -> Case | None:
        """Counted, then passed on."""
        self.calls["case"] += 1
        return await self.inner.case(workspace=workspace, number=number)

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
        """Counted, then passed on."""
        self.calls["cases"] += 1
        return await self.inner.cases(
            workspace=workspace,
            kinds=kinds,
            open_only=open_only,
            user_id=user_id,
            thread_key=thread_key,
            limit=limit,
        )

    async def case_posted(self, *, workspace: str, number: int, post: str) -> None:
        """Counted, then passed on."""
        self.calls["case_posted"] += 1
        await self.inner.case_posted(workspace=workspace, number=number, post=post)

    async def audit_records(self, *, since: datetime | None = None) -> list[AuditRecord]:
        """Counted, then passed on."""
        self.calls["audit_records"] += 1
        return await self.inner.audit_records(since=since)

    async def verify_audit(self, *, progress: Progress | None = None) -> AuditReport:
        """Counted, then passed on."""
        self.calls["verify_audit"] += 1
        return await self.inner.verify_audit(progress=progress)

    async def purge_excerpts(self, *, before: datetime, progress: Progress | None = None) -> int:
        """Counted, then passed on."""
        self.calls["purge_excerpts"] += 1
        return await self.inner.purge_excerpts(before=before, progress=progress)


def _typed(store: CountingStore) -> Store:
    """Never called: mypy checks here that CountingStore is a Store."""
    return store
