"""Slack's SDK wired up: the Web API client, bolt's AsyncApp, the connection, the start-up checks.

Everything the other Slack modules share about talking to Slack lives here, below them: the client
(with its retry handlers), the app (request verification on or off), how Slack reaches the bot
(`Connection`: Socket Mode, or signed HTTP on a port several workers may share), the translation of
SDK errors into `bot.errors` (`slack_errors`), and the users' display names (`Names`). `intake`,
`interactions` and `delivery` import from here; this module imports none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Final

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, SlackSettings
from bot.errors import ConfigError, DeliveryError, PermissionMissing
from bot.records import encodable

log = logging.getLogger(__name__)

#: The bot scopes channel threads need.
CHANNEL_SCOPES: Final = frozenset(
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
#: ... and what the assistant pane and direct messages add (`slack.assistant`): the pane's status,
#: prompts and titles, and reading the direct messages.
ASSISTANT_SCOPES: Final = frozenset({"assistant:write", "im:history"})
#: Exactly the bot scopes in manifest.yml; `check()` compares the token's scopes with these (the
#: assistant's only when `slack.assistant` is on).
REQUIRED_SCOPES: Final = CHANNEL_SCOPES | ASSISTANT_SCOPES
#: Web API errors worth trying again (after the client's own 429 retries are spent).
RETRYABLE_ERRORS: Final = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
EVENTS_PATH = "/slack/events"
#: How many message keys, event ids and reminders the adapter remembers.
MEMORY = 10_000


#: Web API methods that make something new each time they are called: one the SDK sent again after
#: a connection dropped mid-request would post twice if Slack had taken the first.
NOT_REPEATABLE: Final = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.startStream", "chat.appendStream"}
)


class SafeConnectionRetryHandler(AsyncConnectionErrorRetryHandler):
    """The SDK's retry on a dropped connection, except where Slack may have taken the request.

    A connection that was never made is always tried again. A post whose connection dropped
    after it was sent (the server disconnected, the socket was reset, a read timed out) is not:
    Slack may have posted it, and Slack has no idempotency key. The adapter's own retry looks
    for the post's metadata mark first (see delivery.Delivery._post_owed).
    """

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if isinstance(error, aiohttp.ClientConnectorError):
            return True  # nothing reached Slack
        if request.url.rstrip("/").rsplit("/", 1)[-1] in NOT_REPEATABLE:
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


def make_client(
    token: str | None, *, base_url: str | None = None, timeout: int = 30
) -> AsyncWebClient:
    """A Web API client that retries 429s (honouring Retry-After) and dropped connections (but
    no post Slack may have taken: see SafeConnectionRetryHandler)."""
    handlers: list[AsyncRetryHandler] = [
        SafeConnectionRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
    ]
    if base_url is None:
        return AsyncWebClient(token=token, retry_handlers=handlers, timeout=timeout)
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=handlers, timeout=timeout)


def make_app(
    *,
    settings: Settings,
    client: AsyncWebClient,
    signing_secret: str | None,
    socket_mode: bool,
    process_before_response: bool,
) -> AsyncApp:
    """bolt's app on `client`: it verifies signed HTTP requests, and acks before the listener."""
    return AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        process_before_response=process_before_response,
        # Socket Mode requests come over an authenticated WebSocket and carry no signature.
        request_verification_enabled=not socket_mode,
        name=settings.name,
    )


def delivery_error(exc: SlackApiError, *, what: str) -> DeliveryError:
    """A Web API error as the core's DeliveryError (or PermissionMissing for a missing scope)."""
    data = error_data(exc)
    error = str(data.get("error") or "unknown_error")
    status = int(getattr(exc.response, "status_code", 200) or 200)
    if error == "missing_scope":
        needed = str(data.get("needed") or "an unknown scope")
        return PermissionMissing(needed, f"{what}: the bot token lacks the {needed} scope")
    retryable = error in RETRYABLE_ERRORS or status == 429 or status >= 500
    return DeliveryError(
        f"{what}: Slack answered {error}", retryable=retryable, retry_after=_retry_after(exc)
    )


def _retry_after(exc: SlackApiError) -> float | None:
    """The seconds a rate-limited answer asked the bot to wait (its Retry-After), or None."""
    headers = getattr(exc.response, "headers", None) or {}
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def error_data(exc: SlackApiError) -> Mapping[str, Any]:
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


class Lru:
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


class Names:
    """Users' display names, looked up once (users.info) and remembered."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._names: OrderedDict[str, str] = OrderedDict()

    async def of(self, user: str) -> str:
        """A display name for the model and the mod log; the id when Slack will not say."""
        if user in self._names:
            return self._names[user]
        name = user
        try:
            async with slack_errors("users.info"):
                resp = await self._client.users_info(user=user)
            info = resp.get("user")
            info = info if isinstance(info, Mapping) else {}
            profile = info.get("profile")
            profile = profile if isinstance(profile, Mapping) else {}
            # A profile may hold a lone surrogate (valid JSON, not UTF-8): see `encodable`.
            name = encodable(
                str(
                    profile.get("display_name")
                    or profile.get("real_name")
                    or info.get("name")
                    or user
                )
            )
        except DeliveryError as exc:
            log.debug("no name for %s: %s", user, exc)
        self._names[user] = name
        if len(self._names) > MEMORY:
            self._names.popitem(last=False)
        return name


class Connection:
    """How Slack reaches the bot: Socket Mode with an app token, else signed HTTP on a port."""

    def __init__(self, app: AsyncApp, *, app_token: str | None, host: str, port: int) -> None:
        self._app = app
        self._app_token = app_token
        self._host = host
        self._port = port
        #: The port HTTP mode listens on, once it does (port 0 picks a free one).
        self.bound_port: int | None = None
        #: True while Socket Mode is connected, or HTTP mode listens.
        self.connected = False

    async def serve(self, *, several: bool) -> None:
        """Connect (Socket Mode) or listen (HTTP) and feed bolt until cancelled.

        `several`: the store is shared by several processes, so several workers may listen on one
        port.
        """
        if self._app_token is not None:
            handler = AsyncSocketModeHandler(self._app, self._app_token)
            await handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it untyped
            log.info("Slack: connected over Socket Mode")
            self.connected = True
            try:
                await asyncio.Event().wait()
            finally:
                self.connected = False
                await handler.close_async()  # type: ignore[no-untyped-call]  # as above
            return
        runner = web.AppRunner(self._app.web_app(path=EVENTS_PATH, port=self._port))
        await runner.setup()
        # On a store several processes share, several workers listen on one port and the kernel
        # spreads Slack's requests over them (SO_REUSEPORT); on SQLite a second process on the
        # port is an error, since it would break the one-process store.
        try:
            site = web.TCPSite(runner, host=self._host, port=self._port, reuse_port=several)
            try:
                await site.start()
            except OSError as exc:
                hint = (
                    "another program holds it"
                    if several
                    else "is another bot running? Several workers need storage.url on PostgreSQL"
                )
                port = self._port
                raise ConfigError(
                    [f"slack.port: cannot listen on port {port} ({exc.strerror}); {hint}"]
                ) from None
            addresses = runner.addresses
            self.bound_port = int(addresses[0][1]) if addresses else self._port
            log.info(
                "Slack: listening for signed requests on port %s%s", self.bound_port, EVENTS_PATH
            )
            self.connected = True
            await asyncio.Event().wait()
        finally:
            self.connected = False
            await runner.cleanup()


# --- start-up checks -----------------------------------------------------------------------------


async def check(
    *,
    client: AsyncWebClient,
    slack: SlackSettings,
    socket_mode: bool,
    signing_secret: str | None,
    read_moderator_group: Callable[[], Awaitable[object]],
) -> list[str]:
    """auth.test, the token's scopes, the mod-log channel, the moderators: one sentence each."""
    problems: list[str] = []
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        error = error_data(exc).get("error")
        return [
            f"Slack refused the bot token ({error}): check that {slack.bot_token_env} holds the "
            "Bot User OAuth Token (xoxb-...) of an installed app."
        ]
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [f"Could not reach Slack to check the bot token ({type(exc).__name__})."]
    granted = _scopes(auth.headers)
    if granted is not None:
        needed = REQUIRED_SCOPES if slack.assistant else CHANNEL_SCOPES
        missing = sorted(needed - granted)
        if missing:
            problems.append(
                f"The bot token lacks the scope(s) {', '.join(missing)}: add them from "
                "adapters/slack/manifest.yml and reinstall the app to the workspace."
            )
    if not socket_mode and not signing_secret:
        problems.append(
            f"{slack.signing_secret_env} is not set: in HTTP mode the bot cannot verify that "
            "requests come from Slack (or set an app token for Socket Mode)."
        )
    problems.extend(await _check_mod_log(client, channel=slack.mod_log_channel))
    if not slack.moderators and not slack.moderator_group:
        problems.append(
            "No moderators are configured (slack.moderators or slack.moderator_group): nobody "
            "can use the mod-log buttons or the moderator commands."
        )
    elif slack.moderator_group:
        try:
            await read_moderator_group()
        except DeliveryError as exc:
            problems.append(
                f"slack.moderator_group {slack.moderator_group} could not be read ({exc}): "
                "check the id (S...) and the usergroups:read scope."
            )
    return problems


async def _check_mod_log(client: AsyncWebClient, *, channel: str) -> list[str]:
    if not channel:
        return ["slack.mod_log_channel is not set: cases will not reach the moderators."]
    try:
        info = await client.conversations_info(channel=channel)
    except SlackApiError as exc:
        error = error_data(exc).get("error")
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


def _scopes(headers: Mapping[str, Any]) -> frozenset[str] | None:
    """The token's scopes from the `x-oauth-scopes` header, or None when Slack did not send it."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            raw = value[0] if isinstance(value, list | tuple) else value
            return frozenset(s.strip() for s in str(raw).split(",") if s.strip())
    return None
