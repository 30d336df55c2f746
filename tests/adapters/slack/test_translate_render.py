"""The pure layers: which Slack payloads are turns, and what the bot's text looks like."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.slack import REQUIRED_SCOPES, render, translate
from bot.records import Author
from tests.fakes.slack_events import Payloads

ALICE = Author(id="U1", name="alice")


def parse(**kw: object) -> translate.SlackMessage | None:
    """A message event parsed as the bot UBOT would."""
    return translate.parse_message(Payloads().event(**kw), bot_user_id="UBOT")  # type: ignore[arg-type]


def test_bot_messages_edits_and_joins_are_not_turns() -> None:
    """Subtypes other than plain messages, and any bot's message, are dropped."""
    assert parse(kind="message", text="x", subtype="message_changed") is None
    assert parse(kind="message", text="x", subtype="channel_join") is None
    assert parse(kind="message", text="x", bot_id="B1") is None
    assert parse(kind="message", text="x", user="UBOT") is None
    assert parse(kind="message", text="x", subtype="thread_broadcast") is not None


def test_mention_text_is_cleaned_and_entities_decoded() -> None:
    """The bot's own mention is dropped and &lt; &gt; &amp; read as the user typed them."""
    msg = parse(kind="app_mention", text="<@UBOT>  is 1 &lt; 2 &amp;&amp; 3 &gt; 2?")
    assert msg is not None and msg.text == "is 1 < 2 && 3 > 2?" and msg.mentions_bot


def test_which_messages_become_turns() -> None:
    """Top mention opens; mention in unhosted thread opens there; messages only in hosted ones."""
    top = parse(kind="app_mention", text="<@UBOT> hi", ts="1700000001.000200")
    assert top is not None
    event = translate.incoming(top, hosted=False, author=ALICE)
    assert event is not None and event.opens_thread and event.thread.thread == "1700000001.000200"
    reply = parse(kind="message", text="more", ts="1700000005.000200", thread_ts=top.ts)
    assert reply is not None
    assert translate.incoming(reply, hosted=False, author=ALICE) is None
    turn = translate.incoming(reply, hosted=True, author=ALICE)
    assert turn is not None and not turn.opens_thread
    twin = parse(kind="message", text="<@UBOT> more", ts="1700000006.000200", thread_ts=top.ts)
    assert twin is not None and translate.incoming(twin, hosted=True, author=ALICE) is None


def test_thread_targets_from_permalinks_and_ts() -> None:
    """A parent permalink, a reply permalink (thread_ts) and a bare ts all name the thread."""
    parent = translate.thread_target(
        "<https://x.slack.com/archives/C9/p1700000001000200>", team="T", channel="C1"
    )
    assert parent is not None and (parent.channel, parent.thread) == ("C9", "1700000001.000200")
    reply = translate.thread_target(
        "https://x.slack.com/archives/C9/p1700000009000100?thread_ts=1700000001.000200&cid=C9",
        team="T",
        channel="C1",
    )
    assert reply is not None and reply.thread == "1700000001.000200"
    bare = translate.thread_target("1700000001.000200", team="T", channel="C1")
    assert bare is not None and bare.channel == "C1"
    assert translate.thread_target("nonsense", team="T", channel="C1") is None


def test_escape_neutralises_every_ping_and_link() -> None:
    """Broadcasts, user and group mentions and disguised links become plain text."""
    text = "<!channel> <!here> <!everyone> <@U1> <!subteam^S1> <http://evil|safe> @here a&b"
    out = render.escape(text)
    assert "<" not in out and ">" not in out
    assert "&amp;b" in out and "@\u200bhere" in out


def test_split_respects_the_limit_and_word_boundaries() -> None:
    """Long text is cut under the limit, at spaces, without losing words."""
    text = " ".join(f"word{i}" for i in range(2000))
    pieces = render.split(text, 1000)
    assert all(len(p) <= 1000 for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert render.split("", 10) == [""]


def test_manifest_has_exactly_the_required_scopes() -> None:
    """manifest.yml asks for the scopes check() expects, no more and no fewer."""
    manifest = (Path(__file__).parents[3] / "adapters/slack/manifest.yml").read_text()
    bot_section = manifest.split("bot:", 1)[1].split("settings:", 1)[0]
    scopes = set(re.findall(r"^\s+- ([a-z_.:]+)\s*(?:#.*)?$", bot_section, re.M))
    assert scopes == set(REQUIRED_SCOPES)
