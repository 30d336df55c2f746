"""A process that commits decisions on PostgreSQL and is SIGKILLed before it links their records.

Run: python -m tests.store.chain_worker URL MARKER N. It commits N decisions (each with audit
records), with its chainer replaced by a hang: once the last commit has returned, it writes MARKER
and sleeps until killed. Its records are committed into audit_pending and never linked by it
(tests/store/test_chaining.py kills it there and checks a restarted store links them all).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.records import CaseDraft, ThreadRef
from bot.store import AuditEntry, PostgresStore

REF = ThreadRef(platform="file", workspace="w", channel="c", thread="killed")


async def main(url: str, marker: Path, n: int) -> None:
    store = PostgresStore(url)
    store.chain_soon = lambda: None  # type: ignore[method-assign]  # the kill comes first
    await store.open()
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(n):
        await store.commit(
            at=t0 + timedelta(seconds=i),
            event_id=f"k{i}",
            state=None,
            cases=[CaseDraft(kind="note", workspace="w", user_id="u", actor="bot", thread=REF)]
            if i % 2
            else [],
            audit=[
                AuditEntry(
                    kind="decision",
                    actor="bot",
                    thread_key=REF.key,
                    data={"i": i},
                    excerpt=f"message {i}",
                )
            ],
        )


def run(url: str, marker: Path, n: int) -> None:
    asyncio.run(main(url, marker, n))
    marker.write_text("committed")
    time.sleep(3600)  # killed here: after every commit, before any linking


if __name__ == "__main__":
    run(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
