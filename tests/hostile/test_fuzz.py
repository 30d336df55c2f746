"""A fuzz pass over what reads platform payloads and transcripts (hypothesis).

Arbitrary Unicode (lone surrogates, control and format characters included), huge and empty
fields, missing keys and wrong types go to the Slack, Discord and console translate layers, to
the Slack intake through bolt's real dispatch, to the Discord intake through discord.py's own
gateway parser, and to the replay reader. What must hold: no exception escapes an adapter or
the reader (the reader raises only ReplayError, naming the line); whatever becomes a record can
be stored (UTF-8 encodable); a payload the adapter cannot read is logged once and dropped, and
the messages after it are answered as ever.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console.translate import parse_line
from adapters.discord import translate as discord_translate
from adapters.slack import translate as slack_translate
from bot import replay
from bot.assistant.offline import OfflineAssistant
from bot.cli.replay import _read_lines
from bot.errors import ReplayError
from bot.records import Author
from bot.store import open_store
from tests.adapters.discord.conftest import start_bot, stop_bot
from tests.adapters.slack.conftest import Harness
from tests.adapters.slack.conftest import settings as slack_settings
from tests.fakes.discord_fake import ALICE_ID, CHANNEL_ID, settle
from tests.fakes.slack_api import FakeSlackApi

SLOW = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
FAST = settings(max_examples=400, deadline=None)

#: Any code point, lone surrogates included (valid in JSON, not in UTF-8).
anything = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
huge = st.integers(min_value=10_000, max_value=120_000).map(lambda n: "é\u200b<!here>" * (n // 9))
texts = st.one_of(anything, huge, st.just(""), st.just(" \t\n"))
leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), texts, st.just("U1")
)
values = st.recursive(
    leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(anything, inner, max_size=3),
    max_leaves=10,
)
#: Keys Slack payloads carry, so that fuzzed bodies reach past the first checks.
SLACK_KEYS = (
    "type", "subtype", "user", "channel", "ts", "thread_ts", "text", "team", "team_id",
    "bot_id", "edited", "event_id", "trigger_id", "actions", "container", "value", "id",
    "user_id", "action_ts", "message_ts", "channel_id", "state", "values", "files",
)  # fmt: skip
fields = st.dictionaries(st.sampled_from(SLACK_KEYS) | anything, values, max_size=8)


#: The fields bolt itself reads before any listener (the envelope's, and `user`, `channel`,
#: `team` and their `_id`s inside the event, which it searches too) stay strings here: bolt
#: raises on a number, a boolean, a list or a mapping there (its authorization passes the value
#: on to auth.test), inside its request parsing, before the
#: adapter is handed anything (a limit of bolt, not of the adapter). All else is fuzzed.
envelope = st.fixed_dictionaries(
    {"type": st.just("event_callback")},
    optional={
        "team_id": st.one_of(st.just("T0TEAM"), anything),
        "event_id": anything,
        "api_app_id": anything,
    },
)
kinds = st.sampled_from(["app_mention", "message"])
BOLT_READS = frozenset({"user", "channel", "team", "user_id", "channel_id", "team_id"})


def bolt_readable(event: dict[str, Any]) -> dict[str, Any]:
    """`event` without the values of a type bolt's own parsing cannot take (see above)."""
    return {
        k: v for k, v in event.items() if k not in BOLT_READS or v is None or isinstance(v, str)
    }


slack_events = st.builds(
    lambda top, extra, kind: {**top, "event": {**bolt_readable(extra), "type": kind}},
    envelope,
    fields,
    kinds,
)


#: A message event in Slack's form, with fuzzed words, user and thread: these reach the store
#: and the runtime, where the malformed ones above stop at the translate layer.
timestamps = st.integers(1_000_000_000, 1_999_999_999).map(lambda n: f"{n}.000100")
well_formed = st.builds(
    lambda kind, user, text, ts, thread, team: {
        "type": "event_callback",
        "team_id": team,
        "event_id": f"Ev{ts}",
        "event": {
            "type": kind,
            "user": user,
            "channel": "C1",
            "text": text,
            "ts": ts,
            **({"thread_ts": thread} if thread else {}),
        },
    },
    st.sampled_from(["app_mention", "message"]),
    st.one_of(st.just("U1"), anything.filter(bool)),
    st.one_of(texts, texts.map(lambda t: f"<@UBOT> {t}")),
    timestamps,
    st.one_of(st.none(), timestamps),
    st.one_of(st.just("T0TEAM"), anything),
)


def encodable(value: str) -> bool:
    """Whether a string can be stored (UTF-8 has no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- translate layers (pure) ----------------------------------------------------------------------


@FAST
@given(body=st.one_of(slack_events, well_formed, fields))
def test_slack_message_payloads_never_raise_and_give_storable_records(body: Any) -> None:
    """parse_message and incoming take any body; a record they make has storable strings."""
    for bot_user in (None, "UBOT"):
        msg = slack_translate.parse_message(body, bot_user_id=bot_user)
        if msg is None:
            continue
        event = slack_translate.incoming(msg, hosted=True, author=Author(id=msg.user, name="n"))
        for made in (msg.event_id, msg.thread.key, msg.text, msg.user):
            assert encodable(made)
        if event is not None:
            assert event.at.year >= 2001


@FAST
@given(body=fields, text=texts)
def test_slack_interaction_payloads_and_values_never_raise(body: Any, text: str) -> None:
    """Clicks, modal states, button values and slash-command text of any shape are read or
    refused (None), never raised on."""
    slack_translate.block_action(body)
    for made in (
        slack_translate.team_of(body),
        slack_translate.user_of(body),
        slack_translate.click_event_id(body),
        slack_translate.click_origin(body).key,
        slack_translate.appeal_statement(body),
    ):
        assert encodable(made)
    slack_translate.parse_case_button(text)
    slack_translate.parse_end_button(text)
    slack_translate.parse_appeal_button(text)
    slack_translate.parse_slash(text)
    slack_translate.thread_target(text, team="T", channel="C")
    slack_translate.case_number(text)


@FAST
@given(text=texts, name=texts)
def test_discord_and_console_text_functions_never_raise(text: str, name: str) -> None:
    """Thread names, mentions and console lines from any text; what they make is storable."""
    title = discord_translate.thread_name(text, author_name=name)
    assert 0 < len(title) <= discord_translate.THREAD_NAME_CHARS + 10 and encodable(title)
    discord_translate.mentions(text, 42)
    discord_translate.strip_mention(text, 42)
    line = parse_line(text)
    assert encodable(line.text) and all(encodable(a) for a in line.args)


@pytest.mark.parametrize(
    "event",
    [
        {"type": "message", "user": 7, "channel": "C1", "ts": "1700000000.000100"},
        {"type": "app_mention", "user": "U1", "channel": ["C1"], "ts": "1700000000.000100"},
        {"type": "message", "user": "U1", "channel": "C1", "ts": "1e400"},
        {"type": "message", "user": "U1", "channel": "C1", "ts": "nan"},
        {"type": "message", "user": "U1", "channel": "C1", "ts": "1700000000.1", "thread_ts": 3},
        {"type": "app_mention", "user": "", "channel": "", "ts": ""},
    ],
)
def test_a_malformed_message_event_is_logged_once_and_dropped(
    event: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A field of the wrong type or a timestamp that is not one: one warning, no record."""
    body = {"type": "event_callback", "event_id": "Ev1", "team_id": "T1", "event": event}
    with caplog.at_level(logging.WARNING, logger="adapters.slack.translate"):
        assert slack_translate.parse_message(body, bot_user_id="UBOT") is None
    (warning,) = caplog.records
    assert "Ev1" in warning.getMessage() and "malformed" in warning.getMessage()


# --- the replay reader ----------------------------------------------------------------------------


@FAST
@given(lines=st.lists(st.one_of(texts, values.map(json.dumps), fields.map(json.dumps))))
def test_the_replay_reader_raises_only_a_replay_error_naming_a_line(lines: list[str]) -> None:
    """Any transcript is read or refused with a ReplayError naming a line of it."""
    try:
        steps = replay.parse(lines)
    except ReplayError as exc:
        assert 1 <= exc.line <= len(lines)
        return
    for step in steps:
        for key, value in (step.event or {}).items():
            assert encodable(key) and (not isinstance(value, str) or encodable(value))


@FAST
@given(data=st.binary(max_size=300))
def test_transcript_bytes_are_read_or_refused_by_line(tmp_path_factory: Any, data: bytes) -> None:
    """Bytes that are not UTF-8 are a ReplayError naming their line; the rest split on \\n."""
    path = tmp_path_factory.mktemp("fuzz") / "t.jsonl"
    path.write_bytes(data)
    try:
        lines = _read_lines(str(path))
    except ReplayError as exc:
        assert 1 <= exc.line <= data.count(b"\n") + 1
        return
    assert all("\n" not in line for line in lines)


# --- the intakes, through the real libraries ------------------------------------------------------


@SLOW
@given(bodies=st.lists(slack_events | well_formed, min_size=5, max_size=12))
async def test_fuzzed_slack_events_are_acked_and_lose_nothing(
    tmp_path_factory: Any, bodies: list[dict[str, Any]]
) -> None:
    """Through bolt's real dispatch: every fuzzed event is acked (200) and nothing escapes;
    a mention after them is answered."""
    api = FakeSlackApi()
    await api.start()
    store = await open_store(str(tmp_path_factory.mktemp("fuzz") / "s.db"))
    slack = Harness(api=api, store=store, config=slack_settings(), assistant=OfflineAssistant())
    try:
        for body in bodies:
            response = await slack.send(body)
            assert response.status == 200, body
        ts = await slack.mention("are you still there?")
        assert any(c.get("thread_ts") == ts for c in api.of("chat.startStream"))
        assert "<!here>" not in slack.everything_sent()  # nothing echoed pings
    finally:
        await store.close()
        await api.close()


@SLOW
@given(
    messages=st.lists(st.tuples(texts, texts, st.booleans()), min_size=3, max_size=8),
)
async def test_fuzzed_discord_messages_never_raise_and_lose_nothing(
    tmp_path_factory: Any, messages: list[tuple[str, str, bool]]
) -> None:
    """Through discord.py's gateway parser: any content and display name, mention or not, in a
    channel or a thread; no handler raises, and a plain mention afterwards is answered."""
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as monkeypatch:
        bot = await start_bot(tmp, monkeypatch)
        raised: list[BaseException] = []
        handle = bot.service.on_message

        async def watched(message: Any) -> None:
            try:
                await handle(message)
            except BaseException as exc:
                raised.append(exc)
                raise

        bot.service.on_message = watched  # type: ignore[method-assign]  # the client's hook
        try:
            thread = int(bot.fake.say("hello", mention_bot=True)["id"])
            await settle()
            for content, name, in_thread in messages:
                bot.fake.users[ALICE_ID]["global_name"] = name or None
                channel = thread if in_thread else CHANNEL_ID
                bot.fake.say(content[:4000], channel=channel, mention_bot=not in_thread)
                await settle(within=30)
            assert raised == []
            bot.fake.users[ALICE_ID]["global_name"] = "Alice"
            last = int(bot.fake.say("one more question", mention_bot=True)["id"])
            await settle()
            assert bot.fake.sent(last)
        finally:
            await stop_bot(bot)
            await asyncio.sleep(0)
