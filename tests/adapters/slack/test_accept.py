"""Messages are written down before the ack, including in a thread whose opening is in flight."""

from __future__ import annotations

from typing import Any

from bot.store.base import Store
from tests.adapters.slack.conftest import Harness


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
