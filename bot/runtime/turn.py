"""The conductor: the one place that sequences I/O around the pure policy.

A platform that acks before the turn is done (Slack) first has the message accepted: written to
the store's inbox, so a crash between the ack and the decision loses nothing (the next start, or
another process once the lease runs out, takes it up), and so that, under the thread's lock, the
thread's messages are decided in the order they were accepted, whichever process took each.

For each event: drop it if already seen; take the thread's lane (turns of one thread in order,
threads concurrently); screen it locally; settle it at once if the policy can (a closed thread, an
answer to "end this thread?"); otherwise start the reply and the assessment together, decide when
the assessment is in, commit the decision with every action it owes, and only then carry the actions
out, marking each done. On start, actions owed by an earlier process are carried out first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot import notices, policy
from bot.adapter import Adapter
from bot.assistant.base import AssessmentOutcome, Assistant, Classifier, Reply, TurnContext
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.config import Settings
from bot.errors import DeliveryError, ShuttingDown, StoreError, UnsupportedAction
from bot.limits import RateLimiter, TokenLedger, midnight
from bot.modlog import draft_case
from bot.records import (
    Action,
    Appeal,
    Branch,
    Case,
    Decision,
    EndConfirmation,
    Event,
    Incoming,
    ModCommand,
    Signals,
    ThreadRef,
    ThreadState,
    UserHistory,
)
from bot.safety.screen import ScreenResult, screen
from bot.store.base import (
    AcceptedEvent,
    AuditEntry,
    Committed,
    DuplicateEvent,
    OwedAction,
    SharedStore,
    Store,
    Turn,
    TurnRecord,
    shared,
)
from bot.store.codec import assessment_to_json, incoming_from_json, incoming_to_json

log = logging.getLogger(__name__)

#: Verdicts of a message handled without committing a decision (so it leaves the inbox by hand).
UNDECIDED = frozenset({"not_hosted", "not_a_turn"})
#: Actions whose visible text is the assistant's reply.
REPLY_KINDS = frozenset({"reply", "redirect"})
#: Attempts and pauses (seconds) for an action a platform failed to carry out.
DELIVERY_BACKOFF = (0.5, 2.0)


#: The event whose turn is being carried out, for adapters that need its author (Slack streams to
#: a recipient): a message accepted by one task may be decided by another (the thread's earlier
#: message drains it first), so the adapter cannot rely on its own listener's context.
HANDLING: ContextVar[Event | None] = ContextVar("threadkeeper_handling", default=None)
#: Times recovery takes up an accepted message whose turn keeps failing before giving it up.
MAX_RECOVERIES = 3
#: Most owed actions, and most accepted messages, one recovery takes up.
RECOVER_BATCH = 1000

#: Most stored turns a branch reads from the locked thread.
BRANCH_TURNS_READ = 100_000


def turns_before_first_strike(turns: Sequence[Turn], first_strike_turn: int | None) -> list[Turn]:
    """The turns (oldest first) before the first one that cost a strike: what a branch carries.

    The cut is the first stored turn flagged as a strike, or the user turn whose number is the
    state's `first_strike_turn` (a strike added after the reply flags no turn), whichever is first.
    """
    kept: list[Turn] = []
    users = 0
    for turn in sorted(turns, key=lambda t: t.seq):
        if turn.role == "user":
            users += 1
            if first_strike_turn is not None and users >= first_strike_turn:
                break
        if turn.flagged:
            break
        kept.append(turn)
    return kept


#: A decision's follow-up when there is none.
NOTHING_MORE = Committed(cases=(), actions=())


def utcnow() -> datetime:
    """The real clock; replays and tests pass their own."""
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """What became of one event: the verdict and what was committed (for replay and tests)."""

    verdict: str
    actions: tuple[OwedAction, ...] = ()
    cases: tuple[Case, ...] = ()
    state: ThreadState | None = None


#: How the reply must be framed for a verdict: the reply model writes before the decision, so a
#: turn the assessment flags is asked again with the verdict in its note.
FRAMING_OF_VERDICT = {
    "redirect": "redirect",
    "warn": "redirect",
    "crisis": "crisis",
    "kept_open": "crisis",
}

FRAMING_NOTES = {
    "redirect": (
        "this message was assessed as a request for seriously harmful content, or as abuse. Do "
        "not comply with it; redirect briefly as your instructions describe."
    ),
    "crisis": (
        "the writer may be at risk of harming themselves or someone else. Respond with care as "
        "your instructions describe, and give no information about methods or means."
    ),
}


def framing_of_screen(signals: Signals) -> str:
    """The framing the local screen alone already calls for (known before any call starts)."""
    if signals.screen_risk != "none":
        return "crisis"
    if signals.screen_harmful or signals.screen_abusive:
        return "redirect"
    return ""


def turn_note(state: ThreadState, settings: Settings, *, framing: str, now: datetime) -> str:
    """Per-turn facts for the reply model, kept out of the cached system prompt."""
    notes = [FRAMING_NOTES[framing]] if framing else []
    if framing != "crisis" and policy.in_crisis_window(state, settings, now):
        notes.append("earlier in this thread the writer seemed to be at risk: stay caring.")
    if state.status == "warned":
        notes.append(
            "this thread has been warned: one more harmful or abusive request will close it. "
            "Keep redirecting calmly."
        )
    elif state.strikes:
        notes.append(f"{state.strikes} earlier request(s) in this thread were redirected.")
    return " ".join(notes)


def signals_from_screen(result: ScreenResult) -> Signals:
    """The local screen's reading as policy signals (the assessment is added when it is in)."""
    return Signals(
        screen_risk=result.risk,
        screen_harmful=result.harmful,
        screen_abusive=result.abusive,
        screen_category=result.category,
        screen_end_request=result.end_request,
        screen_affirmative=result.affirmative,
        screen_negative=result.negative,
        screen_rules=result.matched,
    )


class _Lanes:
    """One asyncio.Lock per busy thread, dropped when idle so idle threads cost no memory."""

    def __init__(
        self,
        cross_process: Callable[[str], contextlib.AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.cross_process = cross_process

    async def __call__(self, key: str) -> _Lane:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        return _Lane(self, key, lock)

    def release(self, key: str) -> None:
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class _Lane:
    def __init__(self, lanes: _Lanes, key: str, lock: asyncio.Lock) -> None:
        self._lanes, self._key, self._lock = lanes, key, lock
        self._shared: contextlib.AbstractAsyncContextManager[None] | None = None

    async def __aenter__(self) -> None:
        try:
            await self._lock.acquire()
        except BaseException:
            self._lanes.release(self._key)
            raise
        if self._lanes.cross_process is not None:
            # A store that several processes share serialises the thread across them too.
            shared = self._lanes.cross_process(self._key)
            try:
                await shared.__aenter__()
            except BaseException:
                self._lock.release()
                self._lanes.release(self._key)
                raise
            self._shared = shared

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._shared is not None:
                await self._shared.__aexit__(None, None, None)
        finally:
            self._lock.release()
            self._lanes.release(self._key)


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
        self.settings = settings
        self.store = store
        self.assistant = assistant
        self.classifier = classifier
        self.adapters = dict(adapters)
        self.clock = clock
        self._backoff = delivery_backoff
        # PostgreSQL offers a per-thread lock across processes; SQLite serves one process only.
        several = shared(store)
        self._lanes = _Lanes(several.thread_lock if several is not None else None)
        self._inflight: set[str] = set()
        #: Messages this process accepted (wrote to the inbox) and has not yet handled.
        self._accepted: set[str] = set()
        #: Owed actions being carried out right now (their leases are renewed; see `held`).
        self._carrying: set[int] = set()
        #: Accepted messages taken up again by recovery (a failure is not announced again).
        self._recovering: set[str] = set()
        limits = settings.limits
        self._rate = RateLimiter(limits.user_messages_per_minute)
        self._ledger = TokenLedger(
            thread_limit=limits.thread_tokens_per_day,
            workspace_limit=limits.workspace_tokens_per_day,
        )
        self._model_calls: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Semaphore(limits.max_concurrent_model_calls)
            if limits.max_concurrent_model_calls
            else contextlib.nullcontext()
        )
        self._offline: tuple[Assistant, Classifier] = (OfflineAssistant(), NoClassifier())
        self._closing = False
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # --- entry points ----------------------------------------------------------------------------

    async def recover(self) -> int:
        """Carry out what an earlier process committed but did not finish; returns how many.

        A store that several processes share leases each fresh action to the process that
        committed it; here only actions whose lease ran out (a dead process's) are claimed, so
        two live processes never carry out the same one.
        """
        several = shared(self.store)
        if several is not None:
            owed = await several.claim_owed_actions(
                several.owner, limit=RECOVER_BATCH, lease=several.lease
            )
        else:
            owed = await self.store.owed_actions()
        if owed:
            log.info("carrying out %d owed actions from before the restart", len(owed))
        failures = [
            failure
            for item in owed
            if (
                failure := await self._carry_out_one(
                    item, cases={}, reply=None, verdict="", recovered=True
                )
            )
        ]
        await self._report_failures(failures)
        return len(owed) + await self._recover_accepted(several)

    async def _recover_accepted(self, several: SharedStore | None) -> int:
        """Decide the messages a dead process (or this one, before a restart) accepted."""
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
                outcome = await self.handle(msg)
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
        try:
            accepted = await self.store.accept_event(
                msg.event_id,
                thread_key=msg.thread.key,
                payload=json.dumps(incoming_to_json(msg), separators=(",", ":")),
                at=self.clock(),
            )
        except StoreError:
            # Not written down, so not acked: the platform delivers it again. Say so meanwhile.
            await self._tell_quietly(msg, notices.TURN_FAILED)
            raise
        if accepted:
            self._accepted.add(msg.event_id)
        return accepted

    def held(self) -> tuple[list[str], list[int]]:
        """The messages and owed actions this process is working on now, for lease renewal."""
        return sorted(self._accepted), sorted(self._carrying)

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
            if isinstance(event, Incoming) and event.event_id in self._accepted:
                return await self._accepted_turn(event)
            if await self.store.event_seen(event.event_id):
                log.debug("dropping redelivered event %s", event.event_id)
                return Outcome(verdict="duplicate")
            if isinstance(event, Incoming):
                if event.author.is_bot:
                    return Outcome(verdict="not_a_turn")
                async with await self._lanes(event.thread.key):
                    return await self._turn(event)
            if isinstance(event, EndConfirmation):
                async with await self._lanes(event.thread.key):
                    return await self._confirmation(event)
            if isinstance(event, Appeal):
                async with await self._lanes(event.thread.key):
                    return await self._appeal(event)
            if isinstance(event, Branch):
                async with (
                    await self._lanes(event.thread.key),
                    await self._lanes(event.new_thread.key),
                ):
                    return await self._branch(event)
            if event.thread is None and event.case is not None:
                # Resolve the case's thread first, so the command waits its turn in that lane.
                case = await self.store.case(workspace=event.origin.workspace, number=event.case)
                if case is not None and case.thread is not None:
                    event = replace(event, thread=case.thread)
            target = event.thread or event.origin
            async with await self._lanes(target.key):
                return await self._moderate(event)
        finally:
            self._inflight.discard(event.event_id)

    async def _accepted_turn(self, msg: Incoming) -> Outcome:
        """An accepted message: in its lane, decide the thread's earlier accepted ones first.

        On a store error the message stays accepted and the user is told (once, and only if
        its decision was not committed): its lease lapses, and the next start or a sweep tries
        it again, up to MAX_RECOVERIES times. On any other error it is dropped, so that a
        message that breaks something is not tried forever.
        """
        try:
            async with await self._lanes(msg.thread.key):
                pending = await self.store.pending_in_thread(msg.thread.key, msg.event_id)
                if pending is None:
                    # Decided already: by the thread's next message, here or elsewhere. (A
                    # redelivery accepted during that decision's commit may have left a row.)
                    await self.store.forget_event(msg.event_id)
                    return Outcome(verdict="duplicate")
                for earlier in pending[:-1]:
                    await self._drain(earlier.event_id, earlier.payload)
                return await self._decide_accepted(msg)
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
        await self._tell_quietly(msg, notices.TURN_FAILED)

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

    async def _decide_accepted(self, msg: Incoming) -> Outcome:
        """The turn of an accepted message (lane held); its inbox row goes with the decision."""
        token = HANDLING.set(msg)
        try:
            outcome = Outcome(verdict="not_a_turn") if msg.author.is_bot else await self._turn(msg)
        finally:
            HANDLING.reset(token)
        if outcome.verdict in UNDECIDED or outcome.verdict == "duplicate":
            # A decision's commit removes the message from the inbox; these make none. (A
            # duplicate's row is normally gone already, but a redelivery accepted while another
            # process was committing the decision can leave one behind.)
            await self.store.forget_event(msg.event_id)
        return outcome

    # --- a user turn -----------------------------------------------------------------------------

    async def _turn(self, msg: Incoming) -> Outcome:
        state = await self.store.load_thread(msg.thread.key)
        if state is None:
            if not msg.opens_thread:
                return Outcome(verdict="not_hosted")
            state = policy.new_thread(msg)
            # Record the thread before the model is called: a follow-up that arrives while this
            # first turn is still being answered must find a hosted thread (and wait its turn).
            try:
                await self.store.commit(
                    at=self.clock(),
                    event_id=None,
                    state=state,
                    audit=(
                        AuditEntry(
                            kind="thread_opened",
                            actor="bot",
                            thread_key=msg.thread.key,
                            data={"event": msg.event_id, "owner": msg.author.id},
                        ),
                    ),
                )
            except StoreError as exc:
                await self._told_failed(msg, exc)
                raise
        limits = self.settings.limits
        extra: list[Action] = []
        # The screen reads the whole message (a crisis phrase at its end must not be cut off);
        # the model and the store get at most max_message_chars.
        base = signals_from_screen(screen(msg.text))
        if limits.max_message_chars and len(msg.text) > limits.max_message_chars:
            msg = replace(msg, text=msg.text[: limits.max_message_chars])
            extra.append(Action(kind="notice", thread=msg.thread, text=notices.MESSAGE_CUT))
        now = self.clock()
        settled = policy.precheck(
            state=state, incoming=msg, signals=base, settings=self.settings, now=now
        )
        if settled is not None:
            return await self._commit_and_carry_out(msg, state, settled, base, None, None)
        if base.screen_risk == "none":
            # Someone who may be at risk is always read, however fast they write.
            pace = self._rate.check(f"{msg.thread.workspace}:{msg.author.id}", now)
            if pace != "ok":
                return await self._slow_down(msg, tell=pace == "slow_down")
        assistant, classifier = self.assistant, self.classifier
        if await self._over_budget(msg.thread.key, now):
            # Past the day's budget the offline assistant answers; the screen still decides.
            assistant, classifier = self._offline
            if self._ledger.first_notice(msg.thread.key):
                extra.append(Action(kind="notice", thread=msg.thread, text=notices.BUDGET_REACHED))
        async with self._model_calls:
            return await self._model_turn(
                msg, state, base, now, assistant=assistant, classifier=classifier, extra=extra
            )

    async def _slow_down(self, msg: Incoming, *, tell: bool) -> Outcome:
        """A message over the rate limit is not read; the first one in a window says so."""
        actions = (
            (Action(kind="notice", thread=msg.thread, text=notices.SLOW_DOWN),) if tell else ()
        )
        try:
            committed = await self.store.commit(
                at=self.clock(),
                event_id=msg.event_id,
                state=None,
                actions=actions,
                audit=(
                    AuditEntry(
                        kind="rate_limited",
                        actor="bot",
                        thread_key=msg.thread.key,
                        data={"event": msg.event_id, "user": msg.author.id},
                    ),
                ),
            )
        except DuplicateEvent:
            return Outcome(verdict="duplicate")
        await self._carry_out(committed, reply=None, verdict="rate_limited")
        return Outcome(verdict="rate_limited", actions=committed.actions)

    async def _over_budget(self, thread_key: str, now: datetime) -> bool:
        ledger = self._ledger
        if not (ledger.thread_limit or ledger.workspace_limit) or not self.assistant.is_model:
            return False
        if ledger.needs_seed(now):
            ledger.seed(await self.store.usage(since=midnight(now)), now)
        return ledger.over(thread_key)

    async def _model_turn(
        self,
        msg: Incoming,
        state: ThreadState,
        base: Signals,
        now: datetime,
        *,
        assistant: Assistant,
        classifier: Classifier,
        extra: list[Action],
    ) -> Outcome:
        """The turn that needs the model: reply and assessment together, then the decision."""

        # One more than the cap, so the assistant can tell when to move the start forward.
        history = await self.store.recent_turns(
            msg.thread.key,
            limit=self.settings.assistant.history_turns + 1,
            from_seq=state.history_from,
        )
        framing = framing_of_screen(base)
        context = TurnContext(
            thread=msg.thread,
            author=msg.author,
            text=msg.text,
            history=history,
            screen_risk=base.screen_risk,
            turn_note=turn_note(state, self.settings, framing=framing, now=now),
        )
        reply = assistant.begin(context)
        try:
            assessed = await self._assess(context, classifier)
            locks = await self.store.recent_locks(
                workspace=msg.thread.workspace,
                user_id=msg.author.id,
                since=now - self.settings.policy.repeat_lock_window,
            )
            signals = replace(base, assessment=assessed.assessment)
            decision = policy.decide(
                state=state,
                incoming=msg,
                signals=signals,
                history=UserHistory(recent_locks=locks),
                settings=self.settings,
                now=self.clock(),
            )
            shows_reply = any(a.kind in REPLY_KINDS for a in decision.actions)
            needed = FRAMING_OF_VERDICT.get(decision.verdict, "")
            if shows_reply and needed and needed != framing and assistant.is_model:
                # The reply was written before the assessment flagged the turn: it may have
                # complied. Ask again with the verdict in the newest turn; only flagged turns pay.
                await reply.cancel()
                reply = assistant.begin(
                    replace(
                        context,
                        turn_note=turn_note(state, self.settings, framing=needed, now=now),
                    )
                )
            if not shows_reply:
                await reply.cancel()
            elif not await reply.started():
                failure = (await reply.outcome()).failed or "the assistant failed"
                decision = self._failed_turn(state, decision, failure)
        except BaseException:
            # Whatever went wrong (a store error, a bug, shutdown), stop the paid generation.
            await reply.cancel()
            raise
        if extra and decision.state is not None:
            decision = replace(decision, actions=(*extra, *decision.actions))
        return await self._commit_and_carry_out(
            msg, state, decision, signals, reply if shows_reply else None, assessed
        )

    async def _assess(self, context: TurnContext, classifier: Classifier) -> AssessmentOutcome:
        deadline = self.settings.assistant.classifier_deadline.total_seconds()
        try:
            outcome = await asyncio.wait_for(classifier.assess(context), deadline)
            if outcome.usage:
                self._ledger.add(context.thread.key, outcome.usage)
            return outcome
        except TimeoutError:
            log.warning("assessment missed its %.1fs deadline; the screen decides alone", deadline)
            return AssessmentOutcome(assessment=None, reason="deadline missed")
        except Exception as exc:  # any classifier failure is an "unknown", never a lost turn
            log.exception("the classifier failed; the screen decides alone")
            return AssessmentOutcome(assessment=None, reason=f"classifier error: {exc!r}"[:200])

    def _failed_turn(self, state: ThreadState, decision: Decision, failure: str) -> Decision:
        """The reply could not be produced: tell the user plainly and count no strike.

        A crisis turn keeps its resources and its alert: a fixed supportive line stands in for the
        reply, because a failure of ours must never leave someone at risk with nothing.
        """
        log.warning("turn failed in %s: %s", state.ref.key, failure)
        if decision.verdict == "crisis":
            actions = tuple(
                Action(kind="notice", thread=a.thread, text=notices.SUPPORT_FALLBACK)
                if a.kind in REPLY_KINDS
                else a
                for a in decision.actions
            )
            return replace(decision, actions=actions, notes=(*decision.notes, failure))
        kept = replace(state, turns=state.turns + 1, pending_end_by=None)
        # The strike goes, but a case the turn raised (a harmful turn in a crisis window) stays.
        case_actions = tuple(a for a in decision.actions if a.kind == "case")
        return Decision(
            verdict="failed",
            state=kept,
            actions=(
                *case_actions,
                Action(kind="notice", thread=state.ref, text=notices.TURN_FAILED),
            ),
            cases=decision.cases,
            notes=(failure,),
        )

    async def _commit_and_carry_out(
        self,
        msg: Incoming,
        before: ThreadState,
        decision: Decision,
        signals: Signals,
        reply: Reply | None,
        assessed: AssessmentOutcome | None,
    ) -> Outcome:
        now = self.clock()
        turns: list[TurnRecord] = []
        if decision.state is not None:
            turns.append(
                TurnRecord(
                    thread_key=msg.thread.key,
                    role="user",
                    author_id=msg.author.id,
                    author_name=msg.author.name,
                    text=msg.text,
                    at=msg.at,
                    event_id=msg.event_id,
                    verdict=decision.verdict,
                    assessment=signals.assessment,
                    flagged=decision.strike,
                    usage={"classifier": dict(assessed.usage)}
                    if assessed and assessed.usage
                    else {},
                )
            )
        after = decision.state or before
        audit = AuditEntry(
            kind="decision",
            actor="bot",
            thread_key=msg.thread.key,
            excerpt=msg.text,
            data={
                "event": msg.event_id,
                "user": msg.author.id,
                "verdict": decision.verdict,
                "strike": decision.strike,
                "strikes_before": before.strikes,
                "strikes_after": after.strikes,
                "status": after.status,
                "screen": list(signals.screen_rules),
                "assessment": (
                    assessment_to_json(signals.assessment) if signals.assessment else None
                ),
                "assessment_note": assessed.reason if assessed else "",
                "reply_refused": signals.reply_refused,
                "notes": list(decision.notes),
            },
        )
        try:
            committed = await self.store.commit(
                at=now,
                event_id=msg.event_id,
                state=decision.state,
                turns=turns,
                cases=decision.cases,
                actions=decision.actions,
                audit=(audit,),
            )
        except DuplicateEvent:
            if reply is not None:
                await reply.cancel()
            return Outcome(verdict="duplicate")
        except StoreError as exc:
            # Nothing was written: the user is told, no strike is counted, and the platform may
            # redeliver the event.
            if reply is not None:
                await reply.cancel()
            await self._told_failed(msg, exc)
            raise
        later = await self._carry_out(
            committed,
            reply=reply,
            verdict=decision.verdict,
            struck=decision.strike,
            author_id=msg.author.id,
        )
        return Outcome(
            verdict=decision.verdict,
            actions=committed.actions + later.actions,
            cases=committed.cases + later.cases,
            state=decision.state,
        )

    async def _told_failed(self, msg: Incoming, exc: StoreError) -> None:
        """Tell the user their turn failed, and mark `exc` so no caller tells them again."""
        await self._tell_quietly(msg, notices.TURN_FAILED)
        setattr(exc, "user_told", True)  # noqa: B010  # StoreError has no such field by design

    async def _tell_quietly(self, msg: Incoming, text: str) -> None:
        adapter = self.adapters.get(msg.thread.platform)
        if adapter is None:
            return
        try:
            await adapter.perform(
                Action(kind="notice", thread=msg.thread, text=text), key=f"fail-{msg.event_id}"
            )
        except Exception:  # the failure notice is best effort; the original error is raised
            log.exception("could not tell the user that their turn failed")

    # --- buttons and moderators ------------------------------------------------------------------

    async def _confirmation(self, event: EndConfirmation) -> Outcome:
        state = await self.store.load_thread(event.thread.key)
        if state is None:
            return Outcome(verdict="not_hosted")
        decision = policy.confirm(
            state=state, confirmation=event, settings=self.settings, now=self.clock()
        )
        return await self._commit_event(
            event.event_id, event.thread.key, decision, actor=event.author.id
        )

    async def _appeal(self, request: Appeal) -> Outcome:
        state = await self.store.load_thread(request.thread.key)
        closing_number = await self._closing_case(request.thread)
        closing = (
            await self.store.case(workspace=request.thread.workspace, number=closing_number)
            if closing_number is not None
            else None
        )
        allowed = {state.owner if state else "", closing.user_id if closing else ""}
        if state is not None and request.author.id not in allowed:
            decision = Decision(
                verdict="appeal_refused",
                actions=(
                    Action(
                        kind="private_notice",
                        thread=request.thread,
                        text=notices.APPEAL_NOT_YOURS,
                        user_id=request.author.id,
                    ),
                ),
            )
        else:
            since = self.clock() - timedelta(days=1)
            mine = await self.store.cases(
                workspace=request.thread.workspace,
                user_id=request.author.id,
                kinds=("appeal",),
                limit=policy.MAX_APPEALS_PER_DAY + 1,
            )
            decision = policy.appeal(
                state=state,
                request=request,
                lock_case=closing_number,
                open_appeal=await self._open_appeal(request.thread) is not None,
                appeals_today=sum(1 for c in mine if c.created_at >= since),
            )
        return await self._commit_event(
            request.event_id,
            request.thread.key,
            decision,
            actor=request.author.id,
            data={"appeal": True},
        )

    async def _branch(self, request: Branch) -> Outcome:
        """Continue a locked thread in a new one with the turns from before its first strike."""
        state = await self.store.load_thread(request.thread.key)
        taken = await self.store.load_thread(request.new_thread.key) is not None
        carried: list[Turn] = []
        if state is not None:
            turns = await self.store.recent_turns(
                request.thread.key, limit=BRANCH_TURNS_READ, from_seq=0
            )
            carried = turns_before_first_strike(turns, state.first_strike_turn)
        decision = policy.branch(
            state=state,
            request=request,
            taken=taken,
            user_turns=sum(1 for t in carried if t.role == "user"),
            lock_case=await self._closing_case(request.thread) if state is not None else None,
        )
        copies = (
            tuple(
                TurnRecord(
                    thread_key=request.new_thread.key,
                    role=t.role,
                    author_id=t.author_id,
                    author_name=t.author_name,
                    text=t.text,
                    at=t.at,
                    verdict=t.verdict,
                    assessment=t.assessment,
                    hidden=t.hidden,
                )
                for t in carried
            )
            if decision.verdict == "branch"
            else ()
        )
        return await self._commit_event(
            request.event_id,
            request.thread.key,
            decision,
            actor=request.author.id,
            data={"branch": request.new_thread.key, "carried": len(copies)},
            turns=copies,
        )

    async def _open_appeal(self, thread: ThreadRef) -> Case | None:
        """The thread's newest appeal, if no moderator has unlocked or upheld since it was made."""
        recent = await self.store.cases(
            workspace=thread.workspace, kinds=("appeal", "unlock", "uphold"), limit=500
        )
        for case in recent:  # newest first
            if case.thread is None or case.thread.key != thread.key:
                continue
            return case if case.kind == "appeal" else None
        return None

    async def _moderate(self, command: ModCommand) -> Outcome:
        target = command.thread
        if command.case is None and target is not None and command.command in ("unlock", "uphold"):
            # "Unlock this thread" reviews the case that closed it: link them, so the share of
            # locks moderators reverse can be measured.
            closing = await self._closing_case(target)
            if closing is not None:
                command = replace(command, case=closing)
        state = await self.store.load_thread(target.key) if target else None
        appellant = None
        if target is not None and command.command in ("unlock", "uphold"):
            waiting = await self._open_appeal(target)
            appellant = waiting.user_id if waiting else None
        decision = policy.moderate(
            state=state, command=command, now=self.clock(), appellant=appellant
        )
        return await self._commit_event(
            command.event_id,
            target.key if target else None,
            decision,
            actor=command.moderator.id,
            data={"command": command.command, "case": command.case, "note": command.note},
        )

    async def _closing_case(self, thread: ThreadRef) -> int | None:
        recent = await self.store.cases(
            workspace=thread.workspace, kinds=("lock", "end"), limit=200
        )
        for case in recent:  # newest first
            if case.thread is not None and case.thread.key == thread.key:
                return case.number
        return None

    async def _commit_event(
        self,
        event_id: str,
        thread_key: str | None,
        decision: Decision,
        *,
        actor: str,
        data: Mapping[str, object] | None = None,
        turns: Sequence[TurnRecord] = (),
    ) -> Outcome:
        audit = AuditEntry(
            kind="moderation" if data is not None else "confirmation",
            actor=actor,
            thread_key=thread_key,
            data={"event": event_id, "verdict": decision.verdict, **(data or {})},
        )
        try:
            committed = await self.store.commit(
                at=self.clock(),
                event_id=event_id,
                state=decision.state,
                turns=turns,
                cases=decision.cases,
                actions=decision.actions,
                audit=(audit,),
            )
        except DuplicateEvent:
            return Outcome(verdict="duplicate")
        await self._carry_out(committed, reply=None, verdict=decision.verdict)
        return Outcome(
            verdict=decision.verdict,
            actions=committed.actions,
            cases=committed.cases,
            state=decision.state,
        )

    # --- carrying out ----------------------------------------------------------------------------

    async def _carry_out(
        self,
        committed: Committed,
        *,
        reply: Reply | None,
        verdict: str,
        struck: bool = False,
        author_id: str = "",
    ) -> Committed:
        """Deliver a committed decision's actions; returns what the reply's end added, if any."""
        cases = {c.number: c for c in committed.cases}
        failures = [
            failure
            for item in committed.actions
            if (
                failure := await self._carry_out_one(
                    item, cases=cases, reply=reply, verdict=verdict
                )
            )
        ]
        # Failures are reported after the decision's own actions, so the mod log reads in order:
        # the lock case first, then what the bot could not do about it.
        await self._report_failures(failures)
        shown = [a.action for a in committed.actions if a.action.kind in REPLY_KINDS]
        if reply is not None and shown:
            return await self._after_reply(
                shown[0].thread, reply, verdict=verdict, struck=struck, author_id=author_id
            )
        return NOTHING_MORE

    async def _after_reply(
        self, thread: ThreadRef, reply: Reply, *, verdict: str, struck: bool, author_id: str
    ) -> Committed:
        """The reply's own signals (a refusal, an end_conversation call) once it has ended."""
        outcome = await reply.outcome()
        if not (
            outcome.refused
            or outcome.end_conversation
            or outcome.dropped
            or outcome.history_from is not None
        ):
            return NOTHING_MORE  # the common case: no store read (see bench/RESULTS.md)
        state = await self.store.load_thread(thread.key)
        if state is None:
            return NOTHING_MORE
        decision = policy.after_reply(
            state=state,
            author_id=author_id,
            verdict=verdict,
            struck=struck,
            refused=outcome.refused,
            end_tool=outcome.end_conversation,
            dropped=outcome.dropped,
            history_from=outcome.history_from,
            settings=self.settings,
            now=self.clock(),
        )
        if decision is None:
            return NOTHING_MORE
        committed = await self.store.commit(
            at=self.clock(),
            event_id=None,
            state=decision.state,
            actions=decision.actions,
            audit=(
                AuditEntry(
                    kind="after_reply",
                    actor="bot",
                    thread_key=thread.key,
                    data={
                        "verdict": decision.verdict,
                        "strike": decision.strike,
                        "strikes_after": decision.state.strikes if decision.state else None,
                        "notes": list(decision.notes),
                    },
                ),
            ),
        )
        await self._carry_out(committed, reply=None, verdict=decision.verdict)
        return committed

    async def _report_failures(self, failures: list[tuple[OwedAction, str]]) -> None:
        for item, error in failures:
            await self._give_up(item, error)

    async def _carry_out_one(
        self,
        item: OwedAction,
        *,
        cases: Mapping[int, Case],
        reply: Reply | None,
        verdict: str,
        recovered: bool = False,
    ) -> tuple[OwedAction, str] | None:
        """Deliver one action with retries; returns the action and error when it must give up."""
        action = item.action
        adapter = self.adapters.get(action.thread.platform)
        if action.kind == "ignored" and (adapter is None or "ignored" not in adapter.supports):
            await self.store.action_done(item.id, at=self.clock(), outcome="nothing to do")
            return None
        if adapter is None:
            log.error(
                "no adapter for platform %r; action %s stays owed", action.thread.platform, item.id
            )
            return None
        case = None
        if action.case is not None:
            case = cases.get(action.case) or await self.store.case(
                workspace=action.thread.workspace, number=action.case
            )
        self._carrying.add(item.id)
        try:
            return await self._attempts(item, adapter, case, reply, verdict, recovered=recovered)
        finally:
            self._carrying.discard(item.id)

    async def _attempts(
        self,
        item: OwedAction,
        adapter: Adapter,
        case: Case | None,
        reply: Reply | None,
        verdict: str,
        *,
        recovered: bool,
    ) -> tuple[OwedAction, str] | None:
        error = ""
        action = item.action
        streaming = action.kind in REPLY_KINDS and reply is not None
        for attempt, pause in enumerate((*self._backoff, None)):
            try:
                # Owed from before (a restart, a dead process) or tried already: it may be shown.
                retry = recovered or attempt > 0 or item.attempts > 0
                outcome = await self._deliver(adapter, item, case, reply, verdict, retry=retry)
            except DeliveryError as exc:
                error = str(exc)
                # A reply stream is retried only if none of it was shown: a second attempt
                # would otherwise show its start twice.
                if exc.retryable and pause is not None and (exc.nothing_shown or not streaming):
                    log.warning(
                        "attempt %d of action %s failed (%s); retrying", attempt + 1, item.id, exc
                    )
                    await self.store.action_failed(
                        item.id, at=self.clock(), error=error, give_up=False
                    )
                    await asyncio.sleep(pause)
                    continue
                return item, error
            except UnsupportedAction as exc:
                return item, str(exc)
            except Exception as exc:  # an adapter bug must not strand the rest of the decision
                log.exception(
                    "%s adapter failed on %s action %s", adapter.platform, action.kind, item.id
                )
                return item, f"unexpected error: {exc!r}"[:300]
            if outcome is not None:
                await self.store.action_done(item.id, at=self.clock(), outcome=outcome)
            return None
        return item, error

    async def _deliver(
        self,
        adapter: Adapter,
        item: OwedAction,
        case: Case | None,
        reply: Reply | None,
        verdict: str,
        *,
        retry: bool,
    ) -> str | None:
        """Carry out one action; its outcome to record, or None when already recorded."""
        action = item.action
        if action.kind not in adapter.supports:
            raise UnsupportedAction(
                f"the {adapter.platform} adapter cannot carry out {action.kind!r}"
            )
        if action.kind in REPLY_KINDS:
            if reply is None:
                # The reply's stream died with the process that started it: say so plainly.
                notice = Action(kind="notice", thread=action.thread, text=notices.REPLY_INTERRUPTED)
                await adapter.perform(notice, key=item.key, retry=retry)
                return "reply lost in a restart; the user was told"
            text = await adapter.stream_reply(action.thread, reply.stream(verdict), key=item.key)
            outcome = await reply.outcome()
            if outcome.usage:
                self._ledger.add(action.thread.key, outcome.usage)
            await self.store.commit(
                at=self.clock(),
                event_id=None,
                state=None,
                turns=(
                    TurnRecord(
                        thread_key=action.thread.key,
                        role="assistant",
                        author_id="bot",
                        author_name=self.settings.name,
                        text=text,
                        at=self.clock(),
                        verdict=action.kind,
                        hidden=outcome.refused,
                        usage={"reply": dict(outcome.usage)} if outcome.usage else {},
                    ),
                ),
                done=((item.id, "streamed"),),
            )
            return None  # marked done with the reply's text, in one write
        await adapter.perform(action, key=item.key, case=case, retry=retry)
        return "done"

    async def _give_up(self, item: OwedAction, error: str) -> None:
        """An action that cannot be carried out becomes a case, so a person sees it."""
        action = item.action
        log.error("giving up on %s action %s: %s", action.kind, item.id, error)
        await self.store.action_failed(item.id, at=self.clock(), error=error, give_up=True)
        if action.kind == "case":
            return  # the mod log itself is failing; the log line above is all we can do
        state = await self.store.load_thread(action.thread.key)
        case = draft_case(
            kind="delivery_failure",
            state=state,
            workspace=action.thread.workspace,
            user_id=state.owner if state else "",
            summary=f"Could not carry out {action.kind}: {error}",
        )
        committed = await self.store.commit(
            at=self.clock(),
            event_id=None,
            state=None,
            cases=(case,),
            actions=(Action(kind="case", thread=action.thread, case_ref=0),),
        )
        for owed in committed.actions:
            failed = await self._carry_out_one(
                owed, cases={c.number: c for c in committed.cases}, reply=None, verdict=""
            )
            if failed:
                # The mod log itself is failing: the action stays recorded as given up.
                await self.store.action_failed(
                    owed.id, at=self.clock(), error=failed[1], give_up=True
                )

    # --- reads for adapters ----------------------------------------------------------------------

    def policy_text(self) -> str:
        """The published criteria, from the live settings."""
        from bot.app import policy_text

        return policy_text(self.settings)
