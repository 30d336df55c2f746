"""Hostile input and real operations on Discord: names UTF-8 cannot hold, a mention delivered
twice at once, messages with nothing to read, and Discord failing for a while."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import notices
from tests.adapters.discord.conftest import Bot, start_bot, stop_bot
from tests.fakes.core import ScriptedAssistant
from tests.fakes.discord_fake import ALICE_ID, BOT_ID, CHANNEL_ID, GUILD_ID, settle

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
