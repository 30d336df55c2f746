"""The assistant used when no Claude API key is set.

It says plainly that it is offline and answers with short fixed text chosen by the verdict; it never
pretends to be Claude. The local screen then decides alone (there is no classifier), which is
enough to walk the whole ladder in the console.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot import notices
from bot.assistant.base import AssessmentOutcome, ReplyOutcome, TurnContext

_BY_VERDICT = {
    "redirect": notices.OFFLINE_REDIRECT,
    "warn": notices.OFFLINE_REDIRECT,
    "crisis": notices.OFFLINE_SUPPORT,
    "kept_open": notices.OFFLINE_SUPPORT,
}


class OfflineReply:
    """A reply whose text is fixed, so it is ready at once and cannot fail."""

    def __init__(self, context: TurnContext) -> None:
        self._context = context
        self._text = ""

    async def started(self) -> bool:
        """Always ready."""
        return True

    async def stream(self, verdict: str) -> AsyncIterator[str]:
        """The fixed text for this verdict, in one chunk."""
        self._text = _BY_VERDICT.get(verdict, notices.OFFLINE_REPLY)
        if self._text == notices.OFFLINE_SUPPORT and self._context.screen_risk == "others":
            # A threat to someone else is not met with "sorry you're going through this".
            self._text = notices.OFFLINE_SUPPORT_OTHERS
        yield self._text

    async def outcome(self) -> ReplyOutcome:
        """The text that was streamed."""
        return ReplyOutcome(text=self._text)

    async def cancel(self) -> None:
        """Nothing to stop."""


class OfflineAssistant:
    """Fixed replies, no network."""

    name = "offline"
    is_model = False

    def begin(self, context: TurnContext) -> OfflineReply:
        """A reply that is ready at once."""
        return OfflineReply(context)

    async def aclose(self) -> None:
        """Nothing to release."""


class NoClassifier:
    """Without Claude there is no assessment: every turn is "unknown" and the screen decides."""

    name = "none"

    async def assess(self, context: TurnContext) -> AssessmentOutcome:
        """Unknown, always."""
        return AssessmentOutcome(assessment=None, reason="no classifier (offline)")
