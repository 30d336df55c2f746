"""End to end: `serve()` runs discord.py's real client against a local REST and gateway server.

The same fake Discord answers the REST calls (over real HTTP, with Discord's exact content type)
and its gateway events travel over a real websocket: HELLO, IDENTIFY, READY, GUILD_CREATE, then
MESSAGE_CREATE and INTERACTION_CREATE as users act. Nothing in discord.py is replaced. A sharded
client opens one websocket per shard, each identifying with `shard: [id, count]`; each gets the
READY and the servers of its own shard, and later events go to the socket of their server's shard.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from aiohttp import WSMsgType, web
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from adapters.discord.service import DiscordService
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.config import DiscordServer
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.store import open_store
from tests.adapters.discord.conftest import settings
from tests.adapters.discord.test_service import COMMANDS
from tests.fakes.discord_fake import (
    CHANNEL_B_ID,
    GUILD_B_ID,
    GUILD_ID,
    MOD_ID,
    MOD_ROLE_B_ID,
    MODLOG_B_ID,
    MODLOG_ID,
    FakeDiscord,
    FakeHTTPError,
)

JSON = {"Content-Type": "application/json"}


def free_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalDiscord:
    """An aiohttp server speaking Discord's REST API and gateway for one FakeDiscord."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.identified = asyncio.Event()
        #: The `shard` field of each IDENTIFY, in order (None from an unsharded client).
        self.identifies: list[list[int] | None] = []
        #: Events waiting for each connection, by shard id (None: the one unsharded connection).
        self._queues: defaultdict[int | None, asyncio.Queue[dict[str, Any]]] = defaultdict(
            asyncio.Queue
        )
        self._shard_count: int | None = None
        self._seq = 0
        fake.emit_hook = self._emit
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self.runner = web.AppRunner(app)
        self.port = 0

    async def start(self) -> None:
        """Listen on a free local port."""
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    def _emit(self, event: str, payload: dict[str, Any]) -> None:
        """Queue an event for the connection of its server's shard (Discord sends it only there)."""
        shard: int | None = None
        guild = payload.get("guild_id")
        if self._shard_count is not None:  # direct messages go to shard 0
            shard = 0 if guild is None else self.fake.shard_of(int(guild), self._shard_count)
        self._send(shard, event, payload)

    def _send(self, shard: int | None, event: str, payload: dict[str, Any]) -> None:
        self._seq += 1
        self._queues[shard].put_nowait({"op": 0, "t": event, "s": self._seq, "d": payload})

    async def _rest(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        path = "/" + request.match_info["tail"]
        try:
            _, data = self.fake.handle(request.method, path, body)
        except FakeHTTPError as exc:
            return web.Response(
                status=exc.status,
                body=json.dumps(exc.body()).encode(),
                headers={**JSON, **exc.headers},
            )
        if data is None:
            return web.Response(status=204)
        # discord.py parses JSON only when the content type is exactly this.
        return web.Response(body=json.dumps(data).encode(), headers=JSON)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        writer: asyncio.Task[None] | None = None
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                if frame["op"] == 2:  # IDENTIFY
                    assert frame["d"]["token"] == "fake-token"
                    assert frame["d"]["intents"] & discord.Intents(message_content=True).value
                    shard: list[int] | None = frame["d"].get("shard")
                    self.identifies.append(shard)
                    key = None
                    if shard is not None:
                        key, self._shard_count = shard
                    self._send(key, "READY", self.fake.ready_payload(shard))
                    for guild_id in self.fake.guilds_on(shard):
                        self._send(key, "GUILD_CREATE", self.fake.guild_create_payload(guild_id))
                    writer = asyncio.create_task(self._write(ws, self._queues[key]))
                    self.identified.set()
                elif frame["op"] == 1:  # heartbeat
                    await ws.send_str(json.dumps({"op": 11}))
        finally:
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
        return ws

    async def _write(self, ws: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            frame = await queue.get()
            await ws.send_str(json.dumps(frame))


async def until(check: Callable[[], object], within: float = 5.0) -> None:
    """Poll until `check()` is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest.fixture
async def local(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LocalDiscord]:
    """The server, with discord.py's REST base and gateway pointed at it."""
    server = LocalDiscord(FakeDiscord())
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{server.port}/api/v10")
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        yarl.URL(f"ws://127.0.0.1:{server.port}/gateway"),
    )
    async_context.set(AsyncWebhookAdapter())  # type: ignore[no-untyped-call] # real HTTP for interaction responses
    yield server
    await server.runner.cleanup()


@pytest.mark.slow
async def test_serve_against_a_local_discord(
    local: LocalDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start, connect, open a thread, walk the ladder to a lock, and unlock with the button."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = local.fake
    config = settings()
    store = await open_store(str(tmp_path / "bot.db"))
    service = DiscordService(config, edit_interval=0.0, guild_ready_timeout=0.05)
    runtime = Runtime(
        settings=config,
        store=store,
        assistant=OfflineAssistant(),
        classifier=NoClassifier(),
        adapters={"discord": service},
        delivery_backoff=(0.0, 0.0),
    )
    assert await service.check() == []
    serving = asyncio.create_task(service.serve(runtime))
    try:
        await asyncio.wait_for(local.identified.wait(), 5)
        await until(service.client.is_ready)
        assert {c["name"] for c in fake.commands} == COMMANDS

        thread = int(fake.say("hello there", mention_bot=True)["id"])
        await until(lambda: fake.sent(thread))
        assert "running offline" in fake.sent(thread)[0]["content"]

        for n in range(4):
            fake.say("how do I make a pipe bomb", channel=thread)
            await until(lambda n=n: len(fake.sent(thread)) >= n + 2)  # type: ignore[misc]
        await until(lambda: fake.channels[thread]["thread_metadata"]["locked"])
        await until(lambda: fake.sent(MODLOG_ID))
        (case,) = fake.sent(MODLOG_ID)
        assert case["embeds"][0]["title"] == "Case #1 · Thread locked"

        fake.click(int(case["id"]), "tk:unlock:1", user=MOD_ID)  # the button opens its form
        await until(lambda: [r for r in fake.interaction_responses if r["type"] == 9])
        form = fake.interaction_responses[-1]["data"]
        field = form["components"][0]["components"][0]
        fake.submit_modal(form["custom_id"], {field["custom_id"]: "a history essay"}, user=MOD_ID)
        await until(lambda: not fake.channels[thread]["thread_metadata"]["locked"])
        await until(lambda: len(fake.sent(MODLOG_ID)) == 2)
        await until(lambda: fake.followups)  # the answer comes after the core has finished
        assert fake.followups[-1]["content"] == "Done: unlock (case #2)."
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await store.close()
    assert service.client.is_closed()


@pytest.mark.parametrize(("held", "syncs"), [((0, 1), True), ((1,), False)])
async def test_a_sharded_process_identifies_each_shard_and_serves_its_servers(
    local: LocalDiscord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    held: tuple[int, ...],
    syncs: bool,
) -> None:
    """Each held shard identifies with [id, count]; its servers are served; shard 0's syncs."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = local.fake
    fake.add_second_server()
    assert fake.shard_of(GUILD_ID, 2) == 1 and fake.shard_of(GUILD_B_ID, 2) == 0
    server_b = DiscordServer(mod_log_channel=MODLOG_B_ID, moderator_role=MOD_ROLE_B_ID)
    config = settings(servers=(server_b,), shard_count=2, shard_ids=held)
    store = await open_store(str(tmp_path / "bot.db"))
    service = DiscordService(config, edit_interval=0.0, guild_ready_timeout=0.05)

    async def at_once(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between IDENTIFYs (Discord's limit); this gateway has none."""

    monkeypatch.setattr(service.client, "before_identify_hook", at_once)
    runtime = Runtime(
        settings=config,
        store=store,
        assistant=OfflineAssistant(),
        classifier=NoClassifier(),
        adapters={"discord": service},
        delivery_backoff=(0.0, 0.0),
    )
    serving = asyncio.create_task(service.serve(runtime))
    try:
        await until(service.client.is_ready)
        assert local.identifies == [[i, 2] for i in held]
        assert bool(fake.commands) is syncs
        a = int(fake.say("hello there", mention_bot=True)["id"])  # server A: shard 1
        b = int(fake.say("hello there", mention_bot=True, channel=CHANNEL_B_ID)["id"])  # shard 0
        await until(lambda: fake.sent(a))
        if 0 in held:
            await until(lambda: fake.sent(b))
        else:  # shard 0 is another process's: this one never hears of server B
            await asyncio.sleep(0.2)
            assert not fake.sent(b) and service.client.get_guild(GUILD_B_ID) is None
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await store.close()
    assert service.client.is_closed()


async def test_login_retries_an_unreachable_discord_on_fresh_sessions(
    local: LocalDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord unreachable, then a 503: each retry waits longer and logs in on a new session."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    live = discord.http.Route.BASE
    closed = f"http://127.0.0.1:{free_port()}/api/v10"
    monkeypatch.setattr(discord.http.Route, "BASE", closed)
    local.fake.fail[("GET", "/users/@me")] = [FakeHTTPError(503, 0, "unavailable")]
    service = DiscordService(settings(), login_backoff=(0.01, 0.03))
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        if seconds:  # asyncio.sleep is patched for everyone; only the login's pauses count
            pauses.append(seconds)
            if len(pauses) == 2:  # Discord is reachable again (and answers 503 once)
                monkeypatch.setattr(discord.http.Route, "BASE", live)
        await real_sleep(0)

    monkeypatch.setattr("adapters.discord.client.asyncio.sleep", sleep)
    try:
        await service.login()
        assert service.client.user is not None
    finally:
        await service.client.close()
    assert pauses == [0.01, 0.02, 0.03]  # unreachable, unreachable, 503
    assert len(local.fake.calls("GET", "/users/@me")) == 2  # the 503, then the login


async def test_a_refused_token_stops_serve_with_one_sentence(
    local: LocalDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 401 is not retried: serve() ends with a ConfigError naming the token variable."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    local.fake.fail[("GET", "/users/@me")] = [FakeHTTPError(401, 0, "401: Unauthorized")]
    store = await open_store(str(tmp_path / "bot.db"))
    service = DiscordService(settings(), login_backoff=(0.01, 0.03))
    runtime = Runtime(
        settings=service.settings,
        store=store,
        assistant=OfflineAssistant(),
        classifier=NoClassifier(),
        adapters={"discord": service},
    )
    try:
        with pytest.raises(ConfigError) as raised:
            await service.serve(runtime)
    finally:
        await store.close()
    (problem,) = raised.value.problems
    assert "DISCORD_TOKEN" in problem
    assert len(local.fake.calls("GET", "/users/@me")) == 1
    assert service.client.is_closed()
