"""The review queue and the false-positive measure: how often moderators reverse a lock.

Pure: cases in, figures out. A lock is reviewed when a moderator's unlock or uphold refers to it;
the reversal rate is unlocked / reviewed. That share is the project's false-positive measure: a
rising rate means the ladder locks threads that people would not have locked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.modlog import TITLES
from bot.records import Case

#: Case kinds that wait for a moderator until reviewed.
NEEDS_REVIEW = (
    "appeal",
    "lock",
    "crisis",
    "harmful_in_crisis",
    "repeat_locks",
    "delivery_failure",
)


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


def reversals(cases: Iterable[Case]) -> Reversals:
    """Count locks and the moderators' reviews of them."""
    all_cases = list(cases)
    locks = {(c.workspace, c.number) for c in all_cases if c.kind == "lock"}
    verdicts: dict[tuple[str, int], str] = {}
    for c in sorted(all_cases, key=lambda c: (c.created_at, c.number)):
        key = (c.workspace, c.refers_to) if c.refers_to is not None else None
        if key in locks and c.kind in ("unlock", "uphold"):
            verdicts[key] = c.kind  # the latest review stands
    reversed_ = sum(1 for v in verdicts.values() if v == "unlock")
    return Reversals(
        locks=len(locks),
        reviewed=len(verdicts),
        reversed=reversed_,
        upheld=len(verdicts) - reversed_,
    )


def queue(cases: Iterable[Case]) -> list[Case]:
    """Open cases that wait for a moderator, priority first, oldest first.

    An appeal is answered by any later unlock or uphold of its thread.
    """
    all_cases = list(cases)
    answered = {
        a.number
        for a in all_cases
        if a.kind == "appeal"
        and any(
            r.kind in ("unlock", "uphold")
            and r.workspace == a.workspace
            and r.number > a.number
            and r.thread is not None
            and a.thread is not None
            and r.thread.key == a.thread.key
            for r in all_cases
        )
    }
    waiting = [
        c
        for c in all_cases
        if c.status == "open" and c.kind in NEEDS_REVIEW and c.number not in answered
    ]
    return sorted(waiting, key=lambda c: (not c.priority, c.created_at, c.number))


def render_table(cases: Iterable[Case]) -> str:
    """One line per case."""
    rows = [f"  {'#':>5}  {'when (UTC)':<16}  {'kind':<34}  {'status':<8}  {'user':<14}  thread"]
    for c in cases:
        title = ("! " if c.priority else "  ") + TITLES.get(c.kind, c.kind)
        rows.append(
            f"  {c.number:>5}  {c.created_at.strftime('%Y-%m-%d %H:%M'):<16}  {title[:34]:<34}  "
            f"{c.status:<8}  {c.user_id[:14]:<14}  {c.thread.thread if c.thread else '-'}"
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
