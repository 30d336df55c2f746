"""Config: defaults, the example file, and one clear error per problem naming the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def problems(text: str, tmp_path: Path) -> list[str]:
    """The problems a TOML text produces."""
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    return info.value.problems


def test_defaults_without_a_file() -> None:
    """No file means the documented defaults."""
    s = config.load(None)
    assert s.policy.redirects_before_lock == 3
    assert s.policy.crisis_window == timedelta(hours=24)
    assert s.policy.crisis_resources_cooldown == timedelta(hours=2)


def test_example_config_is_valid_and_equals_the_defaults() -> None:
    """config.example.toml parses, and documents exactly the defaults."""
    s = config.load(ROOT / "config.example.toml")
    assert s.policy == config.Settings().policy
    assert s.assistant == config.Settings().assistant
    assert s.storage == config.Settings().storage


def test_example_config_documents_every_key() -> None:
    """Every key the loader accepts appears in the example file."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for section, keys in config._SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            assert (
                f"{key} =" in text or f"[{section}.{key}]" in text or f"[[{section}.{key}]]" in text
            ), key


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[policy]\nredirects_before_lock = 'three'",
            "policy.redirects_before_lock: expected a whole number",
        ),
        (
            "[policy]\nredirects_before_lock = 0",
            "policy.redirects_before_lock: expected a number at least 1",
        ),
        ("[policy]\nredirect_before_lock = 2", "policy.redirect_before_lock: unknown key"),
        ("[polcy]\nx = 1", "[polcy]: unknown section"),
        ("[policy.category_redirects]\nweapons = 1", "unknown category 'weapons'"),
        (
            "[policy]\ncrisis_window_hours = -1",
            "policy.crisis_window_hours: expected a number at least 0",
        ),
        ("[policy]\nwarn_first_after_recent_lock = 'yes'", "expected true or false"),
        (
            "[assistant]\nprovider = 'gpt'",
            "assistant.provider: expected one of auto, claude, offline",
        ),
        (
            "[assistant]\napi_key_env = 'sk-ant-123'",
            "assistant.api_key_env: expected the NAME of an environment variable",
        ),
        ("[console]\nusers = ['a']\nmoderators = ['a']", "console.moderators: a also listed"),
        (
            "[[crisis.resources]]\nregion = 'US'\nhow = 'x'\nverified_on = 2026-12-01",
            "crisis.resources[1].service: required",
        ),
    ],
)
def test_bad_values_name_the_key(toml: str, expected: str, tmp_path: Path) -> None:
    """Each mistake is one sentence that names the key and what was expected."""
    found = problems(toml, tmp_path)
    assert len(found) == 1, found
    assert expected in found[0]
    assert str(tmp_path / "c.toml") in found[0]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Several mistakes come back together, not one per run."""
    found = problems(
        "[policy]\nredirects_before_lock = 'x'\nnope = 1\n[assistant]\nprovider = 1", tmp_path
    )
    assert len(found) == 3


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    """A syntax error and a missing file are config errors, not tracebacks."""
    assert "not valid TOML" in problems("[policy\n", tmp_path)[0]
    with pytest.raises(ConfigError, match="cannot read"):
        config.load(tmp_path / "missing.toml")


def test_claude_provider_requires_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """provider = 'claude' without the variable set is an error naming the variable."""
    monkeypatch.delenv("TK_TEST_KEY", raising=False)
    found = problems("[assistant]\nprovider = 'claude'\napi_key_env = 'TK_TEST_KEY'", tmp_path)
    assert "TK_TEST_KEY is not set" in found[0]


def test_secrets_never_appear_in_reprs_or_descriptions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's value is read from the environment on use and never shown."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-value")
    s = config.load(None)
    assert s.assistant.api_key() == "sk-ant-secret-value"
    assert "sk-ant-secret-value" not in repr(s)
    assert "sk-ant-secret-value" not in config.describe(s)
    assert "ANTHROPIC_API_KEY (set)" in config.describe(s)


def test_category_threshold_applies() -> None:
    """A category's own N overrides the default for that category only."""
    s = config.parse({"policy": {"category_redirects": {"child_sexual_exploitation": 1}}})
    assert s.policy.redirects_for("child_sexual_exploitation") == 1
    assert s.policy.redirects_for("hate") == 3


# --- Discord: several servers, sharding ----------------------------------------------------------

SHARD_ENV = ("THREADKEEPER_SHARD_COUNT", "THREADKEEPER_SHARD_IDS")


@pytest.fixture
def no_shard_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The sharding variables unset, whatever the shell running the tests has."""
    for name in SHARD_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_discord_servers_follow_the_top_level_server(no_shard_env: pytest.MonkeyPatch) -> None:
    """The top-level keys are the first server; each [[discord.servers]] table adds one."""
    s = config.parse(
        {
            "discord": {
                "mod_log_channel": 11,
                "moderator_role": 12,
                "channels": [13],
                "servers": [
                    {"mod_log_channel": 21, "moderator_role": 22, "ping_on_crisis": True},
                    {"mod_log_channel": "31", "channels": [33, 34]},
                ],
            }
        }
    )
    assert s.discord is not None
    first, second, third = s.discord.all_servers()
    assert (first.mod_log_channel, first.moderator_role, first.channels) == (11, 12, (13,))
    assert first.where == "discord" and not first.ping_on_crisis
    assert (second.mod_log_channel, second.moderator_role, second.ping_on_crisis) == (21, 22, True)
    assert second.where == "discord.servers[1]" and second.channels == ()
    assert (third.mod_log_channel, third.channels, third.where) == (
        31,
        (33, 34),
        "discord.servers[2]",
    )
    assert s.discord.shard_count is None and s.discord.shard_ids == ()


def test_a_one_server_discord_config_is_unchanged(no_shard_env: pytest.MonkeyPatch) -> None:
    """An existing [discord] section means exactly one server, and no sharding."""
    s = config.parse({"discord": {"mod_log_channel": 11, "ping_on_crisis": True}})
    assert s.discord is not None and s.discord.servers == ()
    (only,) = s.discord.all_servers()
    assert only == config.DiscordServer(mod_log_channel=11, ping_on_crisis=True)


def test_every_server_may_be_a_table(no_shard_env: pytest.MonkeyPatch) -> None:
    """Without a top-level mod log, the servers are the tables alone."""
    s = config.parse({"discord": {"servers": [{"mod_log_channel": 21}, {"mod_log_channel": 31}]}})
    assert s.discord is not None
    assert [x.mod_log_channel for x in s.discord.all_servers()] == [21, 31]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[discord]\ntoken_env = 'DISCORD_TOKEN'", "discord.mod_log_channel: required"),
        (
            "[discord]\nmod_log_channel = 1\n[[discord.servers]]\nmod_log_channel = 2\n"
            "[[discord.servers]]\nmoderator_role = 3",
            "discord.servers[2].mod_log_channel: required",
        ),
        (
            "[discord]\n[[discord.servers]]\nmod_log_channel = 0",
            "discord.servers[1].mod_log_channel: required",
        ),
        (
            "[discord]\nmod_log_channel = 1\n[[discord.servers]]\nmod_log_channel = 1",
            "discord.servers[1].mod_log_channel: channel 1 is already the mod log of discord",
        ),
        (
            "[discord]\n[[discord.servers]]\nmod_log_channel = 5\n"
            "[[discord.servers]]\nmod_log_channel = 5",
            "discord.servers[2].mod_log_channel: channel 5 is already the mod log of "
            "discord.servers[1]",
        ),
        (
            "[discord]\nmod_log_channel = 1\nchannels = [7]\n"
            "[[discord.servers]]\nmod_log_channel = 2\nchannels = [7]",
            "discord.servers[1].channels: channel 7 is also listed in discord.channels",
        ),
        (
            "[discord]\nmod_log_channel = 1\n[[discord.servers]]\nmod_log_channel = 2\nrole = 3",
            "discord.servers[1].role: unknown key; [[discord.servers]] takes channels",
        ),
        (
            "[discord]\nmod_log_channel = 1\n[[discord.servers]]\nmod_log_channel = 2\n"
            "channels = 3",
            "discord.servers[1].channels: expected a list of Discord channel ids",
        ),
        (
            "[discord]\nmod_log_channel = 1\n[[discord.servers]]\nmod_log_channel = 'log'",
            "discord.servers[1].mod_log_channel: expected a Discord id",
        ),
        ("[discord]\nmod_log_channel = 1\nservers = 3", "discord.servers: expected an array"),
        (
            "[discord]\nmoderator_role = 4\n[[discord.servers]]\nmod_log_channel = 2",
            "discord.moderator_role: belongs to the first server",
        ),
        (
            "[discord]\nmod_log_channel = 1\nshard_count = 0",
            "discord.shard_count: expected a number at least 1",
        ),
        (
            "[discord]\nmod_log_channel = 1\nshard_ids = [0]",
            "discord.shard_ids: shard ids need the number of shards: set discord.shard_count",
        ),
        (
            "[discord]\nmod_log_channel = 1\nshard_count = 2\nshard_ids = [0, 2]",
            "discord.shard_ids: 2 out of range: with discord.shard_count = 2, shard ids run "
            "from 0 to 1",
        ),
        (
            "[discord]\nmod_log_channel = 1\nshard_count = 2\nshard_ids = [1, 1]",
            "discord.shard_ids: listed more than once: 1",
        ),
        (
            "[discord]\nmod_log_channel = 1\nshard_count = 2\nshard_ids = '0,1'",
            "discord.shard_ids: expected a list of shard ids",
        ),
    ],
)
def test_discord_mistakes_name_the_key(
    toml: str, expected: str, tmp_path: Path, no_shard_env: pytest.MonkeyPatch
) -> None:
    """Each Discord mistake is one sentence naming the key, a table's by its number from 1."""
    found = problems(toml, tmp_path)
    assert len(found) == 1, found
    assert expected in found[0], found[0]


def test_the_environment_overrides_the_shards(no_shard_env: pytest.MonkeyPatch) -> None:
    """THREADKEEPER_SHARD_COUNT and _IDS win over the file, so one file serves every process."""
    data = {
        "discord": {"mod_log_channel": 1, "shard_count": 2, "shard_ids": [0]},
        "storage": {"url": "postgresql://db/tk"},  # shards split across processes share a store
    }
    no_shard_env.setenv("THREADKEEPER_SHARD_IDS", " 1 , 3 ")
    no_shard_env.setenv("THREADKEEPER_SHARD_COUNT", "4")
    s = config.parse(data)
    assert s.discord is not None
    assert (s.discord.shard_count, s.discord.shard_ids) == (4, (1, 3))
    no_shard_env.delenv("THREADKEEPER_SHARD_COUNT")
    no_shard_env.setenv("THREADKEEPER_SHARD_IDS", "1")
    s = config.parse(data)
    assert s.discord is not None
    assert (s.discord.shard_count, s.discord.shard_ids) == (2, (1,))
    no_shard_env.setenv("THREADKEEPER_SHARD_IDS", "")  # an empty variable is no override
    s = config.parse(data)
    assert s.discord is not None and s.discord.shard_ids == (0,)
    assert config.parse({}).discord is None  # without [discord], the variables change nothing


@pytest.mark.parametrize(
    ("env", "data", "expected"),
    [
        (
            {"THREADKEEPER_SHARD_COUNT": "two"},
            {},
            "THREADKEEPER_SHARD_COUNT: expected a whole number at least 1, got 'two'",
        ),
        ({"THREADKEEPER_SHARD_COUNT": "0"}, {}, "THREADKEEPER_SHARD_COUNT: expected a whole"),
        (
            {"THREADKEEPER_SHARD_IDS": "0;1"},
            {"shard_count": 2},
            "THREADKEEPER_SHARD_IDS: expected shard ids separated by commas, like 0,1; got '0;1'",
        ),
        (
            {"THREADKEEPER_SHARD_IDS": "0,,1"},
            {"shard_count": 2},
            "THREADKEEPER_SHARD_IDS: expected",
        ),
        (
            {"THREADKEEPER_SHARD_IDS": "3"},
            {"shard_count": 2},
            "THREADKEEPER_SHARD_IDS: 3 out of range: with discord.shard_count = 2",
        ),
        (
            {"THREADKEEPER_SHARD_IDS": "1", "THREADKEEPER_SHARD_COUNT": "1"},
            {"shard_count": 2},
            "THREADKEEPER_SHARD_IDS: 1 out of range: with THREADKEEPER_SHARD_COUNT = 1",
        ),
        (
            {"THREADKEEPER_SHARD_IDS": "0,0"},
            {"shard_count": 2},
            "THREADKEEPER_SHARD_IDS: listed more than once: 0",
        ),
        (
            {"THREADKEEPER_SHARD_IDS": "0"},
            {},
            "THREADKEEPER_SHARD_IDS: shard ids need the number of shards",
        ),
    ],
)
def test_a_bad_shard_variable_is_named(
    env: dict[str, str],
    data: dict[str, object],
    expected: str,
    no_shard_env: pytest.MonkeyPatch,
) -> None:
    """A malformed or inconsistent environment value is an error naming the variable."""
    for name, value in env.items():
        no_shard_env.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        config.parse({"discord": {"mod_log_channel": 1, **data}})
    assert len(info.value.problems) == 1, info.value.problems
    assert expected in info.value.problems[0], info.value.problems[0]


# --- storage for several processes, and the Slack API address ---------------------------------


def test_storage_url_leases_and_sweeps(tmp_path: Path) -> None:
    """storage.url names the PostgreSQL database; lease and sweep are seconds."""
    path = tmp_path / "c.toml"
    path.write_text(
        '[storage]\nurl = "postgresql://tk@db/tk"\nlease_seconds = 30\nsweep_seconds = 5\n'
        '[slack]\nmod_log_channel = "C1"\napi_url = "https://slack-gov.com/api/"\n',
        encoding="utf-8",
    )
    s = config.load(path)
    assert s.storage.path == "postgresql://tk@db/tk"
    assert s.storage.lease == timedelta(seconds=30)
    assert s.storage.sweep_interval == timedelta(seconds=5)
    assert s.slack is not None and s.slack.api_url == "https://slack-gov.com/api/"
    assert config.Settings().storage.lease == timedelta(seconds=60)


def test_storage_and_slack_api_errors_name_the_key(tmp_path: Path) -> None:
    """path and url together, a lease under a second, an API URL without its slash."""
    found = problems(
        '[storage]\npath = "a.db"\nurl = "postgresql://x/y"\nlease_seconds = 0\n'
        '[slack]\nmod_log_channel = "C1"\napi_url = "https://slack.com/api"\n',
        tmp_path,
    )
    assert any(
        p.endswith("storage.url: give storage.path or storage.url, not both (one setting)")
        for p in found
    ), found
    assert any("storage.lease_seconds" in p for p in found), found
    assert any("slack.api_url" in p and "ending in '/'" in p for p in found), found


def test_shards_split_across_processes_need_postgresql(tmp_path: Path) -> None:
    """Shard 1 of 2 alone on SQLite is refused; with PostgreSQL, or all shards, it is not."""
    discord = "[discord]\nmod_log_channel = 111111111111111111\nshard_count = 2\n"
    found = problems(discord + "shard_ids = [1]\n", tmp_path)
    assert any(p.endswith("set storage.url to a postgresql:// URL") for p in found), found
    for extra in ("shard_ids = [0, 1]\n", '[storage]\nurl = "postgresql://db/tk"\n'):
        path = tmp_path / "ok.toml"
        path.write_text(discord + extra, encoding="utf-8")
        config.load(path)


def test_the_sweep_must_renew_leases_in_time(tmp_path: Path) -> None:
    """A sweep slower than half the lease would let a live process's work be taken over."""
    found = problems("[storage]\nlease_seconds = 10\nsweep_seconds = 6\n", tmp_path)
    assert any("storage.sweep_seconds: at most half of storage.lease_seconds" in p for p in found)
