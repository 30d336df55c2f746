"""A local Slack Web API: an aiohttp server on 127.0.0.1 answering `/api/<method>`.

The real slack_sdk client talks to it over HTTP (`AsyncWebClient(base_url=fake.base_url)`), so
what the adapter sends is what Slack would receive: form or JSON bodies, a bearer token, and the
SDK's own retry handling of a 429 with Retry-After. Every call is recorded; errors are scripted
per method (`fail`). Answers carry the fields the adapter reads and no more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAM = "T0TEAM"
BOT_USER = "UBOT"
BOT_ID = "B0BOT"
SCOPES = (
    "app_mentions:read,channels:history,groups:history,channels:read,groups:read,chat:write,"
    "reactions:write,commands,usergroups:read,users:read"
)


@dataclass
class ApiCall:
    """One request the fake received."""

    method: str
    args: dict[str, Any]


@dataclass
class Scripted:
    """An error to answer `times` times for a method."""

    error: str
    status: int = 200
    retry_after: int | None = None
    times: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


class FakeSlackApi:
    """The Web API methods threadkeeper uses, answered from memory."""

    def __init__(self, *, streaming: bool = True, scopes: str = SCOPES) -> None:
        self.calls: list[ApiCall] = []
        self.streaming = streaming
        self.scopes = scopes
        self.group_members: list[str] = []
        self.channels: dict[str, dict[str, Any]] = {}
        self._errors: dict[str, list[Scripted]] = {}
        self._ts = 1_700_000_100
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a free port; returns the base URL for AsyncWebClient (ends with /api/)."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/"
        return self.base_url

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    # --- scripting and reading -------------------------------------------------------------------

    def fail(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        **extra: Any,
    ) -> None:
        """Answer the next `times` calls of `method` with `error`."""
        self._errors.setdefault(method, []).append(
            Scripted(error, status=status, retry_after=retry_after, times=times, extra=extra)
        )

    def of(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call to `method`, in order."""
        return [c.args for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        """The methods called, in order (auth.test and users.info left out)."""
        return [c.method for c in self.calls if c.method not in ("auth.test", "users.info")]

    def next_ts(self) -> str:
        """A fresh message timestamp."""
        self._ts += 1
        return f"{self._ts}.000100"

    # --- the server ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = {k: str(v) for k, v in request.query.items()}
        if request.method == "GET":
            pass
        elif request.content_type == "application/json":
            args.update(await request.json())
        else:
            form = await request.post()
            args.update({k: str(v) for k, v in form.items()})
        for key in ("blocks", "view", "chunks"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        self.calls.append(ApiCall(method, args))
        if not request.headers.get("Authorization", "").startswith("Bearer xoxb-"):
            return web.json_response({"ok": False, "error": "not_authed"})
        scripted = self._errors.get(method)
        if scripted:
            err = scripted[0]
            err.times -= 1
            if err.times <= 0:
                scripted.pop(0)
            headers = {"Retry-After": str(err.retry_after)} if err.retry_after is not None else {}
            return web.json_response(
                {"ok": False, "error": err.error, **err.extra}, status=err.status, headers=headers
            )
        return self._answer(method, args)

    def _answer(self, method: str, args: dict[str, Any]) -> web.Response:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            body = {
                **ok,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "threadkeeper",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
            return web.json_response(body, headers={"x-oauth-scopes": self.scopes})
        if method in ("chat.postMessage", "chat.startStream"):
            if method == "chat.startStream" and not self.streaming:
                return web.json_response({"ok": False, "error": "unknown_method"})
            return web.json_response({**ok, "channel": args.get("channel"), "ts": self.next_ts()})
        if method == "chat.update":
            return web.json_response({**ok, "channel": args.get("channel"), "ts": args.get("ts")})
        if method == "chat.postEphemeral":
            return web.json_response({**ok, "message_ts": self.next_ts()})
        if method == "chat.getPermalink":
            ts = str(args.get("message_ts", "")).replace(".", "")
            link = f"https://example.slack.com/archives/{args.get('channel')}/p{ts}"
            return web.json_response({**ok, "permalink": link})
        if method == "conversations.info":
            channel = self.channels.get(str(args.get("channel")))
            if channel is None:
                return web.json_response({"ok": False, "error": "channel_not_found"})
            return web.json_response({**ok, "channel": channel})
        if method == "usergroups.users.list":
            return web.json_response({**ok, "users": self.group_members})
        if method == "users.info":
            user = str(args.get("user"))
            profile = {"display_name": f"name-{user}", "real_name": f"Real {user}"}
            return web.json_response({**ok, "user": {"id": user, "name": user, "profile": profile}})
        if method == "views.open":
            return web.json_response({**ok, "view": {"id": "V1"}})
        known = {
            "chat.appendStream",
            "chat.stopStream",
            "reactions.add",
            "reactions.remove",
        }
        if method in known:
            return web.json_response(ok)
        return web.json_response({"ok": False, "error": "unknown_method"})
