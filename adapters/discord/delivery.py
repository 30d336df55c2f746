"""The core's actions out to Discord: notices, locks, cases, private answers and streamed replies.

Actions go out over REST (partial channels, fetched threads), so actions owed for a server on
another process's shard are carried out all the same. Each post carries a nonce made from the
runtime's idempotency key. A streamed reply is one message edited at most about once a second per
thread (`Throttle`), continued in a new one at 2,000 characters; a lock posts its notice with the
Appeal button, then locks and archives the thread; a case is one embed in its own server's mod
log, and a change to it (its state, one more grouped signal) edits that embed in place, with a
short new message that pings the moderator role again when the core says the ping is due. A
private answer goes back to the interaction that asked when it is being handled in this task
(`ANSWERING`, `APPEALING`, set by the interactions), otherwise by DM.

Nothing the model or a user writes may ping anyone: mentions are off client-wide and the one
exception, the moderator role on a priority case, is allowed on that case's message and on the
renewed alert about it, which quotes nothing anyone wrote.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord import render
from adapters.discord.client import ThreadkeeperClient, discord_errors
from adapters.discord.intake import Hosting, Threads
from bot.config import DiscordServer
from bot.errors import DeliveryError, PermissionMissing
from bot.records import Action, Case, ThreadRef

log = logging.getLogger(__name__)

#: The moderator's click being handled in this task, and where its command was given: the core's
#: answer to it goes back privately. A context variable, so other users' turns never see it.
ANSWERING: contextvars.ContextVar[tuple[discord.Interaction[Any], str] | None] = (
    contextvars.ContextVar("answering", default=None)
)


@dataclass
class Appellant:
    """The user whose appeal is being handled in this task, and whether they have had an answer."""

    interaction: discord.Interaction[Any]
    user_id: str
    answered: bool = False


#: The appeal being handled in this task: the core's private answer to it (sent, refused) goes back
#: as an ephemeral reply to that user's own interaction, not as a second copy by DM. Later answers
#: (a moderator's decision) are carried out in the moderator's task, so they still go by DM.
APPEALING: contextvars.ContextVar[Appellant | None] = contextvars.ContextVar(
    "appealing", default=None
)

#: Seconds between edits of a streaming reply in one thread.
EDIT_INTERVAL = 1.0
#: Discord caps a message nonce at 25 characters.
NONCE_CHARS = 25


def nonce(key: str, part: int = 0) -> str:
    """A Discord nonce (at most 25 characters) from the runtime's idempotency key."""
    raw = key if part == 0 else f"{key}.{part}"
    if len(raw) <= NONCE_CHARS:
        return raw
    return "tk" + hashlib.sha256(raw.encode()).hexdigest()[: NONCE_CHARS - 2]


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


class Delivery:
    """Carries out the core's actions on Discord."""

    def __init__(
        self,
        *,
        client: ThreadkeeperClient,
        hosting: Hosting,
        threads: Threads,
        edit_interval: float = EDIT_INTERVAL,
    ) -> None:
        self.client = client
        self.hosting = hosting
        self.threads = threads
        self.throttle = Throttle(edit_interval)

    def _messageable(self, ref: ThreadRef) -> discord.PartialMessageable:
        """Where to post in a thread, without needing it in the cache."""
        return self.client.get_partial_messageable(int(ref.thread), guild_id=int(ref.workspace))

    async def _thread(self, ref: ThreadRef) -> discord.Thread:
        cached = self.client.get_channel(int(ref.thread))
        if isinstance(cached, discord.Thread):
            return cached
        with discord_errors(f"find thread {ref.thread}", forbidden="View Channel"):
            fetched = await self.client.fetch_channel(int(ref.thread))
        if not isinstance(fetched, discord.Thread):
            raise DeliveryError(f"channel {ref.thread} is not a thread", retryable=False)
        self.threads.remember(fetched)
        return fetched

    async def _post(
        self, ref: ThreadRef, text: str, *, key: str, view: discord.ui.View | None = None
    ) -> None:
        channel = self._messageable(ref)
        pieces = render.split_text(text)
        with discord_errors(f"post in thread {ref.thread}", forbidden="Send Messages in Threads"):
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
        with discord_errors("send a direct message", forbidden="the user's DMs to be open"):
            user = self.client.get_user(int(user_id)) or await self.client.fetch_user(int(user_id))
            await user.send(text)

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Carry out one fixed-text action on Discord; for a case, where it is shown."""
        kind = action.kind
        ref = action.thread
        if kind == "ignored":
            return None  # Discord keeps the thread locked; the core has already refused the turn
        if kind == "case":
            return await self._post_case(case, key=key, ref=ref)
        if kind == "case_update":
            return await self._update_case(case, key=key, ref=ref, ping=action.priority)
        await self._perform(action, key=key, case=case, text=render.for_discord(action.text))
        return None

    async def _perform(self, action: Action, *, key: str, case: Case | None, text: str) -> None:
        kind = action.kind
        ref = action.thread
        answering = ANSWERING.get()
        if kind == "notice" and answering is not None and answering[1] == ref.key:
            interaction = answering[0]
            with discord_errors("answer the moderator", forbidden="Send Messages"):
                await interaction.followup.send(text, ephemeral=True)
            return
        if kind == "unlock":
            thread = await self._thread(ref)
            with discord_errors(f"reopen thread {ref.thread}", forbidden="Manage Threads"):
                await thread.edit(locked=False, archived=False)
            await self._post(ref, text, key=key)
            return
        if kind == "private_notice":
            appellant = APPEALING.get()
            if appellant is not None and appellant.user_id == action.user_id:
                with discord_errors("answer the appeal", forbidden="Send Messages"):
                    await appellant.interaction.followup.send(text, ephemeral=True)
                appellant.answered = True
                return
            await self._direct_message(action.user_id or "", text)
            return
        if kind == "confirm_end" and action.user_id:
            await self._post(ref, text, key=key, view=render.confirm_view(user_id=action.user_id))
            return
        if kind == "lock" and action.user_id:
            # A moderator's closing cannot be continued from before; the bot's can.
            branch = case is None or case.kind != "mod_lock"
            view = render.appeal_view(user_id=action.user_id, branch=branch)
            await self._post(ref, text, key=key, view=view)
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
            with discord_errors(f"lock thread {ref.thread}", forbidden="Manage Threads"):
                raise exc

    async def _post_case(self, case: Case | None, *, key: str, ref: ThreadRef) -> str:
        """One embed in the mod log of the case's own server; returns "channel/message"."""
        if case is None:
            raise DeliveryError("a case action came without its case", retryable=False)
        guild_id, server = await self._case_server(case, ref)
        # A partial channel needs no cache: the case is posted over REST even when the server is
        # on a shard this process does not hold.
        channel = self.client.get_partial_messageable(server.mod_log_channel, guild_id=guild_id)
        role = server.moderator_role
        ping = server.ping_on_crisis and role and case.priority
        with discord_errors("post to the mod-log channel", forbidden="Send Messages, Embed Links"):
            if ping:
                message = await channel.send(
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
                message = await channel.send(
                    embed=render.case_embed(case), view=render.case_view(case), nonce=nonce(key)
                )
        return f"{server.mod_log_channel}/{message.id}"

    async def _update_case(
        self, case: Case | None, *, key: str, ref: ThreadRef, ping: bool
    ) -> str | None:
        """Show a changed case by editing its embed in place (posting it anew if it is gone).

        With `ping`, a short message pings the moderator role about it again (the edit itself
        notifies nobody): the one ping, as on the case's first post.
        """
        if case is None:
            raise DeliveryError("a case update came without its case", retryable=False)
        guild_id, server = await self._case_server(case, ref)
        channel_id, _, message_id = case.post.partition("/")
        post: str | None = None
        if not (channel_id.isdigit() and message_id.isdigit()):
            post = await self._post_case(case, key=key, ref=ref)
        else:
            channel = self.client.get_partial_messageable(int(channel_id), guild_id=guild_id)
            message = channel.get_partial_message(int(message_id))
            gone = False
            with discord_errors("edit the case in the mod log", forbidden="Send Messages"):
                try:
                    await message.edit(embed=render.case_embed(case), view=render.case_view(case))
                except discord.NotFound:
                    gone = True
            if gone:  # someone deleted it from the mod log: show it again
                post = await self._post_case(case, key=key, ref=ref)
        role = server.moderator_role
        if ping and server.ping_on_crisis and role and case.priority:
            shown = post or case.post
            where = self.client.get_partial_messageable(server.mod_log_channel, guild_id=guild_id)
            _, _, shown_id = shown.partition("/")
            reference = (
                discord.MessageReference(
                    message_id=int(shown_id), channel_id=server.mod_log_channel, guild_id=guild_id
                )
                if shown_id.isdigit()
                else None
            )
            with discord_errors("ping the moderators again", forbidden="Send Messages"):
                await where.send(
                    content=render.crisis_followup(role, case),
                    nonce=nonce(key, 1),
                    reference=reference,  # type: ignore[arg-type]
                    mention_author=False,
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False, users=False, roles=[discord.Object(id=role)]
                    ),
                )
        return post

    async def _case_server(self, case: Case, ref: ThreadRef) -> tuple[int, DiscordServer]:
        """The server whose mod log shows the case."""
        workspace = next((w for w in (case.workspace, ref.workspace) if w.isdigit()), None)
        if workspace is None:
            raise DeliveryError(f"case #{case.number} names no Discord server", retryable=False)
        guild_id = int(workspace)
        return guild_id, await self.hosting.server_of(guild_id)

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Post the reply's first words, then edit as it grows (throttled), splitting at 2,000."""
        reply = _Reply(self._messageable(thread), key)
        text = ""
        shown = ""
        try:
            with discord_errors(
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
