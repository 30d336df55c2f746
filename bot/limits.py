"""Limits that protect people and budgets: a per-user message rate and daily token budgets.

Both live in memory, per process: a rate window is seconds long, and the day's token totals are
read back from the stored usage once a day (or once after a restart), then kept up to date as
calls finish. The clock is passed in, so replays and tests control time.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.store.base import UsageRow

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)


class RateLimiter:
    """A sliding one-minute window of messages per key (a user in a workspace).

    A check costs the same with ten users active or a hundred thousand: the keys are kept in the
    order of their last counted message (an OrderedDict, moved to the end on each), so the ones
    idle for a whole window are all at the front, and each check forgets those, and only those.
    Every key is forgotten once per time it was counted, so the pruning is O(1) per check
    amortised, and memory holds the users of the last minute, no more.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._told: dict[str, datetime] = {}

    def __len__(self) -> int:
        """How many keys are held (the users of about the last window)."""
        return len(self._hits)

    def check(self, key: str, now: datetime) -> str:
        """ "ok" (and counted), "slow_down" (first refusal in this window: say so) or "drop"."""
        if self.per_minute <= 0:
            return "ok"
        self._forget_idle(now)
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        while hits and now - hits[0] >= WINDOW:
            hits.popleft()
        if len(hits) < self.per_minute:
            hits.append(now)
            self._hits.move_to_end(key)
            return "ok"
        told = self._told.get(key)
        if told is not None and now - told < WINDOW:
            return "drop"
        self._told[key] = now
        return "slow_down"

    def _forget_idle(self, now: datetime) -> None:
        """Drop the keys whose last counted message is a window old (all at the front).

        A clock that steps back (a replay, a corrected system clock) leaves a newer key in front
        of an older one; the older is then forgotten a little late, never early.
        """
        hits = self._hits
        while hits:
            key, first = next(iter(hits.items()))
            if first and now - first[-1] < WINDOW:
                return
            del hits[key]
            self._told.pop(key, None)


def weigh(usage: Mapping[str, Any]) -> int:
    """Tokens that count against a budget: cache reads cost a tenth, as they are billed."""
    return (
        int(usage.get("input_tokens", 0) or 0)
        + int(usage.get("output_tokens", 0) or 0)
        + int(usage.get("cache_creation_input_tokens", 0) or 0)
        + int(usage.get("cache_read_input_tokens", 0) or 0) // 10
    )


def workspace_of(thread_key: str) -> str:
    """The platform and workspace part of a thread key (budgets are per workspace)."""
    return ":".join(thread_key.split(":", 2)[:2])


class TokenLedger:
    """Today's model tokens per thread and per workspace."""

    def __init__(self, *, thread_limit: int, workspace_limit: int) -> None:
        self.thread_limit = thread_limit
        self.workspace_limit = workspace_limit
        self.day = ""
        self.threads: dict[str, int] = {}
        self.workspaces: dict[str, int] = {}
        self.told: set[str] = set()

    @staticmethod
    def day_of(now: datetime) -> str:
        """The UTC day a time falls on."""
        return now.date().isoformat()

    def needs_seed(self, now: datetime) -> bool:
        """True on the first use of a new day: the totals must be read back from the store."""
        return self.day != self.day_of(now)

    def seed(self, rows: list[UsageRow], now: datetime) -> None:
        """Start the day from what the store recorded since midnight UTC."""
        self.day = self.day_of(now)
        self.threads.clear()
        self.workspaces.clear()
        self.told.clear()
        for row in rows:
            for usage in row.usage.values():
                if isinstance(usage, Mapping):
                    self._count(row.thread_key, weigh(usage))

    def add(self, thread_key: str, usage: Mapping[str, Any]) -> None:
        """Count one finished call."""
        self._count(thread_key, weigh(usage))

    def _count(self, thread_key: str, tokens: int) -> None:
        self.threads[thread_key] = self.threads.get(thread_key, 0) + tokens
        ws = workspace_of(thread_key)
        self.workspaces[ws] = self.workspaces.get(ws, 0) + tokens

    def over(self, thread_key: str) -> bool:
        """Whether this thread or its workspace has spent today's budget."""
        t = self.thread_limit and self.threads.get(thread_key, 0) >= self.thread_limit
        ws = workspace_of(thread_key)
        w = self.workspace_limit and self.workspaces.get(ws, 0) >= self.workspace_limit
        return bool(t or w)

    def first_notice(self, thread_key: str) -> bool:
        """True once per thread per day: whether to tell the thread the budget is spent."""
        if thread_key in self.told:
            return False
        self.told.add(thread_key)
        return True


def midnight(now: datetime) -> datetime:
    """The start of the UTC day."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)
