"""The Slack service end to end through bolt: signed requests in, Web API calls out."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from adapters.slack import translate
from bot.records import ThreadRef
from bot.store.base import Store
from tests.adapters.slack.conftest import MOD_LOG, MODERATOR, PIPE_BOMB, Harness, settings
from tests.fakes.core import ScriptedAssistant, ScriptedReply
from tests.fakes.slack_api import TEAM, FakeSlackApi
from tests.fakes.slack_events import FORM, JSON, as_json, request


async def lock_thread(slack: Harness) -> str:
    """Open a thread and walk it to a lock; returns the parent ts."""
    ts = await slack.mention("hi")
    for _ in range(4):
        await slack.say(PIPE_BOMB, thread_ts=ts)
    return ts


def case_button(slack: Harness, action_id: str) -> tuple[str, str]:
    """The value of a button on the first mod-log message, and that message's ts."""
    blocks = slack.cases()[0]["blocks"]
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element["value"], "1700000999.000100"
    raise AssertionError(f"no {action_id} button")


async def test_mention_gets_a_threaded_streamed_reply(slack: Harness) -> None:
    """A top-level mention is answered in a thread on that message, streamed."""
    ts = await slack.mention("how do I bake bread?")
    start = slack.api.of("chat.startStream")
    assert len(start) == 1
    assert start[0]["channel"] == "C1" and start[0]["thread_ts"] == ts
    assert start[0]["recipient_user_id"] == "U1" and start[0]["recipient_team_id"] == TEAM
    assert "running offline" in start[0]["markdown_text"]
    assert slack.api.methods()[-1] == "chat.stopStream"


async def test_later_thread_messages_are_turns_and_others_are_not(slack: Harness) -> None:
    """Messages in a hosted thread are turns; top-level chatter, bots and edits are not."""
    ts = await slack.mention("hi")
    await slack.say("and another thing", thread_ts=ts)
    assert len(slack.api.of("chat.startStream")) == 2
    await slack.say("in someone else's thread", thread_ts="1600000000.000100")
    await slack.send(slack.payloads.event(kind="message", text="top level"))
    await slack.say("from a bot", thread_ts=ts, bot_id="B9")
    await slack.say("edited", thread_ts=ts, subtype="message_changed")
    await slack.say("joined", thread_ts=ts, subtype="channel_join")
    assert len(slack.api.of("chat.startStream")) == 2


async def test_streaming_appends_and_escapes_model_output(api: FakeSlackApi, store: Store) -> None:
    """A multi-chunk reply streams as start/append/stop, and pings in it are escaped."""
    chunks = ["Hello ", "<!channel> and ", "<@U999> and <!here> ", "@everyone done"]
    assistant = ScriptedAssistant(lambda ctx: ScriptedReply(chunks))
    h = Harness(api=api, store=store, config=settings(), assistant=assistant)
    await h.mention("hi")
    streamed = [m for m in api.methods() if m.endswith("Stream")]
    assert streamed[0] == "chat.startStream" and streamed[-1] == "chat.stopStream"
    assert set(streamed[1:-1]) == {"chat.appendStream"}
    shown = api.of("chat.startStream")[0]["markdown_text"] + "".join(
        a["markdown_text"] for a in api.of("chat.appendStream")
    )
    assert "&lt;!channel&gt;" in shown and "&lt;@U999&gt;" in shown and "&lt;!here&gt;" in shown
    assert "@\u200beveryone" in shown
    sent = h.everything_sent()
    assert "<!channel>" not in sent and "<@U999>" not in sent and "<!here>" not in sent
    turns = await store.recent_turns(
        translate.thread_ref(
            team=TEAM, channel="C1", ts=api.of("chat.startStream")[0]["thread_ts"]
        ).key,
        limit=10,
    )
    assert turns[-1].text == "".join(chunks)  # the history keeps the raw text


async def test_falls_back_to_post_and_update_without_streaming(
    api: FakeSlackApi, store: Store
) -> None:
    """Where chat.startStream is unknown, the reply is posted and then edited with chat.update."""
    api.streaming = False
    assistant = ScriptedAssistant(lambda ctx: ScriptedReply(["one ", "two ", "three"]))
    h = Harness(api=api, store=store, config=settings(), assistant=assistant)
    ts = await h.mention("hi")
    posted = h.posted()
    assert posted[0]["thread_ts"] == ts and posted[0]["text"].startswith("one")
    updates = api.of("chat.update")
    assert updates and updates[-1]["text"] == "one two three"
    await h.say("again", thread_ts=ts)
    assert len(api.of("chat.startStream")) == 1  # not tried again once known unavailable


async def test_ladder_to_an_enforced_lock(slack: Harness) -> None:
    """Redirect, redirect, warn, lock: notice, lock reaction, a mod-log case with buttons."""
    ts = await lock_thread(slack)
    texts = [p["text"] for p in slack.posted()]
    assert any("Please note" in t for t in texts)
    lock = [t for t in texts if "This thread has been closed" in t]
    assert len(lock) == 1 and "`/threadkeeper policy`" in lock[0]
    assert slack.posted()[-1]["thread_ts"] == ts
    assert slack.api.of("reactions.add") == [{"channel": "C1", "timestamp": ts, "name": "lock"}]
    case = slack.cases()[0]
    header = case["blocks"][0]["text"]["text"]
    assert header == "Case #1 · Thread locked"
    flat = json.dumps(case["blocks"])
    assert "weapons capable of mass casualties" in flat and "example.slack.com/archives/C1" in flat
    assert "name-U1" in flat and "<@U1>" not in flat
    ids = [
        e["action_id"] for b in case["blocks"] for e in b.get("elements", []) if "action_id" in e
    ]
    assert ids == [
        translate.ACTION_UNLOCK,
        translate.ACTION_UPHOLD,
        translate.ACTION_ACK,
        translate.ACTION_NOTE,
    ]
    streamed = len(slack.api.of("chat.startStream"))
    await slack.say("hello?", thread_ts=ts)
    await slack.say("anyone?", thread_ts=ts)
    await slack.mention("please?", thread_ts=ts)
    assert len(slack.api.of("chat.startStream")) == streamed  # no model reply after the lock
    ephemeral = slack.api.of("chat.postEphemeral")
    assert len(ephemeral) == 1
    assert ephemeral[0]["user"] == "U1" and ephemeral[0]["thread_ts"] == ts
    assert "thread is closed" in ephemeral[0]["text"]


async def test_user_text_echoed_in_the_mod_log_is_escaped(slack: Harness) -> None:
    """A user's <!channel> and <@U…> in an excerpt reach the mod log as plain text."""
    ts = await slack.mention("hi")
    for _ in range(4):
        await slack.say(f"{PIPE_BOMB} <!channel> <@U999> <!subteam^S1>", thread_ts=ts)
    flat = json.dumps(slack.cases()[0]["blocks"])
    assert "&lt;!channel&gt;" in flat and "&lt;@U999&gt;" in flat
    sent = slack.everything_sent()
    assert "<!channel>" not in sent and "<@U999>" not in sent and "<!subteam^S1>" not in sent


async def test_crisis_posts_resources_and_a_priority_case(slack: Harness) -> None:
    """A risk message gets resources in the thread and a PRIORITY case; no lock reaction."""
    await slack.mention("I want to kill myself")
    assert any("988" in p["text"] for p in slack.posted())
    case = slack.cases()[0]
    assert "PRIORITY" in json.dumps(case["blocks"])
    assert case["blocks"][0]["text"]["text"].startswith(":rotating_light: Case #1")
    assert slack.api.of("reactions.add") == []


async def test_redelivered_event_runs_once(slack: Harness) -> None:
    """An event redelivered with X-Slack-Retry-Num is acked and produces no second reply."""
    payload = slack.payloads.event(kind="app_mention", text="<@UBOT> hello")
    assert (await slack.send(payload)).status == 200
    assert (await slack.send(payload, retry_num=1)).status == 200
    assert (await slack.send(payload, retry_num=2)).status == 200
    assert len(slack.api.of("chat.startStream")) == 1


async def test_redelivery_after_restart_is_dropped_by_the_stored_event_id(
    api: FakeSlackApi,
    store: Store,
) -> None:
    """A new process (empty memory) still drops a redelivered event: the id is in the store."""
    first = Harness(api=api, store=store, config=settings(), assistant=ScriptedAssistant())
    payload = first.payloads.event(kind="app_mention", text="<@UBOT> hello")
    await first.send(payload)
    second = Harness(api=api, store=store, config=settings(), assistant=ScriptedAssistant())
    assert (await second.send(payload, retry_num=1)).status == 200
    assert len(api.of("chat.startStream")) == 1


async def test_mention_and_message_for_one_message_reply_once(slack: Harness) -> None:
    """A mention in a hosted thread arrives as app_mention and message: one reply."""
    ts = await slack.mention("hi")
    msg_ts = slack.payloads.ts()
    text = "<@UBOT> a follow-up"
    both = [
        slack.payloads.event(kind="message", text=text, ts=msg_ts, thread_ts=ts),
        slack.payloads.event(kind="app_mention", text=text, ts=msg_ts, thread_ts=ts),
    ]
    for payload in both:
        await slack.send(payload)
    assert len(slack.api.of("chat.startStream")) == 2


async def test_moderator_unlock_click_reopens_the_thread(slack: Harness) -> None:
    """Unlock by a moderator: notice, reaction removed, an unlock case, and turns again."""
    ts = await lock_thread(slack)
    value, case_ts = case_button(slack, translate.ACTION_UNLOCK)
    await slack.decide(
        action_id=translate.ACTION_UNLOCK, value=value, user=MODERATOR, message_ts=case_ts
    )
    assert any("reopened" in p["text"] for p in slack.posted())
    assert slack.api.of("reactions.remove") == [{"channel": "C1", "timestamp": ts, "name": "lock"}]
    assert (
        slack.cases()[-1]["blocks"][0]["text"]["text"] == "Case #2 · Thread unlocked by a moderator"
    )
    assert slack.api.of("chat.postEphemeral")[-1]["text"] == (
        "Done: case #1 reopened the thread. It is in the mod log and the audit log."
    )
    before = len(slack.api.of("chat.startStream"))
    await slack.say("thanks", thread_ts=ts)
    assert len(slack.api.of("chat.startStream")) == before + 1


async def test_non_moderator_click_is_refused(slack: Harness) -> None:
    """Anyone else pressing Unlock gets a private refusal; nothing changes, no case."""
    ts = await lock_thread(slack)
    value, case_ts = case_button(slack, translate.ACTION_UNLOCK)
    await slack.click(
        action_id=translate.ACTION_UNLOCK,
        value=value,
        user="U1",
        channel=MOD_LOG,
        message_ts=case_ts,
    )
    refusal = slack.api.of("chat.postEphemeral")[-1]
    assert refusal["user"] == "U1" and refusal["channel"] == MOD_LOG
    assert "Only moderators" in refusal["text"]
    assert len(slack.cases()) == 1 and slack.api.of("reactions.remove") == []
    state = await slack.store.load_thread(
        ThreadRef(platform="slack", workspace=TEAM, channel="C1", thread=ts).key
    )
    assert state is not None and state.status == "locked"


async def test_uphold_and_note_buttons_each_make_a_case(slack: Harness) -> None:
    """Uphold is a case; Note opens a modal whose submission is a note case."""
    await lock_thread(slack)
    value, case_ts = case_button(slack, translate.ACTION_UPHOLD)
    await slack.decide(
        action_id=translate.ACTION_UPHOLD, value=value, user=MODERATOR, message_ts=case_ts
    )
    assert slack.cases()[-1]["blocks"][0]["text"]["text"] == "Case #2 · Lock upheld by a moderator"
    await slack.click(
        action_id=translate.ACTION_NOTE,
        value=value,
        user=MODERATOR,
        channel=MOD_LOG,
        message_ts=case_ts,
    )
    view = slack.api.of("views.open")[-1]["view"]
    assert view["callback_id"] == translate.VIEW_NOTE
    empty = await slack.submit_note(user=MODERATOR, metadata=view["private_metadata"], note=" ")
    assert json.loads(empty.body)["response_action"] == "errors"
    await slack.submit_note(
        user=MODERATOR, metadata=view["private_metadata"], note="talked to them <!here>"
    )
    note = slack.cases()[-1]
    assert note["blocks"][0]["text"]["text"] == "Case #3 · Moderator note"
    assert "talked to them &lt;!here&gt;" in json.dumps(note["blocks"])


async def test_moderator_group_members_may_moderate(api: FakeSlackApi, store: Store) -> None:
    """A member of the configured user group counts as a moderator."""
    api.group_members = ["UGROUPMOD"]
    config = settings(moderators=(), moderator_group="S0MODS")
    h = Harness(api=api, store=store, config=config, assistant=ScriptedAssistant())
    assert await h.service.is_moderator("UGROUPMOD")
    assert not await h.service.is_moderator("U1")
    assert len(api.of("usergroups.users.list")) == 1  # cached


async def test_end_on_request_with_buttons_only_for_the_asker(slack: Harness) -> None:
    """'end this thread' posts Yes/No; another user's Yes is refused; the asker's Yes ends it."""
    ts = await slack.mention("hi")
    await slack.say("please end this thread", thread_ts=ts)
    question = slack.posted()[-1]
    buttons = question["blocks"][1]["elements"]
    yes = next(b for b in buttons if b["action_id"] == translate.ACTION_END_YES)
    await slack.click(
        action_id=translate.ACTION_END_YES,
        value=yes["value"],
        user="U2",
        channel="C1",
        message_ts="1700000555.000100",
    )
    assert "Only the person who asked" in slack.api.of("chat.postEphemeral")[-1]["text"]
    await slack.click(
        action_id=translate.ACTION_END_YES,
        value=yes["value"],
        user="U1",
        channel="C1",
        message_ts="1700000555.000100",
    )
    assert any("ended at your request" in p["text"] for p in slack.posted())
    assert slack.api.of("reactions.add")[-1]["timestamp"] == ts
    assert "Answered: Yes" in json.dumps(slack.api.of("chat.update")[-1]["blocks"])


async def test_forged_and_stale_requests_are_rejected(slack: Harness) -> None:
    """A bad signature or a timestamp older than five minutes gets 401 and does nothing."""
    body = as_json(slack.payloads.event(kind="app_mention", text="<@UBOT> hi"))
    forged = request(body, content_type=JSON, secret="not-the-secret")
    assert (await slack.service.app.async_dispatch(forged)).status == 401
    stale = request(body, content_type=JSON, timestamp=int(time.time()) - 600)
    assert (await slack.service.app.async_dispatch(stale)).status == 401
    assert slack.api.methods() == []


async def test_ratelimited_calls_are_retried(slack: Harness) -> None:
    """A 429 with Retry-After is retried by the client and the reply still arrives."""
    slack.api.fail("chat.startStream", "ratelimited", status=429, retry_after=0)
    await slack.mention("hi")
    assert len(slack.api.of("chat.startStream")) == 2
    assert slack.api.methods()[-1] == "chat.stopStream"


async def test_channel_not_found_becomes_a_case(slack: Harness) -> None:
    """A lock whose reaction fails with channel_not_found is reported in the mod log."""
    ts = await slack.mention("hi")
    slack.api.fail("reactions.add", "channel_not_found")
    for _ in range(4):
        await slack.say(PIPE_BOMB, thread_ts=ts)
    failure = slack.cases()[-1]
    assert failure["blocks"][0]["text"]["text"].endswith("The bot could not carry out an action")
    assert "channel_not_found" in json.dumps(failure["blocks"])
    assert len(slack.api.of("reactions.add")) == 1  # not retryable: tried once


async def test_missing_scope_names_the_scope(slack: Harness) -> None:
    """A missing reactions:write scope is named in the delivery-failure case."""
    ts = await slack.mention("hi")
    slack.api.fail("reactions.add", "missing_scope", needed="reactions:write")
    for _ in range(4):
        await slack.say(PIPE_BOMB, thread_ts=ts)
    assert "reactions:write" in json.dumps(slack.cases()[-1]["blocks"])
    assert sum("This thread has been closed" in p["text"] for p in slack.posted()) == 1


async def test_slash_command_policy_status_case_unlock(slack: Harness) -> None:
    """policy for anyone; status of your own thread; case and unlock for moderators only."""
    policy = await slack.command("policy", user="U2")
    assert "How this bot keeps threads safe" in json.loads(policy.body)["text"]
    ts = await lock_thread(slack)
    status = json.loads((await slack.command("status", user="U1")).body)["text"]
    assert "*locked*" in status and ts in status
    assert "Only moderators" in json.loads((await slack.command("case 1", user="U1")).body)["text"]
    case = json.loads((await slack.command("case #1", user=MODERATOR)).body)["text"]
    assert "Case #1" in case and "Thread locked" in case
    link = f"<https://example.slack.com/archives/C1/p{ts.replace('.', '')}>"
    await slack.command(f"unlock {link}", user=MODERATOR)
    assert slack.api.of("reactions.remove")[-1]["timestamp"] == ts
    help_text = json.loads((await slack.command("", user="U1")).body)["text"]
    assert "/threadkeeper policy" in help_text


async def test_check_reports_each_problem_in_a_sentence(api: FakeSlackApi, store: Store) -> None:
    """A good setup has no problems; a missing scope and channel are named plainly."""
    api.channels[MOD_LOG] = {"id": MOD_LOG, "name": "mod-log", "is_member": True}
    good = Harness(api=api, store=store, config=settings(), assistant=ScriptedAssistant())
    assert await good.service.check() == []
    api.scopes = "chat:write,commands"
    bad = Harness(
        api=api,
        store=store,
        config=settings(mod_log_channel="CNOPE"),
        assistant=ScriptedAssistant(),
    )
    problems = await bad.service.check()
    assert any("reactions:write" in p and "manifest.yml" in p for p in problems)
    assert any("CNOPE was not found" in p for p in problems)


async def test_forms_are_verified_too(slack: Harness) -> None:
    """A slash command with a bad signature is refused before it reaches the handler."""
    body = urlencode({"command": "/threadkeeper", "text": "policy", "user_id": "U1"})
    assert (
        await slack.service.app.async_dispatch(request(body, content_type=FORM, secret="x"))
    ).status == 401


async def test_a_workspaces_crisis_regions_and_the_messages_language(
    api: FakeSlackApi, store: Store
) -> None:
    """slack.crisis_regions = ["DE"] and a German message: TelefonSeelsorge first, in German,
    in one message within Slack's limits."""
    from adapters.slack.render import MESSAGE_LIMIT
    from bot.assistant.offline import OfflineAssistant

    harness = Harness(
        api=api,
        store=store,
        config=settings(crisis_regions=("DE",)),
        assistant=OfflineAssistant(),
    )
    await harness.mention("ich will nicht mehr leben")
    (posted,) = [p["text"] for p in harness.posted() if "0800 111 0 111" in p["text"]]
    assert posted.startswith(":sos: Mit jemandem zu reden kann helfen.")
    assert "Deutschland: Notruf 112" in posted and "988" not in posted
    assert len(posted) <= MESSAGE_LIMIT
    assert "PRIORITY" in json.dumps(harness.cases()[0]["blocks"])
