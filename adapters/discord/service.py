"""The Discord service: the public face `python -m bot run` starts, wiring the adapter's parts.

`DiscordService` is the core's `Service` for Discord. It owns the discord.py client (`client`:
connection, login, shards) and hands each part what it needs: `intake` turns gateway messages
into turns and opened threads, `interactions` turns clicks, forms and slash commands into the
core's commands, and `delivery` carries out the core's actions. `hosting` (which server each
event comes from) and `threads` (each thread's parent) are shared by all three.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import discord

from adapters.discord import client as connection
from adapters.discord import moderation, translate
from adapters.discord.client import LOGIN_BACKOFF, TRANSIENT_BACKOFF, make_client
from adapters.discord.components import DYNAMIC_ITEMS, CaseVerb
from adapters.discord.delivery import EDIT_INTERVAL, Delivery, Throttle
from adapters.discord.intake import Hosting, Intake, Threads
from adapters.discord.interactions import Interactions, add_commands
from adapters.discord.moderation import Moderation
from bot.adapter import ALL_ACTIONS
from bot.config import DiscordServer, DiscordSettings, Settings
from bot.errors import ConfigError
from bot.records import Action, Case, ThreadRef
from bot.runtime import Runtime

log = logging.getLogger(__name__)


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
        transient_backoff: tuple[float, ...] = TRANSIENT_BACKOFF,
        **client_options: Any,
    ) -> None:
        if settings.discord is None:
            raise ValueError("the [discord] section is not configured")
        self.settings = settings
        self.config: DiscordSettings = settings.discord
        self.client = make_client(self, self.config, **client_options)
        self.runtime: Runtime | None = None
        self.hosting = Hosting(client=self.client, config=self.config)
        #: Every hosted server; a server is known by the server (guild) of its mod-log channel.
        self.servers: tuple[DiscordServer, ...] = self.hosting.servers
        self.threads = Threads(client=self.client, backoff=transient_backoff)
        self.intake = Intake(
            client=self.client,
            hosting=self.hosting,
            threads=self.threads,
            backoff=transient_backoff,
        )
        self.interactions = Interactions(
            client=self.client, settings=settings, hosting=self.hosting, threads=self.threads
        )
        self.moderation = Moderation(base=self.interactions)
        self.delivery = Delivery(
            client=self.client,
            hosting=self.hosting,
            threads=self.threads,
            edit_interval=edit_interval,
        )
        self._login_backoff = login_backoff
        self._setup_done = False

    @property
    def throttle(self) -> Throttle:
        """The streaming replies' edit throttle (one write per interval per thread)."""
        return self.delivery.throttle

    @throttle.setter
    def throttle(self, value: Throttle) -> None:
        self.delivery.throttle = value

    @property
    def _parents(self) -> dict[int, int]:
        """Thread id to parent channel id, as far as this process knows (for tests)."""
        return self.threads.parents

    @property
    def _guild_servers(self) -> dict[int, DiscordServer]:
        """Guild id to its configured server, as far as this process knows (for tests)."""
        return self.hosting.guild_servers

    # --- lifecycle -------------------------------------------------------------------------------

    def attach(self, runtime: Runtime) -> None:
        """Give the service the runtime that events are fed to."""
        self.runtime = runtime
        self.intake.runtime = runtime
        self.interactions.runtime = runtime

    async def setup(self) -> None:
        """Register the buttons that outlive restarts, and the slash commands."""
        if self._setup_done:
            return
        self._setup_done = True
        self.client.add_dynamic_items(*DYNAMIC_ITEMS)
        add_commands(self.interactions)  # every process runs the commands of its shards' servers
        moderation.add_commands(self.moderation)
        await connection.sync_commands(self.client, config=self.config)

    async def login(self) -> None:
        """Log in over HTTP, backing off exponentially on errors that may pass."""
        await connection.login(self.client, config=self.config, backoff=self._login_backoff)

    def connected(self) -> bool:
        """True while the gateway session is ready (for /readyz)."""
        return self.client.is_ready() and not self.client.is_closed()

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
            try:
                problems += await self.hosting.check_server(server, user_id=user.id, guilds=guilds)
            except (KeyError, TypeError, ValueError) as exc:  # a REST payload not in its form
                problems.append(
                    f"Could not read what Discord answered about the server of mod-log channel "
                    f"{server.mod_log_channel} ({type(exc).__name__}: {exc})."
                )
        return problems

    async def serve(self, runtime: Runtime) -> None:
        """Connect to the gateway and feed events to the runtime until cancelled."""
        self.attach(runtime)
        try:
            await self.login()
            await self.client.connect(reconnect=True)
        except discord.LoginFailure:
            # One sentence and a clean exit, not a traceback: nothing but a new token helps.
            raise ConfigError(
                [
                    f"discord.token_env: Discord refused the bot token in {self.config.token_env}"
                    "; copy a fresh one from the Developer Portal (Bot, Reset Token)."
                ]
            ) from None
        except discord.PrivilegedIntentsRequired:
            log.error(
                "Discord refused the Message Content intent: enable it in the Developer Portal "
                "(Bot, Privileged Gateway Intents)"
            )
            raise
        finally:
            await self.client.close()

    # --- events in (the client's hooks) ----------------------------------------------------------

    def remember(self, thread: discord.Thread) -> None:
        """Note a thread's parent channel."""
        self.threads.remember(thread)

    async def on_message(self, message: discord.Message) -> None:
        """A mention opens a thread; a message in a hosted thread is a turn; the rest is ignored."""
        await self.intake.on_message(message)

    async def on_case_button(
        self, interaction: discord.Interaction[Any], *, verb: CaseVerb, case: int
    ) -> None:
        """A moderator's button on a case (Unlock, Resolve, Acknowledge, ...): moderators only."""
        await self.moderation.on_case_button(interaction, verb=verb, case=case)

    async def on_end_button(
        self, interaction: discord.Interaction[Any], *, confirmed: bool, user_id: str
    ) -> None:
        """Yes or No to "end this thread?", from the user who asked and nobody else."""
        await self.interactions.on_end_button(interaction, confirmed=confirmed, user_id=user_id)

    async def on_appeal_button(
        self, interaction: discord.Interaction[Any], *, user_id: str
    ) -> None:
        """Appeal on a lock notice: the locked user gets the form; anyone else a private no."""
        await self.interactions.on_appeal_button(interaction, user_id=user_id)

    async def on_branch_button(
        self, interaction: discord.Interaction[Any], *, user_id: str
    ) -> None:
        """Continue from before: a new public thread in the same channel, with the earlier turns."""
        await self.interactions.on_branch_button(interaction, user_id=user_id)

    # --- actions out -----------------------------------------------------------------------------

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Carry out one fixed-text action on Discord; for a case, where it is shown."""
        return await self.delivery.perform(action, key=key, case=case, retry=retry)

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Post the reply's first words, then edit as it grows (throttled), splitting at 2,000."""
        return await self.delivery.stream_reply(thread, chunks, key=key)


def make_service(settings: Settings) -> DiscordService:
    """The Discord service for `python -m bot run`."""
    return DiscordService(settings)
