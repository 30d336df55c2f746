"""Slack's message events in: translated into records, deduped, written down before the ack.

Why messages are accepted in a listener middleware: bolt acks an event (HTTP mode: answers 200)
after the middleware and before the listener, so a message written down there (`Runtime.accept`)
survives a crash after the ack, and a store failure there answers 500, which Slack retries.

Why the adapter dedupes on top of the runtime: one Slack message that mentions the bot arrives
twice (as `app_mention` and as `message`) under two event ids, and a redelivery
(`X-Slack-Retry-Num`) can arrive while the first delivery is still running, before anything is
stored. The runtime's stored event ids make a redelivery after a restart harmless; the adapter's
in-memory LRUs cover the rest.

Opening a thread: a mention at the top of a channel opens one on its own message, and a mention
in a thread the bot does not host yet starts hosting it (`translate.incoming`); a message without
a mention is a turn only in a thread that is hosted, or about to be (its opening accepted and not
decided yet), which `Intake.incoming` works out from the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack import translate
from adapters.slack.client import Lru, Names
from bot.config import SlackSettings
from bot.errors import ShuttingDown
from bot.records import Author, Event, Incoming
from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: The bolt context key under which `accept_message` hands the accepted turn to its listener.
_ACCEPTED: Final = "threadkeeper_accepted"


async def handle(runtime: Runtime, event: Event) -> str:
    """Hand one event to the runtime; the verdict it reached."""
    outcome = await runtime.handle(event)
    log.debug("Slack event %s: %s", event.event_id, outcome.verdict)
    return outcome.verdict


class Intake:
    """`app_mention` and `message` events: the redelivery check, the accept, the turn."""

    def __init__(
        self, *, slack: SlackSettings, names: Names, runtime: Callable[[], Runtime]
    ) -> None:
        self.slack = slack
        self._names = names
        self._runtime = runtime
        self._seen_events = Lru()
        #: Deliveries being answered right now, by Slack's event id (see drop_redelivered).
        self._delivering: dict[str, asyncio.Future[int]] = {}
        self._seen_messages = Lru()

    async def drop_redelivered(
        self,
        req: AsyncBoltRequest,
        body: dict[str, Any],
        next: Callable[[], Awaitable[BoltResponse]],  # bolt injects by this name
    ) -> BoltResponse:
        """Ack and drop a delivery already answered (Slack redelivers what it did not see acked).

        Deliveries are remembered once a message is written down (`accept_message`); the
        message's own id dedupes across processes and restarts (the inbox).
        """
        event_id = body.get("event_id")
        if isinstance(event_id, str) and event_id in self._seen_events:
            retry = (req.headers.get("x-slack-retry-num") or [""])[0]
            log.info("dropping redelivered Slack event %s (retry %s)", event_id, retry or "-")
            return BoltResponse(status=200, body="")
        return await next()

    async def accept_message(
        self,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[BoltResponse]],  # bolt injects by this name
    ) -> BoltResponse:
        """`app_mention` and `message`: translate, and write the turn down before the ack.

        A message that is not a turn, or was accepted already (its twin event, a redelivery to
        this or another process), is acked and dropped here.
        """
        envelope = body.get("event_id")
        envelope = envelope if isinstance(envelope, str) and envelope else None
        first = self._delivering.get(envelope) if envelope else None
        if first is not None:
            # A retry of a delivery still being written down: answer as that one is answered,
            # so a first delivery that fails is not hidden behind a retry acked as a duplicate.
            return BoltResponse(status=await asyncio.shield(first), body="")
        answered: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if envelope:
            self._delivering[envelope] = answered
        status, event = 500, None
        try:
            try:
                event = await self.incoming(body, context)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                # A payload the adapter cannot read: said once and acked, since Slack's retries
                # would bring the same bytes back. Store and network failures are not caught
                # here: those answer 500, and the retry may succeed.
                log.warning(
                    "dropping a Slack event %r the adapter cannot read: %s: %s",
                    str(envelope)[:40],
                    type(exc).__name__,
                    exc,
                )
                event = None
            if event is not None and not await self._runtime().accept(
                event, redelivered_elsewhere=True
            ):
                log.debug("Slack message %s was accepted already", event.event_id)
                event = None
            status = 200
        except ShuttingDown:
            # Stopping: not acked, so Slack delivers it again (another worker, or after restart).
            status = 503
        finally:
            if envelope:
                del self._delivering[envelope]
                if status == 200:
                    self._seen_events.add(envelope)
            answered.set_result(status)
            if status != 200 and event is not None:
                self._seen_messages.discard(event.event_id)
        if status != 200:
            return BoltResponse(status=status, body="")
        if event is None:
            return BoltResponse(status=200, body="")
        context[_ACCEPTED] = event
        return await next()

    async def incoming(self, body: dict[str, Any], context: AsyncBoltContext) -> Incoming | None:
        """The turn a message event makes, or None."""
        msg = translate.parse_message(body, bot_user_id=context.bot_user_id, bot_id=context.bot_id)
        if msg is None:
            return None
        if msg.in_dm and not self.slack.assistant:
            return None  # direct messages are off (slack.assistant = false)
        if msg.kind == "message" and msg.thread_ts is None and not msg.in_dm:
            return None  # top-level chatter in a channel: only a mention opens a thread
        store = self._runtime().store
        key = msg.thread.key
        # Hosted, or about to be: its opening mention may be accepted and not decided yet. The
        # thread is read again after the inbox: the opening may have been decided in between
        # (a thread, once recorded, stays; an accepted message stays until its thread is).
        hosted = await store.load_thread(key) is not None or (
            msg.thread_ts is not None
            and (await store.has_accepted(key) or await store.load_thread(key) is not None)
        )
        author = Author(
            id=msg.user,
            name=await self._names.of(msg.user),
            is_moderator=msg.user in self.slack.moderators,
        )
        event = translate.incoming(
            msg, hosted=hosted, author=author, crisis_regions=self.slack.crisis_regions
        )
        # The message's twin event (see translate.SlackMessage.dedupe_key) has the same event id.
        if event is None or not self._seen_messages.add(event.event_id):
            return None
        return event

    @staticmethod
    def accepted(context: AsyncBoltContext) -> Incoming | None:
        """The turn `accept_message` wrote down for this request's listener, if any."""
        event = context.get(_ACCEPTED)
        return event if isinstance(event, Incoming) else None

    async def on_message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """A message accepted by `accept_message`: the turn."""
        event = context.get(_ACCEPTED)
        if not isinstance(event, Incoming):
            return
        try:
            await handle(self._runtime(), event)
        except BaseException:
            # Let Slack's redelivery (or the next mention) try again.
            self._seen_messages.discard(event.event_id)
            self._forget_delivery(body)
            raise

    def _forget_delivery(self, body: dict[str, Any]) -> None:
        """Forget Slack's delivery id (what the redelivery check remembered): a retry is read."""
        envelope = body.get("event_id")
        if isinstance(envelope, str):
            self._seen_events.discard(envelope)
