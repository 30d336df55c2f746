"""Discord's interactions in from users: buttons, forms and slash commands, and who may moderate.

Button clicks and slash commands become answers to "end this thread?" (from the user who asked),
appeals (the Appeal button on a lock notice opens a short form; `/appeal` does the same in a
closed thread), a branch (Continue from before), or a look at `/status` and `/policy`. Who is a
moderator of the server a click comes from (its own role or Manage Threads, nobody in another
server) is decided here for `moderation`, which handles the moderators' buttons and commands.
Every answer here is private: the core's own answer to a click is routed back to that interaction
while it is handled in this task (see `delivery.APPEALING`).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord import render, translate
from adapters.discord.client import ThreadkeeperClient
from adapters.discord.delivery import APPEALING, Appellant
from adapters.discord.intake import Hosting, Threads
from bot import notices
from bot.config import DiscordServer, Settings
from bot.records import Author, ThreadRef
from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: How long an appeal's statement may be (the core keeps no more).
APPEAL_CHARS = 500
#: Said when the core's answer did not come back in this task (a replayed interaction, say).
APPEAL_RECEIVED = "Sent."
#: The answer to a click or command in a server the bot does not host.
NOT_HOSTED = "This bot does not moderate this server."


class Interactions:
    """Buttons, forms and slash commands handed to the core, each answered privately."""

    def __init__(
        self,
        *,
        client: ThreadkeeperClient,
        settings: Settings,
        hosting: Hosting,
        threads: Threads,
    ) -> None:
        self.client = client
        self.settings = settings
        self.hosting = hosting
        self.threads = threads
        self.runtime: Runtime | None = None

    def interaction_server(self, interaction: discord.Interaction[Any]) -> DiscordServer | None:
        """The configured server an interaction comes from, if any."""
        guild_id = interaction.guild_id
        return None if guild_id is None else self.hosting.hosted(guild_id)

    def is_moderator(
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

    def author(self, interaction: discord.Interaction[Any], server: DiscordServer | None) -> Author:
        return translate.author(
            interaction.user,
            moderator_role=server.moderator_role if server is not None else 0,
            permissions=interaction.permissions,
        )

    async def refused_as_moderator(self, interaction: discord.Interaction[Any]) -> bool:
        """Answer privately and return True unless a moderator of a hosted server asks."""
        server = self.interaction_server(interaction)
        if server is None:
            await interaction.response.send_message(NOT_HOSTED, ephemeral=True)
            return True
        if not self.is_moderator(interaction, server):
            await interaction.response.send_message(notices.NOT_A_MODERATOR, ephemeral=True)
            return True
        return False

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
        ref = await self.interaction_thread(interaction)
        server = self.interaction_server(interaction)
        if runtime is None or ref is None or server is None:
            await interaction.response.send_message("This only works in a thread.", ephemeral=True)
            return
        # The buttons go at once, so a second press cannot answer twice.
        await interaction.response.edit_message(view=None)
        await runtime.handle(
            translate.end_confirmation(
                event_id=interaction.id,
                thread=ref,
                author=self.author(interaction, server),
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
        ref = await self.interaction_thread(interaction)
        if ref is None:
            await interaction.response.send_message(
                "Use this inside the thread that was closed.", ephemeral=True
            )
            return
        await interaction.response.send_modal(AppealModal(handler=self, thread=ref))

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
        ref = await self.interaction_thread(interaction)
        guild_id = interaction.guild_id
        server = self.interaction_server(interaction)
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
        self.threads.remember(thread)
        event = translate.branch(
            event_id=interaction.id,
            thread=ref,
            new_thread=translate.thread_ref(
                guild_id=guild_id, parent_id=parent.id, thread_id=thread.id
            ),
            author=self.author(interaction, server),
            at=interaction.created_at,
        )
        asker = Appellant(interaction=interaction, user_id=user_id)
        token = APPEALING.set(asker)
        try:
            outcome = await runtime.handle(event)
        finally:
            APPEALING.reset(token)
        if not asker.answered:
            done = outcome.verdict in ("branch", "duplicate")
            await interaction.followup.send(
                f"Continued in <#{thread.id}>." if done else APPEAL_RECEIVED, ephemeral=True
            )

    async def appeal_here(self, interaction: discord.Interaction[Any], statement: str) -> None:
        """`/appeal` inside a closed thread: the same as the form behind the Appeal button."""
        await self.appeal(
            interaction, thread=await self.interaction_thread(interaction), statement=statement
        )

    async def appeal(
        self, interaction: discord.Interaction[Any], *, thread: ThreadRef | None, statement: str
    ) -> None:
        """Hand a user's appeal to the core; every answer to it here is private."""
        runtime = self.runtime
        if runtime is None or interaction.guild_id is None:
            await interaction.response.send_message("Not ready yet.", ephemeral=True)
            return
        server = self.hosting.hosted(interaction.guild_id)
        if thread is None or server is None:
            await interaction.response.send_message(
                "Use this inside the thread that was closed.", ephemeral=True
            )
            return
        event = translate.appeal(
            event_id=interaction.id,
            thread=thread,
            author=self.author(interaction, server),
            statement=statement[:APPEAL_CHARS],
            at=interaction.created_at,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        appellant = Appellant(interaction=interaction, user_id=str(interaction.user.id))
        token = APPEALING.set(appellant)
        try:
            await runtime.handle(event)
        finally:
            APPEALING.reset(token)
        if not appellant.answered:
            await interaction.followup.send(APPEAL_RECEIVED, ephemeral=True)

    async def interaction_thread(self, interaction: discord.Interaction[Any]) -> ThreadRef | None:
        channel = interaction.channel
        if interaction.guild_id is None or interaction.channel_id is None or channel is None:
            return None
        parent = await self.threads.parent_of(channel, interaction.channel_id)  # type: ignore[arg-type]
        if parent is None:
            return None
        return translate.thread_ref(
            guild_id=interaction.guild_id, parent_id=parent, thread_id=interaction.channel_id
        )

    async def thread_status(self, interaction: discord.Interaction[Any]) -> None:
        """`/status`: the thread's state, for its user and for moderators."""
        ref = await self.interaction_thread(interaction)
        state = await self.runtime.store.load_thread(ref.key) if ref and self.runtime else None
        if state is None:
            await interaction.response.send_message(
                "Use this inside a thread I host.", ephemeral=True
            )
            return
        server = self.interaction_server(interaction)
        if state.owner != str(interaction.user.id) and not self.is_moderator(interaction, server):
            await interaction.response.send_message(
                "Only the thread's user and moderators can see its status.", ephemeral=True
            )
            return
        await interaction.response.send_message(
            render.status_text(state, policy=self.settings.policy), ephemeral=True
        )


class AppealModal(discord.ui.Modal, title="Appeal the closing of this thread"):
    """The locked user's short statement to the moderators."""

    statement: discord.ui.TextInput[AppealModal] = discord.ui.TextInput(
        label="Why should the moderators reopen this thread?",
        style=discord.TextStyle.paragraph,
        max_length=APPEAL_CHARS,
    )

    def __init__(self, *, handler: Interactions, thread: ThreadRef) -> None:
        super().__init__(timeout=900)
        self._handler = handler
        self._thread = thread

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """The statement becomes the core's Appeal."""
        await self._handler.appeal(interaction, thread=self._thread, statement=self.statement.value)


def add_commands(interactions: Interactions) -> None:
    """Add the slash commands to the client's command tree, bound to these interactions."""
    tree = interactions.client.tree

    @tree.command(name="policy", description="How this bot keeps threads safe")
    async def policy(interaction: discord.Interaction[Any]) -> None:
        text = interactions.runtime.policy_text() if interactions.runtime else "Not ready yet."
        pieces = render.split_text(text)
        await interaction.response.send_message(pieces[0], ephemeral=True)
        for piece in pieces[1:]:
            await interaction.followup.send(piece, ephemeral=True)

    @tree.command(name="status", description="This thread's status and redirected requests")
    async def status(interaction: discord.Interaction[Any]) -> None:
        await interactions.thread_status(interaction)

    @tree.command(name="appeal", description="Ask the moderators to reopen this closed thread")
    @app_commands.describe(statement="Why should the moderators reopen this thread?")
    async def appeal(
        interaction: discord.Interaction[Any],
        statement: app_commands.Range[str, 1, APPEAL_CHARS],
    ) -> None:
        await interactions.appeal_here(interaction, statement)
