"""Discord's moderators in: the case buttons, their reason forms, and the moderators' commands.

A moderator of the server a click comes from (its own role or Manage Threads, nobody in another
server) works the review queue here: `/cases` lists it, each case's buttons decide it
(Acknowledge at once; Unlock, Uphold, Resolve, Close thread and Pardon through a short form whose
reason the user is told, optional except for a closing), and the slash commands do the same by
case number or inside a thread. Each becomes a `ModCommand` for the core; every answer is
private: the core's own answer is routed back to this interaction while it is handled in this
task (`delivery.ANSWERING`).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord import render, translate
from adapters.discord.components import CaseVerb
from adapters.discord.delivery import ANSWERING
from adapters.discord.interactions import NOT_HOSTED, Interactions
from bot import review
from bot.records import ModCommandKind, ThreadRef

log = logging.getLogger(__name__)

#: Verdicts of a moderator command that did something.
DONE_VERDICTS = frozenset(
    {"unlock", "uphold", "note", "pardon", "mod_lock", "acknowledge", "resolve", "duplicate"}
)
#: What each button asks the core to do.
BUTTON_COMMANDS: dict[str, ModCommandKind] = {
    "unlock": "unlock",
    "uphold": "uphold",
    "note": "note",
    "ack": "acknowledge",
    "resolve": "resolve",
    "close": "lock",
    "pardon": "pardon",
}
#: The form behind each button that asks for words: its title, its field, and whether the
#: words are required (a closing's reason and a note are; a decision's reason is optional).
FORMS: dict[str, tuple[str, str, bool]] = {
    "unlock": ("Reopen the thread", "Reason (the user is told)", False),
    "uphold": ("Keep the thread closed", "Reason (the user is told)", False),
    "resolve": ("Resolve the case", "What was done (for the mod log)", False),
    "close": ("Close the thread", "Reason (the user reads it in the notice)", True),
    "pardon": ("Pardon the user", "Reason (for the mod log)", False),
    "note": ("Add a note to the case", "Note", True),
}
#: How the moderator is told it was done, by command.
DONE_WORDS = {
    "acknowledge": "acknowledged",
    "resolve": "resolved",
    "lock": "closed the thread",
    "unlock": "reopened the thread",
    "uphold": "upheld the closing",
    "note": "noted",
    "pardon": "pardoned",
}
REASON_CHARS = 1000


class Moderation:
    """The moderators' buttons, forms and slash commands, handed to the core."""

    def __init__(self, *, base: Interactions) -> None:
        self.base = base

    async def on_case_button(
        self, interaction: discord.Interaction[Any], *, verb: CaseVerb, case: int
    ) -> None:
        """A case button: moderators only; Acknowledge acts at once, the others ask for words."""
        if await self.base.refused_as_moderator(interaction):
            return
        if verb in FORMS:
            await interaction.response.send_modal(ReasonModal(handler=self, verb=verb, case=case))
            return
        await self.moderate(interaction, command=BUTTON_COMMANDS[verb], case=case)

    async def moderate(
        self,
        interaction: discord.Interaction[Any],
        *,
        command: ModCommandKind,
        case: int | None = None,
        thread: ThreadRef | None = None,
        note: str = "",
        user_id: str | None = None,
    ) -> None:
        """Hand a moderator's command to the core and answer the moderator privately."""
        runtime = self.base.runtime
        if runtime is None or interaction.guild_id is None or interaction.channel_id is None:
            await interaction.response.send_message("Not ready yet.", ephemeral=True)
            return
        server = self.base.hosting.hosted(interaction.guild_id)
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
            moderator=self.base.author(interaction, server),
            command=command,
            at=interaction.created_at,
            origin=origin,
            thread=thread,
            case=case,
            note=note,
            user_id=user_id,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        # The core answers a refusal where the command was given (the origin). Notices carried out
        # in this task (this moderator's own command, and only it) go to the moderator privately.
        token = ANSWERING.set((interaction, origin.key))
        try:
            outcome = await runtime.handle(event)
        finally:
            ANSWERING.reset(token)
        if outcome.verdict == "refused":
            return  # the refusal went to the moderator as the core's notice
        if outcome.verdict not in DONE_VERDICTS:
            await interaction.followup.send(
                f"Nothing was done ({outcome.verdict.replace('_', ' ')}).", ephemeral=True
            )
            return
        numbers = ", ".join(f"#{c.number}" for c in outcome.cases)
        done = f"Done: {command}" + (f" (case {numbers})" if numbers else "") + "."
        if command in ("acknowledge", "resolve") and case is not None:
            done = f"Done: case #{case} {DONE_WORDS[command]}."
        if outcome.verdict == "duplicate":
            done = "That was already done."
        await interaction.followup.send(done, ephemeral=True)

    async def show_case(self, interaction: discord.Interaction[Any], number: int) -> None:
        """`/case`: one case, privately, for moderators of this server."""
        if await self.base.refused_as_moderator(interaction):
            return
        case = None
        runtime = self.base.runtime
        if runtime is not None and interaction.guild_id is not None:
            case = await runtime.store.case(workspace=str(interaction.guild_id), number=number)
        if case is None:
            await interaction.response.send_message(f"No case #{number}.", ephemeral=True)
            return
        await interaction.response.send_message(
            embed=render.case_embed(case), view=render.case_view(case), ephemeral=True
        )

    async def show_queue(self, interaction: discord.Interaction[Any]) -> None:
        """`/cases`: the review queue of this server, priority first, and the reversal rate."""
        if await self.base.refused_as_moderator(interaction):
            return
        runtime = self.base.runtime
        if runtime is None or interaction.guild_id is None:
            await interaction.response.send_message("Not ready yet.", ephemeral=True)
            return
        guild = str(interaction.guild_id)
        cases = await runtime.store.cases(workspace=guild, limit=100_000)
        text = render.queue_text(cases, now=interaction.created_at, guild=guild)
        rate = review.render_reversals(review.reversals(cases))
        await interaction.response.send_message(
            render.split_text(f"{text}\n{rate}")[0], ephemeral=True
        )

    async def in_thread(
        self, interaction: discord.Interaction[Any], command: ModCommandKind, note: str = ""
    ) -> None:
        """A moderator's command on the thread it is given in (`/lock`, `/unlock`, `/uphold`)."""
        if await self.base.refused_as_moderator(interaction):
            return
        ref = await self.base.interaction_thread(interaction)
        if ref is None:
            await interaction.response.send_message("Use this inside a thread.", ephemeral=True)
            return
        await self.moderate(interaction, command=command, thread=ref, note=note)

    async def on_case(
        self,
        interaction: discord.Interaction[Any],
        command: ModCommandKind,
        case: int,
        note: str = "",
    ) -> None:
        """A moderator's command on a case by number (`/resolve`, `/acknowledge`, `/note` ...)."""
        if await self.base.refused_as_moderator(interaction):
            return
        await self.moderate(interaction, command=command, case=case, note=note)


class ReasonModal(discord.ui.Modal):
    """The words behind a case button: a reason the user is told, what was done, or a note."""

    def __init__(self, *, handler: Moderation, verb: CaseVerb, case: int) -> None:
        title, label, required = FORMS[verb]
        super().__init__(title=title, timeout=900)
        self._handler = handler
        self._verb = verb
        self._case = case
        self.text: discord.ui.TextInput[ReasonModal] = discord.ui.TextInput(
            label=label,
            style=discord.TextStyle.paragraph,
            max_length=REASON_CHARS,
            required=required,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """The form's words go with the button's command to the core."""
        await self._handler.moderate(
            interaction,
            command=BUTTON_COMMANDS[self._verb],
            case=self._case,
            note=self.text.value or "",
        )


def add_commands(moderation: Moderation) -> None:
    """Add the moderators' slash commands to the client's command tree."""
    tree = moderation.base.client.tree

    @tree.command(name="cases", description="The review queue, priority first (moderators)")
    async def cases(interaction: discord.Interaction[Any]) -> None:
        await moderation.show_queue(interaction)

    @tree.command(name="case", description="Show a moderation case (moderators)")
    @app_commands.describe(number="The case number")
    async def case(interaction: discord.Interaction[Any], number: int) -> None:
        await moderation.show_case(interaction, number)

    @tree.command(name="acknowledge", description="Take up a case: you are on it (moderators)")
    @app_commands.describe(number="The case number", reason="A note for the mod log")
    async def acknowledge(
        interaction: discord.Interaction[Any],
        number: int,
        reason: app_commands.Range[str, 0, REASON_CHARS] = "",
    ) -> None:
        await moderation.on_case(interaction, "acknowledge", number, reason)

    @tree.command(name="resolve", description="Resolve a case: it leaves the queue (moderators)")
    @app_commands.describe(number="The case number", reason="What was done (for the mod log)")
    async def resolve(
        interaction: discord.Interaction[Any],
        number: int,
        reason: app_commands.Range[str, 0, REASON_CHARS] = "",
    ) -> None:
        await moderation.on_case(interaction, "resolve", number, reason)

    @tree.command(name="lock", description="Close this thread; the user reads why (moderators)")
    @app_commands.describe(reason="Why: the user reads it in the notice")
    async def lock(
        interaction: discord.Interaction[Any], reason: app_commands.Range[str, 1, REASON_CHARS]
    ) -> None:
        await moderation.in_thread(interaction, "lock", reason)

    @tree.command(name="unlock", description="Reopen this thread (moderators)")
    @app_commands.describe(reason="Why (an appellant is told)")
    async def unlock(
        interaction: discord.Interaction[Any],
        reason: app_commands.Range[str, 0, REASON_CHARS] = "",
    ) -> None:
        await moderation.in_thread(interaction, "unlock", reason)

    @tree.command(name="uphold", description="Keep this closed thread closed (moderators)")
    @app_commands.describe(reason="Why (an appellant is told)")
    async def uphold(
        interaction: discord.Interaction[Any],
        reason: app_commands.Range[str, 0, REASON_CHARS] = "",
    ) -> None:
        await moderation.in_thread(interaction, "uphold", reason)

    @tree.command(name="note", description="Add a note to a case (moderators)")
    @app_commands.describe(number="The case number", text="The note")
    async def note(
        interaction: discord.Interaction[Any],
        number: int,
        text: app_commands.Range[str, 1, REASON_CHARS],
    ) -> None:
        await moderation.on_case(interaction, "note", number, text)

    @tree.command(name="pardon", description="Earlier locks stop counting for a user (moderators)")
    @app_commands.describe(user="The user to pardon", reason="Why (for the mod log)")
    async def pardon(
        interaction: discord.Interaction[Any],
        user: discord.User,
        reason: app_commands.Range[str, 0, REASON_CHARS] = "",
    ) -> None:
        if await moderation.base.refused_as_moderator(interaction):
            return
        await moderation.moderate(interaction, command="pardon", note=reason, user_id=str(user.id))
