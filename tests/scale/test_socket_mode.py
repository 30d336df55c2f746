"""Two bot processes on one PostgreSQL database, both connected over Socket Mode.

Each `python -m bot run` worker opens its own Socket Mode link to the local server
(tests/fakes/slack_socket.py), which spreads the envelopes over the links as Slack does, retries
any envelope not acked in time on the next link, and now and then sends an acked one again.
Midway one worker is SIGKILLed: what it was sent and had not acked is retried on the other's
link, and what it had acked but not decided is claimed from its lapsed lease. Afterwards every
message was decided once, answered once, in order per thread, and nothing is left owed.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from bot.store import PostgresStore
from tests.fakes.slack_api import TEAM, FakeSlackApi
from tests.fakes.slack_events import Payloads
from tests.fakes.slack_socket import FakeSocketMode
from tests.scale.cluster import CHANNEL, MOD_LOG, Cluster, ThreadScript
from tests.scale.test_processes import scripts, settled

pytestmark = pytest.mark.slow


async def test_two_socket_mode_processes_one_killed_keep_every_guarantee(
    pg_url: str, tmp_path: Path
) -> None:
    """Envelopes spread over two workers' links, one worker killed mid-stream: each message is
    decided and answered once, in order, and nothing is owed or pending at the end."""
    api = FakeSlackApi()
    api.channels = {
        MOD_LOG: {"id": MOD_LOG, "name": "mod-log", "is_member": True},
        CHANNEL: {"id": CHANNEL, "name": "general", "is_member": True},
    }
    await api.start()
    socket = FakeSocketMode(ack_timeout=1.0, max_retries=10)
    api.socket_url = await socket.start()
    cluster = Cluster(
        store=pg_url,
        api_url=api.base_url,
        tmp=tmp_path,
        lease=2.0,
        sweep=1.0,
        app_token="xapp-test-token",
    )
    rng = random.Random(20261123)
    threads = scripts(12)
    payloads = Payloads()
    acked = 0
    midway = asyncio.Event()
    killed: list[int] = []
    try:
        await cluster.start(2)
        await socket.wait_for_links(2, within=60)

        async def send(script: ThreadScript) -> None:
            nonlocal acked
            for body in script.events(payloads):
                envelope = await socket.delivered(body, within=60)
                acked += 1
                if acked >= 25:
                    midway.set()
                if rng.random() < 0.2:  # Slack sends an acked envelope again (its ack was lost)
                    await socket.resend(envelope)
                await asyncio.sleep(rng.uniform(0.0, 0.05))

        async def kill_one() -> None:
            await midway.wait()
            victim = cluster.alive()[0]
            cluster.kill(victim.pid)
            killed.append(victim.pid)

        await asyncio.gather(kill_one(), *(send(t) for t in threads))
        sent = {e for t in threads for e in t.sent}
        await settled(pg_url, sent, within=60)
        assert len(cluster.alive()) == 1, cluster.logs()
        assert len(api.of("apps.connections.open")) >= 2
        (dead,) = [link for link in socket.links if link.closed]
        codes = await cluster.stop()
    finally:
        await cluster.stop()
        await socket.close()
        await api.close()
    assert killed and sorted(c for c in codes if c is not None and c < 0) == [-9], codes
    assert [c for c in codes if c is not None and c >= 0] == [0], cluster.logs()
    spread = Counter(link for e in socket.envelopes.values() for _, link in e.sent)
    assert len(spread) >= 2, spread  # both workers' links carried envelopes
    # What the killed worker was sent and never acked went to the other link, and was acked.
    orphans = [
        e for e in socket.envelopes.values() if e.sent[0][1] == dead.id and dead.id not in e.acks
    ]
    assert orphans and all(e.acks and e.acks[0] != dead.id for e in orphans), orphans

    conn = await asyncpg.connect(pg_url)
    try:
        user_turns = await conn.fetch(
            "SELECT thread_key, event_id, verdict FROM turns WHERE role = 'user' ORDER BY seq"
        )
        cases = await conn.fetch("SELECT number, kind FROM cases ORDER BY number")
    finally:
        await conn.close()
    # Decided once each (settled() saw every one decided): at most one user turn per message
    # (messages to a closed thread are decided without a turn).
    per_event = Counter(r["event_id"] for r in user_turns)
    assert set(per_event) <= sent and max(per_event.values()) == 1
    for script in threads:
        key = f"slack:{TEAM}:{CHANNEL}:{script.opening_ts}"
        stored = [r["event_id"] for r in user_turns if r["thread_key"] == key]
        assert stored == [e for e in script.sent if e in stored] and stored[0] == script.sent[0]
        answered = sum(
            r["verdict"] in ("reply", "redirect", "warn", "crisis")
            for r in user_turns
            if r["thread_key"] == key
        )
        streams = sum(a.get("thread_ts") == script.opening_ts for a in api.of("chat.startStream"))
        interrupted = sum(
            m["thread_ts"] == script.opening_ts and "interrupted" in m["text"]
            for m in api.timeline.values()
        )
        assert streams <= answered <= streams + interrupted, (key, streams, answered)
    numbers = [r["number"] for r in cases]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers
    async with PostgresStore(pg_url) as store:
        assert (await store.verify_audit()).ok
        assert await store.owed_actions() == []
        assert await store.accepted_events() == []
