"""The crisis rung: risk to a person wins over everything, and one thread's crisis is one case.

A risk signal (screen or classifier) is answered with care: the reviewed resources (at most once
per cooldown, and a pointer back to them in between), a supportive reply and a priority case for
the moderators; never a strike, never a lock. For the crisis window after it, harmful turns are
redirected and counted but never lock, and a request to end the thread keeps it open.

Inside that window, later signals do not open cases of their own: they are grouped into the
thread's one unresolved priority case (`group`, looked up by the runtime), which gets a count,
the latest excerpt and a new summary, and is edited in place where the platform shows it. The
moderators are pinged about it again at most once per `policy.crisis_ping_interval`: four alerts
a minute for one person is how moderators learn to stop reading alerts. A case a moderator has
resolved is done with; the next signal opens a new one.

Risk to others gets its own words: the resources put the emergency number first and promise no
absence of consequences, and the moderators' guidance is about the person at risk.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import notices
from bot.config import Settings
from bot.modlog import cut, draft_case
from bot.records import (
    CATEGORY_WORDS,
    Action,
    Case,
    CaseDraft,
    CaseUpdate,
    Decision,
    Incoming,
    Risk,
    Signals,
    ThreadState,
)

#: What the case says the person may be at risk of.
AT_RISK_OF = {"self": "harming themselves", "others": "harming someone else"}

#: What moderators should do, by the kind of risk; shown in the case.
GUIDANCE = {
    "self": (
        "What to do: reach out kindly and privately; do not close the thread or punish them. If "
        "they say they are in danger now, urge them to call their local emergency number. "
        "Resolve this case once a person has followed up."
    ),
    "others": (
        "What to do: read the thread first. If the threat is real and specific (a named person, "
        "place or time), contact local emergency services now and keep the thread as it is: it "
        "is evidence. Do not argue with or threaten the user. Resolve this case once it has been "
        "dealt with; close the thread yourself if it should not go on."
    ),
}


def in_crisis_window(state: ThreadState, settings: Settings, now: datetime) -> bool:
    """Whether a risk signal was seen recently enough that the bot must not close the thread."""
    return (
        state.last_risk_at is not None and now - state.last_risk_at < settings.policy.crisis_window
    )


def _clock(moment: datetime) -> str:
    return f"{moment:%d %b %H:%M}"


def _risks(state: ThreadState, signals_risk: Risk, *, in_window: bool) -> list[str]:
    """The kinds of risk seen in this crisis: this turn's, and the window's last one."""
    seen = {signals_risk, state.last_risk if in_window else "none"} - {"none"}
    return [r for r in ("others", "self") if r in seen]


def _guidance(risks: list[str]) -> str:
    return " ".join(GUIDANCE[r] for r in risks) if risks else GUIDANCE["self"]


def _grouped(
    group: Case | None, state: ThreadState, settings: Settings, now: datetime
) -> Case | None:
    """The thread's case that this signal joins, or None when it must open its own."""
    if group is None or not group.waiting or not in_crisis_window(state, settings, now):
        return None
    return group


def _join(
    group: Case,
    state: ThreadState,
    *,
    what: str,
    excerpt: tuple[str, ...],
    risks: list[str],
    settings: Settings,
    now: datetime,
) -> tuple[CaseUpdate, Action]:
    """One more signal in the thread's case, and the action that shows it (pinging if due)."""
    count = group.signals + 1
    summary = (
        f"{count} signals in this thread since {_clock(group.created_at)} UTC; the bot keeps the "
        f"thread open. Latest, at {_clock(now)} UTC: {what}.\n{_guidance(risks)}"
    )
    first = group.excerpts[:1]
    latest = tuple(cut(e) for e in excerpt)
    ping = group.pinged_at is None or now - group.pinged_at >= settings.policy.crisis_ping_interval
    update = CaseUpdate(
        workspace=group.workspace,
        number=group.number,
        actor="bot",
        signal=True,
        excerpts=first + latest if latest else group.excerpts,
        summary=summary,
        pinged=ping,
    )
    thread = group.thread or state.ref
    return update, Action(kind="case_update", thread=thread, case=group.number, priority=ping)


def crisis(
    state: ThreadState,
    incoming: Incoming,
    signals: Signals,
    settings: Settings,
    now: datetime,
    excerpt: tuple[str, ...],
    group: Case | None,
    notes: tuple[str, ...],
) -> Decision:
    """Risk wins over everything: the moderators first, the resources (or a pointer), a reply."""
    risk = signals.risk
    in_window = in_crisis_window(state, settings, now)
    risks = _risks(state, risk, in_window=in_window)
    joined = _grouped(group, state, settings, now)
    cooldown = settings.policy.crisis_resources_cooldown
    resources_due = state.resources_posted_at is None or now - state.resources_posted_at >= cooldown
    # The moderators' alert and the resources go first: a reply may stream for many seconds, and
    # neither may wait on it (nor be lost if it fails).
    actions: list[Action] = []
    cases: tuple[CaseDraft, ...] = ()
    updates: tuple[CaseUpdate, ...] = ()
    posted = "posted" if resources_due else "were posted recently; a pointer back to them was given"
    if joined is not None:
        update, shown = _join(
            joined,
            state,
            what=f"may be at risk of {AT_RISK_OF[risk]}; crisis resources {posted}",
            excerpt=excerpt,
            risks=risks,
            settings=settings,
            now=now,
        )
        actions.append(shown)
        updates = (update,)
    else:
        first = "emergency number first" if risk == "others" else "helplines"
        summary = (
            f"The user may be at risk of {AT_RISK_OF[risk]}. Crisis resources "
            + (f"posted ({first})." if resources_due else "were posted recently; not repeated.")
            + f"\n{_guidance(risks)}"
        )
        cases = (
            draft_case(
                kind="crisis",
                state=state,
                user_id=incoming.author.id,
                priority=True,
                category=(
                    signals.category
                    if signals.category != "none"
                    else ("self_harm" if risk == "self" else "other")
                ),
                summary=summary,
                excerpts=excerpt,
            ),
        )
        actions.append(Action(kind="case", thread=state.ref, case_ref=0, priority=True))
    posted_at = state.resources_posted_at
    if resources_due:
        from bot.safety.resources import crisis_text  # reviewed text; never model-written

        text = crisis_text(
            settings.crisis,
            regions=incoming.crisis_regions,
            language=signals.language,
            risk="others" if risk == "others" else "self",
        )
        actions.append(Action(kind="crisis_resources", thread=state.ref, text=text))
        posted_at = now
    elif posted_at is not None:
        pointer = notices.resources_pointer(_clock(posted_at))
        actions.append(Action(kind="notice", thread=state.ref, text=pointer))
    actions.append(Action(kind="reply", thread=state.ref))
    new_state = replace(
        state,
        last_risk_at=now,
        last_risk=risk,
        resources_posted_at=posted_at,
        benign_streak=0,
    )
    return Decision(
        verdict="crisis",
        state=new_state,
        actions=tuple(actions),
        cases=cases,
        updates=updates,
        notes=notes,
    )


def harmful_in_crisis(
    state: ThreadState,
    incoming: Incoming,
    signals: Signals,
    settings: Settings,
    now: datetime,
    excerpt: tuple[str, ...],
    group: Case | None,
    notes: tuple[str, ...],
) -> Decision:
    """Inside the crisis window the bot redirects and counts, and hands the decision to people."""
    strikes = state.strikes + 1
    new_state = replace(
        state,
        strikes=strikes,
        benign_streak=0,
        first_strike_turn=state.first_strike_turn or state.turns,
    )
    words = CATEGORY_WORDS[signals.category]
    risks = _risks(state, "none", in_window=True)
    redirect = Action(kind="redirect", thread=state.ref, category=signals.category)
    joined = _grouped(group, state, settings, now)
    if joined is not None:
        update, shown = _join(
            joined,
            state,
            what=f"a harmful request ({words}), redirected; strikes now {strikes}",
            excerpt=excerpt,
            risks=risks,
            settings=settings,
            now=now,
        )
        return Decision(
            verdict="redirect",
            strike=True,
            state=new_state,
            actions=(redirect, shown),
            updates=(update,),
            notes=notes,
        )
    case = draft_case(
        kind="harmful_in_crisis",
        state=new_state,
        user_id=incoming.author.id,
        priority=True,
        category=signals.category,
        summary=(
            f"A harmful turn ({words}) in a thread where risk was detected recently. The bot "
            f"does not lock during the crisis window; moderators decide.\n{_guidance(risks)}"
        ),
        excerpts=excerpt,
    )
    return Decision(
        verdict="redirect",
        strike=True,
        state=new_state,
        actions=(redirect, Action(kind="case", thread=state.ref, case_ref=0, priority=True)),
        cases=(case,),
        notes=notes,
    )


def keep_open_in_crisis(
    state: ThreadState,
    user_id: str,
    *,
    settings: Settings,
    now: datetime,
    excerpt: tuple[str, ...],
    group: Case | None,
    reply: bool = False,
) -> Decision:
    """Someone who may be at risk asked to end the thread: the bot keeps it open (ending must
    never abandon a person in danger), answers, and hands the request to the moderators."""
    kept = replace(state, pending_end_by=None)
    what = "asked to end the thread; the bot keeps it open, a moderator can close it"
    joined = _grouped(group, state, settings, now)
    risks = _risks(state, "none", in_window=True)
    tail = (
        *((Action(kind="reply", thread=state.ref),) if reply else ()),
        Action(kind="notice", thread=state.ref, text=notices.KEPT_OPEN_IN_CRISIS),
    )
    if joined is not None:
        update, shown = _join(
            joined, state, what=what, excerpt=excerpt, risks=risks, settings=settings, now=now
        )
        return Decision(verdict="kept_open", state=kept, actions=(shown, *tail), updates=(update,))
    case = draft_case(
        kind="crisis",
        state=state,
        user_id=user_id,
        priority=True,
        category="self_harm",
        summary=(
            "The user asked to end the thread during the crisis window. The bot keeps it open; "
            f"moderators can close it.\n{_guidance(risks)}"
        ),
        excerpts=excerpt,
    )
    return Decision(
        verdict="kept_open",
        state=kept,
        actions=(Action(kind="case", thread=state.ref, case_ref=0, priority=True), *tail),
        cases=(case,),
    )
