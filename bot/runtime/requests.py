"""The events that are not a user's message: confirmations, appeals, branches, moderator commands.

Each reads what its decision needs from the store (the thread, the case that closed it, an appeal
still waiting), lets the policy decide, and commits the decision with an audit entry and the
actions it owes, which `delivery` then carries out. The Runtime holds the thread's lane meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

from bot import notices, policy
from bot.records import (
    Action,
    Appeal,
    Branch,
    Case,
    Decision,
    EndConfirmation,
    ModCommand,
    ThreadRef,
)
from bot.runtime.delivery import Delivery
from bot.runtime.wiring import Outcome, Stage, Wiring
from bot.store.base import AuditEntry, DuplicateEvent, Turn, TurnRecord

log = logging.getLogger(__name__)

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


class Requests(Stage):
    """Decides and commits confirmations, appeals, branches and moderator commands."""

    def __init__(self, *, wiring: Wiring, delivery: Delivery) -> None:
        super().__init__(wiring=wiring)
        self._delivery = delivery

    async def confirmation(self, event: EndConfirmation) -> Outcome:
        """An answer to "end this thread?" (a button, or a typed yes or no)."""
        state = await self.store.load_thread(event.thread.key)
        if state is None:
            return Outcome(verdict="not_hosted")
        decision = policy.confirm(
            state=state, confirmation=event, settings=self.settings, now=self.clock()
        )
        return await self._commit_event(
            event.event_id, event.thread.key, decision, actor=event.author.id
        )

    async def appeal(self, request: Appeal) -> Outcome:
        """A user's appeal of the lock on their thread, for the moderators to review."""
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

    async def branch(self, request: Branch) -> Outcome:
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

    async def moderate(self, command: ModCommand) -> Outcome:
        """A moderator's command: unlock, uphold, note, pardon."""
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
        await self._delivery.carry_out(committed, reply=None, verdict=decision.verdict)
        return Outcome(
            verdict=decision.verdict,
            actions=committed.actions,
            cases=committed.cases,
            state=decision.state,
        )
