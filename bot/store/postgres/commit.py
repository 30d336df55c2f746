"""The PostgreSQL store's decisions: one commit, safe while several processes commit at once.

Every guarantee of the single SQLite process must hold across processes. They are kept by the
database itself, not by a protocol between processes:

- **Each event handled once**: `events.event_id` is a primary key; `commit` inserts it first with
  ON CONFLICT DO NOTHING and raises DuplicateEvent (writing nothing) when the row already existed.
  A second process committing the same event concurrently waits for the first and then finds it.
- **Cases numbered without gaps or duplicates** per workspace: a `case_counters` row per workspace
  is advanced with `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` inside the decision's
  transaction. The row stays locked until commit, and a rollback returns the numbers.
- **One audit chain, without one row every writer waits on**: a decision writes its audit
  records into `audit_pending`, unlinked, in its own transaction; after the commit one chainer at
  a time (any process, `chaining`) links them in a short transaction of its own. Writers never
  touch `audit_head`, and a crash between the commit and the linking loses no record.
- **A case changed by one decision at a time**: a `CaseUpdate` locks the case's row
  (SELECT ... FOR UPDATE) before changing it, so two moderators resolving one case at once, or a
  signal grouped into a case a moderator is resolving, queue one behind the other.
- Locks are always taken in one order (event, thread, case counters by workspace name, updated
  cases),
  so concurrent decisions queue instead of deadlocking; a deadlock or serialisation failure all the
  same is retried a few times.

The decision is checked before its transaction starts (`bot.store.decision`), and its fresh
actions are leased to this process (see `coordination`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.errors import StoreError
from bot.records import Action, Case, CaseDraft, CaseUpdate, ThreadState
from bot.store.base import AuditEntry, Committed, DuplicateEvent, OwedAction, TurnRecord
from bot.store.chain import ChainItem, digest, numbered_case
from bot.store.codec import action_to_json
from bot.store.decision import Decision, prepare, update_item, with_case_number
from bot.store.postgres.chaining import PostgresChaining
from bot.store.postgres.connection import clean
from bot.store.postgres.driver import Conn, count
from bot.store.postgres.outbox import not_owed
from bot.store.postgres.statements import (
    ACTION_DONE,
    CASE_FOR_UPDATE,
    EVENT_SEEN,
    FORGET,
    GROUP_SIGNAL,
    INSERT_CASE,
    INSERT_EVENT,
    INSERT_EXCERPT,
    INSERT_OUTBOX,
    INSERT_PENDING,
    INSERT_TURN,
    NEXT_CASES,
    SET_CASE_STATUS,
    SET_PINGED,
    UPSERT_THREAD,
)
from bot.store.rows import json_text

log = logging.getLogger(__name__)

#: How often a decision is retried after a deadlock or a serialisation failure.
COMMIT_ATTEMPTS = 3


class PostgresCommit(PostgresChaining):
    """Writing decisions, and asking whether an event's decision was written."""

    async def event_seen(self, event_id: str) -> bool:
        """True when a decision for this platform event id was already committed."""

        async def read(conn: Conn) -> bool:
            return await conn.fetchval(EVENT_SEEN, event_id) is not None

        return await self._read("look up an event", read)

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
        """Write one decision atomically; raise DuplicateEvent if `event_id` was seen before."""
        decision = prepare(
            at=at,
            event_id=event_id,
            state=state,
            turns=turns,
            cases=cases,
            actions=actions,
            audit=audit,
            done=done,
            excerpt_chars=self.excerpt_chars,
            clean=clean,
            updates=updates,
        )

        async def body(conn: Conn) -> Committed:
            return await _commit(conn, decision, owner=self.owner, lease=self.lease)

        committed = await self._write("commit a decision", body, retries=COMMIT_ATTEMPTS)
        if decision.entries or decision.drafts or decision.updates:
            self.chain_soon()  # linked after the commit, in the background (see `chaining`)
        return committed


async def _commit(conn: Conn, d: Decision, *, owner: str, lease: timedelta) -> Committed:
    """The body of `commit`, inside its transaction; fresh actions are leased to `owner`."""
    if d.event_id is not None and not count(await conn.execute(INSERT_EVENT, d.event_id, d.at)):
        raise DuplicateEvent(f"event {d.event_id} was already committed")
    if d.event_id is not None:
        await conn.execute(FORGET, d.event_id)
    if d.thread is not None:
        await conn.execute(UPSERT_THREAD, *d.thread.values(d.at))
    turn_excerpts: dict[str, int] = {}
    for turn in d.turns:
        excerpt_id = await conn.fetchval(
            INSERT_TURN, *turn.values(turn.at), digest(turn.text), turn.text
        )
        if excerpt_id is not None:
            turn_excerpts[turn.text] = int(excerpt_id)

    # Take every workspace's numbers up front, in name order (see the module docstring).
    wanted: dict[str, int] = {}
    for draft in d.drafts:
        wanted[draft.workspace] = wanted.get(draft.workspace, 0) + 1
    next_number: dict[str, int] = {}
    for workspace in sorted(wanted):
        last = await conn.fetchval(NEXT_CASES, workspace, wanted[workspace])
        next_number[workspace] = int(last) - wanted[workspace] + 1

    numbered: list[Case] = []
    chain: list[ChainItem] = []
    for draft, excerpt in zip(d.drafts, d.draft_excerpts, strict=True):
        number = next_number[draft.workspace]
        next_number[draft.workspace] = number + 1
        case, item = await _insert_case(conn, draft, number, excerpt, d.at)
        numbered.append(case)
        chain.append(item)
    # Updated cases are locked in (workspace, number) order, like every other lock here.
    changes = sorted(
        zip(d.updates, d.update_excerpts, strict=True),
        key=lambda pair: (pair[0].workspace, pair[0].number),
    )
    for update, excerpts in changes:
        chain.append(await _update_case(conn, update, excerpts, d.at))

    owed: list[OwedAction] = []
    for action in d.actions:
        action = with_case_number(action, numbered)
        action_id = await conn.fetchval(
            INSERT_OUTBOX, json_text(action_to_json(action)), d.at, d.event_id, owner, lease
        )
        owed.append(
            OwedAction(id=int(action_id), action=action, created_at=d.at, event_id=d.event_id)
        )

    for item in d.entries:
        chain.append(await _with_excerpt(conn, item, turn_excerpts, d.at))
    if chain:
        await _queue(conn, d.at, chain)
    for action_id, outcome in d.done:
        if not count(await conn.execute(ACTION_DONE, d.at, outcome, action_id)):
            await not_owed(conn, action_id, "done")
    return Committed(cases=tuple(numbered), actions=tuple(owed))


async def _insert_case(
    conn: Conn, draft: CaseDraft, number: int, excerpt: str | None, at: datetime
) -> tuple[Case, ChainItem]:
    excerpt_id = excerpt_digest = None
    if excerpt is not None:
        excerpt_digest = digest(excerpt)
        excerpt_id = int(await conn.fetchval(INSERT_EXCERPT, excerpt_digest, excerpt, at))
    case, item = numbered_case(
        draft,
        number=number,
        at=at,
        excerpt_id=excerpt_id,
        excerpt_digest=excerpt_digest,
    )
    await conn.execute(
        INSERT_CASE,
        draft.workspace,
        number,
        draft.kind,
        draft.user_id,
        draft.actor,
        draft.thread.key if draft.thread is not None else None,
        draft.category,
        draft.priority,
        draft.strikes,
        draft.summary,
        excerpt_id,
        draft.refers_to,
        case.status,
        at,
        case.status_by,
        None if case.status_at is None else at,
        at,
        None if case.pinged_at is None else at,
    )
    return case, item


async def _update_case(
    conn: Conn, update: CaseUpdate, excerpts: str | None, at: datetime
) -> ChainItem:
    """Change one stored case; its audit record. A case that does not exist is a StoreError."""
    where = (update.workspace, update.number)
    row = await conn.fetchrow(CASE_FOR_UPDATE, *where)
    if row is None:
        raise StoreError(
            f"cannot update case {update.number} in {update.workspace}: there is no such case; "
            "nothing was written"
        )
    signals = int(row["signals"])
    if update.status is not None:
        await conn.execute(SET_CASE_STATUS, update.status, update.actor, update.reason, at, *where)
    if update.signal:
        excerpt_id = None
        if excerpts is not None:
            excerpt_id = int(await conn.fetchval(INSERT_EXCERPT, digest(excerpts), excerpts, at))
        await conn.execute(GROUP_SIGNAL, at, update.summary, excerpt_id, *where)
        signals += 1
    if update.pinged:
        await conn.execute(SET_PINGED, at, *where)
    item = update_item(update, thread_key=row["thread_key"], signals=signals)
    if item.excerpt is not None:
        text_digest = digest(item.excerpt)
        excerpt_id = int(await conn.fetchval(INSERT_EXCERPT, text_digest, item.excerpt, at))
        item = replace(item, excerpt_id=excerpt_id, excerpt_digest=text_digest)
    return item


async def _with_excerpt(
    conn: Conn, item: ChainItem, turn_excerpts: dict[str, int], at: datetime
) -> ChainItem:
    """The record pointing at its excerpt: the turn's own row when the text is the same."""
    if item.excerpt is None:
        return item
    text_digest = digest(item.excerpt)
    excerpt_id = turn_excerpts.get(item.excerpt)
    if excerpt_id is None:
        excerpt_id = int(await conn.fetchval(INSERT_EXCERPT, text_digest, item.excerpt, at))
    return replace(item, excerpt_id=excerpt_id, excerpt_digest=text_digest)


async def _queue(conn: Conn, at: datetime, items: Sequence[ChainItem]) -> None:
    """Write `items` unlinked, in one statement; the chainer links them after the commit."""
    await conn.execute(
        INSERT_PENDING,
        at,
        [i.kind for i in items],
        [i.actor for i in items],
        [i.thread_key for i in items],
        [i.data_json for i in items],
        [i.excerpt_digest for i in items],
        [i.excerpt_id for i in items],
    )
