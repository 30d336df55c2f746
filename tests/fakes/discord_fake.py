"""A small Discord: REST routes and gateway events with Discord's own shapes, for discord.py.

The real discord.py client is driven through two seams: its `http.request` (and the webhook
adapter interaction responses go through) is replaced by `FakeDiscord.request`, a router keyed on
`(method, route path)` that answers Discord-shaped JSON; and the gateway events Discord would send
(MESSAGE_CREATE, THREAD_CREATE, INTERACTION_CREATE, ...) are fed to the connection's parsers. The
same router serves real HTTP in the end-to-end test (`tests/adapters/discord/test_e2e.py`), where
events travel over a websocket instead. Payloads carry the fields discord.py reads, so a wrong
field or a missing one fails inside discord.py, as it would against Discord.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

GUILD_ID = 900000000000000001
CHANNEL_ID = 900000000000000010
OTHER_CHANNEL_ID = 900000000000000011
MODLOG_ID = 900000000000000020
BOT_ID = 900000000000000100
APP_ID = 900000000000000100
ALICE_ID = 900000000000000201
BOB_ID = 900000000000000202
MOD_ID = 900000000000000203
OTHER_BOT_ID = 900000000000000204
OWNER_ID = 900000000000000999
MOD_ROLE_ID = 900000000000000301
BOT_ROLE_ID = 900000000000000302

#: A second server, added with `FakeDiscord.add_second_server()`. Its id puts it on shard 0 of 2,
#: while GUILD_ID is on shard 1 of 2 (a server's shard is `(id >> 22) % shard_count`).
GUILD_B_ID = 900000000004194305
CHANNEL_B_ID = 900000000004194310
MODLOG_B_ID = 900000000004194320
MOD_ROLE_B_ID = 900000000004194301
BOT_ROLE_B_ID = 900000000004194302
#: A member of both servers who moderates only server B (MOD_ID moderates only server A).
MOD_B_ID = 900000000000000205

#: What the invite URL asks for (see adapters/discord/README.md), as the bot's role.
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    create_public_threads=True,
    send_messages_in_threads=True,
    manage_threads=True,
)


def iso(moment: datetime | None = None) -> str:
    """Discord's timestamp format."""
    return (moment or datetime.now(UTC)).isoformat()


class FakeHTTPError(Exception):
    """A non-2xx answer: converted to discord.py's exception, or to an HTTP response."""

    def __init__(
        self, status: int, code: int, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        #: Response headers (a 429's Retry-After and X-RateLimit-Reset-After).
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """Discord's JSON error body."""
        return {"code": self.code, "message": self.message}


@dataclass
class _Response:
    """What discord.py's HTTPException reads from an aiohttp response."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    """One REST call the bot made."""

    method: str
    path: str
    params: dict[str, str]
    json: Any
    at: float = field(default_factory=time.monotonic)


Handler = Callable[[dict[str, str], Any], Any]


class FakeDiscord:
    """One guild with a text channel, a mod-log channel, users, roles, threads and messages.

    `add_second_server()` adds a second guild (every user is a member of both). Channels, roles,
    messages, threads and interactions carry the guild they belong to; a sharded client is sent
    only the guilds on the shards it identified with.
    """

    def __init__(self) -> None:
        self._ids = itertools.count(discord.utils.time_snowflake(datetime.now(UTC)))
        self.requests: list[Request] = []
        self.fail: dict[tuple[str, str], list[FakeHTTPError]] = {}
        self.client: discord.Client | None = None
        #: Set by the end-to-end server to send events over its websocket instead.
        self.emit_hook: Callable[[str, dict[str, Any]], None] | None = None
        self.users = {
            BOT_ID: self.user_payload(BOT_ID, "threadkeeper", bot=True),
            ALICE_ID: self.user_payload(ALICE_ID, "alice"),
            BOB_ID: self.user_payload(BOB_ID, "bob"),
            MOD_ID: self.user_payload(MOD_ID, "mo"),
            OTHER_BOT_ID: self.user_payload(OTHER_BOT_ID, "otherbot", bot=True),
        }
        #: Guild id -> name.
        self.guilds: dict[int, str] = {GUILD_ID: "Test server"}
        #: Role id -> its guild, for roles not of GUILD_ID.
        self.role_guilds: dict[int, int] = {}
        everyone = discord.Permissions(
            view_channel=True,
            send_messages=True,
            read_message_history=True,
            send_messages_in_threads=True,
            create_public_threads=True,
        )
        self.roles: dict[int, dict[str, Any]] = {
            GUILD_ID: self.role_payload(GUILD_ID, "@everyone", everyone.value, 0),
            MOD_ROLE_ID: self.role_payload(MOD_ROLE_ID, "moderators", everyone.value, 1),
            BOT_ROLE_ID: self.role_payload(BOT_ROLE_ID, "threadkeeper", BOT_PERMISSIONS.value, 2),
        }
        self.member_roles: dict[int, list[int]] = {
            BOT_ID: [BOT_ROLE_ID],
            ALICE_ID: [],
            BOB_ID: [],
            MOD_ID: [MOD_ROLE_ID],
            OTHER_BOT_ID: [],
        }
        self.channels: dict[int, dict[str, Any]] = {
            CHANNEL_ID: self.text_channel_payload(CHANNEL_ID, "general"),
            OTHER_CHANNEL_ID: self.text_channel_payload(OTHER_CHANNEL_ID, "random"),
            MODLOG_ID: self.text_channel_payload(MODLOG_ID, "mod-log"),
        }
        self.messages: dict[int, dict[str, Any]] = {}
        self._nonces: dict[tuple[int, str], int] = {}
        #: Users who do not accept direct messages from the bot.
        self.closed_dms: set[int] = set()
        self.interaction_responses: list[dict[str, Any]] = []
        self.followups: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []
        self._add_routes()

    # --- payloads --------------------------------------------------------------------------------

    def snowflake(self) -> int:
        """A fresh id whose timestamp is now."""
        return next(self._ids)

    @staticmethod
    def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        """A user object."""
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name.title(),
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }

    @staticmethod
    def role_payload(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
        """A role object."""
        return {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": True,
            "flags": 0,
        }

    @staticmethod
    def text_channel_payload(
        channel_id: int, name: str, *, guild_id: int = GUILD_ID
    ) -> dict[str, Any]:
        """A guild text channel."""
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
            "flags": 0,
        }

    def guild_of_role(self, role_id: int) -> int:
        """The guild a role belongs to."""
        return self.role_guilds.get(role_id, GUILD_ID)

    def guild_of(self, channel_id: int) -> int:
        """The guild of a channel or thread (GUILD_ID for one the fake does not know)."""
        channel = self.channels.get(channel_id)
        if channel is None or "guild_id" not in channel:
            return GUILD_ID
        return int(channel["guild_id"])

    def member_payload(
        self, user_id: int, *, with_user: bool = False, guild_id: int = GUILD_ID
    ) -> dict[str, Any]:
        """A guild member object (the message form has no `user`), with its roles in that guild."""
        roles = [r for r in self.member_roles[user_id] if self.guild_of_role(r) == guild_id]
        member: dict[str, Any] = {
            "roles": [str(r) for r in roles],
            "joined_at": iso(datetime(2025, 1, 1, tzinfo=UTC)),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            member["user"] = self.users[user_id]
        return member

    def permissions_of(self, user_id: int, guild_id: int = GUILD_ID) -> discord.Permissions:
        """A member's guild-wide permissions from their roles in that guild."""
        value = int(self.roles[guild_id]["permissions"])
        for role in self.member_roles[user_id]:
            if self.guild_of_role(role) == guild_id:
                value |= int(self.roles[role]["permissions"])
        return discord.Permissions(value)

    def set_bot_permissions(self, permissions: discord.Permissions) -> None:
        """Change what the bot's role allows (before or after connecting)."""
        self.roles[BOT_ROLE_ID]["permissions"] = str(permissions.value)
        self.roles[GUILD_ID]["permissions"] = "0"
        if self.client is not None:
            self.emit(
                "GUILD_ROLE_UPDATE", {"guild_id": str(GUILD_ID), "role": self.roles[BOT_ROLE_ID]}
            )

    def add_second_server(self) -> None:
        """Server B: #general-b and #mod-log-b, its own moderator role (held by MOD_B_ID) and bot
        role; every user is a member, and MOD_ID holds no role there."""
        everyone = self.roles[GUILD_ID]["permissions"]
        self.guilds[GUILD_B_ID] = "Server B"
        self.users[MOD_B_ID] = self.user_payload(MOD_B_ID, "bea")
        self.member_roles[MOD_B_ID] = []
        for role_id, name, permissions, position in (
            (GUILD_B_ID, "@everyone", int(everyone), 0),
            (MOD_ROLE_B_ID, "moderators", int(everyone), 1),
            (BOT_ROLE_B_ID, "threadkeeper", BOT_PERMISSIONS.value, 2),
        ):
            self.roles[role_id] = self.role_payload(role_id, name, permissions, position)
            self.role_guilds[role_id] = GUILD_B_ID
        self.member_roles[BOT_ID].append(BOT_ROLE_B_ID)
        self.member_roles[MOD_B_ID].append(MOD_ROLE_B_ID)
        for channel_id, name in ((CHANNEL_B_ID, "general-b"), (MODLOG_B_ID, "mod-log-b")):
            self.channels[channel_id] = self.text_channel_payload(
                channel_id, name, guild_id=GUILD_B_ID
            )

    def shard_of(self, guild_id: int, shard_count: int) -> int:
        """The shard that carries a guild's events (Discord's formula)."""
        return (guild_id >> 22) % shard_count

    def guild_payload(self, guild_id: int = GUILD_ID) -> dict[str, Any]:
        """The guild as GET /guilds/{id} returns it."""
        return {
            "id": str(guild_id),
            "name": self.guilds[guild_id],
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(OWNER_ID),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r for i, r in self.roles.items() if self.guild_of_role(i) == guild_id],
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": False,
        }

    def guild_create_payload(self, guild_id: int = GUILD_ID) -> dict[str, Any]:
        """GUILD_CREATE: the guild with its channels, active threads and the bot's member."""
        payload = self.guild_payload(guild_id)
        mine = [c for c in self.channels.values() if c.get("guild_id") == str(guild_id)]
        payload.update(
            {
                "joined_at": iso(),
                "large": False,
                "unavailable": False,
                "member_count": len(self.users),
                "voice_states": [],
                "members": [self.member_payload(BOT_ID, with_user=True, guild_id=guild_id)],
                "channels": [c for c in mine if c["type"] == 0],
                "threads": [
                    c for c in mine if c["type"] == 11 and not c["thread_metadata"]["archived"]
                ],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
            }
        )
        return payload

    def guilds_on(self, shard: list[int] | None = None) -> list[int]:
        """The guilds a connection identified with `shard` ([id, count]) receives; all without."""
        if shard is None:
            return list(self.guilds)
        shard_id, count = shard
        return [g for g in self.guilds if self.shard_of(g, count) == shard_id]

    def ready_payload(self, shard: list[int] | None = None) -> dict[str, Any]:
        """READY: who the bot is and which guilds will follow (those on `shard`, when sharded)."""
        payload: dict[str, Any] = {
            "v": 10,
            "user": self.users[BOT_ID],
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds_on(shard)],
            "session_id": "fake-session",
            "resume_gateway_url": "ws://127.0.0.1:1",
            "application": {"id": str(APP_ID), "flags": 0},
        }
        if shard is not None:
            payload["shard"] = list(shard)
        return payload

    def application_payload(self) -> dict[str, Any]:
        """GET /oauth2/applications/@me."""
        return {
            "id": str(APP_ID),
            "name": "threadkeeper",
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.users[ALICE_ID],
            "summary": "",
            "verify_key": "00",
            "flags": 0,
            "interactions_endpoint_url": None,
        }

    def message_payload(
        self,
        *,
        channel_id: int,
        author_id: int,
        content: str,
        message_id: int | None = None,
        mention_ids: tuple[int, ...] = (),
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        nonce: str | None = None,
        flags: int = 0,
    ) -> dict[str, Any]:
        """A message object as MESSAGE_CREATE and the REST API carry it."""
        guild_id = self.guild_of(channel_id)
        message: dict[str, Any] = {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id),
            "guild_id": str(guild_id),
            "author": self.users[author_id],
            "member": self.member_payload(author_id, guild_id=guild_id),
            "content": content,
            "timestamp": iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [
                {**self.users[u], "member": self.member_payload(u, guild_id=guild_id)}
                for u in mention_ids
            ],
            "mention_roles": [],
            "attachments": [],
            "embeds": embeds or [],
            "pinned": False,
            "type": 0,
            "flags": flags,
            "components": components or [],
        }
        if nonce is not None:
            message["nonce"] = nonce
        return message

    # --- gateway ---------------------------------------------------------------------------------

    def attach(self, client: discord.Client) -> None:
        """Route the client's REST calls and interaction responses here."""
        self.client = client
        client.http.request = self.request  # type: ignore[method-assign]
        async_context.set(_WebhookAdapter(self))

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Deliver a gateway event as Discord would."""
        if self.emit_hook is not None:
            self.emit_hook(event, payload)
            return
        assert self.client is not None
        self.client._connection.parsers[event](payload)

    async def connect(self) -> None:
        """READY then GUILD_CREATE per guild; returns when discord.py says it is ready.

        A sharded client (AutoShardedClient) gets one READY per shard it holds, carrying `shard`,
        and only the guilds on those shards. Its shard list is set as `launch_shards` would set
        it when connecting over real websockets (see test_e2e.py for that path).
        """
        client = self.client
        assert client is not None
        if isinstance(client, discord.AutoShardedClient):
            assert client.shard_count is not None
            held = client.shard_ids or list(range(client.shard_count))
            client._connection.shard_count = client.shard_count
            client._connection.shard_ids = held
            shards: list[list[int] | None] = [[i, client.shard_count] for i in held]
        else:
            shards = [None]
        for shard in shards:
            self.emit("READY", self.ready_payload(shard))
            for guild_id in self.guilds_on(shard):
                self.emit("GUILD_CREATE", self.guild_create_payload(guild_id))
        await asyncio.wait_for(client.wait_until_ready(), 5)

    def say(
        self,
        content: str,
        *,
        author: int = ALICE_ID,
        channel: int = CHANNEL_ID,
        mention_bot: bool = False,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """A user posts a message (MESSAGE_CREATE); returns its payload."""
        if mention_bot:
            content = f"<@{BOT_ID}> {content}"
        message = self.message_payload(
            channel_id=channel,
            author_id=author,
            content=content,
            message_id=message_id,
            mention_ids=(BOT_ID,) if mention_bot else (),
        )
        self.messages[int(message["id"])] = message
        self.emit("MESSAGE_CREATE", message)
        return message

    def _interaction(
        self, *, kind: int, user_id: int, channel_id: int, data: dict[str, Any]
    ) -> dict[str, Any]:
        channel = dict(self.channels[channel_id])
        guild_id = self.guild_of(channel_id)
        permissions = self.permissions_of(user_id, guild_id)
        return {
            "id": str(self.snowflake()),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"token-{self.snowflake()}",
            "version": 1,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": channel,
            "member": {
                **self.member_payload(user_id, with_user=True, guild_id=guild_id),
                "permissions": str(permissions.value),
            },
            "app_permissions": str(BOT_PERMISSIONS.value),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10485760,
            "data": data,
        }

    def click(self, message_id: int, custom_id: str, *, user: int) -> dict[str, Any]:
        """A user presses a button on a message (INTERACTION_CREATE, type 3)."""
        message = self.messages[message_id]
        payload = self._interaction(
            kind=3,
            user_id=user,
            channel_id=int(message["channel_id"]),
            data={"custom_id": custom_id, "component_type": 2},
        )
        payload["message"] = message
        self.emit("INTERACTION_CREATE", payload)
        return payload

    async def decide(
        self, message_id: int, custom_id: str, *, user: int, reason: str = ""
    ) -> dict[str, Any] | None:
        """Press a button and, when it opens a form (type 9), submit `reason` in its one field.

        Returns the form the button opened, or None when the button acted at once (or was refused).
        """
        self.click(message_id, custom_id, user=user)
        await settle()
        response = self.interaction_responses[-1] if self.interaction_responses else {}
        if response.get("type") != 9:
            return None
        form = response["data"]
        field = form["components"][0]["components"][0]
        channel = int(self.messages[message_id]["channel_id"])
        self.submit_modal(
            form["custom_id"], {field["custom_id"]: reason}, user=user, channel=channel
        )
        await settle()
        return dict(form)

    def slash(
        self,
        name: str,
        *,
        user: int,
        channel: int = CHANNEL_ID,
        options: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user runs a slash command (INTERACTION_CREATE, type 2)."""
        command = next((c for c in self.commands if c["name"] == name), None)
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self.snowflake()),
            "name": name,
            "type": 1,
        }
        if options:
            data["options"] = options
        payload = self._interaction(kind=2, user_id=user, channel_id=channel, data=data)
        self.emit("INTERACTION_CREATE", payload)
        return payload

    def submit_modal(
        self, custom_id: str, values: dict[str, str], *, user: int, channel: int = MODLOG_ID
    ) -> dict[str, Any]:
        """A user submits a modal (INTERACTION_CREATE, type 5)."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in values.items()
        ]
        payload = self._interaction(
            kind=5,
            user_id=user,
            channel_id=channel,
            data={"custom_id": custom_id, "components": rows},
        )
        self.emit("INTERACTION_CREATE", payload)
        return payload

    @staticmethod
    def thread_payload(
        thread_id: int,
        parent: dict[str, Any],
        *,
        name: str,
        kind: int = 11,
        auto_archive: int = 1440,
    ) -> dict[str, Any]:
        """A thread the bot started in `parent` (a channel payload)."""
        return {
            "id": str(thread_id),
            "type": kind,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(BOT_ID),
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "total_message_sent": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive,
                "archive_timestamp": iso(),
                "locked": False,
                "create_timestamp": iso(),
            },
        }

    def add_thread(self, parent_id: int, name: str = "earlier thread") -> int:
        """A thread that exists on Discord already, with no gateway event (as if another process,
        on another shard, had opened it); returns its id."""
        thread_id = self.snowflake()
        self.channels[thread_id] = self.thread_payload(
            thread_id, self.channels[parent_id], name=name
        )
        return thread_id

    def drop_thread_from_cache(self, thread_id: int) -> None:
        """Archive a thread and make discord.py forget it, as happens after auto-archive."""
        thread = self.channels[thread_id]
        thread["thread_metadata"]["archived"] = True
        assert self.client is not None
        guild = self.client.get_guild(int(thread["guild_id"]))
        assert guild is not None
        # Discord sends THREAD_UPDATE with archived=True; discord.py drops the thread from cache.
        self.emit("THREAD_UPDATE", thread)
        assert guild.get_thread(thread_id) is None

    # --- REST ------------------------------------------------------------------------------------

    def _route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")

        def register(handler: Handler) -> Handler:
            self._routes.append((method, path, pattern, handler))
            return handler

        return register

    def handle(self, method: str, url_path: str, body: Any) -> tuple[str, Any]:
        """Answer one REST call by its concrete path; returns the matched route path and JSON."""
        for m, path, pattern, handler in self._routes:
            match = pattern.match(url_path)
            if m == method and match:
                params = match.groupdict()
                self.requests.append(Request(method, path, params, body))
                failures = self.fail.get((method, path))
                if failures:
                    raise failures.pop(0)
                return path, handler(params, body)
        raise FakeHTTPError(404, 0, f"404: no fake route for {method} {url_path}")

    async def request(
        self, route: discord.http.Route, *, files: Any = None, form: Any = None, **kwargs: Any
    ) -> Any:
        """The replacement for `client.http.request`."""
        await asyncio.sleep(0)
        url_path = route.url[len(discord.http.Route.BASE) :].split("?")[0]
        try:
            matched, data = self.handle(route.method, url_path, kwargs.get("json"))
        except FakeHTTPError as exc:
            raise _exception(exc) from None
        assert matched == route.path, f"{route.path} answered by {matched}"
        return data

    def sent(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot created, in order (optionally in one channel)."""
        return [
            m
            for m in self.messages.values()
            if int(m["author"]["id"]) == BOT_ID
            and (channel_id is None or int(m["channel_id"]) == channel_id)
        ]

    def calls(self, method: str, path: str) -> list[Request]:
        """The bot's calls to one route."""
        return [r for r in self.requests if r.method == method and r.path == path]

    def threads(self) -> list[dict[str, Any]]:
        """Threads created so far."""
        return [c for c in self.channels.values() if c["type"] == 11]

    def _channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        return channel

    def _add_routes(self) -> None:
        route = self._route

        @route("GET", "/users/@me")
        def me(p: dict[str, str], body: Any) -> Any:
            return self.users[BOT_ID]

        @route("GET", "/users/{user_id}")
        def user(p: dict[str, str], body: Any) -> Any:
            found = self.users.get(int(p["user_id"]))
            if found is None:
                raise FakeHTTPError(404, 10013, "Unknown User")
            return found

        @route("POST", "/users/@me/channels")
        def open_dm(p: dict[str, str], body: Any) -> Any:
            recipient = self.users.get(int(body["recipient_id"]))
            if recipient is None:
                raise FakeHTTPError(404, 10013, "Unknown User")
            if int(recipient["id"]) in self.closed_dms:
                raise FakeHTTPError(403, 50007, "Cannot send messages to this user")
            dm = {
                "id": str(self.snowflake()),
                "type": 1,
                "recipients": [recipient],
                "last_message_id": None,
            }
            self.channels[int(dm["id"])] = dm
            return dm

        @route("GET", "/oauth2/applications/@me")
        def application(p: dict[str, str], body: Any) -> Any:
            return self.application_payload()

        @route("GET", "/gateway/bot")
        def gateway(p: dict[str, str], body: Any) -> Any:
            return {"url": "ws://127.0.0.1:1", "shards": 1, "session_start_limit": {}}

        @route("PUT", "/applications/{application_id}/commands")
        def sync(p: dict[str, str], body: Any) -> Any:
            self.commands = [
                {
                    **c,
                    "id": str(self.snowflake()),
                    "application_id": str(APP_ID),
                    "version": "1",
                    "type": c.get("type", 1),
                    "default_member_permissions": c.get("default_member_permissions"),
                    "dm_permission": True,
                    "nsfw": False,
                }
                for c in body
            ]
            return self.commands

        @route("GET", "/guilds/{guild_id}")
        def guild(p: dict[str, str], body: Any) -> Any:
            if int(p["guild_id"]) not in self.guilds:
                raise FakeHTTPError(404, 10004, "Unknown Guild")
            return self.guild_payload(int(p["guild_id"]))

        @route("GET", "/guilds/{guild_id}/members/{member_id}")
        def member(p: dict[str, str], body: Any) -> Any:
            return self.member_payload(
                int(p["member_id"]), with_user=True, guild_id=int(p["guild_id"])
            )

        @route("GET", "/channels/{channel_id}")
        def get_channel(p: dict[str, str], body: Any) -> Any:
            return self._channel(p["channel_id"])

        @route("PATCH", "/channels/{channel_id}")
        def edit_channel(p: dict[str, str], body: Any) -> Any:
            channel = self._channel(p["channel_id"])
            meta = channel.get("thread_metadata")
            if meta is None:
                raise FakeHTTPError(400, 50024, "Cannot execute action on this channel type")
            perms = self.permissions_of(BOT_ID, int(channel.get("guild_id", GUILD_ID)))
            if "locked" in body and not perms.manage_threads:
                raise FakeHTTPError(403, 50013, "Missing Permissions")
            for key in ("locked", "archived"):
                if key in body:
                    meta[key] = body[key]
            meta["archive_timestamp"] = iso()
            self.emit("THREAD_UPDATE", channel)
            return channel

        @route("POST", "/channels/{channel_id}/typing")
        def typing(p: dict[str, str], body: Any) -> Any:
            self._channel(p["channel_id"])
            return None

        @route("POST", "/channels/{channel_id}/messages")
        def send(p: dict[str, str], body: Any) -> Any:
            channel = self._channel(p["channel_id"])
            perms = self.permissions_of(BOT_ID, int(channel.get("guild_id", GUILD_ID)))
            is_thread = channel["type"] == 11
            if not (perms.send_messages_in_threads if is_thread else perms.send_messages):
                raise FakeHTTPError(403, 50013, "Missing Permissions")
            if is_thread:
                meta = channel["thread_metadata"]
                if meta["locked"] and not perms.manage_threads:
                    raise FakeHTTPError(403, 50083, "Thread is locked")
                meta["archived"] = False  # posting in an archived thread unarchives it
            nonce = body.get("nonce")
            if nonce is not None and body.get("enforce_nonce"):
                seen = self._nonces.get((int(channel["id"]), str(nonce)))
                if seen is not None:
                    return self.messages[seen]  # Discord returns the first message
            if not body.get("content") and not body.get("embeds"):
                raise FakeHTTPError(400, 50006, "Cannot send an empty message")
            if len(body.get("content") or "") > 2000:
                raise FakeHTTPError(400, 50035, "Invalid Form Body: content too long")
            message = self.message_payload(
                channel_id=int(channel["id"]),
                author_id=BOT_ID,
                content=body.get("content") or "",
                embeds=body.get("embeds"),
                components=body.get("components"),
                nonce=None if nonce is None else str(nonce),
            )
            message["allowed_mentions"] = body.get("allowed_mentions")  # for the tests to read
            if body.get("message_reference"):
                message["message_reference"] = body["message_reference"]
            self.messages[int(message["id"])] = message
            if nonce is not None:
                self._nonces[(int(channel["id"]), str(nonce))] = int(message["id"])
            self.emit("MESSAGE_CREATE", message)
            return message

        @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
        def edit(p: dict[str, str], body: Any) -> Any:
            message = self.messages.get(int(p["message_id"]))
            if message is None or message["channel_id"] != p["channel_id"]:
                raise FakeHTTPError(404, 10008, "Unknown Message")
            if len(body.get("content") or "") > 2000:
                raise FakeHTTPError(400, 50035, "Invalid Form Body: content too long")
            for key in ("content", "embeds", "components", "allowed_mentions"):
                if key in body:
                    message[key] = body[key]
            message["edited_timestamp"] = iso()
            message.setdefault("edits", 0)
            message["edits"] += 1
            return message

        @route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
        def start_thread(p: dict[str, str], body: Any) -> Any:
            parent = self._channel(p["channel_id"])
            thread_id = int(p["message_id"])
            if thread_id in self.channels:
                raise FakeHTTPError(400, 160004, "A thread has already been created for this")
            starter = self.messages.get(thread_id)
            thread = self.thread_payload(
                thread_id, parent, name=body["name"], auto_archive=body["auto_archive_duration"]
            )
            self.channels[thread_id] = thread
            if starter is not None:
                starter["thread"] = thread
            self.emit("THREAD_CREATE", {**thread, "newly_created": True})
            return thread

        @route("POST", "/channels/{channel_id}/threads")
        def create_thread(p: dict[str, str], body: Any) -> Any:
            parent = self._channel(p["channel_id"])
            if parent["type"] != 0:
                raise FakeHTTPError(400, 50024, "Cannot execute action on this channel type")
            thread_id = self.snowflake()
            thread = self.thread_payload(
                thread_id,
                parent,
                name=body["name"],
                kind=body.get("type", 11),
                auto_archive=body.get("auto_archive_duration", 1440),
            )
            self.channels[thread_id] = thread
            self.emit("THREAD_CREATE", {**thread, "newly_created": True})
            return thread

        @route("POST", "/interactions/{webhook_id}/{webhook_token}/callback")
        def callback(p: dict[str, str], body: Any) -> Any:
            self.interaction_responses.append(body)
            kind = body["type"]
            data = body.get("data") or {}
            resource: dict[str, Any] = {"type": kind}
            if kind in (4, 7):
                resource["message"] = self.message_payload(
                    channel_id=MODLOG_ID,
                    author_id=BOT_ID,
                    content=data.get("content") or "",
                    embeds=data.get("embeds"),
                    components=data.get("components"),
                    flags=data.get("flags", 0),
                )
            return {
                "interaction": {
                    "id": p["webhook_id"],
                    "type": 3,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(data.get("flags", 0) & 64),
                },
                "resource": resource,
            }

        @route("POST", "/webhooks/{webhook_id}/{webhook_token}")
        def followup(p: dict[str, str], body: Any) -> Any:
            self.followups.append(body)
            return self.message_payload(
                channel_id=MODLOG_ID,
                author_id=BOT_ID,
                content=body.get("content") or "",
                embeds=body.get("embeds"),
                flags=body.get("flags", 0),
            )

        @route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
        def edit_original(p: dict[str, str], body: Any) -> Any:
            self.followups.append(body)
            return self.message_payload(
                channel_id=MODLOG_ID, author_id=BOT_ID, content=body.get("content") or ""
            )


def _exception(error: FakeHTTPError) -> discord.HTTPException:
    response = _Response(status=error.status, reason="fake", headers=error.headers)
    if error.status == 403:
        return discord.Forbidden(response, error.body())
    if error.status == 404:
        return discord.NotFound(response, error.body())
    if error.status >= 500:
        return discord.DiscordServerError(response, error.body())
    return discord.HTTPException(response, error.body())


class _WebhookAdapter(AsyncWebhookAdapter):
    """Interaction responses and followups, which discord.py sends outside `http.request`."""

    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._fake = fake

    async def request(
        self, route: discord.http.Route, session: Any, *, payload: Any = None, **kwargs: Any
    ) -> Any:
        await asyncio.sleep(0)
        url_path = route.url[len(discord.http.Route.BASE) :].split("?")[0]
        try:
            matched, data = self._fake.handle(route.method, url_path, payload)
        except FakeHTTPError as exc:
            raise _exception(exc) from None
        assert matched == route.path
        return data


def _is_view_timer(task: asyncio.Task[Any]) -> bool:
    """discord.py's per-view timeout timer, which lives as long as the view (not a handler)."""
    return "timeout_task_impl" in getattr(task.get_coro(), "__qualname__", "")


async def settle(within: float = 5.0) -> None:
    """Wait until every task but this one has finished (event handlers, button callbacks)."""
    me = asyncio.current_task()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        await asyncio.sleep(0)
        pending = [
            t for t in asyncio.all_tasks() if t is not me and not t.done() and not _is_view_timer(t)
        ]
        if not pending:
            return
        left = deadline - loop.time()
        if left <= 0:
            raise TimeoutError(f"tasks still running: {[t.get_coro() for t in pending]}")
        await asyncio.wait(pending, timeout=left)
