"""The moderators' commands and the crisis grouping, rule by rule, as the pure policy decides."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot import notices, policy
from bot.config import PolicySettings, Settings
from bot.records import (
    Author,
    Case,
    Incoming,
    ModCommand,
    Signals,
    ThreadRef,
    ThreadState,
    UserHistory,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
REF = ThreadRef(platform="test", workspace="w", channel="c", thread="t1")
USER = Author(id="u1", name="alice")
MOD = Author(id="m1", name="mo", is_moderator=True)
RISK = Signals(screen_risk="self")
THREAT = Signals(screen_risk="others")
HARMFUL = Signals(screen_harmful=True, screen_category="violent_crimes")


def state(**kw: object) -> ThreadState:
    """The test thread's state."""
    return replace(ThreadState(ref=REF, owner="u1", opened_at=T0), **kw)  # type: ignore[arg-type]


def case(number: int, kind: str, **kw: object) -> Case:
    """A stored case of the test thread."""
    return Case(
        number=number,
        kind=kind,  # type: ignore[arg-type]
        workspace="w",
        user_id=str(kw.pop("user_id", "u1")),
        actor="bot",
        created_at=T0,
        thread=REF,
        **kw,  # type: ignore[arg-type]
    )


def command(kind: str, *, by: Author = MOD, **kw: object) -> ModCommand:
    """A moderator command on the test thread."""
    return ModCommand(
        event_id="m",
        moderator=by,
        command=kind,  # type: ignore[arg-type]
        at=T0,
        origin=REF,
        thread=REF,
        **kw,  # type: ignore[arg-type]
    )


def turn(
    s: ThreadState, signals: Signals, *, now: datetime, group: Case | None = None, text: str = "x"
) -> policy.Decision:
    """One user turn through the ladder."""
    return policy.decide(
        state=s,
        incoming=Incoming(event_id="e", thread=REF, author=USER, text=text, at=now),
        signals=signals,
        history=UserHistory(),
        settings=Settings(),
        now=now,
        group=group,
    )


# --- closing, unlocking, upholding ---------------------------------------------------------------


def test_a_moderator_closes_a_thread_with_a_reason_the_notice_shows() -> None:
    """The thread locks, the notice quotes the reason and says how to appeal; a case records it."""
    d = policy.moderate(
        state=state(), command=command("lock", note="doxxing another member"), now=T0
    )
    assert d.verdict == "mod_lock" and d.state is not None
    assert (d.state.status, d.state.closed_by) == ("locked", "m1")
    notice = d.actions[0]
    assert notice.kind == "lock" and notice.user_id == "u1" and notice.case_ref == 0
    shown = notices.for_platform(
        notice.text, policy_command="`/policy`", appeal_command="press **Appeal** below"
    )
    assert shown.splitlines()[:2] == [
        "A moderator has closed this thread.",
        "- Their reason: doxxing another member",
    ]
    assert "- If you think this was a mistake, appeal: press **Appeal** below." in shown
    assert [c.kind for c in d.cases] == ["mod_lock"]
    assert d.cases[0].summary == "Closed by mo: doxxing another member"


def test_closing_needs_a_reason_an_open_hosted_thread_and_a_moderator() -> None:
    """No reason, a closed thread, an unknown thread or a non-moderator: refused, no change."""
    for s, cmd, text in (
        (state(), command("lock"), notices.NEEDS_REASON),
        (state(status="locked"), command("lock", note="x"), notices.ALREADY_CLOSED),
        (None, command("lock", note="x"), notices.NOT_HOSTED),
        (state(), command("lock", by=USER, note="x"), notices.NOT_A_MODERATOR),
    ):
        d = policy.moderate(state=s, command=cmd, now=T0)
        assert d.verdict == "refused" and d.state is None and not d.cases and not d.updates
        assert [a.text for a in d.actions] == [text]


def test_a_moderator_may_close_inside_the_crisis_window() -> None:
    """The bot never closes a thread in crisis; a person may ("a moderator can close it")."""
    d = policy.moderate(
        state=state(last_risk_at=T0), command=command("lock", note="at their request"), now=T0
    )
    assert d.verdict == "mod_lock"


def test_unlock_resolves_the_closing_and_the_appeal_and_tells_the_reason() -> None:
    """Both waiting cases are resolved by the moderator with the reason; the appellant hears it."""
    d = policy.moderate(
        state=state(status="locked", strikes=4),
        command=command("unlock", note="it was a history essay"),
        now=T0,
        closing=case(1, "lock"),
        appeal=case(2, "appeal", refers_to=1),
    )
    assert d.verdict == "unlock" and d.state is not None and d.state.strikes == 0
    assert [(u.number, u.status, u.actor, u.reason) for u in d.updates] == [
        (1, "resolved", "m1", "it was a history essay"),
        (2, "resolved", "m1", "it was a history essay"),
    ]
    assert [a.kind for a in d.actions] == [
        "unlock",
        "case",
        "case_update",
        "case_update",
        "private_notice",
    ]
    assert d.actions[-1].text == (
        "The moderators reviewed your appeal and reopened the thread.\n"
        "Their reason: it was a history essay\nYou can carry on there."
    )
    assert d.cases[0].refers_to == 1


def test_uphold_is_refused_on_a_thread_that_is_not_closed() -> None:
    """Upholding a reopened thread would count a reversed lock as upheld: refused."""
    d = policy.moderate(
        state=state(), command=command("uphold", case=1), now=T0, target=case(1, "lock")
    )
    assert d.verdict == "refused" and d.actions[0].text == notices.NOT_CLOSED_UPHOLD


def test_uphold_tells_the_appellant_the_reason() -> None:
    """The closing stands, the appeal is answered, and the user reads why."""
    d = policy.moderate(
        state=state(status="locked"),
        command=command("uphold", note="the threat was real"),
        now=T0,
        closing=case(1, "lock"),
        appeal=case(2, "appeal", user_id="u1"),
    )
    assert d.verdict == "uphold" and d.cases[0].refers_to == 1
    told = d.actions[-1]
    assert told.kind == "private_notice" and told.user_id == "u1"
    assert told.text == (
        "The moderators reviewed your appeal and kept the thread closed.\n"
        "Their reason: the threat was real\nYou can still start a fresh thread at any time."
    )


# --- acknowledge and resolve ---------------------------------------------------------------------


def test_acknowledge_then_resolve_a_crisis_case() -> None:
    """Each is a change of the case (who and why) and a case_update action; no new case."""
    crisis = case(3, "crisis", priority=True)
    ack = policy.moderate(
        state=state(), command=command("acknowledge", case=3), now=T0, target=crisis
    )
    assert ack.verdict == "acknowledge" and not ack.cases
    assert [(u.number, u.status, u.actor) for u in ack.updates] == [(3, "acknowledged", "m1")]
    assert [(a.kind, a.case) for a in ack.actions] == [("case_update", 3)]
    taken = replace(crisis, status="acknowledged", status_by="m1")
    done = policy.moderate(
        state=state(),
        command=command("resolve", case=3, note="spoke with them; safe"),
        now=T0,
        target=taken,
    )
    assert [(u.status, u.reason) for u in done.updates] == [("resolved", "spoke with them; safe")]


def test_acknowledge_and_resolve_refusals_say_why() -> None:
    """A case already taken up or done, a record, a closed lock, a missing case: each refused."""
    for cmd, target, s, text in (
        (
            command("acknowledge", case=3),
            case(3, "crisis", status="acknowledged", status_by="m2"),
            state(),
            "Case #3 is already acknowledged by m2.",
        ),
        (
            command("resolve", case=3),
            case(3, "crisis", status="resolved", status_by="m2"),
            state(),
            "Case #3 is already resolved (by m2).",
        ),
        (
            command("resolve", case=4),
            case(4, "note", status="resolved"),
            state(),
            "Case #4 is a record of something done; it does not wait for review.",
        ),
        (command("resolve", case=1), case(1, "lock"), state(status="locked"), None),
        (command("resolve", case=9), None, state(), "There is no case #9 here."),
    ):
        d = policy.moderate(state=s, command=cmd, now=T0, target=target)
        assert d.verdict == "refused" and not d.updates
        assert d.actions[0].text == (text or notices.USE_UNLOCK_OR_UPHOLD)


def test_a_pardon_given_on_a_repeat_lock_case_resolves_it() -> None:
    """The pardon is a case; the repeat-lock case it answers leaves the queue."""
    d = policy.moderate(
        state=state(), command=command("pardon", case=5), now=T0, target=case(5, "repeat_locks")
    )
    assert [c.kind for c in d.cases] == ["pardon"] and d.cases[0].user_id == "u1"
    assert [(u.number, u.status) for u in d.updates] == [(5, "resolved")]


# --- crisis grouping -----------------------------------------------------------------------------


def test_the_first_risk_signal_opens_one_priority_case() -> None:
    """Outside a crisis window the signal opens a case, pings, and posts the resources."""
    d = turn(state(), RISK, now=T0)
    assert [c.kind for c in d.cases] == ["crisis"] and d.cases[0].priority
    assert [a.kind for a in d.actions] == ["case", "crisis_resources", "reply"]
    assert "What to do: reach out kindly" in d.cases[0].summary


def test_later_signals_in_the_window_update_that_case_and_ping_at_most_once_per_interval() -> None:
    """A count, the first and latest excerpt, a new summary; a ping only past the interval."""
    s = state(last_risk_at=T0, resources_posted_at=T0, last_risk="self")
    group = case(1, "crisis", priority=True, excerpts=("first words",), pinged_at=T0)
    soon = turn(s, HARMFUL, now=T0 + timedelta(minutes=2), group=group, text="how to build one")
    assert not soon.cases and soon.verdict == "redirect" and soon.strike
    (update,) = soon.updates
    assert update.signal and not update.pinged and update.number == 1
    assert update.excerpts == ("first words", "how to build one")
    assert update.summary.startswith(
        "2 signals in this thread since 01 Jan 12:00 UTC; the bot keeps the thread open. Latest, "
        "at 01 Jan 12:02 UTC: a harmful request (help with violent crime), redirected; strikes "
        "now 1."
    )
    assert [(a.kind, a.case, a.priority) for a in soon.actions] == [
        ("redirect", None, False),
        ("case_update", 1, False),
    ]
    later = turn(s, RISK, now=T0 + timedelta(minutes=31), group=replace(group, signals=2))
    assert later.updates[0].pinged and later.actions[0].priority
    assert later.updates[0].summary.startswith("3 signals in this thread")


def test_a_resolved_case_or_an_expired_window_opens_a_new_case() -> None:
    """A moderator's resolve closes the episode; so does the end of the crisis window."""
    s = state(last_risk_at=T0, resources_posted_at=T0)
    done = case(1, "crisis", status="resolved")
    assert [c.kind for c in turn(s, RISK, now=T0 + timedelta(hours=1), group=done).cases] == [
        "crisis"
    ]
    waiting = case(1, "crisis")
    late = turn(s, RISK, now=T0 + timedelta(hours=25), group=waiting)
    assert [c.kind for c in late.cases] == ["crisis"] and not late.updates


def test_the_ping_interval_is_configurable() -> None:
    """`policy.crisis_ping_interval` decides when a grouped signal pings again."""
    settings = Settings(policy=PolicySettings(crisis_ping_interval=timedelta(minutes=5)))
    s = state(last_risk_at=T0, resources_posted_at=T0)
    group = case(1, "crisis", priority=True, pinged_at=T0)
    d = policy.decide(
        state=s,
        incoming=Incoming(event_id="e", thread=REF, author=USER, text="x", at=T0),
        signals=RISK,
        history=UserHistory(),
        settings=settings,
        now=T0 + timedelta(minutes=6),
        group=group,
    )
    assert d.updates[0].pinged


def test_risk_to_others_has_its_own_words_resources_and_guidance() -> None:
    """Emergency number first, no "no consequences for you", guidance about the person at risk."""
    d = turn(state(), THREAT, now=T0)
    resources = next(a.text for a in d.actions if a.kind == "crisis_resources")
    assert resources.startswith("If you or someone else is in immediate danger, call the emergency")
    assert "no consequences for you" not in resources
    assert "the moderators have been told" in resources
    summary = d.cases[0].summary
    assert summary.startswith("The user may be at risk of harming someone else.")
    assert "contact local emergency services now" in summary
    assert "reach out kindly" not in summary
    self_resources = next(
        a.text for a in turn(state(), RISK, now=T0).actions if a.kind == "crisis_resources"
    )
    assert self_resources.startswith("Talking to someone can help.")
    assert "has no consequences for you" in self_resources


def test_an_end_request_in_the_window_joins_the_case() -> None:
    """Asking to end the thread during the crisis window keeps it open and updates the case."""
    s = state(last_risk_at=T0, resources_posted_at=T0)
    d = turn(
        s,
        Signals(screen_end_request=True),
        now=T0 + timedelta(minutes=3),
        group=case(1, "crisis"),
    )
    assert d.verdict == "kept_open" and not d.cases
    assert "asked to end the thread" in d.updates[0].summary
