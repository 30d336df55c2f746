"""Claude through the Anthropic SDK: streamed replies and the safety assessment.

The only module that imports `anthropic`. Retries are ours, not the SDK's: the SDK would obey any
retry-after a server sends (minutes, uncapped) and wait up to ten minutes on a read, which a chat
user cannot. Here every call has a deadline, a retry-after is capped, a reply is retried only
before its first token, and a stream that stalls is cut off. SDK errors stop at this module: the
runtime sees a plain reason string and an "unknown" assessment, never an SDK exception.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import anthropic

from bot import notices
from bot.assistant.base import AssessmentOutcome, ReplyOutcome, TurnContext
from bot.assistant.prompts import (
    ASSESSMENT_SCHEMA,
    CLASSIFIER_SYSTEM,
    END_CONVERSATION_TOOL,
    REPLY_SYSTEM,
    build_messages,
    classifier_messages,
    trim_to_budget,
    visible_history,
)
from bot.config import AssistantSettings
from bot.records import CATEGORIES, RISKS, Assessment

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Errors worth another try: rate limits, overload, server errors, timeouts, dropped connections.
_RETRYABLE = (
    anthropic.RateLimitError,
    anthropic.InternalServerError,
    anthropic.APIConnectionError,
)
#: An `event: error` inside a 200 stream arrives as a plain APIStatusError with the error's type.
_RETRYABLE_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error"})


def retryable(exc: BaseException) -> bool:
    """Whether trying the same call again may help."""
    return isinstance(exc, _RETRYABLE) or getattr(exc, "type", None) in _RETRYABLE_TYPES


def make_client(settings: AssistantSettings) -> anthropic.AsyncAnthropic:
    """The SDK client: our key variable, no SDK retries, a connect/read timeout of our own.

    The base URL comes from ANTHROPIC_BASE_URL when set (the SDK reads it), which is how the tests
    and a proxy point the bot elsewhere.
    """
    return anthropic.AsyncAnthropic(
        api_key=settings.api_key(),
        max_retries=0,
        timeout=settings.reply_timeout.total_seconds(),
    )


def usage_of(message: Any, model: str) -> dict[str, Any]:
    """The usage fields of a response, with the model id, as stored per turn."""
    u = getattr(message, "usage", None)
    return {
        "model": model,
        "input_tokens": getattr(u, "input_tokens", 0) or 0,
        "output_tokens": getattr(u, "output_tokens", 0) or 0,
        "cache_creation_input_tokens": getattr(u, "cache_creation_input_tokens", 0) or 0,
        "cache_read_input_tokens": getattr(u, "cache_read_input_tokens", 0) or 0,
    }


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            return float(ms) / 1000
        if (s := headers.get("retry-after")) is not None:
            return float(s)
    except ValueError:
        return None
    return None


def describe_error(exc: BaseException) -> str:
    """A plain reason for logs and the audit log (never the request, never a key)."""
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    return f"{kind} (HTTP {status})" if status else kind


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    deadline: float,
    max_wait: float,
    what: str,
) -> T:
    """Run `call`, retrying retryable errors with a capped wait, never past `deadline`."""
    last: BaseException | None = None
    for attempt in range(attempts):
        try:
            return await call()
        except anthropic.APIError as exc:
            if not retryable(exc):
                raise
            last = exc
            wait = min(_retry_after(exc) or 0.5 * 2**attempt, max_wait)
            if attempt + 1 >= attempts or time.monotonic() + wait >= deadline:
                break
            log.warning("%s failed (%s); retrying in %.1fs", what, describe_error(exc), wait)
            await asyncio.sleep(wait)
    assert last is not None
    raise last


class ClaudeReply:
    """A reply generating in the background into a buffer, released by the runtime."""

    def __init__(self, run: Callable[[ClaudeReply], Awaitable[None]], *, stall: float) -> None:
        self._chunks: list[str] = []
        self._more = asyncio.Event()
        self._first = asyncio.Event()
        self._done = asyncio.Event()
        self._stall = stall
        self.outcome_value = ReplyOutcome(text="")
        self._task = asyncio.get_running_loop().create_task(self._guard(run))

    async def _guard(self, run: Callable[[ClaudeReply], Awaitable[None]]) -> None:
        try:
            await run(self)
        except asyncio.CancelledError:
            self.finish(ReplyOutcome(text="".join(self._chunks), failed="cancelled"))
            raise
        except Exception as exc:  # a bug of ours must still end the reply, with a reason
            log.exception("reply generation crashed")
            self.finish(ReplyOutcome(text="".join(self._chunks), failed=describe_error(exc)))

    def push(self, chunk: str) -> None:
        """Add generated text."""
        if chunk:
            self._chunks.append(chunk)
            self._first.set()
            self._more.set()

    def finish(self, outcome: ReplyOutcome) -> None:
        """Record how the reply ended (idempotent)."""
        if not self._done.is_set():
            self.outcome_value = outcome
            self._done.set()
            self._first.set()
            self._more.set()

    @property
    def has_text(self) -> bool:
        """Whether any text was generated."""
        return bool(self._chunks)

    async def started(self) -> bool:
        """True once text has arrived; False if the reply ended in failure before any."""
        await self._first.wait()
        return bool(self._chunks) or not self.outcome_value.failed

    async def stream(self, verdict: str) -> AsyncIterator[str]:
        """Buffered chunks, then new ones as they come; a cut-off says so in fixed words."""
        sent = 0
        while True:
            while sent < len(self._chunks):
                sent += 1
                yield self._chunks[sent - 1]
            if self._done.is_set():
                break
            self._more.clear()
            if sent < len(self._chunks) or self._done.is_set():
                continue
            await self._more.wait()
        if self.outcome_value.failed and sent:
            yield notices.REPLY_CUT_OFF
        elif not sent and not self.outcome_value.failed:
            # A reply with no text (only a tool call): platforms refuse empty messages.
            yield notices.NO_REPLY_TEXT

    async def outcome(self) -> ReplyOutcome:
        """Wait for the end."""
        await self._done.wait()
        return self.outcome_value

    async def cancel(self) -> None:
        """Stop generating (the reply will not be shown)."""
        if not self._task.done():
            self._task.cancel()
            # wait() neither raises the task's CancelledError nor swallows our own cancellation.
            await asyncio.wait([self._task])


class ClaudeAssistant:
    """Replies from the configured reply model, streamed, cached and honest about failure."""

    name = "claude"
    is_model = True

    def __init__(
        self,
        settings: AssistantSettings,
        *,
        policy_text: str,
        client: anthropic.AsyncAnthropic | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        # Byte-stable: built once, so every turn of every thread shares the cached prefix.
        self.system = [
            {
                "type": "text",
                "text": REPLY_SYSTEM.format(policy=policy_text),
                "cache_control": {"type": "ephemeral"},
            }
        ]
        self.tools = [END_CONVERSATION_TOOL]

    def begin(self, context: TurnContext) -> ClaudeReply:
        """Start streaming a reply into a buffer."""
        history, dropped = trim_to_budget(
            visible_history(context.history),
            budget=self.settings.history_tokens,
            max_turns=self.settings.history_turns,
            # The runtime asks for one turn more than the cap: getting it means the thread has
            # outgrown the window, even if hidden turns make the visible list shorter.
            over_cap=len(context.history) > self.settings.history_turns,
        )
        history_from = history[0].seq if dropped and history else None
        messages = build_messages(
            history,
            author_id=context.author.id,
            author_name=context.author.name,
            text=context.text,
            turn_note=context.turn_note,
        )
        params: dict[str, Any] = {
            "model": self.settings.reply_model,
            "max_tokens": self.settings.max_reply_tokens,
            "system": self.system,
            "tools": self.tools,
            "messages": messages,
        }

        async def run(reply: ClaudeReply) -> None:
            await self._generate(reply, params, dropped, history_from)

        return ClaudeReply(run, stall=self.settings.stall_timeout.total_seconds())

    async def _generate(
        self, reply: ClaudeReply, params: dict[str, Any], dropped: int, history_from: int | None
    ) -> None:
        s = self.settings
        deadline = time.monotonic() + s.reply_timeout.total_seconds()
        stall = s.stall_timeout.total_seconds()
        model = params["model"]
        for attempt in range(s.max_attempts):
            try:
                async with self.client.messages.stream(**params) as stream:
                    texts = stream.text_stream.__aiter__()
                    while True:
                        left = min(stall, deadline - time.monotonic())
                        try:
                            chunk = await asyncio.wait_for(texts.__anext__(), max(left, 0.01))
                        except StopAsyncIteration:
                            break
                        reply.push(chunk)
                    final = await stream.get_final_message()
            except TimeoutError:
                reply.finish(
                    ReplyOutcome(
                        text=_joined(reply),
                        failed="the reply stalled",
                        dropped=dropped,
                        history_from=history_from,
                    )
                )
                return
            except Exception as exc:
                # SDK errors, and the HTTP library's own (a dropped stream is not always wrapped).
                wait = min(_retry_after(exc) or 0.5 * 2**attempt, s.max_retry_wait.total_seconds())
                if (
                    (retryable(exc) or not isinstance(exc, anthropic.APIError))
                    and not reply.has_text
                    and attempt + 1 < s.max_attempts
                    and time.monotonic() + wait < deadline
                ):
                    log.warning("reply failed (%s); retrying in %.1fs", describe_error(exc), wait)
                    await asyncio.sleep(wait)
                    continue
                reply.finish(
                    ReplyOutcome(
                        text=_joined(reply),
                        failed=describe_error(exc),
                        dropped=dropped,
                        history_from=history_from,
                    )
                )
                return
            tool_called = any(
                getattr(block, "type", "") == "tool_use"
                and getattr(block, "name", "") == "end_conversation"
                for block in final.content
            )
            reply.finish(
                ReplyOutcome(
                    text=_joined(reply),
                    refused=final.stop_reason == "refusal",
                    end_conversation=tool_called,
                    usage=usage_of(final, model),
                    dropped=dropped,
                    history_from=history_from,
                )
            )
            return

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.client.close()


def _joined(reply: ClaudeReply) -> str:
    return "".join(reply._chunks)


class ClaudeClassifier:
    """The assessment: structured output on the classifier model; anything odd is "unknown"."""

    name = "claude"

    def __init__(
        self, settings: AssistantSettings, *, client: anthropic.AsyncAnthropic | None = None
    ) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self.system = [
            {"type": "text", "text": CLASSIFIER_SYSTEM, "cache_control": {"type": "ephemeral"}}
        ]

    async def assess(self, context: TurnContext) -> AssessmentOutcome:
        """Assess one turn; errors, refusals and invalid JSON come back as unknown."""
        s = self.settings
        model = s.classifier_model
        messages = classifier_messages(
            visible_history(context.history),
            author_id=context.author.id,
            author_name=context.author.name,
            text=context.text,
        )
        deadline = time.monotonic() + s.classifier_deadline.total_seconds()

        async def call() -> Any:
            params: dict[str, Any] = {
                "model": model,
                "max_tokens": 400,
                "system": self.system,
                "messages": messages,
                "output_config": {"format": {"type": "json_schema", "schema": ASSESSMENT_SCHEMA}},
                "timeout": max(deadline - time.monotonic(), 0.1),
            }
            return await self.client.messages.create(**params)

        try:
            message = await with_retries(
                call,
                attempts=s.max_attempts,
                deadline=deadline,
                max_wait=s.max_retry_wait.total_seconds(),
                what="assessment",
            )
        except Exception as exc:  # any failure is "unknown": the screen still decides
            log.warning("assessment failed: %s", describe_error(exc))
            return AssessmentOutcome(assessment=None, reason=describe_error(exc))
        usage = usage_of(message, model)
        if message.stop_reason == "refusal":
            return AssessmentOutcome(assessment=None, reason="classifier refused", usage=usage)
        text = "".join(getattr(b, "text", "") for b in message.content)
        assessment = parse_assessment(text)
        if assessment is None:
            log.warning("classifier answered with invalid JSON; treating the turn as unknown")
            return AssessmentOutcome(assessment=None, reason="invalid assessment", usage=usage)
        return AssessmentOutcome(assessment=assessment, usage=usage)


def parse_assessment(text: str) -> Assessment | None:
    """The schema's JSON into an Assessment, or None when anything is off."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or set(data) != set(ASSESSMENT_SCHEMA["required"]):
        return None
    flags = ("harmful", "abusive", "end_request")
    if not all(isinstance(data[k], bool) for k in flags):
        return None
    if data["category"] not in CATEGORIES or data["risk"] not in RISKS:
        return None
    if not isinstance(data["rationale"], str):
        return None
    return Assessment(
        harmful=data["harmful"],
        abusive=data["abusive"],
        category=data["category"],
        risk=data["risk"],
        end_request=data["end_request"],
        rationale=data["rationale"][:500],
    )
