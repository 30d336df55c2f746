"""The Discord service: the I/O between discord.py and the runtime.

Events in: a mention in a channel opens a public thread from that message; later messages in a
hosted thread are turns; button clicks and slash commands become moderator commands, answers to
"end this thread?", or appeals (the Appeal button on a lock notice opens a short form; `/appeal`
does the same in a closed thread). Actions out: notices, streamed replies (one message edited at
most about once a second per thread, a new one at 2,000 characters), locks (the notice carries the
Appeal button), one embed per case in the mod log, and private answers (to the interaction that
asked, or by DM).

One service hosts every configured server, each known by the server its mod-log channel is in,
with that server's own mod log, case numbers, moderator role and channels; and it connects the
gateway shards this process holds. Actions go out over REST (partial channels, fetched threads),
so actions owed for a server on another process's shard are carried out all the same.

Nothing the model or a user writes may ping anyone: mentions are off client-wide and the one
exception, the moderator role on a priority case, is allowed on that single message. Every
discord.py error is translated here into the core's DeliveryError (retryable for 429 and 5xx) or
PermissionMissing, naming the permission, so the runtime can open a case a person will read.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
from discord import app_commands

from adapters.discord import render, translate
from adapters.discord.components import DYNAMIC_ITEMS, CaseVerb
from bot import notices
from bot.adapter import ALL_ACTIONS
from bot.config import DiscordServer, DiscordSettings, Settings
from bot.errors import DeliveryError, PermissionMissing
from bot.records import Action, Author, Case, Incoming, ModCommandKind, ThreadRef
from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: The moderator's click being handled in this task, and where its command was given: the core's
#: answer to it goes back privately. A context variable, so other users' turns never see it.
_ANSWERING: contextvars.ContextVar[tuple[discord.Interaction[Any], str] | None] = (
    contextvars.ContextVar("answering", default=None)
)


@dataclass
class _Appellant:
    """The user whose appeal is being handled in this task, and whether they have had an answer."""

    interaction: discord.Interaction[Any]
    user_id: str
    answered: bool = False


#: The appeal being handled in this task: the core's private answer to it (sent, refused) goes back
#: as an ephemeral reply to that user's own interaction, not as a second copy by DM. Later answers
#: (a moderator's decision) are carried out in the moderator's task, so they still go by DM.
_APPEALING: contextvars.ContextVar[_Appellant | None] = contextvars.ContextVar(
    "appealing", default=None
)
#: How long an appeal's statement may be (the core keeps no more).
APPEAL_CHARS = 500
#: Said when the core's answer did not come back in this task (a replayed interaction, say).
APPEAL_RECEIVED = "Sent."

#: Verdicts of a moderator command that did something.
DONE_VERDICTS = frozenset({"unlock", "uphold", "note", "pardon", "duplicate"})

#: Seconds between edits of a streaming reply in one thread.
EDIT_INTERVAL = 1.0
#: Seconds between typing pings (Discord shows one for about 10 seconds).
TYPING_INTERVAL = 8.0
#: Discord caps a message nonce at 25 characters.
NONCE_CHARS = 25
#: Login retry pauses: exponential from 5 s to 15 min (Discord allows 1,000 logins a day).
LOGIN_BACKOFF = (5.0, 900.0)
#: Discord's error code for "a thread has already been created for this message".
THREAD_ALREADY_CREATED = 160004
#: Seconds before a mod-log channel Discord said was missing or hidden is looked up again.
UNREACHABLE_RETRY = 600.0
#: The answer to a click or command in a server the bot does not host.
NOT_HOSTED = "This bot does not moderate this server."


def intents() -> discord.Intents:
    """Guild messages with their content (a privileged intent to enable in the portal)."""
    value = discord.Intents.default()
    value.message_content = True
    value.members = False
    value.presences = False
    return value


def nonce(key: str, part: int = 0) -> str:
    """A Discord nonce (at most 25 characters) from the runtime's idempotency key."""
    raw = key if part == 0 else f"{key}.{part}"
    if len(raw) <= NONCE_CHARS:
        return raw
    return "tk" + hashlib.sha256(raw.encode()).hexdigest()[: NONCE_CHARS - 2]


@contextlib.contextmanager
def delivery(what: str, *, forbidden: str) -> Iterator[None]:
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
            f"could not {what}: HTTP {exc.status} {exc.text}", retryable=retry
        ) from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise DeliveryError(f"could not {what}: {type(exc).__name__}", retryable=True) from exc


class Throttle:
    """At most one write per `interval` seconds per key (a thread)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}

    def wait_for(self, key: str) -> float:
        """Seconds until `key` may write again (0 when it may now)."""
        last = self._last.get(key)
        if last is None:
            return 0.0
        return max(0.0, self.interval - (self._clock() - last))

    def mark(self, key: str) -> None:
        """Record a write now."""
        self._last[key] = self._clock()
        if len(self._last) > 10_000:  # forget threads idle long past the interval
            cutoff = self._clock() - 60 * self.interval
            self._last = {k: t for k, t in self._last.items() if t >= cutoff}


class _Reply:
    """The messages showing one streamed reply, edited as the text grows."""

    def __init__(self, channel: discord.abc.Messageable, key: str) -> None:
        self._channel = channel
        self._key = key
        self.messages: list[discord.Message] = []
        self._shown: list[str] = []

    async def show(self, text: str) -> None:
        pieces = render.split_text(text) if text else []
        for i, piece in enumerate(pieces):
            if i < len(self.messages):
                if self._shown[i] != piece:
                    self.messages[i] = await self.messages[i].edit(content=piece)
                    self._shown[i] = piece
            else:
                self.messages.append(
                    await self._channel.send(content=piece, nonce=nonce(self._key, i))
                )
                self._shown.append(piece)


class ThreadkeeperClient(discord.Client):
    """discord.py's client with mentions off and the service's hooks attached.

    Everything the bot adds to discord.py lives here once; `ShardedThreadkeeperClient` puts
    discord.py's AutoShardedClient under it (see `make_client`).
    """

    def __init__(self, service: DiscordService, **options: Any) -> None:
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


def make_client(
    service: DiscordService, config: DiscordSettings, **options: Any
) -> ThreadkeeperClient:
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


class DiscordService:
    """Carries out the core's actions on Discord and feeds it Discord's events."""

    platform = translate.PLATFORM
    supports = ALL_ACTIONS

    def __init__(
        self,
        settings: Settings,
        *,
        edit_interval: float = EDIT_INTERVAL,
        login_backoff: tuple[float, float] = LOGIN_BACKOFF,
        **client_options: Any,
    ) -> None:
        if settings.discord is None:
            raise ValueError("the [discord] section is not configured")
        self.settings = settings
        self.config: DiscordSettings = settings.discord
        #: Every hosted server; a server is known by the server (guild) of its mod-log channel.
        self.servers: tuple[DiscordServer, ...] = self.config.all_servers()
        self.client = make_client(self, self.config, **client_options)
        self.runtime: Runtime | None = None
        self.throttle = Throttle(edit_interval)
        self._login_backoff = login_backoff
        #: thread id -> parent channel id; threads leave the cache when archived.
        self._parents: dict[int, int] = {}
        self._not_threads: set[int] = set()
        #: Messages being turned into threads right now (a redelivery must not open a second one).
        self._opening: set[int] = set()
        #: Servers (guild ids) that have been found to host nothing, each warned about once.
        self._foreign_guilds: set[int] = set()
        #: guild id -> its configured server, learned from the cache, from check() or over REST.
        self._guild_servers: dict[int, DiscordServer] = {}
        #: Mod-log channels whose guild is known.
        self._placed: set[int] = set()
        #: Mod-log channels Discord said were missing or hidden, and when (asked again later).
        self._unreachable: dict[int, float] = {}
        self._resolving = asyncio.Lock()
        self._setup_done = False

    # --- lifecycle -------------------------------------------------------------------------------

    def attach(self, runtime: Runtime) -> None:
        """Give the service the runtime that events are fed to."""
        self.runtime = runtime

    async def setup(self) -> None:
        """Register the buttons that outlive restarts, and the slash commands."""
        if self._setup_done:
            return
        self._setup_done = True
        self.client.add_dynamic_items(*DYNAMIC_ITEMS)
        _commands(self)  # every process runs the commands of the servers on its shards
        if not syncs_commands(self.config):
            log.info("slash commands are synced by the process holding shard 0")
            return
        try:
            synced = await self.client.tree.sync()
            log.info("synced %d slash commands", len(synced))
        except discord.HTTPException as exc:
            log.error("could not sync slash commands (HTTP %s): %s", exc.status, exc.text)

    async def login(self) -> None:
        """Log in over HTTP, backing off exponentially on errors that may pass."""
        token = self.config.token()
        if token is None:
            raise discord.LoginFailure(f"the environment variable {self.config.token_env} is unset")
        if self.client.user is not None and self.client.http.token is not None:
            return
        pause, ceiling = self._login_backoff
        while True:
            try:
                await self.client.login(token)
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
                log.warning("Discord login failed (%s); retrying in %.3gs", exc, pause)
                await self.client.http.close()
                await asyncio.sleep(pause)
                pause = min(pause * 2, ceiling)

    async def check(self) -> list[str]:
        """Log in, then check each server's mod-log channel and hosting channels: one sentence each.

        Every mod-log channel is looked up, which also teaches the service which server each one
        is in (so actions owed for a server on another process's shard find their mod log). The
        permission checks are made for the servers on this process's shards; the processes holding
        the other shards check theirs.
        """
        try:
            await self.login()
        except discord.LoginFailure:
            return [
                f"Discord refused the bot token in {self.config.token_env}; "
                "copy a fresh one from the Developer Portal (Bot, Reset Token)."
            ]
        except discord.HTTPException as exc:
            return [f"Discord login failed with HTTP {exc.status}: {exc.text}"]
        user = self.client.user
        assert user is not None
        problems: list[str] = []
        guilds: dict[int, tuple[dict[str, Any], list[str]]] = {}
        for server in self.servers:
            problems += await self._check_server(server, user_id=user.id, guilds=guilds)
        return problems

    async def _check_server(
        self,
        server: DiscordServer,
        *,
        user_id: int,
        guilds: dict[int, tuple[dict[str, Any], list[str]]],
    ) -> list[str]:
        where = "the [discord] config" if server.where == "discord" else server.where
        problems: list[str] = []
        home: int | None = None
        checks = [(server.mod_log_channel, "the mod-log channel", translate.MODLOG_PERMISSIONS)]
        checks += [(c, "hosting channel", translate.THREAD_PERMISSIONS) for c in server.channels]
        for channel_id, role, required in checks:
            try:
                channel: dict[str, Any] = dict(await self.client.http.get_channel(channel_id))
            except (discord.NotFound, discord.Forbidden):
                problems.append(
                    f"{role.capitalize()} {channel_id} does not exist or the bot cannot see it; "
                    f"check the id in {where} and that the bot was invited there."
                )
                continue
            except discord.HTTPException as exc:  # one server's trouble must not stop the start
                problems.append(
                    f"Could not look up {role} {channel_id} ({server.where}): HTTP {exc.status}."
                )
                continue
            guild_id = int(channel.get("guild_id", 0))
            if not guild_id:
                problems.append(f"{role.capitalize()} {channel_id} is not a server channel.")
                continue
            if channel_id == server.mod_log_channel:
                home = guild_id
                other = self._guild_servers.get(guild_id)
                if other is not None and other != server:
                    problems.append(
                        f"The mod-log channels {other.mod_log_channel} ({other.where}) and "
                        f"{channel_id} ({server.where}) are in the same server {guild_id}; "
                        "a server has one mod log, so remove one of them."
                    )
                    return problems
                self._place(server, guild_id)
                if not self._holds(guild_id):
                    return problems  # the process holding its shard checks the rest
            elif home is not None and guild_id != home:
                problems.append(
                    f"Hosting channel {channel_id} ({server.where}.channels) is in server "
                    f"{guild_id}, not in server {home} of its mod log; list it under that "
                    "server's own [[discord.servers]] table."
                )
                continue
            elif not self._holds(guild_id):
                continue
            try:
                guild, roles = await self._guild_and_roles(guilds, guild_id, user_id)
            except discord.HTTPException as exc:
                problems.append(
                    f"Could not read server {guild_id} or the bot's roles there "
                    f"(HTTP {exc.status}).",
                )
                continue
            perms = translate.channel_permissions(
                guild=guild, channel=channel, member_roles=roles, user_id=user_id
            )
            lacking = translate.missing(perms, required)
            if lacking:
                problems.append(
                    f"The bot lacks {', '.join(lacking)} in #{channel.get('name', channel_id)} "
                    f"({role}); grant them to its role or in the channel's permissions."
                )
            if not server.channels and channel_id == server.mod_log_channel:
                # Every channel may host threads: the bot's server-wide role must allow it.
                everywhere = translate.channel_permissions(
                    guild=guild, channel={}, member_roles=roles, user_id=user_id
                )
                lacking = translate.missing(everywhere, translate.THREAD_PERMISSIONS)
                if lacking:
                    problems.append(
                        f"The bot's role lacks {', '.join(lacking)} in server "
                        f"{guild.get('name', guild_id)}, so mentions cannot open threads there."
                    )
        return problems

    async def _guild_and_roles(
        self, cache: dict[int, tuple[dict[str, Any], list[str]]], guild_id: int, user_id: int
    ) -> tuple[dict[str, Any], list[str]]:
        if guild_id not in cache:
            guild = dict(await self.client.http.get_guild(guild_id))
            member = await self.client.http.get_member(guild_id, user_id)
            cache[guild_id] = (guild, [str(r) for r in member["roles"]])
        return cache[guild_id]

    async def serve(self, runtime: Runtime) -> None:
        """Connect to the gateway and feed events to the runtime until cancelled."""
        self.attach(runtime)
        try:
            await self.login()
            await self.client.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired:
            log.error(
                "Discord refused the Message Content intent: enable it in the Developer Portal "
                "(Bot, Privileged Gateway Intents)"
            )
            raise
        finally:
            await self.client.close()

    # --- events in -------------------------------------------------------------------------------

    def remember(self, thread: discord.Thread) -> None:
        """Note a thread's parent channel."""
        if thread.parent_id is not None:
            self._parents[thread.id] = thread.parent_id

    async def _parent_of(self, channel: discord.abc.Messageable, channel_id: int) -> int | None:
        """The parent channel of a thread, or None when the channel is not a thread."""
        if isinstance(channel, discord.Thread):
            self.remember(channel)
            return channel.parent_id
        if not isinstance(channel, discord.PartialMessageable):
            return None
        # An archived thread has left the cache: its messages come with a partial channel.
        if channel_id in self._parents:
            return self._parents[channel_id]
        if channel_id in self._not_threads:
            return None
        try:
            fetched = await self.client.fetch_channel(channel_id)
        except discord.HTTPException as exc:
            log.warning("could not fetch channel %s (HTTP %s)", channel_id, exc.status)
            return None
        if isinstance(fetched, discord.Thread):
            self.remember(fetched)
            return fetched.parent_id
        self._not_threads.add(channel_id)
        return None

    # --- servers ---------------------------------------------------------------------------------

    def _holds(self, guild_id: int) -> bool:
        """Whether this process connects the gateway shard that carries a server's events."""
        count, held = self.config.shard_count, self.config.shard_ids
        if count is None or not held:
            return True
        return (guild_id >> 22) % count in held  # Discord's formula for a server's shard

    def _place(self, server: DiscordServer, guild_id: int) -> None:
        """Record the server (guild) a configured mod-log channel is in."""
        self._placed.add(server.mod_log_channel)
        self._guild_servers.setdefault(guild_id, server)
        self._foreign_guilds.discard(guild_id)

    def _cached_server(self, guild_id: int) -> DiscordServer | None:
        """The configured server of a guild, from what is already known or in the cache."""
        found = self._guild_servers.get(guild_id)
        if found is not None:
            return found
        for server in self.servers:
            if server.mod_log_channel in self._placed:
                continue
            channel = self.client.get_channel(server.mod_log_channel)
            home = getattr(getattr(channel, "guild", None), "id", None)
            if home is not None:
                self._place(server, home)
        return self._guild_servers.get(guild_id)

    def _hosted(self, guild_id: int) -> DiscordServer | None:
        """The configured server an event comes from, or None for a server the bot does not host.

        Cases are numbered per server and go to that server's own mod log, so the bot hosts
        threads only in a server one of whose mod-log channels it is in; others are ignored, with
        one warning each. An event comes over the shard holding its server, whose channels (the
        mod log among them) are then in the cache: no REST call is needed to decide.
        """
        if guild_id in self._foreign_guilds:
            return None
        server = self._cached_server(guild_id)
        if server is None:
            guild = self.client.get_guild(guild_id)
            if guild is not None and not guild.unavailable:  # its channels are known
                self._foreign_guilds.add(guild_id)
                log.warning(
                    "ignoring server %s: none of the configured mod-log channels is in it "
                    "(add a [[discord.servers]] table to host it)",
                    guild_id,
                )
        return server

    def _interaction_server(self, interaction: discord.Interaction[Any]) -> DiscordServer | None:
        """The configured server an interaction comes from, if any."""
        guild_id = interaction.guild_id
        return None if guild_id is None else self._hosted(guild_id)

    async def _server_of(self, guild_id: int) -> DiscordServer:
        """The configured server of a guild, asking Discord when the cache cannot say.

        An owed action may be for a server whose shard another process holds (or be carried out
        before the gateway connects), so its guild is not in this process's cache: each mod-log
        channel not yet placed is then looked up over REST, once, until the guild is found.
        """
        server = self._cached_server(guild_id)
        if server is not None:
            return server
        async with self._resolving:
            for candidate in self.servers:
                if guild_id in self._guild_servers:
                    break
                channel_id = candidate.mod_log_channel
                failed = self._unreachable.get(channel_id)
                if channel_id in self._placed or (
                    failed is not None and time.monotonic() - failed < UNREACHABLE_RETRY
                ):
                    continue
                try:
                    with delivery(
                        f"look up mod-log channel {channel_id}", forbidden="View Channel"
                    ):
                        data: dict[str, Any] = dict(await self.client.http.get_channel(channel_id))
                except DeliveryError as exc:
                    if exc.retryable:
                        raise
                    self._unreachable[channel_id] = time.monotonic()
                    log.warning("mod-log channel %s (%s): %s", channel_id, candidate.where, exc)
                    continue
                home = int(data.get("guild_id") or 0)
                if home:
                    self._place(candidate, home)
        found = self._guild_servers.get(guild_id)
        if found is None:
            raise DeliveryError(
                f"no configured mod-log channel is in server {guild_id}; "
                "add a [[discord.servers]] table for it",
                retryable=False,
            )
        return found

    async def on_message(self, message: discord.Message) -> None:
        """A mention opens a thread; a message in a hosted thread is a turn; the rest is ignored."""
        runtime, me = self.runtime, self.client.user
        if runtime is None or me is None or message.guild is None:
            return
        if message.author.bot or message.webhook_id is not None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        guild_id = message.guild.id
        server = self._hosted(guild_id)
        if server is None:
            return  # cases are numbered per server, and each goes to its own server's mod log
        channel_id = message.channel.id
        parent = await self._parent_of(message.channel, channel_id)
        role = server.moderator_role
        if parent is not None:
            ref = translate.thread_ref(guild_id=guild_id, parent_id=parent, thread_id=channel_id)
            store = runtime.store
            state = await store.load_thread(ref.key)
            # Not hosted, unless its opening mention is accepted and not decided yet; the thread
            # is read again after the inbox, in case the opening was decided in between.
            if state is None and not await store.has_accepted(ref.key):
                state = await store.load_thread(ref.key)
                if state is None:
                    return  # a thread the bot does not host
            event = translate.incoming(
                message, ref=ref, bot_id=me.id, moderator_role=role, opens=False
            )
            if state is not None and state.status in ("locked", "ended"):
                await self._decide(runtime, event)
                return
            async with self._typing(channel_id):
                await self._decide(runtime, event)
            return
        if not translate.mentions(message.content, me.id):
            return
        if server.channels and channel_id not in server.channels:
            return
        await self._open_thread(message, runtime=runtime, me=me, server=server)

    async def _open_thread(
        self,
        message: discord.Message,
        *,
        runtime: Runtime,
        me: discord.ClientUser,
        server: DiscordServer,
    ) -> None:
        assert message.guild is not None
        # A thread started from a message has the message's id, so the address is known first.
        ref = translate.thread_ref(
            guild_id=message.guild.id, parent_id=message.channel.id, thread_id=message.id
        )
        if message.id in self._opening or await runtime.store.event_seen(str(message.id)):
            log.debug("mention %s already handled", message.id)
            return
        self._opening.add(message.id)
        try:
            text = translate.strip_mention(message.content, me.id)
            name = translate.thread_name(text, author_name=message.author.display_name)
            try:
                thread = await message.create_thread(name=name)
            except discord.HTTPException as exc:
                if exc.code != THREAD_ALREADY_CREATED:
                    log.error("could not open a thread on message %s: %s", message.id, exc)
                    return
            else:
                self.remember(thread)
            self._parents[message.id] = message.channel.id
            event = translate.incoming(
                message,
                ref=ref,
                bot_id=me.id,
                moderator_role=server.moderator_role,
                opens=True,
            )
            # Written down once the thread exists (so a failure can be told there); a follow-up
            # in the new thread then finds its opening accepted (see on_message).
            async with self._typing(message.id):
                await self._decide(runtime, event)
        finally:
            self._opening.discard(message.id)

    @staticmethod
    async def _decide(runtime: Runtime, event: Incoming) -> None:
        """Write the message down, then decide it.

        The gateway never delivers a message twice, so one the process dies on would be lost;
        written down first, it is decided by the next start (or, on a shared store, by another
        process once this one's lease runs out).
        """
        if await runtime.accept(event):
            await runtime.handle(event)

    @contextlib.asynccontextmanager
    async def _typing(self, channel_id: int) -> AsyncIterator[None]:
        """Show "typing" while the model works; failures to show it are only logged."""

        async def keep_typing() -> None:
            while True:
                try:
                    await self.client.http.send_typing(channel_id)
                except discord.HTTPException as exc:
                    log.debug("typing indicator failed in %s: HTTP %s", channel_id, exc.status)
                    return
                await asyncio.sleep(TYPING_INTERVAL)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- clicks and commands ---------------------------------------------------------------------

    def _is_moderator(
        self, interaction: discord.Interaction[Any], server: DiscordServer | None
    ) -> bool:
        """A moderator of this server: its own role, or Manage Threads; nobody in another."""
        if server is None:
            return False
        return translate.is_moderator(
            interaction.user,
            moderator_role=server.moderator_role,
            permissions=interaction.permissions,
        )

    def _author(
        self, interaction: discord.Interaction[Any], server: DiscordServer | None
    ) -> Author:
        return translate.author(
            interaction.user,
            moderator_role=server.moderator_role if server is not None else 0,
            permissions=interaction.permissions,
        )

    async def _refused_as_moderator(self, interaction: discord.Interaction[Any]) -> bool:
        """Answer privately and return True unless a moderator of a hosted server asks."""
        server = self._interaction_server(interaction)
        if server is None:
            await interaction.response.send_message(NOT_HOSTED, ephemeral=True)
            return True
        if not self._is_moderator(interaction, server):
            await interaction.response.send_message(notices.NOT_A_MODERATOR, ephemeral=True)
            return True
        return False

    async def on_case_button(
        self, interaction: discord.Interaction[Any], *, verb: CaseVerb, case: int
    ) -> None:
        """Unlock, Uphold or Note on a case: moderators only; each becomes a case itself."""
        if await self._refused_as_moderator(interaction):
            return
        if verb == "note":
            await interaction.response.send_modal(NoteModal(service=self, case=case))
            return
        await self.moderate(interaction, command=verb, case=case)

    async def moderate(
        self,
        interaction: discord.Interaction[Any],
        *,
        command: ModCommandKind,
        case: int | None = None,
        thread: ThreadRef | None = None,
        note: str = "",
    ) -> None:
        """Hand a moderator's command to the core and answer the moderator privately."""
        runtime = self.runtime
        if runtime is None or interaction.guild_id is None or interaction.channel_id is None:
            await interaction.response.send_message("Not ready yet.", ephemeral=True)
            return
        server = self._hosted(interaction.guild_id)
        if server is None:
            await interaction.response.send_message(NOT_HOSTED, ephemeral=True)
            return
        guild = str(interaction.guild_id)
        if thread is None and case is not None:
            found = await runtime.store.case(workspace=guild, number=case)
            if found is None:
                await interaction.response.send_message(f"No case #{case}.", ephemeral=True)
                return
            thread = found.thread
        origin = translate.channel_ref(
            guild_id=interaction.guild_id, channel_id=interaction.channel_id
        )
        event = translate.mod_command(
            event_id=interaction.id,
            moderator=self._author(interaction, server),
            command=command,
            at=interaction.created_at,
            origin=origin,
            thread=thread,
            case=case,
            note=note,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        # The core answers a refusal where the command was given (the origin). Notices carried out
        # in this task (this moderator's own command, and only it) go to the moderator privately.
        token = _ANSWERING.set((interaction, origin.key))
        try:
            outcome = await runtime.handle(event)
        finally:
            _ANSWERING.reset(token)
        if outcome.verdict == "refused":
            return  # the refusal went to the moderator as the core's notice
        if outcome.verdict not in DONE_VERDICTS:
            await interaction.followup.send(
                f"Nothing was done ({outcome.verdict.replace('_', ' ')}).", ephemeral=True
            )
            return
        numbers = ", ".join(f"#{c.number}" for c in outcome.cases)
        done = f"Done: {command}" + (f" (case {numbers})" if numbers else "") + "."
        if outcome.verdict == "duplicate":
            done = "That was already done."
        await interaction.followup.send(done, ephemeral=True)

    async def on_end_button(
        self, interaction: discord.Interaction[Any], *, confirmed: bool, user_id: str
    ) -> None:
        """Yes or No to "end this thread?", from the user who asked and nobody else."""
        runtime = self.runtime
        if str(interaction.user.id) != user_id:
            await interaction.response.send_message(
                "Only the person who asked to end this thread can answer.", ephemeral=True
            )
            return
        ref = await self._interaction_thread(interaction)
        server = self._interaction_server(interaction)
        if runtime is None or ref is None or server is None:
            await interaction.response.send_message("This only works in a thread.", ephemeral=True)
            return
        # The buttons go at once, so a second press cannot answer twice.
        await interaction.response.edit_message(view=None)
        await runtime.handle(
            translate.end_confirmation(
                event_id=interaction.id,
                thread=ref,
                author=self._author(interaction, server),
                confirmed=confirmed,
                at=interaction.created_at,
            )
        )

    async def on_appeal_button(
        self, interaction: discord.Interaction[Any], *, user_id: str
    ) -> None:
        """Appeal on a lock notice: the locked user gets the form; anyone else a private no."""
        if str(interaction.user.id) != user_id:
            await interaction.response.send_message(notices.APPEAL_NOT_YOURS, ephemeral=True)
            return
        ref = await self._interaction_thread(interaction)
        if ref is None:
            await interaction.response.send_message(
                "Use this inside the thread that was closed.", ephemeral=True
            )
            return
        await interaction.response.send_modal(AppealModal(service=self, thread=ref))

    async def on_branch_button(
        self, interaction: discord.Interaction[Any], *, user_id: str
    ) -> None:
        """Continue from before: a new public thread in the same channel, with the earlier turns.

        The thread is opened only after the store says this user's thread is locked, so a refused
        press leaves no empty thread behind; the core still decides (and checks again).
        """
        runtime = self.runtime
        if str(interaction.user.id) != user_id:
            await interaction.response.send_message(notices.BRANCH_NOT_YOURS, ephemeral=True)
            return
        ref = await self._interaction_thread(interaction)
        guild_id = interaction.guild_id
        server = self._interaction_server(interaction)
        if runtime is None or ref is None or guild_id is None or server is None:
            await interaction.response.send_message(
                "Use this inside the thread that was closed.", ephemeral=True
            )
            return
        state = await runtime.store.load_thread(ref.key)
        if state is None or state.status != "locked" or state.owner != user_id:
            refusal = (
                notices.BRANCH_NOT_YOURS
                if state is not None and state.status == "locked"
                else notices.BRANCH_NOT_LOCKED
            )
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        old_name = getattr(interaction.channel, "name", None) or "thread"
        try:
            parent = self.client.get_channel(int(ref.channel)) or await self.client.fetch_channel(
                int(ref.channel)
            )
            if not isinstance(parent, discord.TextChannel):
                raise TypeError(f"channel {ref.channel} cannot hold threads")
            thread = await parent.create_thread(
                name=translate.branch_name(old_name), type=discord.ChannelType.public_thread
            )
        except (discord.HTTPException, TypeError) as exc:
            log.error("could not open a thread to continue %s: %s", ref.thread, exc)
            await interaction.followup.send(
                "I couldn't open a new thread just now; please try again.", ephemeral=True
            )
            return
        self.remember(thread)
        event = translate.branch(
            event_id=interaction.id,
            thread=ref,
            new_thread=translate.thread_ref(
                guild_id=guild_id, parent_id=parent.id, thread_id=thread.id
            ),
            author=self._author(interaction, server),
            at=interaction.created_at,
        )
        asker = _Appellant(interaction=interaction, user_id=user_id)
        token = _APPEALING.set(asker)
        try:
            outcome = await runtime.handle(event)
        finally:
            _APPEALING.reset(token)
        if not asker.answered:
            done = outcome.verdict in ("branch", "duplicate")
            await interaction.followup.send(
                f"Continued in <#{thread.id}>." if done else APPEAL_RECEIVED, ephemeral=True
            )

    async def appeal_here(self, interaction: discord.Interaction[Any], statement: str) -> None:
        """`/appeal` inside a closed thread: the same as the form behind the Appeal button."""
        await self.appeal(
            interaction, thread=await self._interaction_thread(interaction), statement=statement
        )

    async def appeal(
        self, interaction: discord.Interaction[Any], *, thread: ThreadRef | None, statement: str
    ) -> None:
        """Hand a user's appeal to the core; every answer to it here is private."""
        runtime = self.runtime
        if runtime is None or interaction.guild_id is None:
            await interaction.response.send_message("Not ready yet.", ephemeral=True)
            return
        server = self._hosted(interaction.guild_id)
        if thread is None or server is None:
            await interaction.response.send_message(
                "Use this inside the thread that was closed.", ephemeral=True
            )
            return
        event = translate.appeal(
            event_id=interaction.id,
            thread=thread,
            author=self._author(interaction, server),
            statement=statement[:APPEAL_CHARS],
            at=interaction.created_at,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        appellant = _Appellant(interaction=interaction, user_id=str(interaction.user.id))
        token = _APPEALING.set(appellant)
        try:
            await runtime.handle(event)
        finally:
            _APPEALING.reset(token)
        if not appellant.answered:
            await interaction.followup.send(APPEAL_RECEIVED, ephemeral=True)

    async def _interaction_thread(self, interaction: discord.Interaction[Any]) -> ThreadRef | None:
        channel = interaction.channel
        if interaction.guild_id is None or interaction.channel_id is None or channel is None:
            return None
        parent = await self._parent_of(channel, interaction.channel_id)  # type: ignore[arg-type]
        if parent is None:
            return None
        return translate.thread_ref(
            guild_id=interaction.guild_id, parent_id=parent, thread_id=interaction.channel_id
        )

    async def thread_status(self, interaction: discord.Interaction[Any]) -> None:
        """`/status`: the thread's state, for its user and for moderators."""
        ref = await self._interaction_thread(interaction)
        state = await self.runtime.store.load_thread(ref.key) if ref and self.runtime else None
        if state is None:
            await interaction.response.send_message(
                "Use this inside a thread I host.", ephemeral=True
            )
            return
        server = self._interaction_server(interaction)
        if state.owner != str(interaction.user.id) and not self._is_moderator(interaction, server):
            await interaction.response.send_message(
                "Only the thread's user and moderators can see its status.", ephemeral=True
            )
            return
        await interaction.response.send_message(
            render.status_text(
                status=state.status,
                strikes=state.strikes,
                redirects_before_lock=self.settings.policy.redirects_before_lock,
                turns=state.turns,
            ),
            ephemeral=True,
        )

    async def show_case(self, interaction: discord.Interaction[Any], number: int) -> None:
        """`/case`: one case, privately, for moderators of this server."""
        if await self._refused_as_moderator(interaction):
            return
        case = None
        if self.runtime is not None and interaction.guild_id is not None:
            case = await self.runtime.store.case(workspace=str(interaction.guild_id), number=number)
        if case is None:
            await interaction.response.send_message(f"No case #{number}.", ephemeral=True)
            return
        await interaction.response.send_message(
            embed=render.case_embed(case), view=render.case_view(case), ephemeral=True
        )

    async def unlock_here(self, interaction: discord.Interaction[Any]) -> None:
        """`/unlock` inside a thread: moderators only."""
        if await self._refused_as_moderator(interaction):
            return
        ref = await self._interaction_thread(interaction)
        if ref is None:
            await interaction.response.send_message("Use this inside a thread.", ephemeral=True)
            return
        await self.moderate(interaction, command="unlock", thread=ref)

    # --- actions out -----------------------------------------------------------------------------

    def _messageable(self, ref: ThreadRef) -> discord.PartialMessageable:
        """Where to post in a thread, without needing it in the cache."""
        return self.client.get_partial_messageable(int(ref.thread), guild_id=int(ref.workspace))

    async def _thread(self, ref: ThreadRef) -> discord.Thread:
        cached = self.client.get_channel(int(ref.thread))
        if isinstance(cached, discord.Thread):
            return cached
        with delivery(f"find thread {ref.thread}", forbidden="View Channel"):
            fetched = await self.client.fetch_channel(int(ref.thread))
        if not isinstance(fetched, discord.Thread):
            raise DeliveryError(f"channel {ref.thread} is not a thread", retryable=False)
        self.remember(fetched)
        return fetched

    async def _post(
        self, ref: ThreadRef, text: str, *, key: str, view: discord.ui.View | None = None
    ) -> None:
        channel = self._messageable(ref)
        pieces = render.split_text(text)
        with delivery(f"post in thread {ref.thread}", forbidden="Send Messages in Threads"):
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                if view is not None and last:
                    await channel.send(content=piece, nonce=nonce(key, i), view=view)
                else:
                    await channel.send(content=piece, nonce=nonce(key, i))

    async def _direct_message(self, user_id: str, text: str) -> None:
        """A message only this user sees: a DM (members can close their DMs to the bot)."""
        if not user_id.isdigit():
            raise DeliveryError("a private notice without a Discord user id", retryable=False)
        with delivery("send a direct message", forbidden="the user's DMs to be open"):
            user = self.client.get_user(int(user_id)) or await self.client.fetch_user(int(user_id))
            await user.send(text)

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> None:
        """Carry out one fixed-text action on Discord."""
        kind = action.kind
        ref = action.thread
        if kind == "ignored":
            return  # Discord keeps the thread locked; the core has already refused the turn
        if kind == "case":
            await self._post_case(case, key=key, ref=ref)
            return
        text = notices.for_platform(
            action.text,
            policy_command=render.POLICY_COMMAND,
            branch_command=render.BRANCH_COMMAND,
        )
        answering = _ANSWERING.get()
        if kind == "notice" and answering is not None and answering[1] == ref.key:
            interaction = answering[0]
            with delivery("answer the moderator", forbidden="Send Messages"):
                await interaction.followup.send(text, ephemeral=True)
            return
        if kind == "unlock":
            thread = await self._thread(ref)
            with delivery(f"reopen thread {ref.thread}", forbidden="Manage Threads"):
                await thread.edit(locked=False, archived=False)
            await self._post(ref, text, key=key)
            return
        if kind == "private_notice":
            appellant = _APPEALING.get()
            if appellant is not None and appellant.user_id == action.user_id:
                with delivery("answer the appeal", forbidden="Send Messages"):
                    await appellant.interaction.followup.send(text, ephemeral=True)
                appellant.answered = True
                return
            await self._direct_message(action.user_id or "", text)
            return
        if kind == "confirm_end" and action.user_id:
            await self._post(ref, text, key=key, view=render.confirm_view(user_id=action.user_id))
            return
        if kind == "lock" and action.user_id:
            await self._post(ref, text, key=key, view=render.appeal_view(user_id=action.user_id))
            await self._close(ref)
            return
        await self._post(ref, text, key=key)
        if kind in ("lock", "end"):
            await self._close(ref)

    async def _close(self, ref: ThreadRef) -> None:
        """Lock and archive: only moderators can post in it again, and it leaves the list."""
        thread = await self._thread(ref)
        try:
            await thread.edit(locked=True, archived=True)
        except discord.Forbidden as exc:
            raise PermissionMissing(
                "Manage Threads",
                f"the bot lacks Manage Threads in <#{ref.channel}>, so Discord kept thread "
                f"<#{ref.thread}> open; the bot still refuses every further turn there",
            ) from exc
        except discord.HTTPException as exc:
            with delivery(f"lock thread {ref.thread}", forbidden="Manage Threads"):
                raise exc

    async def _post_case(self, case: Case | None, *, key: str, ref: ThreadRef) -> None:
        """One embed in the mod log of the case's own server."""
        if case is None:
            raise DeliveryError("a case action came without its case", retryable=False)
        workspace = next((w for w in (case.workspace, ref.workspace) if w.isdigit()), None)
        if workspace is None:
            raise DeliveryError(f"case #{case.number} names no Discord server", retryable=False)
        guild_id = int(workspace)
        server = await self._server_of(guild_id)
        # A partial channel needs no cache: the case is posted over REST even when the server is
        # on a shard this process does not hold.
        channel = self.client.get_partial_messageable(server.mod_log_channel, guild_id=guild_id)
        role = server.moderator_role
        ping = server.ping_on_crisis and role and case.priority
        with delivery("post to the mod-log channel", forbidden="Send Messages, Embed Links"):
            if ping:
                await channel.send(
                    content=render.crisis_ping(role, case),
                    embed=render.case_embed(case),
                    view=render.case_view(case),
                    nonce=nonce(key),
                    # The one ping the bot ever sends: this role, on this message.
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False, users=False, roles=[discord.Object(id=role)]
                    ),
                )
            else:
                await channel.send(
                    embed=render.case_embed(case), view=render.case_view(case), nonce=nonce(key)
                )

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Post the reply's first words, then edit as it grows (throttled), splitting at 2,000."""
        reply = _Reply(self._messageable(thread), key)
        text = ""
        shown = ""
        try:
            with delivery(
                f"post the reply in thread {thread.thread}", forbidden="Send Messages in Threads"
            ):
                async for chunk in chunks:
                    text += chunk
                    if text.strip() and self.throttle.wait_for(thread.key) == 0:
                        await reply.show(text)
                        self.throttle.mark(thread.key)
                        shown = text
                if text != shown and text.strip():
                    await asyncio.sleep(self.throttle.wait_for(thread.key))
                    await reply.show(text)
                    self.throttle.mark(thread.key)
        except PermissionMissing:
            raise
        except DeliveryError as exc:
            if shown:
                raise
            # Nothing reached the thread yet, so the runtime may safely stream it again.
            raise DeliveryError(str(exc), retryable=exc.retryable, nothing_shown=True) from exc
        return text


class NoteModal(discord.ui.Modal, title="Add a note to the case"):
    """The text of a moderator's note."""

    text: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
        label="Note", style=discord.TextStyle.paragraph, max_length=1000
    )

    def __init__(self, *, service: DiscordService, case: int) -> None:
        super().__init__(timeout=900)
        self._service = service
        self._case = case

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """The note becomes a moderator command (and so a case)."""
        await self._service.moderate(
            interaction, command="note", case=self._case, note=self.text.value
        )


class AppealModal(discord.ui.Modal, title="Appeal the closing of this thread"):
    """The locked user's short statement to the moderators."""

    statement: discord.ui.TextInput[AppealModal] = discord.ui.TextInput(
        label="Why should the moderators reopen this thread?",
        style=discord.TextStyle.paragraph,
        max_length=APPEAL_CHARS,
    )

    def __init__(self, *, service: DiscordService, thread: ThreadRef) -> None:
        super().__init__(timeout=900)
        self._service = service
        self._thread = thread

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """The statement becomes the core's Appeal."""
        await self._service.appeal(interaction, thread=self._thread, statement=self.statement.value)


def _commands(service: DiscordService) -> None:
    """The slash commands, bound to this service."""
    tree = service.client.tree

    @tree.command(name="policy", description="How this bot keeps threads safe")
    async def policy(interaction: discord.Interaction[Any]) -> None:
        text = service.runtime.policy_text() if service.runtime else "Not ready yet."
        pieces = render.split_text(text)
        await interaction.response.send_message(pieces[0], ephemeral=True)
        for piece in pieces[1:]:
            await interaction.followup.send(piece, ephemeral=True)

    @tree.command(name="status", description="This thread's status and redirected requests")
    async def status(interaction: discord.Interaction[Any]) -> None:
        await service.thread_status(interaction)

    @tree.command(name="case", description="Show a moderation case (moderators)")
    @app_commands.describe(number="The case number")
    async def case(interaction: discord.Interaction[Any], number: int) -> None:
        await service.show_case(interaction, number)

    @tree.command(name="unlock", description="Reopen this thread (moderators)")
    async def unlock(interaction: discord.Interaction[Any]) -> None:
        await service.unlock_here(interaction)

    @tree.command(name="appeal", description="Ask the moderators to reopen this closed thread")
    @app_commands.describe(statement="Why should the moderators reopen this thread?")
    async def appeal(
        interaction: discord.Interaction[Any],
        statement: app_commands.Range[str, 1, APPEAL_CHARS],
    ) -> None:
        await service.appeal_here(interaction, statement)


def make_service(settings: Settings) -> DiscordService:
    """The Discord service for `python -m bot run`."""
    return DiscordService(settings)
