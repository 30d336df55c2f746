"""A local Slack Web API: an aiohttp server on 127.0.0.1 answering `/api/<method>`.

The real slack_sdk client talks to it over HTTP (`AsyncWebClient(base_url=fake.base_url)`), so
what the adapter sends is what Slack would receive: form or JSON bodies, a bearer token, and the
SDK's own retry handling of a 429 with Retry-After. Every call is recorded; errors are scripted
per method (`fail`). Answers carry the fields the adapter reads and no more.

Messages the bot posts (chat.postMessage, chat.startStream) are kept, with their message metadata,
and read back by `conversations.replies` (a thread, oldest first) and `conversations.history`
(top-level messages, newest first) as Slack answers them: paged with `limit` and `cursor`, and
with `metadata` only when `include_all_metadata` is true. Messages people write arrive as events
and are unknown here, so a thread's parent is listed only if the bot posted it.

`apps.connections.open` is the one method called with the app-level token (`xapp-`): it answers
the WebSocket URL of a local Socket Mode server (`socket_url`, see tests/fakes/slack_socket.py).
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
    "reactions:write,commands,usergroups:read,users:read,assistant:write,im:history"
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
        #: Messages the bot posted, by ts in the order posted: ts, channel, thread_ts, text,
        #: blocks and metadata (None when the post carried none).
        self.timeline: dict[str, dict[str, Any]] = {}
        #: The assistant pane, per (channel, thread ts): every status set in order (an empty one
        #: clears it), the current title, and the prompts with their heading.
        self.statuses: dict[tuple[str, str], list[str]] = {}
        self.titles: dict[tuple[str, str], str] = {}
        self.prompts: dict[tuple[str, str], tuple[list[Any], Any]] = {}
        self._ts = 1_700_000_100
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        #: What apps.connections.open answers (a Socket Mode server's ws:// URL); "" for none.
        self.socket_url = ""

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
        for key in ("blocks", "view", "chunks", "metadata", "prompts"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        self.calls.append(ApiCall(method, args))
        token = request.headers.get("Authorization", "")
        if method == "apps.connections.open":
            # The app-level token only; each call is a fresh single-use link, as on Slack.
            if not token.startswith("Bearer xapp-"):
                return web.json_response({"ok": False, "error": "invalid_auth"})
            if not self.socket_url:
                return web.json_response({"ok": False, "error": "not_allowed_token_type"})
            ticket = f"{self.socket_url}?ticket={len(self.of(method))}"
            return web.json_response({"ok": True, "url": ticket})
        if not token.startswith("Bearer xoxb-"):
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
            metadata = args.get("metadata")
            if metadata is not None and not _valid_metadata(metadata):
                return web.json_response({"ok": False, "error": "invalid_metadata_format"})
            ts = self.next_ts()
            self.timeline[ts] = {
                "ts": ts,
                "channel": args.get("channel"),
                "thread_ts": args.get("thread_ts") or None,
                "text": str(args.get("text") or args.get("markdown_text") or ""),
                "blocks": args.get("blocks"),
                "metadata": metadata,
            }
            return web.json_response({**ok, "channel": args.get("channel"), "ts": ts})
        if method == "chat.appendStream" and str(args.get("ts")) in self.timeline:
            self.timeline[str(args["ts"])]["text"] += str(args.get("markdown_text") or "")
        if method == "chat.update":
            shown = self.timeline.get(str(args.get("ts")))
            if shown is None:
                return web.json_response({"ok": False, "error": "message_not_found"})
            shown["text"] = str(args.get("text") or "")
            if "blocks" in args:
                shown["blocks"] = args["blocks"]  # Slack replaces the blocks with the new ones
            return web.json_response({**ok, "channel": args.get("channel"), "ts": args.get("ts")})
        if method == "conversations.replies":
            return self._replies(args)
        if method == "conversations.history":
            return self._history(args)
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
        if method.startswith("assistant.threads."):
            return self._assistant(method, args)
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

    # --- the assistant pane ----------------------------------------------------------------------

    def _assistant(self, method: str, args: dict[str, Any]) -> web.Response:
        """assistant.threads.setStatus / setSuggestedPrompts / setTitle, checked as Slack checks
        them: a D... channel, a thread ts where required, prompts with a title and a message (at
        most four), a status and a title present (an empty status clears it). Slack answers
        `{"ok": true}` and nothing more; the last value set per thread is kept."""
        channel, thread_ts = str(args.get("channel_id") or ""), args.get("thread_ts")
        if not channel.startswith("D"):
            return web.json_response({"ok": False, "error": "channel_not_found"})
        if method == "assistant.threads.setSuggestedPrompts":
            prompts = args.get("prompts")
            if isinstance(prompts, str):
                prompts = json.loads(prompts)
            if (
                not isinstance(prompts, list)
                or not 0 < len(prompts) <= 4
                or not all(
                    isinstance(p, dict) and p.get("title") and p.get("message") for p in prompts
                )
            ):
                return web.json_response({"ok": False, "error": "invalid_arguments"})
            self.prompts[(channel, str(thread_ts or ""))] = (prompts, args.get("title"))
            return web.json_response({"ok": True})
        if not thread_ts:
            return web.json_response({"ok": False, "error": "invalid_thread_ts"})
        key = (channel, str(thread_ts))
        if method == "assistant.threads.setStatus":
            if "status" not in args:
                return web.json_response({"ok": False, "error": "invalid_arguments"})
            self.statuses.setdefault(key, []).append(str(args["status"]))
            return web.json_response({"ok": True})
        if method == "assistant.threads.setTitle":
            if not args.get("title"):
                return web.json_response({"ok": False, "error": "invalid_arguments"})
            self.titles[key] = str(args["title"])
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "error": "unknown_method"})

    # --- reading messages back -------------------------------------------------------------------

    def _replies(self, args: dict[str, Any]) -> web.Response:
        """A thread: its parent (if posted here) then its replies, oldest first."""
        channel, ts = args.get("channel"), args.get("ts")
        if not channel:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        if not ts:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        found = [
            m
            for m in self.timeline.values()
            if m["channel"] == channel and (m["ts"] == ts or m["thread_ts"] == ts)
        ]
        found.sort(key=lambda m: float(m["ts"]))
        return self._page(found, args)

    def _history(self, args: dict[str, Any]) -> web.Response:
        """A channel's top-level messages, newest first."""
        channel = args.get("channel")
        if not channel:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        found = [
            m
            for m in self.timeline.values()
            if m["channel"] == channel and m["thread_ts"] in (None, m["ts"])
        ]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        return self._page(found, args)

    def _page(self, found: list[dict[str, Any]], args: dict[str, Any]) -> web.Response:
        """One page of `found` (after oldest/latest, from cursor, at most limit), Slack-shaped."""
        oldest, latest = float(args.get("oldest") or 0), args.get("latest")
        found = [
            m
            for m in found
            if float(m["ts"]) > oldest and (not latest or float(m["ts"]) < float(latest))
        ]
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        chunk = found[start : start + limit]
        more = start + limit < len(found)
        metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        body: dict[str, Any] = {
            "ok": True,
            "messages": [_as_message(m, metadata=metadata) for m in chunk],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }
        return web.json_response(body)


def _valid_metadata(metadata: Any) -> bool:
    """Slack's shape: an event_type string and an event_payload object."""
    return (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    )


def _as_message(posted: dict[str, Any], *, metadata: bool) -> dict[str, Any]:
    """A posted message as conversations.history/replies list it (a bot's message)."""
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER,
        "bot_id": BOT_ID,
        "text": posted["text"],
        "ts": posted["ts"],
    }
    if posted["thread_ts"]:
        message["thread_ts"] = posted["thread_ts"]
    if posted["blocks"]:
        message["blocks"] = posted["blocks"]
    if metadata and posted["metadata"] is not None:
        message["metadata"] = posted["metadata"]
    return message
