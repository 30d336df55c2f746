"""The moderation ladder: a pure function from (state, signals, config, now) to a decision.

Nothing here awaits, reads a clock or touches storage, so every rule is a table-driven test and the
invariants are property tests (tests/test_policy_properties.py). The runtime is the only caller.

A thread's states (keep in sync with `decide` and `moderate`):

                 harmful, strikes < N-1            benign x K (a strike cleared)
                 ┌──────────┐                    ┌───────────────────────────────┐
                 v          │                    │                               │
    (mention) ─> open ──────┴─ harmful, strikes = N-1 ─> warned ─ harmful ─> locked
                 │  ^                                    │  (outside crisis window)  │
                 │  └──────────── moderator unlock ───────┼───────────────────────────┘
                 │                                       │
                 └─ end request ─> (pending) ─ "yes" ─> ended <─ "yes" ─┘

    risk (screen or classifier), in any open state: supportive reply + crisis resources (cooldown)
    + priority case; never a strike, never a lock. For `crisis_window` after the last risk signal,
    harmful turns are redirected and counted but never lock; each is a priority case instead.
    locked / ended: every message is ignored and the model is never called.

N is `redirects_before_lock` (or the category's own). A category whose N is 0 locks on its first
harmful turn with no warning: an operator's explicit choice for the gravest categories.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot import notices
from bot.config import PolicySettings, Settings
from bot.modlog import draft_case
from bot.records import (
    CATEGORY_WORDS,
    Action,
    Appeal,
    Branch,
    CaseDraft,
    Decision,
    EndConfirmation,
    Incoming,
    ModCommand,
    Signals,
    ThreadRef,
    ThreadState,
    UserHistory,
)


def new_thread(incoming: Incoming) -> ThreadState:
    """The state of a thread that a mention has just opened."""
    return ThreadState(ref=incoming.thread, owner=incoming.author.id, opened_at=incoming.at)


def is_closed(state: ThreadState) -> bool:
    """A locked or ended thread takes no more turns and never calls the model."""
    return state.status in ("locked", "ended")


def in_crisis_window(state: ThreadState, settings: Settings, now: datetime) -> bool:
    """Whether a risk signal was seen recently enough that the bot must not close the thread."""
    return (
        state.last_risk_at is not None and now - state.last_risk_at < settings.policy.crisis_window
    )


def precheck(
    *, state: ThreadState, incoming: Incoming, signals: Signals, settings: Settings, now: datetime
) -> Decision | None:
    """Settle a turn that needs neither the model nor the classifier, or return None.

    Called with the local screen only (`signals.assessment` is None). A closed thread is ignored;
    a pending end request is answered by the user who asked ("yes" ends, "no" keeps it open),
    except inside the crisis window, where the bot never ends a thread.
    """
    if is_closed(state):
        return Decision(
            verdict="ignored",
            actions=(Action(kind="ignored", thread=state.ref, user_id=incoming.author.id),),
        )
    if (
        state.pending_end_by is not None
        and incoming.author.id == state.pending_end_by
        and not in_crisis_window(state, settings, now)
    ):
        if signals.risk == "none" and signals.screen_affirmative:
            return _end(state, incoming.author.id, now)
        if signals.screen_negative:
            kept = replace(state, pending_end_by=None, turns=state.turns + 1)
            return Decision(
                verdict="end_cancelled",
                state=kept,
                actions=(Action(kind="notice", thread=state.ref, text=notices.END_CANCELLED),),
            )
    return None


def confirm(
    *, state: ThreadState, confirmation: EndConfirmation, settings: Settings, now: datetime
) -> Decision:
    """A button answer to the end-of-thread question; only the user who asked may answer."""
    if is_closed(state) or state.pending_end_by != confirmation.author.id:
        return Decision(
            verdict="ignored",
            actions=(Action(kind="ignored", thread=state.ref, user_id=confirmation.author.id),),
        )
    if confirmation.confirmed and in_crisis_window(state, settings, now):
        return _keep_open_in_crisis(
            replace(state, pending_end_by=None), confirmation.author.id, excerpt=()
        )
    if confirmation.confirmed:
        return _end(state, confirmation.author.id, now)
    kept = replace(state, pending_end_by=None)
    return Decision(
        verdict="end_cancelled",
        state=kept,
        actions=(Action(kind="notice", thread=state.ref, text=notices.END_CANCELLED),),
    )


def _end(state: ThreadState, user_id: str, now: datetime) -> Decision:
    ended = replace(state, status="ended", pending_end_by=None, closed_at=now)
    case = draft_case(
        kind="end",
        state=state,
        user_id=user_id,
        summary="Thread ended at the user's request.",
    )
    return Decision(
        verdict="end",
        state=ended,
        actions=(
            Action(kind="end", thread=state.ref, text=notices.ended_on_request(), user_id=user_id),
            Action(kind="case", thread=state.ref, case_ref=0),
        ),
        cases=(case,),
    )


def decide(
    *,
    state: ThreadState,
    incoming: Incoming,
    signals: Signals,
    history: UserHistory,
    settings: Settings,
    now: datetime,
) -> Decision:
    """Apply the ladder to one user turn whose signals (screen, classifier, reply) are all in."""
    settled = precheck(state=state, incoming=incoming, signals=signals, settings=settings, now=now)
    if settled is not None:
        return settled
    policy = settings.policy
    # Any turn that is not an answer to the question withdraws a pending end request.
    state = replace(state, turns=state.turns + 1, pending_end_by=None)
    excerpt = (incoming.text,)

    if signals.risk != "none":
        return _crisis(state, incoming, signals, settings, now, excerpt)

    crisis_window = in_crisis_window(state, settings, now)
    if signals.harmful:
        if crisis_window:
            return _harmful_in_crisis(state, incoming, signals, excerpt)
        return _harmful(state, incoming, signals, history, policy, now, excerpt)

    if signals.end_request and crisis_window:
        return _keep_open_in_crisis(state, incoming.author.id, excerpt=excerpt, reply=True)
    if signals.end_request:
        asked = replace(state, pending_end_by=incoming.author.id, benign_streak=0)
        return Decision(
            verdict="confirm_end",
            state=asked,
            actions=(
                Action(
                    kind="confirm_end",
                    thread=state.ref,
                    text=notices.CONFIRM_END,
                    user_id=incoming.author.id,
                ),
            ),
            notes=_tool_note(signals, honoured=True),
        )

    return _benign(state, signals, policy)


def _keep_open_in_crisis(
    state: ThreadState, user_id: str, *, excerpt: tuple[str, ...], reply: bool = False
) -> Decision:
    """Someone who may be at risk asked to end the thread: the bot keeps it open (ending must
    never abandon a person in danger), answers, and hands the request to the moderators."""
    case = draft_case(
        kind="crisis",
        state=state,
        user_id=user_id,
        priority=True,
        category="self_harm",
        summary=(
            "The user asked to end the thread during the crisis window. The bot keeps it open; "
            "moderators can close it."
        ),
        excerpts=excerpt,
    )
    return Decision(
        verdict="kept_open",
        state=replace(state, pending_end_by=None),
        actions=(
            Action(kind="case", thread=state.ref, case_ref=0, priority=True),
            *((Action(kind="reply", thread=state.ref),) if reply else ()),
            Action(kind="notice", thread=state.ref, text=notices.KEPT_OPEN_IN_CRISIS),
        ),
        cases=(case,),
    )


def _crisis(
    state: ThreadState,
    incoming: Incoming,
    signals: Signals,
    settings: Settings,
    now: datetime,
    excerpt: tuple[str, ...],
) -> Decision:
    """Risk wins over everything: a caring reply, resources (with a cooldown), a priority alert."""
    # The moderators' alert and the resources go first: a reply may stream for many seconds, and
    # neither may wait on it (nor be lost if it fails).
    actions = [Action(kind="case", thread=state.ref, case_ref=0, priority=True)]
    cooldown = settings.policy.crisis_resources_cooldown
    resources_due = state.resources_posted_at is None or now - state.resources_posted_at >= cooldown
    posted_at = state.resources_posted_at
    if resources_due:
        from bot.safety.resources import crisis_text  # reviewed text; never model-written

        actions.append(
            Action(kind="crisis_resources", thread=state.ref, text=crisis_text(settings.crisis))
        )
        posted_at = now
    actions.append(Action(kind="reply", thread=state.ref))
    who = "themselves" if signals.risk == "self" else "someone else"
    case = draft_case(
        kind="crisis",
        state=state,
        user_id=incoming.author.id,
        priority=True,
        category=(
            signals.category
            if signals.category != "none"
            else ("self_harm" if signals.risk == "self" else "other")
        ),
        summary=f"The user may be at risk of harming {who}. Crisis resources "
        + ("posted." if resources_due else "were posted recently and not repeated."),
        excerpts=excerpt,
    )
    new_state = replace(state, last_risk_at=now, resources_posted_at=posted_at, benign_streak=0)
    return Decision(
        verdict="crisis",
        state=new_state,
        actions=tuple(actions),
        cases=(case,),
        notes=_tool_note(signals, honoured=False),
    )


def _harmful_in_crisis(
    state: ThreadState, incoming: Incoming, signals: Signals, excerpt: tuple[str, ...]
) -> Decision:
    """Inside the crisis window the bot redirects and counts, and hands the decision to people."""
    strikes = state.strikes + 1
    new_state = replace(
        state,
        strikes=strikes,
        benign_streak=0,
        first_strike_turn=state.first_strike_turn or state.turns,
    )
    case = draft_case(
        kind="harmful_in_crisis",
        state=new_state,
        user_id=incoming.author.id,
        priority=True,
        category=signals.category,
        summary=(
            f"A harmful turn ({CATEGORY_WORDS[signals.category]}) in a thread where risk was "
            f"detected recently. The bot does not lock during the crisis window; moderators decide."
        ),
        excerpts=excerpt,
    )
    return Decision(
        verdict="redirect",
        strike=True,
        state=new_state,
        actions=(
            Action(kind="redirect", thread=state.ref, category=signals.category),
            Action(kind="case", thread=state.ref, case_ref=0, priority=True),
        ),
        cases=(case,),
        notes=_tool_note(signals, honoured=False),
    )


def _harmful(
    state: ThreadState,
    incoming: Incoming,
    signals: Signals,
    history: UserHistory,
    policy: PolicySettings,
    now: datetime,
    excerpt: tuple[str, ...],
) -> Decision:
    category = signals.category
    n = policy.redirects_for(category)
    strikes = state.strikes + 1
    first_strike = state.first_strike_turn or state.turns
    author = incoming.author.id
    # A thread is locked only on someone who was warned in it: in a shared thread, a second
    # person's first harmful message earns them the warning, not the lock.
    if (state.status == "warned" and author in state.warned_users) or n == 0:
        return _lock(state, incoming, signals, history, policy, now, excerpt, strikes)

    recently_locked = history.recent_locks > 0 and state.strikes == 0
    warn_now = (
        state.strikes >= n - 1
        or state.status == "warned"
        or (policy.warn_first_after_recent_lock and recently_locked)
    )
    new_state = replace(
        state,
        strikes=strikes,
        benign_streak=0,
        first_strike_turn=first_strike,
        status="warned" if warn_now else state.status,
        warned_users=(*state.warned_users, author) if warn_now else state.warned_users,
    )
    actions = [Action(kind="redirect", thread=state.ref, category=category)]
    verdict = "redirect"
    if warn_now:
        verdict = "warn"
        actions.append(
            Action(kind="warn", thread=state.ref, category=category, text=notices.warning(category))
        )
    if signals.end_request:
        new_state = replace(new_state, pending_end_by=incoming.author.id)
        actions.append(
            Action(
                kind="confirm_end",
                thread=state.ref,
                text=notices.CONFIRM_END,
                user_id=incoming.author.id,
            )
        )
    return Decision(
        verdict=verdict,
        strike=True,
        state=new_state,
        actions=tuple(actions),
        notes=_tool_note(signals, honoured=False),
    )


def _lock(
    state: ThreadState,
    incoming: Incoming,
    signals: Signals,
    history: UserHistory,
    policy: PolicySettings,
    now: datetime,
    excerpt: tuple[str, ...],
    strikes: int,
) -> Decision:
    """The last resort: no model reply, the fixed notice, a case, and perhaps a repeat-lock case."""
    category = signals.category
    locked = replace(
        state,
        status="locked",
        strikes=strikes,
        benign_streak=0,
        closed_category=category,
        closed_at=now,
        first_strike_turn=state.first_strike_turn or state.turns,
    )
    redirects = strikes - 1
    cases: list[CaseDraft] = [
        draft_case(
            kind="lock",
            state=locked,
            user_id=incoming.author.id,
            category=category,
            summary=(
                f"Thread locked after {redirects} redirected request"
                f"{'s' if redirects != 1 else ''} and a warning ({CATEGORY_WORDS[category]})."
                if redirects
                else f"Thread locked on a first request ({CATEGORY_WORDS[category]}): "
                "this category's threshold is 0."
            ),
            excerpts=excerpt,
        )
    ]
    actions = [
        Action(
            kind="lock",
            thread=state.ref,
            category=category,
            text=notices.lock_notice(category=category, redirects=redirects),
            user_id=incoming.author.id,
            case_ref=0,
        ),
        Action(kind="case", thread=state.ref, case_ref=0),
    ]
    locks_now = history.recent_locks + 1
    if locks_now >= policy.repeat_lock_count:
        cases.append(
            draft_case(
                kind="repeat_locks",
                state=locked,
                user_id=incoming.author.id,
                category=category,
                summary=(
                    f"This user's threads were locked {locks_now} times within "
                    f"{_span(policy.repeat_lock_window)}: they may be pivoting to new threads."
                ),
            )
        )
        actions.append(Action(kind="case", thread=state.ref, case_ref=1))
    return Decision(
        verdict="lock",
        strike=True,
        state=locked,
        actions=tuple(actions),
        cases=tuple(cases),
        notes=_tool_note(signals, honoured=True),
    )


def _benign(state: ThreadState, signals: Signals, policy: PolicySettings) -> Decision:
    streak = state.benign_streak + 1
    strikes = state.strikes
    status = state.status
    if strikes > 0 and streak >= policy.benign_turns_to_clear_strike:
        strikes -= 1
        streak = 0
        # A cleared strike takes the thread below the warning: the next harmful turn warns again.
        status = "open"
    new_state = replace(
        state,
        strikes=strikes,
        benign_streak=streak,
        status=status,
        warned_users=state.warned_users if status == "warned" else (),
    )
    return Decision(
        verdict="reply",
        state=new_state,
        actions=(Action(kind="reply", thread=state.ref),),
        notes=_tool_note(signals, honoured=False),
    )


def after_reply(
    *,
    state: ThreadState,
    author_id: str,
    verdict: str,
    struck: bool,
    refused: bool,
    end_tool: bool,
    dropped: int,
    settings: Settings,
    now: datetime,
    history_from: int | None = None,
) -> Decision | None:
    """What the end of a shown reply adds: a refusal is a redirect, a tool call is recorded.

    The reply is shown as soon as the assessment is in, so its stop reason arrives after the
    decision. A refusal on a turn that cost no strike counts as a redirect now (and may bring
    the warning); it never locks by itself, since the user has not been warned in this turn.
    """
    if is_closed(state):
        return None
    actions: list[Action] = []
    notes: list[str] = []
    new = state
    if history_from is not None and history_from > state.history_from:
        new = replace(new, history_from=history_from)
    if dropped and not state.history_trimmed:
        new = replace(new, history_trimmed=True)
        actions.append(Action(kind="notice", thread=state.ref, text=notices.HISTORY_TRIMMED))
    strike = False
    # A refusal on a crisis turn is the model being careful, never the user's strike.
    if refused and not struck and verdict != "crisis":
        in_window = (
            state.last_risk_at is not None
            and now - state.last_risk_at < settings.policy.crisis_window
        )
        strike = True
        n = settings.policy.redirects_for("other")
        warn = state.status == "open" and state.strikes >= n - 1 and not in_window
        new = replace(
            new,
            strikes=state.strikes + 1,
            benign_streak=0,
            first_strike_turn=state.first_strike_turn or state.turns,
            status="warned" if warn else new.status,
            warned_users=(*new.warned_users, author_id) if warn else new.warned_users,
        )
        notes.append("the reply model refused: counted as a redirect")
        if warn:
            actions.append(
                Action(
                    kind="warn", thread=state.ref, category="other", text=notices.warning("other")
                )
            )
    if end_tool:
        notes.append(
            "end_conversation tool call not honoured: the ladder's preconditions did not hold"
        )
    if new == state and not notes:
        return None
    return Decision(
        verdict="refusal" if strike else "after_reply",
        state=new,
        strike=strike,
        actions=tuple(actions),
        notes=tuple(notes),
    )


def _tool_note(signals: Signals, *, honoured: bool) -> tuple[str, ...]:
    """Claude's end_conversation call is a signal, not an action: record what became of it."""
    if not signals.end_conversation_tool:
        return ()
    if honoured:
        return ("end_conversation tool call honoured: the ladder's preconditions held",)
    return ("end_conversation tool call not honoured: the ladder's preconditions did not hold",)


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48 and hours % 24 == 0:
        return f"{int(hours // 24)} days"
    return f"{hours:g} hours"


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


# --- moderators -----------------------------------------------------------------------------------


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
