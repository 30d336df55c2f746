"""The assistant and classifier interfaces the runtime drives.

Both calls start together when a turn arrives; the reply is generated into a buffer and shown only
after the policy has decided on the assessment, so nothing harmful is shown and a lock never
follows half a reply. Offline and Claude implementations sit behind the same two protocols.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.records import Assessment, Author, Risk, ThreadRef
from bot.store.base import Turn


@dataclass(frozen=True, kw_only=True, slots=True)
class TurnContext:
    """What the assistant and classifier see of one turn."""

    thread: ThreadRef
    author: Author
    text: str
    history: Sequence[Turn]
    #: The local screen's risk reading: known before either call starts (it takes microseconds).
    screen_risk: Risk = "none"
    #: Fixed context for this turn only (a warning is due, strikes so far): kept out of the cached
    #: system prompt so that the prefix stays byte-stable.
    turn_note: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyOutcome:
    """How a reply ended: its full text, whether the model refused or asked to end, its usage."""

    text: str
    refused: bool = False
    end_conversation: bool = False
    failed: str = ""  # a plain reason when the reply could not be produced
    #: Oldest turns left out of the history to stay within the budget, and the stored turn the
    #: history now starts at (None when it did not move).
    dropped: int = 0
    history_from: int | None = None
    usage: Mapping[str, Any] = field(default_factory=dict)


class Reply(Protocol):
    """A reply being generated into a buffer, released by the runtime after the decision."""

    async def started(self) -> bool:
        """Wait until the reply has produced its first text or ended; False if it failed first."""
        ...

    def stream(self, verdict: str) -> AsyncIterator[str]:
        """The reply's chunks, buffered ones first; `verdict` lets a fixed assistant choose."""
        ...

    async def outcome(self) -> ReplyOutcome:
        """Wait for the end of the reply."""
        ...

    async def cancel(self) -> None:
        """Stop generating: the reply will not be shown (a lock, a closed thread)."""
        ...


class Assistant(Protocol):
    """Produces replies."""

    name: str
    #: False for the offline assistant: users are told it is not Claude.
    is_model: bool

    def begin(self, context: TurnContext) -> Reply:
        """Start generating a reply to this turn; returns at once."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class AssessmentOutcome:
    """The classifier's answer, or None ("unknown") with the reason and the usage of the call."""

    assessment: Assessment | None
    reason: str = ""
    usage: Mapping[str, Any] = field(default_factory=dict)


class Classifier(Protocol):
    """Reads one user turn against the policy."""

    name: str

    async def assess(self, context: TurnContext) -> AssessmentOutcome:
        """Assess the turn; never raises for API trouble (that is an "unknown")."""
        ...
