"""What the commands share: closing a store safely, and reading a `--since` or `--before`."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.store.base import Store

log = logging.getLogger(__name__)


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
