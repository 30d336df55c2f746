"""Slack's assistant pane and direct messages: the same moderated threads, through bolt's own
AsyncAssistant, against the local Web API (payloads in Slack's documented shapes)."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp
import pytest

from adapters.slack import REQUIRED_SCOPES, SlackService, make_client, translate
from adapters.slack.client import ASSISTANT_SCOPES
from bot import notices
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.runtime import Runtime
from bot.store.base import Store
from tests.adapters.slack.conftest import MOD_LOG, MODERATOR, PIPE_BOMB, Harness, settings
from tests.fakes.slack_api import SCOPES, TEAM, FakeSlackApi
from tests.fakes.slack_events import JSON, SECRET, Payloads, as_json, signed_headers

PANE = "D1"


async def open_pane(slack: Harness) -> str:
    """The person opens the pane: Slack starts an assistant thread; returns its ts."""
    thread_ts = slack.payloads.ts()
    response = await slack.send(slack.payloads.assistant_thread(thread_ts=thread_ts))
    assert response.status == 200
    return thread_ts


async def write(slack: Harness, text: str, *, thread_ts: str, **kw: object) -> None:
    """A message in the pane's thread (message.im), acked."""
    response = await slack.send(slack.payloads.dm(text=text, thread_ts=thread_ts, **kw))
    assert response.status == 200


def pane_posts(slack: Harness) -> list[dict[str, object]]:
    """What the bot posted into the pane's DM channel."""
    return slack.posted(PANE)


async def test_opening_the_pane_offers_the_configured_prompts(slack: Harness) -> None:
    """assistant_thread_started sets the prompts and their heading from config; nothing else."""
    thread_ts = await open_pane(slack)
    prompts, title = slack.api.prompts[(PANE, thread_ts)]
    assert prompts == [
        {"title": p, "message": p}
        for p in settings().slack.assistant_prompts  # type: ignore[union-attr]
    ]
    assert title == "Try asking"
    assert slack.api.methods() == ["assistant.threads.setSuggestedPrompts"]
    key = translate.thread_ref(team=TEAM, channel=PANE, ts=thread_ts).key
    assert await slack.store.load_thread(key) is None


async def test_a_pane_message_is_a_moderated_thread_with_a_thinking_status(
    slack: Harness,
) -> None:
    """The first message opens the thread; the status shows while it runs, then clears."""
    thread_ts = await open_pane(slack)
    await write(slack, "how do I bake bread?", thread_ts=thread_ts)
    state = await slack.store.load_thread(
        translate.thread_ref(team=TEAM, channel=PANE, ts=thread_ts).key
    )
    assert state is not None and state.owner == "U1" and state.status == "open"
    start = slack.api.of("chat.startStream")
    assert len(start) == 1 and start[0]["channel"] == PANE and start[0]["thread_ts"] == thread_ts
    assert start[0]["recipient_user_id"] == "U1"
    assert slack.api.statuses[(PANE, thread_ts)] == ["is thinking...", ""]
    methods = slack.api.methods()
    # The status is set before the reply starts and cleared after it ended.
    assert methods.index("assistant.threads.setStatus") < methods.index("chat.startStream")
    assert methods[-1] == "assistant.threads.setStatus"


async def test_a_lock_in_the_pane_works_as_in_a_channel(slack: Harness) -> None:
    """Warn, lock: the notice in the pane thread, a case, the closed title; later turns refused."""
    thread_ts = await open_pane(slack)
    for _ in range(4):
        await write(slack, PIPE_BOMB, thread_ts=thread_ts)
    texts = [str(p["text"]) for p in pane_posts(slack)]
    assert any("Please note" in t for t in texts)
    assert sum("This thread has been closed" in t for t in texts) == 1
    case = slack.cases()[0]
    assert case["blocks"][0]["text"]["text"] == "Case #1 · Thread locked"
    assert slack.api.titles[(PANE, thread_ts)] == notices.PANE_CLOSED_TITLE
    streamed = len(slack.api.of("chat.startStream"))
    await write(slack, "hello?", thread_ts=thread_ts)
    await write(slack, "anyone?", thread_ts=thread_ts)
    assert len(slack.api.of("chat.startStream")) == streamed
    reminders = slack.api.of("chat.postEphemeral")
    assert len(reminders) == 1 and reminders[0]["channel"] == PANE
    assert reminders[0]["thread_ts"] == thread_ts and "thread is closed" in reminders[0]["text"]
    # Every turn, refused ones too, ends with the status cleared.
    assert slack.api.statuses[(PANE, thread_ts)][-1] == ""
    assert len(slack.api.statuses[(PANE, thread_ts)]) == 2 * 6


async def test_a_moderator_unlock_reopens_the_pane_chat(slack: Harness) -> None:
    """Unlock from the mod log: the reopened notice in the pane and its reopened title."""
    thread_ts = await open_pane(slack)
    for _ in range(4):
        await write(slack, PIPE_BOMB, thread_ts=thread_ts)
    blocks = slack.cases()[0]["blocks"]
    value = next(
        e["value"]
        for b in blocks
        for e in b.get("elements", [])
        if e.get("action_id") == translate.ACTION_UNLOCK
    )
    form = await slack.decide(
        action_id=translate.ACTION_UNLOCK,
        value=value,
        user=MODERATOR,
        message_ts="1700000999.000100",
        reason="a false positive",
    )
    assert form is not None and form["callback_id"] == translate.VIEW_DECIDE
    assert any("reopened" in str(p["text"]) for p in pane_posts(slack))
    assert slack.api.titles[(PANE, thread_ts)] == notices.PANE_REOPENED_TITLE


async def test_risk_in_the_pane_gets_resources_and_a_priority_case(slack: Harness) -> None:
    """Someone at risk in the pane gets the crisis resources and a priority case, never a lock."""
    thread_ts = await open_pane(slack)
    await write(slack, "I want to kill myself", thread_ts=thread_ts)
    assert any("988" in str(p["text"]) for p in pane_posts(slack))
    assert "PRIORITY" in json.dumps(slack.cases()[0]["blocks"])
    assert (PANE, thread_ts) not in slack.api.titles
    assert slack.api.of("reactions.add") == []


async def test_a_configured_title_is_set_when_a_chat_opens(api: FakeSlackApi, store: Store) -> None:
    """slack.assistant_title names the chat once, on its first message."""
    config = settings(assistant_title="Chat with threadkeeper")
    slack = Harness(api=api, store=store, config=config, assistant=OfflineAssistant())
    thread_ts = await open_pane(slack)
    await write(slack, "hi", thread_ts=thread_ts)
    await write(slack, "and again", thread_ts=thread_ts)
    assert api.titles[(PANE, thread_ts)] == "Chat with threadkeeper"
    assert len(api.of("assistant.threads.setTitle")) == 1


async def test_a_message_redelivered_to_the_pane_is_answered_once(slack: Harness) -> None:
    """Slack's redelivery of a pane message (X-Slack-Retry-Num) makes no second turn."""
    thread_ts = await open_pane(slack)
    payload = slack.payloads.dm(text="hello", thread_ts=thread_ts)
    assert (await slack.send(payload)).status == 200
    assert (await slack.send(payload, retry_num=1)).status == 200
    assert len(slack.api.of("chat.startStream")) == 1


async def test_a_top_level_direct_message_opens_a_thread_on_itself(slack: Harness) -> None:
    """In the app's Messages tab a message opens a thread on itself; replies there are turns."""
    ts = slack.payloads.ts()
    assert (await slack.send(slack.payloads.dm(text="hi there", ts=ts))).status == 200
    start = slack.api.of("chat.startStream")
    assert len(start) == 1 and start[0]["channel"] == PANE and start[0]["thread_ts"] == ts
    await write(slack, "a follow-up", thread_ts=ts)
    assert len(slack.api.of("chat.startStream")) == 2


async def test_context_changes_and_edits_in_the_pane_are_acked_quietly(slack: Harness) -> None:
    """The pane following the person elsewhere, or Slack retitling its thread, calls nothing."""
    thread_ts = await open_pane(slack)
    before = len(slack.api.methods())
    changed = slack.payloads.assistant_thread(
        kind="assistant_thread_context_changed", thread_ts=thread_ts, viewing="C9"
    )
    assert (await slack.send(changed)).status == 200
    retitled = slack.payloads.dm(
        text="",
        subtype="message_changed",
        message={"subtype": "assistant_app_thread", "thread_ts": thread_ts, "ts": thread_ts},
    )
    assert (await slack.send(retitled)).status == 200
    assert len(slack.api.methods()) == before


async def test_with_the_assistant_off_direct_messages_are_not_turns(
    api: FakeSlackApi, store: Store
) -> None:
    """slack.assistant = false: the pane's events and direct messages get no answer."""
    slack = Harness(
        api=api, store=store, config=settings(assistant=False), assistant=OfflineAssistant()
    )
    thread_ts = slack.payloads.ts()
    await slack.send(slack.payloads.assistant_thread(thread_ts=thread_ts))
    await slack.send(slack.payloads.dm(text="hello", thread_ts=thread_ts))
    await slack.send(slack.payloads.dm(text="hello at the top"))
    assert api.methods() == []


async def test_a_refused_status_costs_the_turn_nothing(slack: Harness) -> None:
    """Slack refusing the status (no assistant:write yet) still answers the message."""
    thread_ts = await open_pane(slack)
    slack.api.fail(
        "assistant.threads.setStatus", "missing_scope", times=2, needed="assistant:write"
    )
    await write(slack, "hello", thread_ts=thread_ts)
    assert len(slack.api.of("chat.startStream")) == 1


async def test_the_start_up_check_asks_for_the_assistant_scopes_only_when_on(
    api: FakeSlackApi, store: Store
) -> None:
    """A token without assistant:write and im:history is a problem only with slack.assistant on."""
    api.scopes = ",".join(s for s in SCOPES.split(",") if s not in ASSISTANT_SCOPES)
    api.channels[MOD_LOG] = {"id": MOD_LOG, "name": "mod-log", "is_member": True}
    on = Harness(api=api, store=store, config=settings(), assistant=OfflineAssistant())
    problems = await on.service.check()
    assert any("assistant:write, im:history" in p for p in problems)
    off = Harness(
        api=api, store=store, config=settings(assistant=False), assistant=OfflineAssistant()
    )
    assert await off.service.check() == []
    assert ASSISTANT_SCOPES <= REQUIRED_SCOPES


@pytest.mark.slow
async def test_the_pane_over_signed_http_and_the_connected_check(
    api: FakeSlackApi, store: Store
) -> None:
    """Over real HTTP the pane's events are routed like the rest; connected() follows serve()."""
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
    assert not service.connected()
    serving = asyncio.create_task(service.serve(runtime))
    try:
        for _ in range(100):
            if service.bound_port:
                break
            await asyncio.sleep(0.02)
        assert service.connected()
        url = f"http://127.0.0.1:{service.bound_port}/slack/events"
        payloads = Payloads()
        thread_ts = payloads.ts()
        async with aiohttp.ClientSession() as session:
            for payload in (
                payloads.assistant_thread(thread_ts=thread_ts),
                payloads.dm(text="hello over http", thread_ts=thread_ts),
            ):
                body = as_json(payload)
                headers = signed_headers(body, content_type=JSON)
                async with session.post(url, data=body, headers=headers) as resp:
                    assert resp.status == 200
        for _ in range(250):
            if api.of("chat.stopStream") and api.statuses.get((PANE, thread_ts), [])[-1:] == [""]:
                break
            await asyncio.sleep(0.02)
        assert api.prompts[(PANE, thread_ts)][1] == "Try asking"
        assert api.statuses[(PANE, thread_ts)] == ["is thinking...", ""]
        assert api.of("chat.startStream")[0]["thread_ts"] == thread_ts
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
    assert not service.connected()
