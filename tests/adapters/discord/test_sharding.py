"""Sharding: the client per config, who syncs the slash commands, and actions for another shard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from adapters.discord import translate
from adapters.discord.client import (
    ShardedThreadkeeperClient,
    ThreadkeeperClient,
    syncs_commands,
)
from adapters.discord.service import DiscordService
from bot import config as config_mod
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.config import DiscordServer, DiscordSettings
from bot.errors import ConfigError, DeliveryError
from bot.records import Action, Case, ThreadRef
from bot.runtime import Runtime
from bot.store import open_store
from tests.adapters.discord.conftest import Bot, settings, start_bot, stop_bot
from tests.fakes.discord_fake import (
    ALICE_ID,
    CHANNEL_B_ID,
    GUILD_B_ID,
    GUILD_ID,
    MOD_ROLE_B_ID,
    MODLOG_B_ID,
    MODLOG_ID,
    FakeDiscord,
    FakeHTTPError,
    settle,
)

SEND = "/channels/{channel_id}/messages"
CHANNEL = "/channels/{channel_id}"
SYNC = "/applications/{application_id}/commands"
SERVER_B = DiscordServer(
    mod_log_channel=MODLOG_B_ID, moderator_role=MOD_ROLE_B_ID, where="discord.servers[1]"
)


def sharded(ids: tuple[int, ...], count: int = 2) -> config_mod.Settings:
    """Servers A (shard 1 of 2) and B (shard 0 of 2), this process holding `ids`."""
    return settings(servers=(SERVER_B,), shard_count=count, shard_ids=ids)


def two_guilds() -> FakeDiscord:
    """The fake Discord with server B added."""
    fake = FakeDiscord()
    fake.add_second_server()
    assert fake.shard_of(GUILD_ID, 2) == 1 and fake.shard_of(GUILD_B_ID, 2) == 0
    return fake


async def test_the_client_is_sharded_only_when_a_shard_count_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No count: the plain client; a count: AutoShardedClient with the ids; both mention nobody."""
    plain = DiscordService(settings()).client
    assert type(plain) is ThreadkeeperClient
    assert not isinstance(plain, discord.AutoShardedClient)
    some = DiscordService(sharded((1,))).client
    every = DiscordService(sharded(())).client
    for client in (plain, some, every):
        assert client.allowed_mentions is not None
        assert client.allowed_mentions.to_dict() == {"parse": []}
        assert client.intents.message_content and not client.intents.members
        assert isinstance(client.tree, discord.app_commands.CommandTree)
        await client.close()
    assert isinstance(some, ShardedThreadkeeperClient)
    assert isinstance(some, discord.AutoShardedClient)
    assert some.shard_ids == [1] and some.shard_count == 2
    assert isinstance(every, discord.AutoShardedClient)
    assert every.shard_ids is None and every.shard_count == 2  # all shards, 0 and 1


async def test_the_environment_picks_this_processs_shards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One config file, THREADKEEPER_SHARD_IDS per process: the client connects those shards."""
    monkeypatch.setenv("THREADKEEPER_SHARD_IDS", "2,3")
    monkeypatch.setenv("THREADKEEPER_SHARD_COUNT", "4")
    parsed = config_mod.parse(
        {
            "discord": {"mod_log_channel": MODLOG_ID, "shard_count": 2, "shard_ids": [0]},
            "storage": {"url": "postgresql://db/tk"},
        }
    )
    client = DiscordService(parsed).client
    try:
        assert isinstance(client, discord.AutoShardedClient)
        assert client.shard_ids == [2, 3] and client.shard_count == 4
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("count", "ids", "syncs"),
    [
        (None, (), True),  # not sharded
        (2, (), True),  # one process holds every shard
        (2, (0,), True),
        (3, (1, 0), True),
        (2, (1,), False),
        (4, (2, 3), False),
    ],
)
def test_only_the_process_holding_shard_zero_syncs_the_commands(
    count: int | None, ids: tuple[int, ...], syncs: bool
) -> None:
    """Slash commands are global: exactly one process (shard 0's) writes them."""
    config = DiscordSettings(mod_log_channel=MODLOG_ID, shard_count=count, shard_ids=ids)
    assert syncs_commands(config) is syncs


async def test_a_process_without_shard_zero_runs_the_commands_it_did_not_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Holding shard 1 only: no sync call, yet `/policy` in its server is answered."""
    bot = await start_bot(tmp_path, monkeypatch, config=sharded((1,)), fake=two_guilds())
    try:
        assert bot.fake.calls("PUT", SYNC) == []
        assert bot.service.client.get_guild(GUILD_ID) is not None
        assert bot.service.client.get_guild(GUILD_B_ID) is None  # on shard 0, not held here
        bot.fake.slash("policy", user=ALICE_ID)
        await settle()
        answer = bot.fake.interaction_responses[-1]
        assert answer["type"] == 4 and answer["data"]["flags"] & 64
    finally:
        await stop_bot(bot)


async def test_the_process_holding_shard_zero_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Holding shards 0 and 1: the commands are synced once, and both servers are in the cache."""
    bot = await start_bot(tmp_path, monkeypatch, config=sharded((0, 1)), fake=two_guilds())
    try:
        assert len(bot.fake.calls("PUT", SYNC)) == 1
        assert bot.service.client.get_guild(GUILD_B_ID) is not None
    finally:
        await stop_bot(bot)


# --- actions for a server on another process's shard ---------------------------------------------


@pytest.fixture
async def shard1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    """A process holding shard 1 of 2: server A in its cache, server B (shard 0) not."""
    bot = await start_bot(tmp_path, monkeypatch, config=sharded((1,)), fake=two_guilds())
    assert bot.service.client.get_guild(GUILD_B_ID) is None
    yield bot
    await stop_bot(bot)


def b_thread(bot: Bot) -> tuple[int, ThreadRef]:
    """A thread in server B that this process has never seen."""
    thread = bot.fake.add_thread(CHANNEL_B_ID)
    ref = translate.thread_ref(guild_id=GUILD_B_ID, parent_id=CHANNEL_B_ID, thread_id=thread)
    assert bot.service.client.get_channel(thread) is None
    return thread, ref


def case_for(ref: ThreadRef, number: int = 1, *, workspace: str | None = None) -> Case:
    """A lock case in the thread's server."""
    return Case(
        number=number,
        kind="lock",
        workspace=workspace or ref.workspace,
        user_id=str(ALICE_ID),
        actor="threadkeeper",
        created_at=datetime.now(UTC),
        thread=ref,
        category="violent_crimes",
        strikes=3,
        summary="locked after 3 redirected requests",
    )


async def test_owed_actions_for_a_server_on_another_shard_are_carried_out_over_rest(
    shard1: Bot,
) -> None:
    """Notice, lock, case, unlock and a private notice for server B, with B never in the cache."""
    bot = shard1
    thread, ref = b_thread(bot)
    perform = bot.service.perform

    await perform(Action(kind="notice", thread=ref, text="a fixed notice"), key="tk-n1")
    lock = Action(kind="lock", thread=ref, text="closed", user_id=str(ALICE_ID))
    await perform(lock, key="tk-l1")
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is True
    await perform(Action(kind="case", thread=ref, case=1), key="tk-c1", case=case_for(ref))
    await perform(Action(kind="unlock", thread=ref, text="reopened"), key="tk-u1")
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is False
    private = Action(kind="private_notice", thread=ref, text="just for you", user_id=str(ALICE_ID))
    await perform(private, key="tk-p1")

    assert [m["content"] for m in bot.fake.sent(thread)] == [
        "a fixed notice",
        "closed",
        "reopened",
    ]
    assert bot.fake.sent(thread)[1]["components"]  # the Appeal button rides on the lock notice
    (case,) = bot.fake.sent(MODLOG_B_ID)
    assert case["embeds"][0]["title"] == "Case #1 · Thread locked"
    assert case["guild_id"] == str(GUILD_B_ID)
    assert bot.fake.sent(MODLOG_ID) == []  # not server A's mod log
    dms = [c for c in bot.fake.channels.values() if c["type"] == 1]
    assert [m["content"] for m in bot.fake.sent(int(dms[0]["id"]))] == ["just for you"]
    # Server B's mod log was looked up once over REST; B never entered the cache.
    lookups = [
        c for c in bot.fake.calls("GET", CHANNEL) if c.params["channel_id"] == str(MODLOG_B_ID)
    ]
    assert len(lookups) == 1
    await perform(Action(kind="case", thread=ref, case=2), key="tk-c2", case=case_for(ref, 2))
    lookups = [
        c for c in bot.fake.calls("GET", CHANNEL) if c.params["channel_id"] == str(MODLOG_B_ID)
    ]
    assert len(lookups) == 1 and len(bot.fake.sent(MODLOG_B_ID)) == 2
    assert bot.service.client.get_guild(GUILD_B_ID) is None


async def test_a_case_for_a_server_without_a_mod_log_here_is_not_retried(shard1: Bot) -> None:
    """A server no [[discord.servers]] table names: a permanent delivery error saying so."""
    _, ref = b_thread(shard1)
    stray = case_for(ref, workspace="900000000000777777")
    with pytest.raises(DeliveryError) as failed:
        await shard1.service.perform(Action(kind="case", thread=ref), key="tk-x", case=stray)
    assert not failed.value.retryable
    assert "[[discord.servers]]" in str(failed.value)
    assert shard1.fake.sent(MODLOG_B_ID) == []


async def test_a_failed_mod_log_lookup_is_retryable_and_then_succeeds(shard1: Bot) -> None:
    """Discord's 503 while finding B's mod log: retryable; the next attempt posts the case."""
    _, ref = b_thread(shard1)
    shard1.fake.fail[("GET", CHANNEL)] = [FakeHTTPError(503, 0, "unavailable")]
    action = Action(kind="case", thread=ref, case=1)
    with pytest.raises(DeliveryError) as failed:
        await shard1.service.perform(action, key="tk-r", case=case_for(ref))
    assert failed.value.retryable
    await shard1.service.perform(action, key="tk-r", case=case_for(ref), retry=True)
    assert len(shard1.fake.sent(MODLOG_B_ID)) == 1


async def test_a_hidden_mod_log_is_not_asked_for_again_at_once(shard1: Bot) -> None:
    """A 403 on B's mod log is a permanent error, and is not looked up again at every case."""
    _, ref = b_thread(shard1)
    shard1.fake.fail[("GET", CHANNEL)] = [FakeHTTPError(403, 50001, "Missing Access")]
    action = Action(kind="case", thread=ref, case=1)
    for _ in range(2):
        with pytest.raises(DeliveryError) as failed:
            await shard1.service.perform(action, key="tk-h", case=case_for(ref))
        assert not failed.value.retryable
    assert len(shard1.fake.calls("GET", CHANNEL)) == 1


async def test_a_refused_token_stops_a_sharded_client_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` with a bad token ends in a ConfigError naming it, and the client is closed."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = FakeDiscord()
    fake.fail[("GET", "/users/@me")] = [FakeHTTPError(401, 0, "401: Unauthorized")]
    config = sharded((0,))
    service = DiscordService(config)
    fake.attach(service.client)
    store = await open_store(str(tmp_path / "bot.db"))
    runtime = Runtime(
        settings=config,
        store=store,
        assistant=OfflineAssistant(),
        classifier=NoClassifier(),
        adapters={"discord": service},
    )
    try:
        with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
            await service.serve(runtime)
        assert service.client.is_closed()
    finally:
        await store.close()
