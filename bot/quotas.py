"""The limits a turn checks, counted where they hold: in this process, or in the shared database.

A user's message rate and the day's token budgets (`[limits]`) must hold for the whole bot. With
one process (SQLite) its memory is the whole bot, and `bot.limits` counts there: a rate window is
seconds long, and the day's tokens are read back from the stored usage once a day. With several
processes on one database (PostgreSQL), memory would let each process allow the full rate, so the
store counts instead (`bot.store.base.SharedLimits`: one atomic statement per check). `Quotas`
is what the runtime asks; which of the two answers is the store's to say, checked per call, so a
store swapped on a runtime is followed.

A store failure while counting never costs a user their turn: a rate check that cannot be made
lets the message through, and a count that cannot be written is logged (the turn's own commit
reports a store that is really down).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from bot.config import LimitSettings
from bot.errors import StoreError
from bot.limits import RateLimiter, TokenLedger, midnight, weigh, workspace_of
from bot.store.base import SharedLimits, Store, shared_limits

log = logging.getLogger(__name__)


def _day(now: datetime) -> date:
    return now.astimezone(UTC).date()


class Quotas:
    """The message rate per user and the day's tokens per thread and workspace."""

    def __init__(self, *, limits: LimitSettings, store: Callable[[], Store]) -> None:
        self._per_minute = limits.user_messages_per_minute
        self._rate = RateLimiter(limits.user_messages_per_minute)
        self._ledger = TokenLedger(
            thread_limit=limits.thread_tokens_per_day,
            workspace_limit=limits.workspace_tokens_per_day,
        )
        self._store = store
        self._pruned: date | None = None

    @property
    def budgets(self) -> bool:
        """Whether any token budget is set."""
        return bool(self._ledger.thread_limit or self._ledger.workspace_limit)

    def _shared(self) -> SharedLimits | None:
        return shared_limits(self._store())

    async def pace(self, user_key: str, now: datetime) -> str:
        """One message by `user_key`: "ok" (read it), "slow_down" (say so once) or "drop"."""
        if self._per_minute <= 0:
            return "ok"
        shared = self._shared()
        if shared is None:
            return self._rate.check(user_key, now)
        try:
            return await shared.count_message(user_key, at=now, per_minute=self._per_minute)
        except StoreError as exc:
            log.warning("could not check the message rate (%s); reading the message", exc)
            return "ok"

    async def over_budget(self, thread_key: str, now: datetime) -> bool:
        """Whether this thread or its workspace has spent today's tokens."""
        if not self.budgets:
            return False
        shared = self._shared()
        ledger = self._ledger
        if shared is None:
            if ledger.needs_seed(now):
                ledger.seed(await self._store().usage(since=midnight(now)), now)
            return ledger.over(thread_key)
        await self._prune(shared, now)
        workspace = workspace_of(thread_key)
        thread, spent = await shared.tokens_spent(
            day=_day(now), thread_key=thread_key, workspace=workspace
        )
        return bool(
            (ledger.thread_limit and thread >= ledger.thread_limit)
            or (ledger.workspace_limit and spent >= ledger.workspace_limit)
        )

    async def spend(self, thread_key: str, usage: Mapping[str, Any], now: datetime) -> None:
        """Count one finished model call against the thread's and its workspace's day.

        Without a budget nothing reads the counts, and nothing would ever clear them (the day's
        totals are reset when a budget check reads them back): counting then would hold a total
        for every thread the process ever served.
        """
        if not self.budgets:
            return
        shared = self._shared()
        if shared is None:
            self._ledger.add(thread_key, usage)
            return
        try:
            await shared.add_tokens(
                day=_day(now),
                thread_key=thread_key,
                workspace=workspace_of(thread_key),
                tokens=weigh(usage),
            )
        except StoreError as exc:
            log.warning("could not count %s's tokens against the budget: %s", thread_key, exc)

    async def first_notice(self, thread_key: str, now: datetime) -> bool:
        """True once per thread per day (across every process): whether to say it is spent."""
        shared = self._shared()
        if shared is None:
            return self._ledger.first_notice(thread_key)
        return await shared.first_budget_notice(day=_day(now), thread_key=thread_key)

    async def _prune(self, shared: SharedLimits, now: datetime) -> None:
        """Once a day per process, drop the counters no check can read any more."""
        today = _day(now)
        if self._pruned == today:
            return
        self._pruned = today
        try:
            await shared.prune_limits(before=now)
        except StoreError as exc:
            log.warning("could not prune old limit counters: %s", exc)
