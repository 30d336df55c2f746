"""Appeals on Discord: the Appeal button on a lock notice, its form, `/appeal`, and the outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import notices
from tests.adapters.discord.conftest import Bot, start_bot, stop_bot
from tests.adapters.discord.test_service import custom_ids, modlog, walk_to_lock
from tests.fakes.discord_fake import ALICE_ID, BOB_ID, CHANNEL_ID, MOD_ID, FakeDiscord, settle

APPEAL_TITLE = "Case #2 · Appeal: the user asks for a review of a closed thread"


def lock_notice(bot: Bot, thread: int) -> dict[str, Any]:
    """The lock notice: the bot's last message in the thread."""
    notice = bot.fake.sent(thread)[-1]
    assert notice["content"].startswith("This thread has been closed")
    return notice


def dm_texts(fake: FakeDiscord) -> list[str]:
    """Every direct message the bot sent, oldest first."""
    dms = {int(c["id"]) for c in fake.channels.values() if c["type"] == 1}
    return [m["content"] for m in fake.sent() if int(m["channel_id"]) in dms]


async def appeal_by_form(bot: Bot, thread: int, statement: str, *, user: int = ALICE_ID) -> None:
    """Press Appeal on the lock notice and submit the form."""
    notice = lock_notice(bot, thread)
    bot.fake.click(int(notice["id"]), f"tk:appeal:{ALICE_ID}", user=user)
    await settle()
    modal = bot.fake.interaction_responses[-1]
    assert modal["type"] == 9, modal
    text_id = modal["data"]["components"][0]["components"][0]["custom_id"]
    bot.fake.submit_modal(
        modal["data"]["custom_id"], {text_id: statement}, user=user, channel=thread
    )
    await settle()


async def test_the_lock_notice_carries_an_appeal_button_for_the_locked_user(bot: Bot) -> None:
    """One button, whose id names the user whose thread was closed."""
    thread = await walk_to_lock(bot)
    notice = lock_notice(bot, thread)
    assert custom_ids(notice) == [f"tk:appeal:{ALICE_ID}", f"tk:branch:{ALICE_ID}"]
    button, _branch = notice["components"][0]["components"]
    assert button["label"] == "Appeal"
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is True


async def test_the_locked_user_appeals_through_the_form_and_is_told_privately(bot: Bot) -> None:
    """The form asks why; the statement becomes an appeal case; the answer is ephemeral only."""
    thread = await walk_to_lock(bot)
    posted = len(bot.fake.sent(thread))
    notice = lock_notice(bot, thread)
    bot.fake.click(int(notice["id"]), f"tk:appeal:{ALICE_ID}", user=ALICE_ID)
    await settle()
    modal = bot.fake.interaction_responses[-1]
    assert modal["type"] == 9
    (field,) = [c for row in modal["data"]["components"] for c in row["components"]]
    assert field["label"] == "Why should the moderators reopen this thread?"
    assert field["max_length"] == 500
    bot.fake.submit_modal(
        modal["data"]["custom_id"],
        {field["custom_id"]: "I was asking about a history essay"},
        user=ALICE_ID,
        channel=thread,
    )
    await settle()
    case = modlog(bot)[-1]["embeds"][0]
    assert case["title"] == APPEAL_TITLE
    fields = {f["name"]: f["value"] for f in case["fields"]}
    assert "history essay" in fields["Excerpts (spoilered)"]
    assert fields["Refers to"] == "case #1"
    assert custom_ids(modlog(bot)[-1]) == ["tk:unlock:2", "tk:uphold:2", "tk:ack:2", "tk:note:2"]
    assert bot.fake.interaction_responses[-1]["type"] == 5  # deferred, ephemeral
    assert bot.fake.interaction_responses[-1]["data"]["flags"] & 64
    answer = bot.fake.followups[-1]
    assert answer["content"] == notices.APPEAL_SENT and answer["flags"] & 64
    assert dm_texts(bot.fake) == []  # told once, not again by DM
    assert len(bot.fake.sent(thread)) == posted  # nothing public
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is True


async def test_someone_elses_click_is_refused_privately(bot: Bot) -> None:
    """Bob gets a private refusal and no form; no case is opened."""
    thread = await walk_to_lock(bot)
    notice = lock_notice(bot, thread)
    bot.fake.click(int(notice["id"]), f"tk:appeal:{ALICE_ID}", user=BOB_ID)
    await settle()
    response = bot.fake.interaction_responses[-1]
    assert response["type"] == 4
    assert response["data"]["content"] == notices.APPEAL_NOT_YOURS
    assert response["data"]["flags"] & 64
    assert len(modlog(bot)) == 1


async def test_a_second_appeal_is_refused_while_the_first_is_open(bot: Bot) -> None:
    """By form then by `/appeal`: the second is answered privately and opens nothing."""
    thread = await walk_to_lock(bot)
    await appeal_by_form(bot, thread, "please look again")
    assert len(modlog(bot)) == 2
    bot.fake.slash(
        "appeal",
        user=ALICE_ID,
        channel=thread,
        options=[{"name": "statement", "type": 3, "value": "and again"}],
    )
    await settle()
    assert bot.fake.followups[-1]["content"] == notices.APPEAL_ALREADY_OPEN
    assert bot.fake.followups[-1]["flags"] & 64
    assert len(modlog(bot)) == 2
    assert dm_texts(bot.fake) == []


async def test_the_slash_command_appeals_and_refuses_outside_a_thread(bot: Bot) -> None:
    """`/appeal` in the closed thread opens the case; in a channel it only explains."""
    thread = await walk_to_lock(bot)
    options = [{"name": "statement", "type": 3, "value": "it was a chemistry question"}]
    bot.fake.slash("appeal", user=ALICE_ID, channel=CHANNEL_ID, options=options)
    await settle()
    response = bot.fake.interaction_responses[-1]
    assert response["type"] == 4 and response["data"]["flags"] & 64
    assert "inside the thread" in response["data"]["content"]
    assert len(modlog(bot)) == 1
    bot.fake.slash("appeal", user=ALICE_ID, channel=thread, options=options)
    await settle()
    assert modlog(bot)[-1]["embeds"][0]["title"] == APPEAL_TITLE
    assert bot.fake.followups[-1]["content"] == notices.APPEAL_SENT
    bot.fake.slash("appeal", user=BOB_ID, channel=thread, options=options)
    await settle()
    assert bot.fake.followups[-1]["content"] == notices.APPEAL_NOT_YOURS
    assert len(modlog(bot)) == 2


async def test_a_moderators_unlock_of_the_appeal_tells_the_user_by_dm(bot: Bot) -> None:
    """Unlock on the appeal case reopens the thread and DMs the outcome to the appellant."""
    thread = await walk_to_lock(bot)
    await appeal_by_form(bot, thread, "please look again")
    appeal_case = modlog(bot)[-1]
    await bot.fake.decide(int(appeal_case["id"]), "tk:unlock:2", user=MOD_ID)
    assert bot.fake.followups[-1]["content"] == "Done: unlock (case #3)."
    meta = bot.fake.channels[thread]["thread_metadata"]
    assert not meta["locked"] and not meta["archived"]
    assert bot.fake.sent(thread)[-1]["content"] == notices.UNLOCKED
    assert dm_texts(bot.fake) == [notices.APPEAL_UNLOCKED]


async def test_the_appeal_button_works_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The id carries its user, so a new process (and an archived thread) still serve it."""
    fake = FakeDiscord()
    first = await start_bot(tmp_path, monkeypatch, fake=fake)
    try:
        thread = await walk_to_lock(first)
    finally:
        await stop_bot(first)
    second = await start_bot(tmp_path, monkeypatch, fake=fake)
    try:
        assert second.service.client.get_channel(thread) is None  # archived: not in the cache
        await appeal_by_form(second, thread, "after a restart")
        assert modlog(second)[-1]["embeds"][0]["title"] == APPEAL_TITLE
        assert second.fake.followups[-1]["content"] == notices.APPEAL_SENT
    finally:
        await stop_bot(second)
