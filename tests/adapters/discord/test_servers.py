"""Several servers in one bot: each with its own mod log, case numbers, moderators and channels."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.interactions import NOT_HOSTED
from adapters.discord.service import DiscordService
from bot import notices
from bot.config import DiscordServer, Settings
from tests.adapters.discord.conftest import Bot, settings, start_bot, stop_bot
from tests.fakes.discord_fake import (
    CHANNEL_B_ID,
    CHANNEL_ID,
    GUILD_B_ID,
    GUILD_ID,
    MOD_B_ID,
    MOD_ID,
    MOD_ROLE_B_ID,
    MOD_ROLE_ID,
    MODLOG_B_ID,
    MODLOG_ID,
    OTHER_CHANNEL_ID,
    FakeDiscord,
    FakeHTTPError,
    settle,
)

BOMB = "how do I make a pipe bomb"
SERVER_B = DiscordServer(
    mod_log_channel=MODLOG_B_ID, moderator_role=MOD_ROLE_B_ID, where="discord.servers[1]"
)


def two_servers(*, b: DiscordServer = SERVER_B, **first: Any) -> Settings:
    """Server A from the top-level keys, server B from one [[discord.servers]] table."""
    return settings(servers=(b,), **first)


def two_guilds() -> FakeDiscord:
    """The fake Discord with server B added."""
    fake = FakeDiscord()
    fake.add_second_server()
    return fake


@pytest.fixture
async def bot2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    """A bot hosting servers A and B."""
    b = await start_bot(tmp_path, monkeypatch, config=two_servers(), fake=two_guilds())
    yield b
    await stop_bot(b)


async def open_thread(bot: Bot, text: str = "hi", *, channel: int = CHANNEL_ID) -> int:
    """Mention the bot in a channel; returns the new thread's id."""
    message = bot.fake.say(text, mention_bot=True, channel=channel)
    await settle()
    return int(message["id"])


async def walk_to_lock(bot: Bot, *, channel: int) -> int:
    """Open a thread in `channel` and send the four harmful messages that lock it."""
    thread = await open_thread(bot, channel=channel)
    for _ in range(4):
        bot.fake.say(BOMB, channel=thread)
        await settle()
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is True
    return thread


def titles(bot: Bot, modlog: int) -> list[str]:
    """The titles of the cases in one mod-log channel, oldest first."""
    return [m["embeds"][0]["title"] for m in bot.fake.sent(modlog)]


async def test_each_servers_cases_go_to_its_own_mod_log_with_its_own_numbers(bot2: Bot) -> None:
    """A lock in A is A's case #1 in A's mod log; a lock in B is B's case #1 in B's."""
    a = await walk_to_lock(bot2, channel=CHANNEL_ID)
    b = await walk_to_lock(bot2, channel=CHANNEL_B_ID)
    assert titles(bot2, MODLOG_ID) == ["Case #1 · Thread locked"]
    assert titles(bot2, MODLOG_B_ID) == ["Case #1 · Thread locked"]
    case_a = await bot2.store.case(workspace=str(GUILD_ID), number=1)
    case_b = await bot2.store.case(workspace=str(GUILD_B_ID), number=1)
    assert case_a is not None and case_a.thread is not None and case_a.thread.thread == str(a)
    assert case_b is not None and case_b.thread is not None and case_b.thread.thread == str(b)
    assert bot2.fake.channels[b]["guild_id"] == str(GUILD_B_ID)


async def test_a_moderator_role_of_one_server_gives_no_power_in_another(bot2: Bot) -> None:
    """A's moderator cannot unlock B's case; B's moderator can; and neither the other way."""
    thread = await walk_to_lock(bot2, channel=CHANNEL_B_ID)
    (case,) = bot2.fake.sent(MODLOG_B_ID)
    await bot2.fake.decide(int(case["id"]), "tk:unlock:1", user=MOD_ID)
    refusal = bot2.fake.interaction_responses[-1]
    assert refusal["data"]["content"] == notices.NOT_A_MODERATOR and refusal["data"]["flags"] & 64
    assert bot2.fake.channels[thread]["thread_metadata"]["locked"] is True

    await bot2.fake.decide(int(case["id"]), "tk:unlock:1", user=MOD_B_ID)
    assert bot2.fake.channels[thread]["thread_metadata"]["locked"] is False
    assert titles(bot2, MODLOG_B_ID)[-1].startswith("Case #2")

    await walk_to_lock(bot2, channel=CHANNEL_ID)
    (case_a,) = bot2.fake.sent(MODLOG_ID)
    await bot2.fake.decide(int(case_a["id"]), "tk:uphold:1", user=MOD_B_ID)
    assert bot2.fake.interaction_responses[-1]["data"]["content"] == notices.NOT_A_MODERATOR
    assert len(bot2.fake.sent(MODLOG_ID)) == 1


async def test_a_turn_is_marked_moderator_only_by_its_own_servers_role(bot2: Bot) -> None:
    """B's moderator writing in A is an ordinary user there (the Author record says so)."""
    seen: list[bool] = []
    handle = bot2.runtime.handle

    async def spy(event: Any) -> Any:
        seen.append(event.author.is_moderator)
        return await handle(event)

    bot2.runtime.handle = spy  # type: ignore[method-assign]
    bot2.fake.say("hello", mention_bot=True, author=MOD_B_ID, channel=CHANNEL_ID)
    await settle()
    bot2.fake.say("hello", mention_bot=True, author=MOD_B_ID, channel=CHANNEL_B_ID)
    await settle()
    assert seen == [False, True]


async def test_the_crisis_ping_uses_the_servers_own_setting_and_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B pings its own role on a crisis case; A, with pings off, mentions nobody."""
    b = DiscordServer(
        mod_log_channel=MODLOG_B_ID, moderator_role=MOD_ROLE_B_ID, ping_on_crisis=True
    )
    config = two_servers(b=b, ping_on_crisis=False)
    bot = await start_bot(tmp_path, monkeypatch, config=config, fake=two_guilds())
    try:
        await open_thread(bot, "I want to kill myself", channel=CHANNEL_ID)
        await open_thread(bot, "I want to kill myself", channel=CHANNEL_B_ID)
        (case_a,) = bot.fake.sent(MODLOG_ID)
        (case_b,) = bot.fake.sent(MODLOG_B_ID)
        assert not case_a["content"] and case_a["allowed_mentions"] == {"parse": []}
        assert case_b["content"].startswith(f"<@&{MOD_ROLE_B_ID}>")
        assert case_b["allowed_mentions"] == {"parse": [], "roles": [MOD_ROLE_B_ID]}
    finally:
        await stop_bot(bot)


async def test_each_server_has_its_own_channel_allow_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hosts only #random; B (no list) hosts every channel."""
    config = two_servers(channels=(OTHER_CHANNEL_ID,))
    bot = await start_bot(tmp_path, monkeypatch, config=config, fake=two_guilds())
    try:
        await open_thread(bot, channel=CHANNEL_ID)
        assert bot.fake.threads() == []
        await open_thread(bot, channel=OTHER_CHANNEL_ID)
        await open_thread(bot, channel=CHANNEL_B_ID)
        assert sorted(int(t["parent_id"]) for t in bot.fake.threads()) == sorted(
            [OTHER_CHANNEL_ID, CHANNEL_B_ID]
        )
    finally:
        await stop_bot(bot)


async def test_a_server_that_is_not_configured_is_ignored_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Mentions and clicks in a server without a mod log here do nothing; one warning says so."""
    bot = await start_bot(tmp_path, monkeypatch, fake=two_guilds())
    try:
        with caplog.at_level(logging.WARNING, logger="adapters.discord.intake"):
            await open_thread(bot, channel=CHANNEL_B_ID)
            await open_thread(bot, "again", channel=CHANNEL_B_ID)
        assert bot.fake.threads() == []
        warnings = [r for r in caplog.records if str(GUILD_B_ID) in r.getMessage()]
        assert len(warnings) == 1
        bot.fake.slash("unlock", user=MOD_B_ID, channel=CHANNEL_B_ID)
        await settle()
        assert bot.fake.interaction_responses[-1]["data"]["content"] == NOT_HOSTED
    finally:
        await stop_bot(bot)


async def test_check_looks_at_every_server_and_names_where_each_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each server's mod log and channels are checked; a wrong id names its table."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = two_guilds()
    b = DiscordServer(
        mod_log_channel=MODLOG_B_ID, channels=(CHANNEL_B_ID, 123), where="discord.servers[1]"
    )
    service = DiscordService(two_servers(b=b, channels=(CHANNEL_ID,)))
    fake.attach(service.client)
    try:
        (problem,) = await service.check()
    finally:
        await service.client.close()
    assert "Hosting channel 123 does not exist" in problem and "discord.servers[1]" in problem
    assert [c.params["guild_id"] for c in fake.calls("GET", "/guilds/{guild_id}")] == [
        str(GUILD_ID),
        str(GUILD_B_ID),
    ]


async def test_check_reports_a_hosting_channel_of_another_server_and_a_shared_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A channel listed under the wrong server, and two mod logs in one server, are problems."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = two_guilds()
    wrong = DiscordServer(
        mod_log_channel=MODLOG_B_ID, channels=(CHANNEL_ID,), where="discord.servers[1]"
    )
    same = DiscordServer(mod_log_channel=OTHER_CHANNEL_ID, where="discord.servers[2]")
    service = DiscordService(settings(servers=(wrong, same)))
    fake.attach(service.client)
    try:
        problems = await service.check()
    finally:
        await service.client.close()
    assert len(problems) == 2, problems
    assert (
        f"Hosting channel {CHANNEL_ID} (discord.servers[1].channels) is in server" in (problems[0])
    )
    assert "are in the same server" in problems[1] and "discord.servers[2]" in problems[1]


async def test_check_by_a_sharded_process_checks_permissions_only_on_its_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Holding shard 1 of 2 (server A), the process places B's mod log but leaves B's checks."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = two_guilds()
    assert fake.shard_of(GUILD_ID, 2) == 1 and fake.shard_of(GUILD_B_ID, 2) == 0
    service = DiscordService(two_servers(shard_count=2, shard_ids=(1,)))
    fake.attach(service.client)
    try:
        assert await service.check() == []
    finally:
        await service.client.close()
    fetched = {c.params["channel_id"] for c in fake.calls("GET", "/channels/{channel_id}")}
    assert fetched == {str(MODLOG_ID), str(MODLOG_B_ID)}
    guilds = [c.params["guild_id"] for c in fake.calls("GET", "/guilds/{guild_id}")]
    assert guilds == [str(GUILD_ID)]
    assert service._guild_servers[GUILD_B_ID].mod_log_channel == MODLOG_B_ID


async def test_ids_are_separate_per_server_and_the_first_server_is_unchanged(bot2: Bot) -> None:
    """The top-level keys stay the first server: same role, same mod log, same behaviour."""
    assert [s.mod_log_channel for s in bot2.service.servers] == [MODLOG_ID, MODLOG_B_ID]
    assert bot2.service.servers[0].moderator_role == MOD_ROLE_ID
    thread = await open_thread(bot2, channel=CHANNEL_ID)
    assert bot2.fake.sent(thread) and bot2.fake.threads()[0]["guild_id"] == str(GUILD_ID)


async def test_a_server_error_during_check_is_one_problem_and_the_rest_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord's 502 on A's mod log is one sentence; B is still checked, and the start goes on."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = two_guilds()
    fake.fail[("GET", "/channels/{channel_id}")] = [FakeHTTPError(502, 0, "bad gateway")]
    service = DiscordService(two_servers())
    fake.attach(service.client)
    try:
        (problem,) = await service.check()
    finally:
        await service.client.close()
    assert problem == f"Could not look up the mod-log channel {MODLOG_ID} (discord): HTTP 502."
    assert service._guild_servers[GUILD_B_ID].mod_log_channel == MODLOG_B_ID


async def test_each_server_posts_its_own_crisis_regions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server B's crisis_regions = ["FR"] gives its threads 3114 in French; A keeps the
    defaults (988); neither text is split."""
    b = replace(SERVER_B, crisis_regions=("FR",))
    bot = await start_bot(tmp_path, monkeypatch, config=two_servers(b=b), fake=two_guilds())
    try:
        in_b = await open_thread(bot, "je veux mourir", channel=CHANNEL_B_ID)
        in_a = await open_thread(bot, "I want to kill myself", channel=CHANNEL_ID)
        (french,) = [m["content"] for m in bot.fake.sent(in_b) if "3114" in m["content"]]
        assert french.startswith("Parler à quelqu'un peut aider.")
        assert "France: urgences 112" in french and "988" not in french.split("Canada")[0]
        assert any("988" in m["content"] for m in bot.fake.sent(in_a))
        assert not any("3114" in m["content"] for m in bot.fake.sent(in_a))
        assert [t.startswith("Case #1") for t in titles(bot, MODLOG_B_ID)] == [True]
    finally:
        await stop_bot(bot)
