"""Hostile input and real operations on Discord: names UTF-8 cannot hold, a mention delivered
twice at once, messages with nothing to read, and Discord failing for a while."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import notices
from tests.adapters.discord.conftest import Bot, start_bot, stop_bot
from tests.fakes.core import ScriptedAssistant
from tests.fakes.discord_fake import (
    ALICE_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    MODLOG_ID,
    FakeHTTPError,
    settle,
)

START_THREAD = "/channels/{channel_id}/messages/{message_id}/threads"


async def test_a_display_name_with_a_lone_surrogate_is_stored_repaired_and_answered(
    bot: Bot,
) -> None:
    """The name is stored with U+FFFD, the thread is opened and the user gets the reply."""
    bot.fake.users[ALICE_ID]["global_name"] = "ev\udc00il"
    message = bot.fake.say("hello there", mention_bot=True)
    await settle()
    thread = int(message["id"])
    (reply,) = bot.fake.sent(thread)
    assert "running offline" in reply["content"]
    key = f"discord:{GUILD_ID}:{CHANNEL_ID}:{thread}"
    (turn, *_) = await bot.store.recent_turns(key, limit=5)
    assert turn.author_name == "ev\ufffdil"


async def test_one_mention_delivered_twice_at_once_opens_one_thread(bot: Bot) -> None:
    """Two MESSAGE_CREATEs of one mention at the same moment: one thread-create call, one reply."""
    message = bot.fake.message_payload(
        channel_id=CHANNEL_ID,
        author_id=ALICE_ID,
        content=f"<@{BOT_ID}> hello",
        mention_ids=(BOT_ID,),
    )
    bot.fake.messages[int(message["id"])] = message
    bot.fake.emit("MESSAGE_CREATE", message)
    bot.fake.emit("MESSAGE_CREATE", message)  # a resumed session replays it before the first ends
    await settle()
    assert len(bot.fake.calls("POST", START_THREAD)) == 1
    assert len(bot.fake.sent(int(message["id"]))) == 1


async def test_an_attachment_alone_is_answered_with_what_the_bot_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image with no text in a thread: the fixed notice, no model call, no strike."""
    assistant = ScriptedAssistant()
    bot = await start_bot(tmp_path, monkeypatch, assistant=assistant)
    try:
        opening = bot.fake.say("hello", mention_bot=True)
        await settle()
        thread = int(opening["id"])
        image = bot.fake.message_payload(channel_id=thread, author_id=ALICE_ID, content="")
        image["attachments"] = [
            {
                "id": str(bot.fake.snowflake()),
                "filename": "cat.png",
                "size": 1024,
                "url": "https://cdn.example/cat.png",
                "proxy_url": "https://media.example/cat.png",
                "content_type": "image/png",
            }
        ]
        bot.fake.messages[int(image["id"])] = image
        bot.fake.emit("MESSAGE_CREATE", image)
        await settle()
        assert len(assistant.contexts) == 1  # the opening only
        assert bot.fake.sent(thread)[-1]["content"] == notices.NOTHING_TO_READ
        state = await bot.store.load_thread(f"discord:{GUILD_ID}:{CHANNEL_ID}:{thread}")
        assert state is not None and state.strikes == 0 and state.status == "open"
    finally:
        await stop_bot(bot)


CHANNEL = "/channels/{channel_id}"
SEND = "/channels/{channel_id}/messages"


#: The adapter's pauses between tries of a call Discord failed (short, for the tests).
BACKOFF = (0.05, 0.1)


@pytest.fixture
async def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    """The default bot with short pauses between the adapter's tries."""
    b = await start_bot(tmp_path, monkeypatch, transient_backoff=BACKOFF)
    yield b
    await stop_bot(b)


def gaps(bot: Bot, method: str, path: str) -> list[float]:
    """Seconds between successive calls to one route."""
    times = [r.at for r in bot.fake.calls(method, path)]
    return [b - a for a, b in itertools.pairwise(times)]


async def uncached_thread(bot: Bot) -> int:
    """A hosted thread that has left discord.py's cache and this process's memory."""
    opening = bot.fake.say("hello", mention_bot=True)
    await settle()
    thread = int(opening["id"])
    bot.fake.drop_thread_from_cache(thread)
    await settle()
    bot.service._parents.clear()  # as after a restart: only Discord knows its parent
    return thread


async def test_an_uncached_thread_is_looked_up_again_while_discord_fails(quick: Bot) -> None:
    """fetch_channel answers 503, then 502, then the thread: the message is answered."""
    bot = quick
    thread = await uncached_thread(bot)
    bot.fake.fail[("GET", CHANNEL)] = [
        FakeHTTPError(503, 0, "unavailable"),
        FakeHTTPError(502, 0, "bad gateway"),
    ]
    bot.fake.say("are you still there?", channel=thread)
    await settle()
    assert len(bot.fake.sent(thread)) == 2
    fetched = gaps(bot, "GET", CHANNEL)
    assert len(fetched) == 2 and fetched[0] >= BACKOFF[0] and fetched[1] >= BACKOFF[1]


async def test_a_thread_discord_will_not_look_up_is_reported_to_the_mod_log(quick: Bot) -> None:
    """fetch_channel fails every time: a delivery-failure case names the unanswered message."""
    bot = quick
    thread = await uncached_thread(bot)
    bot.fake.fail[("GET", CHANNEL)] = [FakeHTTPError(503, 0, "unavailable")] * 3
    bot.fake.say("are you still there?", channel=thread)
    await settle()
    assert len(bot.fake.sent(thread)) == 1  # the opening's reply only
    (case,) = bot.fake.sent(MODLOG_ID)
    embed = case["embeds"][0]
    assert "not answered" in embed["description"] and str(thread) in embed["description"]
    (stored,) = await bot.store.cases(kinds=("delivery_failure",))
    assert stored.user_id == str(ALICE_ID)


async def test_a_rate_limited_thread_create_waits_its_retry_after(quick: Bot) -> None:
    """A 429 with Retry-After 0.3 on the thread create: the retry waits that long, then opens."""
    bot = quick
    bot.fake.fail[("POST", START_THREAD)] = [
        FakeHTTPError(429, 0, "You are being rate limited.", headers={"Retry-After": "0.3"})
    ]
    message = bot.fake.say("hello", mention_bot=True)
    await settle()
    (waited,) = gaps(bot, "POST", START_THREAD)
    assert waited >= 0.3 > BACKOFF[0]
    assert len(bot.fake.sent(int(message["id"]))) == 1


async def test_a_thread_discord_will_not_open_is_told_to_the_user(quick: Bot) -> None:
    """The thread create fails every time: the user is told under their mention, plainly."""
    bot = quick
    bot.fake.fail[("POST", START_THREAD)] = [FakeHTTPError(500, 0, "internal")] * 3
    message = bot.fake.say("hello", mention_bot=True)
    await settle()
    assert bot.fake.threads() == []
    (told,) = bot.fake.sent(CHANNEL_ID)
    assert told["content"] == notices.THREAD_NOT_OPENED
    assert str(told["message_reference"]["message_id"]) == message["id"]
    assert len(bot.fake.calls("POST", START_THREAD)) == 3


async def test_the_runtime_waits_a_sends_retry_after(bot: Bot) -> None:
    """A notice whose send is rate limited (Retry-After 0.3) is sent again 0.3 s later, once."""
    opening = bot.fake.say("hello", mention_bot=True)
    await settle()
    thread = int(opening["id"])
    bot.fake.fail[("POST", SEND)] = [
        FakeHTTPError(429, 0, "rate limited", headers={"Retry-After": "0.3"})
    ]
    bot.fake.say("", channel=thread)  # answered with a fixed notice
    await settle()
    assert gaps(bot, "POST", SEND)[-1] >= 0.3  # the runtime's own pauses are 0 in these tests
    assert [m["content"] for m in bot.fake.sent(thread)].count(notices.NOTHING_TO_READ) == 1
