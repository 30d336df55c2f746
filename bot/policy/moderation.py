"""Moderators' commands: unlock, uphold, note and pardon, each recorded as a case of its own.

A command from someone who is not a moderator, or one that does not apply, is refused with a
notice where it was given, and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import notices
from bot.modlog import draft_case
from bot.records import Action, CaseDraft, Decision, ModCommand, ThreadRef, ThreadState


def moderate(
    *,
    state: ThreadState | None,
    command: ModCommand,
    now: datetime,
    appellant: str | None = None,
) -> Decision:
    """A moderator's command: unlock, uphold, note or pardon. Each is itself a case.

    Returns verdict "refused" (with a notice to the moderator's thread where there is one) when
    the author is not a moderator or the command does not apply; nothing changes then.
    """
    mod = command.moderator
    ref = command.thread or (state.ref if state else None) or command.origin
    # A refusal answers where the command was given, not in the user's thread.
    if not mod.is_moderator:
        return _refused(command.origin, notices.NOT_A_MODERATOR)

    if command.command == "unlock":
        if state is None or state.status not in ("locked", "ended"):
            return _refused(command.origin, notices.NOT_CLOSED)
        reopened = replace(
            state,
            status="open",
            strikes=0,
            benign_streak=0,
            pending_end_by=None,
            closed_at=None,
            closed_category="none",
            warned_users=(),
        )
        case = draft_case(
            kind="unlock",
            state=state,
            user_id=state.owner,
            actor=mod.id,
            refers_to=command.case,
            summary=command.note or f"Unlocked by {mod.name}; strikes reset.",
        )
        return Decision(
            verdict="unlock",
            state=reopened,
            actions=(
                Action(kind="unlock", thread=state.ref, text=notices.UNLOCKED),
                Action(kind="case", thread=state.ref, case_ref=0),
                *_tell_appellant(state.ref, appellant, notices.APPEAL_UNLOCKED),
            ),
            cases=(case,),
        )

    if command.command == "uphold":
        if command.case is None:
            return _refused(command.origin, notices.NEEDS_CASE)
        case = draft_case(
            kind="uphold",
            state=state,
            workspace=command.origin.workspace,
            user_id=state.owner if state else (command.user_id or ""),
            actor=mod.id,
            refers_to=command.case,
            summary=command.note or f"Upheld by {mod.name}.",
        )
        upheld = _mod_case(case, ref)
        told = _tell_appellant(ref, appellant, notices.APPEAL_UPHELD)
        return replace(upheld, actions=(*upheld.actions, *told))

    if command.command == "note":
        if not command.note.strip():
            return _refused(command.origin, notices.NEEDS_NOTE)
        case = draft_case(
            kind="note",
            state=state,
            workspace=command.origin.workspace,
            user_id=(command.user_id or (state.owner if state else "")),
            actor=mod.id,
            refers_to=command.case,
            summary=command.note.strip(),
        )
        return _mod_case(case, ref)

    # pardon: the user's earlier locks no longer count towards the repeat-lock signal.
    user = command.user_id or (state.owner if state else None)
    if not user:
        return _refused(command.origin, notices.NEEDS_USER)
    case = draft_case(
        kind="pardon",
        state=state,
        workspace=command.origin.workspace,
        user_id=user,
        actor=mod.id,
        refers_to=command.case,
        summary=command.note or f"Pardoned by {mod.name}: earlier locks no longer count.",
    )
    return _mod_case(case, ref)


def _tell_appellant(ref: ThreadRef, appellant: str | None, text: str) -> tuple[Action, ...]:
    """The user who appealed hears the outcome privately."""
    if not appellant:
        return ()
    return (Action(kind="private_notice", thread=ref, text=text, user_id=appellant),)


def _mod_case(case: CaseDraft, ref: ThreadRef) -> Decision:
    return Decision(
        verdict=case.kind, cases=(case,), actions=(Action(kind="case", thread=ref, case_ref=0),)
    )


def _refused(ref: ThreadRef, text: str) -> Decision:
    return Decision(verdict="refused", actions=(Action(kind="notice", thread=ref, text=text),))
