"""The discord.py wiring: the client, its gateway shards, logging in, and discord.py's errors.

Everything the bot adds to discord.py's client lives here once: intents, mentions off
client-wide, and the hooks that hand gateway events to the service. A configured `shard_count`
puts discord.py's AutoShardedClient under the same hooks; `holds_shard` says whether this process
carries a server's events, and `syncs_commands` which process registers the slash commands.
Logging in backs off on errors that may pass. `discord_errors` translates every discord.py error
for one platform call into the core's DeliveryError (retryable for 429 and 5xx) or
PermissionMissing, naming the permission, so the runtime can open a case a person will read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import aiohttp
import discord
from discord import app_commands

from adapters.discord.components import ClickHandler
from bot.config import DiscordSettings
from bot.errors import DeliveryError, PermissionMissing

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Login retry pauses: exponential from 5 s to 15 min (Discord allows 1,000 logins a day).
LOGIN_BACKOFF = (5.0, 900.0)
#: Pauses (seconds) before trying a Discord call again that failed in a way that may pass (a
#: 5xx, a 429, Discord unreachable): bounded, since a message waits on it. discord.py has already
#: retried 500/502/504 and 429s within its own limits before raising.
TRANSIENT_BACKOFF: tuple[float, ...] = (1.0, 4.0)
#: The longest Retry-After a retry waits for; a longer one fails the call at once.
RETRY_AFTER_CAP = 30.0


def intents() -> discord.Intents:
    """Guild messages with their content (a privileged intent to enable in the portal)."""
    value = discord.Intents.default()
    value.message_content = True
    value.members = False
    value.presences = False
    return value


@contextlib.contextmanager
def discord_errors(what: str, *, forbidden: str) -> Iterator[None]:
    """Translate discord.py's errors for one platform call into the core's."""
    try:
        yield
    except discord.Forbidden as exc:
        raise PermissionMissing(
            forbidden, f"Discord refused to {what}: the bot lacks {forbidden} ({exc.text})"
        ) from exc
    except discord.NotFound as exc:
        raise DeliveryError(f"could not {what}: not found ({exc.text})", retryable=False) from exc
    except discord.HTTPException as exc:
        retry = exc.status == 429 or exc.status >= 500
        raise DeliveryError(
            f"could not {what}: HTTP {exc.status} {exc.text}",
            retryable=retry,
            retry_after=retry_after(exc),
        ) from exc
    except discord.RateLimited as exc:  # a 429 past max_ratelimit_timeout; not an HTTPException
        raise DeliveryError(
            f"could not {what}: rate limited for {exc.retry_after:.0f}s",
            retry_after=exc.retry_after,
        ) from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise DeliveryError(f"could not {what}: {type(exc).__name__}", retryable=True) from exc


def retry_after(exc: discord.HTTPException) -> float | None:
    """The seconds a 429 asked the bot to wait (`Retry-After`), or None."""
    if exc.status != 429:
        return None
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("X-RateLimit-Reset-After", "Retry-After"):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
    return None


def transient_wait(exc: BaseException) -> float | None:
    """How long to wait before trying again after `exc`, or None when trying again cannot help."""
    if isinstance(exc, discord.RateLimited):
        return exc.retry_after
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            return retry_after(exc) or 0.0
        return 0.0 if exc.status >= 500 else None
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return 0.0
    return None


async def retrying(
    what: str, call: Callable[[], Awaitable[T]], *, pauses: Sequence[float] | None = None
) -> T:
    """`call()`, tried again after a pause while Discord fails in a way that may pass.

    A 5xx, a 429 (waiting at least its Retry-After, up to RETRY_AFTER_CAP) or a dropped
    connection is tried again after each of `pauses` (TRANSIENT_BACKOFF); anything else, or the
    last failure, is raised for the caller to tell someone about.
    """
    for pause in (*(TRANSIENT_BACKOFF if pauses is None else pauses), None):
        try:
            return await call()
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            wait = transient_wait(exc)
            if wait is None or pause is None or wait > RETRY_AFTER_CAP:
                raise
            wait = max(pause, wait)
            log.warning("could not %s (%s); trying again in %.3gs", what, describe(exc), wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


class Hooks(ClickHandler, Protocol):
    """What the client hands the gateway's events to (the service)."""

    async def setup(self) -> None:
        """Register what must be registered once per login."""
        ...

    async def on_message(self, message: discord.Message) -> None:
        """Every message the gateway delivers."""
        ...

    def remember(self, thread: discord.Thread) -> None:
        """Note a thread's parent channel."""
        ...


class ThreadkeeperClient(discord.Client):
    """discord.py's client with mentions off and the service's hooks attached.

    Everything the bot adds to discord.py lives here once; `ShardedThreadkeeperClient` puts
    discord.py's AutoShardedClient under it (see `make_client`).
    """

    def __init__(self, service: Hooks, **options: Any) -> None:
        super().__init__(
            intents=intents(), allowed_mentions=discord.AllowedMentions.none(), **options
        )
        self.clicks = service
        self._service = service
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        """Persistent buttons and slash commands, registered once per login."""
        await self._service.setup()

    async def on_message(self, message: discord.Message) -> None:
        """Every message the gateway delivers."""
        await self._service.on_message(message)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        """Remember a thread's parent, for when the cache drops it."""
        self._service.remember(thread)

    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        """Remember a thread's parent, for when the cache drops it."""
        self._service.remember(after)


class ShardedThreadkeeperClient(ThreadkeeperClient, discord.AutoShardedClient):
    """The same client over gateway shards: `shard_ids` of `shard_count`, in this one process.

    The method resolution order (this class, ThreadkeeperClient, AutoShardedClient, Client) puts
    the bot's hooks over discord.py's sharding, so nothing is written twice. Other processes run
    the other shards from the same config with their own THREADKEEPER_SHARD_IDS.
    """

    _logged_in = False

    async def setup_hook(self) -> None:
        """As for the plain client; also notes that a login happened (see `close`)."""
        self._logged_in = True
        await super().setup_hook()

    async def close(self) -> None:
        """Close, even when no login happened (a refused token, a failed start).

        discord.py's sharded close hands an event to a queue that only a login creates, so it
        fails on a client that never logged in; such a client has no shards and closes as the
        plain client does.
        """
        if self._logged_in:
            await super().close()
        else:
            await discord.Client.close(self)


def make_client(service: Hooks, config: DiscordSettings, **options: Any) -> ThreadkeeperClient:
    """A sharded client when `shard_count` is configured, otherwise the one-connection client."""
    if config.shard_count is None:
        return ThreadkeeperClient(service, **options)
    return ShardedThreadkeeperClient(
        service,
        shard_count=config.shard_count,
        # None lets discord.py connect every shard, 0 to shard_count - 1.
        shard_ids=list(config.shard_ids) or None,
        **options,
    )


def holds_shard(config: DiscordSettings, *, guild_id: int) -> bool:
    """Whether this process connects the gateway shard that carries a server's events."""
    count, held = config.shard_count, config.shard_ids
    if count is None or not held:
        return True
    return (guild_id >> 22) % count in held  # Discord's formula for a server's shard


def syncs_commands(config: DiscordSettings) -> bool:
    """Whether this process registers the slash commands with Discord: only shard 0's process.

    Slash commands belong to the application, not to a shard or a process: one bulk overwrite
    (PUT /applications/{id}/commands) registers them for every server, and an interaction then
    reaches whichever process holds its server's shard, which needs the commands only in its local
    tree to run them. So one process should write them, and it should always be the same one.
    Shard 0 always exists, and when the shards are split across processes exactly one holds it:
    that process syncs. Otherwise every process would overwrite the list at every restart, and in
    a rolling deploy a process still on the old version could put the old commands back. A bot
    without sharding, or one process holding every shard, is shard 0's process.
    """
    return config.shard_count is None or not config.shard_ids or 0 in config.shard_ids


async def sync_commands(client: ThreadkeeperClient, *, config: DiscordSettings) -> None:
    """Register the client's slash commands with Discord, from shard 0's process only."""
    if not syncs_commands(config):
        log.info("slash commands are synced by the process holding shard 0")
        return
    try:
        synced = await client.tree.sync()
        log.info("synced %d slash commands", len(synced))
    except discord.HTTPException as exc:
        log.error("could not sync slash commands (HTTP %s): %s", exc.status, exc.text)


async def login(
    client: ThreadkeeperClient, *, config: DiscordSettings, backoff: tuple[float, float]
) -> None:
    """Log in over HTTP, backing off exponentially on errors that may pass.

    A refused token (401) is raised at once: trying it again cannot help and spends the day's
    logins. Anything else that may pass (Discord unreachable, 429, 5xx) is tried again after a
    growing pause, each attempt on a fresh HTTP session: discord.py's HTTP client keeps the
    connector of its first session, which closing the session closes too, so without a fresh
    one the second attempt fails with "Session is closed" (Rapptz/discord.py#9121).
    """
    token = config.token()
    if token is None:
        raise discord.LoginFailure(f"the environment variable {config.token_env} is unset")
    if client.user is not None and client.http.token is not None:
        return
    pause, ceiling = backoff
    while True:
        try:
            await client.login(token)
            return
        except discord.LoginFailure:
            raise
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            status = getattr(exc, "status", None)
            if (
                isinstance(exc, discord.HTTPException)
                and status not in (429,)
                and (status is None or status < 500)
            ):
                raise
            log.warning("Discord login failed (%s); retrying in %.3gs", describe(exc), pause)
            await fresh_session(client)
            await asyncio.sleep(pause)
            pause = min(pause * 2, ceiling)


async def fresh_session(client: discord.Client) -> None:
    """Close the client's HTTP session and drop its connector, so the next login opens both anew.

    `static_login` makes a TCPConnector only when none is set; the one it made before was closed
    with its session.
    """
    await client.http.close()
    client.http.connector = discord.utils.MISSING


def describe(exc: BaseException) -> str:
    """An error in a few words for a log line (aiohttp's connection errors have no short form)."""
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
