"""What a user asks of a thread outside a turn: the answer to "end it?", an appeal, a branch.

Each takes the thread's state and what the runtime looked up (an open appeal, today's appeals,
whether the new thread is taken) and returns a decision; the runtime carries it out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import notices
from bot.config import Settings
from bot.modlog import draft_case
from bot.policy.crisis import in_crisis_window, keep_open_in_crisis
from bot.policy.ladder import _end, is_closed
from bot.records import Action, Appeal, Branch, Case, Decision, EndConfirmation, ThreadState

# --- ending --------------------------------------------------------------------------------------


def confirm(
    *,
    state: ThreadState,
    confirmation: EndConfirmation,
    settings: Settings,
    now: datetime,
    group: Case | None = None,
) -> Decision:
    """A button answer to the end-of-thread question; only the user who asked may answer.

    Inside the crisis window a "yes" keeps the thread open; `group` is the thread's unresolved
    priority case, which the request joins.
    """
    if is_closed(state) or state.pending_end_by != confirmation.author.id:
        return Decision(
            verdict="ignored",
            actions=(Action(kind="ignored", thread=state.ref, user_id=confirmation.author.id),),
        )
    if confirmation.confirmed and in_crisis_window(state, settings, now):
        return keep_open_in_crisis(
            replace(state, pending_end_by=None),
            confirmation.author.id,
            settings=settings,
            now=now,
            excerpt=(),
            group=group,
        )
    if confirmation.confirmed:
        return _end(state, confirmation.author.id, now)
    kept = replace(state, pending_end_by=None)
    return Decision(
        verdict="end_cancelled",
        state=kept,
        actions=(Action(kind="notice", thread=state.ref, text=notices.END_CANCELLED),),
    )


# --- appeals -------------------------------------------------------------------------------------

#: Appeals one user may send in a day, against spam.
MAX_APPEALS_PER_DAY = 3


def appeal(
    *,
    state: ThreadState | None,
    request: Appeal,
    lock_case: int | None,
    open_appeal: bool,
    appeals_today: int,
) -> Decision:
    """A user asks for a review of the closing of their thread: one open appeal per closing."""
    ref = request.thread
    user = request.author.id

    def private(text: str) -> Action:
        return Action(kind="private_notice", thread=ref, text=text, user_id=user)

    if state is None or not is_closed(state):
        return Decision(verdict="appeal_refused", actions=(private(notices.APPEAL_NOT_CLOSED),))
    if open_appeal:
        return Decision(verdict="appeal_refused", actions=(private(notices.APPEAL_ALREADY_OPEN),))
    if appeals_today >= MAX_APPEALS_PER_DAY:
        return Decision(verdict="appeal_refused", actions=(private(notices.APPEAL_TOO_MANY),))
    statement = " ".join(request.statement.split())[:500] or "(no statement)"
    case = draft_case(
        kind="appeal",
        state=state,
        user_id=user,
        actor=user,
        refers_to=lock_case,
        category=state.closed_category,
        summary=f"{request.author.name} asks the moderators to review this closing.",
        excerpts=(statement,),
    )
    return Decision(
        verdict="appeal",
        cases=(case,),
        actions=(Action(kind="case", thread=ref, case_ref=0), private(notices.APPEAL_SENT)),
    )


# --- branching ---------------------------------------------------------------------------------


def branch(
    *,
    state: ThreadState | None,
    request: Branch,
    taken: bool,
    user_turns: int,
    lock_case: int | None,
) -> Decision:
    """Continue a locked thread in a new one, from before its first strike, with clean strikes.

    Only the user whose thread was locked may branch it. A second branch of the same lock is
    allowed: it carries the same pre-strike history, and a lock in any branch is a new lock that
    the repeat-lock signal counts. The runtime copies the turns; `user_turns` is how many of
    them are the user's. `taken` says the new thread is already hosted.
    """
    ref = request.thread
    user = request.author.id

    def refused(text: str) -> Decision:
        return Decision(
            verdict="branch_refused",
            actions=(Action(kind="private_notice", thread=ref, text=text, user_id=user),),
        )

    if state is None or state.status != "locked":
        return refused(notices.BRANCH_NOT_LOCKED)
    if state.closed_by:
        return refused(notices.BRANCH_CLOSED_BY_MODERATOR)
    if user != state.owner:
        return refused(notices.BRANCH_NOT_YOURS)
    if taken or request.new_thread.key == ref.key:
        return refused(notices.BRANCH_TAKEN)
    new = ThreadState(ref=request.new_thread, owner=user, opened_at=request.at, turns=user_turns)
    case = draft_case(
        kind="branch",
        state=new,
        user_id=user,
        actor=user,
        refers_to=lock_case,
        category=state.closed_category,
        summary=(
            f"{request.author.name} continues locked thread {ref.thread} from before its "
            f"first strike ({user_turns} earlier message{'s' if user_turns != 1 else ''} "
            "carried over)."
        ),
    )
    return Decision(
        verdict="branch",
        state=new,
        cases=(case,),
        actions=(
            Action(
                kind="notice",
                thread=request.new_thread,
                text=notices.branched(request.label or ref.thread),
            ),
            Action(kind="case", thread=request.new_thread, case_ref=0),
        ),
    )
