"""Slack's interactivity in from users: buttons, modals, the slash command, and who may moderate.

Each click, submission or command becomes a record for the core (an end confirmation, a branch,
an appeal), or is answered here privately when it is not allowed (a button pressed by the wrong
person); a value this bot did not write is logged and ignored. Who is a moderator (`Moderators`)
is decided here: the configured ids and the members of the moderator user group. The moderators'
buttons, forms and verbs of the slash command are handled by `moderation`.

Appeals: the lock notice's Appeal button opens a modal; its submission (or `/threadkeeper appeal`)
becomes an `Appeal` for the core, whose answers reach the user as ephemeral messages.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render, translate
from adapters.slack.client import Names, slack_errors
from adapters.slack.delivery import Delivery
from adapters.slack.intake import handle
from adapters.slack.translate import PLATFORM
from bot import notices
from bot.config import Settings, SlackSettings
from bot.errors import DeliveryError
from bot.records import Author, ThreadRef
from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: The appeal modal's answer to an empty statement.
APPEAL_NEEDS_STATEMENT = "Please write a few words for the moderators."


class Moderators:
    """Who may moderate: the configured ids, and the moderator user group's members."""

    def __init__(
        self, *, client: AsyncWebClient, slack: SlackSettings, cache_seconds: float = 60.0
    ) -> None:
        self._client = client
        self.slack = slack
        self._group_ttl = cache_seconds
        self._group: tuple[float, frozenset[str]] | None = None

    async def is_moderator(self, user: str) -> bool:
        """A configured moderator id, or a member of the moderator user group (cached briefly)."""
        if user in self.slack.moderators:
            return True
        if not self.slack.moderator_group:
            return False
        try:
            return user in await self.members()
        except DeliveryError as exc:
            log.warning("could not read the moderator group (%s); refusing", exc)
            return False

    async def members(self, *, refresh: bool = False) -> frozenset[str]:
        """The moderator group's members, read from Slack with `refresh` or once stale."""
        now = time.monotonic()
        if not refresh and self._group is not None and now - self._group[0] < self._group_ttl:
            return self._group[1]
        async with slack_errors("usergroups.users.list"):
            resp = await self._client.usergroups_users_list(usergroup=self.slack.moderator_group)
        members = frozenset(str(u) for u in resp.get("users") or [])
        self._group = (now, members)
        return members


class Interactions:
    """The listeners for buttons, modals and the slash command."""

    def __init__(
        self,
        *,
        settings: Settings,
        client: AsyncWebClient,
        delivery: Delivery,
        names: Names,
        moderators: Moderators,
        runtime: Callable[[], Runtime],
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.slack = settings.slack or SlackSettings()
        self._client = client
        self._delivery = delivery
        self._names = names
        self._moderators = moderators
        self._runtime = runtime
        self._clock = clock
        #: The moderators' verbs of the slash command, and who handles them (`moderation`).
        self.moderator_verbs: frozenset[str] = frozenset()
        self.on_moderator_command: (
            Callable[[AsyncAck, dict[str, Any], str, list[str]], Awaitable[None]] | None
        ) = None

    # --- buttons and modals -----------------------------------------------------------------------

    async def on_end_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Yes/No on "end this thread?": only the user who asked may answer."""
        await ack()
        action = translate.block_action(body)
        parsed = translate.parse_end_button(str(action.get("value") or ""))
        if parsed is None:
            return
        allowed, thread = parsed
        user = translate.user_of(body)
        if user != allowed:
            await self._delivery.ephemeral(
                thread, user=user, text="Only the person who asked can answer this.", in_thread=True
            )
            return
        confirmed = action.get("action_id") == translate.ACTION_END_YES
        event = translate.end_confirmation(
            event_id=translate.click_event_id(body),
            thread=thread,
            author=Author(id=user, name=await self._names.of(user)),
            confirmed=confirmed,
            at=self._clock(),
        )
        verdict = await handle(self._runtime(), event)
        if verdict in ("end", "end_cancelled"):
            origin = translate.click_origin(body)
            async with slack_errors("chat.update"):
                await self._client.chat_update(
                    channel=origin.channel,
                    ts=origin.thread,
                    text=render.escape(notices.CONFIRM_END),
                    blocks=render.answered(notices.CONFIRM_END, confirmed=confirmed),
                )

    async def on_appeal_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Appeal on a lock notice: only the locked user may press it; it opens the appeal modal."""
        await ack()
        action = translate.block_action(body)
        parsed = translate.parse_appeal_button(str(action.get("value") or ""))
        if parsed is None:
            log.warning("ignoring an Appeal click with a value this bot did not write")
            return
        allowed, thread = parsed
        user = translate.user_of(body)
        if user != allowed:
            await self._delivery.ephemeral(
                thread, user=user, text=notices.APPEAL_NOT_YOURS, in_thread=True
            )
            return
        metadata = json.dumps({"thread": thread.key, "user": allowed})
        async with slack_errors("views.open"):
            await self._client.views_open(
                trigger_id=str(body.get("trigger_id")),
                view=render.appeal_modal(metadata=metadata),
            )

    async def on_branch_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Continue from before on a lock notice: a new top-level message in the same channel,
        whose thread carries the turns from before the first strike. Only the locked user."""
        await ack()
        action = translate.block_action(body)
        parsed = translate.parse_appeal_button(str(action.get("value") or ""))
        if parsed is None:
            log.warning("ignoring a Continue click with a value this bot did not write")
            return
        allowed, thread = parsed
        user = translate.user_of(body)
        if user != allowed:
            await self._delivery.ephemeral(
                thread, user=user, text=notices.BRANCH_NOT_YOURS, in_thread=True
            )
            return
        # The new message goes out only for a thread that can be branched, so a stale button
        # leaves nothing behind; the core decides again.
        state = await self._runtime().store.load_thread(thread.key)
        if state is None or state.status != "locked" or state.owner != user:
            await self._delivery.ephemeral(
                thread, user=user, text=notices.BRANCH_NOT_LOCKED, in_thread=True
            )
            return
        ts = await self._delivery.post(thread.channel, render.BRANCH_ANNOUNCEMENT.format(user=user))
        event = translate.branch(
            event_id=translate.click_event_id(body),
            thread=thread,
            new_ts=ts,
            author=Author(id=user, name=await self._names.of(user)),
            at=self._clock(),
        )
        await handle(self._runtime(), event)

    async def on_appeal_submission(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        """The appeal modal's submission: an Appeal for the core, answered privately by it."""
        user = translate.user_of(body)
        statement = translate.appeal_statement(view)
        if not statement:
            await ack(
                response_action="errors",
                errors={translate.APPEAL_INPUT: APPEAL_NEEDS_STATEMENT},
            )
            return
        await ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            key = meta.get("thread") if isinstance(meta, dict) else None
            thread = ThreadRef.from_key(str(key or ""))
        except ValueError:
            log.warning("ignoring an appeal whose modal metadata this bot did not write")
            return
        await self._appeal(
            event_id=f"slack-view:{view.get('id')}", thread=thread, user=user, statement=statement
        )

    async def _appeal(self, *, event_id: str, thread: ThreadRef, user: str, statement: str) -> None:
        """Hand an appeal to the core; its answers (sent, refused) reach the user ephemerally."""
        if thread.platform != PLATFORM:
            log.warning("ignoring an appeal for a %s thread", thread.platform)
            return
        event = translate.appeal(
            event_id=event_id,
            thread=thread,
            author=Author(id=user, name=await self._names.of(user)),
            statement=statement,
            at=self._clock(),
        )
        await handle(self._runtime(), event)

    # --- the slash command ------------------------------------------------------------------------

    async def on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """`/threadkeeper policy|status|appeal <thread> <why>`, and the moderators' verbs (handed
        to `moderation`); answers are ephemeral."""
        cmd = translate.parse_slash(str(body.get("text") or ""))
        user = translate.user_of(body)
        team = translate.team_of(body)
        channel = str(body.get("channel_id") or "")
        name = self.slack.slash_command
        if cmd.verb == "policy":
            await ack(response_type="ephemeral", text=render.escape(self._runtime().policy_text()))
            return
        if cmd.verb == "status":
            await ack(
                response_type="ephemeral",
                text=await self._status(cmd.args, user=user, team=team, channel=channel),
            )
            return
        if cmd.verb == "appeal":
            target = (
                translate.thread_target(cmd.args[0], team=team, channel=channel)
                if cmd.args
                else None
            )
            statement = " ".join(cmd.args[1:]).strip()
            if target is None or not statement:
                await ack(
                    response_type="ephemeral",
                    text=f"Usage: `{name} appeal <thread link or ts> <why it should be reopened>`",
                )
                return
            await ack()  # the core's answer arrives as an ephemeral message in the thread
            await self._appeal(
                event_id=f"slack-command:{body.get('trigger_id')}",
                thread=target,
                user=user,
                statement=statement[: translate.APPEAL_LIMIT],
            )
            return
        if cmd.verb in self.moderator_verbs and self.on_moderator_command is not None:
            await self.on_moderator_command(ack, body, cmd.verb, list(cmd.args))
            return
        await ack(response_type="ephemeral", text=render.help_text(name))

    async def _status(self, args: Sequence[str], *, user: str, team: str, channel: str) -> str:
        """A thread's state: the one named, else the caller's most recent in this channel."""
        if args:
            target = translate.thread_target(args[0], team=team, channel=channel)
            state = await self._runtime().store.load_thread(target.key) if target else None
        else:
            mine = [
                t
                for t in await self._runtime().store.threads(platform=PLATFORM, limit=500)
                if t.owner == user and t.ref.workspace == team and t.ref.channel == channel
            ]
            state = max(mine, key=lambda t: t.opened_at) if mine else None
        if state is None:
            return "No thread of this bot found there. Give a thread link or its ts."
        if state.owner != user and not await self._moderators.is_moderator(user):
            return "You can see the status of your own threads only."
        return render.status_text(
            state, policy=self.settings.policy, command=self.slack.slash_command
        )
