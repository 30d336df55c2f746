"""The runtime's sequencing: dedupe, lanes, the held reply, commit before delivery, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import notices, policy
from bot.config import AssistantSettings, Settings
from bot.errors import DeliveryError, PermissionMissing
from bot.records import Assessment, Author, Incoming, ModCommand, Signals, ThreadRef, UserHistory
from bot.runtime import Runtime
from bot.store import open_store
from bot.store.base import Store
from tests.fakes.core import (
    RecordingAdapter,
    ScriptedAssistant,
    ScriptedClassifier,
    ScriptedReply,
    SteppingClock,
)

ALICE = Author(id="u1", name="alice")
MOD = Author(id="m1", name="mo", is_moderator=True)
HARM = Assessment(harmful=True, category="violent_crimes")


def ref(name: str = "t1") -> ThreadRef:
    """A thread on the test platform."""
    return ThreadRef(platform="test", workspace="w", channel="c", thread=name)


class Harness:
    """A runtime on a real SQLite store with recording fakes around it."""

    def __init__(
        self,
        store: Store,
        *,
        assistant: ScriptedAssistant | None = None,
        classifier: ScriptedClassifier | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.store = store
        self.adapter = RecordingAdapter()
        self.assistant = assistant or ScriptedAssistant()
        self.classifier = classifier or ScriptedClassifier(by_text={"harm": HARM})
        self.clock = SteppingClock()
        self.settings = settings or Settings()
        self.runtime = self.make_runtime()
        self.n = 0

    def make_runtime(self) -> Runtime:
        """A fresh runtime on the same store (as after a restart)."""
        return Runtime(
            settings=self.settings,
            store=self.store,
            assistant=self.assistant,
            classifier=self.classifier,
            adapters={"test": self.adapter},
            clock=self.clock,
            delivery_backoff=(0.0, 0.0),
        )

    def message(
        self,
        text: str,
        *,
        thread: str = "t1",
        event: str | None = None,
        author: Author = ALICE,
        opens: bool = False,
    ) -> Incoming:
        """A user message with a fresh event id unless one is given."""
        self.n += 1
        return Incoming(
            event_id=event or f"e{self.n}",
            thread=ref(thread),
            author=author,
            text=text,
            at=self.clock(),
            opens_thread=opens,
        )

    async def say(self, text: str, **kw: object) -> str:
        """Send a message and return the verdict."""
        return (await self.runtime.handle(self.message(text, **kw))).verdict  # type: ignore[arg-type]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A real SQLite store in a temporary folder."""
    s = await open_store(str(tmp_path / "bot.db"))
    yield s
    await s.close()


async def test_mention_opens_a_thread_and_later_messages_are_turns(store: Store) -> None:
    """The opening mention creates the thread; messages in unknown threads are not turns."""
    h = Harness(store)
    assert await h.say("hello", thread="elsewhere") == "not_hosted"
    assert await h.say("hello", opens=True) == "reply"
    assert await h.say("more") == "reply"
    assert h.adapter.kinds() == ["stream", "stream"]
    assert h.adapter.calls[0].text == "answer to hello"


async def test_full_ladder_to_lock_then_ignored(store: Store) -> None:
    """Redirect, redirect, warn, lock; afterwards the model is never called again."""
    h = Harness(store)
    await h.say("hi", opens=True)
    verdicts = [await h.say("harm") for _ in range(4)]
    assert verdicts == ["redirect", "redirect", "warn", "lock"]
    calls_before = len(h.assistant.contexts)
    assert await h.say("hello again") == "ignored"
    assert len(h.assistant.contexts) == calls_before
    kinds = h.adapter.kinds()
    assert kinds[-3:] == ["lock", "case", "ignored"]
    assert kinds.count("case") == 1
    lock = next(c for c in h.adapter.calls if c.kind == "lock")
    assert lock.case is not None and lock.case.kind == "lock"
    state = await store.load_thread(ref().key)
    assert state is not None and state.status == "locked" and state.strikes == 4


async def test_lock_discards_the_held_reply(store: Store) -> None:
    """The reply generated alongside a locking turn is cancelled, never shown."""
    h = Harness(store)
    await h.say("hi", opens=True)
    for _ in range(4):
        await h.say("harm")
    assert h.assistant.replies[-1].cancelled
    assert "answer to harm" in [c.text for c in h.adapter.calls if c.kind == "stream"]
    assert h.adapter.kinds().count("stream") == 4  # hi + three redirects, none for the lock


async def test_redelivered_event_is_processed_once(store: Store) -> None:
    """The same platform event id twice yields one reply, also across a restart."""
    h = Harness(store)
    msg = h.message("hello", opens=True, event="dup")
    first, second = await asyncio.gather(h.runtime.handle(msg), h.runtime.handle(msg))
    assert sorted([first.verdict, second.verdict]) == ["duplicate", "reply"]
    restarted = h.make_runtime()
    assert (await restarted.handle(msg)).verdict == "duplicate"
    assert h.adapter.kinds() == ["stream"]


async def test_reply_is_held_until_the_assessment_is_in(store: Store) -> None:
    """Nothing reaches the platform before the classifier answers, even if the reply is ready."""
    classifier = ScriptedClassifier(delay=0.05)
    h = Harness(store, classifier=classifier)
    await h.say("hello", opens=True)
    reply = h.assistant.replies[0]
    assert reply.released_at is not None
    assert reply.released_at >= classifier.answered_at[0]


async def test_assistant_and_classifier_start_together(store: Store) -> None:
    """The reply is already generating while the assessment is pending (no waiting in turn)."""
    assistant = ScriptedAssistant()
    classifier = ScriptedClassifier()
    classifier.wait_for = lambda: assistant.replies[-1].generating.wait()
    h = Harness(store, assistant=assistant, classifier=classifier)
    assert await h.say("hello", opens=True) == "reply"


async def test_classifier_deadline_falls_back_to_the_screen(store: Store) -> None:
    """A classifier past its deadline is 'unknown': no strike from it, the screen still applies."""
    slow = ScriptedClassifier(by_text={"harm": HARM}, delay=5)
    settings = Settings(assistant=AssistantSettings(classifier_deadline=timedelta(seconds=0.05)))
    h = Harness(store, classifier=slow, settings=settings)
    await h.say("hi", opens=True)
    assert await h.say("harm") == "reply"  # the classifier would have said harmful
    assert await h.say("I am going to kill myself tonight") == "crisis"  # the screen alone


async def test_threads_run_concurrently_and_turns_in_a_thread_stay_in_order(store: Store) -> None:
    """Thread b finishes while thread a is stuck; a's second turn waits for its first."""
    gate = asyncio.Event()
    assistant = ScriptedAssistant(
        lambda ctx: ScriptedReply([ctx.text], gate=gate if ctx.text == "a1" else None)
    )
    h = Harness(store, assistant=assistant)
    await h.say("open a", thread="a", opens=True)
    await h.say("open b", thread="b", opens=True)
    a1 = asyncio.create_task(h.say("a1", thread="a"))
    a2 = asyncio.create_task(h.say("a2", thread="a"))
    assert await asyncio.wait_for(h.say("b1", thread="b"), 5) == "reply"
    assert not a1.done() and not a2.done()
    assert [c.text for c in assistant.contexts][-2:] == ["a1", "b1"]  # a2 has not started
    gate.set()
    await asyncio.wait_for(asyncio.gather(a1, a2), 5)
    texts = [c.text for c in h.adapter.calls if c.kind == "stream" and c.thread == "a"]
    assert texts == ["open a", "a1", "a2"]


async def test_failed_reply_costs_no_strike_and_tells_the_user(store: Store) -> None:
    """When the reply cannot be produced the user is told plainly and no strike is counted."""
    assistant = ScriptedAssistant(
        lambda ctx: (
            ScriptedReply([], fail="overloaded") if ctx.text == "harm" else ScriptedReply(["ok"])
        )
    )
    h = Harness(store, assistant=assistant)
    await h.say("hi", opens=True)
    assert await h.say("harm") == "failed"
    assert h.adapter.calls[-1].text == notices.TURN_FAILED
    state = await store.load_thread(ref().key)
    assert state is not None and state.strikes == 0


async def test_crisis_survives_a_failed_reply(store: Store) -> None:
    """If the model fails on a crisis turn, resources and the alert still go out."""
    assistant = ScriptedAssistant(lambda ctx: ScriptedReply([], fail="500"))
    h = Harness(store, assistant=assistant)
    assert await h.say("I want to kill myself", opens=True) == "crisis"
    assert h.adapter.kinds() == ["case", "crisis_resources", "notice"]
    assert h.adapter.calls[2].text == notices.SUPPORT_FALLBACK
    assert h.adapter.calls[0].case is not None and h.adapter.calls[0].case.priority


async def test_platform_failure_is_retried_then_becomes_a_case(store: Store) -> None:
    """A retryable failure is retried; a missing permission is a case naming it."""
    h = Harness(store)
    h.adapter.fail["warn"] = [DeliveryError("503")]
    h.adapter.fail["lock"] = [PermissionMissing("Manage Threads")]
    await h.say("hi", opens=True)
    for _ in range(4):
        await h.say("harm")
    assert "warn" in h.adapter.kinds()  # the retry landed
    cases = [c.case for c in h.adapter.calls if c.kind == "case" and c.case]
    assert [c.kind for c in cases] == ["lock", "delivery_failure"]
    assert "Manage Threads" in cases[1].summary
    # the core still treats the thread as closed
    assert await h.say("more") == "ignored"
    assert await store.owed_actions() == []


async def test_owed_actions_are_carried_out_after_a_restart(store: Store) -> None:
    """Actions committed but not carried out are done once by the next process."""
    h = Harness(store)
    await h.say("hi", opens=True)
    for _ in range(3):
        await h.say("harm")
    # Commit the lock without carrying it out, as a crash right after the commit would leave it.
    state = await store.load_thread(ref().key)
    assert state is not None
    msg = h.message("harm")
    decision = policy.decide(
        state=state,
        incoming=msg,
        signals=Signals(assessment=HARM),
        history=UserHistory(),
        settings=h.settings,
        now=h.clock(),
    )
    await store.commit(
        at=h.clock(),
        event_id=msg.event_id,
        state=decision.state,
        cases=decision.cases,
        actions=decision.actions,
    )
    before = len(h.adapter.calls)
    restarted = h.make_runtime()
    assert await restarted.recover() == 2
    assert h.adapter.kinds()[before:] == ["lock", "case"]
    assert await restarted.recover() == 0
    assert (await restarted.handle(msg)).verdict == "duplicate"


async def test_moderator_unlock_reopens(store: Store) -> None:
    """A moderator unlock reopens the thread and the user can carry on; a user cannot unlock."""
    h = Harness(store)
    await h.say("hi", opens=True)
    for _ in range(4):
        await h.say("harm")
    deny = ModCommand(
        event_id="m0", moderator=ALICE, command="unlock", at=h.clock(), origin=ref(), thread=ref()
    )
    assert (await h.runtime.handle(deny)).verdict == "refused"
    cmd = replace(deny, event_id="m1", moderator=MOD)
    out = await h.runtime.handle(cmd)
    assert out.verdict == "unlock"
    assert await h.say("thanks") == "reply"
    lock_case = (await store.cases(workspace="w", kinds=("lock",)))[0]
    # the unlock resolved the lock that closed the thread, by the moderator
    assert (lock_case.status, lock_case.status_by) == ("resolved", MOD.id)


async def test_crisis_thread_is_not_locked_while_the_window_lasts(store: Store) -> None:
    """A user at risk who is also abusive is redirected and escalated, never locked."""
    h = Harness(store)
    await h.say("I don't want to live anymore", opens=True)
    verdicts = [await h.say("harm") for _ in range(6)]
    assert "lock" not in verdicts
    priority = [c.case for c in h.adapter.calls if c.kind == "case" and c.case and c.case.priority]
    assert len(priority) == 1  # one case for the crisis; each harmful turn updates it
    assert h.adapter.kinds().count("case_update") == 6
    grouped = await store.case(workspace="w", number=1)
    assert grouped is not None and grouped.signals == 7 and grouped.excerpts[-1] == "harm"
    h.clock.advance(hours=25)
    # Outside the window the ladder resumes; no warning was given inside it, so it comes first.
    assert [await h.say("harm"), await h.say("harm")] == ["warn", "lock"]


async def test_bot_authors_are_not_turns(store: Store) -> None:
    """Messages from bots, the bot itself included, are dropped before anything else."""
    h = Harness(store)
    bot = Author(id="b", name="bot", is_bot=True)
    assert await h.say("hi", opens=True, author=bot) == "not_a_turn"
    assert h.adapter.calls == []


def test_utc_clock() -> None:
    """The runtime's real clock is timezone-aware UTC."""
    from bot.runtime import utcnow

    assert utcnow().tzinfo is UTC and utcnow() > datetime(2026, 1, 1, tzinfo=UTC)


async def test_an_adapter_bug_does_not_strand_the_rest_of_the_decision(store: Store) -> None:
    """An unexpected exception from the platform gives up that action, and the others go on."""
    h = Harness(store)
    await h.say("hi", opens=True)
    for _ in range(3):
        await h.say("harm")
    h.adapter.fail["lock"] = [KeyError("surprise")]  # type: ignore[list-item]
    assert await h.say("harm") == "lock"
    cases = [c.case.kind for c in h.adapter.calls if c.kind == "case" and c.case]
    assert cases == ["lock", "delivery_failure"]
    assert await store.owed_actions() == []


async def test_reply_generation_stops_when_the_turn_fails(store: Store) -> None:
    """A failure after the reply started (here the classifier) cancels the paid generation."""

    class Broken(ScriptedClassifier):
        async def assess(self, context: object) -> object:  # type: ignore[override]
            raise RuntimeError("classifier bug")

    h = Harness(store, classifier=Broken())
    # The classifier's failure is an "unknown": the turn goes on with the screen alone.
    assert await h.say("hello", opens=True) == "reply"
    gate = asyncio.Event()
    h.assistant = ScriptedAssistant(lambda ctx: ScriptedReply(["x"], gate=gate))
    h.runtime = h.make_runtime()

    # The read between the assessment and the decision: a turn at risk looks up the thread's
    # open priority case (the locks and the history come with the turn's first read).
    async def failing_cases(**kw: object) -> list[object]:
        raise RuntimeError("store down")

    h.store.cases = failing_cases  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        await h.say("i want to kill myself")
    assert h.assistant.replies[-1].cancelled


async def test_shutdown_lets_turns_in_flight_finish_and_refuses_new_ones(store: Store) -> None:
    """A stop waits (bounded) for the turn in flight; new events are turned away meanwhile."""
    gate = asyncio.Event()
    h = Harness(store, assistant=ScriptedAssistant(lambda ctx: ScriptedReply(["ok"], gate=gate)))
    turn = asyncio.create_task(h.say("hello", opens=True))
    await asyncio.sleep(0.05)
    stopping = asyncio.create_task(h.runtime.shutdown(grace=5))
    await asyncio.sleep(0.05)
    assert await h.say("too late", thread="other", opens=True) == "shutting_down"
    assert not stopping.done()
    gate.set()
    assert await turn == "reply"
    assert await stopping is True
    assert await store.owed_actions() == []


async def test_shutdown_gives_up_after_the_grace(store: Store) -> None:
    """A turn stuck past the grace is left to be cut off; shutdown says so."""
    gate = asyncio.Event()
    h = Harness(store, assistant=ScriptedAssistant(lambda ctx: ScriptedReply(["ok"], gate=gate)))
    turn = asyncio.create_task(h.say("hello", opens=True))
    await asyncio.sleep(0.05)
    assert await h.runtime.shutdown(grace=0.1) is False
    turn.cancel()
    with pytest.raises(asyncio.CancelledError):
        await turn
    assert h.assistant.replies[0].cancelled  # the paid generation stopped with it
    # Nothing half-committed: the thread it opened is recorded only with its first decision
    # (until then its inbox row, on the adapters' way in, says it is about to be hosted).
    assert await store.load_thread(ref().key) is None
    assert await store.recent_turns(ref().key, limit=10) == []
    assert await store.owed_actions() == []
