"""The inbox: write a message down before the platform is acked, then decide it in accept order.

A platform that acks before the turn is done (Slack) first has the message accepted: written to
the store's inbox, so that a crash between the ack and the decision loses nothing (the next
start, or another process once the lease runs out, takes it up), and so that, under the thread's
lock, the thread's messages are decided in the order they were accepted, whichever process took
each: a message drains the thread's earlier accepted ones before its own turn. A message whose
turn keeps failing is given up after MAX_RECOVERIES tries rather than tried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from bot import notices
from bot.errors import StoreError
from bot.records import Incoming
from bot.runtime.delivery import Delivery
from bot.runtime.lanes import Lanes
from bot.runtime.turn import Turns
from bot.runtime.wiring import HANDLING, RECOVER_BATCH, Outcome, Stage, Wiring
from bot.store.base import AcceptedEvent, SharedStore, TurnReads
from bot.store.codec import incoming_from_json, incoming_to_json

log = logging.getLogger(__name__)

#: Verdicts of a message handled without committing a decision (so it leaves the inbox by hand).
UNDECIDED = frozenset({"not_hosted", "not_a_turn"})
#: Times recovery takes up an accepted message whose turn keeps failing before giving it up.
MAX_RECOVERIES = 3


class Inbox(Stage):
    """Accepts messages before the ack, and decides accepted ones in their thread's order."""

    def __init__(self, *, wiring: Wiring, lanes: Lanes, turns: Turns, delivery: Delivery) -> None:
        super().__init__(wiring=wiring)
        self._lanes = lanes
        self._turns = turns
        self._delivery = delivery
        #: Messages this process accepted (wrote to the inbox) and has not yet handled.
        self._accepted: set[str] = set()
        #: Accepted messages taken up again by recovery (a failure is not announced again).
        self._recovering: set[str] = set()

    async def accept(self, msg: Incoming) -> bool:
        """Write a message to the store's inbox; False for a duplicate (see `Runtime.accept`)."""
        try:
            accepted = await self.store.accept_event(
                msg.event_id,
                thread_key=msg.thread.key,
                payload=json.dumps(incoming_to_json(msg), separators=(",", ":")),
                at=self.clock(),
            )
        except StoreError:
            # Not written down, so not acked: the platform delivers it again. Say so meanwhile.
            await self._delivery.tell_quietly(msg, notices.TURN_FAILED)
            raise
        if accepted:
            self._accepted.add(msg.event_id)
        return accepted

    def held(self) -> list[str]:
        """The messages accepted here and not yet handled, for lease renewal."""
        return sorted(self._accepted)

    def holds(self, event_id: str) -> bool:
        """Whether this process accepted the message and has not yet handled it."""
        return event_id in self._accepted

    async def recover(
        self, several: SharedStore | None, *, handle: Callable[[Incoming], Awaitable[Outcome]]
    ) -> int:
        """Decide the messages a dead process (or this one, before a restart) accepted.

        Each goes through `handle` (the Runtime's entry point), so that it is deduplicated and
        counted in flight like any other event.
        """
        if several is not None:
            pending = await several.claim_accepted(
                several.owner, limit=RECOVER_BATCH, lease=several.lease
            )
        else:
            pending = await self.store.accepted_events(limit=RECOVER_BATCH)
        if pending:
            log.info("deciding %d accepted messages from before the restart", len(pending))
        by_thread: dict[str, list[AcceptedEvent]] = {}
        for item in pending:
            by_thread.setdefault(item.thread_key, []).append(item)

        async def one_thread(items: list[AcceptedEvent]) -> int:
            # In accept order within the thread; threads side by side, so one slow thread (its
            # lock held elsewhere) does not hold up the rest.
            handled = 0
            for item in items:
                if item.attempts > MAX_RECOVERIES:
                    log.error(
                        "accepted event %s failed %d times; given up", item.event_id, item.attempts
                    )
                    await self.store.forget_event(item.event_id)
                    continue
                try:
                    msg = incoming_from_json(json.loads(item.payload))
                except ValueError as exc:
                    log.error("accepted event %s does not load (%s); dropped", item.event_id, exc)
                    await self.store.forget_event(item.event_id)
                    continue
                self._accepted.add(msg.event_id)
                self._recovering.add(msg.event_id)
                outcome = await handle(msg)
                handled += outcome.verdict != "duplicate"
            return handled

        results = await asyncio.gather(
            *(one_thread(items) for items in by_thread.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                # The message stays accepted (a store error) or was dropped (anything else).
                log.error("deciding an accepted message failed: %r", result)
        return sum(r for r in results if isinstance(r, int))

    async def accepted_turn(self, msg: Incoming) -> Outcome:
        """An accepted message: in its lane, decide the thread's earlier accepted ones first.

        On a store error the message stays accepted and the user is told (once, and only if
        its decision was not committed): its lease lapses, and the next start or a sweep tries
        it again, up to MAX_RECOVERIES times. On any other error it is dropped, so that a
        message that breaks something is not tried forever.
        """
        try:
            async with await self._lanes(msg.thread.key):
                # The thread's pending messages come with the turn's reads, in one store call.
                reads = await self._turns.read(msg, pending=True)
                pending = reads.pending
                if pending is None:
                    # Decided already: by the thread's next message, here or elsewhere. (A
                    # redelivery accepted during that decision's commit may have left a row.)
                    await self.store.forget_event(msg.event_id)
                    return Outcome(verdict="duplicate")
                for earlier in pending[:-1]:
                    await self._drain(earlier.event_id, earlier.payload)
                # After earlier messages were decided, the thread has changed: read it again.
                return await self._decide_accepted(msg, reads if len(pending) == 1 else None)
        except StoreError as exc:
            await self._tell_failed_once(msg, exc)
            raise
        except asyncio.CancelledError:
            raise  # stopped mid-turn: it stays accepted, for the next start
        except BaseException:
            with contextlib.suppress(StoreError):
                await self.store.forget_event(msg.event_id)
            raise
        finally:
            self._accepted.discard(msg.event_id)
            self._recovering.discard(msg.event_id)

    async def _tell_failed_once(self, msg: Incoming, exc: StoreError) -> None:
        """Say the turn failed, unless it was said already, retried quietly, or in fact done."""
        if getattr(exc, "user_told", False) or msg.event_id in self._recovering:
            return
        try:
            if await self.store.event_seen(msg.event_id):
                return  # decided: the error came after the commit (a later action's record)
        except StoreError:
            pass  # the store is failing: most likely nothing was written
        await self._delivery.tell_quietly(msg, notices.TURN_FAILED)

    async def _drain(self, event_id: str, payload: str) -> None:
        """Decide a message accepted before the one at hand; the caller holds the lane."""
        try:
            earlier = incoming_from_json(json.loads(payload))
        except ValueError as exc:
            log.error("accepted event %s does not load (%s); dropped", event_id, exc)
            await self.store.forget_event(event_id)
            return
        log.debug("deciding %s first: it was accepted earlier in its thread", event_id)
        try:
            await self._decide_accepted(earlier)
        except Exception:
            # Whatever went wrong with it (the user was told where that was possible), it must
            # not be retried ahead of every later message of its thread, nor take this one down.
            log.exception("deciding the earlier message %s failed; it is dropped", event_id)
            with contextlib.suppress(StoreError):
                await self.store.forget_event(event_id)

    async def _decide_accepted(self, msg: Incoming, reads: TurnReads | None = None) -> Outcome:
        """The turn of an accepted message (lane held); its inbox row goes with the decision.

        `reads` are the turn's reads when they were made for this message already.
        """
        token = HANDLING.set(msg)
        try:
            outcome = (
                Outcome(verdict="not_a_turn")
                if msg.author.is_bot
                else await self._turns.turn(msg, reads)
            )
        finally:
            HANDLING.reset(token)
        if outcome.verdict in UNDECIDED or outcome.verdict == "duplicate":
            # A decision's commit removes the message from the inbox; these make none. (A
            # duplicate's row is normally gone already, but a redelivery accepted while another
            # process was committing the decision can leave one behind.)
            await self.store.forget_event(msg.event_id)
        return outcome
