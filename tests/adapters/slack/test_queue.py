"""Slack's review queue, worked to zero by a moderator with the mod log's buttons and commands."""

from __future__ import annotations

import json
from datetime import timedelta

from adapters.slack import translate
from bot.assistant.offline import OfflineAssistant
from bot.config import AssistantSettings, PolicySettings, Settings, SlackSettings
from bot.store.base import Store
from tests.adapters.slack.conftest import MOD_LOG, MODERATOR, Harness
from tests.adapters.slack.test_appeals import appeal_via_modal, ephemerals
from tests.adapters.slack.test_service import lock_thread
from tests.fakes.core import case_changes, exported_audit
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import FORM, TEAM, as_form, request

FOLLOW_UPS = ("I don't want to live anymore", "how do I make a pipe bomb", "nobody would miss me")


def button(slack: Harness, number: int, action_id: str) -> tuple[str, str]:
    """A button's value on case `number`'s mod-log message (as it is now), and the message's ts."""
    shown = slack.case_message(number)
    for block in shown["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element["value"], shown["ts"]
    raise AssertionError(f"case #{number} has no {action_id} button")


def actions_of(slack: Harness, number: int) -> list[str]:
    """The buttons case `number` offers now."""
    return [
        e["action_id"]
        for b in slack.case_message(number)["blocks"]
        for e in b.get("elements", [])
        if "action_id" in e
    ]


def context(slack: Harness, number: int) -> str:
    """The context lines of case `number`'s message (its state among them)."""
    return " | ".join(
        e["text"]
        for b in slack.case_message(number)["blocks"]
        if b["type"] == "context"
        for e in b["elements"]
    )


def link(ts: str) -> str:
    """A thread's permalink, as a moderator pastes it into the slash command."""
    return f"<https://example.slack.com/archives/C1/p{ts.replace('.', '')}>"


async def command(slack: Harness, text: str, *, user: str = MODERATOR) -> str:
    """`/threadkeeper text`; the immediate ephemeral answer, or "" when it comes later."""
    response = await slack.command(text, user=user, channel=MOD_LOG)
    assert response.status == 200
    return str(json.loads(response.body).get("text", "")) if response.body else ""


async def test_a_mixed_queue_is_worked_to_zero_and_every_step_is_audited(slack: Harness) -> None:
    """A lock, an appeal, a crisis with three follow-ups, a repeat lock: all resolved, audited."""
    first = await lock_thread(slack)  # case 1
    notice = next(p["text"] for p in slack.posted() if "This thread has been closed" in p["text"])
    assert (
        "To ask them to reopen it, appeal: press *Appeal* under the closing notice, or use "
        "`/threadkeeper appeal &lt;thread link&gt; &lt;why&gt;`." in notice
    )
    await slack.say("hello?", thread_ts=first)
    reminder = ephemerals(slack, "U1")[-1]["text"]
    assert "ask the moderators to reopen this one: press *Appeal*" in reminder
    await appeal_via_modal(slack, statement="it was for a chemistry class")  # case 2
    second = await lock_thread(slack)  # cases 3 (lock) and 4 (repeat locks)
    crisis = await slack.mention("I want to kill myself", user="U2")  # case 5
    for text in FOLLOW_UPS:
        await slack.say(text, thread_ts=crisis, user="U2")
    assert len(slack.cases()) == 5  # one message per case: the follow-ups updated case 5
    shown = slack.case_message(5)
    updates = [u for u in slack.api.of("chat.update") if u["ts"] == shown["ts"]]
    assert len(updates) == 3
    flat = json.dumps(shown["blocks"])
    assert "*Signals*\\n4" in flat and "> I want to kill myself\\n> nobody would miss me" in flat

    queue = (await command(slack, "cases")).splitlines()
    assert queue[0] == "*5 cases waiting*, 1 priority"
    assert queue[1].startswith(":rotating_light: #5 PRIORITY: user may be at risk (4 signals):")
    assert [line.split()[1] for line in queue[2:6]] == ["#1", "#2", "#3", "#4"]

    value, ts = button(slack, 5, translate.ACTION_ACK)
    assert (
        await slack.decide(
            action_id=translate.ACTION_ACK, value=value, user=MODERATOR, message_ts=ts
        )
        is None
    )  # Acknowledge acts at once
    assert "*Acknowledged* by `UMOD`" in context(slack, 5)
    assert translate.ACTION_ACK not in actions_of(slack, 5)
    value, ts = button(slack, 5, translate.ACTION_RESOLVE)
    await slack.decide(
        action_id=translate.ACTION_RESOLVE,
        value=value,
        user=MODERATOR,
        message_ts=ts,
        reason="talked with them; safe now",
    )
    assert "*Resolved* by `UMOD`: talked with them; safe now" in context(slack, 5)
    assert actions_of(slack, 5) == [translate.ACTION_NOTE]

    value, ts = button(slack, 2, translate.ACTION_UPHOLD)
    await slack.decide(
        action_id=translate.ACTION_UPHOLD,
        value=value,
        user=MODERATOR,
        message_ts=ts,
        reason="the requests were real",
    )
    assert ephemerals(slack, "U1")[-1]["text"] == (
        "The moderators reviewed your appeal and kept the thread closed.\n"
        "Their reason: the requests were real\nYou can still start a fresh thread at any time."
    )
    assert await command(slack, f"unlock {link(second)} a false positive") == ""
    done = ephemerals(slack, MODERATOR)[-1]
    assert done["text"] == "Done: reopened the thread. It is in the mod log and the audit log."
    value, ts = button(slack, 4, translate.ACTION_PARDON)
    await slack.decide(
        action_id=translate.ACTION_PARDON,
        value=value,
        user=MODERATOR,
        message_ts=ts,
        reason="first time",
    )

    empty = await command(slack, "cases")
    assert empty.startswith("The review queue is empty: nothing waits for a moderator.")
    assert "reversed 1, upheld 1 (reversal rate 50%)" in empty
    assert case_changes(await exported_audit(slack.store))[3:] == [
        (5, "acknowledged", MODERATOR, False),
        (5, "resolved", MODERATOR, False),
        (1, "resolved", MODERATOR, False),
        (2, "resolved", MODERATOR, False),
        (3, "resolved", MODERATOR, False),
        (4, "resolved", MODERATOR, False),
    ]


async def test_moderator_verbs_of_the_slash_command(slack: Harness) -> None:
    """lock needs a reason and shows it; refusals and usage reach the moderator alone."""
    ts = await slack.mention("hi")
    assert await command(slack, f"lock {link(ts)} x", user="U1") == "Only moderators can do that."
    assert "Usage: `/threadkeeper lock" in await command(slack, "lock")
    await command(slack, f"lock {link(ts)}")  # no reason
    assert ephemerals(slack, MODERATOR)[-1]["text"] == (
        "Please give a reason: the user reads it in the notice."
    )
    await command(slack, f"lock {link(ts)} sharing someone's address")
    notice = slack.posted()[-1]
    assert notice["thread_ts"] == ts
    assert notice["text"].startswith(
        ":lock: A moderator has closed this thread.\n- Their reason: sharing someone's address"
    )
    ids = [e["action_id"] for b in notice["blocks"] for e in b.get("elements", [])]
    assert ids == [translate.ACTION_APPEAL]  # no Continue from before
    assert (
        slack.cases()[-1]["blocks"][0]["text"]["text"] == "Case #1 · Thread closed by a moderator"
    )
    await command(slack, "resolve 1")
    assert ephemerals(slack, MODERATOR)[-1]["text"] == (
        "Case #1 is a record of something done; it does not wait for review."
    )
    await command(slack, f"uphold {link(ts)} it stays closed")
    assert ephemerals(slack, MODERATOR)[-1]["text"].startswith("Done:")
    assert all(p["channel"] != MOD_LOG or "blocks" in p for p in slack.posted(MOD_LOG))


async def test_closing_from_a_crisis_case_asks_for_the_reason(slack: Harness) -> None:
    """The Close thread form will not take an empty reason; with one, the thread is closed."""
    crisis = await slack.mention("I want to kill myself")
    value, ts = button(slack, 1, translate.ACTION_CLOSE)
    form = await slack.decide(
        action_id=translate.ACTION_CLOSE, value=value, user=MODERATOR, message_ts=ts, reason=""
    )
    assert form is not None and form["blocks"][0]["optional"] is False
    state = await slack.store.load_thread(
        translate.thread_ref(team=TEAM, channel="C1", ts=crisis).key
    )
    assert state is not None and state.status == "open"
    await slack.decide(
        action_id=translate.ACTION_CLOSE,
        value=value,
        user=MODERATOR,
        message_ts=ts,
        reason="they asked us to",
    )
    assert "- Their reason: they asked us to" in slack.posted()[-1]["text"]


async def test_a_due_ping_is_a_broadcast_reply_under_the_case(
    api: FakeSlackApi, store: Store
) -> None:
    """With a zero interval a follow-up edits the case and posts a visible reply under it."""
    config = Settings(
        assistant=AssistantSettings(provider="offline"),
        policy=PolicySettings(crisis_ping_interval=timedelta(0)),
        slack=SlackSettings(mod_log_channel=MOD_LOG, moderators=(MODERATOR,)),
    )
    slack = Harness(api=api, store=store, config=config, assistant=OfflineAssistant())
    crisis = await slack.mention("I want to kill myself")
    await slack.say("I don't want to live anymore", thread_ts=crisis)
    shown = slack.case_message(1)
    again = slack.posted(MOD_LOG)[-1]
    assert again["thread_ts"] == shown["ts"] and again["reply_broadcast"] is True
    assert again["text"] == (
        ":rotating_light: Case #1 has 2 signals now: PRIORITY: user may be at risk. "
        "The case above is updated."
    )
    assert "<!" not in again["text"] and "<@" not in again["text"]


async def test_a_decision_form_submitted_by_someone_else_changes_nothing(slack: Harness) -> None:
    """A forged or forwarded form from a non-moderator is refused in the form; the case waits."""
    await slack.mention("I want to kill myself")
    value, ts = button(slack, 1, translate.ACTION_RESOLVE)
    await slack.click(  # the moderator opens the form, and does not submit it
        action_id=translate.ACTION_RESOLVE,
        value=value,
        user=MODERATOR,
        channel=MOD_LOG,
        message_ts=ts,
    )
    metadata = slack.api.of("views.open")[-1]["view"]["private_metadata"]
    forged = slack.payloads.decision_submission(user="U1", metadata=metadata, reason="done")
    response = await slack.service.app.async_dispatch(request(as_form(forged), content_type=FORM))
    assert json.loads(response.body)["errors"] == {"reason": "Only moderators can do that."}
    case = await slack.store.case(workspace=TEAM, number=1)
    assert case is not None and case.status == "open"
    again = await slack.store.cases(workspace=TEAM)
    assert len(again) == 1  # the forged form opened nothing
