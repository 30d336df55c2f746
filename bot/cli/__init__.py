"""The command line: the argument parser, and `main`, which hands each command to its module.

Every command prints one plain sentence per problem and exits non-zero on failure; nothing here
prints a traceback for a mistake a person can fix (a bad config, a bad replay line). The commands
live by group: `run` (run, console), `replay` (replay, replay --compare), `audit` (audit verify,
audit export), `store` (store copy, purge), `reports` (stats, cases, report, export-user),
`crisis` (crisis-lines); `common` holds what they share. `bot/__main__.py` is the entry point
that calls `main`.

A command's module is imported when that command runs, not before: `check-config` must not pay
for asyncio, the store and its drivers, and `replay` must not pay for the services (a person
runs these by hand and in CI, where start-up time is most of their time).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date

from bot import config as config_mod
from bot.cli import bars, crisis, logs
from bot.errors import ConfigError, ReplayError, ThreadkeeperError
from bot.records import CASE_KINDS

__all__ = ["main"]

log = logging.getLogger(__name__)

#: What `--help` says above the commands (the old entry module's docstring, word for word).
_DESCRIPTION = """Command line: run, console, replay, check-config, audit.

Every command prints one plain sentence per problem and exits non-zero on failure; nothing here
prints a traceback for a mistake a person can fix (a bad config, a bad replay line).
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description=_DESCRIPTION)
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars (they show only on a terminal)"
    )
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines on stderr as text, or one JSON object a line for a log collector",
    )
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
    crisis.add_parser(sub)

    sp = with_config(sub.add_parser("stats", help="tokens, cache-read share and cost"))
    sp.add_argument("--since", metavar="WHEN", help="an ISO date/time, or an age like 30d")

    cp2 = with_config(sub.add_parser("cases", help="the review queue and the reversal rate"))
    cp2.add_argument("--all", action="store_true", help="every case, not only those waiting")
    cp2.add_argument(
        "--kind",
        action="append",
        default=[],
        choices=CASE_KINDS,
        metavar="KIND",
        help=f"only this kind (repeatable): {', '.join(CASE_KINDS)}",
    )
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
    try:
        code = _main(argv)
        sys.stdout.flush()  # inside the try: a buffered tail would otherwise fail at exit
        return code
    except BrokenPipeError:
        # The reader went away (`audit export | head`): stop quietly, as the Python docs advise
        # (library/signal.html, "Note on SIGPIPE"). Standard output is pointed at devnull so the
        # interpreter's final flush does not raise the same error again at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1  # what Python itself exits with on EPIPE


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    logs.setup(verbose=args.verbose, fmt=args.log_format)
    bars.set_quiet(args.quiet)
    command = args.command or "run"
    try:
        if command == "check-config":
            settings = config_mod.load(args.file)
            print(config_mod.describe(settings, today=date.today()))
            warned = config_mod.warnings(settings)
            for warning in warned:
                print(f"warning: {warning}", file=sys.stderr)
            print(
                "config OK"
                + (f" ({len(warned)} warning{'s' if len(warned) != 1 else ''})" if warned else "")
            )
            return 0
        if command == "crisis-lines":
            settings = config_mod.load(args.config)
            print(
                crisis.crisis_lines(
                    settings, args.regions, language=args.language, sources=args.sources
                )
            )
            return 0
        return _command(command, args)
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


def _command(command: str, args: argparse.Namespace) -> int:
    """Every command that runs the core or opens a store; its module is imported here, for it."""
    import asyncio

    settings = config_mod.load(getattr(args, "config", None))
    grace = settings.limits.shutdown_grace.total_seconds()
    store_path = getattr(args, "store", None)
    if command in ("run", "console"):
        from bot.cli.run import _console, _run_until_stopped, _services

        crisis.warn_if_stale(settings)
        if command == "run" and (settings.discord or settings.slack):
            return _run_until_stopped(
                lambda life: _services(settings, store_path, life), grace=grace
            )
        return _run_until_stopped(lambda life: _console(settings, store_path, life), grace=grace)
    if command == "replay":
        from bot.cli.replay import _compare, _replay

        if args.compare:
            other = config_mod.load(args.compare)
            return asyncio.run(_compare(settings, other, args.file))
        return asyncio.run(_replay(settings, args.file, args.store))
    if command in ("store", "purge"):
        from bot.cli.store import _purge, _store_copy

        if command == "purge":
            return asyncio.run(_purge(settings, args))
        if getattr(args, "store_command", None) == "copy":
            return asyncio.run(_store_copy(args.source, args.target))
        _parser().parse_args(["store", "--help"])
    if command in ("report", "cases", "export-user", "stats"):
        from bot.cli.reports import _cases, _export_user, _report, _stats

        run = {"report": _report, "cases": _cases, "export-user": _export_user, "stats": _stats}
        return asyncio.run(run[command](settings, args))
    if command == "audit":
        from bot.cli.audit import _audit_export, _audit_verify

        if args.audit_command == "verify":
            return asyncio.run(_audit_verify(settings, args.store))
        if args.audit_command == "export":
            return asyncio.run(_audit_export(settings, args))
        _parser().parse_args(["audit", "--help"])
    return 0
