"""Fakes for the core's own seams: an adapter that records, scripted assistants and classifiers.

These stand in for the platform and for Claude only where a test is about the runtime's sequencing;
they implement the same protocols as the real ones, so a wrong signature fails mypy and the test.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import audit
from bot.adapter import ALL_ACTIONS
from bot.assistant.base import AssessmentOutcome, ReplyOutcome, TurnContext
from bot.errors import DeliveryError
from bot.records import Action, ActionKind, Assessment, Case, ThreadRef
from bot.store.base import Store


@dataclass
class Call:
    """One thing the adapter was asked to do."""

    kind: str
    thread: str
    text: str
    key: str
    case: Case | None = None


class RecordingAdapter:
    """A platform that remembers every call, and can be told to fail some of them."""

    platform = "test"

    def __init__(self, *, supports: frozenset[ActionKind] = ALL_ACTIONS) -> None:
        self.supports = supports
        self.calls: list[Call] = []
        self.fail: dict[str, list[DeliveryError]] = {}

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Record, or raise the next scripted failure for this kind."""
        errors = self.fail.get(action.kind)
        if errors:
            raise errors.pop(0)
        self.calls.append(Call(action.kind, action.thread.thread, action.text, key, case))
        return None

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Record the whole reply."""
        text = "".join([c async for c in chunks])
        self.calls.append(Call("stream", thread.thread, text, key))
        return text

    def kinds(self) -> list[str]:
        """Kinds of the calls so far."""
        return [c.kind for c in self.calls]


class ScriptedReply:
    """A reply that starts generating when created (as a real one does), then streams its chunks.

    `gate`, when given, holds the generation until the test sets it.
    """

    def __init__(
        self,
        chunks: list[str],
        *,
        delay: float = 0.0,
        fail: str = "",
        gate: asyncio.Event | None = None,
        usage: dict[str, object] | None = None,
    ) -> None:
        self._usage = usage or {}
        self._chunks = chunks
        self._delay = delay
        self._fail = fail
        self._gate = gate
        self.cancelled = False
        self.released_at: float | None = None
        self.generating = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._generate())

    async def _generate(self) -> None:
        self.generating.set()
        if self._gate is not None:
            await self._gate.wait()
        await asyncio.sleep(self._delay)

    async def started(self) -> bool:
        """False when scripted to fail."""
        await self._task
        return not self._fail

    async def stream(self, verdict: str) -> AsyncIterator[str]:
        """The scripted chunks."""
        self.released_at = asyncio.get_running_loop().time()
        for chunk in self._chunks:
            yield chunk

    async def outcome(self) -> ReplyOutcome:
        """The scripted result."""
        return ReplyOutcome(text="".join(self._chunks), failed=self._fail, usage=self._usage)

    async def cancel(self) -> None:
        """Remember that the runtime cancelled it."""
        self.cancelled = True
        self._task.cancel()


class ScriptedAssistant:
    """Replies built by a function of the turn, so tests can vary them per message."""

    name = "scripted"
    is_model = True

    def __init__(self, make: Callable[[TurnContext], ScriptedReply] | None = None) -> None:
        self._make = make or (lambda ctx: ScriptedReply([f"answer to {ctx.text}"]))
        self.replies: list[ScriptedReply] = []
        self.contexts: list[TurnContext] = []

    def begin(self, context: TurnContext) -> ScriptedReply:
        """Start a scripted reply."""
        self.contexts.append(context)
        reply = self._make(context)
        self.replies.append(reply)
        return reply

    async def aclose(self) -> None:
        """Nothing to close."""


@dataclass
class ScriptedClassifier:
    """Assessments by message text; `delay` holds the answer back to test the gate."""

    by_text: dict[str, Assessment] = field(default_factory=dict)
    delay: float = 0.0
    name: str = "scripted"
    answered_at: list[float] = field(default_factory=list)
    #: Awaited before answering, so a test can prove what ran while the assessment was pending.
    wait_for: Callable[[], Awaitable[object]] | None = None

    async def assess(self, context: TurnContext) -> AssessmentOutcome:
        """The scripted assessment, or a benign one."""
        if self.wait_for is not None:
            await asyncio.wait_for(self.wait_for(), 5)
        await asyncio.sleep(self.delay)
        self.answered_at.append(asyncio.get_running_loop().time())
        return AssessmentOutcome(assessment=self.by_text.get(context.text, Assessment()))


class SteppingClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        """Move forward."""
        self.now += timedelta(**kw)


async def exported_audit(store: Store) -> list[dict[str, Any]]:
    """The audit log as `python -m bot audit export` writes it (JSONL), read back."""
    out = io.StringIO()
    await audit.export(store, fmt="jsonl", since=None, out=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def case_changes(records: list[dict[str, Any]]) -> list[tuple[int, str | None, str, bool]]:
    """Every change of a case in an audit export: (case, new state or None, by, grouped signal)."""
    return [
        (r["data"]["number"], r["data"]["status"], r["actor"], r["data"]["signal"])
        for r in records
        if r["kind"] == "case_update"
    ]
