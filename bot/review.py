"""The review queue and the false-positive measure: how often moderators reverse a lock.

Pure: cases in, figures out. The queue is every case of a kind that waits for a moderator and is
not resolved yet (open, or acknowledged by someone who has taken it up), priority first and then
oldest first, so working down it from the top is the right order and it can reach zero.

A lock is reviewed when a moderator's unlock or uphold refers to it (the latest review stands);
the reversal rate is unlocked / reviewed. That share is the project's false-positive measure: a
rising rate means the ladder locks threads that people would not have locked. `cases` and the
HTML report both compute it here, from every case of the store, so they always agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.modlog import TITLES
from bot.records import CATEGORY_WORDS, REVIEW_KINDS, Case

#: Case kinds that wait for a moderator until resolved.
NEEDS_REVIEW = tuple(sorted(REVIEW_KINDS))


@dataclass(frozen=True, kw_only=True, slots=True)
class Reversals:
    """Locks and what moderators decided about them."""

    locks: int
    reviewed: int
    reversed: int
    upheld: int

    @property
    def rate(self) -> float | None:
        """Reversed share of reviewed locks (None before any review)."""
        return self.reversed / self.reviewed if self.reviewed else None


def _verdicts(cases: list[Case]) -> tuple[dict[tuple[str, int], Case], dict[tuple[str, int], str]]:
    """Every lock by (workspace, number), and the latest review of each reviewed one."""
    locks = {(c.workspace, c.number): c for c in cases if c.kind == "lock"}
    verdicts: dict[tuple[str, int], str] = {}
    for c in sorted(cases, key=lambda c: (c.created_at, c.number)):
        key = (c.workspace, c.refers_to) if c.refers_to is not None else None
        if key in locks and c.kind in ("unlock", "uphold"):
            verdicts[key] = c.kind  # the latest review stands
    return locks, verdicts


def _count(locks: Iterable[tuple[str, int]], verdicts: dict[tuple[str, int], str]) -> Reversals:
    keys = list(locks)
    reviewed = [verdicts[k] for k in keys if k in verdicts]
    reversed_ = sum(1 for v in reviewed if v == "unlock")
    return Reversals(
        locks=len(keys),
        reviewed=len(reviewed),
        reversed=reversed_,
        upheld=len(reviewed) - reversed_,
    )


def reversals(cases: Iterable[Case]) -> Reversals:
    """Count locks and the moderators' reviews of them."""
    locks, verdicts = _verdicts(list(cases))
    return _count(locks, verdicts)


def reversals_by_category(cases: Iterable[Case]) -> dict[str, Reversals]:
    """The same figures per category of the locked turn, most locks first."""
    locks, verdicts = _verdicts(list(cases))
    grouped: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key, lock in locks.items():
        grouped[lock.category].append(key)
    ranked = sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {category: _count(keys, verdicts) for category, keys in ranked}


def queue(cases: Iterable[Case]) -> list[Case]:
    """Cases that wait for a moderator (open or acknowledged), priority first, oldest first."""
    waiting = [c for c in cases if c.waiting]
    return sorted(waiting, key=lambda c: (not c.priority, c.created_at, c.number))


def waiting_appeals(cases: Iterable[Case]) -> list[Case]:
    """Appeals no moderator has answered yet, oldest first."""
    return [c for c in queue(cases) if c.kind == "appeal"]


def state_words(case: Case) -> str:
    """A case's state in a few words: `open`, `acknowledged by m1`, `resolved by m1`, `-`."""
    if case.kind not in REVIEW_KINDS:
        return "-"  # a record of something done; it never waited
    if case.status == "open":
        return "open"
    return f"{case.status} by {case.status_by}" if case.status_by else case.status


def age(case: Case, now: datetime) -> str:
    """How long a case has waited, in the largest whole unit: `5m`, `3h`, `2d`."""
    minutes = max(0, int((now - case.created_at).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


def queue_lines(cases: Iterable[Case], *, now: datetime, limit: int = 20) -> list[str]:
    """The queue as short lines for a chat message: priority marked, oldest first, capped."""
    waiting = queue(cases)
    lines = []
    for c in waiting[:limit]:
        mark = "!" if c.priority else "-"
        count = f" ({c.signals} signals)" if c.signals > 1 else ""
        who = f", {state_words(c)}" if c.status == "acknowledged" else ""
        lines.append(
            f"{mark} #{c.number} {TITLES.get(c.kind, c.kind)}{count}: user {c.user_id}, "
            f"waiting {age(c, now)}{who}"
        )
    if len(waiting) > limit:
        lines.append(f"... and {len(waiting) - limit} more")
    return lines


def render_queue(cases: Iterable[Case], *, now: datetime, limit: int = 20) -> str:
    """The review queue in a few lines, or the sentence that says it is empty."""
    waiting = queue(cases)
    if not waiting:
        return "The review queue is empty: nothing waits for a moderator."
    priority = sum(1 for c in waiting if c.priority)
    head = f"{len(waiting)} case{'s' if len(waiting) != 1 else ''} waiting" + (
        f", {priority} priority" if priority else ""
    )
    return head + ":\n" + "\n".join(queue_lines(waiting, now=now, limit=limit))


def render_table(cases: Iterable[Case]) -> str:
    """One line per case."""
    rows = [f"  {'#':>5}  {'when (UTC)':<16}  {'kind':<34}  {'state':<20}  {'user':<14}  thread"]
    for c in cases:
        title = ("! " if c.priority else "  ") + TITLES.get(c.kind, c.kind)
        rows.append(
            f"  {c.number:>5}  {c.created_at.strftime('%Y-%m-%d %H:%M'):<16}  {title[:34]:<34}  "
            f"{state_words(c)[:20]:<20}  {c.user_id[:14]:<14}  "
            f"{c.thread.thread if c.thread else '-'}"
        )
    return "\n".join(rows)


def render_reversals(r: Reversals) -> str:
    """The false-positive measure in one line."""
    if r.rate is None:
        return f"locks: {r.locks}; none reviewed yet"
    return (
        f"locks: {r.locks}; reviewed {r.reviewed}: reversed {r.reversed}, upheld {r.upheld} "
        f"(reversal rate {r.rate:.0%})"
    )


def render_by_category(by_category: dict[str, Reversals]) -> str:
    """The reversal rate per category, one line each."""
    lines = []
    for category, r in by_category.items():
        rate = "none reviewed yet" if r.rate is None else f"reversal rate {r.rate:.0%}"
        lines.append(
            f"  {CATEGORY_WORDS.get(category, category)}: {r.locks} "
            f"lock{'s' if r.locks != 1 else ''}, {r.reviewed} reviewed, {rate}"
        )
    return "\n".join(lines)
