"""Slack's assistant pane (the AI-app split view) and direct messages: the same moderated threads.

A person who opens the app's pane, or writes to the app in a direct message, gets a thread the
core moderates exactly as it does a channel thread: one core, one ladder, the same locks, crisis
path and mod-log cases. Only the edges differ, and they live here:

- bolt's own `AsyncAssistant` middleware routes the pane's events: `assistant_thread_started`
  (the pane opened: the suggested prompts and their heading from config are set), the context
  changes (not used: the bot does not read the channel a person is looking at), and each user
  message in a pane thread, which goes through the channel threads' intake (`Intake.accept_message`
  as its listener middleware: written down before the ack, deduped) and is then the turn.
- While the turn is assessed and answered, the pane shows the configured "thinking" status
  (`assistant.threads.setStatus`); it is cleared when the turn is over, whatever became of it.
- When the core closes a pane thread (a lock, or an end the person asked for) the chat's title
  becomes the reviewed `notices.PANE_CLOSED_TITLE`, and a moderator's unlock sets
  `notices.PANE_REOPENED_TITLE`: titles come from config and `bot/notices.py`, never the model.

A direct message outside a pane thread (the app's Messages tab) takes the channel listener's way:
`translate.incoming` opens a thread on it. Every call made here is best effort: a status, a title
or a prompt list that Slack refuses is logged and costs the person nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import (
    AsyncAssistant,
    AsyncBoltContext,
    AsyncSetStatus,
    AsyncSetSuggestedPrompts,
)
from slack_bolt.middleware.async_custom_middleware import AsyncCustomMiddleware
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.intake import Intake
from bot import notices
from bot.config import SlackSettings
from bot.records import Action, ThreadRef

log = logging.getLogger(__name__)

#: Slack's direct-message channel ids start with D: the pane's threads live in one.
DM_PREFIX = "D"


def in_dm(thread: ThreadRef) -> bool:
    """True for a thread in a direct message with the app (the pane's, or the Messages tab's)."""
    return thread.channel.startswith(DM_PREFIX)


async def _quietly(what: str, call: Callable[[], Awaitable[object]]) -> bool:
    """Make one cosmetic Web API call; a refusal or a network error is logged, never raised."""
    try:
        await call()
    except SlackApiError as exc:
        data = getattr(exc.response, "data", None)
        error = data.get("error") if isinstance(data, dict) else None
        log.warning("Slack refused %s (%s); carrying on without it", what, error or exc)
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not reach Slack for %s (%s)", what, type(exc).__name__)
        return False
    return True


class Pane:
    """The assistant pane's events in, and its status, prompts and titles out."""

    def __init__(self, *, slack: SlackSettings, client: AsyncWebClient, intake: Intake) -> None:
        self.slack = slack
        self._client = client
        self._intake = intake

    def middleware(self) -> AsyncAssistant:
        """bolt's assistant middleware with this pane's listeners (for `app.assistant`)."""
        assistant = AsyncAssistant(app_name=self.slack.slash_command, logger=log)
        assistant.thread_started(self.on_thread_started)
        # A listener of our own replaces bolt's default, which would save the viewed channel in
        # the metadata of the bot's first reply (two Web API calls per channel switch) for
        # nothing: the core never reads it.
        assistant.thread_context_changed(self.on_context_changed)
        # The turn is written down (accept_message) before bolt acks, as in channel threads.
        # The assistant's listeners take middleware objects (app.event wraps functions itself).
        accept = AsyncCustomMiddleware(
            app_name=self.slack.slash_command, func=self._intake.accept_message, base_logger=log
        )
        # bolt annotates `middleware` as one middleware; its code takes (and extends) a list.
        assistant.user_message(middleware=[accept])(self.on_user_message)  # type: ignore[arg-type]
        return assistant

    async def on_thread_started(self, set_suggested_prompts: AsyncSetSuggestedPrompts) -> None:
        """The pane opened: offer the configured prompts under their heading."""
        prompts = [{"title": p, "message": p} for p in self.slack.assistant_prompts]
        if not prompts:
            return
        await _quietly(
            "the suggested prompts",
            lambda: set_suggested_prompts(
                prompts=prompts, title=self.slack.assistant_prompts_title
            ),
        )

    async def on_context_changed(self) -> None:
        """The person moved to another channel with the pane open: nothing to do (acked)."""

    async def on_user_message(
        self, body: dict[str, Any], context: AsyncBoltContext, set_status: AsyncSetStatus
    ) -> None:
        """A message in a pane thread, accepted already: the turn, under the "thinking" status."""
        event = self._intake.accepted(context)
        if event is None:
            return
        await _quietly("the thinking status", lambda: set_status(self.slack.assistant_status))
        try:
            if event.opens_thread and self.slack.assistant_title:
                await self.set_title(event.thread, self.slack.assistant_title)
            await self._intake.on_message(body, context)
        finally:
            # Slack clears the status when the bot posts, but a turn may post nothing (a closed
            # thread's reminder is ephemeral): clear it, so the pane never thinks forever.
            await _quietly("clearing the status", lambda: set_status(""))

    async def after(self, action: Action) -> None:
        """After the core's action in a pane thread: the chat's title says it closed or reopened."""
        if not in_dm(action.thread):
            return
        if action.kind in ("lock", "end"):
            await self.set_title(action.thread, notices.PANE_CLOSED_TITLE)
        elif action.kind == "unlock":
            await self.set_title(action.thread, notices.PANE_REOPENED_TITLE)

    async def set_title(self, thread: ThreadRef, title: str) -> None:
        """The chat's title in the pane's history (assistant.threads.setTitle), best effort."""
        await _quietly(
            "the chat title",
            lambda: self._client.assistant_threads_setTitle(
                channel_id=thread.channel, thread_ts=thread.thread, title=title
            ),
        )
