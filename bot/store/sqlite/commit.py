"""The SQLite store's decisions: one commit writes a whole decision in one IMMEDIATE transaction.

Everything that can be rejected without the database (a time without a timezone, data that is not
JSON, a `case_ref` out of range) is checked before the transaction starts (`bot.store.decision`).
The transaction then runs as one call on the connection's worker thread: the event id, the
thread's state, its turns, the numbered cases, the owed actions, the audit records and the actions
it marks done are all written, or none of them is.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial

from bot.errors import StoreError
from bot.records import Action, Case, CaseDraft, CaseUpdate, ThreadState
from bot.store.base import AuditEntry, Committed, DuplicateEvent, OwedAction, TurnRecord
from bot.store.chain import ChainItem, digest, linked, numbered_case
from bot.store.codec import action_to_json
from bot.store.decision import Decision, prepare, update_item, with_case_number
from bot.store.rows import clean_text, json_text
from bot.store.sqlite.connection import SqliteBase, insert_excerpt
from bot.store.sqlite.outbox import not_owed
from bot.store.sqlite.statements import (
    ACTION_DONE,
    AUDIT_HEAD,
    CASE_FOR_UPDATE,
    EVENT_SEEN,
    FORGET,
    GROUP_SIGNAL,
    INSERT_AUDIT,
    INSERT_CASE,
    INSERT_EVENT,
    INSERT_OUTBOX,
    INSERT_TURN,
    NEXT_CASE,
    SET_CASE_STATUS,
    SET_HEAD,
    SET_PINGED,
    UPSERT_THREAD,
)

log = logging.getLogger(__name__)


class SqliteCommit(SqliteBase):
    """Writing decisions, and asking whether an event's decision was written."""

    async def event_seen(self, event_id: str) -> bool:
        """True when a decision for this platform event id was already committed."""

        def read(conn: sqlite3.Connection) -> bool:
            return conn.execute(EVENT_SEEN, (event_id,)).fetchone() is not None

        return await self._call("look up an event", read)

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
            clean=clean_text,
            updates=updates,
        )
        return await self._write("commit a decision", partial(_commit, decision=decision))


def _commit(conn: sqlite3.Connection, decision: Decision) -> Committed:
    """The body of `commit`, on the worker thread, inside BEGIN IMMEDIATE."""
    d = decision
    if d.event_id is not None:
        inserted = conn.execute(INSERT_EVENT, (d.event_id, d.when)).rowcount
        if not inserted:
            raise DuplicateEvent(f"event {d.event_id} was already committed")
        conn.execute(FORGET, (d.event_id,))
    if d.thread is not None:
        conn.execute(UPSERT_THREAD, d.thread.values(d.when))
    turn_excerpts: dict[str, int] = {}
    for turn in d.turns:
        excerpt_id = insert_excerpt(conn, turn.text, turn.when) if turn.text else None
        conn.execute(INSERT_TURN, (*turn.values(turn.when), excerpt_id))
        if excerpt_id is not None:
            turn_excerpts[turn.text] = excerpt_id

    numbered: list[Case] = []
    chain: list[ChainItem] = []
    next_number: dict[str, int] = {}
    for draft, excerpt in zip(d.drafts, d.draft_excerpts, strict=True):
        case, item = _insert_case(conn, draft, excerpt, d, next_number)
        numbered.append(case)
        chain.append(item)
    for update, excerpts in zip(d.updates, d.update_excerpts, strict=True):
        chain.append(_update_case(conn, update, excerpts, d))

    owed: list[OwedAction] = []
    for action in d.actions:
        action = with_case_number(action, numbered)
        row = (json_text(action_to_json(action)), d.when, d.event_id)
        action_id = conn.execute(INSERT_OUTBOX, row).lastrowid
        assert action_id is not None  # an INSERT into a rowid table always has one
        owed.append(OwedAction(id=action_id, action=action, created_at=d.at, event_id=d.event_id))

    for item in d.entries:
        chain.append(_with_excerpt(conn, item, turn_excerpts, d.when))
    if chain:
        _append(conn, d.when, chain)
    for action_id, outcome in d.done:
        if conn.execute(ACTION_DONE, (d.when, outcome, action_id)).rowcount == 0:
            not_owed(conn, action_id, "done")
    return Committed(cases=tuple(numbered), actions=tuple(owed))


def _insert_case(
    conn: sqlite3.Connection,
    draft: CaseDraft,
    excerpt: str | None,
    d: Decision,
    next_number: dict[str, int],
) -> tuple[Case, ChainItem]:
    # Numbered inside the write transaction, so concurrent decisions can neither share a
    # number nor leave a gap (a rolled-back decision takes its number with it).
    number = next_number.get(draft.workspace)
    if number is None:
        row = conn.execute(NEXT_CASE, (draft.workspace,)).fetchone()
        number = 1 if row is None else int(row[0]) + 1
    next_number[draft.workspace] = number + 1

    excerpt_id = excerpt_digest = None
    if excerpt is not None:
        excerpt_digest = digest(excerpt)
        excerpt_id = insert_excerpt(conn, excerpt, d.when, excerpt_digest)
    case, item = numbered_case(
        draft,
        number=number,
        at=d.at,
        excerpt_id=excerpt_id,
        excerpt_digest=excerpt_digest,
    )
    conn.execute(
        INSERT_CASE,
        (
            draft.workspace,
            number,
            draft.kind,
            draft.user_id,
            draft.actor,
            draft.thread.key if draft.thread is not None else None,
            draft.category,
            int(draft.priority),
            draft.strikes,
            draft.summary,
            excerpt_id,
            draft.refers_to,
            case.status,
            d.when,
            case.status_by,
            None if case.status_at is None else d.when,
            d.when,
            None if case.pinged_at is None else d.when,
        ),
    )
    return case, item


def _update_case(
    conn: sqlite3.Connection, update: CaseUpdate, excerpts: str | None, d: Decision
) -> ChainItem:
    """Change one stored case; its audit record. A case that does not exist is a StoreError."""
    where = (update.workspace, update.number)
    row = conn.execute(CASE_FOR_UPDATE, where).fetchone()
    if row is None:
        raise StoreError(
            f"cannot update case {update.number} in {update.workspace}: there is no such case; "
            "nothing was written"
        )
    signals = int(row[1])
    if update.status is not None:
        conn.execute(SET_CASE_STATUS, (update.status, update.actor, update.reason, d.when, *where))
    if update.signal:
        excerpt_id = insert_excerpt(conn, excerpts, d.when) if excerpts is not None else None
        conn.execute(GROUP_SIGNAL, (d.when, update.summary, update.summary, excerpt_id, *where))
        signals += 1
    if update.pinged:
        conn.execute(SET_PINGED, (d.when, *where))
    item = update_item(update, thread_key=row[0], signals=signals)
    if item.excerpt is not None:
        text_digest = digest(item.excerpt)
        excerpt_id = insert_excerpt(conn, item.excerpt, d.when, text_digest)
        item = replace(item, excerpt_id=excerpt_id, excerpt_digest=text_digest)
    return item


def _with_excerpt(
    conn: sqlite3.Connection, item: ChainItem, turn_excerpts: dict[str, int], when: str
) -> ChainItem:
    """The record pointing at its excerpt: the turn's own row when the text is the same."""
    if item.excerpt is None:
        return item
    text_digest = digest(item.excerpt)
    excerpt_id = turn_excerpts.get(item.excerpt)
    if excerpt_id is None:
        excerpt_id = insert_excerpt(conn, item.excerpt, when, text_digest)
    return replace(item, excerpt_id=excerpt_id, excerpt_digest=text_digest)


def _append(conn: sqlite3.Connection, when: str, items: Sequence[ChainItem]) -> None:
    """Link `items` to the chain inside the write transaction: SQLite has one writer anyway."""
    head = conn.execute(AUDIT_HEAD).fetchone()
    if head is None:
        raise StoreError("the audit chain head is missing; run `audit verify`")
    rows, new_head = linked(items, head=(int(head[0]), str(head[1])), at=when, stored_at=when)
    for row in rows:
        conn.execute(INSERT_AUDIT, row)
    conn.execute(SET_HEAD, new_head)
