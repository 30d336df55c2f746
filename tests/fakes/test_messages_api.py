"""The fake Messages API, driven by the real `anthropic` SDK (raw HTTP where the SDK hides it)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anthropic
import httpx2
import pytest
from anthropic.types import Message, MessageParam, TextBlock, TextBlockParam

from tests.fakes.messages_api import (
    FakeMessagesAPI,
    HttpError,
    JsonReply,
    Refusal,
    Reply,
    Stall,
    StreamError,
    ToolCall,
    Usage,
)

MODEL = "claude-sonnet-5-5"
USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
HEADERS = {"x-api-key": "test", "anthropic-version": "2023-06-01"}
SYSTEM = "S" * 4400  # 1100 tokens by the fake's tokenizer: above Sonnet's 1024 minimum


@pytest.fixture
async def fake() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI() as server:
        yield server


def client(
    fake: FakeMessagesAPI, *, max_retries: int = 0, **kwargs: Any
) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        api_key="test", base_url=fake.url, max_retries=max_retries, **kwargs
    )


async def post(
    fake: FakeMessagesAPI, body: object, headers: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """POST raw JSON to /v1/messages: (status, content type, body text)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake.url}/v1/messages",
            data=json.dumps(body),
            headers=HEADERS if headers is None else headers,
        ) as resp,
    ):
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


def text_of(block: object) -> str:
    assert isinstance(block, TextBlock)
    return block.text


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse an SSE body strictly: every event is exactly an `event:` line then a `data:` line."""
    events = []
    for chunk in text.strip().split("\n\n"):
        lines = chunk.split("\n")
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: ")
        name, data = lines[0][len("event: ") :], json.loads(lines[1][len("data: ") :])
        assert data["type"] == name
        events.append((name, data))
    return events


# --- shapes --------------------------------------------------------------------------------------


async def test_create_returns_message_json(fake: FakeMessagesAPI) -> None:
    """A non-streaming call gets a full Message with the model echoed and the request recorded."""
    fake.queue(Reply("Hello there"))
    async with client(fake) as c:
        msg = await c.messages.create(model=MODEL, max_tokens=50, messages=USER)
    assert msg.type == "message" and msg.role == "assistant" and msg.model == MODEL
    assert msg.id.startswith("msg_")
    assert [b.type for b in msg.content] == ["text"] and text_of(msg.content[0]) == "Hello there"
    assert msg.stop_reason == "end_turn" and msg.stop_sequence is None
    assert msg.usage.input_tokens == fake.token_count("hi") == 1
    assert msg.usage.output_tokens == fake.token_count("Hello there") == 3
    assert fake.usages == [Usage(1, 3)]
    [req] = fake.requests
    assert req.body["messages"] == USER and req.stream is False
    # anthropic 2.x sends the API key as a bearer token, not x-api-key; the fake takes either
    assert req.headers["authorization"] == "Bearer test" and req.headers["anthropic-version"]


async def test_sse_wire_format(fake: FakeMessagesAPI) -> None:
    """A streaming body is text/event-stream with an `event:` line before every `data:` line."""
    fake.queue(Reply("one two", chunks=["one", " two"]))
    body = {"model": MODEL, "max_tokens": 5, "messages": USER, "stream": True}
    status, ctype, text = await post(fake, body)
    assert status == 200 and ctype.startswith("text/event-stream")
    events = sse_events(text)
    assert [name for name, _ in events] == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["model"] == MODEL
    assert start["usage"] == {
        "input_tokens": 1,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 1,
    }
    assert events[2][1]["content_block"] == {"type": "text", "text": ""}
    assert [e["delta"] for _, e in events[3:5]] == [
        {"type": "text_delta", "text": "one"},
        {"type": "text_delta", "text": " two"},
    ]
    assert events[6][1]["delta"]["stop_reason"] == "end_turn"
    assert events[6][1]["usage"] == {"output_tokens": 2}


async def test_stream_text_deltas_and_final_message(fake: FakeMessagesAPI) -> None:
    """`messages.stream` yields the scripted chunks and assembles the final message and usage."""
    fake.queue(Reply("Hi, how are you?", chunks=["Hi,", " how", " are you?"], chunk_delay=0.01))
    async with (
        client(fake) as c,
        c.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream,
    ):
        pieces = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    assert pieces == ["Hi,", " how", " are you?"]
    assert final.content[0].type == "text" and text_of(final.content[0]) == "Hi, how are you?"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 4
    assert fake.requests[0].stream is True and fake.usages == [Usage(1, 4)]


async def test_structured_output_is_a_json_text_block(fake: FakeMessagesAPI) -> None:
    """`output_config.format` is accepted; the answer is one text block holding the JSON."""
    schema = {"type": "object", "properties": {"harmful": {"type": "boolean"}}}
    fake.queue(JsonReply({"harmful": False, "risk": "none"}), JsonReply(raw='{"harmful": tru'))
    config: Any = {"format": {"type": "json_schema", "schema": schema}}
    async with client(fake) as c:
        good = await c.messages.create(
            model=MODEL, max_tokens=200, messages=USER, output_config=config
        )
        async with c.messages.stream(
            model=MODEL, max_tokens=200, messages=USER, output_config=config
        ) as stream:
            bad = await stream.get_final_message()
    assert good.content[0].type == "text"
    assert json.loads(text_of(good.content[0])) == {"harmful": False, "risk": "none"}
    assert bad.content[0].type == "text" and text_of(bad.content[0]) == '{"harmful": tru'
    assert fake.requests[0].body["output_config"] == config


async def test_tool_use_streams_input_json_delta(fake: FakeMessagesAPI) -> None:
    """A tool call streams as input_json_delta pieces and ends with stop_reason tool_use."""
    args = {"reason": "user asked", "confirm": True}
    fake.queue(ToolCall("end_conversation", args, text_before="Ending. "))
    tools: Any = [{"name": "end_conversation", "input_schema": {"type": "object"}}]
    kinds = []
    async with (
        client(fake) as c,
        c.messages.stream(model=MODEL, max_tokens=50, messages=USER, tools=tools) as stream,
    ):
        async for event in stream:
            if event.type == "content_block_delta":
                kinds.append(event.delta.type)
        final = await stream.get_final_message()
    assert "text_delta" in kinds and "input_json_delta" in kinds
    assert final.stop_reason == "tool_use"
    text, tool = final.content
    assert text.type == "text" and text.text == "Ending. "
    assert tool.type == "tool_use" and tool.name == "end_conversation" and tool.input == args
    assert tool.id.startswith("toolu_")


async def test_refusal_stop_reason(fake: FakeMessagesAPI) -> None:
    """A refusal ends with stop_reason refusal, streamed or not, keeping any partial text."""
    fake.queue(Refusal(text_before="I can"), Refusal())
    async with client(fake) as c:
        async with c.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
            streamed = await stream.get_final_message()
        plain = await c.messages.create(model=MODEL, max_tokens=50, messages=USER)
    assert streamed.stop_reason == "refusal" and text_of(streamed.content[0]) == "I can"
    assert plain.stop_reason == "refusal" and plain.content == []
    assert plain.stop_details is not None and plain.stop_details.type == "refusal"


async def test_queue_then_route_then_default(fake: FakeMessagesAPI) -> None:
    """Queued responses go first in order, then the route chooser, then Reply('ok')."""
    fake.queue(Reply("first"), Reply("second"))
    fake.route(lambda body: Reply("routed") if body["max_tokens"] == 7 else None)
    async with client(fake) as c:
        texts = []
        for max_tokens in (1, 1, 7, 1):
            msg = await c.messages.create(model=MODEL, max_tokens=max_tokens, messages=USER)
            texts.append(text_of(msg.content[0]))
    assert texts == ["first", "second", "routed", "ok"] and fake.pending == 0


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"max_tokens": 5, "messages": USER}, "model"),
        ({"model": MODEL, "messages": USER}, "max_tokens"),
        ({"model": MODEL, "max_tokens": 5}, "messages"),
        (
            {"model": MODEL, "max_tokens": 5, "messages": [{"role": "assistant", "content": "x"}]},
            "user",
        ),
        (
            {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": ""}]},
            "non-empty",
        ),
        (
            {
                "model": MODEL,
                "max_tokens": 5,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": str(i), "cache_control": {"type": "ephemeral"}}
                            for i in range(5)
                        ],
                    }
                ],
            },
            "maximum of 4",
        ),
    ],
)
async def test_invalid_requests_get_400(
    fake: FakeMessagesAPI, body: dict[str, Any], needle: str
) -> None:
    """Missing fields, a non-user first turn, empty content and >4 breakpoints are 400s."""
    fake.queue(Reply("unused"))
    status, _, text = await post(fake, body)
    error = json.loads(text)
    assert status == 400 and error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error" and needle in error["error"]["message"]
    assert fake.pending == 1 and fake.usages == []


async def test_consecutive_same_role_turns_are_accepted(fake: FakeMessagesAPI) -> None:
    """Two user turns in a row are allowed (the API combines them)."""
    messages: Any = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    async with client(fake) as c:
        msg = await c.messages.create(model=MODEL, max_tokens=5, messages=messages)
    assert text_of(msg.content[0]) == "ok"


async def test_auth_and_version_headers_are_checked(fake: FakeMessagesAPI) -> None:
    """No x-api-key (nor bearer token) is a 401 authentication_error; no anthropic-version, 400."""
    body = {"model": MODEL, "max_tokens": 5, "messages": USER}
    status, _, text = await post(fake, body, {"anthropic-version": "2023-06-01"})
    assert status == 401 and json.loads(text)["error"]["type"] == "authentication_error"
    status, _, text = await post(fake, body, {"x-api-key": "k"})
    assert status == 400 and "anthropic-version" in json.loads(text)["error"]["message"]


async def test_too_many_breakpoints_is_bad_request_in_sdk(fake: FakeMessagesAPI) -> None:
    """The SDK raises BadRequestError for a fifth cache_control breakpoint."""
    blocks: Any = [
        {"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}}
        for i in range(5)
    ]
    async with client(fake) as c:
        with pytest.raises(anthropic.BadRequestError) as caught:
            await c.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": blocks}]
            )
    assert caught.value.type == "invalid_request_error"


# --- errors, retries, timeouts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_type", "exc"),
    [
        (429, "rate_limit_error", anthropic.RateLimitError),
        (500, "api_error", anthropic.InternalServerError),
        (529, "overloaded_error", anthropic.OverloadedError),
        (403, "permission_error", anthropic.PermissionDeniedError),
    ],
)
async def test_http_errors_map_to_sdk_exceptions(
    fake: FakeMessagesAPI, status: int, error_type: str, exc: type[anthropic.APIStatusError]
) -> None:
    """Each status becomes the SDK's class for it, with the error type and request id."""
    fake.queue(HttpError(status, error_type, "nope"))
    async with client(fake) as c:
        with pytest.raises(exc) as caught:
            await c.messages.create(model=MODEL, max_tokens=5, messages=USER)
    err = caught.value
    assert err.status_code == status and err.type == error_type and err.api_message == "nope"
    assert err.request_id is not None and err.request_id.startswith("req_")
    assert fake.usages == []


async def test_overloaded_is_an_internal_server_error(fake: FakeMessagesAPI) -> None:
    """529 OverloadedError is a subclass of InternalServerError, so one except catches both."""
    assert issubclass(anthropic.OverloadedError, anthropic.InternalServerError)
    fake.queue(HttpError(529, "overloaded_error"))
    async with client(fake) as c:
        with pytest.raises(anthropic.InternalServerError):
            await c.messages.create(model=MODEL, max_tokens=5, messages=USER)


async def test_retry_after_is_honoured(fake: FakeMessagesAPI) -> None:
    """With max_retries=1 the SDK waits retry-after-ms, retries once and succeeds."""
    fake.queue(
        HttpError(429, "rate_limit_error", headers={"retry-after-ms": "150"}), Reply("after")
    )
    async with client(fake, max_retries=1) as c:
        msg = await c.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(msg.content[0]) == "after"
    first, second = fake.requests
    assert second.at - first.at >= 0.14
    assert second.headers["x-stainless-retry-count"] == "1"


async def test_retries_exhausted_raise_the_last_error(fake: FakeMessagesAPI) -> None:
    """max_retries=1 makes two attempts; the second 529 is raised."""
    quick = {"retry-after-ms": "10"}
    fake.queue(
        HttpError(529, "overloaded_error", headers=quick), HttpError(529, "overloaded_error")
    )
    async with client(fake, max_retries=1) as c:
        with pytest.raises(anthropic.OverloadedError):
            await c.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert len(fake.requests) == 2


async def test_stream_error_event_raises_without_retry(fake: FakeMessagesAPI) -> None:
    """An `event: error` mid-stream raises a bare APIStatusError (status 200); no retry."""
    fake.queue(StreamError(["Partial", " answer"]))
    seen: list[str] = []
    async with client(fake, max_retries=2) as c:
        with pytest.raises(anthropic.APIStatusError) as caught:
            async with c.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
                async for text in stream.text_stream:
                    seen.append(text)
    err = caught.value
    assert type(err) is anthropic.APIStatusError  # not OverloadedError: the HTTP status was 200
    assert err.status_code == 200 and err.type == "overloaded_error"
    assert seen == ["Partial", " answer"] and len(fake.requests) == 1 and fake.usages == []


async def test_stall_is_cut_off_by_read_timeout(fake: FakeMessagesAPI) -> None:
    """A stream that goes silent raises httpx2.ReadTimeout after the client's timeout; no retry."""
    fake.queue(Stall(["Thinking"], seconds=30))
    seen: list[str] = []
    started = time.monotonic()
    async with client(fake, max_retries=2, timeout=0.3) as c:
        with pytest.raises(httpx2.ReadTimeout):
            async with c.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
                async for text in stream.text_stream:
                    seen.append(text)
    assert seen == ["Thinking"] and 0.25 < time.monotonic() - started < 3
    assert len(fake.requests) == 1


async def test_slow_headers_are_an_api_timeout_and_retried(fake: FakeMessagesAPI) -> None:
    """Latency before the headers is APITimeoutError, which the SDK does retry."""
    fake.queue(Reply("late", latency=5), Reply("late again", latency=5))
    async with client(fake, max_retries=1, timeout=0.2) as c:
        with pytest.raises(anthropic.APITimeoutError):
            await c.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert len(fake.requests) == 2


async def test_stop_is_prompt_with_a_stall_pending() -> None:
    """stop() returns at once even while a 30 s stall is being served."""
    fake = FakeMessagesAPI()
    await fake.start()
    fake.queue(Stall(["a"], seconds=30))
    async with client(fake, timeout=60) as c:
        stream = await c.messages.create(model=MODEL, max_tokens=5, messages=USER, stream=True)
        first = await stream.__anext__()
        assert first.type == "message_start"
        started = time.monotonic()
        await fake.stop()
        assert time.monotonic() - started < 1
        with pytest.raises(httpx2.HTTPError):
            async for _ in stream:
                pass
        await stream.close()


# --- prompt caching ------------------------------------------------------------------------------


def cached(text: str) -> TextBlockParam:
    return {"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}


async def test_cache_accounting_over_a_multi_turn_conversation(fake: FakeMessagesAPI) -> None:
    """System cached once, each turn reads the previous history and writes the newest pair."""
    system: Any = [cached(SYSTEM)]
    tk = fake.token_count
    turns = [("first question", "first answer"), ("second one", "second reply"), ("third", "x")]
    history: list[dict[str, Any]] = []
    usages = []
    async with client(fake) as c:
        for i, (question, answer) in enumerate(turns):
            fake.queue(Reply(answer))
            msg: Message
            # the breakpoint is on the end of the history; the new turn comes after it
            messages: Any = [
                {
                    "role": m["role"],
                    "content": [cached(m["text"])] if n == len(history) - 1 else m["text"],
                }
                for n, m in enumerate(history)
            ] + [{"role": "user", "content": question}]
            if i == 1:
                async with c.messages.stream(
                    model=MODEL, max_tokens=50, system=system, messages=messages
                ) as stream:
                    msg = await stream.get_final_message()
            else:
                msg = await c.messages.create(
                    model=MODEL, max_tokens=50, system=system, messages=messages
                )
            usages.append(msg.usage)
            history += [{"role": "user", "text": question}, {"role": "assistant", "text": answer}]

    (q1, a1), (q2, a2), (q3, _) = turns
    expected = [
        Usage(tk(q1), tk(a1), cache_creation_input_tokens=1100),
        Usage(
            tk(q2),
            tk(a2),
            cache_creation_input_tokens=tk(q1) + tk(a1),
            cache_read_input_tokens=1100,
        ),
        Usage(
            tk(q3),
            1,
            cache_creation_input_tokens=tk(q2) + tk(a2),
            cache_read_input_tokens=1100 + tk(q1) + tk(a1),
        ),
    ]
    assert fake.usages == expected
    got = [
        Usage(
            u.input_tokens,
            u.output_tokens,
            u.cache_creation_input_tokens or 0,
            u.cache_read_input_tokens or 0,
        )
        for u in usages
    ]
    assert got == expected


async def test_prefix_below_the_minimum_is_silently_not_cached() -> None:
    """Haiku 4.5 needs 4096 tokens: a 1100-token prefix is billed as plain input, no error."""
    body: Any = {"model": "claude-haiku-4-5", "max_tokens": 5, "system": [cached(SYSTEM)]}
    async with FakeMessagesAPI() as fake, client(fake) as c:
        assert fake.min_cacheable_for("claude-haiku-4-5-20251001") == 4096
        for _ in range(2):
            await c.messages.create(messages=USER, **body)
    assert fake.usages == [Usage(1101, 1), Usage(1101, 1)]
    async with (
        FakeMessagesAPI(min_cacheable={"claude-haiku-4-5": 1000}) as fake,
        client(fake) as c,
    ):
        for _ in range(2):
            await c.messages.create(messages=USER, **body)
    assert fake.usages == [Usage(1, 1, 1100, 0), Usage(1, 1, 0, 1100)]


async def test_cache_is_per_model_and_prefix_exact(fake: FakeMessagesAPI) -> None:
    """Another model, or a changed byte before the breakpoint, misses the cache."""
    async with client(fake) as c:
        for model, text in [(MODEL, SYSTEM), ("claude-opus-4-8", SYSTEM), (MODEL, SYSTEM + ".")]:
            await c.messages.create(model=model, max_tokens=5, system=[cached(text)], messages=USER)
    assert [u.cache_read_input_tokens for u in fake.usages] == [0, 0, 0]
    assert [u.cache_creation_input_tokens for u in fake.usages] == [1100, 1100, 1101]


async def test_top_level_cache_control_caches_up_to_the_last_block(fake: FakeMessagesAPI) -> None:
    """Automatic caching (top-level cache_control) puts the breakpoint on the last block."""
    body: Any = {"model": MODEL, "max_tokens": 5, "system": SYSTEM, "messages": USER}
    async with client(fake) as c:
        for _ in range(2):
            await c.messages.create(**body, cache_control={"type": "ephemeral"})
    assert fake.usages == [Usage(0, 1, 1101, 0), Usage(0, 1, 0, 1101)]


@pytest.mark.parametrize(("new_blocks", "hit"), [(19, True), (20, False)])
async def test_cache_lookback_is_twenty_blocks(
    fake: FakeMessagesAPI, new_blocks: int, hit: bool
) -> None:
    """A breakpoint finds the previous one only within 20 block boundaries before it."""
    first: Any = [{"role": "user", "content": [cached("turn one")]}]
    blocks = [{"type": "text", "text": f"block {i}"} for i in range(new_blocks)]
    blocks[-1]["cache_control"] = {"type": "ephemeral"}  # type: ignore[assignment]
    second: Any = [
        {"role": "user", "content": "turn one"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": blocks},
    ]
    async with client(fake) as c:
        for messages in (first, second):
            await c.messages.create(model=MODEL, max_tokens=5, system=SYSTEM, messages=messages)
    prefix = 1100 + fake.token_count("turn one")
    assert fake.usages[0].cache_creation_input_tokens == prefix
    assert fake.usages[1].cache_read_input_tokens == (prefix if hit else 0)


async def test_cache_entries_expire_after_ttl() -> None:
    """With ttl=0.1 s, a request 0.2 s later writes the prefix again instead of reading it."""
    async with FakeMessagesAPI(ttl=0.1) as fake, client(fake) as c:
        for pause in (0.0, 0.05, 0.2):
            await asyncio.sleep(pause)
            await c.messages.create(
                model=MODEL, max_tokens=5, system=[cached(SYSTEM)], messages=USER
            )
    assert [u.cache_read_input_tokens for u in fake.usages] == [0, 1100, 0]
    assert [u.cache_creation_input_tokens for u in fake.usages] == [1100, 0, 1100]


def test_token_count_is_a_quarter_of_the_characters() -> None:
    """The tokenizer is ceil(len/4) of text, and of canonical JSON (no cache_control) otherwise."""
    fake = FakeMessagesAPI()
    assert fake.token_count("") == 0 and fake.token_count("abcde") == 2
    assert fake.token_count({"type": "text", "text": "abcd", "cache_control": {}}) == 1
    tool = {"name": "t", "input_schema": {}}
    assert fake.token_count({**tool, "cache_control": {"type": "ephemeral"}}) == fake.token_count(
        tool
    )
