"""End to end: `serve()` runs discord.py's real client against a local REST and gateway server.

The same fake Discord answers the REST calls (over real HTTP, with Discord's exact content type)
and its gateway events travel over a real websocket: HELLO, IDENTIFY, READY, GUILD_CREATE, then
MESSAGE_CREATE and INTERACTION_CREATE as users act. Nothing in discord.py is replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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
from bot.runtime import Runtime
from bot.store import open_store
from tests.adapters.discord.conftest import settings
from tests.fakes.discord_fake import MOD_ID, MODLOG_ID, FakeDiscord, FakeHTTPError

JSON = {"Content-Type": "application/json"}


class LocalDiscord:
    """An aiohttp server speaking Discord's REST API and gateway for one FakeDiscord."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.identified = asyncio.Event()
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
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
        self._seq += 1
        self._queue.put_nowait({"op": 0, "t": event, "s": self._seq, "d": payload})

    async def _rest(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        path = "/" + request.match_info["tail"]
        try:
            _, data = self.fake.handle(request.method, path, body)
        except FakeHTTPError as exc:
            return web.Response(
                status=exc.status, body=json.dumps(exc.body()).encode(), headers=JSON
            )
        if data is None:
            return web.Response(status=204)
        # discord.py parses JSON only when the content type is exactly this.
        return web.Response(body=json.dumps(data).encode(), headers=JSON)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        writer = asyncio.create_task(self._write(ws))
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                if frame["op"] == 2:  # IDENTIFY
                    assert frame["d"]["token"] == "fake-token"
                    assert frame["d"]["intents"] & discord.Intents(message_content=True).value
                    self.identified.set()
                    self._emit("READY", self.fake.ready_payload())
                    self._emit("GUILD_CREATE", self.fake.guild_create_payload())
                elif frame["op"] == 1:  # heartbeat
                    await ws.send_str(json.dumps({"op": 11}))
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _write(self, ws: web.WebSocketResponse) -> None:
        while True:
            frame = await self._queue.get()
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
        assert {c["name"] for c in fake.commands} == {
            "policy",
            "status",
            "case",
            "unlock",
            "appeal",
        }

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

        fake.click(int(case["id"]), "tk:unlock:1", user=MOD_ID)
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
