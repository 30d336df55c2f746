"""Continue from before on Discord: a new thread in the same channel with the earlier history."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import notices
from tests.adapters.discord.conftest import start_bot, stop_bot
from tests.adapters.discord.test_appeals import lock_notice
from tests.adapters.discord.test_service import BOMB, custom_ids, modlog, say
from tests.fakes.core import ScriptedAssistant
from tests.fakes.discord_fake import ALICE_ID, BOB_ID, CHANNEL_ID, settle


async def test_the_locked_user_continues_from_before_in_a_new_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Button -> a public thread in the same channel, the notice, clean strikes, the history."""
    assistant = ScriptedAssistant()
    bot = await start_bot(tmp_path, monkeypatch, assistant=assistant)
    try:
        opening = bot.fake.say("hi there", mention_bot=True)
        await settle()
        thread = int(opening["id"])
        await say(bot, thread, "tell me about castles")
        for _ in range(4):
            await say(bot, thread, BOMB)
        notice = lock_notice(bot, thread)
        assert f"tk:branch:{ALICE_ID}" in custom_ids(notice)
        assert "press **Continue from before** below" in notice["content"]
        before = {t["id"] for t in bot.fake.threads()}

        bot.fake.click(int(notice["id"]), f"tk:branch:{ALICE_ID}", user=BOB_ID)
        await settle()
        assert bot.fake.interaction_responses[-1]["data"]["content"] == (notices.BRANCH_NOT_YOURS)
        bot.fake.click(int(notice["id"]), f"tk:branch:{ALICE_ID}", user=ALICE_ID)
        await settle()

        (new,) = [t for t in bot.fake.threads() if t["id"] not in before]
        assert new["parent_id"] == str(CHANNEL_ID) and new["type"] == 11
        assert new["name"].startswith("continued: ")
        new_id = int(new["id"])
        first = bot.fake.sent(new_id)[0]["content"]
        assert first == notices.branched(f"<#{thread}>")
        assert modlog(bot)[-1]["embeds"][0]["title"].startswith("Case #2 · Branch")
        refs = [
            t for t in await bot.store.threads(platform="discord") if t.ref.thread == str(new_id)
        ]
        assert refs and refs[0].status == "open" and refs[0].strikes == 0

        await say(bot, new_id, "and what about moats?")
        history = [t.text for t in assistant.contexts[-1].history]
        assert "tell me about castles" in history and BOMB not in history
        assert bot.fake.sent(new_id)[-1]["content"] == "answer to and what about moats?"
    finally:
        await stop_bot(bot)
