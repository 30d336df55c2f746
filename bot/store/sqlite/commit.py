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
from bot.records import Action, Case, CaseDraft, ThreadState
from bot.store.base import AuditEntry, Committed, DuplicateEvent, OwedAction, TurnRecord
from bot.store.chain import ChainItem, digest, linked, numbered_case
from bot.store.codec import action_to_json
from bot.store.decision import (
    REVIEWING_KINDS,
    Decision,
    note_not_reviewed,
    prepare,
    with_case_number,
)
from bot.store.rows import clean_text, json_text
from bot.store.sqlite.connection import SqliteBase, insert_excerpt
from bot.store.sqlite.outbox import not_owed
from bot.store.sqlite.statements import (
    ACTION_DONE,
    AUDIT_HEAD,
    EVENT_SEEN,
    FORGET,
    INSERT_AUDIT,
    INSERT_CASE,
    INSERT_EVENT,
    INSERT_OUTBOX,
    INSERT_TURN,
    MARK_REVIEWED,
    NEXT_CASE,
    SET_HEAD,
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
    for turn in d.turns:
        excerpt_id = insert_excerpt(conn, turn.text, turn.when) if turn.text else None
        conn.execute(INSERT_TURN, (*turn.values(turn.when), excerpt_id))

    numbered: list[Case] = []
    chain: list[ChainItem] = []
    next_number: dict[str, int] = {}
    for draft, excerpt in zip(d.drafts, d.draft_excerpts, strict=True):
        case, item = _insert_case(conn, draft, excerpt, d, next_number)
        numbered.append(case)
        chain.append(item)

    owed: list[OwedAction] = []
    for action in d.actions:
        action = with_case_number(action, numbered)
        row = (json_text(action_to_json(action)), d.when, d.event_id)
        action_id = conn.execute(INSERT_OUTBOX, row).lastrowid
        assert action_id is not None  # an INSERT into a rowid table always has one
        owed.append(OwedAction(id=action_id, action=action, created_at=d.at, event_id=d.event_id))

    for item in d.entries:
        if item.excerpt is not None:
            text_digest = digest(item.excerpt)
            excerpt_id = insert_excerpt(conn, item.excerpt, d.when, text_digest)
            item = replace(item, excerpt_id=excerpt_id, excerpt_digest=text_digest)
        chain.append(item)
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
    thread_key = draft.thread.key if draft.thread is not None else None
    conn.execute(
        INSERT_CASE,
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
        marked = conn.execute(MARK_REVIEWED, (draft.workspace, draft.refers_to)).rowcount
        if not marked:
            note_not_reviewed(draft, number=number)
    return numbered_case(
        draft,
        number=number,
        at=d.at,
        excerpt_id=excerpt_id,
        excerpt_digest=excerpt_digest,
    )


def _append(conn: sqlite3.Connection, when: str, items: Sequence[ChainItem]) -> None:
    head = conn.execute(AUDIT_HEAD).fetchone()
    if head is None:
        raise StoreError("the audit chain head is missing; run `audit verify`")
    rows, new_head = linked(items, head=(int(head[0]), str(head[1])), at=when, stored_at=when)
    for row in rows:
        conn.execute(INSERT_AUDIT, row)
    conn.execute(SET_HEAD, new_head)
