"""The outbox: carry out the actions a committed decision owes, mark each done, or give it up.

A decision is committed with every action it owes before any of them is carried out (see `turn`
and `requests`); here each action goes to its platform's adapter, is retried with a pause when the
platform fails in a way worth retrying, and when it cannot be done becomes a delivery-failure case
so that a person sees it. The reply streams here too, and once it has ended, what it signalled (a
refusal, an end_conversation call) is decided and committed in turn. On start, `recover_owed`
carries out what an earlier process committed but did not finish.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from bot import metrics, notices, policy
from bot.adapter import Adapter
from bot.assistant.base import Reply
from bot.config import Settings
from bot.errors import DeliveryError, UnsupportedAction
from bot.modlog import draft_case
from bot.quotas import Quotas
from bot.records import Action, Case, Incoming, ThreadRef
from bot.runtime.wiring import RECOVER_BATCH, Stage, Wiring
from bot.stats import Tally
from bot.store.base import AuditEntry, Committed, OwedAction, SharedStore, TurnRecord

log = logging.getLogger(__name__)

#: Actions whose visible text is the assistant's reply.
REPLY_KINDS = frozenset({"reply", "redirect"})
#: Actions that show a case in the mod log (a new post, or the post edited in place).
CASE_KINDS = frozenset({"case", "case_update"})
#: Attempts and pauses (seconds) for an action a platform failed to carry out.
DELIVERY_BACKOFF = (0.5, 2.0)
#: The longest a retry waits for a platform's Retry-After (a longer one is cut to this).
RETRY_AFTER_CAP = 60.0
#: A decision's follow-up when there is none.
NOTHING_MORE = Committed(cases=(), actions=())


def report_usage(role: str, usage: Mapping[str, Any], settings: Settings) -> None:
    """One model call's tokens and cost, for the metrics (cost None for an unpriced model)."""
    tally = Tally()
    tally.add(usage, settings.prices)
    metrics.sink().model_call(role=role, usage=usage, cost=None if tally.unpriced else tally.cost)


async def _timing_first_token(chunks: AsyncIterator[str], platform: str) -> AsyncIterator[str]:
    """The reply's chunks, reporting when the first text is handed to the platform."""
    started = metrics.TURN_STARTED.get()
    async for chunk in chunks:
        if started is not None and chunk:
            metrics.sink().first_token(platform=platform, seconds=time.monotonic() - started)
            started = None
        yield chunk


class Delivery(Stage):
    """Carries out owed actions through the adapters, retrying, and reports what it could not."""

    def __init__(
        self, *, wiring: Wiring, quotas: Quotas, backoff: tuple[float, ...] = DELIVERY_BACKOFF
    ) -> None:
        super().__init__(wiring=wiring)
        self._quotas = quotas
        self._backoff = backoff
        #: Owed actions being carried out right now (their leases are renewed; see `held`).
        self._carrying: set[int] = set()

    def held(self) -> list[int]:
        """The owed actions being carried out now, for lease renewal."""
        return sorted(self._carrying)

    async def recover_owed(self, several: SharedStore | None) -> int:
        """Carry out what an earlier process committed but did not finish; returns how many.

        A store that several processes share leases each fresh action to the process that
        committed it; here only actions whose lease ran out (a dead process's) are claimed, so
        two live processes never carry out the same one.
        """
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
        return len(owed)

    async def carry_out(
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

    async def tell_quietly(self, msg: Incoming, text: str) -> None:
        """Post a notice at once, outside the outbox; best effort (a failure is only logged)."""
        adapter = self.adapters.get(msg.thread.platform)
        if adapter is None:
            return
        try:
            await adapter.perform(
                Action(kind="notice", thread=msg.thread, text=text), key=f"fail-{msg.event_id}"
            )
        except Exception:  # the failure notice is best effort; the original error is raised
            log.exception("could not tell the user that their turn failed")

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
        await self.carry_out(committed, reply=None, verdict=decision.verdict)
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
                metrics.sink().delivery_failed(
                    platform=adapter.platform, kind=action.kind, gave_up=False
                )
                if exc.retryable and pause is not None and (exc.nothing_shown or not streaming):
                    log.warning(
                        "attempt %d of action %s failed (%s); retrying", attempt + 1, item.id, exc
                    )
                    await self.store.action_failed(
                        item.id, at=self.clock(), error=error, give_up=False
                    )
                    # At least as long as the platform asked (a 429's Retry-After), within reason.
                    await asyncio.sleep(max(pause, min(exc.retry_after or 0.0, RETRY_AFTER_CAP)))
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
            metrics.sink().action_done(
                platform=adapter.platform,
                kind=action.kind,
                priority=bool(case is not None and case.priority and action.kind == "case"),
            )
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
            chunks = _timing_first_token(reply.stream(verdict), adapter.platform)
            text = await adapter.stream_reply(action.thread, chunks, key=item.key)
            outcome = await reply.outcome()
            if outcome.usage:
                await self._quotas.spend(action.thread.key, outcome.usage, self.clock())
                report_usage("reply", outcome.usage, self.settings)
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
        post = await adapter.perform(action, key=item.key, case=case, retry=retry)
        if post and case is not None and action.kind in CASE_KINDS and post != case.post:
            # Where the case is shown, so that a later change to it edits that message in place.
            await self.store.case_posted(workspace=case.workspace, number=case.number, post=post)
        return "done"

    async def _give_up(self, item: OwedAction, error: str) -> None:
        """An action that cannot be carried out becomes a case, so a person sees it."""
        action = item.action
        log.error("giving up on %s action %s: %s", action.kind, item.id, error)
        metrics.sink().delivery_failed(
            platform=action.thread.platform, kind=action.kind, gave_up=True
        )
        await self.store.action_failed(item.id, at=self.clock(), error=error, give_up=True)
        if action.kind in CASE_KINDS:
            return  # the mod log itself is failing; the log line above is all we can do
        await self.report(
            action.thread, user_id="", summary=f"Could not carry out {action.kind}: {error}"
        )

    async def report(self, where: ThreadRef, *, user_id: str, summary: str) -> None:
        """Open a delivery-failure case about `where` and post it, so a person sees the failure.

        For what the bot could not do (an action given up) or could not take in (an adapter whose
        platform kept failing while it read a message). `user_id` "" means the thread's owner.
        """
        state = await self.store.load_thread(where.key)
        case = draft_case(
            kind="delivery_failure",
            state=state,
            workspace=where.workspace,
            user_id=user_id or (state.owner if state else ""),
            summary=summary,
        )
        committed = await self.store.commit(
            at=self.clock(),
            event_id=None,
            state=None,
            cases=(case,),
            actions=(Action(kind="case", thread=where, case_ref=0),),
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
