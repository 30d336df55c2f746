"""Slack's side of Socket Mode: WebSocket links, event envelopes, acks, retries and refreshes.

The real slack-bolt Socket Mode client (AsyncSocketModeHandler over slack_sdk's aiohttp client)
connects here: it asks the local Web API fake for a link (`apps.connections.open` with the app
token answers `FakeSlackApi.socket_url`), opens the WebSocket, and is greeted with `hello`. Events
arrive as Slack sends them, one envelope per delivery:

    {"envelope_id": "...", "type": "events_api", "payload": {<the event_callback body>},
     "accepts_response_payload": false, "retry_attempt": 0, "retry_reason": ""}

and the client acknowledges each by sending `{"envelope_id": "..."}` back. As on Slack (see
docs.slack.dev, "Using Socket Mode"):

- an envelope not acknowledged within `ack_timeout` is sent again, up to `max_retries` times, with
  `retry_attempt` counting up and `retry_reason` "timeout", to whichever link is next (an app may
  hold several: each event goes to one of them);
- `refresh` sends `{"type": "disconnect", "reason": "refresh_requested"}` on a link, waits for the
  client to open a new one, then closes the old;
- `drop` cuts a link without a word, as a network failure does.

Shapes follow slack_sdk's own Socket Mode test server (tests/slack_sdk/socket_mode in
python-slack-sdk); what the SDK parses is what is sent, so a wrong field fails inside the SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_events import APP_ID


@dataclass
class Link:
    """One WebSocket connection the app opened."""

    id: int
    ticket: str
    ws: web.WebSocketResponse
    closed: bool = False


@dataclass
class Envelope:
    """One event as Slack keeps it until an ack comes back."""

    envelope_id: str
    payload: dict[str, Any]
    #: (retry_attempt, link id) of each time it was sent.
    sent: list[tuple[int, int]] = field(default_factory=list)
    #: Link ids an ack came back on, in order.
    acks: list[int] = field(default_factory=list)
    acked: asyncio.Event = field(default_factory=asyncio.Event)


class FakeSocketMode:
    """A local Socket Mode endpoint: `start()` returns the URL for `FakeSlackApi.socket_url`."""

    def __init__(self, *, ack_timeout: float = 3.0, max_retries: int = 3) -> None:
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self.links: list[Link] = []
        self.envelopes: dict[str, Envelope] = {}
        #: Frames the app sent that were not acks (there should be none).
        self.strays: list[str] = []
        self._ids = itertools.count()
        self._turn = itertools.count()
        self._changed = asyncio.Condition()
        self._retries: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a free local port; the ws:// URL apps.connections.open should answer."""
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"ws://127.0.0.1:{port}/link/"
        return self.url

    async def close(self) -> None:
        """Stop retrying, close every link, stop listening."""
        for task in self._retries:
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)
        for link in self.open_links():
            await link.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def open_links(self) -> list[Link]:
        """The links still open, oldest first."""
        return [link for link in self.links if not link.closed]

    async def wait_for_links(self, count: int, *, within: float = 10.0) -> list[Link]:
        """Until `count` links are open; returns them."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.open_links()) >= count), within
            )
        return self.open_links()

    # --- the WebSocket ---------------------------------------------------------------------------

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()  # answers the client's pings itself
        await ws.prepare(request)
        link = Link(id=next(self._ids), ticket=request.query.get("ticket", ""), ws=ws)
        hello = {
            "type": "hello",
            "num_connections": len(self.open_links()) + 1,
            "debug_info": {
                "host": "applink-local",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": APP_ID},
        }
        await ws.send_str(json.dumps(hello))
        async with self._changed:
            self.links.append(link)
            self._changed.notify_all()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_frame(link, message.data)
        finally:
            async with self._changed:
                link.closed = True
                self._changed.notify_all()
        return ws

    def _on_frame(self, link: Link, data: str) -> None:
        try:
            frame = json.loads(data)
        except json.JSONDecodeError:
            self.strays.append(data)
            return
        envelope = self.envelopes.get(str(frame.get("envelope_id", "")))
        if envelope is None:
            self.strays.append(data)
            return
        envelope.acks.append(link.id)
        envelope.acked.set()

    # --- delivering events -----------------------------------------------------------------------

    async def deliver(
        self, payload: dict[str, Any], *, link: Link | None = None, retry: bool = True
    ) -> Envelope:
        """Send one event in a new envelope (to `link`, or the next open link); Slack's retries
        follow until it is acked, unless `retry` is False."""
        envelope = Envelope(envelope_id=str(uuid.uuid4()), payload=payload)
        self.envelopes[envelope.envelope_id] = envelope
        await self._send(envelope, attempt=0, reason="", link=link)
        if retry:
            task = asyncio.create_task(self._retry_until_acked(envelope))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)
        return envelope

    async def resend(self, envelope: Envelope, *, link: Link | None = None) -> None:
        """Send an envelope again as Slack does when an ack was lost: the next retry_attempt."""
        await self._send(envelope, attempt=len(envelope.sent), reason="timeout", link=link)

    async def delivered(self, payload: dict[str, Any], *, within: float = 20.0) -> Envelope:
        """Deliver and wait until the app has acked it (through Slack's retries if need be)."""
        envelope = await self.deliver(payload)
        await asyncio.wait_for(envelope.acked.wait(), within)
        return envelope

    async def _send(
        self, envelope: Envelope, *, attempt: int, reason: str, link: Link | None
    ) -> bool:
        target = link if link is not None and not link.closed else self._next_link()
        if target is None:
            return False
        frame = {
            "envelope_id": envelope.envelope_id,
            "payload": envelope.payload,
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": attempt,
            "retry_reason": reason,
        }
        envelope.sent.append((attempt, target.id))
        try:
            await target.ws.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError):
            return False  # the link went away meanwhile: counted as sent, as Slack counts it
        return True

    def _next_link(self) -> Link | None:
        links = self.open_links()
        return links[next(self._turn) % len(links)] if links else None

    async def _retry_until_acked(self, envelope: Envelope) -> None:
        for attempt in range(1, self.max_retries + 1):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(envelope.acked.wait(), self.ack_timeout)
                return
            await self._send(envelope, attempt=attempt, reason="timeout", link=None)

    # --- links going away ------------------------------------------------------------------------

    async def refresh(self, link: Link, *, within: float = 10.0) -> Link:
        """Ask the app to move (refresh_requested), wait for its new link, close the old one."""
        before = {other.id for other in self.links}
        await link.ws.send_str(
            json.dumps(
                {
                    "type": "disconnect",
                    "reason": "refresh_requested",
                    "debug_info": {"host": "applink-local"},
                }
            )
        )
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(
                    lambda: any(o.id not in before and not o.closed for o in self.links)
                ),
                within,
            )
        if not link.closed:
            await link.ws.close()
        return next(o for o in self.links if o.id not in before and not o.closed)

    async def drop(self, link: Link) -> None:
        """Cut a link, as a network failure does."""
        await link.ws.close()
