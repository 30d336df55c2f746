"""The Slack service: bolt's AsyncApp in, Web API calls out. The only Slack module that does I/O.

Incoming: bolt verifies the request (HTTP mode) or receives it over Socket Mode, acks it, and calls
one of the listeners below; they translate the payload (`translate`) and hand the record to
`Runtime.handle`. Outgoing: the runtime calls `perform` and `stream_reply`, which render
(`render`) and call the Web API, translating every SDK error into `bot.errors`.

Why the adapter dedupes on top of the runtime: one Slack message that mentions the bot arrives
twice (as `app_mention` and as `message`) under two event ids, and a redelivery
(`X-Slack-Retry-Num`) can arrive while the first delivery is still running, before anything is
stored. The runtime's stored event ids make a redelivery after a restart harmless; the adapter's
in-memory LRUs cover the rest.

Why the core's context variable: the core's `stream_reply` and `ignored` actions do not say which
user wrote the message being answered, and Slack needs it (streaming into a channel needs a
recipient; the closed-thread reminder is ephemeral to one user). The runtime carries the actions out
in the task that handles the event and records the event in `bot.runtime.HANDLING`, so the adapter
reads its author there (not from its own listener: a message may be decided by the task of the
thread's next message, see `Runtime.accept`).

Why messages are accepted in a listener middleware: bolt acks an event (HTTP mode: answers 200)
after the middleware and before the listener, so a message written down there (`Runtime.accept`)
survives a crash after the ack, and a store failure there answers 500, which Slack retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render, translate
from adapters.slack.translate import PLATFORM
from bot import notices
from bot.adapter import ALL_ACTIONS
from bot.config import Settings, SlackSettings
from bot.errors import (
    ConfigError,
    DeliveryError,
    PermissionMissing,
    ShuttingDown,
    UnsupportedAction,
)
from bot.records import Action, Author, Case, Event, Incoming, ModCommandKind, ThreadRef
from bot.runtime import HANDLING, Runtime, utcnow
from bot.store.base import shared

log = logging.getLogger(__name__)

#: Exactly the bot scopes in manifest.yml; `check()` compares the token's scopes with these.
REQUIRED_SCOPES: Final = frozenset(
    {
        "app_mentions:read",
        "channels:history",
        "channels:read",
        "groups:read",
        "groups:history",
        "chat:write",
        "reactions:write",
        "commands",
        "usergroups:read",
        "users:read",
    }
)
#: Web API errors worth trying again (after the client's own 429 retries are spent).
RETRYABLE_ERRORS: Final = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: Answers to chat.startStream that mean "streaming is not available here": fall back to updates.
NO_STREAMING: Final = frozenset(
    {
        "unknown_method",
        "not_allowed",
        "not_allowed_token_type",
        "method_not_supported_for_channel_type",
        "feature_not_enabled",
        "not_supported",
    }
)
LOCK_REACTION = "lock"
EVENTS_PATH = "/slack/events"
#: How many message keys, event ids and reminders the adapter remembers.
MEMORY = 10_000
#: The appeal modal's answer to an empty statement.
APPEAL_NEEDS_STATEMENT = "Please write a few words for the moderators."
#: chat.update is Tier 3 (about 50 a minute for the workspace): intermediate edits stay under it.
UPDATE_BUDGET = (50, 60.0)
#: The message metadata event type that marks a post made for an owed action (its key and piece).
ACTION_EVENT: Final = "threadkeeper_action"


#: The bolt context key under which `_accept_message` hands the accepted turn to its listener.
_ACCEPTED: Final = "threadkeeper_accepted"


def _speaker_in(thread: ThreadRef) -> str | None:
    """The user whose event the core is handling in `thread`, if any (see the module docstring)."""
    event = HANDLING.get()
    author = getattr(event, "author", None) or getattr(event, "moderator", None)
    threads = (getattr(event, "thread", None), getattr(event, "new_thread", None))
    if author is None or not any(t is not None and t.key == thread.key for t in threads):
        return None
    return str(author.id)


def make_client(token: str | None, *, base_url: str | None = None) -> AsyncWebClient:
    """A Web API client that retries 429s (honouring Retry-After) and dropped connections."""
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
    ]
    if base_url is None:
        return AsyncWebClient(token=token, retry_handlers=handlers)
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=handlers)


def delivery_error(exc: SlackApiError, *, what: str) -> DeliveryError:
    """A Web API error as the core's DeliveryError (or PermissionMissing for a missing scope)."""
    data = _error_data(exc)
    error = str(data.get("error") or "unknown_error")
    status = int(getattr(exc.response, "status_code", 200) or 200)
    if error == "missing_scope":
        needed = str(data.get("needed") or "an unknown scope")
        return PermissionMissing(needed, f"{what}: the bot token lacks the {needed} scope")
    retryable = error in RETRYABLE_ERRORS or status == 429 or status >= 500
    return DeliveryError(f"{what}: Slack answered {error}", retryable=retryable)


def _error_data(exc: SlackApiError) -> Mapping[str, Any]:
    """The error's JSON body; an HTTP error page (405, 502...) arrives as a string."""
    data = getattr(exc.response, "data", None)
    return data if isinstance(data, Mapping) else {}


@contextlib.asynccontextmanager
async def slack_errors(what: str) -> AsyncIterator[None]:
    """Translate SDK and network errors raised inside into `bot.errors`."""
    try:
        yield
    except SlackApiError as exc:
        raise delivery_error(exc, what=what) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryError(f"{what}: could not reach Slack ({type(exc).__name__})") from exc


class _Lru:
    """A bounded set: remembers the newest `size` keys."""

    def __init__(self, size: int = MEMORY) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str) -> bool:
        """Remember `key`; False if it was already there."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True

    def discard(self, key: str) -> None:
        """Forget `key` (so a redelivery of a failed event is processed)."""
        self._keys.pop(key, None)


class _Budget:
    """A sliding window of calls: at most `limit` in `per` seconds."""

    def __init__(self, limit: int, per: float) -> None:
        self._limit, self._per = limit, per
        self._calls: deque[float] = deque()

    def take(self, *, force: bool = False) -> bool:
        """Spend one call if the window allows (always with `force`); True if spent."""
        now = time.monotonic()
        while self._calls and now - self._calls[0] > self._per:
            self._calls.popleft()
        if not force and len(self._calls) >= self._limit:
            return False
        self._calls.append(now)
        return True


class _NoStreaming(Exception):
    """chat.startStream is not available; the reply falls back to post + update."""


class SlackService:
    """Slack as the core sees it: an Adapter that also connects and feeds the runtime."""

    platform = PLATFORM
    supports = ALL_ACTIONS

    def __init__(
        self,
        *,
        settings: Settings,
        client: AsyncWebClient,
        signing_secret: str | None,
        app_token: str | None = None,
        process_before_response: bool = False,
        host: str = "0.0.0.0",  # HTTP mode must accept Slack's requests
        stream_interval: float = 0.5,
        update_interval: float = 1.0,
        group_cache_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.slack = settings.slack or SlackSettings()
        self.client = client
        self.socket_mode = app_token is not None
        self._app_token = app_token
        self._signing_secret = signing_secret
        self._host = host
        self._stream_interval = stream_interval
        self._update_interval = update_interval
        self._group_ttl = group_cache_seconds
        self._clock = clock
        self._runtime: Runtime | None = None
        self._no_streaming: set[str] = set()
        self._budget = _Budget(*UPDATE_BUDGET)
        self._seen_events = _Lru()
        #: Deliveries being answered right now, by Slack's event id (see _drop_redelivered).
        self._delivering: dict[str, asyncio.Future[int]] = {}
        self._seen_messages = _Lru()
        self._reminded = _Lru()
        self._done_notices = _Lru()
        self._names: OrderedDict[str, str] = OrderedDict()
        self._group: tuple[float, frozenset[str]] | None = None
        self.bound_port: int | None = None
        self.policy_command = f"`{self.slack.slash_command} policy`"
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret or "",
            process_before_response=process_before_response,
            # Socket Mode requests come over an authenticated WebSocket and carry no signature.
            request_verification_enabled=not self.socket_mode,
            name=settings.name,
        )
        self._register()

    # --- wiring ----------------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.use(self._drop_redelivered)
        app.event("app_mention", middleware=[self._accept_message])(self._on_message)
        app.event("message", middleware=[self._accept_message])(self._on_message)
        for action_id in translate.MOD_ACTIONS:
            app.action(action_id)(self._on_mod_button)
        app.action(translate.ACTION_END_YES)(self._on_end_button)
        app.action(translate.ACTION_END_NO)(self._on_end_button)
        app.action(translate.ACTION_APPEAL)(self._on_appeal_button)
        app.action(translate.ACTION_BRANCH)(self._on_branch_button)
        app.view(translate.VIEW_NOTE)(self._on_note)
        app.view(translate.VIEW_APPEAL)(self._on_appeal_submission)
        app.command(self.slack.slash_command)(self._on_command)

    def attach(self, runtime: Runtime) -> None:
        """Feed events to `runtime` from now on (serve does this; tests call it directly)."""
        self._runtime = runtime

    @property
    def runtime(self) -> Runtime:
        """The runtime events go to; an event before `attach` is a programming error."""
        if self._runtime is None:
            raise RuntimeError("SlackService received an event before attach(runtime)")
        return self._runtime

    async def serve(self, runtime: Runtime) -> None:
        """Socket Mode with an app token, else HTTP for signed requests; runs until cancelled."""
        self.attach(runtime)
        if self._app_token is not None:
            handler = AsyncSocketModeHandler(self.app, self._app_token)
            await handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it untyped
            log.info("Slack: connected over Socket Mode")
            try:
                await asyncio.Event().wait()
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]  # as above
            return
        runner = web.AppRunner(self.app.web_app(path=EVENTS_PATH, port=self.slack.port))
        await runner.setup()
        # On a store several processes share, several workers listen on one port and the kernel
        # spreads Slack's requests over them (SO_REUSEPORT); on SQLite a second process on the
        # port is an error, since it would break the one-process store.
        several = shared(runtime.store) is not None
        try:
            site = web.TCPSite(runner, host=self._host, port=self.slack.port, reuse_port=several)
            try:
                await site.start()
            except OSError as exc:
                hint = (
                    "another program holds it"
                    if several
                    else "is another bot running? Several workers need storage.url on PostgreSQL"
                )
                port = self.slack.port
                raise ConfigError(
                    [f"slack.port: cannot listen on port {port} ({exc.strerror}); {hint}"]
                ) from None
            addresses = runner.addresses
            self.bound_port = int(addresses[0][1]) if addresses else self.slack.port
            log.info(
                "Slack: listening for signed requests on port %s%s", self.bound_port, EVENTS_PATH
            )
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    # --- start-up checks -------------------------------------------------------------------------

    async def check(self) -> list[str]:
        """auth.test, the token's scopes, the mod-log channel, the moderators: one sentence each."""
        s = self.slack
        problems: list[str] = []
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            error = _error_data(exc).get("error")
            return [
                f"Slack refused the bot token ({error}): check that {s.bot_token_env} holds the "
                "Bot User OAuth Token (xoxb-...) of an installed app."
            ]
        except (aiohttp.ClientError, TimeoutError) as exc:
            return [f"Could not reach Slack to check the bot token ({type(exc).__name__})."]
        granted = _scopes(auth.headers)
        if granted is not None:
            missing = sorted(REQUIRED_SCOPES - granted)
            if missing:
                problems.append(
                    f"The bot token lacks the scope(s) {', '.join(missing)}: add them from "
                    "adapters/slack/manifest.yml and reinstall the app to the workspace."
                )
        if not self.socket_mode and not self._signing_secret:
            problems.append(
                f"{s.signing_secret_env} is not set: in HTTP mode the bot cannot verify that "
                "requests come from Slack (or set an app token for Socket Mode)."
            )
        problems.extend(await self._check_mod_log())
        if not s.moderators and not s.moderator_group:
            problems.append(
                "No moderators are configured (slack.moderators or slack.moderator_group): nobody "
                "can use the mod-log buttons or the moderator commands."
            )
        elif s.moderator_group:
            try:
                await self._group_members(refresh=True)
            except DeliveryError as exc:
                problems.append(
                    f"slack.moderator_group {s.moderator_group} could not be read ({exc}): "
                    "check the id (S...) and the usergroups:read scope."
                )
        return problems

    async def _check_mod_log(self) -> list[str]:
        channel = self.slack.mod_log_channel
        if not channel:
            return ["slack.mod_log_channel is not set: cases will not reach the moderators."]
        try:
            info = await self.client.conversations_info(channel=channel)
        except SlackApiError as exc:
            error = _error_data(exc).get("error")
            if error == "channel_not_found":
                return [
                    f"slack.mod_log_channel {channel} was not found: use the channel id (C...) "
                    "and invite the bot to it (/invite @bot) if it is private."
                ]
            return [f"slack.mod_log_channel {channel} could not be checked (Slack said {error})."]
        except (aiohttp.ClientError, TimeoutError) as exc:
            return [f"Could not reach Slack to check the mod-log channel ({type(exc).__name__})."]
        data = info.get("channel") or {}
        if isinstance(data, Mapping) and data.get("is_member") is False:
            name = data.get("name") or channel
            return [
                f"The bot is not a member of the mod-log channel #{name}: invite it there "
                "(/invite @bot), or it cannot post cases."
            ]
        return []

    # --- incoming: events ------------------------------------------------------------------------

    async def _drop_redelivered(
        self,
        req: AsyncBoltRequest,
        body: dict[str, Any],
        next: Callable[[], Awaitable[BoltResponse]],  # bolt injects by this name
    ) -> BoltResponse:
        """Ack and drop a delivery already answered (Slack redelivers what it did not see acked).

        Deliveries are remembered once a message is written down (`_accept_message`); the
        message's own id dedupes across processes and restarts (the inbox).
        """
        event_id = body.get("event_id")
        if isinstance(event_id, str) and event_id in self._seen_events:
            retry = (req.headers.get("x-slack-retry-num") or [""])[0]
            log.info("dropping redelivered Slack event %s (retry %s)", event_id, retry or "-")
            return BoltResponse(status=200, body="")
        return await next()

    async def _accept_message(
        self,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[BoltResponse]],  # bolt injects by this name
    ) -> BoltResponse:
        """`app_mention` and `message`: translate, and write the turn down before the ack.

        A message that is not a turn, or was accepted already (its twin event, a redelivery to
        this or another process), is acked and dropped here.
        """
        envelope = body.get("event_id")
        envelope = envelope if isinstance(envelope, str) and envelope else None
        first = self._delivering.get(envelope) if envelope else None
        if first is not None:
            # A retry of a delivery still being written down: answer as that one is answered,
            # so a first delivery that fails is not hidden behind a retry acked as a duplicate.
            return BoltResponse(status=await asyncio.shield(first), body="")
        answered: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if envelope:
            self._delivering[envelope] = answered
        status, event = 500, None
        try:
            event = await self._incoming(body, context)
            if event is not None and not await self.runtime.accept(
                event, redelivered_elsewhere=True
            ):
                log.debug("Slack message %s was accepted already", event.event_id)
                event = None
            status = 200
        except ShuttingDown:
            # Stopping: not acked, so Slack delivers it again (another worker, or after restart).
            status = 503
        finally:
            if envelope:
                del self._delivering[envelope]
                if status == 200:
                    self._seen_events.add(envelope)
            answered.set_result(status)
            if status != 200 and event is not None:
                self._seen_messages.discard(event.event_id)
        if status != 200:
            return BoltResponse(status=status, body="")
        if event is None:
            return BoltResponse(status=200, body="")
        context[_ACCEPTED] = event
        return await next()

    async def _incoming(self, body: dict[str, Any], context: AsyncBoltContext) -> Incoming | None:
        """The turn a message event makes, or None."""
        msg = translate.parse_message(body, bot_user_id=context.bot_user_id, bot_id=context.bot_id)
        if msg is None:
            return None
        if msg.kind == "message" and msg.thread_ts is None:
            return None  # top-level chatter in a channel: only a mention opens a thread
        store = self.runtime.store
        key = msg.thread.key
        # Hosted, or about to be: its opening mention may be accepted and not decided yet. The
        # thread is read again after the inbox: the opening may have been decided in between
        # (a thread, once recorded, stays; an accepted message stays until its thread is).
        hosted = await store.load_thread(key) is not None or (
            msg.thread_ts is not None
            and (await store.has_accepted(key) or await store.load_thread(key) is not None)
        )
        author = Author(
            id=msg.user,
            name=await self._user_name(msg.user),
            is_moderator=msg.user in self.slack.moderators,
        )
        event = translate.incoming(msg, hosted=hosted, author=author)
        # The message's twin event (see translate.SlackMessage.dedupe_key) has the same event id.
        if event is None or not self._seen_messages.add(event.event_id):
            return None
        return event

    async def _on_message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """A message accepted by `_accept_message`: the turn."""
        event = context.get(_ACCEPTED)
        if not isinstance(event, Incoming):
            return
        try:
            await self._handle(event)
        except BaseException:
            # Let Slack's redelivery (or the next mention) try again.
            self._seen_messages.discard(event.event_id)
            self._forget_delivery(body)
            raise

    def _forget_delivery(self, body: dict[str, Any]) -> None:
        """Forget Slack's delivery id (what the redelivery check remembered): a retry is read."""
        envelope = body.get("event_id")
        if isinstance(envelope, str):
            self._seen_events.discard(envelope)

    async def _handle(self, event: Event) -> str:
        outcome = await self.runtime.handle(event)
        log.debug("Slack event %s: %s", event.event_id, outcome.verdict)
        return outcome.verdict

    # --- incoming: buttons and the modal ---------------------------------------------------------

    async def _on_mod_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Unlock, Uphold or Note on a mod-log case: moderators only; each becomes a case."""
        await ack()
        action = translate.block_action(body)
        command = translate.MOD_ACTIONS[str(action.get("action_id"))]
        button = translate.parse_case_button(str(action.get("value") or ""))
        user = translate.user_of(body)
        origin = translate.click_origin(body)
        if button is None:
            log.warning("ignoring a mod-log click with a value this bot did not write")
            return
        if not await self.is_moderator(user):
            log.info("refused %s on case %s by non-moderator %s", command, button.case, user)
            await self._ephemeral(origin, user=user, text=notices.NOT_A_MODERATOR, in_thread=False)
            return
        if command == "note":
            metadata = json.dumps(
                {
                    "value": action.get("value"),
                    "channel": origin.channel,
                    "ts": origin.thread,
                    "team": origin.workspace,
                }
            )
            async with slack_errors("views.open"):
                await self.client.views_open(
                    trigger_id=str(body.get("trigger_id")),
                    view=render.note_modal(metadata=metadata, case=button.case or 0),
                )
            return
        await self._moderate(
            command=command,
            event_id=translate.click_event_id(body),
            user=user,
            button=button,
            origin=origin,
        )

    async def _moderate(
        self,
        *,
        command: ModCommandKind,
        event_id: str,
        user: str,
        button: translate.CaseButton,
        origin: ThreadRef,
        note: str = "",
    ) -> None:
        """Run a moderator's command; answer the moderator privately in the mod log."""
        if command == "unlock":
            state = (
                await self.runtime.store.load_thread(button.thread.key) if button.thread else None
            )
            if state is None or state.status not in ("locked", "ended"):
                # The core would post this refusal in the user's thread: keep it private here.
                await self._ephemeral(origin, user=user, text=notices.NOT_CLOSED, in_thread=False)
                return
        moderator = Author(id=user, name=await self._user_name(user), is_moderator=True)
        event = translate.mod_command(
            event_id=event_id,
            command=command,
            moderator=moderator,
            button=button,
            origin=origin,
            at=self._clock(),
            note=note,
        )
        verdict = await self._handle(event)
        if verdict in ("unlock", "uphold", "note", "pardon"):
            await self._ephemeral(
                origin,
                user=user,
                text=f"Done: {command}"
                + (f" on case #{button.case}" if button.case is not None else "")
                + ". It is logged as a case.",
                in_thread=False,
            )

    async def _on_note(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The Note modal's submission: the moderator's text becomes a note case."""
        user = translate.user_of(body)
        values = view.get("state", {}).get("values", {})
        note = str(values.get("note", {}).get("note", {}).get("value") or "").strip()
        if not note:
            await ack(response_action="errors", errors={"note": notices.NEEDS_NOTE})
            return
        if not await self.is_moderator(user):
            await ack(response_action="errors", errors={"note": notices.NOT_A_MODERATOR})
            return
        await ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        button = translate.parse_case_button(str(meta.get("value") or ""))
        if button is None:
            log.warning("ignoring a note whose modal metadata this bot did not write")
            return
        origin = translate.thread_ref(
            team=str(meta.get("team") or translate.team_of(body)),
            channel=str(meta.get("channel") or self.slack.mod_log_channel),
            ts=str(meta.get("ts") or ""),
        )
        await self._moderate(
            command="note",
            event_id=f"slack-view:{view.get('id')}",
            user=user,
            button=button,
            origin=origin,
            note=note,
        )

    async def _on_end_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Yes/No on "end this thread?": only the user who asked may answer."""
        await ack()
        action = translate.block_action(body)
        parsed = translate.parse_end_button(str(action.get("value") or ""))
        if parsed is None:
            return
        allowed, thread = parsed
        user = translate.user_of(body)
        if user != allowed:
            await self._ephemeral(
                thread, user=user, text="Only the person who asked can answer this.", in_thread=True
            )
            return
        confirmed = action.get("action_id") == translate.ACTION_END_YES
        event = translate.end_confirmation(
            event_id=translate.click_event_id(body),
            thread=thread,
            author=Author(id=user, name=await self._user_name(user)),
            confirmed=confirmed,
            at=self._clock(),
        )
        verdict = await self._handle(event)
        if verdict in ("end", "end_cancelled"):
            origin = translate.click_origin(body)
            async with slack_errors("chat.update"):
                await self.client.chat_update(
                    channel=origin.channel,
                    ts=origin.thread,
                    text=render.escape(notices.CONFIRM_END),
                    blocks=render.answered(notices.CONFIRM_END, confirmed=confirmed),
                )

    async def _on_appeal_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Appeal on a lock notice: only the locked user may press it; it opens the appeal modal."""
        await ack()
        action = translate.block_action(body)
        parsed = translate.parse_appeal_button(str(action.get("value") or ""))
        if parsed is None:
            log.warning("ignoring an Appeal click with a value this bot did not write")
            return
        allowed, thread = parsed
        user = translate.user_of(body)
        if user != allowed:
            await self._ephemeral(thread, user=user, text=notices.APPEAL_NOT_YOURS, in_thread=True)
            return
        metadata = json.dumps({"thread": thread.key, "user": allowed})
        async with slack_errors("views.open"):
            await self.client.views_open(
                trigger_id=str(body.get("trigger_id")),
                view=render.appeal_modal(metadata=metadata),
            )

    async def _on_branch_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Continue from before on a lock notice: a new top-level message in the same channel,
        whose thread carries the turns from before the first strike. Only the locked user."""
        await ack()
        action = translate.block_action(body)
        parsed = translate.parse_appeal_button(str(action.get("value") or ""))
        if parsed is None:
            log.warning("ignoring a Continue click with a value this bot did not write")
            return
        allowed, thread = parsed
        user = translate.user_of(body)
        if user != allowed:
            await self._ephemeral(thread, user=user, text=notices.BRANCH_NOT_YOURS, in_thread=True)
            return
        # The new message goes out only for a thread that can be branched, so a stale button
        # leaves nothing behind; the core decides again.
        state = await self.runtime.store.load_thread(thread.key)
        if state is None or state.status != "locked" or state.owner != user:
            await self._ephemeral(thread, user=user, text=notices.BRANCH_NOT_LOCKED, in_thread=True)
            return
        ts = await self._post(thread.channel, render.BRANCH_ANNOUNCEMENT.format(user=user))
        event = translate.branch(
            event_id=translate.click_event_id(body),
            thread=thread,
            new_ts=ts,
            author=Author(id=user, name=await self._user_name(user)),
            at=self._clock(),
        )
        await self._handle(event)

    async def _on_appeal_submission(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        """The appeal modal's submission: an Appeal for the core, answered privately by it."""
        user = translate.user_of(body)
        statement = translate.appeal_statement(view)
        if not statement:
            await ack(
                response_action="errors",
                errors={translate.APPEAL_INPUT: APPEAL_NEEDS_STATEMENT},
            )
            return
        await ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            key = meta.get("thread") if isinstance(meta, dict) else None
            thread = ThreadRef.from_key(str(key or ""))
        except ValueError:
            log.warning("ignoring an appeal whose modal metadata this bot did not write")
            return
        await self._appeal(
            event_id=f"slack-view:{view.get('id')}", thread=thread, user=user, statement=statement
        )

    async def _appeal(self, *, event_id: str, thread: ThreadRef, user: str, statement: str) -> None:
        """Hand an appeal to the core; its answers (sent, refused) reach the user ephemerally."""
        if thread.platform != PLATFORM:
            log.warning("ignoring an appeal for a %s thread", thread.platform)
            return
        event = translate.appeal(
            event_id=event_id,
            thread=thread,
            author=Author(id=user, name=await self._user_name(user)),
            statement=statement,
            at=self._clock(),
        )
        await self._handle(event)

    # --- incoming: the slash command -------------------------------------------------------------

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """`/threadkeeper policy|status|appeal <thread> <why>|case N|unlock <thread>`; answers are
        ephemeral."""
        cmd = translate.parse_slash(str(body.get("text") or ""))
        user = translate.user_of(body)
        team = translate.team_of(body)
        channel = str(body.get("channel_id") or "")
        name = self.slack.slash_command
        if cmd.verb == "policy":
            await ack(response_type="ephemeral", text=render.escape(self.runtime.policy_text()))
            return
        if cmd.verb == "status":
            await ack(
                response_type="ephemeral",
                text=await self._status(cmd.args, user=user, team=team, channel=channel),
            )
            return
        if cmd.verb == "appeal":
            target = (
                translate.thread_target(cmd.args[0], team=team, channel=channel)
                if cmd.args
                else None
            )
            statement = " ".join(cmd.args[1:]).strip()
            if target is None or not statement:
                await ack(
                    response_type="ephemeral",
                    text=f"Usage: `{name} appeal <thread link or ts> <why it should be reopened>`",
                )
                return
            await ack()  # the core's answer arrives as an ephemeral message in the thread
            await self._appeal(
                event_id=f"slack-command:{body.get('trigger_id')}",
                thread=target,
                user=user,
                statement=statement[: translate.APPEAL_LIMIT],
            )
            return
        if cmd.verb in ("case", "unlock") and not await self.is_moderator(user):
            await ack(response_type="ephemeral", text=notices.NOT_A_MODERATOR)
            return
        if cmd.verb == "case":
            number = translate.case_number(cmd.args[0]) if cmd.args else None
            case = (
                await self.runtime.store.case(workspace=team, number=number)
                if number is not None
                else None
            )
            await ack(
                response_type="ephemeral",
                text=render.case_text(case) if case else f"Usage: `{name} case N`",
            )
            return
        if cmd.verb == "unlock":
            target = (
                translate.thread_target(cmd.args[0], team=team, channel=channel)
                if cmd.args
                else None
            )
            if target is None:
                await ack(
                    response_type="ephemeral", text=f"Usage: `{name} unlock <thread link or ts>`"
                )
                return
            await ack(response_type="ephemeral", text="Unlocking…")
            await self._moderate(
                command="unlock",
                event_id=f"slack-command:{body.get('trigger_id')}",
                user=user,
                button=translate.CaseButton(case=None, thread=target),
                origin=target,
                note=" ".join(cmd.args[1:]),
            )
            return
        await ack(response_type="ephemeral", text=render.help_text(name))

    async def _status(self, args: Sequence[str], *, user: str, team: str, channel: str) -> str:
        """A thread's state: the one named, else the caller's most recent in this channel."""
        if args:
            target = translate.thread_target(args[0], team=team, channel=channel)
            state = await self.runtime.store.load_thread(target.key) if target else None
        else:
            mine = [
                t
                for t in await self.runtime.store.threads(platform=PLATFORM, limit=500)
                if t.owner == user and t.ref.workspace == team and t.ref.channel == channel
            ]
            state = max(mine, key=lambda t: t.opened_at) if mine else None
        if state is None:
            return "No thread of this bot found there. Give a thread link or its ts."
        if state.owner != user and not await self.is_moderator(user):
            return "You can see the status of your own threads only."
        return render.status_text(
            state, redirects_before_lock=self.settings.policy.redirects_before_lock
        )

    # --- moderators and names --------------------------------------------------------------------

    async def is_moderator(self, user: str) -> bool:
        """A configured moderator id, or a member of the moderator user group (cached briefly)."""
        if user in self.slack.moderators:
            return True
        if not self.slack.moderator_group:
            return False
        try:
            return user in await self._group_members()
        except DeliveryError as exc:
            log.warning("could not read the moderator group (%s); refusing", exc)
            return False

    async def _group_members(self, *, refresh: bool = False) -> frozenset[str]:
        now = time.monotonic()
        if not refresh and self._group is not None and now - self._group[0] < self._group_ttl:
            return self._group[1]
        async with slack_errors("usergroups.users.list"):
            resp = await self.client.usergroups_users_list(usergroup=self.slack.moderator_group)
        members = frozenset(str(u) for u in resp.get("users") or [])
        self._group = (now, members)
        return members

    async def _user_name(self, user: str) -> str:
        """A display name for the model and the mod log; the id when Slack will not say."""
        if user in self._names:
            return self._names[user]
        name = user
        try:
            async with slack_errors("users.info"):
                resp = await self.client.users_info(user=user)
            info = resp.get("user") or {}
            profile = info.get("profile") or {}
            name = str(
                profile.get("display_name") or profile.get("real_name") or info.get("name") or user
            )
        except DeliveryError as exc:
            log.debug("no name for %s: %s", user, exc)
        self._names[user] = name
        if len(self._names) > MEMORY:
            self._names.popitem(last=False)
        return name

    # --- outgoing: actions -----------------------------------------------------------------------

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> None:
        """Post a notice, close or reopen a thread, post a case, or ask to confirm an end.

        Slack has no idempotency key: every post carries message metadata naming `key` and its
        piece, and with `retry` the pieces an earlier attempt already posted are skipped.
        """
        thread = action.thread
        kind = action.kind
        if kind == "case":
            if case is None:
                raise UnsupportedAction("a case action without its case")
            await self._post_case(case, priority=action.priority, key=key, retry=retry)
            return
        if kind == "ignored":
            await self._remind(thread)
            return
        text = notices.for_platform(
            action.text, policy_command=self.policy_command, branch_command=render.BRANCH_COMMAND
        )
        if kind == "private_notice":
            await self._ephemeral(thread, user=action.user_id or "", text=text, in_thread=True)
            return
        if kind == "confirm_end":
            fallback, blocks = render.confirm_message(
                text, user_id=action.user_id or "", thread=thread
            )
            await self._post_owed(
                thread.channel,
                [(fallback, blocks)],
                thread_ts=thread.thread,
                payload={"key": key, "kind": kind},
                retry=retry,
            )
            return
        # A retry of the same action (the reaction failed after the notice went out) must not post
        # the notice twice: this process remembers it; after a restart Slack is asked.
        if f"{key}:posted" not in self._done_notices:
            texts = render.split(render.notice(text, kind=kind))
            pieces = [
                (
                    piece,
                    # The lock notice's last piece carries the Appeal button for the locked user.
                    render.lock_notice(piece, user_id=action.user_id, thread=thread)
                    if kind == "lock" and action.user_id and n == len(texts)
                    else None,
                )
                for n, piece in enumerate(texts, start=1)
            ]
            await self._post_owed(
                thread.channel,
                pieces,
                thread_ts=thread.thread,
                payload={"key": key, "kind": kind},
                retry=retry,
            )
            self._done_notices.add(f"{key}:posted")
        if kind in ("lock", "end"):
            await self._react(thread, add=True)
        elif kind == "unlock":
            await self._react(thread, add=False)

    async def _post(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        async with slack_errors("chat.postMessage"):
            resp = await self.client.chat_postMessage(
                channel=channel,
                text=text,
                thread_ts=thread_ts,
                blocks=[dict(b) for b in blocks] if blocks else None,
                unfurl_links=False,
                unfurl_media=False,
                metadata=dict(metadata) if metadata else None,
            )
        return str(resp.get("ts") or "")

    async def _post_owed(
        self,
        channel: str,
        pieces: Sequence[tuple[str, Sequence[Mapping[str, Any]] | None]],
        *,
        thread_ts: str | None,
        payload: Mapping[str, Any],
        retry: bool,
    ) -> None:
        """Post an owed action's pieces (text, blocks), each marked with `payload` and its number.

        Slack has no idempotency key, so the mark is message metadata; with `retry` the earlier
        attempt's pieces are looked up first and skipped, so a crash between pieces (or after
        Slack took a post whose answer was lost) re-posts only what is missing. Without `retry`
        nothing is looked up: one call per piece.
        """
        posted = (
            await self._posted_pieces(channel, thread_ts=thread_ts, payload=payload)
            if retry
            else frozenset[int]()
        )
        for n, (text, blocks) in enumerate(pieces, start=1):
            if n in posted:
                log.info(
                    "piece %d of %s is already in Slack; not posting it again", n, payload["key"]
                )
                continue
            metadata = {"event_type": ACTION_EVENT, "event_payload": {**payload, "piece": n}}
            await self._post(channel, text, thread_ts=thread_ts, blocks=blocks, metadata=metadata)

    async def _posted_pieces(
        self,
        channel: str,
        *,
        thread_ts: str | None,
        payload: Mapping[str, Any],
        history: int = 100,
        page: int = 200,
        pages: int = 5,
    ) -> frozenset[int]:
        """The pieces of the action named by `payload` already in Slack: looked up in the thread
        (`conversations.replies`, up to `pages` pages), or among the channel's latest `history`
        top-level messages (`conversations.history`). Metadata comes back only when asked for.

        A failed lookup answers "none": posting again (a possible duplicate) beats a lost notice.
        """
        messages: list[Any] = []
        try:
            if thread_ts:
                cursor: str | None = None
                for _ in range(pages):
                    async with slack_errors("conversations.replies"):
                        resp = await self.client.conversations_replies(
                            channel=channel,
                            ts=thread_ts,
                            include_all_metadata=True,
                            limit=page,
                            cursor=cursor,
                        )
                    messages.extend(resp.get("messages") or [])
                    cursor = str((resp.get("response_metadata") or {}).get("next_cursor") or "")
                    if not resp.get("has_more") or not cursor:
                        break
            else:
                async with slack_errors("conversations.history"):
                    resp = await self.client.conversations_history(
                        channel=channel, include_all_metadata=True, limit=history
                    )
                messages.extend(resp.get("messages") or [])
        except DeliveryError as exc:
            log.warning(
                "could not look for an earlier post of %s (%s); posting, which may repeat it",
                payload["key"],
                exc,
            )
            return frozenset()
        except Exception:  # a lookup must never cost the post
            log.exception(
                "looking for an earlier post of %s failed; posting, which may repeat it",
                payload["key"],
            )
            return frozenset()
        found: set[int] = set()
        for message in messages:
            meta = message.get("metadata") if isinstance(message, Mapping) else None
            if not isinstance(meta, Mapping) or meta.get("event_type") != ACTION_EVENT:
                continue
            marked = meta.get("event_payload")
            piece = marked.get("piece") if isinstance(marked, Mapping) else None
            if (
                isinstance(marked, Mapping)
                and isinstance(piece, int)
                and all(marked.get(k) == v for k, v in payload.items())
            ):
                found.add(piece)
        return frozenset(found)

    async def _react(self, thread: ThreadRef, *, add: bool) -> None:
        """The lock reaction on the thread's parent message: Slack's visible "closed"."""
        try:
            if add:
                async with slack_errors("reactions.add"):
                    await self.client.reactions_add(
                        channel=thread.channel, timestamp=thread.thread, name=LOCK_REACTION
                    )
            else:
                async with slack_errors("reactions.remove"):
                    await self.client.reactions_remove(
                        channel=thread.channel, timestamp=thread.thread, name=LOCK_REACTION
                    )
        except DeliveryError as exc:
            if "already_reacted" in str(exc) or "no_reaction" in str(exc):
                return
            raise

    async def _remind(self, thread: ThreadRef) -> None:
        """At most one private "this thread is closed" per user per thread."""
        speaker = _speaker_in(thread)
        if speaker is None:
            log.debug("no speaker for the closed-thread reminder in %s", thread.key)
            return
        if not self._reminded.add(f"{thread.key}|{speaker}"):
            return
        await self._ephemeral(thread, user=speaker, text=notices.THREAD_CLOSED, in_thread=True)

    async def _ephemeral(self, where: ThreadRef, *, user: str, text: str, in_thread: bool) -> None:
        """A message only `user` sees, in the channel of `where` (and its thread if asked)."""
        text = notices.for_platform(
            text, policy_command=self.policy_command, branch_command=render.BRANCH_COMMAND
        )
        async with slack_errors("chat.postEphemeral"):
            await self.client.chat_postEphemeral(
                channel=where.channel,
                user=user,
                text=render.escape(text),
                thread_ts=where.thread if in_thread and where.thread else None,
            )

    async def _post_case(
        self, case: Case, *, priority: bool, key: str, retry: bool = False
    ) -> None:
        """The case as a top-level mod-log message, marked with `key` (see `_post_owed`)."""
        channel = self.slack.mod_log_channel
        if not channel:
            raise DeliveryError("slack.mod_log_channel is not set", retryable=False)
        payload = {"key": key, "case": case.number}
        if retry and await self._posted_pieces(channel, thread_ts=None, payload=payload):
            log.info(
                "case %s (%s) is already in the mod log; not posting it again", case.number, key
            )
            return
        permalink = await self._permalink(case.thread) if case.thread else None
        name = await self._user_name(case.user_id) if case.user_id else None
        shown = case if not priority or case.priority else _with_priority(case)
        text, blocks = render.case_message(
            shown, permalink=permalink, user_name=name if name != case.user_id else None
        )
        # Looked up above already: a second lookup could only find the same nothing.
        await self._post_owed(
            channel, [(text, blocks)], thread_ts=None, payload=payload, retry=False
        )

    async def _permalink(self, thread: ThreadRef) -> str | None:
        try:
            async with slack_errors("chat.getPermalink"):
                resp = await self.client.chat_getPermalink(
                    channel=thread.channel, message_ts=thread.thread
                )
        except DeliveryError as exc:
            log.info("no permalink for %s: %s", thread.key, exc)
            return None
        link = resp.get("permalink")
        return str(link) if link else None

    # --- outgoing: the streamed reply ------------------------------------------------------------

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Stream the reply into the thread (chat.*Stream), or post and edit it where unavailable.

        Text is shown up to the last whitespace so an escape never straddles two calls; the whole
        raw text is returned for the thread's history.
        """
        speaker = _speaker_in(thread)
        if speaker is not None:
            recipient = speaker
        else:
            state = await self.runtime.store.load_thread(thread.key)
            recipient = state.owner if state else ""
        out: _Output = (
            _StreamOutput(self, thread, recipient=recipient)
            if thread.channel not in self._no_streaming
            else _UpdateOutput(self, thread)
        )
        raw: list[str] = []
        pending = ""
        async for chunk in chunks:
            raw.append(chunk)
            pending += chunk
            ready = render.safe_prefix(pending, final=False)
            if ready and out.due():
                out = await self._write(out, thread, pending[:ready])
                pending = pending[ready:]
        out = await self._write(out, thread, pending)
        await out.finish()
        return "".join(raw)

    async def _write(self, out: _Output, thread: ThreadRef, text: str) -> _Output:
        try:
            await out.write(text)
        except _NoStreaming:
            # Remember it for this channel only: streaming may work elsewhere.
            self._no_streaming.add(thread.channel)
            out = _UpdateOutput(self, thread)
            await out.write(text)
        return out


def _with_priority(case: Case) -> Case:
    return replace(case, priority=True)


def _scopes(headers: Mapping[str, Any]) -> frozenset[str] | None:
    """The token's scopes from the `x-oauth-scopes` header, or None when Slack did not send it."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            raw = value[0] if isinstance(value, list | tuple) else value
            return frozenset(s.strip() for s in str(raw).split(",") if s.strip())
    return None


class _Output:
    """Where a reply's text goes while it streams."""

    def __init__(self, service: SlackService, thread: ThreadRef, interval: float) -> None:
        self._service = service
        self._client = service.client
        self._thread = thread
        self._interval = interval
        self._last = float("-inf")

    def due(self) -> bool:
        """True when enough time has passed since the last call to show more text."""
        return time.monotonic() - self._last >= self._interval

    def _mark(self) -> None:
        self._last = time.monotonic()

    async def write(self, text: str) -> None:
        """Show `text` (raw, unescaped) after what is already shown."""
        raise NotImplementedError

    async def finish(self) -> None:
        """Everything is shown: end the message."""
        raise NotImplementedError


class _StreamOutput(_Output):
    """chat.startStream / appendStream / stopStream, rolling over to a new message at the limit."""

    def __init__(self, service: SlackService, thread: ThreadRef, *, recipient: str) -> None:
        super().__init__(service, thread, service._stream_interval)
        self._recipient = recipient
        self._ts: str | None = None
        self._length = 0

    async def write(self, text: str) -> None:
        """Append escaped text, starting (or rolling over to) a stream as needed."""
        if not text:
            return
        for piece in render.split(render.escape(text), render.STREAM_LIMIT):
            if self._ts is not None and self._length + len(piece) > render.STREAM_LIMIT:
                await self._stop()
            if self._ts is None:
                await self._start(piece)
            else:
                async with slack_errors("chat.appendStream"):
                    await self._client.chat_appendStream(
                        channel=self._thread.channel, ts=self._ts, markdown_text=piece
                    )
                self._length += len(piece)
        self._mark()

    async def _start(self, text: str) -> None:
        thread = self._thread
        try:
            resp = await self._client.chat_startStream(
                channel=thread.channel,
                thread_ts=thread.thread,
                markdown_text=text,
                recipient_team_id=thread.workspace or None,
                recipient_user_id=self._recipient or None,
            )
        except SlackApiError as exc:
            error = str(_error_data(exc).get("error") or "")
            if error in NO_STREAMING:
                log.warning("Slack streaming unavailable (%s): falling back to chat.update", error)
                raise _NoStreaming(error) from exc
            raise delivery_error(exc, what="chat.startStream") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"chat.startStream: could not reach Slack ({exc!r})") from exc
        self._ts = str(resp.get("ts") or "")
        self._length = len(text)

    async def _stop(self) -> None:
        if self._ts is None:
            return
        async with slack_errors("chat.stopStream"):
            await self._client.chat_stopStream(channel=self._thread.channel, ts=self._ts)
        self._ts = None
        self._length = 0

    async def finish(self) -> None:
        """Stop the stream (a reply with no text posts nothing)."""
        await self._stop()


class _UpdateOutput(_Output):
    """chat.postMessage then chat.update: at most one edit per interval per thread, within the
    workspace's budget; the final text is always written."""

    def __init__(self, service: SlackService, thread: ThreadRef) -> None:
        super().__init__(service, thread, service._update_interval)
        self._budget = service._budget
        self._ts: str | None = None
        self._shown = ""  # escaped text of the current message

    def due(self) -> bool:
        """Time for an edit, per thread and within the workspace budget."""
        return super().due() and (self._ts is None or self._budget.take())

    async def write(self, text: str) -> None:
        """Add escaped text; continue in a new message past the limit."""
        if not text:
            return
        self._shown += render.escape(text)
        while len(self._shown) > render.MESSAGE_LIMIT:
            first = render.split(self._shown, render.MESSAGE_LIMIT)[0]
            await self._flush(first)
            self._ts = None
            self._shown = self._shown[len(first) :].lstrip()
        await self._flush(self._shown)

    async def _flush(self, text: str) -> None:
        thread = self._thread
        if self._ts is None:
            self._ts = await self._service._post(thread.channel, text, thread_ts=thread.thread)
        else:
            async with slack_errors("chat.update"):
                await self._client.chat_update(channel=thread.channel, ts=self._ts, text=text)
        self._mark()

    async def finish(self) -> None:
        """Nothing left over: every write already reached Slack (the last one spent budget too)."""
        self._budget.take(force=True)
