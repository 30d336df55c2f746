"""A user's turn: screen it, settle it or ask the models, decide, commit, then hand it to delivery.

The local screen reads the message first; the policy settles it at once if it can (a closed
thread, an answer to "end this thread?"). Otherwise the reply and the assessment start together
(the reply is held back until the decision), the policy decides when the assessment is in, and the
decision is committed with every action it owes and the turn's audit entry, in one write. Only
then does `delivery` carry the actions out. The rate limit, the day's token budget and the cap on
concurrent model calls apply here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace
from datetime import datetime

from bot import metrics, notices, policy
from bot.assistant.base import AssessmentOutcome, Assistant, Classifier, Reply, TurnContext
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.config import Settings
from bot.errors import StoreError
from bot.quotas import Quotas
from bot.records import (
    PRIORITY_KINDS,
    Action,
    Decision,
    Incoming,
    Signals,
    ThreadState,
    UserHistory,
)
from bot.runtime.delivery import REPLY_KINDS, Delivery, report_usage
from bot.runtime.wiring import Outcome, Stage, Wiring
from bot.safety.language import guess_language
from bot.safety.screen import Screen, ScreenResult
from bot.store.base import AuditEntry, DuplicateEvent, TurnReads, TurnRecord
from bot.store.codec import assessment_to_json

log = logging.getLogger(__name__)


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


def has_words(text: str) -> bool:
    """Whether a message has anything to read: a visible character, not only spaces or format
    characters (a zero-width space alone is as empty as no text)."""
    return any(c.isprintable() and not c.isspace() for c in text)


def signals_from_screen(result: ScreenResult, text: str = "") -> Signals:
    """The local screen's reading of `text` as policy signals (the assessment is added when it
    is in), with the message's language for the crisis resources."""
    return Signals(
        screen_risk=result.risk,
        screen_harmful=result.harmful,
        screen_abusive=result.abusive,
        screen_category=result.category,
        screen_end_request=result.end_request,
        screen_affirmative=result.affirmative,
        screen_negative=result.negative,
        screen_rules=result.matched,
        screen_score_self=round(result.score.self_harm, 4),
        screen_score_others=round(result.score.others, 4),
        language=guess_language(text, result.matched),
    )


def opening_entries(msg: Incoming, opened: ThreadState | None) -> tuple[AuditEntry, ...]:
    """The audit entry of a thread this message opens, committed with the message's decision."""
    if opened is None:
        return ()
    return (
        AuditEntry(
            kind="thread_opened",
            actor="bot",
            thread_key=msg.thread.key,
            data={"event": msg.event_id, "owner": msg.author.id},
        ),
    )


class Turns(Stage):
    """Screens, settles or asks the model, decides and commits one user turn at a time."""

    def __init__(
        self,
        *,
        wiring: Wiring,
        delivery: Delivery,
        quotas: Quotas,
        assistant: Assistant,
        classifier: Classifier,
    ) -> None:
        super().__init__(wiring=wiring)
        self._delivery = delivery
        self._quotas = quotas
        self.assistant = assistant
        self.classifier = classifier
        limits = wiring.settings.limits
        self._model_calls: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Semaphore(limits.max_concurrent_model_calls)
            if limits.max_concurrent_model_calls
            else contextlib.nullcontext()
        )
        self._offline: tuple[Assistant, Classifier] = (OfflineAssistant(), NoClassifier())
        self._screen = Screen(wiring.settings.screen)

    async def read(self, msg: Incoming, *, pending: bool = False) -> TurnReads:
        """Everything the turn reads before it decides, in one store call (see `TurnReads`).

        With `pending`, also the thread's accepted messages up to this one (for the inbox).
        """
        return await self.store.turn_reads(
            msg.thread.key,
            event_id=msg.event_id,
            # One more than the cap, so the assistant can tell when to move the start forward.
            history=self.settings.assistant.history_turns + 1,
            workspace=msg.thread.workspace,
            user_id=msg.author.id,
            locks_since=self.clock() - self.settings.policy.repeat_lock_window,
            pending=pending,
        )

    async def turn(self, msg: Incoming, reads: TurnReads | None = None) -> Outcome:
        """Decide one user message and carry out the decision (the caller holds the lane).

        `reads` are the turn's reads if the caller made them already (the inbox does, for the
        thread's pending messages); otherwise the turn makes them, in one store call.
        """
        metrics.TURN_STARTED.set(time.monotonic())
        if reads is None:
            reads = await self.read(msg)
        if reads.seen:
            log.debug("dropping redelivered event %s", msg.event_id)
            return Outcome(verdict="duplicate")
        state = reads.state
        opened: ThreadState | None = None
        if state is None:
            if not msg.opens_thread:
                return Outcome(verdict="not_hosted")
            # The new thread is recorded by the turn's own commit, with its decision. Until then
            # a follow-up finds it hosted all the same: the opening's inbox row says so to the
            # adapters (`has_accepted`), and the follow-up waits in the thread's lane.
            state = opened = policy.new_thread(msg)
        limits = self.settings.limits
        extra: list[Action] = []
        # The screen reads the whole message (a crisis phrase at its end must not be cut off);
        # the model and the store get at most max_message_chars.
        base = signals_from_screen(self._screen(msg.text), msg.text)
        if limits.max_message_chars and len(msg.text) > limits.max_message_chars:
            msg = replace(msg, text=msg.text[: limits.max_message_chars])
            extra.append(Action(kind="notice", thread=msg.thread, text=notices.MESSAGE_CUT))
        now = self.clock()
        settled = policy.precheck(
            state=state, incoming=msg, signals=base, settings=self.settings, now=now
        )
        if settled is not None:
            return await self._commit_and_carry_out(
                msg, state, settled, base, None, None, opened=opened
            )
        if base.screen_risk == "none":
            # Someone who may be at risk is always read, however fast they write.
            pace = await self._quotas.pace(f"{msg.thread.workspace}:{msg.author.id}", now)
            if pace != "ok":
                return await self._slow_down(msg, tell=pace == "slow_down", opened=opened)
        if not has_words(msg.text):
            # Nothing to read (an attachment alone, a sticker, a bare mention): saying so is
            # the whole turn. No model call, no strike, and the thread's state is unchanged.
            return await self._not_a_turn(
                msg, notice=notices.NOTHING_TO_READ, why="no_text", opened=opened
            )
        assistant, classifier = self.assistant, self.classifier
        if await self._over_budget(msg.thread.key, now):
            # Past the day's budget the offline assistant answers; the screen still decides.
            assistant, classifier = self._offline
            if await self._quotas.first_notice(msg.thread.key, now):
                extra.append(Action(kind="notice", thread=msg.thread, text=notices.BUDGET_REACHED))
        async with self._model_calls:
            return await self._model_turn(
                msg,
                state,
                base,
                now,
                reads=reads,
                opened=opened,
                assistant=assistant,
                classifier=classifier,
                extra=extra,
            )

    async def _slow_down(self, msg: Incoming, *, tell: bool, opened: ThreadState | None) -> Outcome:
        """A message over the rate limit is not read; the first one in a window says so."""
        notice = notices.SLOW_DOWN if tell else None
        return await self._not_a_turn(msg, notice=notice, why="rate_limited", opened=opened)

    async def _not_a_turn(
        self, msg: Incoming, *, notice: str | None, why: str, opened: ThreadState | None
    ) -> Outcome:
        """Record the event as decided without a turn (`why`), and post `notice` if given.

        A thread this message opens (`opened`) is recorded all the same, in the same commit.
        """
        actions = (Action(kind="notice", thread=msg.thread, text=notice),) if notice else ()
        try:
            committed = await self.store.commit(
                at=self.clock(),
                event_id=msg.event_id,
                state=opened,
                actions=actions,
                audit=(
                    *opening_entries(msg, opened),
                    AuditEntry(
                        kind=why,
                        actor="bot",
                        thread_key=msg.thread.key,
                        data={"event": msg.event_id, "user": msg.author.id},
                    ),
                ),
            )
        except DuplicateEvent:
            return Outcome(verdict="duplicate")
        except StoreError as exc:
            if opened is not None:
                # Nothing was written, the new thread neither: say so, as a turn's commit does.
                await self._told_failed(msg, exc)
            raise
        metrics.sink().turn(platform=msg.thread.platform, verdict=why)
        await self._delivery.carry_out(committed, reply=None, verdict=why)
        return Outcome(verdict=why, actions=committed.actions)

    async def _over_budget(self, thread_key: str, now: datetime) -> bool:
        if not self.assistant.is_model:
            return False
        return await self._quotas.over_budget(thread_key, now)

    async def _model_turn(
        self,
        msg: Incoming,
        state: ThreadState,
        base: Signals,
        now: datetime,
        *,
        reads: TurnReads,
        opened: ThreadState | None,
        assistant: Assistant,
        classifier: Classifier,
        extra: list[Action],
    ) -> Outcome:
        """The turn that needs the model: reply and assessment together, then the decision.

        The history and the author's recent locks came with the turn's first read, so nothing
        is read between the assessment and the decision (but the crisis case, when in one).
        """
        history = reads.history
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
            signals = replace(base, assessment=assessed.assessment)
            decided_at = self.clock()
            group = None
            if signals.risk != "none" or policy.in_crisis_window(state, self.settings, decided_at):
                # Only a crisis needs the thread's priority case: it joins it, not a new one.
                found = await self.store.cases(
                    thread_key=msg.thread.key,
                    kinds=PRIORITY_KINDS,
                    open_only=True,
                    limit=1,
                )
                group = found[0] if found else None
            decision = policy.decide(
                state=state,
                incoming=msg,
                signals=signals,
                history=UserHistory(recent_locks=reads.recent_locks),
                settings=self.settings,
                now=decided_at,
                group=group,
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
                decision = self._failed_turn(state, decision, failure, risk=signals.risk)
        except BaseException:
            # Whatever went wrong (a store error, a bug, shutdown), stop the paid generation.
            await reply.cancel()
            raise
        if extra and decision.state is not None:
            decision = replace(decision, actions=(*extra, *decision.actions))
        return await self._commit_and_carry_out(
            msg, state, decision, signals, reply if shows_reply else None, assessed, opened=opened
        )

    async def _assess(self, context: TurnContext, classifier: Classifier) -> AssessmentOutcome:
        deadline = self.settings.assistant.classifier_deadline.total_seconds()
        started = time.perf_counter()
        report = metrics.sink().classifier
        try:
            outcome = await asyncio.wait_for(classifier.assess(context), deadline)
        except TimeoutError:
            report(seconds=time.perf_counter() - started, outcome="timeout")
            log.warning("assessment missed its %.1fs deadline; the screen decides alone", deadline)
            return AssessmentOutcome(assessment=None, reason="deadline missed")
        except Exception as exc:  # any classifier failure is an "unknown", never a lost turn
            report(seconds=time.perf_counter() - started, outcome="error")
            log.exception("the classifier failed; the screen decides alone")
            return AssessmentOutcome(assessment=None, reason=f"classifier error: {exc!r}"[:200])
        if not isinstance(classifier, NoClassifier):  # offline, there is no call to time
            report(
                seconds=time.perf_counter() - started,
                outcome="ok" if outcome.assessment is not None else "unknown",
            )
        if outcome.usage:
            await self._quotas.spend(context.thread.key, outcome.usage, self.clock())
            report_usage("classifier", outcome.usage, self.settings)
        return outcome

    def _failed_turn(
        self, state: ThreadState, decision: Decision, failure: str, *, risk: str = "none"
    ) -> Decision:
        """The reply could not be produced: tell the user plainly and count no strike.

        A crisis turn keeps its resources and its alert: a fixed supportive line stands in for the
        reply, because a failure of ours must never leave someone at risk with nothing.
        """
        log.warning("turn failed in %s: %s", state.ref.key, failure)
        if decision.verdict == "crisis":
            fallback = (
                notices.SUPPORT_FALLBACK_OTHERS if risk == "others" else notices.SUPPORT_FALLBACK
            )
            actions = tuple(
                Action(kind="notice", thread=a.thread, text=fallback)
                if a.kind in REPLY_KINDS
                else a
                for a in decision.actions
            )
            return replace(decision, actions=actions, notes=(*decision.notes, failure))
        kept = replace(state, turns=state.turns + 1, pending_end_by=None)
        # The strike goes, but a case the turn raised (a harmful turn in a crisis window) stays.
        case_actions = tuple(a for a in decision.actions if a.kind in ("case", "case_update"))
        return Decision(
            verdict="failed",
            state=kept,
            actions=(
                *case_actions,
                Action(kind="notice", thread=state.ref, text=notices.TURN_FAILED),
            ),
            cases=decision.cases,
            updates=decision.updates,
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
        *,
        opened: ThreadState | None,
    ) -> Outcome:
        """Commit the decision (and the thread it opens, if any) in one write, then carry it out.

        The reply's text is committed after it has streamed (see `Delivery`): the second and
        last commit of a turn.
        """
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
                "screen_scores": {
                    "self": signals.screen_score_self,
                    "others": signals.screen_score_others,
                },
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
                state=decision.state if decision.state is not None else opened,
                turns=turns,
                cases=decision.cases,
                actions=decision.actions,
                audit=(*opening_entries(msg, opened), audit),
                updates=decision.updates,
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
        metrics.sink().turn(platform=msg.thread.platform, verdict=decision.verdict)
        if self.settings.logging.log_text:
            # The one log line that holds a user's words, and only when [logging] asks for it.
            log.info("turn in %s: %s -> %s", msg.thread.key, msg.text, decision.verdict)
        later = await self._delivery.carry_out(
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
        await self._delivery.tell_quietly(msg, notices.TURN_FAILED)
        setattr(exc, "user_told", True)  # noqa: B010  # StoreError has no such field by design
