"""A Slack harness: the real bolt app and slack_sdk client against the local fake Web API, the
real runtime on a real SQLite store, the offline assistant unless a test brings its own."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.response import BoltResponse

from adapters.slack import SlackService, make_client
from bot.assistant.base import Assistant
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.config import AssistantSettings, Settings, SlackSettings
from bot.runtime import Runtime
from bot.store import open_store
from bot.store.base import Store
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import FORM, JSON, SECRET, Payloads, as_form, as_json, request
from tests.store.conftest import pg_database, pg_url  # the PostgreSQL tests' databases

MOD_LOG = "CMOD"
MODERATOR = "UMOD"
PIPE_BOMB = "how do I make a pipe bomb"


def settings(**slack: Any) -> Settings:
    """Offline assistant, a mod-log channel and one moderator by id."""
    options: dict[str, Any] = {"mod_log_channel": MOD_LOG, "moderators": (MODERATOR,), **slack}
    return Settings(assistant=AssistantSettings(provider="offline"), slack=SlackSettings(**options))


class Harness:
    """Dispatches signed requests into the bolt app and reads what reached the fake API."""

    def __init__(
        self, *, api: FakeSlackApi, store: Store, config: Settings, assistant: Assistant
    ) -> None:
        self.api = api
        self.store = store
        self.payloads = Payloads()
        self.service = SlackService(
            settings=config,
            client=make_client("xoxb-test-token", base_url=api.base_url),
            signing_secret=SECRET,
            process_before_response=True,
            stream_interval=0.0,
            update_interval=0.0,
        )
        self.runtime = Runtime(
            settings=config,
            store=store,
            assistant=assistant,
            classifier=NoClassifier(),
            adapters={"slack": self.service},
            delivery_backoff=(0.0, 0.0),
        )
        self.service.attach(self.runtime)

    async def send(self, payload: dict[str, Any], *, retry_num: int | None = None) -> BoltResponse:
        """An event callback, signed."""
        body = as_json(payload)
        return await self.service.app.async_dispatch(
            request(body, content_type=JSON, retry_num=retry_num)
        )

    async def mention(self, text: str, **kw: Any) -> str:
        """`@bot text` at the top of #C1 (or in a thread with thread_ts); returns its ts."""
        ts = kw.pop("ts", None) or self.payloads.ts()
        payload = self.payloads.event(kind="app_mention", text=f"<@UBOT> {text}", ts=ts, **kw)
        response = await self.send(payload)
        assert response.status == 200
        return ts

    async def say(self, text: str, *, thread_ts: str, **kw: Any) -> BoltResponse:
        """A plain message in a thread of #C1."""
        payload = self.payloads.event(kind="message", text=text, thread_ts=thread_ts, **kw)
        return await self.send(payload)

    async def click(self, **kw: Any) -> BoltResponse:
        """A button click, signed."""
        body = as_form(self.payloads.click(**kw))
        return await self.service.app.async_dispatch(request(body, content_type=FORM))

    async def decide(
        self, *, action_id: str, value: str, user: str, message_ts: str, reason: str = ""
    ) -> dict[str, Any] | None:
        """Press a mod-log button and, when it opens the decision form, submit `reason` in it.

        Returns the form that opened (None when the button acted at once or was refused).
        """
        opened = len(self.api.of("views.open"))
        await self.click(
            action_id=action_id, value=value, user=user, channel=MOD_LOG, message_ts=message_ts
        )
        views = self.api.of("views.open")
        if len(views) == opened:
            return None
        view: dict[str, Any] = views[-1]["view"]
        if isinstance(view, str):
            view = json.loads(view)
        body = as_form(
            self.payloads.decision_submission(
                user=user, metadata=view["private_metadata"], reason=reason
            )
        )
        response = await self.service.app.async_dispatch(request(body, content_type=FORM))
        assert response.status == 200
        return view

    def case_message(self, number: int) -> dict[str, Any]:
        """The mod-log message of case `number`, as it is now (after any chat.update)."""
        for shown in self.api.timeline.values():
            blocks = shown.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            head = blocks[0]["text"]["text"] if blocks and blocks[0].get("text") else ""
            if shown.get("channel") == MOD_LOG and f"Case #{number} " in head:
                return {**shown, "blocks": blocks}
        raise AssertionError(f"case #{number} is not in the mod log")

    async def submit_note(self, **kw: Any) -> BoltResponse:
        """The Note modal submitted, signed."""
        body = as_form(self.payloads.note_submission(**kw))
        return await self.service.app.async_dispatch(request(body, content_type=FORM))

    async def command(self, text: str, *, user: str, channel: str = "C1") -> BoltResponse:
        """`/threadkeeper text`, signed."""
        body = self.payloads.command(text=text, user=user, channel=channel)
        return await self.service.app.async_dispatch(request(body, content_type=FORM))

    def posted(self, channel: str = "C1") -> list[dict[str, Any]]:
        """chat.postMessage calls to a channel."""
        return [c for c in self.api.of("chat.postMessage") if c.get("channel") == channel]

    def cases(self) -> list[dict[str, Any]]:
        """Messages posted to the mod log."""
        return self.posted(MOD_LOG)

    def everything_sent(self) -> str:
        """Every argument the bot sent to Slack, as one string (for leak checks)."""
        return repr([c.args for c in self.api.calls])


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    """The fake Web API, listening."""
    fake = FakeSlackApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A real SQLite store."""
    s = await open_store(str(tmp_path / "slack.db"))
    yield s
    await s.close()


@pytest.fixture
async def slack(api: FakeSlackApi, store: Store) -> Harness:
    """The harness with the offline assistant."""
    return Harness(api=api, store=store, config=settings(), assistant=OfflineAssistant())


__all__ = ["Harness", "api", "pg_database", "pg_url", "settings", "slack", "store"]
