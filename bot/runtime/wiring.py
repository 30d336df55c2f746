"""What the stages of the conductor share: the parts one Runtime was built with, and an Outcome.

Every stage (inbox, turn, requests, delivery) holds the one `Wiring` its Runtime made and reads
the store, settings, adapters and clock through it, by the same names the Runtime offers. It is
one record, not a copy per stage, so that a store swapped on the Runtime (a test puts a failing
store in; a tool may wrap it) is the store every stage uses from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.adapter import Adapter
from bot.config import Settings
from bot.records import Case, Event, ThreadState
from bot.store.base import OwedAction, Store

log = logging.getLogger(__name__)

#: The event whose turn is being carried out, for adapters that need its author (Slack streams to
#: a recipient): a message accepted by one task may be decided by another (the thread's earlier
#: message drains it first), so the adapter cannot rely on its own listener's context.
HANDLING: ContextVar[Event | None] = ContextVar("threadkeeper_handling", default=None)
#: Most owed actions, and most accepted messages, one recovery takes up.
RECOVER_BATCH = 1000


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


@dataclass(kw_only=True, slots=True, eq=False)
class Wiring:
    """The parts a Runtime was built with; not frozen, because its store may be swapped."""

    settings: Settings
    store: Store
    adapters: dict[str, Adapter]
    clock: Callable[[], datetime]


class Stage:
    """A stage of the conductor: the shared wiring, read by the names the Runtime uses."""

    def __init__(self, *, wiring: Wiring) -> None:
        self._wiring = wiring

    @property
    def settings(self) -> Settings:
        """The live settings."""
        return self._wiring.settings

    @property
    def store(self) -> Store:
        """The store, as the Runtime holds it now."""
        return self._wiring.store

    @property
    def adapters(self) -> Mapping[str, Adapter]:
        """The adapters by platform name."""
        return self._wiring.adapters

    def clock(self) -> datetime:
        """Now, by the Runtime's clock (a replay's or a test's, or the real one)."""
        return self._wiring.clock()
