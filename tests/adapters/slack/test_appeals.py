"""Appeals on Slack end to end through bolt: the lock notice's Appeal button, the modal, the
slash command, and the moderator's decision reaching the user privately."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.response import BoltResponse

from adapters.slack import render, translate
from bot import notices
from tests.adapters.slack.conftest import MODERATOR, Harness
from tests.adapters.slack.test_service import lock_thread
from tests.fakes.slack_api import TEAM
from tests.fakes.slack_events import FORM, as_form, request

NOTICE_TS = "1700000888.000100"


def appeal_button(slack: Harness) -> dict[str, Any]:
    """The Appeal button on the lock notice posted in the thread."""
    for message in slack.posted():
        for block in message.get("blocks") or []:
            for element in block.get("elements", []):
                if element.get("action_id") == translate.ACTION_APPEAL:
                    assert "This thread has been closed" in message["text"]
                    return dict(element)
    raise AssertionError("no Appeal button on any message in the thread")


async def click_appeal(slack: Harness, *, user: str) -> BoltResponse:
    """`user` presses Appeal on the lock notice."""
    return await slack.click(
        action_id=translate.ACTION_APPEAL,
        value=appeal_button(slack)["value"],
        user=user,
        channel="C1",
        message_ts=NOTICE_TS,
    )


async def submit_appeal(slack: Harness, *, user: str, metadata: str, statement: str) -> Any:
    """The appeal modal submitted, signed; returns the parsed response body (or {})."""
    payload = slack.payloads.appeal_submission(user=user, metadata=metadata, statement=statement)
    response = await slack.service.app.async_dispatch(request(as_form(payload), content_type=FORM))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


async def appeal_via_modal(slack: Harness, *, user: str = "U1", statement: str) -> Any:
    """Press Appeal and submit the modal that opens."""
    opened = len(slack.api.of("views.open"))
    await click_appeal(slack, user=user)
    assert len(slack.api.of("views.open")) == opened + 1
    view = slack.api.of("views.open")[-1]["view"]
    return await submit_appeal(
        slack, user=user, metadata=view["private_metadata"], statement=statement
    )


def ephemerals(slack: Harness, user: str) -> list[dict[str, Any]]:
    """Ephemeral messages shown to `user`."""
    return [e for e in slack.api.of("chat.postEphemeral") if e.get("user") == user]


async def test_the_lock_notice_carries_an_appeal_button(slack: Harness) -> None:
    """The lock notice keeps its text and gains an Appeal button for the locked user only."""
    ts = await lock_thread(slack)
    button = appeal_button(slack)
    assert button["text"]["text"] == "Appeal"
    assert translate.parse_appeal_button(button["value"]) == (
        "U1",
        translate.thread_ref(team=TEAM, channel="C1", ts=ts),
    )
    with_buttons = [m for m in slack.posted() if m.get("blocks")]
    assert len(with_buttons) == 1  # only the lock notice: no Appeal on warnings or redirects


async def test_the_locked_user_appeals_through_the_modal(slack: Harness) -> None:
    """Appeal opens the modal; its submission is an appeal case and a private confirmation."""
    ts = await lock_thread(slack)
    await click_appeal(slack, user="U1")
    view = slack.api.of("views.open")[-1]["view"]
    assert view["callback_id"] == translate.VIEW_APPEAL
    element = view["blocks"][0]["element"]
    assert element["type"] == "plain_text_input" and element["max_length"] == 500
    assert view["blocks"][0]["label"]["text"] == render.APPEAL_QUESTION
    public_before = len(slack.posted())
    await submit_appeal(
        slack,
        user="U1",
        metadata=view["private_metadata"],
        statement="I was asking about <!channel> a history essay",
    )
    case = slack.cases()[-1]
    assert case["blocks"][0]["text"]["text"].startswith("Case #2 · Appeal")
    flat = json.dumps(case["blocks"])
    assert "a history essay" in flat and "&lt;!channel&gt;" in flat
    assert "case #1" in flat  # refers to the lock it appeals against
    ids = [e.get("action_id") for b in case["blocks"] for e in b.get("elements", [])]
    assert translate.ACTION_UNLOCK in ids and translate.ACTION_UPHOLD in ids
    told = ephemerals(slack, "U1")[-1]
    assert told["channel"] == "C1" and told["thread_ts"] == ts
    assert "appeal was sent" in told["text"]
    assert len(slack.posted()) == public_before  # nothing public in the thread
    assert "<!channel>" not in slack.everything_sent()


async def test_someone_elses_click_is_refused(slack: Harness) -> None:
    """Another user pressing Appeal gets a private refusal and no modal; no case is made."""
    await lock_thread(slack)
    await click_appeal(slack, user="U2")
    refusal = ephemerals(slack, "U2")[-1]
    assert refusal["text"] == notices.APPEAL_NOT_YOURS
    assert slack.api.of("views.open") == []
    assert len(slack.cases()) == 1


async def test_a_second_appeal_waits_for_the_first(slack: Harness) -> None:
    """While the first appeal is open, another (modal or slash command) is refused privately."""
    ts = await lock_thread(slack)
    await appeal_via_modal(slack, statement="first")
    await appeal_via_modal(slack, statement="second")
    assert ephemerals(slack, "U1")[-1]["text"] == notices.APPEAL_ALREADY_OPEN
    await slack.command(f"appeal {ts} third", user="U1")
    assert ephemerals(slack, "U1")[-1]["text"] == notices.APPEAL_ALREADY_OPEN
    appeals = [c for c in slack.cases() if "· Appeal" in c["blocks"][0]["text"]["text"]]
    assert len(appeals) == 1


async def test_unlock_on_the_appeal_tells_the_user(slack: Harness) -> None:
    """A moderator's Unlock on the appeal case reopens the thread and tells the user privately."""
    ts = await lock_thread(slack)
    await appeal_via_modal(slack, statement="please reopen")
    appeal = slack.cases()[-1]
    unlock = next(
        e
        for b in appeal["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == translate.ACTION_UNLOCK
    )
    form = await slack.decide(
        action_id=translate.ACTION_UNLOCK,
        value=unlock["value"],
        user=MODERATOR,
        message_ts="1700000999.000200",
        reason="the essay question was fine",
    )
    assert form is not None and form["callback_id"] == translate.VIEW_DECIDE
    told = ephemerals(slack, "U1")[-1]
    assert told["text"] == (
        "The moderators reviewed your appeal and reopened the thread.\n"
        "Their reason: the essay question was fine\nYou can carry on there."
    )
    assert told["thread_ts"] == ts
    assert slack.api.of("reactions.remove") == [{"channel": "C1", "timestamp": ts, "name": "lock"}]
    assert slack.cases()[-1]["blocks"][0]["text"]["text"].startswith("Case #3 · Thread unlocked")
    state = await slack.store.load_thread(translate.thread_ref(team=TEAM, channel="C1", ts=ts).key)
    assert state is not None and state.status == "open"


async def test_the_slash_command_appeals_too(slack: Harness) -> None:
    """`appeal <link> <statement>` makes the same appeal; without a statement it shows usage."""
    ts = await lock_thread(slack)
    usage = await slack.command(f"appeal {ts}", user="U1")
    assert "Usage" in json.loads(usage.body)["text"]
    link = f"<https://example.slack.com/archives/C1/p{ts.replace('.', '')}>"
    await slack.command(f"appeal {link} it was for a chemistry class", user="U1")
    case = slack.cases()[-1]
    assert case["blocks"][0]["text"]["text"].startswith("Case #2 · Appeal")
    assert "chemistry class" in json.dumps(case["blocks"])
    assert "appeal was sent" in ephemerals(slack, "U1")[-1]["text"]
    await slack.command(f"appeal {ts} me too", user="U2")
    assert ephemerals(slack, "U2")[-1]["text"] == notices.APPEAL_NOT_YOURS


async def test_an_empty_statement_is_sent_back_to_the_modal(slack: Harness) -> None:
    """A blank statement is answered with a field error, and nothing reaches the core."""
    await lock_thread(slack)
    answer = await appeal_via_modal(slack, statement="   ")
    assert answer["response_action"] == "errors"
    assert len(slack.cases()) == 1
