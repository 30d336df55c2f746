"""Slack's moderators in: the mod log's buttons, their forms, and the slash command's verbs.

A moderator (a configured id, or a member of the moderator user group: see
`interactions.Moderators`) works the review queue here: `/threadkeeper cases` lists it, each
case's buttons decide it (Acknowledge at once; Unlock, Uphold, Resolve, Close thread and Pardon
through a short form whose reason the user is told, optional except for a closing; Note through
its own form), and the slash command's verbs do the same by case number or thread link. Each
becomes a `ModCommand` for the core. Every answer is private: the core's refusals reach the
moderator as ephemeral messages (see `delivery.Delivery._to_moderator`), and so does "Done".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render, translate
from adapters.slack.client import Names, slack_errors
from adapters.slack.delivery import Delivery
from adapters.slack.intake import handle
from adapters.slack.interactions import Moderators
from bot import notices
from bot.config import SlackSettings
from bot.records import Author, ModCommandKind, ThreadRef
from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: Verdicts of a moderator command that did something, and how the moderator is told.
DONE = {
    "unlock": "reopened the thread",
    "uphold": "upheld the closing",
    "note": "added the note",
    "pardon": "pardoned the user",
    "mod_lock": "closed the thread",
    "acknowledge": "acknowledged",
    "resolve": "resolved",
}
#: The slash command's verbs for moderators.
VERBS = frozenset(
    {"case", "cases", "ack", "acknowledge", "resolve", "lock", "unlock", "uphold", "note", "pardon"}
)


class Moderation:
    """The listeners for the moderators' buttons, forms and slash-command verbs."""

    def __init__(
        self,
        *,
        slack: SlackSettings,
        client: AsyncWebClient,
        delivery: Delivery,
        names: Names,
        moderators: Moderators,
        runtime: Callable[[], Runtime],
        clock: Callable[[], datetime],
    ) -> None:
        self.slack = slack
        self._client = client
        self._delivery = delivery
        self._names = names
        self._moderators = moderators
        self._runtime = runtime
        self._clock = clock

    # --- buttons and forms ------------------------------------------------------------------------

    async def on_mod_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """A case button: moderators only; Acknowledge acts at once, the others ask for words."""
        await ack()
        action = translate.block_action(body)
        action_id = str(action.get("action_id"))
        command = translate.MOD_ACTIONS[action_id]
        button = translate.parse_case_button(str(action.get("value") or ""))
        user = translate.user_of(body)
        origin = translate.click_origin(body)
        if button is None:
            log.warning("ignoring a mod-log click with a value this bot did not write")
            return
        if not await self._moderators.is_moderator(user):
            log.info("refused %s on case %s by non-moderator %s", command, button.case, user)
            await self._delivery.ephemeral(
                origin, user=user, text=notices.NOT_A_MODERATOR, in_thread=False
            )
            return
        if command == "acknowledge":
            await self._moderate(
                command=command,
                event_id=translate.click_event_id(body),
                user=user,
                button=button,
                origin=origin,
            )
            return
        metadata = json.dumps(
            {
                "value": action.get("value"),
                "action": action_id,
                "channel": origin.channel,
                "ts": origin.thread,
                "team": origin.workspace,
            }
        )
        view = (
            render.note_modal(metadata=metadata, case=button.case or 0)
            if command == "note"
            else render.decide_modal(metadata=metadata, case=button.case, action_id=action_id)
        )
        async with slack_errors("views.open"):
            await self._client.views_open(trigger_id=str(body.get("trigger_id")), view=view)

    async def on_note(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The Note form's submission: the moderator's text becomes a note case."""
        values = view.get("state", {}).get("values", {})
        note = str(values.get("note", {}).get("note", {}).get("value") or "").strip()
        if not note:
            await ack(response_action="errors", errors={"note": notices.NEEDS_NOTE})
            return
        await self._submitted(ack, body, view, command="note", words=note, field="note")

    async def on_decision(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The form behind a deciding button: its reason goes with the button's command."""
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        command = translate.MOD_ACTIONS.get(str(meta.get("action") or ""))
        if command is None:
            await ack()
            log.warning("ignoring a decision whose form metadata this bot did not write")
            return
        reason = translate.decision_reason(view)
        if command == "lock" and not reason:
            await ack(
                response_action="errors", errors={translate.REASON_INPUT: notices.NEEDS_REASON}
            )
            return
        await self._submitted(
            ack, body, view, command=command, words=reason, field=translate.REASON_INPUT
        )

    async def _submitted(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        *,
        command: ModCommandKind,
        words: str,
        field: str,
    ) -> None:
        user = translate.user_of(body)
        if not await self._moderators.is_moderator(user):
            await ack(response_action="errors", errors={field: notices.NOT_A_MODERATOR})
            return
        await ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        button = translate.parse_case_button(str(meta.get("value") or ""))
        if button is None:
            log.warning("ignoring a form whose metadata this bot did not write")
            return
        origin = translate.thread_ref(
            team=str(meta.get("team") or translate.team_of(body)),
            channel=str(meta.get("channel") or self.slack.mod_log_channel),
            ts=str(meta.get("ts") or ""),
        )
        await self._moderate(
            command=command,
            event_id=f"slack-view:{view.get('id')}",
            user=user,
            button=button,
            origin=origin,
            note=words,
        )

    async def _moderate(
        self,
        *,
        command: ModCommandKind,
        event_id: str,
        user: str,
        button: translate.CaseButton,
        origin: ThreadRef,
        note: str = "",
        target_user: str | None = None,
    ) -> None:
        """Run a moderator's command; tell the moderator privately that it was done."""
        moderator = Author(id=user, name=await self._names.of(user), is_moderator=True)
        event = translate.mod_command(
            event_id=event_id,
            command=command,
            moderator=moderator,
            button=button,
            origin=origin,
            at=self._clock(),
            note=note,
            user_id=target_user,
        )
        verdict = await handle(self._runtime(), event)
        if verdict in DONE:
            on = f" case #{button.case}" if button.case is not None else ""
            await self._delivery.ephemeral(
                origin,
                user=user,
                text=f"Done:{on} {DONE[verdict]}. It is in the mod log and the audit log.",
                in_thread=False,
            )

    # --- the slash command's verbs ----------------------------------------------------------------

    async def on_command(
        self, ack: AsyncAck, body: dict[str, Any], verb: str, args: list[str]
    ) -> None:
        """A moderator's verb of the slash command; every answer is ephemeral."""
        user = translate.user_of(body)
        team = translate.team_of(body)
        channel = str(body.get("channel_id") or "")
        name = self.slack.slash_command
        if not await self._moderators.is_moderator(user):
            await ack(response_type="ephemeral", text=notices.NOT_A_MODERATOR)
            return
        store = self._runtime().store
        if verb == "cases":
            cases = await store.cases(workspace=team, limit=100_000)
            await ack(response_type="ephemeral", text=render.queue_text(cases, now=self._clock()))
            return
        number = translate.case_number(args[0]) if args else None
        if verb == "case":
            case = await store.case(workspace=team, number=number) if number is not None else None
            await ack(
                response_type="ephemeral",
                text=render.case_text(case) if case else f"Usage: `{name} case N`",
            )
            return
        # Answers and refusals go to the channel the command was typed in, to this moderator.
        here = translate.thread_ref(team=team, channel=channel, ts="")
        rest = " ".join(args[1:])
        button: translate.CaseButton | None = None
        target_user: str | None = None
        if verb in ("ack", "acknowledge", "resolve", "note") and number is not None:
            button = translate.CaseButton(case=number, thread=None)
        elif verb in ("lock", "unlock", "uphold") and args:
            thread = translate.thread_target(args[0], team=team, channel=channel)
            if thread is not None:
                button = translate.CaseButton(case=None, thread=thread)
            elif verb == "uphold" and number is not None:
                button = translate.CaseButton(case=number, thread=None)
        elif verb == "pardon" and args:
            target_user = translate.user_target(args[0])
            if target_user is not None or number is not None:
                button = translate.CaseButton(case=None if target_user else number, thread=None)
        if button is None:
            await ack(response_type="ephemeral", text=USAGE[verb].format(command=name))
            return
        await ack()  # the core's answer (done, or why not) arrives as an ephemeral message
        command: ModCommandKind = "acknowledge" if verb == "ack" else verb  # type: ignore[assignment]
        await self._moderate(
            command=command,
            event_id=f"slack-command:{body.get('trigger_id')}",
            user=user,
            button=button,
            origin=here,
            note=rest,
            target_user=target_user,
        )


USAGE = {
    "ack": "Usage: `{command} ack N [reason]`",
    "acknowledge": "Usage: `{command} acknowledge N [reason]`",
    "resolve": "Usage: `{command} resolve N [what was done]`",
    "note": "Usage: `{command} note N <text>`",
    "lock": "Usage: `{command} lock <thread link or ts> <reason the user reads>`",
    "unlock": "Usage: `{command} unlock <thread link or ts> [reason]`",
    "uphold": "Usage: `{command} uphold <thread link, ts or case N> [reason]`",
    "pardon": "Usage: `{command} pardon <@user or case N> [reason]`",
}
