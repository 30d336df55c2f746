"""The ladder: one user turn, from (state, signals, settings, now) to a decision.

A closed thread ignores the turn; a risk signal wins over everything (a caring reply, reviewed
resources, a priority case); a harmful turn is redirected, then warned, then locked, except in the
crisis window, where it is counted and handed to people; benign turns clear strikes; the end of a
shown reply may add a redirect for a refusal. The state diagram is in the package docstring.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot import notices
from bot.config import PolicySettings, Settings
from bot.modlog import draft_case
from bot.policy.crisis import crisis, harmful_in_crisis, in_crisis_window, keep_open_in_crisis
from bot.records import (
    CATEGORY_WORDS,
    Action,
    Case,
    CaseDraft,
    Decision,
    Incoming,
    Signals,
    ThreadState,
    UserHistory,
)

__all__ = [
    "after_reply",
    "decide",
    "in_crisis_window",
    "is_closed",
    "new_thread",
    "precheck",
]


def new_thread(incoming: Incoming) -> ThreadState:
    """The state of a thread that a mention has just opened."""
    return ThreadState(ref=incoming.thread, owner=incoming.author.id, opened_at=incoming.at)


def is_closed(state: ThreadState) -> bool:
    """A locked or ended thread takes no more turns and never calls the model."""
    return state.status in ("locked", "ended")


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
            actions=(
                Action(
                    kind="ignored",
                    thread=state.ref,
                    user_id=incoming.author.id,
                    text=notices.thread_closed(state.status),
                ),
            ),
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
    group: Case | None = None,
) -> Decision:
    """Apply the ladder to one user turn whose signals (screen, classifier, reply) are all in.

    `group` is the thread's unresolved priority case, if any: inside the crisis window a risk
    signal or a harmful turn is grouped into it rather than opening a case of its own.
    """
    settled = precheck(state=state, incoming=incoming, signals=signals, settings=settings, now=now)
    if settled is not None:
        return settled
    policy = settings.policy
    # Any turn that is not an answer to the question withdraws a pending end request.
    state = replace(state, turns=state.turns + 1, pending_end_by=None)
    excerpt = (incoming.text,)

    if signals.risk != "none":
        notes = _tool_note(signals, honoured=False)
        return crisis(state, incoming, signals, settings, now, excerpt, group, notes)

    crisis_window = in_crisis_window(state, settings, now)
    if signals.harmful:
        if crisis_window:
            notes = _tool_note(signals, honoured=False)
            return harmful_in_crisis(state, incoming, signals, settings, now, excerpt, group, notes)
        return _harmful(state, incoming, signals, history, policy, now, excerpt)

    if signals.end_request and crisis_window:
        return keep_open_in_crisis(
            state,
            incoming.author.id,
            settings=settings,
            now=now,
            excerpt=excerpt,
            group=group,
            reply=True,
        )
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
            Action(
                kind="warn",
                thread=state.ref,
                category=category,
                text=notices.warning(category, clear_after=policy.benign_turns_to_clear_strike),
            )
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
                    kind="warn",
                    thread=state.ref,
                    category="other",
                    text=notices.warning(
                        "other", clear_after=settings.policy.benign_turns_to_clear_strike
                    ),
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
