"""Socket Mode end to end: the real slack-bolt Socket Mode client against a local Socket Mode
server (tests/fakes/slack_socket.py), with the same delivery guarantees as signed HTTP.

`SlackService.serve` opens the link itself (apps.connections.open with the app token, then the
WebSocket), as in production; nothing in bolt or slack_sdk is replaced. What must hold, as for
HTTP: a message is written down before its envelope is acked; an envelope Slack sends again (its
ack was lost, or never came) is answered once; an envelope that is not acked is retried and
answered; a refresh or a dropped link loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.slack import SlackService, make_client
from bot.assistant.base import Assistant
from bot.assistant.offline import NoClassifier
from bot.runtime import Runtime
from bot.store import open_store
from bot.store.base import Store
from tests.adapters.slack.conftest import settings
from tests.fakes.core import ScriptedAssistant, ScriptedReply
from tests.fakes.slack_api import TEAM, FakeSlackApi
from tests.fakes.slack_events import Payloads
from tests.fakes.slack_socket import FakeSocketMode
from tests.store.conftest import Backend


@dataclass
class Bot:
    """A Slack bot serving over Socket Mode, and the Slack it talks to."""

    api: FakeSlackApi
    socket: FakeSocketMode
    store: Store
    runtime: Runtime
    service: SlackService
    payloads: Payloads

    def streams(self, thread_ts: str) -> list[dict[str, Any]]:
        """Reply streams started in a thread."""
        return [a for a in self.api.of("chat.startStream") if a.get("thread_ts") == thread_ts]


async def until(check: Callable[[], object], within: float = 10.0) -> None:
    """Poll until `check()` is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def serving(
    tmp_path: Path, *, assistant: Assistant | None = None, ack_timeout: float = 0.5
) -> AsyncIterator[Bot]:
    """The bot connected over Socket Mode; disconnected and closed afterwards."""
    api, socket = FakeSlackApi(), FakeSocketMode(ack_timeout=ack_timeout)
    await api.start()
    api.socket_url = await socket.start()
    store = await open_store(str(tmp_path / "slack.db"))
    config = settings()
    service = SlackService(
        settings=config,
        client=make_client("xoxb-test-token", base_url=api.base_url),
        signing_secret=None,
        app_token="xapp-test-token",
        stream_interval=0.0,
        update_interval=0.0,
    )
    runtime = Runtime(
        settings=config,
        store=store,
        assistant=assistant or ScriptedAssistant(),
        classifier=NoClassifier(),
        adapters={"slack": service},
        delivery_backoff=(0.0, 0.0),
    )
    task = asyncio.create_task(service.serve(runtime))
    try:
        await socket.wait_for_links(1)
        yield Bot(
            api=api,
            socket=socket,
            store=store,
            runtime=runtime,
            service=service,
            payloads=Payloads(),
        )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await socket.close()
        await store.close()
        await api.close()


def mention(bot: Bot, text: str, **kw: Any) -> dict[str, Any]:
    """`@bot text` at the top of #C1, as an event_callback body."""
    return bot.payloads.event(kind="app_mention", text=f"<@UBOT> {text}", **kw)


async def test_a_mention_is_written_down_before_its_envelope_is_acked(tmp_path: Path) -> None:
    """When the ack reaches Slack the message is in the inbox; then the reply follows."""
    gate = asyncio.Event()
    held = ScriptedAssistant(lambda ctx: ScriptedReply(["hello back"], gate=gate))
    async with serving(tmp_path, assistant=held) as bot:
        body = mention(bot, "hello there")
        envelope = await bot.socket.delivered(body)
        ts = body["event"]["ts"]
        pending = [e.event_id for e in await bot.store.accepted_events()]
        assert pending == [f"slack:C1:{ts}"]  # acked while the model still works: written down
        assert envelope.sent == [(0, 0)] and envelope.acks == [0]
        gate.set()
        await until(lambda: any(m["text"] == "hello back" for m in bot.api.timeline.values()))
        await until(lambda: not bot.runtime.held()[0])
        assert await bot.store.accepted_events() == []


async def test_an_envelope_sent_again_and_a_twin_event_are_answered_once(tmp_path: Path) -> None:
    """Slack resends an acked envelope (the ack was lost) and the message's `message` twin
    arrives too: one turn, one reply stream."""
    async with serving(tmp_path) as bot:
        body = mention(bot, "one question", channel="C1")
        envelope = await bot.socket.delivered(body)
        ts = body["event"]["ts"]
        await until(lambda: bot.streams(ts))
        await bot.socket.resend(envelope)
        twin = bot.payloads.event(kind="message", text="<@UBOT> one question", ts=ts)
        await bot.socket.delivered(twin)
        await until(lambda: len(envelope.acks) == 2)
        await asyncio.sleep(0.2)
        assert len(bot.streams(ts)) == 1
        assert envelope.sent == [(0, 0), (1, 0)]
        turns = await bot.store.recent_turns(f"slack:{TEAM}:C1:{ts}", limit=10)
        assert [t.role for t in turns] == ["user", "assistant"]


async def test_an_envelope_that_could_not_be_written_down_is_not_acked_and_is_retried(
    tmp_path: Path,
) -> None:
    """The store refuses the first accept: no ack, so Slack retries; the retry is answered."""
    async with serving(tmp_path, ack_timeout=0.5) as bot:
        database = Backend("sqlite", str(tmp_path / "slack.db"))
        await database.fail_on("inbox")
        body = mention(bot, "are you there?")
        envelope = await bot.socket.deliver(body)
        await until(lambda: len(envelope.sent) == 2, within=5)  # the first try got no ack
        assert envelope.acks == []
        await database.stop_failing("inbox")
        await asyncio.wait_for(envelope.acked.wait(), 10)
        ts = body["event"]["ts"]
        await until(lambda: bot.streams(ts))
        await asyncio.sleep(0.2)
        assert len(bot.streams(ts)) == 1 and len(envelope.acks) == 1
        attempts = [attempt for attempt, _ in envelope.sent]
        assert attempts == list(range(len(attempts))) and len(attempts) >= 2


async def test_a_refresh_moves_the_bot_to_a_new_link_and_loses_nothing(tmp_path: Path) -> None:
    """`disconnect: refresh_requested`: the client asks for a new link, the old one closes, and
    messages on the new link are answered in the same thread."""
    async with serving(tmp_path) as bot:
        body = mention(bot, "before the refresh")
        await bot.socket.delivered(body)
        ts = body["event"]["ts"]
        await until(lambda: bot.streams(ts))
        (old,) = bot.socket.open_links()
        new = await bot.socket.refresh(old)
        await until(lambda: old.closed)
        assert new.ticket != old.ticket and len(bot.api.of("apps.connections.open")) == 2
        after = bot.payloads.event(kind="message", text="after the refresh", thread_ts=ts)
        envelope = await bot.socket.delivered(after)
        assert envelope.acks == [new.id]
        await until(lambda: len(bot.streams(ts)) == 2)


async def test_an_envelope_whose_link_drops_is_retried_on_the_next_and_answered_once(
    tmp_path: Path,
) -> None:
    """The link is cut as the envelope goes out: Slack retries it on the client's next link;
    whether or not the first copy got through, the message is answered once."""
    async with serving(tmp_path, ack_timeout=0.5) as bot:
        opening = mention(bot, "hello")
        await bot.socket.delivered(opening)
        ts = opening["event"]["ts"]
        await until(lambda: bot.streams(ts))
        (link,) = bot.socket.open_links()
        body = bot.payloads.event(kind="message", text="still there?", thread_ts=ts)
        envelope = await bot.socket.deliver(body, link=link)
        await bot.socket.drop(link)
        await asyncio.wait_for(envelope.acked.wait(), 20)
        await until(lambda: len(bot.streams(ts)) == 2)
        await asyncio.sleep(0.3)
        assert len(bot.streams(ts)) == 2
        assert bot.socket.strays == []
