"""Replay: recorded conversations through the full core, one JSON line per action out.

Moderators use it to try a policy change against real past threads before deploying it; the tests
use it to drive the core end to end. The whole file is validated before anything runs, so a bad line
is reported by number and nothing after it is half-done.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from bot import notices
from bot.adapter import ALL_ACTIONS
from bot.errors import ReplayError, ThreadkeeperError
from bot.progress import Progress, silent
from bot.records import (
    MOD_COMMANDS,
    Action,
    Appeal,
    Author,
    Branch,
    Case,
    EndConfirmation,
    Event,
    Incoming,
    ModCommand,
    ThreadRef,
    encodable,
)
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "replay"
WORKSPACE = "replay"
START = datetime(2026, 1, 1, tzinfo=UTC)
#: A year: enough to step past any window, small enough that the clock cannot overflow.
MAX_ADVANCE_MINUTES = 525_600


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    """One validated input line: an event, or a clock move."""

    line: int
    event: dict[str, Any] | None = None
    advance: timedelta | None = None


def parse(lines: Iterable[str]) -> list[Step]:
    """Validate every line; raise ReplayError naming the first bad one."""
    steps: list[Step] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ReplayError(number, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(item, dict):
            raise ReplayError(number, "expected a JSON object")
        # A lone surrogate ("\\udc00" is valid JSON, not UTF-8) in a name or a thread would fail
        # every store write: cleaned here, as the platform adapters clean their payloads.
        item = {encodable(k): encodable(v) if isinstance(v, str) else v for k, v in item.items()}
        steps.append(_step(number, item))
    return steps


def _step(number: int, item: dict[str, Any]) -> Step:
    if "advance_minutes" in item:
        minutes = item["advance_minutes"]
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int | float)
            or not 0 <= minutes <= MAX_ADVANCE_MINUTES
        ):
            raise ReplayError(
                number,
                f"advance_minutes must be a number of minutes from 0 to {MAX_ADVANCE_MINUTES}",
            )
        return Step(line=number, advance=timedelta(minutes=minutes))
    for key in ("thread", "user"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise ReplayError(number, f"missing field {key!r} (a non-empty string)")
    if "moderator" in item and not isinstance(item["moderator"], bool):
        raise ReplayError(number, "moderator must be true or false")
    if "command" in item:
        if item["command"] not in MOD_COMMANDS:
            raise ReplayError(
                number,
                f"unknown command {item['command']!r}; expected one of {', '.join(MOD_COMMANDS)}",
            )
        if "case" in item and (isinstance(item["case"], bool) or not isinstance(item["case"], int)):
            raise ReplayError(number, "case must be a case number")
        for key in ("note", "reason"):
            if key in item and not isinstance(item[key], str):
                raise ReplayError(number, f"{key} must be text")
        if item["command"] in ("acknowledge", "resolve") and "case" not in item:
            raise ReplayError(number, f'{item["command"]} needs "case": N')
    elif "confirm" in item:
        if not isinstance(item["confirm"], bool):
            raise ReplayError(number, "confirm must be true or false")
    elif "appeal" in item:
        if not isinstance(item["appeal"], str):
            raise ReplayError(number, "appeal must be the user's statement (a string)")
    elif "branch" in item:
        if not isinstance(item["branch"], str) or not item["branch"]:
            raise ReplayError(number, "branch must name the new thread (a non-empty string)")
    elif not isinstance(item.get("text"), str):
        raise ReplayError(
            number,
            "missing field 'text' (or 'command', 'confirm', 'appeal', 'branch', 'advance_minutes')",
        )
    return Step(line=number, event=item)


class ReplayAdapter:
    """A platform that only remembers: what was streamed, by action key, for the output lines."""

    platform = PLATFORM
    supports = ALL_ACTIONS

    def __init__(self) -> None:
        self.streamed: dict[str, str] = {}

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> None:
        """Nothing to deliver: the driver prints the committed actions."""

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Collect the reply's text."""
        text = "".join([c async for c in chunks])
        self.streamed[key] = text
        return text


class ReplayClock:
    """A clock that moves only when the transcript says so."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def to_event(step: Step, *, opened: set[str], at: datetime, run_id: str = "") -> Event:
    """The platform-neutral event for one input line."""
    item = step.event
    assert item is not None
    ref = ThreadRef(platform=PLATFORM, workspace=WORKSPACE, channel="replay", thread=item["thread"])
    author = Author(
        id=item["user"], name=item["user"], is_moderator=bool(item.get("moderator", False))
    )
    # Unique per run: replaying the same file into a named store again is a new conversation,
    # not a redelivery of the old one.
    event_id = f"replay-{run_id}-{step.line}"
    if "command" in item:
        return ModCommand(
            event_id=event_id,
            moderator=author,
            command=item["command"],
            at=at,
            origin=ref,
            thread=ref,
            case=item.get("case"),
            user_id=item.get("target"),
            # "reason" reads better for a decision, "note" for a note: either is the text.
            note=str(item.get("reason", item.get("note", ""))),
        )
    if "appeal" in item:
        return Appeal(event_id=event_id, thread=ref, author=author, statement=item["appeal"], at=at)
    if "branch" in item:
        # The branch opens its thread: later lines in it are turns, not mentions.
        opened.add(item["branch"])
        return Branch(
            event_id=event_id,
            thread=ref,
            author=author,
            at=at,
            new_thread=replace(ref, thread=item["branch"]),
            label=item["thread"],
        )
    if "confirm" in item:
        return EndConfirmation(
            event_id=event_id, thread=ref, author=author, confirmed=item["confirm"], at=at
        )
    opens = item["thread"] not in opened
    opened.add(item["thread"])
    return Incoming(
        event_id=event_id, thread=ref, author=author, text=item["text"], at=at, opens_thread=opens
    )


async def run(
    steps: list[Step],
    *,
    runtime: Runtime,
    adapter: ReplayAdapter,
    clock: ReplayClock,
    out: TextIO | None = None,
    progress: Progress = silent,
    stage: str = "replaying (lines)",
) -> list[dict[str, Any]]:
    """Feed each step to the runtime; returns (and prints, given `out`) one line per action.

    `progress` hears (`stage`, steps done, steps) after each step.
    """
    opened: set[str] = set()
    run_id = uuid.uuid4().hex[:8]
    lines: list[dict[str, Any]] = []
    progress(stage, 0, len(steps))
    for done, step in enumerate(steps, start=1):
        if step.advance is not None:
            clock.now += step.advance
            progress(stage, done, len(steps))
            continue
        event = to_event(step, opened=opened, at=clock.now, run_id=run_id)
        try:
            outcome = await runtime.handle(event)
        except ThreadkeeperError as exc:
            # The lines before it stand (each was decided and printed); nothing of this one was.
            raise ReplayError(step.line, f"could not be decided: {exc}") from exc
        produced: list[dict[str, Any]] = []
        if not outcome.actions:
            thread = step.event["thread"] if step.event else ""
            produced.append({"thread": thread, "event": step.line, "action": outcome.verdict})
        cases = {c.number: c for c in outcome.cases}
        produced += [
            _line(owed.action, step.line, adapter.streamed.get(owed.key), cases)
            for owed in outcome.actions
        ]
        if out is not None:
            out.writelines(json.dumps(line) + "\n" for line in produced)
        lines += produced
        progress(stage, done, len(steps))
    return lines


def differences(
    base: list[dict[str, Any]], other: list[dict[str, Any]]
) -> list[tuple[int, str, list[str], list[str]]]:
    """Events whose actions differ between two runs: (event, thread, base's, other's)."""

    def by_event(lines: list[dict[str, Any]]) -> dict[int, tuple[str, list[str]]]:
        grouped: dict[int, tuple[str, list[str]]] = {}
        for line in lines:
            _, acts = grouped.setdefault(line["event"], (line["thread"], []))
            label = line["action"] + (f"({line['case_kind']})" if "case_kind" in line else "")
            acts.append(label)
        return grouped

    a, b = by_event(base), by_event(other)
    out = []
    for event in sorted(set(a) | set(b)):
        thread, acts_a = a.get(event, ("", []))
        thread_b, acts_b = b.get(event, ("", []))
        if acts_a != acts_b:
            out.append((event, thread or thread_b, acts_a, acts_b))
    return out


def summary(lines: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of the actions that matter to a policy change."""
    kinds = ("redirect", "warn", "lock", "crisis_resources", "confirm_end", "end")
    return {k: sum(1 for line in lines if line["action"] == k) for k in kinds}


def _line(
    action: Action, event: int, streamed: str | None, cases: dict[int, Case]
) -> dict[str, Any]:
    line: dict[str, Any] = {"thread": action.thread.thread, "event": event, "action": action.kind}
    if action.category != "none":
        line["category"] = action.category
    if action.kind == "private_notice" and action.user_id:
        line["user"] = action.user_id
    if action.case is not None:
        line["case"] = action.case
        if action.kind == "case_update" and action.priority:
            line["ping"] = True  # the moderators are alerted again about this case
        case = cases.get(action.case)
        if case is not None and action.kind == "case":
            line["case_kind"] = case.kind
            line["user"] = case.user_id
            if case.priority:
                line["priority"] = True
    text = (
        streamed
        if streamed is not None
        else notices.for_platform(
            action.text,
            policy_command="the policy command",
            branch_command='a "branch" line',
            appeal_command='an "appeal" line',
        )
    )
    if text:
        line["text"] = text
    return line
