"""Over real HTTP: `serve()` runs bolt's aiohttp app, Slack-signed requests arrive by socket."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import aiohttp
import pytest

from adapters.slack import SlackService, make_client
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.store.base import Store
from tests.adapters.slack.conftest import settings
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import JSON, SECRET, Payloads, as_json, signed_headers


@pytest.mark.slow
async def test_signed_http_mention_is_acked_and_answered(api: FakeSlackApi, store: Store) -> None:
    """A signed mention POSTed to /slack/events is acked at once and answered in the thread."""
    config = settings(port=0)
    service = SlackService(
        settings=config,
        client=make_client("xoxb-test-token", base_url=api.base_url),
        signing_secret=SECRET,
        host="127.0.0.1",
        stream_interval=0.0,
    )
    runtime = Runtime(
        settings=config,
        store=store,
        assistant=OfflineAssistant(),
        classifier=NoClassifier(),
        adapters={"slack": service},
    )
    serving = asyncio.create_task(service.serve(runtime))
    try:
        for _ in range(100):
            if service.bound_port:
                break
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{service.bound_port}/slack/events"
        payload = Payloads().event(kind="app_mention", text="<@UBOT> hello over http")
        body = as_json(payload)
        async with aiohttp.ClientSession() as session:
            bad = dict(signed_headers(body, content_type=JSON, secret="wrong"))
            async with session.post(url, data=body, headers=bad) as resp:
                assert resp.status == 401
            good = signed_headers(body, content_type=JSON)
            async with session.post(url, data=body, headers=good) as resp:
                assert resp.status == 200
            retry = signed_headers(body, content_type=JSON, retry_num=1)
            async with session.post(url, data=body, headers=retry) as resp:
                assert resp.status == 200
        for _ in range(250):
            if api.of("chat.stopStream"):
                break
            await asyncio.sleep(0.02)
        assert len(api.of("chat.startStream")) == 1
        assert api.of("chat.startStream")[0]["thread_ts"] == payload["event"]["ts"]
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving


async def test_a_port_in_use_is_a_clear_error_naming_the_key(
    api: FakeSlackApi, store: Store
) -> None:
    """On SQLite a second worker on the same port is refused in one sentence, not a traceback."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        config = settings(port=port)
        service = SlackService(
            settings=config,
            client=make_client("xoxb-test-token", base_url=api.base_url),
            signing_secret=SECRET,
            host="127.0.0.1",
        )
        runtime = Runtime(
            settings=config,
            store=store,
            assistant=OfflineAssistant(),
            classifier=NoClassifier(),
            adapters={"slack": service},
        )
        with pytest.raises(ConfigError) as info:
            await service.serve(runtime)
    (problem,) = info.value.problems
    assert problem.startswith(f"slack.port: cannot listen on port {port}")
    assert "storage.url on PostgreSQL" in problem
