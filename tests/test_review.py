"""The review queue and the reversal rate (the false-positive measure)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import review
from bot.records import Case, ThreadRef

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 1, tzinfo=UTC)
REF = ThreadRef(platform="p", workspace="w", channel="c", thread="t")


def case(
    number: int,
    kind: str,
    *,
    refers_to: int | None = None,
    priority: bool = False,
    status: str = "open",
    minutes: int = 0,
    category: str = "none",
) -> Case:
    """A stored case."""
    return Case(
        number=number,
        kind=kind,
        workspace="w",
        user_id="u",
        actor="bot",  # type: ignore[arg-type]
        created_at=T0 + timedelta(minutes=minutes),
        thread=REF,
        refers_to=refers_to,
        priority=priority,
        status=status,
        category=category,
    )  # type: ignore[arg-type]


def test_reversal_rate_counts_the_latest_review_of_each_lock() -> None:
    """Unlocks are reversals; the latest review of a lock stands; notes don't count."""
    cases = [
        case(1, "lock"),
        case(2, "lock"),
        case(3, "lock"),
        case(4, "unlock", refers_to=1, minutes=1),
        case(5, "uphold", refers_to=2, minutes=2),
        case(6, "note", refers_to=3, minutes=3),
        case(7, "unlock", refers_to=2, minutes=4),
    ]
    r = review.reversals(cases)
    assert (r.locks, r.reviewed, r.reversed, r.upheld) == (3, 2, 2, 0)
    assert r.rate == 1.0
    assert review.reversals([case(1, "lock")]).rate is None


def test_queue_puts_priority_first_and_leaves_resolved_out() -> None:
    """Crisis alerts come first; acknowledged cases still wait; resolved ones and records don't."""
    cases = [
        case(1, "lock", minutes=0),
        case(2, "crisis", priority=True, minutes=5),
        case(3, "lock", status="resolved"),
        case(4, "end", status="resolved"),
        case(5, "note", status="resolved"),
        case(6, "repeat_locks", status="acknowledged", minutes=1),
    ]
    assert [c.number for c in review.queue(cases)] == [2, 1, 6]


def test_cases_command_after_a_replayed_unlock(tmp_path: Path) -> None:
    """An unlock given without a case number reviews the lock it reverses."""
    db = tmp_path / "r.db"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "replay",
            str(ROOT / "examples" / "moderator_unlock.jsonl"),
            "--store",
            str(db),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [sys.executable, "-m", "bot", "cases", "--store", str(db)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.startswith("0 cases waiting for review")
    assert "reversed 1, upheld 0 (reversal rate 100%)" in out
    # A kind filter changes what is listed, never the rate (it used to say "none reviewed yet").
    only_locks = subprocess.run(
        [sys.executable, "-m", "bot", "cases", "--all", "--kind", "lock", "--store", str(db)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert only_locks.startswith("1 cases") and "reversal rate 100%" in only_locks
    bogus = subprocess.run(
        [sys.executable, "-m", "bot", "cases", "--kind", "bogus", "--store", str(db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bogus.returncode == 2 and "invalid choice: 'bogus'" in bogus.stderr


def test_an_appeal_waits_until_it_is_resolved() -> None:
    """Appeals are in the queue (and in the waiting appeals) until resolved."""
    waiting = [case(1, "lock", status="resolved"), case(2, "appeal", refers_to=1, minutes=1)]
    assert [c.number for c in review.queue(waiting)] == [2]
    assert [c.number for c in review.waiting_appeals(waiting)] == [2]
    answered = [waiting[0], case(2, "appeal", refers_to=1, status="resolved")]
    assert review.queue(answered) == [] and review.waiting_appeals(answered) == []


def test_the_reversal_rate_per_category() -> None:
    """Each category of lock has its own rate; unreviewed categories say so."""
    cases = [
        case(1, "lock", category="violent_crimes"),
        case(2, "lock", category="violent_crimes"),
        case(3, "lock", category="hate"),
        case(4, "unlock", refers_to=1, minutes=1),
        case(5, "uphold", refers_to=2, minutes=2),
    ]
    by = review.reversals_by_category(cases)
    assert list(by) == ["violent_crimes", "hate"]  # most locks first
    assert (by["violent_crimes"].reviewed, by["violent_crimes"].rate) == (2, 0.5)
    assert by["hate"].rate is None
    assert review.render_by_category(by).splitlines() == [
        "  help with violent crime: 2 locks, 2 reviewed, reversal rate 50%",
        "  hateful content: 1 lock, 0 reviewed, none reviewed yet",
    ]
