"""The Runtime: the public face of the conductor, which builds the stages and routes each event.

It drops an event it has already seen, takes the thread's lane, and hands the event to the stage
that decides it: an accepted message to the inbox, any other message to the turn, a button, an
appeal, a branch or a moderator's command to the requests. It also counts the events in flight,
so that `shutdown` can let them finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from bot.adapter import Adapter
from bot.assistant.base import Assistant, Classifier
from bot.config import Settings
from bot.criteria import policy_text
from bot.errors import ShuttingDown
from bot.quotas import Quotas
from bot.records import Appeal, Branch, EndConfirmation, Event, Incoming, ThreadRef
from bot.runtime.delivery import DELIVERY_BACKOFF, Delivery
from bot.runtime.inbox import Inbox
from bot.runtime.lanes import Lanes
from bot.runtime.requests import Requests
from bot.runtime.turn import Turns
from bot.runtime.wiring import HANDLING, Outcome, Wiring, utcnow
from bot.store.base import Store, shared

log = logging.getLogger(__name__)


class Runtime:
    """Sequences every event through screen, assistant, classifier, policy, store and adapters."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        assistant: Assistant,
        classifier: Classifier,
        adapters: Mapping[str, Adapter],
        clock: Callable[[], datetime] = utcnow,
        delivery_backoff: tuple[float, ...] = DELIVERY_BACKOFF,
    ) -> None:
        self._wiring = Wiring(settings=settings, store=store, adapters=dict(adapters), clock=clock)
        # PostgreSQL offers a per-thread lock across processes; SQLite serves one process only.
        several = shared(store)
        self._lanes = Lanes(several.thread_lock if several is not None else None)
        self._inflight: set[str] = set()
        # The rate and the budgets, counted in memory or, on a store several processes share
        # (PostgreSQL), by the database, so that they hold for all the processes together.
        quotas = Quotas(limits=settings.limits, store=lambda: self._wiring.store)
        self._delivery = Delivery(wiring=self._wiring, quotas=quotas, backoff=delivery_backoff)
        self._turns = Turns(
            wiring=self._wiring,
            delivery=self._delivery,
            quotas=quotas,
            assistant=assistant,
            classifier=classifier,
        )
        self._requests = Requests(wiring=self._wiring, delivery=self._delivery)
        self._inbox = Inbox(
            wiring=self._wiring, lanes=self._lanes, turns=self._turns, delivery=self._delivery
        )
        self._closing = False
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # --- what it was built with ------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The live settings."""
        return self._wiring.settings

    @property
    def store(self) -> Store:
        """The store every stage reads and writes."""
        return self._wiring.store

    @store.setter
    def store(self, store: Store) -> None:
        # One wiring for all the stages: a store swapped here (tests do) is swapped for each.
        self._wiring.store = store

    @property
    def adapters(self) -> dict[str, Adapter]:
        """The adapters by platform name."""
        return self._wiring.adapters

    @property
    def clock(self) -> Callable[[], datetime]:
        """The clock the runtime reads (a replay's or a test's, or the real one)."""
        return self._wiring.clock

    @property
    def assistant(self) -> Assistant:
        """The reply model."""
        return self._turns.assistant

    @property
    def classifier(self) -> Classifier:
        """The assessment model."""
        return self._turns.classifier

    # --- entry points ----------------------------------------------------------------------------

    async def recover(self) -> int:
        """Carry out what an earlier process committed but did not finish; returns how many.

        First the owed actions (see `Delivery.recover_owed`), then the messages accepted but not
        decided (see `Inbox.recover`), each through `handle` like any other event.
        """
        several = shared(self.store)
        owed = await self._delivery.recover_owed(several)
        return owed + await self._inbox.recover(several, handle=self.handle)

    async def accept(self, msg: Incoming, *, redelivered_elsewhere: bool = False) -> bool:
        """Write a message down before the platform is told it arrived; False for a duplicate.

        Call before acking the platform; then `handle` the message. A message accepted but never
        handled (the process died or stopped) is decided by the next start's `recover`, or on a
        shared store by another process's sweep once this one's leases lapse.

        While stopping, on a store several processes share, a platform that delivers a refused
        message again (Slack retries it on another worker: `redelivered_elsewhere`) is refused
        with ShuttingDown; otherwise it is still written down, for whoever runs next.
        """
        if self._closing and redelivered_elsewhere and shared(self.store) is not None:
            # Another worker may take it now; with one process, it is written down for the
            # next start instead (Slack's retries may all come while it is down).
            raise ShuttingDown("this process is stopping; deliver the message to another")
        return await self._inbox.accept(msg)

    def held(self) -> tuple[list[str], list[int]]:
        """The messages and owed actions this process is working on now, for lease renewal."""
        return self._inbox.held(), self._delivery.held()

    async def shutdown(self, *, grace: float) -> bool:
        """Stop taking events and let the turns in flight finish; False if `grace` ran out.

        Whatever is cut off after that was either committed (its owed actions run on the next
        start) or not (the platform may redeliver the event): nothing is half-done either way.
        """
        self._closing = True
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("%d turn(s) still in flight after %.0fs; stopping them", self._busy, grace)
            return False
        return True

    async def handle(self, event: Event) -> Outcome:
        """Process one platform-neutral event exactly once."""
        if self._closing:
            return Outcome(verdict="shutting_down")
        self._busy += 1
        self._idle.clear()
        token = HANDLING.set(event)
        try:
            return await self._handle(event)
        finally:
            HANDLING.reset(token)
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    async def _handle(self, event: Event) -> Outcome:
        if event.event_id in self._inflight:
            log.debug("dropping redelivered event %s", event.event_id)
            return Outcome(verdict="duplicate")
        # Claimed before the first await, so copies delivered at the same moment wait for nothing.
        self._inflight.add(event.event_id)
        try:
            if isinstance(event, Incoming):
                if self._inbox.holds(event.event_id):
                    return await self._inbox.accepted_turn(event)
                if event.author.is_bot:
                    return Outcome(verdict="not_a_turn")
                # Whether it was decided already is part of the turn's one read, in the lane.
                async with await self._lanes(event.thread.key):
                    return await self._turns.turn(event)
            if await self.store.event_seen(event.event_id):
                log.debug("dropping redelivered event %s", event.event_id)
                return Outcome(verdict="duplicate")
            if isinstance(event, EndConfirmation):
                async with await self._lanes(event.thread.key):
                    return await self._requests.confirmation(event)
            if isinstance(event, Appeal):
                async with await self._lanes(event.thread.key):
                    return await self._requests.appeal(event)
            if isinstance(event, Branch):
                async with (
                    await self._lanes(event.thread.key),
                    await self._lanes(event.new_thread.key),
                ):
                    return await self._requests.branch(event)
            if event.thread is None and event.case is not None:
                # Resolve the case's thread first, so the command waits its turn in that lane.
                case = await self.store.case(workspace=event.origin.workspace, number=event.case)
                if case is not None and case.thread is not None:
                    event = replace(event, thread=case.thread)
            target = event.thread or event.origin
            async with await self._lanes(target.key):
                return await self._requests.moderate(event)
        finally:
            self._inflight.discard(event.event_id)

    async def report_unread(self, where: ThreadRef, *, user_id: str, summary: str) -> None:
        """An adapter could not take a message in (its platform kept failing): a case for the
        moderators, so a message is never dropped without a person knowing."""
        log.error("a message in %s could not be read: %s", where.key, summary)
        await self._delivery.report(where, user_id=user_id, summary=summary)

    # --- reads for adapters ----------------------------------------------------------------------

    def policy_text(self) -> str:
        """The published criteria, from the live settings."""
        return policy_text(self.settings)
