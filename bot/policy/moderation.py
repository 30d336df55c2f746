"""Moderators' commands: close, unlock, uphold, acknowledge, resolve, note and pardon.

The runtime looks up what a command acts on and passes it in: the thread's state, the case the
command names (`target`), the case that closed the thread (`closing`) and the appeal still
waiting on it (`appeal`). Each command that does something is recorded: as a case of its own (a
close, an unlock, an uphold, a note, a pardon) and/or as changes to the cases it settles
(`Decision.updates`: acknowledged or resolved, by whom and why), each of which the store audits.

A command from someone who is not a moderator, or one that does not apply (an uphold of a thread
that is open again, a resolve of a case already resolved), is refused with a notice where it was
given, and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import notices
from bot.modlog import draft_case
from bot.records import (
    REVIEW_KINDS,
    Action,
    Case,
    CaseDraft,
    CaseStatus,
    CaseUpdate,
    Decision,
    ModCommand,
    ThreadRef,
    ThreadState,
)

#: Case kinds a moderator closes by reopening the thread or by upholding the closing, so the user
#: hears the outcome and the review counts in the reversal rate; `resolve` refuses them while the
#: thread is still closed.
DECIDED_BY_REVIEW = frozenset({"lock", "appeal"})


def moderate(
    *,
    state: ThreadState | None,
    command: ModCommand,
    now: datetime,
    target: Case | None = None,
    closing: Case | None = None,
    appeal: Case | None = None,
) -> Decision:
    """A moderator's command; verdict "refused" (nothing changes) when it does not apply."""
    mod = command.moderator
    # A refusal answers where the command was given, not in the user's thread.
    if not mod.is_moderator:
        return _refused(command.origin, notices.NOT_A_MODERATOR)
    if command.case is not None and target is None:
        return _refused(command.origin, notices.no_such_case(command.case))
    reason = " ".join(command.note.split())
    kind = command.command
    if kind == "lock":
        return _close(state, command, reason, now)
    # Unlock and uphold settle the closing, the appeal against it, and the case they were given on.
    given = target if target is not None and target.kind in DECIDED_BY_REVIEW else None
    settles = (closing, appeal, given)
    if kind == "unlock":
        return _unlock(state, command, reason, settles, appeal)
    if kind == "uphold":
        return _uphold(state, command, reason, settles, appeal)
    if kind in ("acknowledge", "resolve"):
        return _move(state, command, reason, target)
    if kind == "note":
        if not reason:
            return _refused(command.origin, notices.NEEDS_NOTE)
        case = draft_case(
            kind="note",
            state=state,
            workspace=command.origin.workspace,
            user_id=command.user_id or (target.user_id if target else "") or _owner(state),
            actor=mod.id,
            refers_to=command.case,
            summary=command.note.strip(),
        )
        return _mod_case(case, _where(state, command))
    return _pardon(state, command, reason, target)


def _close(state: ThreadState | None, command: ModCommand, reason: str, now: datetime) -> Decision:
    """A moderator closes a thread (inside a crisis window too: they are the people who may)."""
    if command.thread is None and state is None:
        return _refused(command.origin, notices.NEEDS_THREAD)
    if state is None:
        return _refused(command.origin, notices.NOT_HOSTED)
    if state.status in ("locked", "ended"):
        return _refused(command.origin, notices.ALREADY_CLOSED)
    if not reason:
        return _refused(command.origin, notices.NEEDS_REASON)
    mod = command.moderator
    closed = replace(
        state,
        status="locked",
        pending_end_by=None,
        closed_at=now,
        closed_category="none",
        closed_by=mod.id,
    )
    case = draft_case(
        kind="mod_lock",
        state=closed,
        user_id=state.owner,
        actor=mod.id,
        refers_to=command.case,
        summary=f"Closed by {mod.name}: {reason}",
    )
    return Decision(
        verdict="mod_lock",
        state=closed,
        actions=(
            Action(
                kind="lock",
                thread=state.ref,
                text=notices.moderator_lock_notice(reason),
                user_id=state.owner,
                case_ref=0,
            ),
            Action(kind="case", thread=state.ref, case_ref=0),
        ),
        cases=(case,),
    )


def _unlock(
    state: ThreadState | None,
    command: ModCommand,
    reason: str,
    settles: tuple[Case | None, ...],
    appeal: Case | None,
) -> Decision:
    if state is None or state.status not in ("locked", "ended"):
        return _refused(command.origin, notices.NOT_CLOSED)
    mod = command.moderator
    reopened = replace(
        state,
        status="open",
        strikes=0,
        benign_streak=0,
        pending_end_by=None,
        closed_at=None,
        closed_category="none",
        warned_users=(),
        closed_by="",
    )
    closing = settles[0]
    case = draft_case(
        kind="unlock",
        state=state,
        user_id=state.owner,
        actor=mod.id,
        refers_to=closing.number if closing else command.case,
        summary=f"Unlocked by {mod.name}; strikes reset."
        + (f" Reason: {reason}" if reason else ""),
    )
    updates, shown = _settle(settles, state.ref, mod.id, "resolved", reason)
    return Decision(
        verdict="unlock",
        state=reopened,
        actions=(
            Action(kind="unlock", thread=state.ref, text=notices.UNLOCKED),
            Action(kind="case", thread=state.ref, case_ref=0),
            *shown,
            *_tell_appellant(state.ref, appeal, notices.appeal_unlocked(reason)),
        ),
        cases=(case,),
        updates=updates,
    )


def _uphold(
    state: ThreadState | None,
    command: ModCommand,
    reason: str,
    settles: tuple[Case | None, ...],
    appeal: Case | None,
) -> Decision:
    if command.case is None and command.thread is None:
        return _refused(command.origin, notices.NEEDS_CASE)
    if state is None or state.status not in ("locked", "ended"):
        # Counting this as upheld would make the reversal rate say the closing stands.
        return _refused(command.origin, notices.NOT_CLOSED_UPHOLD)
    closing = settles[0]
    if closing is None:
        return _refused(command.origin, notices.NO_CLOSING)
    mod = command.moderator
    case = draft_case(
        kind="uphold",
        state=state,
        workspace=command.origin.workspace,
        user_id=state.owner,
        actor=mod.id,
        refers_to=closing.number,
        summary=f"Upheld by {mod.name}." + (f" Reason: {reason}" if reason else ""),
    )
    updates, shown = _settle(settles, state.ref, mod.id, "resolved", reason)
    upheld = _mod_case(case, state.ref)
    return replace(
        upheld,
        actions=(
            *upheld.actions,
            *shown,
            *_tell_appellant(state.ref, appeal, notices.appeal_upheld(reason)),
        ),
        updates=updates,
    )


def _move(
    state: ThreadState | None, command: ModCommand, reason: str, target: Case | None
) -> Decision:
    """Acknowledge (a moderator has taken it up) or resolve (done with) one waiting case."""
    if target is None:
        return _refused(command.origin, notices.NEEDS_CASE)
    if target.status == "resolved":
        if target.kind not in REVIEW_KINDS:
            return _refused(command.origin, notices.not_for_review(target.number))
        return _refused(command.origin, notices.already_resolved(target.number, target.status_by))
    acknowledge = command.command == "acknowledge"
    if acknowledge and target.status == "acknowledged":
        return _refused(
            command.origin, notices.already_acknowledged(target.number, target.status_by)
        )
    closed = state is not None and state.status in ("locked", "ended")
    if not acknowledge and target.kind in DECIDED_BY_REVIEW and closed:
        return _refused(command.origin, notices.USE_UNLOCK_OR_UPHOLD)
    status: CaseStatus = "acknowledged" if acknowledge else "resolved"
    updates, shown = _settle(
        (target,), _where(state, command), command.moderator.id, status, reason
    )
    return Decision(verdict=command.command, actions=shown, updates=updates)


def _pardon(
    state: ThreadState | None, command: ModCommand, reason: str, target: Case | None
) -> Decision:
    """The user's earlier locks no longer count towards the repeat-lock signal.

    Given on a repeat-lock case, the pardon also resolves it: that is the moderator's answer.
    """
    mod = command.moderator
    user = command.user_id or (target.user_id if target else "") or _owner(state)
    if not user:
        return _refused(command.origin, notices.NEEDS_USER)
    case = draft_case(
        kind="pardon",
        state=state,
        workspace=command.origin.workspace,
        user_id=user,
        actor=mod.id,
        refers_to=command.case,
        summary=command.note.strip() or f"Pardoned by {mod.name}: earlier locks no longer count.",
    )
    where = _where(state, command)
    pardoned = _mod_case(case, where)
    if target is None or target.kind != "repeat_locks":
        return pardoned
    updates, shown = _settle((target,), where, mod.id, "resolved", reason)
    return replace(pardoned, actions=(*pardoned.actions, *shown), updates=updates)


def _settle(
    cases: tuple[Case | None, ...],
    where: ThreadRef,
    actor: str,
    status: CaseStatus,
    reason: str,
) -> tuple[tuple[CaseUpdate, ...], tuple[Action, ...]]:
    """Move each waiting case to `status`, and show each change where the case is shown."""
    updates: list[CaseUpdate] = []
    shown: list[Action] = []
    seen: set[int] = set()
    for case in cases:
        if case is None or not case.waiting or case.number in seen:
            continue
        seen.add(case.number)
        updates.append(
            CaseUpdate(
                workspace=case.workspace,
                number=case.number,
                actor=actor,
                status=status,
                reason=reason,
            )
        )
        shown.append(Action(kind="case_update", thread=case.thread or where, case=case.number))
    return tuple(updates), tuple(shown)


def _owner(state: ThreadState | None) -> str:
    return state.owner if state else ""


def _where(state: ThreadState | None, command: ModCommand) -> ThreadRef:
    return command.thread or (state.ref if state else None) or command.origin


def _tell_appellant(ref: ThreadRef, appeal: Case | None, text: str) -> tuple[Action, ...]:
    """The user who appealed hears the outcome privately, with the moderator's reason."""
    if appeal is None or not appeal.waiting:
        return ()
    return (Action(kind="private_notice", thread=ref, text=text, user_id=appeal.user_id),)


def _mod_case(case: CaseDraft, ref: ThreadRef) -> Decision:
    return Decision(
        verdict=case.kind, cases=(case,), actions=(Action(kind="case", thread=ref, case_ref=0),)
    )


def _refused(ref: ThreadRef, text: str) -> Decision:
    return Decision(verdict="refused", actions=(Action(kind="notice", thread=ref, text=text),))
