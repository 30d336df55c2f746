"""Discord's events in: which servers the bot hosts, and messages turned into the core's records.

One service hosts every configured server, each known by the server (guild) its mod-log channel
is in, with that server's own mod log, case numbers, moderator role and channels. `Hosting`
learns which guild each mod-log channel is in (from the cache, from the start-up check or over
REST, for a server on another process's shard) and ignores every other server, with one warning
each; the start-up check of each server's channels lives with it, since it is what places them.
`Threads` remembers each thread's parent channel, for threads that have left discord.py's cache.
`Intake` turns a message into an Incoming: a mention in a channel opens a public thread from
that message (once, however often the gateway or a restart brings it back), later messages in a
hosted thread are turns, and "typing" shows while the model works.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord

from adapters.discord import translate
from adapters.discord.client import (
    TRANSIENT_BACKOFF,
    ThreadkeeperClient,
    describe,
    discord_errors,
    holds_shard,
    retrying,
    transient_wait,
)
from bot import notices
from bot.config import DiscordServer, DiscordSettings
from bot.errors import DeliveryError
from bot.records import Incoming
from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: Seconds between typing pings (Discord shows one for about 10 seconds).
TYPING_INTERVAL = 8.0
#: Discord's error code for "a thread has already been created for this message".
THREAD_ALREADY_CREATED = 160004
#: Seconds before a mod-log channel Discord said was missing or hidden is looked up again.
UNREACHABLE_RETRY = 600.0


class Hosting:
    """The configured servers, and which Discord server (guild) each one is."""

    def __init__(self, *, client: ThreadkeeperClient, config: DiscordSettings) -> None:
        self.client = client
        self.config = config
        #: Every hosted server; a server is known by the server (guild) of its mod-log channel.
        self.servers: tuple[DiscordServer, ...] = config.all_servers()
        #: guild id -> its configured server, learned from the cache, from check() or over REST.
        self.guild_servers: dict[int, DiscordServer] = {}
        #: Servers (guild ids) that have been found to host nothing, each warned about once.
        self._foreign_guilds: set[int] = set()
        #: Mod-log channels whose guild is known.
        self._placed: set[int] = set()
        #: Mod-log channels Discord said were missing or hidden, and when (asked again later).
        self._unreachable: dict[int, float] = {}
        self._resolving = asyncio.Lock()

    def _place(self, server: DiscordServer, guild_id: int) -> None:
        """Record the server (guild) a configured mod-log channel is in."""
        self._placed.add(server.mod_log_channel)
        self.guild_servers.setdefault(guild_id, server)
        self._foreign_guilds.discard(guild_id)

    def _cached_server(self, guild_id: int) -> DiscordServer | None:
        """The configured server of a guild, from what is already known or in the cache."""
        found = self.guild_servers.get(guild_id)
        if found is not None:
            return found
        for server in self.servers:
            if server.mod_log_channel in self._placed:
                continue
            channel = self.client.get_channel(server.mod_log_channel)
            home = getattr(getattr(channel, "guild", None), "id", None)
            if home is not None:
                self._place(server, home)
        return self.guild_servers.get(guild_id)

    def hosted(self, guild_id: int) -> DiscordServer | None:
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

    async def server_of(self, guild_id: int) -> DiscordServer:
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
                if guild_id in self.guild_servers:
                    break
                channel_id = candidate.mod_log_channel
                failed = self._unreachable.get(channel_id)
                if channel_id in self._placed or (
                    failed is not None and time.monotonic() - failed < UNREACHABLE_RETRY
                ):
                    continue
                try:
                    with discord_errors(
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
        found = self.guild_servers.get(guild_id)
        if found is None:
            raise DeliveryError(
                f"no configured mod-log channel is in server {guild_id}; "
                "add a [[discord.servers]] table for it",
                retryable=False,
            )
        return found

    async def check_server(
        self,
        server: DiscordServer,
        *,
        user_id: int,
        guilds: dict[int, tuple[dict[str, Any], list[str]]],
    ) -> list[str]:
        """Check one server's mod-log and hosting channels, placing its guild: a sentence each."""
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
                other = self.guild_servers.get(guild_id)
                if other is not None and other != server:
                    problems.append(
                        f"The mod-log channels {other.mod_log_channel} ({other.where}) and "
                        f"{channel_id} ({server.where}) are in the same server {guild_id}; "
                        "a server has one mod log, so remove one of them."
                    )
                    return problems
                self._place(server, guild_id)
                if not holds_shard(self.config, guild_id=guild_id):
                    return problems  # the process holding its shard checks the rest
            elif home is not None and guild_id != home:
                problems.append(
                    f"Hosting channel {channel_id} ({server.where}.channels) is in server "
                    f"{guild_id}, not in server {home} of its mod log; list it under that "
                    "server's own [[discord.servers]] table."
                )
                continue
            elif not holds_shard(self.config, guild_id=guild_id):
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


class Threads:
    """Each thread's parent channel, for threads that have left discord.py's cache."""

    def __init__(
        self, *, client: ThreadkeeperClient, backoff: tuple[float, ...] = TRANSIENT_BACKOFF
    ) -> None:
        self.client = client
        self._backoff = backoff
        #: thread id -> parent channel id; threads leave the cache when archived.
        self.parents: dict[int, int] = {}
        self._not_threads: set[int] = set()

    def remember(self, thread: discord.Thread) -> None:
        """Note a thread's parent channel."""
        if thread.parent_id is not None:
            self.parents[thread.id] = thread.parent_id

    async def parent_of(self, channel: discord.abc.Messageable, channel_id: int) -> int | None:
        """The parent channel of a thread, or None when the channel is not a thread.

        A thread the cache has dropped is looked up over REST, tried again while Discord fails
        in a way that may pass (`client.retrying`); the last such failure is raised (the caller
        tells the moderators). A channel Discord says is missing or hidden is not a thread here.
        """
        if isinstance(channel, discord.Thread):
            self.remember(channel)
            return channel.parent_id
        if not isinstance(channel, discord.PartialMessageable):
            return None
        # An archived thread has left the cache: its messages come with a partial channel.
        if channel_id in self.parents:
            return self.parents[channel_id]
        if channel_id in self._not_threads:
            return None
        try:
            fetched = await retrying(
                f"fetch channel {channel_id}",
                lambda: self.client.fetch_channel(channel_id),
                pauses=self._backoff,
            )
        except discord.HTTPException as exc:
            if transient_wait(exc) is not None:
                raise
            log.warning("could not fetch channel %s (HTTP %s)", channel_id, exc.status)
            return None
        if isinstance(fetched, discord.Thread):
            self.remember(fetched)
            return fetched.parent_id
        self._not_threads.add(channel_id)
        return None


class Intake:
    """Gateway messages to the runtime: a mention opens a thread, a message in it is a turn."""

    def __init__(
        self,
        *,
        client: ThreadkeeperClient,
        hosting: Hosting,
        threads: Threads,
        backoff: tuple[float, ...] = TRANSIENT_BACKOFF,
    ) -> None:
        self.client = client
        self.hosting = hosting
        self.threads = threads
        self._backoff = backoff
        self.runtime: Runtime | None = None
        #: Messages being turned into threads right now (a redelivery must not open a second one).
        self._opening: set[int] = set()

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
        server = self.hosting.hosted(guild_id)
        if server is None:
            return  # cases are numbered per server, and each goes to its own server's mod log
        channel_id = message.channel.id
        try:
            parent = await self.threads.parent_of(message.channel, channel_id)
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            # Discord kept failing: which thread this is cannot be known, so the message cannot
            # be answered. Not dropped silently: the moderators get a case naming it.
            await runtime.report_unread(
                translate.channel_ref(guild_id=guild_id, channel_id=channel_id),
                user_id=str(message.author.id),
                summary=(
                    f"A message by <@{message.author.id}> in <#{channel_id}> "
                    f"({message.jump_url}) was not answered: Discord failed while the bot looked "
                    f"up the channel ({describe(exc)})."
                ),
            )
            return
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
                message,
                ref=ref,
                bot_id=me.id,
                moderator_role=role,
                opens=False,
                crisis_regions=server.crisis_regions,
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
        if message.id in self._opening:
            log.debug("mention %s is being handled", message.id)
            return
        # Claimed before the first await: a copy delivered at the same moment (a gateway resume,
        # a second shard session) finds it here instead of creating a second thread.
        self._opening.add(message.id)
        try:
            if await runtime.store.event_seen(str(message.id)):
                log.debug("mention %s already handled", message.id)
                return
            text = translate.strip_mention(message.content, me.id)
            name = translate.thread_name(text, author_name=message.author.display_name)
            try:
                thread = await retrying(
                    f"open a thread on message {message.id}",
                    lambda: message.create_thread(name=name),
                    pauses=self._backoff,
                )
            except discord.HTTPException as exc:
                if exc.code != THREAD_ALREADY_CREATED:
                    log.error("could not open a thread on message %s: %s", message.id, exc)
                    await self._say_not_opened(message)
                    return
            except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.error("could not open a thread on message %s: %s", message.id, describe(exc))
                await self._say_not_opened(message)
                return
            else:
                self.threads.remember(thread)
            self.threads.parents[message.id] = message.channel.id
            event = translate.incoming(
                message,
                ref=ref,
                bot_id=me.id,
                moderator_role=server.moderator_role,
                opens=True,
                crisis_regions=server.crisis_regions,
            )
            # Written down once the thread exists (so a failure can be told there); a follow-up
            # in the new thread then finds its opening accepted (see on_message).
            async with self._typing(message.id):
                await self._decide(runtime, event)
        finally:
            self._opening.discard(message.id)

    @staticmethod
    async def _say_not_opened(message: discord.Message) -> None:
        """Tell the user, under their mention, that no thread could be opened (best effort)."""
        try:
            with discord_errors("say that no thread was opened", forbidden="Send Messages"):
                await message.reply(notices.THREAD_NOT_OPENED, mention_author=False)
        except DeliveryError as exc:
            log.error("could not tell the user that no thread was opened: %s", exc)

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
