"""The ladder, rule by rule (table-driven); the invariants are in test_policy_properties.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import policy
from bot.config import PolicySettings, Settings
from bot.records import (
    Assessment,
    Author,
    Case,
    EndConfirmation,
    Incoming,
    ModCommand,
    Signals,
    ThreadRef,
    ThreadState,
    UserHistory,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REF = ThreadRef(platform="test", workspace="w", channel="c", thread="t1")
USER = Author(id="u1", name="alice")
MOD = Author(id="m1", name="mo", is_moderator=True)

BENIGN = Signals()
HARMFUL = Signals(assessment=Assessment(harmful=True, category="violent_crimes"))
ABUSIVE = Signals(assessment=Assessment(abusive=True, category="harassment"))
RISK_SELF = Signals(screen_risk="self")
RISK_OTHERS_BY_CLASSIFIER = Signals(assessment=Assessment(risk="others", harmful=True))
END = Signals(screen_end_request=True)
YES = Signals(screen_affirmative=True)
NO = Signals(screen_negative=True)
UNKNOWN = Signals(assessment=None)
REFUSED = Signals(reply_refused=True)


def state(**kw: object) -> ThreadState:
    """A thread state with defaults; a warned thread has warned its owner."""
    if kw.get("status") == "warned":
        kw.setdefault("warned_users", ("u1",))
    return replace(ThreadState(ref=REF, owner="u1", opened_at=T0), **kw)  # type: ignore[arg-type]


def msg(text: str = "x", author: Author = USER) -> Incoming:
    """A user message."""
    return Incoming(event_id="e", thread=REF, author=author, text=text, at=T0)


def run(
    s: ThreadState,
    signals: Signals,
    *,
    settings: Settings | None = None,
    now: datetime = T0,
    locks: int = 0,
    author: Author = USER,
) -> policy.Decision:
    """One decision."""
    return policy.decide(
        state=s,
        incoming=msg(author=author),
        signals=signals,
        history=UserHistory(recent_locks=locks),
        settings=settings or Settings(),
        now=now,
    )


def kinds(d: policy.Decision) -> list[str]:
    """The action kinds of a decision, in order."""
    return [a.kind for a in d.actions]


@pytest.mark.parametrize(
    ("strikes", "status", "signals", "verdict", "actions", "new_strikes", "new_status"),
    [
        (0, "open", BENIGN, "reply", ["reply"], 0, "open"),
        (0, "open", HARMFUL, "redirect", ["redirect"], 1, "open"),
        (1, "open", HARMFUL, "redirect", ["redirect"], 2, "open"),
        (2, "open", HARMFUL, "warn", ["redirect", "warn"], 3, "warned"),
        (3, "warned", HARMFUL, "lock", ["lock", "case"], 4, "locked"),
        (0, "open", ABUSIVE, "redirect", ["redirect"], 1, "open"),
        (3, "warned", ABUSIVE, "lock", ["lock", "case"], 4, "locked"),
        (0, "open", REFUSED, "redirect", ["redirect"], 1, "open"),
        (2, "open", UNKNOWN, "reply", ["reply"], 2, "open"),
        (3, "warned", UNKNOWN, "reply", ["reply"], 3, "warned"),
        (0, "open", END, "confirm_end", ["confirm_end"], 0, "open"),
    ],
)
def test_ladder_rungs(
    strikes: int,
    status: str,
    signals: Signals,
    verdict: str,
    actions: list[str],
    new_strikes: int,
    new_status: str,
) -> None:
    """Each rung of the ladder with the default N=3: redirect, redirect, warn, lock."""
    d = run(state(strikes=strikes, status=status), signals)
    assert d.verdict == verdict
    assert kinds(d) == actions
    assert d.state is not None
    assert d.state.strikes == new_strikes
    assert d.state.status == new_status


def test_lock_opens_a_case_and_says_why() -> None:
    """A lock carries the fixed notice naming the count and category, and one case."""
    d = run(state(strikes=3, status="warned"), HARMFUL)
    lock = d.actions[0]
    assert "after 3 requests for help with violent crime" in lock.text
    assert "Only this thread" in lock.text and "fresh thread" in lock.text
    assert [c.kind for c in d.cases] == ["lock"]
    assert d.cases[0].user_id == "u1"
    assert d.actions[1].case_ref == 0


@pytest.mark.parametrize("signals", [RISK_SELF, RISK_OTHERS_BY_CLASSIFIER])
@pytest.mark.parametrize("status", ["open", "warned"])
def test_risk_never_strikes_or_locks(signals: Signals, status: str) -> None:
    """Risk wins: supportive reply, resources, a priority case; never a strike or a lock."""
    d = run(state(strikes=3, status=status), signals)
    assert d.verdict == "crisis"
    assert kinds(d) == ["case", "crisis_resources", "reply"]
    assert d.state is not None and d.state.strikes == 3 and d.state.status == status
    assert not d.strike
    assert d.cases[0].priority and d.cases[0].kind == "crisis"


def test_risk_plus_harmful_in_the_same_turn_is_still_crisis() -> None:
    """Whatever else the turn holds, risk means no strike."""
    both = Signals(screen_risk="self", assessment=Assessment(harmful=True, abusive=True))
    d = run(state(strikes=3, status="warned"), both)
    assert d.verdict == "crisis" and not d.strike


def test_crisis_resources_respect_the_cooldown_but_the_alert_does_not() -> None:
    """Resources at most once per cooldown, a pointer back to them in between; a case each time."""
    s = state(resources_posted_at=T0, last_risk_at=T0)
    soon = run(s, RISK_SELF, now=T0 + timedelta(minutes=30))
    assert kinds(soon) == ["case", "notice", "reply"]
    assert soon.actions[1].text.startswith(
        "The crisis resources I posted earlier in this thread (at 01 Jan 00:00 UTC) are still there"
    )
    later = run(s, RISK_SELF, now=T0 + timedelta(hours=2))
    assert kinds(later) == ["case", "crisis_resources", "reply"]


def test_harmful_in_crisis_window_is_redirected_counted_and_never_locked() -> None:
    """After a risk signal the bot does not lock; moderators get a priority case instead."""
    s = state(strikes=3, status="warned", last_risk_at=T0)
    d = run(s, HARMFUL, now=T0 + timedelta(hours=23))
    assert d.verdict == "redirect"
    assert d.state is not None and d.state.status == "warned" and d.state.strikes == 4
    assert [c.kind for c in d.cases] == ["harmful_in_crisis"] and d.cases[0].priority
    assert "lock" not in kinds(d)


def test_after_the_crisis_window_the_ladder_resumes() -> None:
    """Once the window has passed, a warned thread locks on the next harmful turn."""
    s = state(strikes=3, status="warned", last_risk_at=T0)
    d = run(s, HARMFUL, now=T0 + timedelta(hours=24, minutes=1))
    assert d.verdict == "lock"


def test_benign_turns_clear_a_strike_and_lift_the_warning() -> None:
    """K benign turns in a row clear one strike; a warned thread goes back to open."""
    s = state(strikes=3, status="warned", benign_streak=2)
    d = run(s, BENIGN)
    assert d.state is not None
    assert (d.state.strikes, d.state.status, d.state.benign_streak) == (2, "open", 0)
    again = run(d.state, HARMFUL)
    assert again.verdict == "warn"


def test_a_harmful_turn_resets_the_benign_streak() -> None:
    """The streak must be unbroken."""
    d = run(state(strikes=1, benign_streak=2), HARMFUL)
    assert d.state is not None and d.state.benign_streak == 0


def test_category_threshold_lowers_n() -> None:
    """A category with N=1 warns on its first request and locks on the second."""
    settings = Settings(policy=PolicySettings(category_redirects={"indiscriminate_weapons": 1}))
    weapons = Signals(assessment=Assessment(harmful=True, category="indiscriminate_weapons"))
    first = run(state(), weapons, settings=settings)
    assert first.verdict == "warn"
    assert first.state is not None
    assert run(first.state, weapons, settings=settings).verdict == "lock"
    # other categories keep the default
    assert run(state(), HARMFUL, settings=settings).verdict == "redirect"


def test_category_threshold_zero_locks_at_once() -> None:
    """N=0 is the operator's explicit choice to close on the first request, without warning."""
    settings = Settings(policy=PolicySettings(category_redirects={"child_sexual_exploitation": 0}))
    csam = Signals(assessment=Assessment(harmful=True, category="child_sexual_exploitation"))
    d = run(state(), csam, settings=settings)
    assert d.verdict == "lock"
    assert "closes at once" in d.actions[0].text


def test_repeat_locks_raise_a_case() -> None:
    """The M-th lock of a user inside the window opens a 'pivoting' case too."""
    d = run(state(strikes=3, status="warned"), HARMFUL, locks=1)
    assert [c.kind for c in d.cases] == ["lock", "repeat_locks"]
    assert "2 times" in d.cases[1].summary
    assert kinds(d) == ["lock", "case", "case"]
    assert run(state(strikes=3, status="warned"), HARMFUL, locks=0).cases[-1].kind == "lock"


def test_warn_first_after_recent_lock_option() -> None:
    """With the option on, a recently locked user's first harmful turn goes straight to warning."""
    on = Settings(policy=PolicySettings(warn_first_after_recent_lock=True))
    assert run(state(), HARMFUL, settings=on, locks=1).verdict == "warn"
    assert run(state(), HARMFUL, settings=on, locks=0).verdict == "redirect"
    assert run(state(), HARMFUL, locks=1).verdict == "redirect"


def test_end_request_asks_then_yes_ends() -> None:
    """An explicit end request asks to confirm; 'yes' from the same user ends with an info case."""
    asked = run(state(), END)
    assert asked.state is not None and asked.state.pending_end_by == "u1"
    done = run(asked.state, YES)
    assert done.verdict == "end"
    assert done.state is not None and done.state.status == "ended"
    assert kinds(done) == ["end", "case"]
    assert "at your request" in done.actions[0].text
    assert done.cases[0].kind == "end" and not done.cases[0].priority


def test_end_request_no_keeps_the_thread_open() -> None:
    """'No' withdraws the request."""
    asked = run(state(), END)
    assert asked.state is not None
    kept = run(asked.state, NO)
    assert kept.verdict == "end_cancelled"
    assert (
        kept.state is not None and kept.state.status == "open" and kept.state.pending_end_by is None
    )


def test_only_the_asker_can_confirm() -> None:
    """Another user's 'yes' is an ordinary turn and withdraws nothing of theirs."""
    asked = run(state(), END)
    assert asked.state is not None
    other = run(asked.state, YES, author=Author(id="u2", name="bob"))
    assert other.verdict == "reply"


def test_button_confirmation() -> None:
    """The confirmation button ends the thread for the asker only."""
    asked = run(state(), END)
    assert asked.state is not None
    ok = EndConfirmation(event_id="b", thread=REF, author=USER, confirmed=True, at=T0)
    assert (
        policy.confirm(state=asked.state, confirmation=ok, settings=Settings(), now=T0).verdict
        == "end"
    )
    stranger = replace(ok, author=Author(id="u2", name="bob"))
    assert (
        policy.confirm(
            state=asked.state, confirmation=stranger, settings=Settings(), now=T0
        ).verdict
        == "ignored"
    )


def test_yes_while_at_risk_does_not_end() -> None:
    """A 'yes' that also carries a risk signal is treated as a crisis, not an end."""
    asked = run(state(), END)
    assert asked.state is not None
    d = run(asked.state, Signals(screen_affirmative=True, screen_risk="self"))
    assert d.verdict == "crisis"


def test_harmful_with_end_request_still_strikes_and_offers_to_end() -> None:
    """Adding 'end this' to a harmful request does not dodge the ladder."""
    d = run(state(), Signals(assessment=Assessment(harmful=True, end_request=True)))
    assert d.verdict == "redirect" and d.strike
    assert kinds(d) == ["redirect", "confirm_end"]


@pytest.mark.parametrize("status", ["locked", "ended"])
def test_closed_thread_ignores_everything(status: str) -> None:
    """A closed thread is ignored and the model is never called (precheck settles it)."""
    s = state(status=status)
    pre = policy.precheck(state=s, incoming=msg(), signals=RISK_SELF, settings=Settings(), now=T0)
    assert pre is not None and pre.verdict == "ignored" and pre.state is None
    assert kinds(pre) == ["ignored"]


def test_end_conversation_tool_is_only_a_signal() -> None:
    """Claude's end_conversation call ends nothing unless the ladder would lock anyway."""
    tool = replace(BENIGN, end_conversation_tool=True)
    d = run(state(), tool)
    assert d.verdict == "reply"
    assert "not honoured" in d.notes[0]
    tool_harm = replace(HARMFUL, end_conversation_tool=True)
    locked = run(state(strikes=3, status="warned"), tool_harm)
    assert locked.verdict == "lock" and "honoured" in locked.notes[0]


# --- moderators -----------------------------------------------------------------------------------


def command(kind: str, *, by: Author = MOD, **kw: object) -> ModCommand:
    """A moderator command on the test thread."""
    return ModCommand(
        event_id="m",
        moderator=by,
        command=kind,
        at=T0,
        origin=REF,
        thread=REF,
        **kw,  # type: ignore[arg-type]
    )


def test_unlock_reopens_and_resets_strikes() -> None:
    """Unlock reopens a locked thread with clean strikes, posts a notice and opens a case."""
    d = policy.moderate(state=state(status="locked", strikes=4), command=command("unlock"), now=T0)
    assert d.verdict == "unlock"
    assert d.state is not None and (d.state.status, d.state.strikes) == ("open", 0)
    assert kinds(d) == ["unlock", "case"]
    assert d.cases[0].kind == "unlock" and d.cases[0].actor == "m1"


def test_unlock_of_an_open_thread_is_refused() -> None:
    """Nothing to unlock: refused, nothing changes."""
    d = policy.moderate(state=state(), command=command("unlock"), now=T0)
    assert d.verdict == "refused" and d.state is None and not d.cases


@pytest.mark.parametrize("kind", ["unlock", "uphold", "note", "pardon"])
def test_non_moderators_are_refused(kind: str) -> None:
    """A moderator command from anyone else changes nothing and opens no case."""
    d = policy.moderate(
        state=state(status="locked"), command=command(kind, by=USER, case=1, note="x"), now=T0
    )
    assert d.verdict == "refused" and not d.cases and d.state is None


def lock_case(number: int = 3, **kw: object) -> Case:
    """A stored lock case of the test thread."""
    return Case(
        number=number,
        kind=kw.pop("kind", "lock"),  # type: ignore[arg-type]
        workspace="w",
        user_id=str(kw.pop("user_id", "u1")),
        actor="bot",
        created_at=T0,
        thread=REF,
        **kw,  # type: ignore[arg-type]
    )


def test_uphold_note_and_pardon_are_cases() -> None:
    """Each moderator action is itself a case, referring to the case it concerns."""
    up = policy.moderate(
        state=state(status="locked"),
        command=command("uphold", case=3),
        now=T0,
        target=lock_case(),
        closing=lock_case(),
    )
    assert up.cases[0].kind == "uphold" and up.cases[0].refers_to == 3
    note = policy.moderate(state=state(), command=command("note", note="watch this"), now=T0)
    assert note.cases[0].summary == "watch this"
    empty = policy.moderate(state=state(), command=command("note", note="  "), now=T0)
    assert empty.verdict == "refused"
    pardon = policy.moderate(state=None, command=command("pardon", user_id="u9"), now=T0)
    assert pardon.cases[0].kind == "pardon" and pardon.cases[0].user_id == "u9"


def test_lock_notice_names_the_platforms_policy_command() -> None:
    """Each adapter fills in its own way of showing the criteria; no placeholder leaks."""
    from bot import notices

    text = run(state(strikes=3, status="warned"), HARMFUL).actions[0].text
    assert notices.POLICY_HINT in text
    shown = notices.for_platform(text, policy_command="`/policy`")
    assert "`/policy`" in shown and "{" not in shown


def test_a_second_person_is_warned_before_the_thread_locks() -> None:
    """In a shared thread, someone never warned gets the warning, not the lock."""
    bob = Author(id="u2", name="bob")
    d = run(state(strikes=3, status="warned"), HARMFUL, author=bob)
    assert d.verdict == "warn"
    assert d.state is not None and d.state.warned_users == ("u1", "u2")
    assert run(d.state, HARMFUL, author=bob).verdict == "lock"


def test_end_request_in_the_crisis_window_keeps_the_thread_open() -> None:
    """Ending must never abandon someone at risk: kept open, moderators told."""
    s = state(last_risk_at=T0)
    d = run(s, END, now=T0 + timedelta(hours=1))
    assert d.verdict == "kept_open"
    assert [c.kind for c in d.cases] == ["crisis"] and d.cases[0].priority
    assert kinds(d) == ["case", "reply", "notice"]
    pending = state(last_risk_at=T0, pending_end_by="u1")
    assert run(pending, YES, now=T0 + timedelta(hours=1)).verdict != "end"
    ok = EndConfirmation(event_id="b", thread=REF, author=USER, confirmed=True, at=T0)
    button = policy.confirm(state=pending, confirmation=ok, settings=Settings(), now=T0)
    assert button.verdict == "kept_open"


def test_a_refusal_on_a_crisis_turn_is_never_a_strike() -> None:
    """The model refusing on a risk turn is care, not the user's strike."""
    kw = {
        "author_id": "u1",
        "struck": False,
        "refused": True,
        "end_tool": False,
        "dropped": 0,
        "settings": Settings(),
        "now": T0,
    }
    assert policy.after_reply(state=state(), verdict="crisis", **kw) is None  # type: ignore[arg-type]
    d = policy.after_reply(state=state(strikes=2), verdict="reply", **kw)  # type: ignore[arg-type]
    assert d is not None and d.strike and d.state is not None and d.state.status == "warned"
    assert d.state.warned_users == ("u1",)


def test_risk_to_others_is_not_labelled_self_harm() -> None:
    """The crisis case's category says what kind of risk it is."""
    d = run(state(), Signals(screen_risk="others"))
    assert d.cases[0].category == "other" and "someone else" in d.cases[0].summary


def test_appeal_rules() -> None:
    """An appeal needs a closed thread, one open at a time, and at most a few a day."""
    from bot.records import Appeal

    req = Appeal(event_id="a", thread=REF, author=USER, statement="  please   review ", at=T0)
    locked = state(status="locked", closed_category="violent_crimes")
    ok = policy.appeal(state=locked, request=req, lock_case=4, open_appeal=False, appeals_today=0)
    assert ok.verdict == "appeal" and ok.cases[0].refers_to == 4
    assert ok.cases[0].excerpts == ("please review",)
    assert kinds(ok) == ["case", "private_notice"] and ok.actions[1].user_id == "u1"
    for kw in ({"open_appeal": True}, {"appeals_today": 3}):
        args = {"open_appeal": False, "appeals_today": 0, **kw}
        refused = policy.appeal(state=locked, request=req, lock_case=4, **args)  # type: ignore[arg-type]
        assert refused.verdict == "appeal_refused" and not refused.cases
    open_thread = policy.appeal(
        state=state(), request=req, lock_case=None, open_appeal=False, appeals_today=0
    )
    assert open_thread.verdict == "appeal_refused"


def test_uphold_tells_the_appellant() -> None:
    """The moderator's decision reaches the user who appealed, privately."""
    d = policy.moderate(
        state=state(status="locked"),
        command=command("uphold", case=4),
        now=T0,
        target=lock_case(4),
        closing=lock_case(4),
        appeal=lock_case(5, kind="appeal"),
    )
    assert kinds(d)[-1] == "private_notice" and d.actions[-1].user_id == "u1"
