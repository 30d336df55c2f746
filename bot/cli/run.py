"""Command line: run, console, replay, check-config, audit.

Every command prints one plain sentence per problem and exits non-zero on failure; nothing here
prints a traceback for a mistake a person can fix (a bad config, a bad replay line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot import config as config_mod
from bot.errors import ConfigError, ReplayError, ThreadkeeperError
from bot.store.base import SharedStore, Store, shared

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--config", metavar="FILE", help="TOML config (default: built-in defaults)")
        sp.add_argument("--store", metavar="PATH", help="SQLite file (default: storage.path)")
        return sp

    with_config(
        sub.add_parser("run", help="start every adapter the config enables (the console if none)")
    )
    with_config(sub.add_parser("console", help="the terminal adapter"))
    rp = with_config(sub.add_parser("replay", help="run a JSONL transcript through the core"))
    rp.add_argument("file", metavar="FILE.jsonl", help="the transcript ('-' for stdin)")
    rp.add_argument(
        "--compare",
        metavar="OTHER.toml",
        help="run the transcript under this config too and print where the decisions differ",
    )
    cp = sub.add_parser("check-config", help="validate a config file and show what it sets")
    cp.add_argument("file", metavar="FILE")

    sp = with_config(sub.add_parser("stats", help="tokens, cache-read share and cost"))
    sp.add_argument("--since", metavar="WHEN", help="an ISO date/time, or an age like 30d")

    cp2 = with_config(sub.add_parser("cases", help="the review queue and the reversal rate"))
    cp2.add_argument("--all", action="store_true", help="every case, not only those waiting")
    cp2.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")
    cp2.add_argument("--user", help="only cases about this user id")
    cp2.add_argument("--workspace", help="only this workspace")
    cp2.add_argument("--limit", type=int, default=50)

    rep = with_config(sub.add_parser("report", help="one self-contained HTML page about a period"))
    rep.add_argument("--since", default="30d", metavar="WHEN", help="an age like 30d (default)")
    rep.add_argument("--out", default="report.html", metavar="FILE")

    sp2 = sub.add_parser("store", help="move an installation's data between stores")
    ssub = sp2.add_subparsers(dest="store_command", metavar="ACTION")
    cop = ssub.add_parser("copy", help="copy everything, audit chain included, to an empty store")
    cop.add_argument("--from", dest="source", required=True, metavar="PATH_OR_URL")
    cop.add_argument("--to", dest="target", required=True, metavar="PATH_OR_URL")

    xp = with_config(
        sub.add_parser("export-user", help="everything the bot holds about one user, as JSON")
    )
    xp.add_argument("user_id", metavar="USER_ID")
    xp.add_argument("--out", metavar="FILE", help="default: standard output")

    pp = with_config(
        sub.add_parser("purge", help="delete message texts older than the retention period")
    )
    pp.add_argument("--before", metavar="WHEN", help="an age like 30d, or an ISO date")

    ap = sub.add_parser("audit", help="the hash-chained audit log")
    asub = ap.add_subparsers(dest="audit_command", metavar="ACTION")
    with_config(asub.add_parser("verify", help="check the chain; exit 1 if it was tampered with"))
    ep = with_config(asub.add_parser("export", help="write the audit log as JSONL or CSV"))
    ep.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    ep.add_argument("--since", metavar="WHEN", help="an ISO date/time, or an age like 30d or 12h")
    ep.add_argument("--out", metavar="FILE", help="default: standard output")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `python -m bot` and the `threadkeeper` script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    command = args.command or "run"
    try:
        if command == "check-config":
            settings = config_mod.load(args.file)
            print(config_mod.describe(settings))
            print("config OK")
            return 0
        settings = config_mod.load(getattr(args, "config", None))
        grace = settings.limits.shutdown_grace.total_seconds()
        store_path = getattr(args, "store", None)
        if command == "run" and (settings.discord or settings.slack):
            return _run_until_stopped(
                lambda life: _services(settings, store_path, life), grace=grace
            )
        if command in ("run", "console"):
            return _run_until_stopped(
                lambda life: _console(settings, store_path, life), grace=grace
            )
        if command == "replay" and args.compare:
            other = config_mod.load(args.compare)
            return asyncio.run(_compare(settings, other, args.file))
        if command == "replay":
            return asyncio.run(_replay(settings, args.file, args.store))
        if command == "store":
            if getattr(args, "store_command", None) == "copy":
                return asyncio.run(_store_copy(args.source, args.target))
            _parser().parse_args(["store", "--help"])
        if command == "report":
            return asyncio.run(_report(settings, args))
        if command == "cases":
            return asyncio.run(_cases(settings, args))
        if command == "export-user":
            return asyncio.run(_export_user(settings, args))
        if command == "purge":
            return asyncio.run(_purge(settings, args))
        if command == "stats":
            return asyncio.run(_stats(settings, args))
        if command == "audit":
            if args.audit_command == "verify":
                return asyncio.run(_audit_verify(settings, args.store))
            if args.audit_command == "export":
                return asyncio.run(_audit_export(settings, args))
            _parser().parse_args(["audit", "--help"])
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"config error: {problem}", file=sys.stderr)
        return 2
    except ReplayError as exc:
        print(f"replay error: {exc}", file=sys.stderr)
        return 2
    except ThreadkeeperError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


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


async def close_store(store: Store) -> None:
    """Close the store even if a stop request (Ctrl-C, SIGTERM) arrives while it closes.

    A stop that lands during shutdown would otherwise interrupt the close and let the event loop
    end while SQLite's worker thread still owes it an answer.
    """
    closing = asyncio.ensure_future(store.close())
    interrupted = False
    while not closing.done():
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            interrupted = True
    closing.result()
    if interrupted:
        raise asyncio.CancelledError


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
        async with _retention(settings, store), _sweep(runtime, store, every):
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
        async with _retention(settings, store):
            async for raw in read_lines(session.prompt):
                if not await session.feed(raw):
                    break
        return 0
    finally:
        await close_store(store)


async def _replay(settings: config_mod.Settings, file: str, store_path: str | None) -> int:
    from bot import replay

    steps = replay.parse(_read_lines(file))
    await _replay_once(settings, steps, store_path, out=sys.stdout)
    return 0


async def _replay_once(
    settings: config_mod.Settings,
    steps: list[Any],
    store_path: str | None,
    *,
    out: TextIO | None,
) -> list[dict[str, Any]]:
    from bot import replay
    from bot.app import make_runtime, make_store

    with tempfile.TemporaryDirectory(prefix="threadkeeper-replay-") as tmp:
        store = await make_store(settings, store_path or str(Path(tmp) / "replay.db"))
        runtime = None
        try:
            adapter = replay.ReplayAdapter()
            clock = replay.ReplayClock()
            runtime = await make_runtime(
                settings, adapters={replay.PLATFORM: adapter}, store=store, clock=clock
            )
            return await replay.run(steps, runtime=runtime, adapter=adapter, clock=clock, out=out)
        finally:
            if runtime is not None:
                await runtime.assistant.aclose()
            await close_store(store)


async def _compare(base: config_mod.Settings, other: config_mod.Settings, file: str) -> int:
    """The same transcript under two configs, and where their decisions differ."""
    from bot import replay

    steps = replay.parse(_read_lines(file))
    a = await _replay_once(base, steps, None, out=None)
    b = await _replay_once(other, steps, None, out=None)
    diffs = replay.differences(a, b)
    print(f"base:  {base.source}\nother: {other.source}\ntranscript: {file}\n")
    for event, thread, acts_a, acts_b in diffs:
        print(f"event {event} ({thread}):")
        print(f"  base:  {', '.join(acts_a) or '-'}")
        print(f"  other: {', '.join(acts_b) or '-'}")
    sa, sb = replay.summary(a), replay.summary(b)
    print(f"\n{len(diffs)} event(s) differ." if diffs else "The two configs decide alike.")
    print(f"{'':<18}{'base':>6}{'other':>7}")
    for kind in sa:
        print(f"{kind:<18}{sa[kind]:>6}{sb[kind]:>7}")
    return 0


def _read_lines(file: str) -> list[str]:
    if file == "-":
        return sys.stdin.read().splitlines()
    try:
        return Path(file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReplayError(0, f"cannot read {file} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ReplayError(0, f"{file} is not UTF-8 text") from None


async def _audit_verify(settings: config_mod.Settings, store_path: str | None) -> int:
    from bot.app import make_store
    from bot.audit import format_report

    store = await make_store(settings, store_path)
    try:
        report = await store.verify_audit()
    finally:
        await close_store(store)
    print(format_report(report))
    return 0 if report.ok else 1


async def _audit_export(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    from bot.app import make_store
    from bot.audit import export

    since = parse_since(args.since) if args.since else None
    store = await make_store(settings, args.store)
    out: TextIO
    try:
        with contextlib.ExitStack() as stack:
            # A one-shot CLI: nothing else runs on this loop, so a blocking file is fine here.
            out = (
                stack.enter_context(open(args.out, "w", encoding="utf-8", newline=""))  # noqa: ASYNC230
                if args.out
                else sys.stdout
            )
            count = await export(store, fmt=args.format, since=since, out=out)
    finally:
        await close_store(store)
    if args.out:
        print(f"wrote {count} records to {args.out}", file=sys.stderr)
    return 0


async def _store_copy(source: str, target: str) -> int:
    """sqlite:///... or a path, to postgresql://... (or back): stop the bot first."""
    from bot.store import open_store
    from bot.store.copy import copy_store

    src = await open_store(source)
    try:
        dst = await open_store(target)
        try:
            counts = await copy_store(src, dst)
            report = await dst.verify_audit()
        finally:
            await close_store(dst)
    finally:
        await close_store(src)
    print("copied " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    print(f"audit chain on the copy: {'intact' if report.ok else report.problem}")
    return 0 if report.ok else 1


async def _report(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    from bot import report
    from bot.app import make_store

    since = parse_since(args.since)
    store = await make_store(settings, args.store)
    try:
        cases = await store.cases(limit=1_000_000)
        usage = await store.usage(since=since)
    finally:
        await close_store(store)
    page = report.render(
        cases=cases,
        usage=usage,
        prices=settings.prices,
        since=since,
        until=datetime.now(UTC),
        title=f"{settings.name} report",
    )
    Path(args.out).write_text(page, encoding="utf-8")  # noqa: ASYNC240 (a one-shot CLI)
    print(f"wrote {args.out} ({len(cases)} cases, {len(usage)} turns with model usage)")
    return 0


async def _cases(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    from bot import review
    from bot.app import make_store

    store = await make_store(settings, args.store)
    try:
        everything = await store.cases(
            workspace=args.workspace, user_id=args.user, kinds=args.kind, limit=100_000
        )
    finally:
        await close_store(store)
    shown = everything if args.all else review.queue(everything)
    label = "cases" if args.all else "cases waiting for review"
    print(f"{len(shown)} {label}" + (f" (showing {args.limit})" if len(shown) > args.limit else ""))
    if shown:
        print(review.render_table(shown[: args.limit]))
    print(review.render_reversals(review.reversals(everything)))
    return 0


async def _export_user(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    """A user's data: the threads they own, the messages they wrote, the cases about them."""
    from bot.app import make_store
    from bot.store.codec import case_to_json, thread_state_to_json

    store = await make_store(settings, args.store)
    try:
        user = args.user_id
        threads = [t for t in await store.threads(limit=1_000_000) if t.owner == user]
        turns = await store.user_turns(user)
        cases = await store.cases(user_id=user, limit=1_000_000)
    finally:
        await close_store(store)
    data = {
        "user_id": user,
        "exported_at": datetime.now(UTC).isoformat(),
        "threads_owned": [thread_state_to_json(t) for t in threads],
        "messages": [
            {
                "thread": t.thread_key,
                "at": t.at.isoformat(),
                "text": t.text or "(purged)",
                "verdict": t.verdict,
                "counted_as_a_strike": t.flagged,
            }
            for t in turns
        ],
        "cases": [case_to_json(c) for c in cases],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")  # noqa: ASYNC240 (one-shot CLI)
        print(f"wrote {args.out}: {len(turns)} messages, {len(cases)} cases", file=sys.stderr)
    else:
        print(text)
    return 0


async def _purge(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    from bot.app import make_store

    retention = settings.storage.retention
    if args.before:
        before = parse_since(args.before)
    elif retention is not None:
        before = datetime.now(UTC) - retention
    else:
        raise ConfigError(
            ["storage.retention_days: not set; give --before (e.g. 30d) or set a retention"]
        )
    store = await make_store(settings, args.store)
    try:
        purged = await store.purge_excerpts(before=before)
        report = await store.verify_audit()
    finally:
        await close_store(store)
    print(f"purged {purged} message texts older than {before.isoformat(timespec='seconds')}")
    print(f"audit chain after the purge: {'intact' if report.ok else report.problem}")
    return 0 if report.ok else 1


async def _stats(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    from bot import stats
    from bot.app import make_store

    since = parse_since(args.since) if args.since else None
    store = await make_store(settings, args.store)
    try:
        rows = await store.usage(since=since)
    finally:
        await close_store(store)
    by_day, by_thread = stats.tally(rows, settings.prices)
    print(stats.render(by_day, by_thread))
    return 0


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """`30d`, `12h`, `90m` before now, or an ISO date/time (UTC when no zone is given)."""
    now = now or datetime.now(UTC)
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[-1:] in units and text[:-1].isdigit():
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            [f"--since: expected an age like 30d or an ISO date, got {text!r}"]
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


if __name__ == "__main__":
    sys.exit(main())
