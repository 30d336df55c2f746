"""What a rate-limit check and a budget check cost as the number of active users grows.

The bench elsewhere runs with limits off (its messages arrive faster than any person writes), so
this measures the limiter itself, in the steady state a busy bot is in: users keep arriving and
going idle, so each check both counts a message and forgets whoever went idle a window ago.
The stream: user k sends two messages, the clock moves 60 s / (2 n) per message, so n users are
active in any one-minute window. Each figure is the median of 5 timed passes of 2 n checks
(at least 200,000), after one untimed pass that fills the window.

Run: .venv/bin/python bench/bench_limits.py
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.limits import WINDOW, RateLimiter, TokenLedger  # noqa: E402

Row = tuple[str, str, str, str]  # what, figure, target, verdict
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PASSES = 5


def ok(good: bool) -> str:
    """A verdict column."""
    return "met" if good else "NOT MET"


def rate_check_cost(active: int) -> tuple[float, int, int]:
    """(seconds per check, keys held at the end, refusals seen) with `active` users a minute."""
    limiter = RateLimiter(12)
    step = WINDOW / (2 * active)
    per_pass = max(2 * active, 200_000)
    refused = 0
    costs = []
    for p in range(PASSES + 1):  # pass 0 fills the window and is not timed
        stream = [(f"w:u{j // 2}", T0 + step * j) for j in range(p * per_pass, (p + 1) * per_pass)]
        check = limiter.check
        start = time.perf_counter()
        for key, now in stream:
            if check(key, now) != "ok":
                refused += 1
        if p:
            costs.append((time.perf_counter() - start) / per_pass)
    return statistics.median(costs), len(limiter), refused


def budget_check_cost(threads: int) -> float:
    """Seconds per `TokenLedger.over` with `threads` threads counted today (median of passes)."""
    ledger = TokenLedger(thread_limit=200_000, workspace_limit=5_000_000)
    ledger.seed([], T0)
    keys = [f"p:w{t % 100}:c:t{t}" for t in range(threads)]
    for key in keys:
        ledger.add(key, {"input_tokens": 100})
    checks = max(threads, 200_000)
    order = [keys[(j * 7919) % threads] for j in range(checks)]
    costs = []
    for _ in range(PASSES):
        start = time.perf_counter()
        for key in order:
            ledger.over(key)
        costs.append((time.perf_counter() - start) / checks)
    return statistics.median(costs)


def limit_rows(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> list[Row]:
    """The rate check at each size (the target at the largest), and the budget check."""
    rows: list[Row] = []
    for active in sizes:
        cost, held, refused = rate_check_cost(active)
        target = active == sizes[-1]
        rows.append(
            (
                f"rate-limit check, {active:,} active users (median of {PASSES} passes)",
                f"{cost * 1e6:.2f} us",
                "<= 5 us" if target else "",
                ok(cost <= 5e-6) if target else "",
            )
        )
        # Two messages a user, twelve allowed: none may be refused; about `active` users held.
        rows.append(
            (
                f"... users held at the end / refused (expected ~{active:,} / 0)",
                f"{held:,} / {refused}",
                "",
                ok(refused == 0 and active <= held <= active + 2),
            )
        )
    for threads in (1_000, 100_000):
        cost = budget_check_cost(threads)
        rows.append(
            (
                f"token-budget check, {threads:,} threads counted today",
                f"{cost * 1e6:.2f} us",
                "",
                "",
            )
        )
    return rows


def show(rows: list[Row]) -> str:
    """One table."""
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'figure':>16}  {'target':>8}  verdict"]
    lines += [f"{w:<{width}}  {f:>16}  {t:>8}  {v}" for w, f, t, v in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(show(limit_rows()))
