"""The mod log on Slack: each case one top-level message, changed in place, alerted again when due.

A case is posted once to `slack.mod_log_channel`, marked with its action's key (see
`delivery.ACTION_EVENT`), and where it was posted ("channel/ts") goes back to the core, which
keeps it with the case. A change (a moderator acknowledged or resolved it, one more signal was
grouped into it) is shown by `chat.update` of that message, so the log does not fill with copies;
a message that is gone (deleted by someone) is posted anew. A grouped crisis whose ping is due
gets a reply under the case, broadcast to the channel, so the moderators see it again: Slack has
no role ping here, and the bot mentions nobody.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.client import Names, slack_errors
from bot.config import SlackSettings
from bot.errors import DeliveryError
from bot.records import Case, ThreadRef

if TYPE_CHECKING:
    from adapters.slack.delivery import Delivery

log = logging.getLogger(__name__)

#: Slack's answers to chat.update that mean the message is gone: post the case anew.
GONE = ("message_not_found", "cant_update_message", "channel_not_found")


class ModLog:
    """Posts cases to the mod-log channel and shows their changes in place."""

    def __init__(
        self, *, delivery: Delivery, client: AsyncWebClient, slack: SlackSettings, names: Names
    ) -> None:
        self._delivery = delivery
        self._client = client
        self.slack = slack
        self._names = names

    def _channel(self) -> str:
        channel = self.slack.mod_log_channel
        if not channel:
            raise DeliveryError("slack.mod_log_channel is not set", retryable=False)
        return channel

    async def post(
        self, case: Case, *, priority: bool, key: str, retry: bool = False
    ) -> str | None:
        """The case as a top-level mod-log message; "channel/ts" where it was posted.

        None when a retry finds the case already posted by an earlier attempt.
        """
        channel = self._channel()
        payload = {"key": key, "case": case.number}
        if retry and await self._delivery.posted_pieces(channel, thread_ts=None, payload=payload):
            log.info(
                "case %s (%s) is already in the mod log; not posting it again", case.number, key
            )
            return None
        text, blocks = await self._message(case, priority=priority)
        # Looked up above already: a second lookup could only find the same nothing.
        posted = await self._delivery.post_owed(
            channel, [(text, blocks)], thread_ts=None, payload=payload, retry=False
        )
        return f"{channel}/{posted[0]}" if posted else None

    async def update(self, case: Case, *, ping: bool, key: str, retry: bool = False) -> str | None:
        """Show the changed case in place; with `ping`, alert the channel again about it.

        Returns where the case is shown when that changed (it had to be posted anew).
        """
        channel, _, ts = case.post.partition("/")
        moved: str | None = None
        if not (channel and ts):
            moved = await self.post(case, priority=case.priority, key=key, retry=retry)
        else:
            text, blocks = await self._message(case, priority=case.priority)
            try:
                async with slack_errors("chat.update"):
                    await self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            except DeliveryError as exc:
                if not any(gone in str(exc) for gone in GONE):
                    raise
                log.info("case %s is gone from the mod log (%s); posting it anew", case.number, exc)
                moved = await self.post(case, priority=case.priority, key=key, retry=retry)
        if ping and case.waiting:
            where = moved or case.post
            shown_channel, _, shown_ts = where.partition("/")
            if shown_ts:
                await self._delivery.post(
                    shown_channel,
                    render.crisis_followup(case),
                    thread_ts=shown_ts,
                    broadcast=True,
                )
        return moved

    async def _message(self, case: Case, *, priority: bool) -> tuple[str, list[render.Block]]:
        permalink = await self._permalink(case.thread) if case.thread else None
        name = await self._names.of(case.user_id) if case.user_id else None
        shown = case if not priority or case.priority else replace(case, priority=True)
        return render.case_message(
            shown, permalink=permalink, user_name=name if name != case.user_id else None
        )

    async def _permalink(self, thread: ThreadRef) -> str | None:
        try:
            async with slack_errors("chat.getPermalink"):
                resp = await self._client.chat_getPermalink(
                    channel=thread.channel, message_ts=thread.thread
                )
        except DeliveryError as exc:
            log.info("no permalink for %s: %s", thread.key, exc)
            return None
        link = resp.get("permalink")
        return str(link) if link else None
