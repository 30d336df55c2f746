"""A local Anthropic Messages API: `POST /v1/messages`, JSON and SSE, scripted per request.

The real `anthropic` SDK talks to it unchanged: `AsyncAnthropic(base_url=fake.url)`. It speaks the
wire formats of the Messages API (the Message object, the SSE event sequence with an `event:` line
before every `data:` line, the error envelope per status), validates requests a little the way the
API does, and keeps prompt-cache accounting by the API's rules so that `usage` is meaningful.

    async with FakeMessagesAPI() as fake:
        fake.queue(Reply("hello"), HttpError(429, "rate_limit_error", headers={"retry-after": "0"}))
        async with anthropic.AsyncAnthropic(api_key="test", base_url=fake.url) as client:
            ...

Auth: an `x-api-key` header or an `Authorization: Bearer` one (anthropic 2.x sends the API key as a
bearer token), else 401; an `anthropic-version` header shaped like a date, else 400.

Responses are taken from the queue (FIFO, whatever the request), then from the `route` chooser,
then `Reply("ok")`. A request the fake rejects (auth, version, validation) consumes nothing.

Tokenizer (`token_count`): deterministic, `ceil(chars / 4)`. A string counts itself; a text block
counts its `text`; any other block, tool definition or value counts its canonical JSON (sorted keys,
no spaces, `cache_control` removed). The prompt's blocks are the tools, then the system blocks, then
each message's content blocks (a string content is one text block).

Prompt caching follows the documented rules: the cache key is the exact prefix of blocks (tools ->
system -> messages, roles included, `cache_control` markers excluded so a moved breakpoint still
hits); each block carrying `cache_control` (and the last block, for a top-level `cache_control`) is
a breakpoint; at most 4. The read is the longest cached prefix ending at a breakpoint or at one of
the `LOOKBACK` (20) block boundaries before it. The write runs from there to the last breakpoint
whose prefix reaches the model's minimum cacheable length; shorter prefixes are silently not cached.
`input_tokens` is the rest. Entries live `ttl` seconds (3600 for `"ttl": "1h"`), refreshed on a
read, per model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from types import TracebackType
from typing import Any, Final, TypeAlias

from aiohttp import web

LOOKBACK: Final = 20
"""Block boundaries checked for a cache hit before each breakpoint (the docs: about 20)."""

MAX_BREAKPOINTS: Final = 4

# Minimum cacheable prompt length by model-id prefix; the longest matching prefix wins. From the
# prompt caching docs' "cache limitations" table as quoted in Nov 2026 (Opus 4.7 is quoted as 2048
# by some sources and 4096 by others). Haiku 5.x is not listed anywhere we could check: it is
# assumed to keep Haiku 4.5's 4096.
DEFAULT_MIN_CACHEABLE: Final[Mapping[str, int]] = {
    "claude-haiku-3": 2048,
    "claude-3-haiku": 2048,
    "claude-3-5-haiku": 2048,
    "claude-haiku-": 4096,
    "claude-sonnet-": 1024,
    "claude-opus-": 1024,
    "claude-opus-4-5": 4096,
    "claude-opus-4-6": 4096,
    "claude-opus-4-7": 2048,
    "claude-opus-5": 512,
    "claude-fable-5": 512,
    "claude-mythos-5": 512,
    "claude-mythos-preview": 4096,
}
FALLBACK_MIN_CACHEABLE: Final = 1024

ERROR_STATUS: Final[Mapping[str, int]] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


# --- records -----------------------------------------------------------------------------------


@dataclass
class Usage:
    """The `usage` the fake reported for one response."""

    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def to_json(self) -> dict[str, int]:
        """The wire form."""
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "output_tokens": self.output_tokens,
        }


@dataclass(frozen=True)
class Recorded:
    """One request that reached the fake with a JSON body. Header names are lower-case."""

    body: dict[str, Any]
    headers: dict[str, str]
    stream: bool
    at: float
    """`time.monotonic()` when the request arrived."""


# --- scripted responses ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A text answer. `chunks` overrides how `text` is split into deltas (they must join to it)."""

    text: str = "ok"
    _: KW_ONLY
    chunks: list[str] | None = None
    stop_reason: str = "end_turn"
    latency: float = 0.0
    chunk_delay: float = 0.0
    output_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.chunks is not None and "".join(self.chunks) != self.text:
            raise ValueError("Reply.chunks must join to Reply.text")


@dataclass(frozen=True)
class JsonReply:
    """A structured-output answer: one text block holding `json.dumps(value)`, or `raw` verbatim."""

    value: object | None = None
    _: KW_ONLY
    raw: str | None = None
    latency: float = 0.0


@dataclass(frozen=True)
class ToolCall:
    """A `tool_use` block (after optional text); stop_reason `tool_use`."""

    name: str
    input: dict[str, Any]
    _: KW_ONLY
    text_before: str = ""
    latency: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """Stop_reason `refusal`, after optional partial text."""

    text_before: str = ""
    latency: float = 0.0


@dataclass(frozen=True)
class HttpError:
    """An HTTP error with the API's error envelope, e.g. 429 `rate_limit_error` with retry-after."""

    status: int
    error_type: str
    message: str = "Scripted error from the fake Messages API."
    _: KW_ONLY
    headers: dict[str, str] = field(default_factory=dict)
    latency: float = 0.0


@dataclass(frozen=True)
class StreamError:
    """A 200 SSE stream that sends these text deltas, then `event: error`, then closes.

    Served to a non-streaming request it is the equivalent HTTP error (overloaded_error -> 529).
    """

    after_chunks: list[str] = field(default_factory=list)
    _: KW_ONLY
    error_type: str = "overloaded_error"


@dataclass(frozen=True)
class Stall:
    """Sends these text deltas, then nothing for `seconds`, then finishes the message normally.

    Served to a non-streaming request, the whole response waits `seconds`.
    """

    after_chunks: list[str] = field(default_factory=list)
    seconds: float = 3600.0


Response: TypeAlias = Reply | JsonReply | ToolCall | Refusal | HttpError | StreamError | Stall
Router: TypeAlias = Callable[[dict[str, Any]], Response | None]


# --- tokenizer and prompt ----------------------------------------------------------------------


def _canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _strip_cache_control(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _strip_cache_control(v) for k, v in obj.items() if k != "cache_control"}
    if isinstance(obj, list):
        return [_strip_cache_control(v) for v in obj]
    return obj


def token_count(obj: object) -> int:
    """The fake's tokenizer: ceil(chars / 4) of the text, or of the canonical JSON otherwise."""
    if isinstance(obj, str):
        return math.ceil(len(obj) / 4)
    if isinstance(obj, dict) and obj.get("type") == "text" and isinstance(obj.get("text"), str):
        return math.ceil(len(obj["text"]) / 4)
    return math.ceil(len(_canonical(_strip_cache_control(obj))) / 4)


def _has_cache_control(block: object) -> int:
    """How many cache_control markers a block carries (itself and a tool_result's content)."""
    if not isinstance(block, dict):
        return 0
    count = 1 if block.get("cache_control") is not None else 0
    inner = block.get("content")
    if isinstance(inner, list):
        count += sum(1 for b in inner if isinstance(b, dict) and b.get("cache_control") is not None)
    return count


@dataclass(frozen=True)
class _Block:
    key: str
    tokens: int
    breakpoint: bool
    ttl: str | None


def _prompt_blocks(body: Mapping[str, Any]) -> list[_Block]:
    blocks: list[_Block] = []

    def add(section: str, block: dict[str, Any]) -> None:
        marker = block.get("cache_control")
        ttl = marker.get("ttl") if isinstance(marker, dict) else None
        stripped = _strip_cache_control(block)
        blocks.append(
            _Block(
                key=_canonical([section, stripped]),
                tokens=token_count(stripped),
                breakpoint=_has_cache_control(block) > 0,
                ttl=ttl,
            )
        )

    for tool in body.get("tools") or []:
        add("tools", tool)
    system = body.get("system")
    if isinstance(system, str):
        if system:
            add("system", {"type": "text", "text": system})
    elif isinstance(system, list):
        for block in system:
            add("system", block)
    for message in body.get("messages") or []:
        content = message.get("content")
        role = str(message.get("role"))
        if isinstance(content, str):
            add(role, {"type": "text", "text": content})
        else:
            for block in content:
                add(role, block)
    top = body.get("cache_control")
    if isinstance(top, dict) and blocks and not blocks[-1].breakpoint:
        last = blocks[-1]
        blocks[-1] = _Block(last.key, last.tokens, True, top.get("ttl"))
    return blocks


def _breakpoint_count(body: Mapping[str, Any]) -> int:
    count = 1 if body.get("cache_control") is not None else 0
    for tool in body.get("tools") or []:
        count += _has_cache_control(tool)
    if isinstance(body.get("system"), list):
        count += sum(_has_cache_control(b) for b in body["system"])
    for message in body.get("messages") or []:
        if isinstance(message.get("content"), list):
            count += sum(_has_cache_control(b) for b in message["content"])
    return count


# --- validation --------------------------------------------------------------------------------


def _check_cache_control(marker: object, where: str) -> str | None:
    if marker is None:
        return None
    if not isinstance(marker, dict) or marker.get("type") != "ephemeral":
        return f"{where}.cache_control.type: Input should be 'ephemeral'"
    if marker.get("ttl", "5m") not in ("5m", "1h"):
        return f"{where}.cache_control.ttl: Input should be '5m' or '1h'"
    return None


def _check_block(block: object, where: str) -> str | None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return f"{where}: Input should be a content block object with a `type`"
    if block["type"] == "text":
        if not isinstance(block.get("text"), str):
            return f"{where}.text: Field required"
        if not block["text"]:
            return "messages: text content blocks must be non-empty"
    return _check_cache_control(block.get("cache_control"), where)


def validate_request(body: object) -> str | None:
    """The message of the 400 the API would give this body, or None if the fake accepts it."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return "model: Field required"
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        return "max_tokens: Field required"
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return "max_tokens: Input should be greater than or equal to 1"
    if "stream" in body and not isinstance(body["stream"], bool):
        return "stream: Input should be a valid boolean"
    messages = body.get("messages")
    if messages is None:
        return "messages: Field required"
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"messages.{i}: Input should be an object"
        if message.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        content = message.get("content")
        if not isinstance(content, str | list):
            return f"messages.{i}.content: Field required"
        final_assistant = i == len(messages) - 1 and message["role"] == "assistant"
        if not content and not final_assistant:
            return (
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        if isinstance(content, list):
            for j, block in enumerate(content):
                if error := _check_block(block, f"messages.{i}.content.{j}"):
                    return error
    # Consecutive same-role turns are allowed (the API combines them into one turn).
    if messages[0]["role"] != "user":
        return 'messages: first message must use the "user" role'
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        if not isinstance(system, list):
            return "system: Input should be a valid string or list of text blocks"
        for j, block in enumerate(system):
            if not isinstance(block, dict) or block.get("type") != "text":
                return f"system.{j}.type: Input should be 'text'"
            if error := _check_block(block, f"system.{j}"):
                return error
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return "tools: Input should be a valid list"
        for j, tool in enumerate(tools):
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                return f"tools.{j}.name: Field required"
            if error := _check_cache_control(tool.get("cache_control"), f"tools.{j}"):
                return error
    if error := _check_cache_control(body.get("cache_control"), "cache_control"):
        return error
    output_config = body.get("output_config")
    if output_config is not None:
        fmt = output_config.get("format") if isinstance(output_config, dict) else None
        if fmt is not None and (
            not isinstance(fmt, dict)
            or fmt.get("type") != "json_schema"
            or not isinstance(fmt.get("schema"), dict)
        ):
            return "output_config.format: expected {'type': 'json_schema', 'schema': {...}}"
    found = _breakpoint_count(body)
    if found > MAX_BREAKPOINTS:
        return (
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {found}."
        )
    return None


# --- the server --------------------------------------------------------------------------------


def _error_body(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": request_id,
    }


def _split_words(text: str) -> list[str]:
    return re.findall(r"\s*\S+|\s+$", text)


def _split_json(text: str, size: int = 12) -> list[str]:
    return [""] + [text[i : i + size] for i in range(0, len(text), size)]


class FakeMessagesAPI:
    """A local Messages API server on 127.0.0.1 (ephemeral port). See the module docstring."""

    def __init__(
        self, *, min_cacheable: Mapping[str, int] | None = None, ttl: float = 300.0
    ) -> None:
        self.min_cacheable: dict[str, int] = {**DEFAULT_MIN_CACHEABLE, **(min_cacheable or {})}
        self.ttl = ttl
        self.requests: list[Recorded] = []
        self.usages: list[Usage] = []
        self._queue: deque[Response] = deque()
        self._router: Router | None = None
        self._caches: dict[str, dict[str, float]] = {}  # model -> prefix digest -> expiry
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1:0."""
        app = web.Application()
        app.router.add_post("/v1/messages", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=0.2, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self._url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Cancel every response in flight (stalls included) and close the server."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeMessagesAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, without `/v1` (the SDK adds it)."""
        if self._url is None:
            raise RuntimeError("FakeMessagesAPI is not started")
        return self._url

    # scripting

    def queue(self, *responses: Response) -> None:
        """Serve these, in order, to the next requests (any request)."""
        self._queue.extend(responses)

    def route(self, fn: Router) -> None:
        """Choose a response from the parsed body when the queue is empty (None -> Reply("ok"))."""
        self._router = fn

    @property
    def pending(self) -> int:
        """Queued responses not yet served."""
        return len(self._queue)

    def token_count(self, obj: object) -> int:
        """The fake's tokenizer (see `token_count`)."""
        return token_count(obj)

    def min_cacheable_for(self, model: str) -> int:
        """The minimum cacheable prefix, in tokens, for a model id (longest prefix match)."""
        best = ""
        for prefix in self.min_cacheable:
            if model.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.min_cacheable[best] if best else FALLBACK_MIN_CACHEABLE

    # cache accounting

    def _account(self, body: Mapping[str, Any]) -> tuple[int, int, int]:
        """(input, cache write, cache read) for this request; stores what it writes."""
        now = time.monotonic()
        blocks = _prompt_blocks(body)
        cache = self._caches.setdefault(str(body["model"]), {})
        for digest in [d for d, expiry in cache.items() if expiry <= now]:
            del cache[digest]
        cum: list[int] = []
        digests: list[str] = []
        running, h = 0, hashlib.sha256()
        for block in blocks:
            running += block.tokens
            h.update(block.key.encode())
            h.update(b"\x00")
            cum.append(running)
            digests.append(h.copy().hexdigest())
        breakpoints = [i for i, b in enumerate(blocks) if b.breakpoint]
        read_end = -1
        for bp in breakpoints:
            for j in range(bp, max(-1, bp - LOOKBACK - 1), -1):
                if digests[j] in cache:
                    read_end = max(read_end, j)
                    break
        read = cum[read_end] if read_end >= 0 else 0
        minimum = self.min_cacheable_for(str(body["model"]))
        writable = [bp for bp in breakpoints if bp > read_end and cum[bp] >= minimum]
        write_end = max(writable, default=read_end)
        write = cum[write_end] - read if write_end > read_end else 0
        total = cum[-1] if cum else 0
        if read_end >= 0:
            ttl = next((blocks[bp].ttl for bp in breakpoints if bp >= read_end), None)
            cache[digests[read_end]] = now + self._lifetime(ttl)
        for bp in writable:
            cache[digests[bp]] = now + self._lifetime(blocks[bp].ttl)
        return total - read - write, write, read

    def _lifetime(self, ttl: str | None) -> float:
        return 3600.0 if ttl == "1h" else self.ttl

    # HTTP

    async def _not_found(self, request: web.Request) -> web.Response:
        rid = _new_id("req_")
        body = _error_body("not_found_error", f"Not found: {request.path}", rid)
        return web.json_response(body, status=404, headers={"request-id": rid})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._serve(request)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        rid = _new_id("req_")
        headers = {k.lower(): v for k, v in request.headers.items()}

        def error(status: int, error_type: str, message: str) -> web.Response:
            return web.json_response(
                _error_body(error_type, message, rid), status=status, headers={"request-id": rid}
            )

        if not headers.get("x-api-key") and not headers.get("authorization"):
            return error(401, "authentication_error", "x-api-key header is required")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", headers.get("anthropic-version", "")):
            return error(400, "invalid_request_error", "anthropic-version: header is required")
        try:
            body = json.loads(await request.text())
        except ValueError:
            return error(400, "invalid_request_error", "There was an issue with the JSON body")
        stream = isinstance(body, dict) and body.get("stream") is True
        if isinstance(body, dict):
            self.requests.append(Recorded(body, headers, stream, time.monotonic()))
        if message := validate_request(body):
            return error(400, "invalid_request_error", message)

        response: Response | None = self._queue.popleft() if self._queue else None
        if response is None and self._router is not None:
            response = self._router(body)
        if response is None:
            response = Reply("ok")

        if isinstance(response, HttpError):
            await asyncio.sleep(response.latency)
            out = error(response.status, response.error_type, response.message)
            out.headers.update(response.headers)
            return out
        if isinstance(response, StreamError) and not stream:
            status = ERROR_STATUS.get(response.error_type, 500)
            return error(status, response.error_type, _default_message(response.error_type))
        if isinstance(response, Stall) and not stream:
            await asyncio.sleep(response.seconds)

        script = _Script.of(response, self)
        await asyncio.sleep(script.latency)
        input_tokens, write, read = self._account(body)
        usage = Usage(input_tokens, script.output_tokens, write, read)
        message_id = _new_id("msg_")
        if not stream:
            self.usages.append(usage)
            return web.json_response(
                script.message(message_id, str(body["model"]), usage), headers={"request-id": rid}
            )
        return await self._stream(request, rid, message_id, str(body["model"]), usage, script)

    async def _stream(
        self,
        request: web.Request,
        rid: str,
        message_id: str,
        model: str,
        usage: Usage,
        script: _Script,
    ) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "request-id": rid,
            }
        )
        await resp.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await resp.write(f"event: {event}\ndata: {_canonical(data)}\n\n".encode())

        start_usage = {**usage.to_json(), "output_tokens": 1}
        try:
            await send(
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": message_id,
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": start_usage,
                    },
                },
            )
            await send("ping", {"type": "ping"})
            for index, (start, deltas) in enumerate(script.stream_blocks()):
                await send(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": start},
                )
                for n, piece in enumerate(deltas):
                    if n and script.chunk_delay:
                        await asyncio.sleep(script.chunk_delay)
                    await send(
                        "content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": piece},
                    )
                if script.error_type is not None:
                    await send(
                        "error",
                        {
                            "type": "error",
                            "error": {
                                "type": script.error_type,
                                "message": _default_message(script.error_type),
                            },
                            "request_id": rid,
                        },
                    )
                    await resp.write_eof()
                    return resp
                if script.stall:
                    await asyncio.sleep(script.stall)
                await send("content_block_stop", {"type": "content_block_stop", "index": index})
            final: dict[str, Any] = {"stop_reason": script.stop_reason, "stop_sequence": None}
            if script.stop_details is not None:
                final["stop_details"] = script.stop_details
            await send(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": final,
                    "usage": {"output_tokens": usage.output_tokens},
                },
            )
            await send("message_stop", {"type": "message_stop"})
            self.usages.append(usage)
            await resp.write_eof()
        except ConnectionResetError:
            pass  # the client went away (a timeout, a cancelled stream)
        return resp


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _default_message(error_type: str) -> str:
    return "Overloaded" if error_type == "overloaded_error" else f"Scripted {error_type}"


@dataclass
class _Script:
    """A response normalised to blocks: what both the JSON and the SSE renderings are built from."""

    blocks: list[tuple[dict[str, Any], list[str]]]  # (final block, pieces) text or tool_use
    stop_reason: str
    output_tokens: int
    latency: float = 0.0
    chunk_delay: float = 0.0
    error_type: str | None = None
    stall: float = 0.0
    stop_details: dict[str, Any] | None = None

    @classmethod
    def of(cls, response: Response, fake: FakeMessagesAPI) -> _Script:
        def text_block(
            text: str, pieces: list[str] | None = None
        ) -> tuple[dict[str, Any], list[str]]:
            return {"type": "text", "text": text}, pieces if pieces is not None else _split_words(
                text
            )

        if isinstance(response, Reply):
            return cls(
                [text_block(response.text, response.chunks)],
                response.stop_reason,
                response.output_tokens
                if response.output_tokens is not None
                else max(1, fake.token_count(response.text)),
                latency=response.latency,
                chunk_delay=response.chunk_delay,
            )
        if isinstance(response, JsonReply):
            text = response.raw if response.raw is not None else json.dumps(response.value)
            return cls(
                [text_block(text, _split_json(text)[1:])],
                "end_turn",
                max(1, fake.token_count(text)),
                latency=response.latency,
            )
        if isinstance(response, ToolCall):
            blocks = [text_block(response.text_before)] if response.text_before else []
            args = json.dumps(response.input)
            tool = {
                "type": "tool_use",
                "id": _new_id("toolu_"),
                "name": response.name,
                "input": response.input,
            }
            blocks.append((tool, _split_json(args)))
            tokens = fake.token_count(response.text_before) + fake.token_count(args)
            return cls(blocks, "tool_use", max(1, tokens), latency=response.latency)
        if isinstance(response, Refusal):
            blocks = [text_block(response.text_before)] if response.text_before else []
            return cls(
                blocks,
                "refusal",
                max(1, fake.token_count(response.text_before)),
                latency=response.latency,
                stop_details={"type": "refusal", "category": None, "explanation": None},
            )
        if isinstance(response, StreamError | Stall):
            text = "".join(response.after_chunks)
            script = cls(
                [text_block(text, list(response.after_chunks))],
                "end_turn",
                max(1, fake.token_count(text)),
            )
            if isinstance(response, StreamError):
                script.error_type = response.error_type
            else:
                script.stall = response.seconds
            return script
        raise TypeError(f"not a scripted response: {response!r}")

    def content(self) -> list[dict[str, Any]]:
        return [block for block, _ in self.blocks]

    def message(self, message_id: str, model: str, usage: Usage) -> dict[str, Any]:
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": self.content(),
            "stop_reason": self.stop_reason,
            "stop_sequence": None,
            "stop_details": self.stop_details,
            "usage": usage.to_json(),
        }

    def stream_blocks(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """(content_block_start payload, deltas) per block."""
        out: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for block, pieces in self.blocks:
            if block["type"] == "text":
                deltas = [{"type": "text_delta", "text": p} for p in pieces if p]
                out.append(({"type": "text", "text": ""}, deltas))
            else:
                deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
                out.append(({**block, "input": {}}, deltas))
        return out


__all__ = [
    "DEFAULT_MIN_CACHEABLE",
    "LOOKBACK",
    "FakeMessagesAPI",
    "HttpError",
    "JsonReply",
    "Recorded",
    "Refusal",
    "Reply",
    "Response",
    "Stall",
    "StreamError",
    "ToolCall",
    "Usage",
    "token_count",
    "validate_request",
]
