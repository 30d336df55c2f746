"""Rigs: the real runtime on a real SQLite store, the real Claude client against the local Messages
API, and the real Discord or Slack adapter against its fake, behind one small interface.

A test written against `Rig` runs on both platforms: `open` mentions the bot, `say` writes in a
thread, `shown` is what a person sees in that thread, `cases` is the mod log, and `escaped` holds
every exception that got past the adapter into the platform library (which must stay empty: a
fault is handled, never a crash).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import anthropic
from aiohttp import web
from slack_bolt.response import BoltResponse

from adapters.discord.service import DiscordService
from adapters.slack import SlackService, make_client
from bot.app import policy_text
from bot.assistant.base import Assistant, Classifier
from bot.assistant.claude import ClaudeAssistant, ClaudeClassifier
from bot.config import AssistantSettings, DiscordSettings, Settings, SlackSettings
from bot.records import ThreadState
from bot.runtime import Runtime
from bot.store import open_store
from bot.store.base import Store
from tests.fakes.discord_fake import (
    ALICE_ID,
    BOB_ID,
    CHANNEL_ID,
    GUILD_ID,
    MOD_ID,
    MOD_ROLE_ID,
    MODLOG_ID,
    FakeDiscord,
    FakeHTTPError,
    Request,
)
from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.slack_api import TEAM, FakeSlackApi
from tests.fakes.slack_events import FORM, JSON, SECRET, Payloads, as_form, as_json, request
from tests.faults.model import ModelScript

#: Claude settings for tests: short deadlines so every fault resolves in well under a second.
FAST_CLAUDE = AssistantSettings(
    provider="claude",
    classifier_deadline=timedelta(seconds=1.0),
    stall_timeout=timedelta(seconds=0.4),
    reply_timeout=timedelta(seconds=8),
    max_retry_wait=timedelta(seconds=0.1),
)
SLACK_MOD_LOG = "CMOD"
SLACK_CHANNEL = "C1"
PLATFORMS = ("discord", "slack")


def claude(settings: Settings, fake: FakeMessagesAPI) -> tuple[Assistant, Classifier]:
    """The production Claude assistant and classifier, on a client pointed at the fake."""
    client = anthropic.AsyncAnthropic(
        api_key="test-key",
        base_url=fake.url,
        max_retries=0,
        timeout=settings.assistant.reply_timeout.total_seconds(),
    )
    reply = ClaudeAssistant(settings.assistant, policy_text=policy_text(settings), client=client)
    return reply, ClaudeClassifier(settings.assistant, client=client)


class Rig:
    """One platform, the runtime and the model; subclasses speak the platform."""

    platform = ""

    def __init__(self, *, store: Store, api: FakeMessagesAPI, settings: Settings) -> None:
        self.store = store
        self.api = api
        self.settings = settings
        self.model = ModelScript().install(api)
        self.assistant, self.classifier = claude(settings, api)
        self.runtime: Runtime
        #: Exceptions that reached the platform library (must stay empty).
        self.escaped: list[BaseException] = []

    def make_runtime(self, adapter: Any) -> Runtime:
        """The runtime with this rig's adapter, retrying deliveries without pauses."""
        return Runtime(
            settings=self.settings,
            store=self.store,
            assistant=self.assistant,
            classifier=self.classifier,
            adapters={self.platform: adapter},
            delivery_backoff=(0.0, 0.0),
        )

    async def close(self) -> None:
        """Release connections (the store is closed by its fixture)."""
        await self.assistant.aclose()

    # --- what subclasses provide ------------------------------------------------------------------

    def user(self, name: str) -> str:
        """The platform id of a named user (created on first use); "mod" is a moderator."""
        raise NotImplementedError

    async def open(self, text: str, *, user: str = "alice") -> str:
        """Mention the bot in the channel; returns the new thread's id."""
        raise NotImplementedError

    async def say(self, thread: str, text: str, *, user: str = "alice") -> None:
        """Write in a thread and wait until the bot has finished with it."""
        raise NotImplementedError

    async def say_all(self, thread: str, messages: list[tuple[str, str]]) -> None:
        """Many (user, text) messages at once; waits until every one is handled."""
        raise NotImplementedError

    async def redeliver(self) -> None:
        """Deliver the last message event again, as the platform does when unsure it arrived."""
        raise NotImplementedError

    def prepare(self, thread: str, text: str, *, user: str = "alice") -> dict[str, Any]:
        """A message event written now but not delivered yet (its id and time are fixed now)."""
        raise NotImplementedError

    async def deliver(self, events: list[tuple[dict[str, Any], int]], *, at_once: bool) -> None:
        """Deliver (event, copy number) pairs, one after another or all at once; copy 0 is the
        first delivery, later copies are the platform's redeliveries."""
        raise NotImplementedError

    def shown(self, thread: str) -> list[str]:
        """The bot's messages in a thread as people see them now, oldest first."""
        raise NotImplementedError

    def cases(self) -> list[str]:
        """Titles of the cases in the mod log, oldest first."""
        raise NotImplementedError

    def key(self, thread: str) -> str:
        """The core's key of a thread."""
        raise NotImplementedError

    # --- common reads -----------------------------------------------------------------------------

    async def state(self, thread: str) -> ThreadState:
        """The stored state of a thread (which must exist)."""
        state = await self.store.load_thread(self.key(thread))
        assert state is not None, f"thread {thread} is not stored"
        return state


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll `condition` every 10 ms until it holds; fail after `within` seconds."""
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


# --- Discord --------------------------------------------------------------------------------------


def _is_handler(task: asyncio.Task[Any]) -> bool:
    """A discord.py event handler or component callback still running (not a view's timer)."""
    name = task.get_name()
    coro = getattr(task.get_coro(), "__qualname__", "")
    handler = name.startswith(("discord", "CommandTree-invoker"))
    return handler and "timeout" not in name and "timeout_task_impl" not in coro


async def settle(within: float = 10.0) -> None:
    """Wait until discord.py's handlers have finished (the fake servers' tasks live on)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        await asyncio.sleep(0)
        pending = [t for t in asyncio.all_tasks() if not t.done() and _is_handler(t)]
        if not pending:
            return
        left = deadline - loop.time()
        if left <= 0:
            raise TimeoutError(f"handlers still running: {[t.get_coro() for t in pending]}")
        await asyncio.wait(pending, timeout=left)


@dataclass
class _Injected:
    method: str
    path: str
    error: FakeHTTPError
    times: int
    when: Callable[[dict[str, str], Any], bool]


class FaultyDiscord(FakeDiscord):
    """The fake Discord with errors injected on chosen calls (by route, channel or body)."""

    def __init__(self) -> None:
        super().__init__()
        self._injected: list[_Injected] = []
        #: (method, route path, params, body) of every call that got an injected error.
        self.refused: list[tuple[str, str, dict[str, str], Any]] = []

    def inject(
        self,
        method: str,
        path: str,
        error: FakeHTTPError,
        *,
        times: int = 1,
        when: Callable[[dict[str, str], Any], bool] = lambda params, body: True,
    ) -> None:
        """Answer the next `times` matching calls with `error` (`when` sees params and body)."""
        self._injected.append(_Injected(method, path, error, times, when))

    def handle(self, method: str, url_path: str, body: Any) -> tuple[str, Any]:
        """Fail the call if an injected error matches it, else answer as Discord would."""
        for m, path, pattern, _ in self._routes:
            match = pattern.match(url_path)
            if m != method or not match:
                continue
            params = match.groupdict()
            for item in self._injected:
                if item.method == method and item.path == path and item.when(params, body):
                    item.times -= 1
                    if item.times <= 0:
                        self._injected.remove(item)
                    self.requests.append(Request(method, path, params, body))
                    self.refused.append((method, path, params, body))
                    raise item.error
            break
        return super().handle(method, url_path, body)


class DiscordRig(Rig):
    """The Discord service on the fake Discord."""

    platform = "discord"

    def __init__(
        self,
        *,
        store: Store,
        api: FakeMessagesAPI,
        settings: Settings,
        fake: FaultyDiscord | None = None,
    ) -> None:
        super().__init__(store=store, api=api, settings=settings)
        self.fake = fake or FaultyDiscord()
        self.service = DiscordService(settings, edit_interval=0.0, guild_ready_timeout=0.01)
        self.fake.attach(self.service.client)
        self.runtime = self.make_runtime(self.service)
        self.service.attach(self.runtime)
        self._ids = {"alice": ALICE_ID, "bob": BOB_ID, "mod": MOD_ID}
        self.last: dict[str, Any] = {}
        client = self.service.client

        async def on_error(event: str, *args: object, **kwargs: object) -> None:
            self.escaped.append(sys.exc_info()[1] or RuntimeError(event))

        async def on_tree_error(interaction: object, error: BaseException) -> None:
            self.escaped.append(error)

        client.on_error = on_error  # type: ignore[method-assign]
        client.tree.on_error = on_tree_error  # type: ignore[method-assign]

    async def start(self) -> None:
        """Log in and connect to the fake Discord."""
        await self.service.login()
        await self.fake.connect()

    async def close(self) -> None:
        """Close the client and the model connections."""
        await self.service.client.close()
        await super().close()

    def user(self, name: str) -> str:
        """A Discord user id; new names become members with no role."""
        if name not in self._ids:
            uid = 900000000000001000 + len(self._ids)
            self.fake.users[uid] = self.fake.user_payload(uid, name)
            self.fake.member_roles[uid] = []
            self._ids[name] = uid
        return str(self._ids[name])

    async def open(self, text: str, *, user: str = "alice") -> str:
        """Mention the bot in #general; the thread has the mention's id."""
        message = self.fake.say(text, author=int(self.user(user)), mention_bot=True)
        await settle()
        return str(message["id"])

    async def say(self, thread: str, text: str, *, user: str = "alice") -> None:
        """A message in the thread."""
        self.last = self.fake.say(text, channel=int(thread), author=int(self.user(user)))
        await settle()

    async def redeliver(self) -> None:
        """The same MESSAGE_CREATE again (a gateway replay after a resume)."""
        self.fake.emit("MESSAGE_CREATE", self.last)
        await settle()

    def prepare(self, thread: str, text: str, *, user: str = "alice") -> dict[str, Any]:
        """A MESSAGE_CREATE payload with its snowflake taken now."""
        message = self.fake.message_payload(
            channel_id=int(thread), author_id=int(self.user(user)), content=text
        )
        self.fake.messages[int(message["id"])] = message
        return message

    async def deliver(self, events: list[tuple[dict[str, Any], int]], *, at_once: bool) -> None:
        """MESSAGE_CREATE per event (a copy is a gateway replay)."""
        for payload, _ in events:
            self.fake.emit("MESSAGE_CREATE", payload)
            if not at_once:
                await settle()
        await settle(within=30)

    async def say_all(self, thread: str, messages: list[tuple[str, str]]) -> None:
        """Every MESSAGE_CREATE at once, then wait for all handlers."""
        for user, text in messages:
            self.fake.say(text, channel=int(thread), author=int(self.user(user)))
        await settle(within=30)

    def shown(self, thread: str) -> list[str]:
        """Message contents in the thread (edits applied)."""
        return [str(m["content"]) for m in self.fake.sent(int(thread))]

    def cases(self) -> list[str]:
        """Embed titles in the mod-log channel."""
        return [str(m["embeds"][0]["title"]) for m in self.fake.sent(MODLOG_ID) if m["embeds"]]

    def key(self, thread: str) -> str:
        """discord:guild:channel:thread."""
        return f"discord:{GUILD_ID}:{CHANNEL_ID}:{thread}"


# --- Slack ----------------------------------------------------------------------------------------


class RecordingSlackApi(FakeSlackApi):
    """The fake Web API, also keeping each message as people see it (streams and edits applied)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        #: ts -> {"channel", "thread_ts", "text", "blocks"}, in the order they were posted.
        self.messages: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}
        self._channel_errors: list[list[Any]] = []

    def fail_in(self, channel: str, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next `times` calls of `method` to `channel` with `error`."""
        self._channel_errors.append([method, channel, error, times])

    def _answer(self, method: str, args: dict[str, Any]) -> web.Response:
        for item in self._channel_errors:
            if item[0] == method and item[1] == args.get("channel"):
                item[3] -= 1
                if item[3] <= 0:
                    self._channel_errors.remove(item)
                return web.json_response({"ok": False, "error": item[2]})
        if method == "users.info" and str(args.get("user")) in self.names:
            user = str(args.get("user"))
            profile = {"display_name": self.names[user], "real_name": self.names[user]}
            return web.json_response(
                {"ok": True, "user": {"id": user, "name": user, "profile": profile}}
            )
        response = super()._answer(method, args)
        body = response.body
        data = json.loads(body) if isinstance(body, bytes) else {}
        if not data.get("ok"):
            return response
        if method in ("chat.postMessage", "chat.startStream"):
            self.messages[str(data["ts"])] = {
                "channel": args.get("channel"),
                "thread_ts": args.get("thread_ts"),
                "text": str(args.get("text") or args.get("markdown_text") or ""),
                "blocks": args.get("blocks"),
            }
        elif method == "chat.appendStream":
            self.messages[str(args["ts"])]["text"] += str(args.get("markdown_text") or "")
        elif method == "chat.update" and str(args.get("ts")) in self.messages:
            self.messages[str(args["ts"])]["text"] = str(args.get("text") or "")
        return response


class SlackRig(Rig):
    """The Slack service (bolt, signed requests, process_before_response) on the fake Web API."""

    platform = "slack"

    def __init__(
        self,
        *,
        store: Store,
        api: FakeMessagesAPI,
        settings: Settings,
        slack: RecordingSlackApi,
    ) -> None:
        super().__init__(store=store, api=api, settings=settings)
        self.slack = slack
        self.payloads = Payloads()
        self.service = SlackService(
            settings=settings,
            client=make_client("xoxb-test-token", base_url=slack.base_url),
            signing_secret=SECRET,
            process_before_response=True,
            stream_interval=0.0,
            update_interval=0.0,
        )
        self.runtime = self.make_runtime(self.service)
        self.service.attach(self.runtime)
        self.responses: list[BoltResponse] = []
        self.last: dict[str, Any] = {}

        async def on_error(error: Exception) -> None:
            self.escaped.append(error)

        self.service.app.error(on_error)

    def user(self, name: str) -> str:
        """A Slack user id: U + the name upper-cased; "mod" is the configured moderator."""
        return "UMOD" if name == "mod" else "U" + name.upper()

    async def send(self, payload: dict[str, Any], *, retry_num: int | None = None) -> BoltResponse:
        """An event callback, signed, dispatched through bolt."""
        response = await self.service.app.async_dispatch(
            request(as_json(payload), content_type=JSON, retry_num=retry_num)
        )
        self.responses.append(response)
        return response

    async def click(self, **kw: Any) -> BoltResponse:
        """A button click, signed."""
        body = as_form(self.payloads.click(**kw))
        return await self.service.app.async_dispatch(request(body, content_type=FORM))

    def message(self, thread: str | None, text: str, *, user: str, mention: bool) -> dict[str, Any]:
        """An `app_mention` or `message` event payload in #C1."""
        return self.payloads.event(
            kind="app_mention" if mention else "message",
            text=f"<@UBOT> {text}" if mention else text,
            user=self.user(user),
            channel=SLACK_CHANNEL,
            thread_ts=thread,
        )

    async def open(self, text: str, *, user: str = "alice") -> str:
        """A top-level mention; the thread is that message's ts."""
        payload = self.message(None, text, user=user, mention=True)
        await self.send(payload)
        return str(payload["event"]["ts"])

    async def say(self, thread: str, text: str, *, user: str = "alice") -> None:
        """A plain message in the thread."""
        self.last = self.message(thread, text, user=user, mention=False)
        await self.send(self.last)

    async def redeliver(self) -> None:
        """The same event again with X-Slack-Retry-Num, as Slack does after a failed ack."""
        await self.send(self.last, retry_num=1)

    def prepare(self, thread: str, text: str, *, user: str = "alice") -> dict[str, Any]:
        """A `message` event callback with its ts and event id taken now."""
        return self.message(thread, text, user=user, mention=False)

    async def deliver(self, events: list[tuple[dict[str, Any], int]], *, at_once: bool) -> None:
        """Signed dispatches (a copy carries X-Slack-Retry-Num)."""
        if at_once:
            await asyncio.gather(*(self.send(p, retry_num=n or None) for p, n in events))
            return
        for payload, n in events:
            await self.send(payload, retry_num=n or None)

    async def say_all(self, thread: str, messages: list[tuple[str, str]]) -> None:
        """Every event dispatched at once."""
        payloads = [self.message(thread, t, user=u, mention=False) for u, t in messages]
        await asyncio.gather(*(self.send(p) for p in payloads))

    def shown(self, thread: str) -> list[str]:
        """Messages in the thread (streams and edits applied)."""
        return [
            str(m["text"])
            for m in self.slack.messages.values()
            if m["thread_ts"] == thread and m["channel"] == SLACK_CHANNEL
        ]

    def cases(self) -> list[str]:
        """Header blocks of the messages in the mod-log channel."""
        return [
            str(m["blocks"][0]["text"]["text"]).removeprefix(":rotating_light: ")
            for m in self.slack.messages.values()
            if m["channel"] == SLACK_MOD_LOG and m["blocks"]
        ]

    def key(self, thread: str) -> str:
        """slack:team:channel:ts."""
        return f"slack:{TEAM}:{SLACK_CHANNEL}:{thread}"


# --- building them --------------------------------------------------------------------------------


def settings_for(platform: str, assistant: AssistantSettings = FAST_CLAUDE) -> Settings:
    """Claude with short deadlines, and the platform's mod log and moderators."""
    if platform == "discord":
        return Settings(
            assistant=assistant,
            discord=DiscordSettings(
                mod_log_channel=MODLOG_ID, moderator_role=MOD_ROLE_ID, ping_on_crisis=True
            ),
        )
    return Settings(
        assistant=assistant,
        slack=SlackSettings(mod_log_channel=SLACK_MOD_LOG, moderators=("UMOD",)),
    )


@dataclass
class RigFactory:
    """Builds rigs on one store and one Messages API fake, and closes what it built."""

    tmp_path: Path
    api: FakeMessagesAPI
    store: Store
    built: list[Rig] = field(default_factory=list)
    slack_apis: list[RecordingSlackApi] = field(default_factory=list)

    async def __call__(
        self,
        platform: str,
        *,
        settings: Settings | None = None,
        fake: FaultyDiscord | None = None,
        slack: RecordingSlackApi | None = None,
    ) -> Rig:
        settings = settings or settings_for(platform)
        rig: Rig
        if platform == "discord":
            discord_rig = DiscordRig(store=self.store, api=self.api, settings=settings, fake=fake)
            await discord_rig.start()
            rig = discord_rig
        else:
            if slack is None:
                slack = RecordingSlackApi()
                await slack.start()
                self.slack_apis.append(slack)
            rig = SlackRig(store=self.store, api=self.api, settings=settings, slack=slack)
        self.built.append(rig)
        return rig

    async def close(self) -> None:
        """Close every rig, then the Slack fakes."""
        for rig in self.built:
            await rig.close()
        for slack in self.slack_apis:
            await slack.close()


async def make_factory(tmp_path: Path) -> AsyncIterator[RigFactory]:
    """A factory over a fresh store and Messages API fake (for fixtures)."""
    async with FakeMessagesAPI() as api:
        store = await open_store(str(tmp_path / "bot.db"))
        factory = RigFactory(tmp_path=tmp_path, api=api, store=store)
        try:
            yield factory
        finally:
            await factory.close()
            await store.close()


__all__ = [
    "FAST_CLAUDE",
    "PLATFORMS",
    "SLACK_CHANNEL",
    "SLACK_MOD_LOG",
    "DiscordRig",
    "FaultyDiscord",
    "RecordingSlackApi",
    "Rig",
    "RigFactory",
    "SlackRig",
    "make_factory",
    "settings_for",
    "settle",
    "until",
]
