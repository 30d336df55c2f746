"""Continue from before on Slack: a new top-level message whose thread carries the history."""

from __future__ import annotations

from typing import Any

from adapters.slack import render, translate
from bot import notices
from bot.store.base import Store
from tests.adapters.slack.conftest import PIPE_BOMB, Harness, settings
from tests.adapters.slack.test_appeals import NOTICE_TS, ephemerals
from tests.fakes.core import ScriptedAssistant
from tests.fakes.slack_api import TEAM, FakeSlackApi


def branch_button(slack: Harness) -> dict[str, Any]:
    """The Continue from before button on the lock notice."""
    for message in slack.posted():
        for block in message.get("blocks") or []:
            for element in block.get("elements", []):
                if element.get("action_id") == translate.ACTION_BRANCH:
                    return dict(element)
    raise AssertionError("no Continue from before button")


async def test_the_locked_user_continues_from_before(api: FakeSlackApi, store: Store) -> None:
    """Button -> a new top-level message in #C1, the notice in its thread, clean strikes, and
    the model's next turn there sees the earlier turns and none of the flagged ones."""
    assistant = ScriptedAssistant()
    slack = Harness(api=api, store=store, config=settings(), assistant=assistant)
    ts = await slack.mention("hi")
    await slack.say("tell me about castles", thread_ts=ts)
    for _ in range(4):
        await slack.say(PIPE_BOMB, thread_ts=ts)
    lock = next(m for m in slack.posted() if "This thread has been closed" in m["text"])
    assert "Continue from before" in lock["text"]
    button = branch_button(slack)
    assert button["text"]["text"] == "Continue from before"

    click = {"action_id": translate.ACTION_BRANCH, "value": button["value"], "channel": "C1"}
    await slack.click(**click, user="U2", message_ts=NOTICE_TS)
    assert ephemerals(slack, "U2")[-1]["text"] == notices.BRANCH_NOT_YOURS
    await slack.click(**click, user="U1", message_ts=NOTICE_TS)

    announcement = next(m for m in slack.posted() if m["text"].startswith("<@U1> continues"))
    assert announcement.get("thread_ts") is None
    assert announcement["text"] == render.BRANCH_ANNOUNCEMENT.format(user="U1")
    notice = next(m for m in slack.posted() if "This thread continues" in m["text"])
    new_ts = notice["thread_ts"]
    assert new_ts not in (None, ts)
    state = await store.load_thread(translate.thread_ref(team=TEAM, channel="C1", ts=new_ts).key)
    assert state is not None and (state.status, state.strikes, state.owner) == ("open", 0, "U1")
    assert slack.cases()[-1]["blocks"][0]["text"]["text"].startswith("Case #2 · Branch")

    await slack.say("and moats?", thread_ts=new_ts)
    history = [t.text for t in assistant.contexts[-1].history]
    assert "tell me about castles" in history and PIPE_BOMB not in history
