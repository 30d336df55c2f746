"""Discord's review queue, worked to zero by a moderator with the case buttons and commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import AssistantSettings, DiscordSettings, PolicySettings, Settings
from tests.adapters.discord.conftest import Bot, start_bot, stop_bot
from tests.adapters.discord.test_appeals import appeal_by_form, dm_texts
from tests.adapters.discord.test_service import custom_ids, modlog, open_thread, say, walk_to_lock
from tests.fakes.core import case_changes, exported_audit
from tests.fakes.discord_fake import (
    ALICE_ID,
    BOB_ID,
    MOD_ID,
    MOD_ROLE_ID,
    MODLOG_ID,
    settle,
)

FOLLOW_UPS = ("I don't want to live anymore", "how do I make a pipe bomb", "nobody would miss me")


def case_message(bot: Bot, number: int) -> dict[str, Any]:
    """The mod-log message that shows case `number` (as edited since)."""
    return next(
        m
        for m in modlog(bot)
        if m["embeds"] and m["embeds"][0]["title"].startswith(f"Case #{number} ")
    )


def fields(message: dict[str, Any]) -> dict[str, str]:
    """A case embed's fields by name."""
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


async def queue(bot: Bot) -> str:
    """What `/cases` shows a moderator (privately)."""
    bot.fake.slash("cases", user=MOD_ID, channel=MODLOG_ID)
    await settle()
    response = bot.fake.interaction_responses[-1]
    assert response["data"]["flags"] & 64
    return str(response["data"]["content"])


async def test_a_mixed_queue_is_worked_to_zero_with_buttons_and_commands(bot: Bot) -> None:
    """A lock, an appeal, a crisis with three follow-ups, a repeat lock: all resolved, audited."""
    first = await walk_to_lock(bot)  # case 1
    notice = bot.fake.sent(first)[-1]["content"]
    assert (
        "- To ask them to reopen it, appeal: press **Appeal** under the closing notice, or use "
        "`/appeal` in the thread." in notice
    )
    await appeal_by_form(bot, first, "it was for a chemistry class")  # case 2
    second = await walk_to_lock(bot)  # cases 3 (lock) and 4 (repeat locks)
    crisis = await open_thread(bot, "I want to kill myself")  # case 5
    for text in FOLLOW_UPS:
        await say(bot, crisis, text)
    shown = case_message(bot, 5)
    assert len([m for m in modlog(bot) if m["embeds"]]) == 5  # one message per case, no more
    assert shown["edits"] == 3 and fields(shown)["Signals"].startswith("4 (latest ")
    assert "||nobody would miss me||" in fields(shown)["Excerpts (spoilered)"]
    pings = [m for m in modlog(bot) if f"<@&{MOD_ROLE_ID}>" in m["content"]]
    assert len(pings) == 1  # the follow-ups came inside the ping interval

    listed = (await queue(bot)).splitlines()
    assert listed[0] == "**5 cases waiting**, 1 priority"
    assert listed[1].startswith("🔴 [#5 PRIORITY: user may be at risk](https://discord.com/")
    assert "(4 signals)" in listed[1]
    assert [line.split("]")[0].split(" ")[1] for line in listed[2:6]] == [
        "[#1",
        "[#2",
        "[#3",
        "[#4",
    ]

    await bot.fake.decide(int(shown["id"]), "tk:ack:5", user=MOD_ID)
    assert bot.fake.followups[-1]["content"] == "Done: case #5 acknowledged."
    assert fields(case_message(bot, 5))["State"] == f"Acknowledged by <@{MOD_ID}> ({MOD_ID})"
    assert "tk:ack:5" not in custom_ids(case_message(bot, 5))
    form = await bot.fake.decide(
        int(shown["id"]), "tk:resolve:5", user=MOD_ID, reason="talked with them; safe now"
    )
    assert form is not None and form["title"] == "Resolve the case"
    assert fields(case_message(bot, 5))["State"] == (
        f"Resolved by <@{MOD_ID}> ({MOD_ID}): talked with them; safe now"
    )
    assert custom_ids(case_message(bot, 5)) == ["tk:note:5"]

    appeal = case_message(bot, 2)
    await bot.fake.decide(int(appeal["id"]), "tk:uphold:2", user=MOD_ID, reason="it was not")
    assert dm_texts(bot.fake)[-1] == (
        "The moderators reviewed your appeal and kept the thread closed.\n"
        "Their reason: it was not\nYou can still start a fresh thread at any time."
    )
    bot.fake.slash(
        "unlock",
        user=MOD_ID,
        channel=second,
        options=[{"name": "reason", "type": 3, "value": "a false positive"}],
    )
    await settle()
    assert bot.fake.channels[second]["thread_metadata"]["locked"] is False
    repeat = case_message(bot, 4)
    await bot.fake.decide(int(repeat["id"]), "tk:pardon:4", user=MOD_ID, reason="first time")

    assert (await queue(bot)).startswith("The review queue is empty")
    assert "reversed 1, upheld 1 (reversal rate 50%)" in await queue(bot)
    assert case_changes(await exported_audit(bot.store))[3:] == [
        (5, "acknowledged", str(MOD_ID), False),
        (5, "resolved", str(MOD_ID), False),
        (1, "resolved", str(MOD_ID), False),
        (2, "resolved", str(MOD_ID), False),
        (3, "resolved", str(MOD_ID), False),
        (4, "resolved", str(MOD_ID), False),
    ]


async def test_a_moderator_closes_a_thread_with_a_reason(bot: Bot) -> None:
    """`/lock` in a thread: the notice quotes the reason and offers only Appeal; a case logs it."""
    thread = await open_thread(bot)
    bot.fake.slash(
        "lock",
        user=BOB_ID,
        channel=thread,
        options=[{"name": "reason", "type": 3, "value": "x"}],
    )
    await settle()
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is False  # not a moderator
    bot.fake.slash(
        "lock",
        user=MOD_ID,
        channel=thread,
        options=[{"name": "reason", "type": 3, "value": "sharing someone's address"}],
    )
    await settle()
    notice = bot.fake.sent(thread)[-1]
    assert notice["content"].splitlines()[:2] == [
        "A moderator has closed this thread.",
        "- Their reason: sharing someone's address",
    ]
    assert custom_ids(notice) == [f"tk:appeal:{ALICE_ID}"]  # no Continue from before
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is True
    assert modlog(bot)[-1]["embeds"][0]["title"] == "Case #1 · Thread closed by a moderator"
    assert bot.fake.followups[-1]["content"] == "Done: lock (case #1)."


async def test_close_from_a_crisis_case_needs_a_reason_and_keeps_the_case_open(bot: Bot) -> None:
    """Close thread on a crisis case asks why (required); the crisis still waits to be resolved."""
    thread = await open_thread(bot, "I want to kill myself")
    shown = case_message(bot, 1)
    form = await bot.fake.decide(
        int(shown["id"]), "tk:close:1", user=MOD_ID, reason="they asked us to close it"
    )
    assert form is not None and form["title"] == "Close the thread"
    assert form["components"][0]["components"][0]["required"] is True
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is True
    assert "- Their reason: they asked us to close it" in bot.fake.sent(thread)[-1]["content"]
    assert "#1" in await queue(bot)


async def test_a_grouped_crisis_pings_again_once_its_interval_has_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a zero interval each follow-up edits the case and pings the role in a short reply."""
    config = Settings(
        assistant=AssistantSettings(provider="offline"),
        policy=PolicySettings(crisis_ping_interval=timedelta(0)),
        discord=DiscordSettings(
            mod_log_channel=MODLOG_ID, moderator_role=MOD_ROLE_ID, ping_on_crisis=True
        ),
    )
    bot = await start_bot(tmp_path, monkeypatch, config=config)
    try:
        thread = await open_thread(bot, "I want to kill myself")
        await say(bot, thread, "I don't want to live anymore")
        case = case_message(bot, 1)
        again = modlog(bot)[-1]
        assert again["content"] == (
            f"<@&{MOD_ROLE_ID}> case #1 has 2 signals now: PRIORITY: user may be at risk. "
            "The case above is updated."
        )
        # The role and nothing else: no @everyone, no user, not even the replied-to author.
        assert again["allowed_mentions"] == {
            "parse": [],
            "roles": [MOD_ROLE_ID],
            "replied_user": False,
        }
        assert case["edits"] == 1
    finally:
        await stop_bot(bot)
