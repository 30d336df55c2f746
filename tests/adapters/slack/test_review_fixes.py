"""Regressions found in review: follow-ups during a first turn, and edited mentions."""

from __future__ import annotations

import asyncio

from bot.assistant.offline import OfflineAssistant
from bot.store.base import Store
from tests.adapters.slack.conftest import Harness, settings
from tests.fakes.core import ScriptedAssistant, ScriptedReply
from tests.fakes.slack_api import FakeSlackApi


async def test_a_follow_up_during_the_first_turn_is_not_dropped(
    api: FakeSlackApi, store: Store
) -> None:
    """A thread message sent while the first reply is still held is answered after it."""
    gate = asyncio.Event()
    count = {"n": 0}

    def make(ctx: object) -> ScriptedReply:
        count["n"] += 1
        return ScriptedReply(["answer"], gate=gate if count["n"] == 1 else None)

    h = Harness(api=api, store=store, config=settings(), assistant=ScriptedAssistant(make))  # type: ignore[arg-type]
    ts = h.payloads.ts()
    first = asyncio.create_task(h.mention("hello", ts=ts))
    await asyncio.sleep(0.3)
    second = asyncio.create_task(h.say("a follow-up while the first runs", thread_ts=ts))
    await asyncio.sleep(0.1)
    gate.set()
    await first
    await second
    assert len(api.of("chat.startStream")) == 2


async def test_an_edited_mention_is_not_a_new_turn(api: FakeSlackApi, store: Store) -> None:
    """Slack re-sends an edited mention with a new event id: after a restart it is still dropped."""
    h1 = Harness(api=api, store=store, config=settings(), assistant=OfflineAssistant())
    ts = await h1.mention("hello")
    before = len(api.of("chat.startStream"))
    h2 = Harness(api=api, store=store, config=settings(), assistant=OfflineAssistant())
    edited = h2.payloads.event(
        kind="app_mention",
        text="<@UBOT> hello (edited)",
        ts=ts,
        event_id="EvEDITED1",
        edited={"user": "U1", "ts": "1700000099.000000"},
    )
    await h2.send(edited)
    assert len(api.of("chat.startStream")) == before


async def test_an_appeal_is_answered_privately(api: FakeSlackApi, store: Store) -> None:
    """The appellant hears privately (ephemeral) that the appeal was sent, then the decision."""
    from datetime import UTC, datetime

    from bot import notices
    from bot.records import Appeal, Author, ModCommand
    from tests.adapters.slack.test_service import lock_thread

    h = Harness(api=api, store=store, config=settings(), assistant=OfflineAssistant())
    await lock_thread(h)
    state = (await store.threads(platform="slack", limit=5))[0]
    now = datetime.now(UTC)
    await h.runtime.handle(
        Appeal(
            event_id="ap1",
            thread=state.ref,
            author=Author(id=state.owner, name="u"),
            statement="please",
            at=now,
        )
    )
    sent = api.of("chat.postEphemeral")[-1]
    assert sent["user"] == state.owner and "appeal was sent" in sent["text"]
    mod = Author(id="UMOD", name="mod", is_moderator=True)
    await h.runtime.handle(
        ModCommand(
            event_id="m1",
            moderator=mod,
            command="uphold",
            at=now,
            origin=state.ref,
            thread=state.ref,
        )
    )
    told = api.of("chat.postEphemeral")[-1]
    assert told["user"] == state.owner and notices.APPEAL_UPHELD[:40] in told["text"]
