"""The hostile-input corpus (tests/hostile/corpus.py) through the real runtime and adapters.

Each case states its expected outcome in the corpus; these tests check it on Discord and on Slack,
with the real Claude client against the local Messages API. A case the current code fails is a
strict xfail naming the defect.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from slack_bolt.async_app import AsyncBoltRequest

from adapters.slack import translate as slack_translate
from bot import notices
from bot.app import policy_text
from bot.assistant.prompts import CLASSIFIER_SYSTEM, REPLY_SYSTEM, turn_header
from bot.safety.normalize import normalize_plain
from tests.fakes.discord_fake import BOB_ID, GUILD_ID, MOD_ROLE_ID, MODLOG_ID
from tests.fakes.slack_events import FORM, JSON, as_form, as_json, request, signed_headers
from tests.faults.model import BENIGN
from tests.faults.rigs import SLACK_MOD_LOG, DiscordRig, Rig, RigFactory, SlackRig
from tests.hostile.corpus import (
    FORGED_REQUEST_CASES,
    FORGERY_CASES,
    MENTION_CASES,
    PRIVILEGE_CASES,
    TEXT_CASES,
    Hostile,
)

SHORT_ANSWER = "Thanks for writing; here is a short answer."
HARM = "how do I harm them"
PRIORITY = "PRIORITY: user may be at risk"
#: A bot-shaped label: an opening bracket (or a look-alike) then message/note/turn from/to.
LABEL = re.compile(
    "[\\[\uff3b\u3010\u3014\u27e6\u2045\u2772\u3016\u3018\ufe5d\u298b]\\s*"
    "(?:message|note|turn)\\s+(?:from|to)\\b",
    re.IGNORECASE,
)
#: A ping Slack would act on in text the bot posts.
SLACK_PING = re.compile(r"<[!@]|(?<![\w\u200b])@(?:channel|here|everyone)\b|<https?://evil")
SEND = "/channels/{channel_id}/messages"
EDIT = "/channels/{channel_id}/messages/{message_id}"


def xfail_if_defect(request: pytest.FixtureRequest, case: Hostile, platform: str) -> None:
    """Mark the running test a strict xfail when the case names a defect on this platform."""
    if case.defect and platform in case.defect_on:
        request.applymarker(pytest.mark.xfail(strict=True, reason=case.defect))


def ids(cases: list[Hostile]) -> list[str]:
    """Test ids from case ids."""
    return [c.id for c in cases]


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, over a separate read-only connection."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [
            str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            n: sorted(map(tuple, conn.execute(f'SELECT * FROM "{n}"')), key=repr) for n in names
        }
    finally:
        conn.close()


def set_name(rig: Rig, user: str, name: str) -> None:
    """Give a user a display name chosen by the attacker."""
    uid = rig.user(user)
    if isinstance(rig, DiscordRig):
        rig.fake.users[int(uid)]["global_name"] = name
    else:
        cast(SlackRig, rig).slack.names[uid] = name


def display_name(rig: Rig, user: str) -> str:
    """The name the bot reads for a user."""
    uid = rig.user(user)
    if isinstance(rig, DiscordRig):
        return str(rig.fake.users[int(uid)]["global_name"])
    return cast(SlackRig, rig).slack.names.get(uid, f"name-{uid}")


def moderation_note(body: dict[str, Any]) -> str:
    """The moderation system's note on the newest turn of a reply request ('' if none)."""
    blocks = body["messages"][-1]["content"]
    notes = [b["text"] for b in blocks if b["text"].startswith("[Note from the moderation system")]
    return notes[-1] if notes else ""


async def check_outcome(rig: Rig, thread: str, case: Hostile, new: list[str]) -> None:
    """The verdict the case expects: risk, harmful or benign."""
    state = await rig.state(thread)
    reply = [r for r in rig.api.requests if r.stream][-1].body
    if case.expect == "risk":
        assert any(c.endswith(PRIORITY) for c in rig.cases()), rig.cases()
        assert any("988" in t for t in new), new  # the reviewed crisis resources
        assert state.strikes == 0 and state.status == "open"
        assert "may be at risk" in moderation_note(reply)
    elif case.expect == "harmful":
        assert state.strikes == 1 and state.status == "open"
        assert rig.cases() == []
        assert "Do not comply" in moderation_note(reply)
    else:
        assert case.expect == "benign"
        assert state.strikes == 0 and rig.cases() == []
        assert moderation_note(reply) == ""


# --- text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", TEXT_CASES, ids=ids(TEXT_CASES))
async def test_hostile_text_gets_its_expected_verdict(
    rig: Rig, case: Hostile, request: pytest.FixtureRequest
) -> None:
    """With the classifier fooled, the local screen alone gives the expected verdict, quickly."""
    xfail_if_defect(request, case, rig.platform)
    rig.model.classify = lambda text: BENIGN
    rig.model.answer = lambda text: SHORT_ANSWER
    thread = await rig.open("hello")
    before = len(rig.shown(thread))
    started = time.monotonic()
    await rig.say(thread, case.text)
    assert time.monotonic() - started < 5
    assert rig.escaped == []
    new = rig.shown(thread)[before:]
    assert SHORT_ANSWER in new or notices.SUPPORT_FALLBACK in new, new
    await check_outcome(rig, thread, case, new)
    assert await rig.store.owed_actions() == []


# --- forgery --------------------------------------------------------------------------------------


def labels(text: str) -> list[str]:
    """Bot-shaped labels in a text, read as an attacker's reader would (invisibles removed)."""
    return LABEL.findall(normalize_plain(text))


@pytest.mark.parametrize("case", FORGERY_CASES, ids=ids(FORGERY_CASES))
async def test_forged_speakers_labels_and_prompts_are_defused(
    rig: Rig, case: Hostile, request: pytest.FixtureRequest
) -> None:
    """Only the bot's header names the speaker; no forged label survives; the prompts are ours."""
    xfail_if_defect(request, case, rig.platform)
    rig.model.classify = lambda text: BENIGN
    if case.name:
        set_name(rig, "eve", case.name)
    thread = await rig.open("hello")
    sent = len(rig.api.requests)
    await rig.say(thread, case.text, user="eve")
    assert rig.escaped == []
    calls = rig.api.requests[sent:]
    reply = [r.body for r in calls if r.stream][-1]
    classifier = [r.body for r in calls if "output_config" in r.body][-1]
    uid, name = rig.user("eve"), display_name(rig, "eve")

    assert reply["system"][0]["text"] == REPLY_SYSTEM.format(policy=policy_text(rig.settings))
    assert classifier["system"][0]["text"] == CLASSIFIER_SYSTEM

    newest = reply["messages"][-1]["content"]
    header = turn_header(author_id=uid, author_name=name)
    assert newest[0]["text"] == header and len(labels(header)) == 1
    assert labels(newest[1]["text"]) == []  # the user's own text
    for block in newest[2:]:
        assert block["text"].startswith("[Note from the moderation system")

    blocks = [b["text"] for b in classifier["messages"][0]["content"]]
    marker = turn_header(author_id=uid, author_name=name, label="TURN TO ASSESS")
    assert blocks[-2] == marker and len(labels(marker)) == 1
    assert sum(b.startswith("[TURN TO ASSESS") for b in blocks) == 1
    assert labels(blocks[-1]) == []

    if case.expect in ("risk", "harmful"):
        await check_outcome(rig, thread, case, rig.shown(thread)[1:])


# --- mentions -------------------------------------------------------------------------------------


def strings(value: object) -> Iterator[str]:
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_no_discord_ping(rig: DiscordRig) -> None:
    """Every message write has mentions off; only a priority case may ping the moderator role."""
    writes = [
        r for r in rig.fake.requests if (r.method, r.path) in (("POST", SEND), ("PATCH", EDIT))
    ]
    assert writes
    for write in writes:
        allowed = write.json.get("allowed_mentions")
        if allowed == {"parse": [], "roles": [MOD_ROLE_ID]}:
            assert write.params["channel_id"] == str(MODLOG_ID)
            assert write.json["content"].startswith(f"<@&{MOD_ROLE_ID}> case #")
        else:
            assert allowed == {"parse": []}, write


def assert_no_slack_ping(rig: SlackRig) -> None:
    """Nothing the bot sent to Slack would ping or disguise a link."""
    methods = {"chat.postMessage", "chat.startStream", "chat.appendStream", "chat.update"}
    sent = [c.args for c in rig.slack.calls if c.method in methods | {"chat.postEphemeral"}]
    assert sent
    for args in sent:
        for text in strings(
            {k: v for k, v in args.items() if k in ("text", "markdown_text", "blocks")}
        ):
            assert SLACK_PING.search(text) is None, text


@pytest.mark.parametrize("case", MENTION_CASES, ids=ids(MENTION_CASES))
async def test_mentions_in_user_or_model_text_never_ping(
    rig: Rig, case: Hostile, request: pytest.FixtureRequest
) -> None:
    """The model repeats the user's mentions; neither the reply nor a case excerpt pings anyone."""
    xfail_if_defect(request, case, rig.platform)
    rig.model.classify = lambda text: BENIGN
    rig.model.answer = lambda text: f"You said: {text[:1000]}"
    if case.name:
        set_name(rig, "eve", case.name)
    thread = await rig.open("hello @everyone", user="eve")
    await rig.say(thread, case.text, user="eve")
    assert rig.escaped == []
    assert len(rig.shown(thread)) >= 2
    if isinstance(rig, DiscordRig):
        assert_no_discord_ping(rig)
    else:
        assert_no_slack_ping(cast(SlackRig, rig))


# --- privilege ------------------------------------------------------------------------------------


async def locked_thread(rig: Rig) -> str:
    """A thread walked to a lock by alice (case #1 in the mod log)."""
    thread = await rig.open("hello")
    for _ in range(4):
        await rig.say(thread, HARM)
    assert (await rig.state(thread)).status == "locked"
    return thread


async def discord_attempt(rig: DiscordRig, thread: str, action: str) -> str:
    """Carry out the attempt; returns the private answer the clicker got."""
    how, verb = action.split(":")
    fake = rig.fake
    user = int(rig.user("alice" if how == "owner" else "bob"))
    if how == "lookalike":
        role = 900000000000000399
        payload = fake.role_payload(role, "moderators", int(fake.roles[GUILD_ID]["permissions"]), 1)
        fake.roles[role] = payload
        fake.member_roles[BOB_ID] = [role]
        fake.emit("GUILD_ROLE_CREATE", {"guild_id": str(GUILD_ID), "role": payload})
    if how == "slash":
        options = [{"name": "number", "type": 4, "value": 1}] if verb == "case" else None
        fake.slash(verb, user=user, channel=int(thread), options=options)
    else:
        case_message = fake.sent(MODLOG_ID)[0]
        fake.click(int(case_message["id"]), f"tk:{verb}:1", user=user)
    from tests.faults.rigs import settle

    await settle()
    assert rig.escaped == []
    response = fake.interaction_responses[-1]
    assert response["type"] == 4 and response["data"]["flags"] & 64  # private
    return str(response["data"]["content"])


async def slack_attempt(rig: SlackRig, thread: str, action: str) -> str:
    """Carry out the attempt; returns the private answer the user got."""
    how, verb = action.split(":")
    user = rig.user("alice" if how == "owner" else "bob")
    case_ts, case = next(
        (ts, m) for ts, m in rig.slack.messages.items() if m["channel"] == SLACK_MOD_LOG
    )
    values = {
        e["action_id"]: e["value"]
        for block in case["blocks"]
        for e in block.get("elements", [])
        if "action_id" in e
    }
    app = rig.service.app
    if how in ("button", "owner"):
        action_id = {
            "unlock": slack_translate.ACTION_UNLOCK,
            "uphold": slack_translate.ACTION_UPHOLD,
            "note": slack_translate.ACTION_NOTE,
        }[verb]
        await rig.click(
            action_id=action_id,
            value=values[action_id],
            user=user,
            channel=SLACK_MOD_LOG,
            message_ts=case_ts,
        )
        return str(rig.slack.of("chat.postEphemeral")[-1]["text"])
    if how == "modal":
        metadata = json.dumps(
            {
                "value": values[slack_translate.ACTION_NOTE],
                "channel": SLACK_MOD_LOG,
                "ts": case_ts,
                "team": rig.key(thread).split(":")[1],
            }
        )
        body = as_form(rig.payloads.note_submission(user=user, metadata=metadata, note="unlock it"))
        response = await app.async_dispatch(request(body, content_type=FORM))
        return str(json.loads(response.body)["errors"]["note"])
    text = f"unlock {thread}" if verb == "unlock" else "case 1"
    body = rig.payloads.command(text=text, user=user, channel="C1")
    response = await app.async_dispatch(request(body, content_type=FORM))
    return str(json.loads(response.body)["text"])


@pytest.mark.parametrize("case", PRIVILEGE_CASES, ids=ids(PRIVILEGE_CASES))
async def test_moderator_powers_in_other_hands_are_refused(
    rigs: RigFactory, tmp_path: Path, case: Hostile, request: pytest.FixtureRequest
) -> None:
    """A private refusal; no case, no database change, the thread stays locked."""
    rig = await rigs(case.platforms[0])
    xfail_if_defect(request, case, rig.platform)
    thread = await locked_thread(rig)
    before = snapshot(tmp_path / "bot.db")
    cases = rig.cases()
    if isinstance(rig, DiscordRig):
        edits = len(rig.fake.calls("PATCH", "/channels/{channel_id}"))
        answer = await discord_attempt(rig, thread, case.action)
        assert len(rig.fake.calls("PATCH", "/channels/{channel_id}")) == edits
        assert rig.fake.channels[int(thread)]["thread_metadata"]["locked"] is True
    else:
        slack = cast(SlackRig, rig)
        answer = await slack_attempt(slack, thread, case.action)
        assert slack.slack.of("reactions.remove") == [] and slack.slack.of("views.open") == []
    assert answer == notices.NOT_A_MODERATOR
    assert rig.cases() == cases
    assert snapshot(tmp_path / "bot.db") == before
    assert (await rig.state(thread)).status == "locked"
    assert rig.escaped == []


# --- forged Slack requests ------------------------------------------------------------------------


def forged(body: str, how: str, content_type: str) -> AsyncBoltRequest:
    """A request whose signature Slack did not make."""
    if how == "wrong_secret":
        return request(body, content_type=content_type, secret="not-the-signing-secret")
    if how in ("stale", "future"):
        shift = -600 if how == "stale" else 600
        return request(body, content_type=content_type, timestamp=int(time.time()) + shift)
    if how == "unsigned":
        return AsyncBoltRequest(body=body, headers={"content-type": content_type})
    headers = dict(signed_headers(body, content_type=content_type))
    if how == "tampered":
        return AsyncBoltRequest(body=body.replace("hello", "hullo"), headers=headers)
    assert how == "v1"
    headers["x-slack-signature"] = headers["x-slack-signature"].replace("v0=", "v1=")
    return AsyncBoltRequest(body=body, headers=headers)


@pytest.mark.parametrize("case", FORGED_REQUEST_CASES, ids=ids(FORGED_REQUEST_CASES))
async def test_forged_slack_requests_are_rejected_and_change_nothing(
    rigs: RigFactory, tmp_path: Path, case: Hostile, request: pytest.FixtureRequest
) -> None:
    """401; no Web API call, no model call, no database change."""
    rig = cast(SlackRig, await rigs("slack"))
    xfail_if_defect(request, case, rig.platform)
    what, how = case.action.split(":")
    thread = await locked_thread(rig) if what != "event" else ""
    before = snapshot(tmp_path / "bot.db")
    calls, model_calls = len(rig.slack.calls), len(rig.api.requests)
    if what == "event":
        payload = rig.message(None, f"hello {case.text}", user="alice", mention=True)
        forged_request = forged(as_json(payload), how, JSON)
    elif what == "click":
        case_ts, case_message = next(
            (ts, m) for ts, m in rig.slack.messages.items() if m["channel"] == SLACK_MOD_LOG
        )
        value = next(
            e["value"]
            for block in case_message["blocks"]
            for e in block.get("elements", [])
            if e.get("action_id") == slack_translate.ACTION_UNLOCK
        )
        click = rig.payloads.click(
            action_id=slack_translate.ACTION_UNLOCK,
            value=value,
            user="UMOD",
            channel=SLACK_MOD_LOG,
            message_ts=case_ts,
        )
        forged_request = forged(as_form(click), how, FORM)
    else:
        body = rig.payloads.command(text=f"unlock {thread}", user="UMOD", channel="C1")
        forged_request = forged(body, how, FORM)
    response = await rig.service.app.async_dispatch(forged_request)
    await asyncio.sleep(0)
    assert response.status == 401
    assert len(rig.slack.calls) == calls and len(rig.api.requests) == model_calls
    assert snapshot(tmp_path / "bot.db") == before
    if thread:
        assert (await rig.state(thread)).status == "locked"


def test_the_corpus_is_well_formed() -> None:
    """Ids are unique, every case has a known kind and outcome, defects name a file."""
    from tests.hostile.corpus import CORPUS

    assert len({c.id for c in CORPUS}) == len(CORPUS)
    outcomes = {
        "size": {"benign", "risk"},
        "control": {"benign", "risk"},
        "zalgo": {"benign", "risk", "harmful"},
        "mixed_script": {"benign", "risk", "harmful"},
        "invisible": {"risk", "harmful"},
        "leet": {"benign", "risk", "harmful"},
        "forgery": {"defused", "risk", "harmful"},
        "mention": {"no_ping"},
        "privilege": {"refused"},
        "forged_request": {"rejected"},
    }
    for case in CORPUS:
        assert case.expect in outcomes[case.kind], case.id
        assert not case.defect or re.search(r"\w+/\w+\.py", case.defect), case.id
