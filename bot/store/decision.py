"""A decision checked and serialised before its transaction starts, the same for both backends.

Everything `commit` can reject without the database (a time without a timezone, data that is not
JSON, an unknown case kind, a `case_ref` out of range) is rejected here, before a backend opens a
transaction, so what is left to a backend is its SQL. Text is cleaned by the backend's own rule
(`clean`): each database refuses different characters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.errors import StoreError
from bot.records import CASE_KINDS, CASE_STATUSES, Action, Case, CaseDraft, CaseUpdate, ThreadState
from bot.store import codec
from bot.store.base import AuditEntry, TurnRecord
from bot.store.chain import ChainItem, canonical_json
from bot.store.rows import cut, json_text

log = logging.getLogger(__name__)

#: Longest turn text kept: the model's history needs whole messages, but not unbounded ones.
TURN_TEXT_CHARS = 8000
#: Longest reason a moderator gives for a change of a case's state.
REASON_CHARS = 1000


@dataclass(frozen=True, kw_only=True, slots=True)
class PreparedThread:
    """A thread's row, its state serialised."""

    key: str
    status: str
    owner: str
    workspace: str
    state: str

    def values(self, at: object) -> tuple[Any, ...]:
        """The `threads` columns, with `at` (the update time) as the backend stores times."""
        return (self.key, self.status, self.owner, self.workspace, self.state, at)


@dataclass(frozen=True, kw_only=True, slots=True)
class PreparedTurn:
    """A turn's row, serialised; `text` cleaned and cut to TURN_TEXT_CHARS (it is an excerpt)."""

    thread_key: str
    role: str
    author_id: str
    author_name: str
    #: The turn's time as stored text, and parsed back (no finer than what is stored).
    when: str
    at: datetime
    event_id: str | None
    verdict: str
    assessment: str | None
    hidden: bool
    flagged: bool
    usage: str
    text: str

    def values(self, at: object) -> tuple[Any, ...]:
        """The `turns` columns up to `usage`, with `at` as the backend stores times."""
        return (
            self.thread_key,
            self.role,
            self.author_id,
            self.author_name,
            at,
            self.event_id,
            self.verdict,
            self.assessment,
            self.hidden,
            self.flagged,
            self.usage,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """A decision checked and serialised, ready to be written in one transaction."""

    #: The decision's time as stored text, and parsed back (no finer than what is stored).
    when: str
    at: datetime
    event_id: str | None
    thread: PreparedThread | None
    turns: list[PreparedTurn]
    drafts: list[CaseDraft]
    #: Each draft's excerpts as JSON text, None for a draft without any.
    draft_excerpts: list[str | None]
    actions: Sequence[Action]
    entries: list[ChainItem]
    #: Owed actions (id, outcome) this write also marks done.
    done: list[tuple[int, str]]
    #: Changes to stored cases, cleaned; each excerpt list as JSON text (None: keep the case's).
    updates: list[CaseUpdate] = field(default_factory=list)
    update_excerpts: list[str | None] = field(default_factory=list)


def prepare(
    *,
    at: datetime,
    event_id: str | None,
    state: ThreadState | None,
    turns: Sequence[TurnRecord],
    cases: Sequence[CaseDraft],
    actions: Sequence[Action],
    audit: Sequence[AuditEntry],
    done: Sequence[tuple[int, str]],
    excerpt_chars: int,
    clean: Callable[[str], str],
    updates: Sequence[CaseUpdate] = (),
) -> Decision:
    """Check and serialise one decision; StoreError (nothing written) for what cannot be."""
    try:
        when = codec.time_to_json(at)
        drafts = [_trim_draft(d, excerpt_chars=excerpt_chars, clean=clean) for d in cases]
        changes = [_trim_update(u, excerpt_chars=excerpt_chars, clean=clean) for u in updates]
        for action in actions:
            if action.case_ref is not None and not 0 <= action.case_ref < len(drafts):
                raise ValueError(
                    f"a {action.kind} action refers to case {action.case_ref} of a decision "
                    f"that opens {len(drafts)} case(s)"
                )
        return Decision(
            when=when,
            at=codec.time_from_json(when),
            event_id=event_id,
            thread=None if state is None else _thread(state),
            turns=[_turn(t, clean=clean) for t in turns],
            drafts=drafts,
            draft_excerpts=[json_text(list(d.excerpts)) if d.excerpts else None for d in drafts],
            actions=actions,
            entries=[
                ChainItem(
                    kind=e.kind,
                    actor=e.actor,
                    thread_key=e.thread_key,
                    data_json=canonical_json(dict(e.data)),
                    excerpt=None if e.excerpt is None else clean(e.excerpt),
                )
                for e in audit
            ],
            done=[(i, clean(o)) for i, o in done],
            updates=changes,
            update_excerpts=[
                json_text(list(u.excerpts)) if u.signal and u.excerpts else None for u in changes
            ],
        )
    except (ValueError, TypeError) as exc:
        raise StoreError(f"cannot commit this decision: {exc}; nothing was written") from exc


def _thread(state: ThreadState) -> PreparedThread:
    return PreparedThread(
        key=state.ref.key,
        status=state.status,
        owner=state.owner,
        workspace=state.ref.workspace,
        state=json_text(codec.thread_state_to_json(state)),
    )


def _turn(turn: TurnRecord, *, clean: Callable[[str], str]) -> PreparedTurn:
    when = codec.time_to_json(turn.at)
    assessment = turn.assessment
    return PreparedTurn(
        thread_key=turn.thread_key,
        role=turn.role,
        author_id=clean(turn.author_id),
        author_name=clean(turn.author_name),
        when=when,
        at=codec.time_from_json(when),
        event_id=turn.event_id,
        verdict=turn.verdict,
        assessment=None if assessment is None else json_text(codec.assessment_to_json(assessment)),
        hidden=turn.hidden,
        flagged=turn.flagged,
        usage=json_text(dict(turn.usage)),
        text=clean(turn.text[:TURN_TEXT_CHARS]),
    )


def _trim_draft(draft: CaseDraft, *, excerpt_chars: int, clean: Callable[[str], str]) -> CaseDraft:
    if draft.kind not in CASE_KINDS:
        raise ValueError(f"unknown case kind {draft.kind!r}")
    return replace(
        draft,
        summary=clean(draft.summary),
        excerpts=tuple(cut(clean(e), excerpt_chars) for e in draft.excerpts),
    )


def _trim_update(
    update: CaseUpdate, *, excerpt_chars: int, clean: Callable[[str], str]
) -> CaseUpdate:
    if update.status is not None and update.status not in CASE_STATUSES:
        raise ValueError(f"unknown case status {update.status!r}")
    if update.number < 1:
        raise ValueError(f"an update of case {update.number}, which cannot exist")
    return replace(
        update,
        reason=cut(clean(update.reason.strip()), REASON_CHARS),
        summary=clean(update.summary),
        excerpts=tuple(cut(clean(e), excerpt_chars) for e in update.excerpts),
    )


def update_item(update: CaseUpdate, *, thread_key: str | None, signals: int) -> ChainItem:
    """The audit record of one change to a case (`signals`: its count after the change).

    The latest excerpt of a grouped signal is kept outside the chain, which holds its digest.
    """
    data: dict[str, Any] = {
        "workspace": update.workspace,
        "number": update.number,
        "status": update.status,
        "reason": update.reason,
        "signal": update.signal,
        "signals": signals,
        "pinged": update.pinged,
    }
    latest = update.excerpts[-1] if update.signal and update.excerpts else None
    return ChainItem(
        kind="case_update",
        actor=update.actor,
        thread_key=thread_key,
        data_json=canonical_json(data),
        excerpt=latest,
    )


def with_case_number(action: Action, cases: Sequence[Case]) -> Action:
    """The action with its `case_ref` (an index into the decision's cases) made a case number."""
    if action.case_ref is None:
        return action
    return replace(action, case=cases[action.case_ref].number, case_ref=None)
