"""Messages are written down before the ack, including in a thread whose opening is in flight."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.assistant.offline import OfflineAssistant
from bot.errors import StoreError
from bot.store import open_store
from bot.store.base import Store
from tests.adapters.slack.conftest import Harness, settings
from tests.fakes.slack_api import FakeSlackApi


class OpeningDecidedMeanwhile:
    """The real store, where another process decides the thread's opening between two reads.

    The adapter reads the thread (not there yet), then the inbox (the opening's row just went with
    its decision): the interleaving of two processes, made to happen every time.
    """

    def __init__(self, store: Store, harness: Harness, opening: Any) -> None:
        self._store = store
        self._harness = harness
        self._opening = opening
        self.armed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def has_accepted(self, thread_key: str) -> bool:
        if self.armed:
            self.armed = False
            await self._harness.runtime.handle(self._opening)  # "the other process" decides it
        return await self._store.has_accepted(thread_key)


async def test_a_message_and_its_redelivery_are_accepted_once(slack: Harness) -> None:
    """The first delivery is accepted and answered; a redelivery of it is acked and dropped."""
    thread = await slack.mention("hello")
    payload = slack.payloads.event(kind="message", text="more", thread_ts=thread)
    assert (await slack.send(payload)).status == 200
    assert (await slack.send(payload, retry_num=1)).status == 200
    turns = await slack.store.recent_turns(f"slack:T0TEAM:C1:{thread}", limit=10)
    assert [t.text for t in turns if t.role == "user"] == ["hello", "more"]
    assert await slack.store.accepted_events() == []


async def test_a_message_is_not_lost_when_its_threads_opening_is_decided_meanwhile(
    slack: Harness,
) -> None:
    """Read the thread: absent; the opening is decided; read the inbox: empty. Still hosted."""
    opening_payload = slack.payloads.event(kind="app_mention", text="<@UBOT> hello")
    ts = opening_payload["event"]["ts"]
    # The opening mention reached another process, which accepted it and is deciding it.
    opening = await slack.service._incoming(opening_payload, context=_context())
    assert opening is not None and await slack.runtime.accept(opening)
    racing = OpeningDecidedMeanwhile(slack.store, slack, opening)
    slack.runtime.store = racing  # type: ignore[assignment]
    response = await slack.say("the next message", thread_ts=ts)
    assert response.status == 200 and not racing.armed
    turns = await slack.store.recent_turns(f"slack:T0TEAM:C1:{ts}", limit=10)
    assert [t.text for t in turns if t.role == "user"] == ["hello", "the next message"]


def _context() -> Any:
    from slack_bolt.context.async_context import AsyncBoltContext

    return AsyncBoltContext({"bot_user_id": "UBOT", "bot_id": "B0BOT"})


class SlowFailingAccept:
    """The real store, whose next accept waits to be released and then fails."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.armed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def accept_event(self, event_id: str, **kw: Any) -> bool:
        if self.armed:
            self.armed = False
            self.entered.set()
            await self.release.wait()
            raise StoreError("could not accept the event: disk I/O error")
        return await self._store.accept_event(event_id, **kw)


async def test_a_retry_during_a_failing_first_delivery_is_not_acked(slack: Harness) -> None:
    """Slack retries while the first delivery is still being written down and then fails: the
    retry is answered 500 too (not 200 as a duplicate), so Slack's next retry is read."""
    thread = await slack.mention("hello")
    payload = slack.payloads.event(kind="message", text="more", thread_ts=thread)
    slow = SlowFailingAccept(slack.store)
    slack.runtime.store = slow  # type: ignore[assignment]
    first = asyncio.create_task(slack.send(payload))
    await slow.entered.wait()
    retry = asyncio.create_task(slack.send(payload, retry_num=1))
    await asyncio.sleep(0.05)
    assert not retry.done()  # it waits for the first delivery's answer
    slow.release.set()
    assert [(await first).status, (await retry).status] == [500, 500]
    assert (await slack.send(payload, retry_num=2)).status == 200
    turns = await slack.store.recent_turns(f"slack:T0TEAM:C1:{thread}", limit=10)
    assert [t.text for t in turns if t.role == "user"] == ["hello", "more"]


async def test_a_message_during_shutdown_with_other_workers_goes_to_one_of_them(
    api: FakeSlackApi, pg_url: str
) -> None:
    """Stopping on a store other workers share: 503 and nothing written; Slack retries it there."""
    store = await open_store(pg_url)
    try:
        slack = Harness(api=api, store=store, config=settings(), assistant=OfflineAssistant())
        thread = await slack.mention("hello")
        assert await slack.runtime.shutdown(grace=1.0)
        assert (await slack.say("are you there?", thread_ts=thread)).status == 503
        assert await store.accepted_events() == []
    finally:
        await store.close()


async def test_a_message_during_shutdown_of_a_lone_process_waits_for_the_next_start(
    slack: Harness,
) -> None:
    """Stopping alone (SQLite): the message is written down and acked, for the next start."""
    thread = await slack.mention("hello")
    assert await slack.runtime.shutdown(grace=1.0)
    assert (await slack.say("still there?", thread_ts=thread)).status == 200
    assert [e.event_id for e in await slack.store.accepted_events()] != []
