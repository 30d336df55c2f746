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
    PRIORITY_KINDS,
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
        now = self.clock()
        group = (
            await self.crisis_case(event.thread)
            if policy.in_crisis_window(state, self.settings, now)
            else None
        )
        decision = policy.confirm(
            state=state, confirmation=event, settings=self.settings, now=now, group=group
        )
        return await self._commit_event(
            event.event_id, event.thread.key, decision, actor=event.author.id
        )

    async def appeal(self, request: Appeal) -> Outcome:
        """A user's appeal of the lock on their thread, for the moderators to review."""
        state = await self.store.load_thread(request.thread.key)
        closing = await self._closing_case(request.thread)
        closing_number = closing.number if closing else None
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
            lock_case=(
                closing.number
                if state is not None and (closing := await self._closing_case(request.thread))
                else None
            ),
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
        """A moderator's command: close, unlock, uphold, acknowledge, resolve, note, pardon.

        What it acts on is looked up here: the case it names, the thread (the case's, when only
        a case was named), the case that closed the thread and the appeal waiting on it.
        """
        target = (
            await self.store.case(workspace=command.origin.workspace, number=command.case)
            if command.case is not None
            else None
        )
        if command.thread is None and target is not None and target.thread is not None:
            command = replace(command, thread=target.thread)
        thread = command.thread
        state = await self.store.load_thread(thread.key) if thread else None
        closing = appeal = None
        if thread is not None and command.command in ("unlock", "uphold"):
            # "Unlock this thread" reviews the case that closed it: linked, so the share of locks
            # moderators reverse can be measured, and the waiting appeal is answered.
            closing = await self._closing_case(thread)
            appeal = await self._open_appeal(thread)
        decision = policy.moderate(
            state=state,
            command=command,
            now=self.clock(),
            target=target,
            closing=closing,
            appeal=appeal,
        )
        return await self._commit_event(
            command.event_id,
            thread.key if thread else None,
            decision,
            actor=command.moderator.id,
            data={"command": command.command, "case": command.case, "note": command.note},
        )

    async def crisis_case(self, thread: ThreadRef) -> Case | None:
        """The thread's newest priority case that no moderator has resolved, if any."""
        found = await self.store.cases(
            thread_key=thread.key, kinds=PRIORITY_KINDS, open_only=True, limit=1
        )
        return found[0] if found else None

    async def _open_appeal(self, thread: ThreadRef) -> Case | None:
        """The thread's newest appeal, if no moderator has answered it yet."""
        found = await self.store.cases(
            thread_key=thread.key, kinds=("appeal",), open_only=True, limit=1
        )
        return found[0] if found else None

    async def _closing_case(self, thread: ThreadRef) -> Case | None:
        """The case that closed the thread last: the bot's lock, a moderator's, or an end."""
        found = await self.store.cases(
            thread_key=thread.key, kinds=("lock", "mod_lock", "end"), limit=1
        )
        return found[0] if found else None

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
                updates=decision.updates,
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
