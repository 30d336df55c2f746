"""Operators' metrics and health: the core's reports as Prometheus series, and the HTTP pages.

`python -m bot run` and `console` call `serving(settings, store, platforms)` when the config has a
`[metrics]` section: it installs `PrometheusMetrics` as the core's sink (`bot.metrics.install`)
and serves /metrics, /healthz and /readyz on the bot's own event loop until the bot stops. The
core never imports this package: it reports through `bot.metrics`, which does nothing without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping

from adapters.metrics.exporter import PrometheusMetrics
from adapters.metrics.server import MetricsServer
from bot import metrics
from bot.config import MetricsSettings
from bot.store.base import Store

__all__ = ["MetricsServer", "PrometheusMetrics", "serving"]


@contextlib.asynccontextmanager
async def serving(
    settings: MetricsSettings,
    *,
    store: Store,
    platforms: Mapping[str, Callable[[], bool]],
    refresh_every: float = 1.0,
) -> AsyncIterator[MetricsServer]:
    """Report the core's metrics and serve the pages for the body of the `async with`.

    `refresh_every`: at most how often a scrape reads the store's gauges (seconds).
    """
    exporter = PrometheusMetrics(refresh_every=refresh_every)
    server = MetricsServer(settings=settings, metrics=exporter, store=store, platforms=platforms)
    await server.start()
    metrics.install(exporter)
    try:
        yield server
    finally:
        metrics.uninstall(exporter)
        await server.close()
