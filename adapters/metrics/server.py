"""The operators' endpoints on the bot's own event loop: /metrics, /healthz and /readyz.

- `/metrics`: Prometheus' text format (the store's gauges read first, see `PrometheusMetrics`).
- `/healthz`: 200 "ok" when the event loop answers. The server runs on the loop that carries the
  bot, so an answer at all means the loop is not stuck; a blocked loop answers nothing, which is
  what a liveness probe's timeout is for.
- `/readyz`: 200 when the store answers a read and every platform says it is connected, else 503
  with one line per check, so a load balancer or an orchestrator holds traffic back.

The server binds `metrics.address` (loopback by default: the pages are for a scraper on the same
host or network, not for the public) and `metrics.port` (0 picks a free one, for tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from adapters.metrics.exporter import PrometheusMetrics
from bot.config import MetricsSettings
from bot.errors import ConfigError, StoreError
from bot.store.base import Store

log = logging.getLogger(__name__)

#: An event id no platform sends: /readyz asks the store whether it has seen it.
PROBE_EVENT = "threadkeeper-readyz-probe"


class MetricsServer:
    """An aiohttp site serving the three pages until `close`."""

    def __init__(
        self,
        *,
        settings: MetricsSettings,
        metrics: PrometheusMetrics,
        store: Store,
        platforms: Mapping[str, Callable[[], bool]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._store = store
        self._platforms = dict(platforms)
        self._clock = clock
        self._runner: web.AppRunner | None = None
        #: The port it listens on, once it does.
        self.bound_port: int | None = None

    def app(self) -> web.Application:
        """The aiohttp application with the three routes."""
        app = web.Application()
        app.router.add_get("/metrics", self._scrape)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        return app

    async def start(self) -> None:
        """Listen on metrics.address and metrics.port; a port in use is a ConfigError."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host=self._settings.address, port=self._settings.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            where = f"{self._settings.address}:{self._settings.port}"
            raise ConfigError(
                [f"metrics.port: cannot listen on {where} ({exc.strerror}); pick a free port"]
            ) from None
        addresses = self._runner.addresses
        self.bound_port = int(addresses[0][1]) if addresses else self._settings.port
        log.info(
            "metrics: /metrics, /healthz and /readyz on http://%s:%s",
            self._settings.address,
            self.bound_port,
        )

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _scrape(self, request: web.Request) -> web.Response:
        await self._metrics.refresh(self._store, now=self._clock())
        return web.Response(
            body=self._metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        lines: list[str] = []
        ready = True
        try:
            await self._store.event_seen(PROBE_EVENT)
            lines.append("store: ok")
        except StoreError as exc:
            ready = False
            lines.append(f"store: unreachable ({type(exc).__name__})")
        for name, connected in sorted(self._platforms.items()):
            up = _safely(connected)
            ready = ready and up
            lines.append(f"{name}: {'connected' if up else 'not connected'}")
        return web.Response(text="\n".join(lines) + "\n", status=200 if ready else 503)


def _safely(check: Callable[[], bool]) -> bool:
    """A platform's connected check; one that raises counts as not connected."""
    try:
        return bool(check())
    except Exception:  # a broken check must not break the probe
        log.exception("metrics: a platform's connected check failed")
        return False
