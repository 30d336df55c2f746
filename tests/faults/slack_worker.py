"""A Slack bot process for the kill tests: the real Slack service (bolt) and runtime, real store.

The parent test runs the fake Slack Web API and passes its URL; this process dispatches the same
signed events each time it starts (a mention, then harmful messages in its thread), as Slack
would, with `X-Slack-Retry-Num` on a restart since nothing was acknowledged. The local screen
decides (offline assistant), so the ladder is deterministic.

usage: python -m tests.faults.slack_worker DB SLACK_BASE_URL RETRY [TEXT ...]
"""

from __future__ import annotations

import asyncio
import sys

from adapters.slack import SlackService, make_client
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.config import AssistantSettings, Settings, SlackSettings
from bot.runtime import Runtime
from bot.store import open_store
from tests.fakes.slack_events import JSON, SECRET, Payloads, as_json, request

SETTINGS = Settings(
    assistant=AssistantSettings(provider="offline"),
    slack=SlackSettings(mod_log_channel="CMOD", moderators=("UMOD",)),
)


async def main(db: str, base_url: str, retry: bool, texts: list[str]) -> None:
    store = await open_store(db)
    service = SlackService(
        settings=SETTINGS,
        client=make_client("xoxb-test-token", base_url=base_url),
        signing_secret=SECRET,
        process_before_response=True,
        stream_interval=0.0,
        update_interval=0.0,
    )
    runtime = Runtime(
        settings=SETTINGS,
        store=store,
        assistant=OfflineAssistant(),
        classifier=NoClassifier(),
        adapters={"slack": service},
        delivery_backoff=(0.0, 0.0),
    )
    service.attach(runtime)
    await runtime.recover()
    payloads = Payloads()  # the same ids and timestamps in every process
    first, *rest = texts
    opening = payloads.event(kind="app_mention", text=f"<@UBOT> {first}", user="U1")
    thread = opening["event"]["ts"]
    events = [opening] + [
        payloads.event(kind="message", text=text, user="U1", thread_ts=thread) for text in rest
    ]
    for event in events:
        await service.app.async_dispatch(
            request(as_json(event), content_type=JSON, retry_num=1 if retry else None)
        )
    await store.close()


if __name__ == "__main__":
    db, base_url, retry, *texts = sys.argv[1:]
    asyncio.run(main(db, base_url, retry == "retry", texts))
