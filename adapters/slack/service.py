"""The Slack service: the one object the core and the CLI see, wiring the adapter's parts.

Incoming: bolt verifies the request (HTTP mode) or receives it over Socket Mode (`client`), acks
it, and calls a listener: messages go through `intake` (translated, deduped, written down before
the ack), users' clicks, modal submissions and the slash command through `interactions`, the
moderators' through `moderation`; each hands its record to `Runtime.handle`. Outgoing: the runtime
calls `perform` and `stream_reply`, which `delivery` carries out with the Web API (cases through
`modlog`). `_register` below is the table of which listener gets
which Slack event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from adapters.slack.assistant import Pane
from adapters.slack.client import Connection, Names, check, make_app, make_client
from adapters.slack.delivery import Delivery
from adapters.slack.intake import Intake
from adapters.slack.interactions import Interactions, Moderators
from adapters.slack.moderation import VERBS, Moderation
from adapters.slack.translate import PLATFORM
from bot.adapter import ALL_ACTIONS
from bot.config import Settings, SlackSettings
from bot.records import Action, Case, Incoming, ThreadRef
from bot.runtime import Runtime, utcnow
from bot.store.base import shared

log = logging.getLogger(__name__)


class SlackService:
    """Slack as the core sees it: an Adapter that also connects and feeds the runtime."""

    platform = PLATFORM
    supports = ALL_ACTIONS

    def __init__(
        self,
        *,
        settings: Settings,
        client: AsyncWebClient,
        signing_secret: str | None,
        app_token: str | None = None,
        process_before_response: bool = False,
        host: str = "0.0.0.0",  # HTTP mode must accept Slack's requests
        stream_interval: float = 0.5,
        update_interval: float = 1.0,
        group_cache_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.slack = settings.slack or SlackSettings()
        self.client = client
        self.socket_mode = app_token is not None
        self._signing_secret = signing_secret
        self._runtime: Runtime | None = None
        self.app = make_app(
            settings=settings,
            client=client,
            signing_secret=signing_secret,
            socket_mode=self.socket_mode,
            process_before_response=process_before_response,
        )
        self.connection = Connection(self.app, app_token=app_token, host=host, port=self.slack.port)
        names = Names(client)
        self.moderators = Moderators(
            client=client, slack=self.slack, cache_seconds=group_cache_seconds
        )
        self.delivery = Delivery(
            client=client,
            slack=self.slack,
            names=names,
            runtime=self._attached,
            stream_interval=stream_interval,
            update_interval=update_interval,
        )
        self.intake = Intake(slack=self.slack, names=names, runtime=self._attached)
        self.interactions = Interactions(
            settings=settings,
            client=client,
            delivery=self.delivery,
            names=names,
            moderators=self.moderators,
            runtime=self._attached,
            clock=clock,
        )
        self.pane = Pane(slack=self.slack, client=client, intake=self.intake)
        self.moderation = Moderation(
            slack=self.slack,
            client=client,
            delivery=self.delivery,
            names=names,
            moderators=self.moderators,
            runtime=self._attached,
            clock=clock,
        )
        self.interactions.moderator_verbs = VERBS
        self.interactions.on_moderator_command = self.moderation.on_command
        self._register()

    def _register(self) -> None:
        app, intake, interactions = self.app, self.intake, self.interactions
        moderation = self.moderation
        app.use(intake.drop_redelivered)
        if self.slack.assistant:
            # The pane's events first (its messages are direct messages in a thread); the
            # channel listeners below get the rest, direct messages outside the pane included.
            app.assistant(self.pane.middleware())
        app.event("app_mention", middleware=[intake.accept_message])(intake.on_message)
        app.event("message", middleware=[intake.accept_message])(intake.on_message)
        for action_id in translate.MOD_ACTIONS:
            app.action(action_id)(moderation.on_mod_button)
        app.action(translate.ACTION_END_YES)(interactions.on_end_button)
        app.action(translate.ACTION_END_NO)(interactions.on_end_button)
        app.action(translate.ACTION_APPEAL)(interactions.on_appeal_button)
        app.action(translate.ACTION_BRANCH)(interactions.on_branch_button)
        app.view(translate.VIEW_NOTE)(moderation.on_note)
        app.view(translate.VIEW_DECIDE)(moderation.on_decision)
        app.view(translate.VIEW_APPEAL)(interactions.on_appeal_submission)
        app.command(self.slack.slash_command)(interactions.on_command)

    def attach(self, runtime: Runtime) -> None:
        """Feed events to `runtime` from now on (serve does this; tests call it directly)."""
        self._runtime = runtime

    @property
    def runtime(self) -> Runtime:
        """The runtime events go to; an event before `attach` is a programming error."""
        if self._runtime is None:
            raise RuntimeError("SlackService received an event before attach(runtime)")
        return self._runtime

    def _attached(self) -> Runtime:
        return self.runtime

    @property
    def bound_port(self) -> int | None:
        """The port HTTP mode listens on, once it does."""
        return self.connection.bound_port

    async def serve(self, runtime: Runtime) -> None:
        """Socket Mode with an app token, else HTTP for signed requests; runs until cancelled."""
        self.attach(runtime)
        await self.connection.serve(several=shared(runtime.store) is not None)

    def connected(self) -> bool:
        """True once Socket Mode is connected or HTTP mode listens (for /readyz)."""
        return self.connection.connected

    async def check(self) -> list[str]:
        """auth.test, the token's scopes, the mod-log channel, the moderators: one sentence each."""
        return await check(
            client=self.client,
            slack=self.slack,
            socket_mode=self.socket_mode,
            signing_secret=self._signing_secret,
            read_moderator_group=lambda: self.moderators.members(refresh=True),
        )

    async def is_moderator(self, user: str) -> bool:
        """A configured moderator id, or a member of the moderator user group (cached briefly)."""
        return await self.moderators.is_moderator(user)

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Carry out one of the core's actions (see `Delivery.perform`)."""
        shown = await self.delivery.perform(action, key=key, case=case, retry=retry)
        if self.slack.assistant:
            await self.pane.after(action)
        return shown

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Stream the reply into the thread (see `Delivery.stream_reply`); the raw text."""
        return await self.delivery.stream_reply(thread, chunks, key=key)

    async def _incoming(self, body: dict[str, Any], context: AsyncBoltContext) -> Incoming | None:
        """The turn a message event makes, or None (`Intake.incoming`; tests call it here)."""
        return await self.intake.incoming(body, context)


def make_service(settings: Settings) -> SlackService:
    """The Slack service for these settings, with tokens read from the environment now."""
    slack = settings.slack or SlackSettings()
    return SlackService(
        settings=settings,
        client=make_client(slack.bot_token(), base_url=slack.api_url),
        signing_secret=slack.signing_secret(),
        app_token=slack.app_token(),
    )
