"""Limits that protect people and budgets: message rate and size, token budgets, model calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import notices
from bot.config import LimitSettings, Settings
from bot.limits import RateLimiter, TokenLedger, weigh
from bot.store import open_store
from tests.fakes.core import ScriptedAssistant, ScriptedReply
from tests.test_runtime import Harness

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_rate_limiter_window() -> None:
    """N messages a minute pass; the next is refused once with a reason, then quietly."""
    r = RateLimiter(3)
    assert [r.check("u", T0) for _ in range(5)] == ["ok", "ok", "ok", "slow_down", "drop"]
    assert r.check("other", T0) == "ok"
    assert r.check("u", T0 + timedelta(minutes=1)) == "ok"
    assert RateLimiter(0).check("u", T0) == "ok"


def test_ledger_weighs_cache_reads_at_a_tenth() -> None:
    """Budgets count what is billed: cache reads at a tenth; thread and workspace both."""
    usage = {"input_tokens": 100, "output_tokens": 50, "cache_read_input_tokens": 1000}
    assert weigh(usage) == 250
    ledger = TokenLedger(thread_limit=500, workspace_limit=600)
    ledger.seed([], T0)
    ledger.add("p:w:c:t1", usage)
    ledger.add("p:w:c:t1", usage)
    assert ledger.over("p:w:c:t1") and not ledger.over("p:w:c:t2")
    ledger.add("p:w:c:t2", usage)
    assert ledger.over("p:w:c:t2")  # the workspace is spent now
    assert ledger.first_notice("p:w:c:t1") and not ledger.first_notice("p:w:c:t1")


async def harness(tmp_path: Path, limits: LimitSettings, **kw: Any) -> Harness:
    """A runtime with these limits on a real store."""
    store = await open_store(str(tmp_path / "l.db"))
    return Harness(store, settings=Settings(limits=limits), **kw)


async def test_a_flood_is_slowed_down_but_a_crisis_is_always_read(tmp_path: Path) -> None:
    """Past the rate the bot says so once and reads nothing more; a risk message gets through."""
    h = await harness(tmp_path, LimitSettings(user_messages_per_minute=3))
    try:
        verdicts = [await h.say("hi", opens=True)] + [await h.say("more") for _ in range(4)]
        assert verdicts == ["reply", "reply", "reply", "rate_limited", "rate_limited"]
        assert [c.text for c in h.adapter.calls].count(notices.SLOW_DOWN) == 1
        assert len(h.assistant.contexts) == 3
        assert await h.say("I am going to kill myself") == "crisis"
        state = await h.store.load_thread("test:w:c:t1")
        assert state is not None and state.strikes == 0
        h.clock.advance(minutes=1)
        assert await h.say("back again") == "reply"
    finally:
        await h.store.close()


async def test_long_messages_are_cut_and_the_user_told(tmp_path: Path) -> None:
    """Only the first max_message_chars are read, and a notice says so."""
    h = await harness(tmp_path, LimitSettings(max_message_chars=50))
    try:
        await h.say("x" * 500, opens=True)
        assert len(h.assistant.contexts[0].text) == 50
        assert h.adapter.calls[0].text == notices.MESSAGE_CUT
    finally:
        await h.store.close()


async def test_a_spent_budget_falls_back_to_the_offline_assistant(tmp_path: Path) -> None:
    """Past the day's tokens the model is not called; the screen and the ladder still work."""
    usage = {"model": "m", "input_tokens": 600, "output_tokens": 10}
    assistant = ScriptedAssistant(lambda ctx: ScriptedReply(["ok"], usage=usage))
    h = await harness(
        tmp_path,
        LimitSettings(thread_tokens_per_day=500, user_messages_per_minute=0),
        assistant=assistant,
    )
    try:
        assert await h.say("hi", opens=True) == "reply"
        assert await h.say("again") == "reply"
        assert len(assistant.contexts) == 1  # the second turn did not call the model
        texts = [c.text for c in h.adapter.calls]
        assert texts.count(notices.BUDGET_REACHED) == 1 and notices.OFFLINE_REPLY in texts
        assert await h.say("I am going to kill myself") == "crisis"
        await h.say("and again")
        assert [c.text for c in h.adapter.calls].count(notices.BUDGET_REACHED) == 1
    finally:
        await h.store.close()


async def test_the_budget_is_read_back_after_a_restart(tmp_path: Path) -> None:
    """A new process starts the day from the usage the store recorded."""
    usage = {"model": "m", "input_tokens": 600, "output_tokens": 10}
    assistant = ScriptedAssistant(lambda ctx: ScriptedReply(["ok"], usage=usage))
    h = await harness(tmp_path, LimitSettings(thread_tokens_per_day=500), assistant=assistant)
    try:
        await h.say("hi", opens=True)
        h.runtime = h.make_runtime()
        await h.say("after a restart")
        assert len(assistant.contexts) == 1
    finally:
        await h.store.close()


async def test_model_calls_are_capped(tmp_path: Path) -> None:
    """With a cap of one, a second thread's turn waits for the first to finish."""
    gate = asyncio.Event()
    assistant = ScriptedAssistant(
        lambda ctx: ScriptedReply(["ok"], gate=gate if ctx.text == "slow" else None)
    )
    h = await harness(tmp_path, LimitSettings(max_concurrent_model_calls=1), assistant=assistant)
    try:
        first = asyncio.create_task(h.say("slow", thread="a", opens=True))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(h.say("quick", thread="b", opens=True))
        await asyncio.sleep(0.05)
        assert [c.text for c in assistant.contexts] == ["slow"]
        gate.set()
        assert await first == "reply" and await second == "reply"
    finally:
        await h.store.close()


def test_rate_limiter_at_many_users_still_limits_each() -> None:
    """With 50,000 users active, each one's window is still their own, and still counted."""
    r = RateLimiter(2)
    users = [f"u{i}" for i in range(50_000)]
    at = [T0 + timedelta(microseconds=i) for i in range(len(users))]
    assert all(r.check(u, t) == "ok" for u, t in zip(users, at, strict=True))
    second = T0 + timedelta(seconds=20)
    assert all(r.check(u, second + (t - T0)) == "ok" for u, t in zip(users, at, strict=True))
    later = T0 + timedelta(seconds=30)
    assert [r.check(u, later) for u in users[:3]] == ["slow_down"] * 3
    assert [r.check(u, later) for u in users[:3]] == ["drop"] * 3
    assert len(r) == 50_000
    # A minute after a user's first message, one of their two is free again; not before.
    free = T0 + timedelta(minutes=1, microseconds=10)
    assert r.check("u5", free) == "ok"
    assert r.check("u5", free) == "slow_down"
    assert r.check("u40000", free) == "slow_down"


def test_rate_limiter_forgets_users_idle_for_a_window() -> None:
    """Memory holds the last minute's users: the idle are forgotten, the active kept."""
    r = RateLimiter(3)
    for i in range(20_000):
        r.check(f"u{i}", T0 + timedelta(milliseconds=i))  # the last one at T0 + 20 s
    r.check("steady", T0 + timedelta(seconds=50))
    assert len(r) == 20_001
    # At T0 + 70 s the first 10,000 (last seen before T0 + 10 s) are a window old.
    assert r.check("steady", T0 + timedelta(seconds=70)) == "ok"
    assert 9_990 <= len(r) <= 10_001
    assert r.check("steady", T0 + timedelta(seconds=200)) == "ok"
    assert len(r) == 1
    # A forgotten user starts a fresh window (they were not refused before either).
    assert r.check("u0", T0 + timedelta(seconds=200)) == "ok"


def test_a_refused_user_is_not_forgotten_while_refused() -> None:
    """Refusals do not extend the window, but the user's counted messages keep them held."""
    r = RateLimiter(1)
    assert r.check("u", T0) == "ok"
    assert r.check("u", T0 + timedelta(seconds=10)) == "slow_down"
    assert r.check("other", T0 + timedelta(seconds=59)) == "ok"
    assert r.check("u", T0 + timedelta(seconds=59)) == "drop"
    assert r.check("u", T0 + timedelta(seconds=60)) == "ok"  # the window moved on


def test_rate_limiter_with_a_clock_stepping_back_forgets_late_not_early() -> None:
    """A replayed or corrected clock never frees a user before their window has passed."""
    r = RateLimiter(1)
    assert r.check("late", T0 + timedelta(seconds=30)) == "ok"
    assert r.check("early", T0) == "ok"  # the clock stepped back 30 s
    assert r.check("early", T0 + timedelta(seconds=45)) == "slow_down"
    assert r.check("late", T0 + timedelta(seconds=80)) == "slow_down"
    assert r.check("late", T0 + timedelta(seconds=90)) == "ok"


async def test_no_budget_counts_no_tokens(tmp_path: Path) -> None:
    """Without a token budget the per-process ledger holds nothing (it would never be cleared)."""
    from bot.quotas import Quotas

    store = await open_store(str(tmp_path / "q.db"))
    try:
        off = LimitSettings(thread_tokens_per_day=0, workspace_tokens_per_day=0)
        quotas = Quotas(limits=off, store=lambda: store)
        for i in range(100):
            await quotas.spend(f"p:w:c:t{i}", {"input_tokens": 10}, T0)
        assert quotas._ledger.threads == {}
        budgeted = Quotas(
            limits=LimitSettings(thread_tokens_per_day=1000, workspace_tokens_per_day=0),
            store=lambda: store,
        )
        assert not await budgeted.over_budget("p:w:c:t1", T0)
        await budgeted.spend("p:w:c:t1", {"input_tokens": 1000}, T0)
        assert await budgeted.over_budget("p:w:c:t1", T0)
    finally:
        await store.close()


def test_a_new_user_past_a_thousand_active_is_limited() -> None:
    """The old pruning dropped a new user's empty window before counting into it: past 1,024
    active users, a newcomer was never limited at all."""
    r = RateLimiter(2)
    for i in range(2_000):
        r.check(f"u{i}", T0)
    assert [r.check("newcomer", T0) for _ in range(4)] == ["ok", "ok", "slow_down", "drop"]
