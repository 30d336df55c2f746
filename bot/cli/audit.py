"""`audit verify` and `audit export`: check the hash-chained audit log, or write it out."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from typing import TextIO

from bot import config as config_mod
from bot.cli.bars import progress_bars
from bot.cli.common import close_store, parse_since

log = logging.getLogger(__name__)


async def _audit_verify(settings: config_mod.Settings, store_path: str | None) -> int:
    from bot.app import make_store
    from bot.audit import format_report

    store = await make_store(settings, store_path)
    try:
        with progress_bars() as progress:
            report = await store.verify_audit(progress=progress)
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
            with progress_bars() as progress:
                count = await export(
                    store, fmt=args.format, since=since, out=out, progress=progress
                )
    finally:
        await close_store(store)
    if args.out:
        print(f"wrote {count} records to {args.out}", file=sys.stderr)
    return 0
