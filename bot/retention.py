"""Retention: message texts older than the configured period are purged while the bot runs.

Case metadata and the audit chain stay (the chain holds digests, not texts), so `audit verify`
still passes after every purge. `python -m bot purge` does the same once, by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.errors import StoreError
from bot.store.base import Store

log = logging.getLogger(__name__)

#: How often a running bot purges.
EVERY = timedelta(hours=6)


async def purge_once(store: Store, *, retention: timedelta, now: datetime) -> int:
    """Purge what is older than the retention period; returns how many texts went."""
    purged = await store.purge_excerpts(before=now - retention)
    if purged:
        log.info("retention: purged %d message texts older than %s", purged, now - retention)
    return purged


async def keep_purging(
    store: Store,
    *,
    retention: timedelta,
    clock: Callable[[], datetime],
    every: timedelta = EVERY,
) -> None:
    """Purge now and then every `every`, until cancelled; a failure is logged and retried later."""
    while True:
        try:
            await purge_once(store, retention=retention, now=clock())
        except StoreError:
            log.exception("retention purge failed; trying again in %s", every)
        await asyncio.sleep(every.total_seconds())
