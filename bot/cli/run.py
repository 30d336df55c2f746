"""`run` and `console`: serve until stopped, with recovery, lease sweeps and retention alongside.

`run` starts every platform the config enables on one event loop, sharing one runtime and one
store; `console` is the terminal adapter. A stop (Ctrl-C, SIGTERM) lets turns in flight finish
within the grace period and is a clean exit. This is the one module in `bot/` that wires in the
adapters, lazily, at the moment a command needs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING

from bot import config as config_mod
from bot.cli.common import close_store
from bot.errors import ConfigError, ThreadkeeperError
from bot.store.base import SharedStore, Store, shared

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


class Lifecycle:
    """What a stop request (Ctrl-C, SIGTERM) must wind down: the runtime, once it exists."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.runtime: Runtime | None = None
        #: True once a stop let every turn in flight finish: nothing of this process still runs.
        self.drained = False

    async def stop(self, main: asyncio.Task[int]) -> None:
        """Let turns in flight finish (bounded), then cancel the main task."""
        if self.runtime is not None:
            self.drained = await self.runtime.shutdown(grace=self.grace)
        main.cancel()


def _run_until_stopped(
    start: Callable[[Lifecycle], Coroutine[object, object, int]], *, grace: float
) -> int:
    """Run until done, Ctrl-C or SIGTERM; a stop is a clean exit, not a traceback."""

    async def guarded() -> int:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        assert task is not None
        life = Lifecycle(grace)
        stopping: list[asyncio.Task[None]] = []

        def on_stop() -> None:
            if not stopping:
                stopping.append(loop.create_task(life.stop(task)))

        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGTERM, on_stop)
        try:
            return await start(life)
        except asyncio.CancelledError:
            return 0

    try:
        return asyncio.run(guarded())
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 0


@contextlib.asynccontextmanager
async def _sweep(runtime: Runtime, store: Store, every: float) -> AsyncIterator[None]:
    """Carry out what an earlier process left, in the background while the adapters serve.

    Once at start. On a store several processes share (PostgreSQL) also every `every` seconds:
    renew the leases on what this process holds, and claim what a dead process held (its leases
    lapsed because it stopped renewing them), so a live process's work is never taken over.
    """
    several = shared(store)

    async def sweep() -> None:
        while True:
            try:
                recovered = await runtime.recover()
                if recovered:
                    log.info("carried out %d messages and actions left by another run", recovered)
                if several is None:
                    return  # one process: what an earlier run left is done
            except ThreadkeeperError:
                log.exception("sweeping for a dead process's work failed; trying again later")
            await asyncio.sleep(every)

    async def keep_leases(several: SharedStore) -> None:
        while True:
            await asyncio.sleep(every)
            events, actions = runtime.held()
            try:
                await several.renew_leases(events=events, actions=actions)
            except ThreadkeeperError:
                log.exception("renewing this process's leases failed; trying again")

    tasks = [asyncio.create_task(sweep())]
    if several is not None:
        tasks.append(asyncio.create_task(keep_leases(several)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)


@contextlib.asynccontextmanager
async def _metrics(
    settings: config_mod.Settings, store: Store, platforms: dict[str, Callable[[], bool]]
) -> AsyncIterator[None]:
    """While the bot runs, serve /metrics, /healthz and /readyz (when [metrics] is configured)."""
    if settings.metrics is None:
        yield
        return
    from adapters.metrics import serving

    async with serving(settings.metrics, store=store, platforms=platforms):
        yield


@contextlib.asynccontextmanager
async def _retention(settings: config_mod.Settings, store: Store) -> AsyncIterator[None]:
    """While the bot runs, purge message texts past `storage.retention_days` (if set)."""
    retention = settings.storage.retention
    if retention is None:
        yield
        return
    from bot.retention import keep_purging
    from bot.runtime import utcnow

    task = asyncio.create_task(keep_purging(store, retention=retention, clock=utcnow))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait([task])


async def _services(settings: config_mod.Settings, store_path: str | None, life: Lifecycle) -> int:
    """Every configured platform on one event loop, sharing one runtime and one store."""
    from bot.adapter import Service
    from bot.app import make_runtime, make_store

    services: list[Service] = []
    problems: list[str] = []
    if settings.discord is not None:
        if settings.discord.token() is None:
            problems.append(f"discord.token_env: {settings.discord.token_env} is not set")
        else:
            from adapters.discord import make_service as discord_service

            services.append(discord_service(settings))
    if settings.slack is not None:
        if settings.slack.bot_token() is None:
            problems.append(f"slack.bot_token_env: {settings.slack.bot_token_env} is not set")
        else:
            from adapters.slack import make_service as slack_service

            services.append(slack_service(settings))
    if problems:
        raise ConfigError(problems)
    store = await make_store(settings, store_path)
    runtime = None
    try:
        runtime = await make_runtime(
            settings, adapters={s.platform: s for s in services}, store=store
        )
        life.runtime = runtime
        for service in services:
            service.attach(runtime)
            for problem in await service.check():
                log.error("%s: %s", service.platform, problem)
                print(f"{service.platform}: {problem}", file=sys.stderr)
        every = settings.storage.sweep_interval.total_seconds()
        platforms = {s.platform: s.connected for s in services}
        async with (
            _metrics(settings, store, platforms),
            _retention(settings, store),
            _sweep(runtime, store, every),
        ):
            await asyncio.gather(*(service.serve(runtime) for service in services))
        return 0
    finally:
        if runtime is not None:
            await runtime.assistant.aclose()
        several = shared(store)
        # Only after a stop that let every turn finish: otherwise a turn of this process may
        # still be carrying out what another process would then take over.
        if several is not None and life.drained:
            # A clean stop: what this process still holds goes to the next one at once.
            with contextlib.suppress(ThreadkeeperError, asyncio.CancelledError):
                await asyncio.shield(several.release_leases())
        await close_store(store)


async def _console(settings: config_mod.Settings, store_path: str | None, life: Lifecycle) -> int:
    from adapters.console.adapter import ConsoleAdapter, ConsoleSession, read_lines
    from bot.app import make_runtime, make_store
    from bot.runtime import utcnow

    if not sys.stdout.isatty():
        settings = replace(settings, console=replace(settings.console, color=False))
    store = await make_store(settings, store_path)
    try:
        adapter = ConsoleAdapter(write=print, bot_name=settings.name, color=settings.console.color)
        runtime = await make_runtime(settings, adapters={"console": adapter}, store=store)
        life.runtime = runtime
        session = ConsoleSession(runtime=runtime, settings=settings, write=print, clock=utcnow)
        print(session.banner())
        recovered = await runtime.recover()
        if recovered:
            print(f"(carried out {recovered} actions owed from before a restart)")
        async with (
            _metrics(settings, store, {"console": lambda: True}),
            _retention(settings, store),
        ):
            async for raw in read_lines(session.prompt):
                if not await session.feed(raw):
                    break
        return 0
    finally:
        await close_store(store)
