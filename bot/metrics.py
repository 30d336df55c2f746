"""What the core reports for operators' metrics, behind a small interface that does nothing.

The core says what happened (a turn decided, an action carried out or given up, a classifier call
timed, a reply's first token shown, a model call's tokens and cost, a store call timed) and knows
nothing of Prometheus: an exporter (`adapters/metrics`, started by `run` and `console` when the
config has a `[metrics]` section) installs itself with `install`, and until then `sink()` is
`NoMetrics`, whose methods do nothing. One process has one exporter, as it has one logging setup,
so the sink is process-wide rather than threaded through every constructor.

Every argument is a fixed word of the core's (a verdict, an action kind, a platform name, a
configured model id, a store method's name): no user text, name or id ever reaches a label.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, ParamSpec, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

#: When the turn being handled in this task started (time.monotonic), for the reply's time to
#: its first token; None outside a turn.
TURN_STARTED: ContextVar[float | None] = ContextVar("threadkeeper_turn_started", default=None)


class Metrics(Protocol):
    """What the core reports; an exporter turns each call into series."""

    def turn(self, *, platform: str, verdict: str) -> None:
        """A user's turn was decided (reply, redirect, warn, lock, crisis, ignored, ...)."""
        ...

    def action_done(self, *, platform: str, kind: str, priority: bool) -> None:
        """An owed action was carried out (`priority`: a crisis case reached the mod log)."""
        ...

    def delivery_failed(self, *, platform: str, kind: str, gave_up: bool) -> None:
        """An attempt at an owed action failed; `gave_up` when it became a delivery-failure case."""
        ...

    def classifier(self, *, seconds: float, outcome: str) -> None:
        """One assessment: "ok", "unknown" (refused or invalid), "timeout" or "error"."""
        ...

    def first_token(self, *, platform: str, seconds: float) -> None:
        """From the start of a turn to the first text of its reply shown on the platform."""
        ...

    def model_call(self, *, role: str, usage: Mapping[str, Any], cost: float | None) -> None:
        """One model call's usage fields (`role`: reply or classifier); cost None if unpriced."""
        ...

    def store_call(self, *, operation: str, seconds: float, ok: bool) -> None:
        """One round trip to the store, named by the Store method that made it."""
        ...


class NoMetrics:
    """The default: reports go nowhere."""

    def turn(self, *, platform: str, verdict: str) -> None:
        """Nothing."""

    def action_done(self, *, platform: str, kind: str, priority: bool) -> None:
        """Nothing."""

    def delivery_failed(self, *, platform: str, kind: str, gave_up: bool) -> None:
        """Nothing."""

    def classifier(self, *, seconds: float, outcome: str) -> None:
        """Nothing."""

    def first_token(self, *, platform: str, seconds: float) -> None:
        """Nothing."""

    def model_call(self, *, role: str, usage: Mapping[str, Any], cost: float | None) -> None:
        """Nothing."""

    def store_call(self, *, operation: str, seconds: float, ok: bool) -> None:
        """Nothing."""


NO_METRICS = NoMetrics()
_installed: list[Metrics] = []


def sink() -> Metrics:
    """The installed exporter, or the one that does nothing."""
    return _installed[-1] if _installed else NO_METRICS


def install(metrics: Metrics) -> None:
    """Report to `metrics` from now on (until `uninstall`)."""
    _installed.append(metrics)


def uninstall(metrics: Metrics) -> None:
    """Stop reporting to `metrics` (a stopped exporter, a finished test)."""
    if metrics in _installed:
        _installed.remove(metrics)


def _store_method() -> str:
    """The public Store method behind a store call: the nearest caller not named `_...`."""
    frame = sys._getframe(2)
    for _ in range(6):
        if frame is None:
            break
        name = frame.f_code.co_name
        if not name.startswith("_") and name != "<lambda>":
            return name
        frame = frame.f_back  # type: ignore[assignment]  # None ends the walk above
    return "other"


def timed_store_call(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Decorate a store backend's one round-trip primitive so each call is timed.

    The call's own description names thread keys and event ids, so the label is the name of the
    Store method that made it (`load_thread`, `commit`, ...), a fixed word of the code's.
    """

    @functools.wraps(fn)
    def timed(*args: P.args, **kwargs: P.kwargs) -> Awaitable[T]:
        if not _installed:  # nobody listens: the call as it was, not even a frame looked at
            return fn(*args, **kwargs)
        return _timed(_store_method(), fn(*args, **kwargs))

    return timed


async def _timed(operation: str, call: Awaitable[T]) -> T:
    started = time.perf_counter()
    ok = False
    try:
        result = await call
        ok = True
        return result
    finally:
        sink().store_call(operation=operation, seconds=time.perf_counter() - started, ok=ok)
