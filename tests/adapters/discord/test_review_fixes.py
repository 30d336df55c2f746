"""Regressions found in review: follow-ups during a first turn, and notices meant for users."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import notices
from tests.adapters.discord.conftest import start_bot, stop_bot
from tests.fakes.core import ScriptedAssistant, ScriptedReply
from tests.fakes.discord_fake import MOD_ID, settle


async def pause() -> None:
    """Let the event loop run a while."""
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_a_follow_up_during_the_first_turn_is_not_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message sent while the thread's first reply is still held is answered after it."""
    gate = asyncio.Event()
    count = {"n": 0}

    def make(ctx: object) -> ScriptedReply:
        count["n"] += 1
        return ScriptedReply(["answer"], gate=gate if count["n"] == 1 else None)

    assistant = ScriptedAssistant(make)  # type: ignore[arg-type]
    bot = await start_bot(tmp_path, monkeypatch, assistant=assistant)
    try:
        opening = bot.fake.say("hello", mention_bot=True)
        await pause()
        bot.fake.say("second message in the thread", channel=int(opening["id"]))
        await pause()
        gate.set()
        await settle()
        assert [c.text for c in assistant.contexts] == ["hello", "second message in the thread"]
    finally:
        await stop_bot(bot)


async def test_a_users_notice_is_not_diverted_to_a_moderator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a moderator's command waits in a thread, the user's own notices stay in the thread."""
    gate = asyncio.Event()
    count = {"n": 0}

    def make(ctx: object) -> ScriptedReply:
        count["n"] += 1
        second = count["n"] == 2
        return ScriptedReply(["ok"], gate=gate if second else None, fail="boom" if second else "")

    bot = await start_bot(tmp_path, monkeypatch, assistant=ScriptedAssistant(make))  # type: ignore[arg-type]
    try:
        opening = bot.fake.say("hello", mention_bot=True)
        await settle()
        thread = int(opening["id"])
        bot.fake.say("a turn that will fail", channel=thread)
        await pause()
        bot.fake.slash("unlock", user=MOD_ID, channel=thread)
        await pause()
        gate.set()
        await settle()
        in_thread = [m.get("content") or "" for m in bot.fake.sent(thread)]
        assert any(notices.TURN_FAILED[:30] in c for c in in_thread)
        assert not any(
            notices.TURN_FAILED[:30] in (f.get("content") or "") for f in bot.fake.followups
        )
    finally:
        await stop_bot(bot)


async def test_an_appeal_is_answered_by_direct_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The appellant hears privately (a DM) that the appeal was sent, and then the decision."""
    from bot.records import Appeal, Author, ModCommand
    from tests.adapters.discord.test_service import walk_to_lock
    from tests.fakes.discord_fake import ALICE_ID, GUILD_ID

    bot = await start_bot(tmp_path, monkeypatch)
    try:
        thread = await walk_to_lock(bot)
        state = (await bot.store.threads(platform="discord", limit=5))[0]
        assert state.ref.thread == str(thread)
        ref = state.ref
        alice = Author(id=str(ALICE_ID), name="alice")
        await bot.runtime.handle(
            Appeal(event_id="ap1", thread=ref, author=alice, statement="please", at=state.opened_at)
        )
        await settle()
        dms = [c for c in bot.fake.channels.values() if c["type"] == 1]
        assert dms, "no DM channel was opened"
        sent = bot.fake.sent(int(dms[0]["id"]))
        assert notices.APPEAL_SENT in sent[-1]["content"]
        mod = Author(id=str(MOD_ID), name="mod", is_moderator=True)
        await bot.runtime.handle(
            ModCommand(
                event_id="m1",
                moderator=mod,
                command="unlock",
                at=state.opened_at,
                origin=ref,
                thread=ref,
            )
        )
        await settle()
        assert notices.APPEAL_UNLOCKED in bot.fake.sent(int(dms[0]["id"]))[-1]["content"]
        assert str(GUILD_ID) == ref.workspace
    finally:
        await stop_bot(bot)
