"""Invariants of the ladder over random conversations (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import policy
from bot.config import PolicySettings, Settings
from bot.records import (
    CATEGORIES,
    Assessment,
    Author,
    Incoming,
    ModCommand,
    Signals,
    ThreadRef,
    UserHistory,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REF = ThreadRef(platform="test", workspace="w", channel="c", thread="t")
USER = Author(id="u", name="u")
MOD = Author(id="m", name="m", is_moderator=True)
REPLY_KINDS = {"reply", "redirect", "warn"}

assessments = st.one_of(
    st.none(),
    st.builds(
        Assessment,
        harmful=st.booleans(),
        abusive=st.booleans(),
        category=st.sampled_from(CATEGORIES),
        risk=st.sampled_from(["none", "none", "none", "self", "others"]),
        end_request=st.booleans(),
    ),
)
signals = st.builds(
    Signals,
    screen_risk=st.sampled_from(["none"] * 6 + ["self", "others"]),
    screen_harmful=st.booleans(),
    screen_abusive=st.booleans(),
    screen_end_request=st.booleans(),
    screen_affirmative=st.booleans(),
    screen_negative=st.booleans(),
    assessment=assessments,
    reply_refused=st.booleans(),
    end_conversation_tool=st.booleans(),
)
step = st.tuples(
    signals,
    st.integers(min_value=0, max_value=60 * 30),  # minutes that pass before the turn
    st.sampled_from(["turn"] * 12 + ["unlock"]),
    st.integers(min_value=0, max_value=3),  # the user's recent locks elsewhere
)
policies = st.builds(
    PolicySettings,
    redirects_before_lock=st.integers(min_value=1, max_value=4),
    category_redirects=st.dictionaries(
        st.sampled_from([c for c in CATEGORIES if c != "none"]),
        st.integers(min_value=0, max_value=3),
        max_size=3,
    ),
    benign_turns_to_clear_strike=st.integers(min_value=1, max_value=4),
    warn_first_after_recent_lock=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=40), pol=policies)
def test_ladder_invariants(steps: list[tuple[Signals, int, str, int]], pol: PolicySettings) -> None:
    """Risk never locks or strikes; no lock in the crisis window; a lock follows a warning
    (unless the category's N is 0); a closed thread never calls the model; strikes stay >= 0."""
    cfg = Settings(policy=pol)
    now = T0
    state = policy.new_thread(
        Incoming(event_id="0", thread=REF, author=USER, text="hi", at=T0, opens_thread=True)
    )
    warned_since_open = False
    last_risk: datetime | None = None
    for i, (sig, minutes, kind, locks) in enumerate(steps):
        now += timedelta(minutes=minutes)
        if kind == "unlock":
            cmd = ModCommand(
                event_id=f"m{i}", moderator=MOD, command="unlock", at=now, origin=REF, thread=REF
            )
            d = policy.moderate(state=state, command=cmd, now=now)
            if d.state is not None:
                state = d.state
                warned_since_open = False
            continue

        incoming = Incoming(event_id=str(i), thread=REF, author=USER, text="x", at=now)
        closed = policy.is_closed(state)
        pre = policy.precheck(state=state, incoming=incoming, signals=sig, settings=cfg, now=now)
        if closed:
            # The runtime never calls the model when precheck settles the turn.
            assert pre is not None and pre.verdict == "ignored"
        d = policy.decide(
            state=state,
            incoming=incoming,
            signals=sig,
            history=UserHistory(recent_locks=locks),
            settings=cfg,
            now=now,
        )
        kinds = {a.kind for a in d.actions}
        if closed:
            assert not kinds & REPLY_KINDS and d.state is None

        if sig.risk != "none" and not closed and pre is None:
            assert d.verdict == "crisis" and not d.strike and "lock" not in kinds
        in_window = last_risk is not None and now - last_risk < pol.crisis_window
        if d.verdict == "lock":
            assert not in_window, "locked inside the crisis window"
            assert sig.risk == "none"
            n = pol.redirects_for(sig.category)
            assert warned_since_open or n == 0, "locked without a warning"
        if "warn" in kinds:
            warned_since_open = True
        if d.state is not None:
            assert d.state.strikes >= 0
            if d.state.last_risk_at is not None:
                last_risk = d.state.last_risk_at
            state = d.state
