"""Buttons whose custom ids carry their own state, so they keep working after a restart.

A view registered in memory dies with the process; a mod-log case may be reviewed days later. Each
button's custom id names what it does and to what (`tk:unlock:12`, `tk:resolve:12`,
`tk:end:yes:<user>`, `tk:appeal:<user>`, `tk:branch:<user>`), and a
`DynamicItem` template matches it on any message, old or new. The items hold no logic: a click is
passed to the client's `clicks` handler (the service), which checks who clicked and acts.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal, Protocol, cast, runtime_checkable

import discord

log = logging.getLogger(__name__)

CaseVerb = Literal["unlock", "uphold", "note", "ack", "resolve", "close", "pardon"]

_LABELS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "unlock": ("Unlock", discord.ButtonStyle.success),
    "uphold": ("Uphold", discord.ButtonStyle.danger),
    "ack": ("Acknowledge", discord.ButtonStyle.primary),
    "resolve": ("Resolve", discord.ButtonStyle.success),
    "close": ("Close thread", discord.ButtonStyle.danger),
    "pardon": ("Pardon", discord.ButtonStyle.secondary),
    "note": ("Note", discord.ButtonStyle.secondary),
}


@runtime_checkable
class ClickHandler(Protocol):
    """What the client must offer for these buttons to do anything."""

    async def on_case_button(
        self, interaction: discord.Interaction[Any], *, verb: CaseVerb, case: int
    ) -> None:
        """A moderator (or not) pressed a case button."""
        ...

    async def on_end_button(
        self, interaction: discord.Interaction[Any], *, confirmed: bool, user_id: str
    ) -> None:
        """Someone answered "end this thread?"."""
        ...

    async def on_appeal_button(
        self, interaction: discord.Interaction[Any], *, user_id: str
    ) -> None:
        """Someone pressed Appeal on a lock notice meant for `user_id`."""
        ...

    async def on_branch_button(
        self, interaction: discord.Interaction[Any], *, user_id: str
    ) -> None:
        """Someone pressed Continue from before on a lock notice meant for `user_id`."""
        ...


def _handler(interaction: discord.Interaction[Any]) -> ClickHandler | None:
    handler = getattr(interaction.client, "clicks", None)
    if isinstance(handler, ClickHandler):
        return handler
    log.warning("a button was pressed but no handler is attached to the client")
    return None


class CaseButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"tk:(?P<verb>unlock|uphold|note|ack|resolve|close|pardon):(?P<case>[0-9]{1,12})",
):
    """A moderator's button on one mod-log case (Unlock, Uphold, Acknowledge, Resolve, ...)."""

    def __init__(self, verb: CaseVerb, case: int) -> None:
        label, style = _LABELS[verb]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"tk:{verb}:{case}"))
        self.verb: CaseVerb = verb
        self.case = case

    @classmethod
    def make(cls, verb: CaseVerb, case: int) -> CaseButton:
        """A button for `verb` on case number `case`."""
        return cls(verb, case)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CaseButton:
        """Rebuild the button from its id (after a restart too)."""
        return cls(cast(CaseVerb, match["verb"]), int(match["case"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the click to the service."""
        handler = _handler(interaction)
        if handler is not None:
            await handler.on_case_button(interaction, verb=self.verb, case=self.case)


class EndButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"tk:end:(?P<answer>yes|no):(?P<user>[0-9]{1,20})",
):
    """Yes or No to "end this thread?", for the one user who asked."""

    def __init__(self, confirmed: bool, user_id: str) -> None:
        answer = "yes" if confirmed else "no"
        super().__init__(
            discord.ui.Button(
                label="Yes, end it" if confirmed else "No, keep going",
                style=discord.ButtonStyle.danger if confirmed else discord.ButtonStyle.secondary,
                custom_id=f"tk:end:{answer}:{user_id}",
            )
        )
        self.confirmed = confirmed
        self.user_id = user_id

    @classmethod
    def make(cls, *, confirmed: bool, user_id: str) -> EndButton:
        """The Yes or No button for `user_id`."""
        return cls(confirmed, user_id)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> EndButton:
        """Rebuild the button from its id."""
        return cls(match["answer"] == "yes", match["user"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the answer to the service."""
        handler = _handler(interaction)
        if handler is not None:
            await handler.on_end_button(interaction, confirmed=self.confirmed, user_id=self.user_id)


LockVerb = Literal["appeal", "branch"]
_LOCK_BUTTONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "appeal": ("Appeal", discord.ButtonStyle.secondary),
    "branch": ("Continue from before", discord.ButtonStyle.primary),
}


class LockNoticeButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"tk:(?P<verb>appeal|branch):(?P<user>[0-9]{1,20})",
):
    """Appeal or Continue from before, on a lock notice: only for the user who was locked."""

    def __init__(self, verb: LockVerb, user_id: str) -> None:
        label, style = _LOCK_BUTTONS[verb]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"tk:{verb}:{user_id}")
        )
        self.verb: LockVerb = verb
        self.user_id = user_id

    @classmethod
    def make(cls, verb: LockVerb, *, user_id: str) -> LockNoticeButton:
        """The `verb` button for `user_id`."""
        return cls(verb, user_id)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> LockNoticeButton:
        """Rebuild the button from its id (after a restart too)."""
        return cls(cast(LockVerb, match["verb"]), match["user"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the click to the service."""
        handler = _handler(interaction)
        if handler is None:
            return
        if self.verb == "appeal":
            await handler.on_appeal_button(interaction, user_id=self.user_id)
        else:
            await handler.on_branch_button(interaction, user_id=self.user_id)


#: Register these with `client.add_dynamic_items` at start.
DYNAMIC_ITEMS = (CaseButton, EndButton, LockNoticeButton)
