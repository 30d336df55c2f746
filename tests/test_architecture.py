"""ARCHITECTURE.md stays true: its thread-state table is replayed through the policy, row by row."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import policy
from bot.config import Settings
from bot.records import (
    Assessment,
    Author,
    Incoming,
    ModCommand,
    Signals,
    ThreadRef,
    ThreadState,
    UserHistory,
)

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 1, tzinfo=UTC)
REF = ThreadRef(platform="test", workspace="w", channel="c", thread="t1")
USER = Author(id="u1", name="alice")
MOD = Author(id="m1", name="mo", is_moderator=True)
SETTINGS = Settings()
N = SETTINGS.policy.redirects_before_lock
K = SETTINGS.policy.benign_turns_to_clear_strike
HARMFUL = Signals(assessment=Assessment(harmful=True, category="violent_crimes"))


def table() -> list[tuple[str, str, str]]:
    """The (from, on, to) rows between the transitions markers of ARCHITECTURE.md."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    body = text.split("<!-- transitions -->", 1)[1].split("<!-- /transitions -->", 1)[0]
    rows = []
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("from", "") and not set(cells[0]) <= {"-"}:
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def start(name: str) -> ThreadState:
    """A thread in the named state (`pending` is open with an end request waiting)."""
    base = ThreadState(ref=REF, owner="u1", opened_at=T0)
    if name == "open":
        return base
    if name == "warned":
        return replace(base, status="warned", strikes=N, warned_users=("u1",))
    if name == "pending":
        return replace(base, pending_end_by="u1")
    if name in ("locked", "ended"):
        return replace(base, status=name, strikes=N + 1 if name == "locked" else 0, closed_at=T0)
    raise AssertionError(f"ARCHITECTURE.md names an unknown state {name!r}")


def state_name(state: ThreadState) -> str:
    """The table's name for a state."""
    if state.status == "open" and state.pending_end_by is not None:
        return "pending"
    return state.status


def turn(signals: Signals, *, now: datetime = T0) -> Callable[[ThreadState], ThreadState]:
    """One user turn with these signals."""

    def step(state: ThreadState) -> ThreadState:
        decision = policy.decide(
            state=state,
            incoming=Incoming(event_id="e", thread=REF, author=USER, text="x", at=now),
            signals=signals,
            history=UserHistory(),
            settings=SETTINGS,
            now=now,
        )
        return decision.state or state

    return step


def in_crisis(inner: Callable[[ThreadState], ThreadState]) -> Callable[[ThreadState], ThreadState]:
    """The same step in a thread where risk was seen an hour ago."""

    def step(state: ThreadState) -> ThreadState:
        return inner(replace(state, last_risk_at=T0 - timedelta(hours=1)))

    return step


def repeated(times: int, inner: Callable[[ThreadState], ThreadState]) -> Callable[..., ThreadState]:
    """A step taken several times in a row."""

    def step(state: ThreadState) -> ThreadState:
        for _ in range(times):
            state = inner(state)
        return state

    return step


def at_strikes(
    strikes: int, inner: Callable[[ThreadState], ThreadState]
) -> Callable[..., ThreadState]:
    """A step from a thread that has this many strikes."""

    def step(state: ThreadState) -> ThreadState:
        return inner(replace(state, strikes=strikes))

    return step


def unlock(state: ThreadState) -> ThreadState:
    """A moderator's unlock of the thread."""
    decision = policy.moderate(
        state=state,
        command=ModCommand(
            event_id="m", origin=REF, thread=REF, moderator=MOD, command="unlock", at=T0
        ),
        now=T0,
    )
    return decision.state or state


def close(state: ThreadState) -> ThreadState:
    """A moderator closes the thread, with a reason."""
    decision = policy.moderate(
        state=state,
        command=ModCommand(
            event_id="m",
            origin=REF,
            thread=REF,
            moderator=MOD,
            command="lock",
            at=T0,
            note="a reason",
        ),
        now=T0,
    )
    return decision.state or state


#: What each "on" of the table means, as a step through the policy.
EVENTS: dict[str, Callable[[ThreadState], ThreadState]] = {
    "a benign turn": turn(Signals()),
    "a harmful turn, strikes below N-1": at_strikes(0, turn(HARMFUL)),
    "a harmful turn, strikes at N-1": at_strikes(N - 1, turn(HARMFUL)),
    "a harmful turn by the warned user": turn(HARMFUL),
    "a harmful turn inside the crisis window": in_crisis(turn(HARMFUL)),
    "K benign turns in a row": repeated(K, turn(Signals())),
    "risk to self or others": turn(Signals(screen_risk="self")),
    "an end request": turn(Signals(screen_end_request=True)),
    '"yes" from the user who asked': turn(Signals(screen_affirmative=True)),
    '"no" from the user who asked': turn(Signals(screen_negative=True)),
    '"yes" inside the crisis window': in_crisis(turn(Signals(screen_affirmative=True))),
    "any message": turn(HARMFUL),
    "a moderator's unlock": unlock,
    "a moderator's close (with a reason)": close,
    "a moderator's close inside the crisis window": in_crisis(close),
}


def test_the_table_is_there_and_every_event_is_in_it() -> None:
    """ARCHITECTURE.md has the table, and every event this test knows appears in some row."""
    rows = table()
    assert len(rows) >= 10
    assert {on for _, on, _ in rows} == set(EVENTS)


@pytest.mark.parametrize(("source", "on", "target"), table())
def test_each_transition_of_the_table_is_what_the_policy_does(
    source: str, on: str, target: str
) -> None:
    """Replaying a row of ARCHITECTURE.md's state table through the policy ends where it says."""
    assert on in EVENTS, f"ARCHITECTURE.md has an event this test cannot replay: {on!r}"
    assert state_name(EVENTS[on](start(source))) == target


def test_every_status_in_the_records_is_in_the_table() -> None:
    """A thread status the records allow but the table never mentions is a missing row."""
    statuses = set(
        re.findall(
            r'"(\w+)"',
            (ROOT / "bot" / "records.py")
            .read_text()
            .split("ThreadStatus = Literal[", 1)[1]
            .split("]", 1)[0],
        )
    )
    named = {s for row in table() for s in (row[0], row[2])}
    assert statuses <= named
