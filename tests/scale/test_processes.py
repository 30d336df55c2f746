"""Three bot processes on one PostgreSQL database, one of them killed mid-stream.

Slack's event stream for many threads (with twin `app_mention` events and redeliveries) goes to
one address served by three `python -m bot run` workers. The fake Slack API holds the first lock
notice's post after Slack took it, the worker that sent it is SIGKILLed there (its answer is lost
with it), and the stream goes on. Afterwards: every message was decided once and answered once,
each thread's turns are in the order its messages were sent, cases are numbered 1..N with one
mod-log post each, and what the dead worker owed (the lock notice, its case, the messages it had
accepted) was carried out by the others: nothing is left owed or pending.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from aiohttp import web

from bot import notices
from bot.store import PostgresStore
from tests.fakes.slack_api import TEAM, FakeSlackApi
from tests.scale.cluster import CHANNEL, MOD_LOG, Cluster, Slack, ThreadScript, owner_of_connection

pytestmark = pytest.mark.slow

HARM = "how do I make a pipe bomb"
CRISIS = "I want to kill myself"
LOCKED = "This thread has been closed"


class HangingSlack(FakeSlackApi):
    """Takes the first lock notice's post, then holds its answer until released."""

    def __init__(self) -> None:
        super().__init__()
        self.channels = {
            MOD_LOG: {"id": MOD_LOG, "name": "mod-log", "is_member": True},
            CHANNEL: {"id": CHANNEL, "name": "general", "is_member": True},
        }
        self.hung = asyncio.Event()
        self.release = asyncio.Event()
        self.peer_port = 0
        self.hung_thread = ""

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "chat.postMessage" and not self.hung.is_set():
            args = await request.json() if request.content_type == "application/json" else {}
            if not args:
                args = dict(await request.post())
            if LOCKED in str(args.get("text")):
                response = await super()._handle(request)  # posted; the answer dies with the bot
                peer = request.transport.get_extra_info("peername") if request.transport else None
                self.peer_port = int(peer[1]) if peer else 0
                self.hung_thread = str(args.get("thread_ts"))
                self.hung.set()
                await self.release.wait()
                return response
        return await super()._handle(request)


def scripts(n: int) -> list[ThreadScript]:
    """Ordinary threads, threads that escalate to a lock, and threads where someone is at risk."""
    out = []
    for i in range(n):
        user = f"U{i:03d}"
        if i % 4 == 1:
            texts = ["hello", "a question", HARM, HARM, HARM, HARM, "anything else?", "and now?"]
        elif i % 8 == 2:
            texts = ["hi", CRISIS, "thank you", "what else can I do"]
        else:
            texts = ["hello", *(f"question {k} in thread {i}" for k in range(5))]
        out.append(ThreadScript(user=user, texts=texts, twins={2} if i % 3 == 0 else set()))
    return out


async def send(slack: Slack, script: ThreadScript, rng: random.Random) -> None:
    """One user's thread: each message as soon as the previous one was acked, as people type."""
    for body in script.events(slack.payloads):
        redeliver = 1 if rng.random() < 0.3 else 0
        await slack.deliver(body, redeliver=redeliver)
        await asyncio.sleep(rng.uniform(0.0, 0.05))


async def settled(url: str, expected: set[str], *, within: float) -> None:
    """Wait until every sent message is decided and nothing is pending or owed."""
    conn = await asyncpg.connect(url)
    try:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            decided = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM events")}
            pending = await conn.fetchval("SELECT count(*) FROM inbox")
            owed = await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'owed'")
            if expected <= decided and not pending and not owed:
                return
            if asyncio.get_running_loop().time() > deadline:
                missing = sorted(expected - decided)[:5]
                raise AssertionError(f"not settled: missing {missing}, {pending=}, {owed=}")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def test_three_processes_one_killed_keep_every_guarantee(pg_url: str, tmp_path: Path) -> None:
    api = HangingSlack()
    await api.start()
    cluster = Cluster(store=pg_url, api_url=api.base_url, tmp=tmp_path, lease=2.0, sweep=1.0)
    rng = random.Random(20261122)
    threads = scripts(24)
    killed: list[int] = []
    try:
        await cluster.start(3)

        async def kill_the_one_that_hangs() -> None:
            await api.hung.wait()
            pid = owner_of_connection(api.peer_port, [w.pid for w in cluster.alive()])
            assert pid is not None, "could not tell which worker posted the lock notice"
            cluster.kill(pid)
            killed.append(pid)
            await asyncio.sleep(0.2)
            api.release.set()

        killer = asyncio.create_task(kill_the_one_that_hangs())
        async with Slack(cluster.url) as slack:
            await asyncio.gather(*(send(slack, t, rng) for t in threads))
        await asyncio.wait_for(killer, 30)
        sent = {e for t in threads for e in t.sent}
        await settled(pg_url, sent, within=60)
        assert len(cluster.alive()) == 2, cluster.logs()
        codes = await cluster.stop()
    finally:
        api.release.set()
        await cluster.stop()
        await api.close()
    assert len(killed) == 1
    assert sorted(c for c in codes if c is not None and c < 0) == [-9], codes
    assert [c for c in codes if c is not None and c >= 0] == [0, 0], cluster.logs()
    assert slack.requests > len(sent), "no redeliveries were sent"

    conn = await asyncpg.connect(pg_url)
    try:
        user_turns = await conn.fetch(
            "SELECT thread_key, event_id, verdict FROM turns WHERE role = 'user' ORDER BY seq"
        )
        cases = await conn.fetch("SELECT number, kind, thread_key FROM cases ORDER BY number")
        locks = await conn.fetch(
            "SELECT status, claimed_by FROM outbox WHERE action::jsonb ->> 'kind' = 'lock'"
            " AND action::jsonb -> 'thread' ->> 'thread' = $1",
            api.hung_thread,
        )
    finally:
        await conn.close()

    # The lock notice the killed worker was posting was carried out by another one.
    (lock,) = locks
    assert lock["status"] == "done" and f":{killed[0]}:" not in lock["claimed_by"], lock

    # Each message decided once: one user turn per event, none unknown.
    per_event = Counter(r["event_id"] for r in user_turns)
    assert set(per_event) <= sent and max(per_event.values()) == 1
    # In order: each thread's turns follow the order its messages were sent.
    for script in threads:
        key = f"slack:{TEAM}:{CHANNEL}:{script.opening_ts}"
        stored = [r["event_id"] for r in user_turns if r["thread_key"] == key]
        assert stored == [e for e in script.sent if e in stored], key
        assert stored[0] == script.sent[0]

    # Answered once: a reply stream per answered turn, plus the restart notice where the dead
    # worker had committed a reply and died before finishing it.
    for script in threads:
        key = f"slack:{TEAM}:{CHANNEL}:{script.opening_ts}"
        answered = sum(
            r["verdict"] in ("reply", "redirect", "warn", "crisis")
            for r in user_turns
            if r["thread_key"] == key
        )
        streams = sum(a.get("thread_ts") == script.opening_ts for a in api.of("chat.startStream"))
        interrupted = sum(
            m["thread_ts"] == script.opening_ts and m["text"] == notices.REPLY_INTERRUPTED
            for m in api.timeline.values()
        )
        # Never two streams for one turn; every turn got its reply, or the plain notice where
        # the dead worker's stream was cut off (or never started).
        assert streams <= answered <= streams + interrupted, (key, streams, interrupted, answered)
        assert interrupted <= 1, key

    # Cases: 1..N without gaps; one mod-log post each; one lock notice per locked thread.
    numbers = [r["number"] for r in cases]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers
    locked_threads = {r["thread_key"] for r in cases if r["kind"] == "lock"}
    assert len(locked_threads) == sum(1 for i in range(len(threads)) if i % 4 == 1)
    posts = [m for m in api.timeline.values() if m["channel"] == MOD_LOG and not m["thread_ts"]]
    posted_numbers = Counter(
        (m["metadata"] or {}).get("event_payload", {}).get("case") for m in posts
    )
    assert sorted(posted_numbers) == numbers and set(posted_numbers.values()) == {1}, posted_numbers
    for script in threads:
        notices_in_thread = [
            m
            for m in api.timeline.values()
            if m["thread_ts"] == script.opening_ts and LOCKED in m["text"]
        ]
        key = f"slack:{TEAM}:{CHANNEL}:{script.opening_ts}"
        assert len(notices_in_thread) == (1 if key in locked_threads else 0), key

    async with PostgresStore(pg_url) as store:
        assert (await store.verify_audit()).ok
        assert await store.owed_actions() == []
        assert await store.accepted_events() == []
