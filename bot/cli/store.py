"""`store copy` and `purge`: move an installation's data between stores, or drop old texts.

Both check the audit chain afterwards and exit 1 if it is not intact.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime

from bot import config as config_mod
from bot.cli.bars import progress_bars
from bot.cli.common import close_store, parse_since
from bot.errors import ConfigError

log = logging.getLogger(__name__)


async def _store_copy(source: str, target: str) -> int:
    """sqlite:///... or a path, to postgresql://... (or back): stop the bot first."""
    from bot.store import open_store
    from bot.store.copy import copy_store

    src = await open_store(source)
    try:
        dst = await open_store(target)
        try:
            with progress_bars() as progress:
                counts = await copy_store(src, dst, progress=progress)
                report = await dst.verify_audit(progress=progress)
        finally:
            await close_store(dst)
    finally:
        await close_store(src)
    print("copied " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    print(f"audit chain on the copy: {'intact' if report.ok else report.problem}")
    return 0 if report.ok else 1


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
        with progress_bars() as progress:
            purged = await store.purge_excerpts(before=before, progress=progress)
            report = await store.verify_audit(progress=progress)
    finally:
        await close_store(store)
    print(f"purged {purged} message texts older than {before.isoformat(timespec='seconds')}")
    print(f"audit chain after the purge: {'intact' if report.ok else report.problem}")
    return 0 if report.ok else 1
