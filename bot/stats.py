"""Tokens, cache use and cost per thread and per day, from the usage stored with every turn.

Pure: rows in, a table out. The cache-read share is what prompt caching is for: the fraction of
the prompt that was read from the cache rather than processed again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config import Price
from bot.store.base import UsageRow

FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


@dataclass
class Tally:
    """Totals for one group of calls."""

    calls: int = 0
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    cost: float = 0.0
    unpriced: set[str] = field(default_factory=set)

    def add(self, usage: Mapping[str, Any], prices: Mapping[str, Price]) -> None:
        """Count one call's usage and its cost when the model has a price."""
        self.calls += 1
        for f in FIELDS:
            self.tokens[f] += int(usage.get(f, 0) or 0)
        price = prices.get(str(usage.get("model", "")))
        if price is None:
            self.unpriced.add(str(usage.get("model", "?")))
            return
        self.cost += (
            usage.get("input_tokens", 0) * price.input
            + usage.get("output_tokens", 0) * price.output
            + usage.get("cache_creation_input_tokens", 0) * price.cache_write
            + usage.get("cache_read_input_tokens", 0) * price.cache_read
        ) / 1_000_000

    @property
    def read_share(self) -> float:
        """Share of prompt tokens read from the cache."""
        prompt = (
            self.tokens["input_tokens"]
            + self.tokens["cache_creation_input_tokens"]
            + self.tokens["cache_read_input_tokens"]
        )
        return self.tokens["cache_read_input_tokens"] / prompt if prompt else 0.0


def calls(rows: Iterable[UsageRow]) -> Iterable[tuple[UsageRow, Mapping[str, Any]]]:
    """Each model call in the rows (a turn may hold a reply call and a classifier call)."""
    for row in rows:
        for usage in row.usage.values():
            if isinstance(usage, Mapping):
                yield row, usage


def tally(
    rows: Iterable[UsageRow], prices: Mapping[str, Price]
) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Totals per day (UTC date) and per thread."""
    by_day: dict[str, Tally] = defaultdict(Tally)
    by_thread: dict[str, Tally] = defaultdict(Tally)
    for row, usage in calls(rows):
        by_day[row.at.date().isoformat()].add(usage, prices)
        by_thread[row.thread_key].add(usage, prices)
    return dict(by_day), dict(by_thread)


def render(by_day: Mapping[str, Tally], by_thread: Mapping[str, Tally], *, top: int = 20) -> str:
    """Two plain tables."""
    head = (
        f"{'':<24} {'calls':>6} {'input':>9} {'output':>8} {'c.write':>9} {'c.read':>9} "
        f"{'read%':>6} {'cost $':>9}"
    )

    def line(name: str, t: Tally) -> str:
        k = t.tokens
        return (
            f"{name[:24]:<24} {t.calls:>6} {k['input_tokens']:>9} {k['output_tokens']:>8} "
            f"{k['cache_creation_input_tokens']:>9} {k['cache_read_input_tokens']:>9} "
            f"{t.read_share * 100:>5.1f}% {t.cost:>9.4f}"
        )

    out = ["per day (UTC)", head, *(line(d, t) for d, t in sorted(by_day.items()))]
    ranked = sorted(by_thread.items(), key=lambda kv: kv[1].cost, reverse=True)[:top]
    out += ["", f"per thread (top {top} by cost)", head]
    out += [line(key.split(":", 3)[-1] if ":" in key else key, t) for key, t in ranked]
    unpriced = set().union(*(t.unpriced for t in by_day.values())) if by_day else set()
    if unpriced:
        out.append(f"\nno price configured for: {', '.join(sorted(unpriced))} (cost counted as 0)")
    if not by_day:
        out = ["no model usage recorded yet (the offline assistant makes no calls)"]
    return "\n".join(out)
