"""Discord objects and payload fields into the core's records.

Pure: nothing here awaits or talks to Discord, so the mapping from a message, a click or a raw
permission payload to a record is tested directly. The core sees no discord.py object past this
module. A thread's address names its guild and parent channel as well as its id, so a message that
arrives from a thread the cache has dropped can still be traced to the same stored thread.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import discord

from bot.records import (
    Appeal,
    Author,
    Branch,
    EndConfirmation,
    Incoming,
    ModCommand,
    ModCommandKind,
    ThreadRef,
    encodable,
)

log = logging.getLogger(__name__)

PLATFORM = "discord"
#: Discord caps thread names at 100 characters.
THREAD_NAME_CHARS = 90


def thread_ref(*, guild_id: int, parent_id: int, thread_id: int) -> ThreadRef:
    """The core's address for a Discord thread."""
    return ThreadRef(
        platform=PLATFORM, workspace=str(guild_id), channel=str(parent_id), thread=str(thread_id)
    )


def channel_ref(*, guild_id: int, channel_id: int) -> ThreadRef:
    """An address for a plain channel (the mod log), where moderator commands are given."""
    return thread_ref(guild_id=guild_id, parent_id=channel_id, thread_id=channel_id)


def mentions(content: str, user_id: int) -> bool:
    """True when the text mentions the user (either mention syntax)."""
    return re.search(rf"<@!?{user_id}>", content) is not None


def strip_mention(content: str, user_id: int) -> str:
    """The text without the bot's own mention, trimmed."""
    return re.sub(rf"<@!?{user_id}>", "", content).strip()


def thread_name(text: str, *, author_name: str) -> str:
    """A short thread title from the first line of the opening message."""
    text, author_name = encodable(text), encodable(author_name)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = re.sub(r"\s+", " ", first)
    if not first:
        return f"Chat with {author_name}"[:THREAD_NAME_CHARS]
    if len(first) > THREAD_NAME_CHARS:
        first = first[: THREAD_NAME_CHARS - 1].rstrip() + "…"
    return first


def is_moderator(
    user: discord.abc.User, *, moderator_role: int, permissions: discord.Permissions | None = None
) -> bool:
    """A member with the configured role or Manage Threads (here or guild-wide) may moderate."""
    if not isinstance(user, discord.Member):
        return False
    if moderator_role and any(role.id == moderator_role for role in user.roles):
        return True
    if permissions is not None and (permissions.manage_threads or permissions.administrator):
        return True
    perms = user.guild_permissions
    return perms.manage_threads or perms.administrator


def author(
    user: discord.abc.User, *, moderator_role: int, permissions: discord.Permissions | None = None
) -> Author:
    """Who wrote or clicked, as the core needs to know them (a lone surrogate in a display name,
    which Discord allows, becomes U+FFFD: see `encodable`)."""
    return Author(
        id=str(user.id),
        name=encodable(user.display_name),
        is_moderator=is_moderator(user, moderator_role=moderator_role, permissions=permissions),
        is_bot=user.bot,
    )


def incoming(
    message: discord.Message,
    *,
    ref: ThreadRef,
    bot_id: int,
    moderator_role: int,
    opens: bool,
    crisis_regions: tuple[str, ...] = (),
) -> Incoming:
    """One user message as a turn (the bot's own mention removed), with its server's crisis
    regions."""
    return Incoming(
        event_id=str(message.id),
        thread=ref,
        author=author(message.author, moderator_role=moderator_role),
        text=encodable(strip_mention(message.content, bot_id)),
        at=message.created_at,
        opens_thread=opens,
        crisis_regions=crisis_regions,
    )


def mod_command(
    *,
    event_id: int,
    moderator: Author,
    command: ModCommandKind,
    at: datetime,
    origin: ThreadRef,
    thread: ThreadRef | None = None,
    case: int | None = None,
    note: str = "",
    user_id: str | None = None,
) -> ModCommand:
    """A click or slash command by a moderator."""
    return ModCommand(
        event_id=str(event_id),
        moderator=moderator,
        command=command,
        at=at,
        origin=origin,
        thread=thread,
        case=case,
        note=note,
        user_id=user_id,
    )


def end_confirmation(
    *, event_id: int, thread: ThreadRef, author: Author, confirmed: bool, at: datetime
) -> EndConfirmation:
    """The thread's user pressed Yes or No."""
    return EndConfirmation(
        event_id=str(event_id), thread=thread, author=author, confirmed=confirmed, at=at
    )


def appeal(
    *, event_id: int, thread: ThreadRef, author: Author, statement: str, at: datetime
) -> Appeal:
    """The user whose thread was closed asks the moderators to review it."""
    return Appeal(event_id=str(event_id), thread=thread, author=author, statement=statement, at=at)


def branch_name(old: str) -> str:
    """The name of the thread that continues `old` from before its first strike."""
    name = f"continued: {old}"
    return name if len(name) <= THREAD_NAME_CHARS else name[: THREAD_NAME_CHARS - 1] + "…"


def branch(
    *, event_id: int, thread: ThreadRef, new_thread: ThreadRef, author: Author, at: datetime
) -> Branch:
    """The user whose thread was locked continues it in `new_thread`, from before the strikes."""
    return Branch(
        event_id=str(event_id),
        thread=thread,
        author=author,
        at=at,
        new_thread=new_thread,
        label=f"<#{thread.thread}>",
    )


# --- permissions from raw payloads ---------------------------------------------------------------
# At start-up the bot has logged in over HTTP but has no gateway cache yet, so discord.py's
# `permissions_for` cannot be used. Discord's documented algorithm over the REST payloads is short.


def channel_permissions(
    *,
    guild: Mapping[str, Any],
    channel: Mapping[str, Any],
    member_roles: Iterable[int | str],
    user_id: int,
) -> discord.Permissions:
    """What a member may do in a channel: base role permissions, then the channel's overwrites."""
    guild_id = int(guild["id"])
    if int(guild.get("owner_id", 0)) == user_id:
        return discord.Permissions.all()
    role_perms = {int(r["id"]): int(r["permissions"]) for r in guild.get("roles", [])}
    mine = {int(r) for r in member_roles}
    value = role_perms.get(guild_id, 0)
    for role in mine:
        value |= role_perms.get(role, 0)
    if discord.Permissions(value).administrator:
        return discord.Permissions.all()
    overwrites = list(channel.get("permission_overwrites", []))
    for o in overwrites:
        if int(o["id"]) == guild_id:
            value = (value & ~int(o["deny"])) | int(o["allow"])
    allow = deny = 0
    for o in overwrites:
        if int(o["type"]) == 0 and int(o["id"]) in mine and int(o["id"]) != guild_id:
            allow |= int(o["allow"])
            deny |= int(o["deny"])
    value = (value & ~deny) | allow
    for o in overwrites:
        if int(o["type"]) == 1 and int(o["id"]) == user_id:
            value = (value & ~int(o["deny"])) | int(o["allow"])
    return discord.Permissions(value)


#: What the bot needs where it hosts threads, by the names Discord shows in its settings.
THREAD_PERMISSIONS: dict[str, str] = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
    "manage_threads": "Manage Threads",
}
#: What the bot needs in the mod-log channel.
MODLOG_PERMISSIONS: dict[str, str] = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
}


def missing(perms: discord.Permissions, required: Mapping[str, str]) -> list[str]:
    """The display names of the required permissions that `perms` lacks."""
    return [name for flag, name in required.items() if not getattr(perms, flag)]


def invite_permissions() -> discord.Permissions:
    """Exactly the permissions the invite URL asks for."""
    return discord.Permissions(**dict.fromkeys(THREAD_PERMISSIONS, True))
