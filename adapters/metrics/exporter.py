"""The core's reports as Prometheus series, in a registry of their own (prometheus-client).

`PrometheusMetrics` implements `bot.metrics.Metrics`: counters and histograms move as the core
reports turns, actions, failures, classifier calls, first tokens, model calls and store calls.
What only the store knows (cases waiting by kind, the owed-action backlog and the age of its
oldest action) is read at scrape time by `refresh`, at most once every `refresh_every` seconds.

Labels hold only fixed words of the core's: platform names, verdicts, action and case kinds,
configured model ids, store method names. No user text, name or id is ever a label value.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from bot.errors import StoreError
from bot.store.base import Store

log = logging.getLogger(__name__)

PREFIX: Final = "threadkeeper"
#: Seconds: the classifier has a deadline of a few seconds; replies start within tens.
CLASSIFIER_BUCKETS: Final = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0)
FIRST_TOKEN_BUCKETS: Final = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0)
STORE_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
#: The usage fields of a model call, by the label value they get.
TOKEN_FIELDS: Final = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cache_write": "cache_creation_input_tokens",
    "cache_read": "cache_read_input_tokens",
}
#: Most open cases one scrape counts (the review queue of a healthy installation is far shorter).
CASE_LIMIT: Final = 10_000


class PrometheusMetrics:
    """`bot.metrics.Metrics` for Prometheus; `render` is the /metrics page."""

    def __init__(self, *, refresh_every: float = 1.0) -> None:
        # No `*_created` twin of every counter and histogram: rate() and increase() read counter
        # resets without them, and the twins would double the page.
        disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus-client
        self.registry = CollectorRegistry(auto_describe=True)
        r, p = self.registry, PREFIX
        self.turns = Counter(
            f"{p}_turns", "User turns decided, by decision.", ["platform", "verdict"], registry=r
        )
        self.actions = Counter(
            f"{p}_actions", "Owed actions carried out, by kind.", ["platform", "kind"], registry=r
        )
        self.locks = Counter(
            f"{p}_locks", "Threads locked (notice shown).", ["platform"], registry=r
        )
        self.crisis_alerts = Counter(
            f"{p}_crisis_alerts",
            "Priority (crisis) cases that reached the mod log.",
            ["platform"],
            registry=r,
        )
        self.delivery_failures = Counter(
            f"{p}_delivery_failures",
            "Failed attempts at owed actions: retried, or given up as a delivery-failure case.",
            ["platform", "kind", "outcome"],
            registry=r,
        )
        self.classifier_seconds = Histogram(
            f"{p}_classifier_seconds",
            "Time per assessment, by outcome (ok, unknown, timeout, error).",
            ["outcome"],
            buckets=CLASSIFIER_BUCKETS,
            registry=r,
        )
        self.classifier_timeouts = Counter(
            f"{p}_classifier_timeouts", "Assessments that missed their deadline.", registry=r
        )
        self.first_token_seconds = Histogram(
            f"{p}_reply_first_token_seconds",
            "From the start of a turn to the first text of its reply handed to the platform.",
            ["platform"],
            buckets=FIRST_TOKEN_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            f"{p}_model_tokens",
            "Model tokens by call role, model and kind (input, output, cache_write, cache_read).",
            ["role", "model", "kind"],
            registry=r,
        )
        self.cost = Counter(
            f"{p}_model_cost_dollars",
            "Model cost in dollars from [prices] (unpriced models are not counted).",
            ["role", "model"],
            registry=r,
        )
        self.cache_read_share = Gauge(
            f"{p}_cache_read_share",
            "Share of prompt tokens read from the cache since start, by call role.",
            ["role"],
            registry=r,
        )
        self.store_seconds = Histogram(
            f"{p}_store_call_seconds",
            "Store round trips by the Store method that made them, and outcome (ok, error).",
            ["operation", "outcome"],
            buckets=STORE_BUCKETS,
            registry=r,
        )
        self.cases_open = Gauge(
            f"{p}_cases_open", "Cases waiting for a moderator, by kind.", ["kind"], registry=r
        )
        self.owed = Gauge(f"{p}_owed_actions", "Owed actions not carried out yet.", registry=r)
        self.owed_age = Gauge(
            f"{p}_owed_action_oldest_seconds",
            "Age of the oldest owed action (0 when none is owed).",
            registry=r,
        )
        self._prompt_tokens: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        # The store's histogram children by (operation, outcome): labels() costs more than the
        # observation, and a turn makes several store calls (see bench/bench_ops.py).
        self._store_children: dict[tuple[str, str], Any] = {}
        self._seen_kinds: set[str] = set()
        self._refresh_every = refresh_every
        self._refreshed = float("-inf")

    # --- bot.metrics.Metrics ---------------------------------------------------------------------

    def turn(self, *, platform: str, verdict: str) -> None:
        """A turn was decided."""
        self.turns.labels(platform=platform, verdict=verdict).inc()

    def action_done(self, *, platform: str, kind: str, priority: bool) -> None:
        """An owed action was carried out."""
        self.actions.labels(platform=platform, kind=kind).inc()
        if kind == "lock":
            self.locks.labels(platform=platform).inc()
        if priority:
            self.crisis_alerts.labels(platform=platform).inc()

    def delivery_failed(self, *, platform: str, kind: str, gave_up: bool) -> None:
        """An attempt failed, or the action was given up."""
        outcome = "gave_up" if gave_up else "retried"
        self.delivery_failures.labels(platform=platform, kind=kind, outcome=outcome).inc()

    def classifier(self, *, seconds: float, outcome: str) -> None:
        """One assessment timed."""
        self.classifier_seconds.labels(outcome=outcome).observe(seconds)
        if outcome == "timeout":
            self.classifier_timeouts.inc()

    def first_token(self, *, platform: str, seconds: float) -> None:
        """A reply's first text was handed to the platform."""
        self.first_token_seconds.labels(platform=platform).observe(seconds)

    def model_call(self, *, role: str, usage: Mapping[str, Any], cost: float | None) -> None:
        """One model call's tokens, cost and the running cache-read share."""
        model = str(usage.get("model") or "unknown")
        counts = {kind: int(usage.get(field, 0) or 0) for kind, field in TOKEN_FIELDS.items()}
        for kind, n in counts.items():
            if n:
                self.tokens.labels(role=role, model=model, kind=kind).inc(n)
        if cost:
            self.cost.labels(role=role, model=model).inc(cost)
        totals = self._prompt_tokens[role]
        totals[0] += counts["cache_read"]
        totals[1] += counts["input"] + counts["cache_write"] + counts["cache_read"]
        if totals[1]:
            self.cache_read_share.labels(role=role).set(totals[0] / totals[1])

    def store_call(self, *, operation: str, seconds: float, ok: bool) -> None:
        """One store round trip timed."""
        key = (operation, "ok" if ok else "error")
        child = self._store_children.get(key)
        if child is None:
            child = self._store_children[key] = self.store_seconds.labels(*key)
        child.observe(seconds)

    # --- scraping --------------------------------------------------------------------------------

    async def refresh(self, store: Store, *, now: datetime) -> bool:
        """Read the review queue and the outbox into their gauges; False if the store failed.

        At most once every `refresh_every` seconds, so a busy scraper does not load the store.
        """
        if time.monotonic() - self._refreshed < self._refresh_every:
            return True
        try:
            cases = await store.cases(open_only=True, limit=CASE_LIMIT)
            owed = await store.owed_actions()
        except StoreError:
            log.warning("metrics: could not read the store for the gauges", exc_info=True)
            return False
        by_kind: dict[str, int] = defaultdict(int)
        for case in cases:
            by_kind[case.kind] += 1
        # A kind that had cases and has none now reads 0, not its last value.
        self._seen_kinds |= set(by_kind)
        for kind in self._seen_kinds:
            self.cases_open.labels(kind=kind).set(by_kind.get(kind, 0))
        self.owed.set(len(owed))
        oldest = min((o.created_at for o in owed), default=None)
        self.owed_age.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self._refreshed = time.monotonic()
        return True

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        return generate_latest(self.registry)
