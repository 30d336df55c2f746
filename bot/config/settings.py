"""TOML plus environment into frozen settings, with one readable error per problem.

Secrets never appear in the file: it names the environment variable that holds each one
(`api_key_env = "ANTHROPIC_API_KEY"`), so a config can be committed and shared, and a secret never
reaches a repr or a log line. Unknown keys are errors: a misspelt threshold silently falling back to
its default is exactly the kind of surprise a moderation bot must not have.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.records import CATEGORIES

log = logging.getLogger(__name__)

DEFAULT_REPLY_MODEL = "claude-sonnet-5-5"
DEFAULT_CLASSIFIER_MODEL = "claude-haiku-5-5"


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicySettings:
    """The moderation ladder's thresholds (see bot/policy.py for how each is used)."""

    redirects_before_lock: int = 3
    category_redirects: Mapping[str, int] = field(default_factory=dict)
    benign_turns_to_clear_strike: int = 3
    crisis_window: timedelta = timedelta(hours=24)
    crisis_resources_cooldown: timedelta = timedelta(hours=2)
    repeat_lock_count: int = 2
    repeat_lock_window: timedelta = timedelta(days=7)
    warn_first_after_recent_lock: bool = False

    def redirects_for(self, category: str) -> int:
        """N for a category: its own setting if it has one, else the default."""
        return self.category_redirects.get(category, self.redirects_before_lock)


@dataclass(frozen=True, kw_only=True, slots=True)
class AssistantSettings:
    """Which assistant answers, and the Claude models and limits when it is Claude."""

    provider: str = "auto"  # auto: Claude when the key is set, otherwise offline
    api_key_env: str = "ANTHROPIC_API_KEY"
    reply_model: str = DEFAULT_REPLY_MODEL
    classifier_model: str = DEFAULT_CLASSIFIER_MODEL
    classifier_deadline: timedelta = timedelta(seconds=8)
    reply_timeout: timedelta = timedelta(seconds=60)
    stall_timeout: timedelta = timedelta(seconds=15)
    max_attempts: int = 3
    max_retry_wait: timedelta = timedelta(seconds=5)
    max_reply_tokens: int = 1024
    history_turns: int = 40
    history_tokens: int = 12000

    def api_key(self) -> str | None:
        """The key from the environment, read at the moment it is needed and never stored."""
        return os.environ.get(self.api_key_env) or None

    def uses_claude(self) -> bool:
        """True when replies and assessments come from Claude rather than the offline assistant."""
        if self.provider == "offline":
            return False
        return self.provider == "claude" or self.api_key() is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class Price:
    """US dollars per million tokens of each kind, for one model."""

    input: float
    output: float
    cache_write: float
    cache_read: float


#: List prices of the Sonnet and Haiku tiers (per million tokens) when this table was written;
#: check Anthropic's pricing page and override in [prices."model-id"] before relying on costs.
DEFAULT_PRICES: dict[str, Price] = {
    DEFAULT_REPLY_MODEL: Price(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30),
    DEFAULT_CLASSIFIER_MODEL: Price(input=1.0, output=5.0, cache_write=1.25, cache_read=0.10),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class LimitSettings:
    """Limits that protect people and budgets. 0 turns a limit off."""

    #: Messages a user may send per minute before the bot asks them to slow down.
    user_messages_per_minute: int = 12
    #: Longest message the bot reads; the rest is cut (and the user told).
    max_message_chars: int = 8000
    #: Model tokens (input, output and cache writes; cache reads count a tenth) per UTC day.
    thread_tokens_per_day: int = 200_000
    workspace_tokens_per_day: int = 5_000_000
    #: Turns that may be calling the model at once, across all threads.
    max_concurrent_model_calls: int = 8
    #: How long a stop (SIGTERM) waits for turns in flight before cutting them off.
    shutdown_grace: timedelta = timedelta(seconds=20)


@dataclass(frozen=True, kw_only=True, slots=True)
class StorageSettings:
    """Where the bot keeps its state."""

    #: An SQLite file (one process), or a postgresql:// URL (any number of processes).
    path: str = "threadkeeper.db"
    excerpt_chars: int = 300
    retention: timedelta | None = None
    #: On PostgreSQL: how long after a process last renewed its leases (it does every sweep)
    #: the others presume it dead and take over the messages and actions it held.
    lease: timedelta = timedelta(seconds=60)
    #: On PostgreSQL: how often each process renews its leases and looks for a dead one's work.
    sweep_interval: timedelta = timedelta(seconds=15)


@dataclass(frozen=True, kw_only=True, slots=True)
class CrisisResource:
    """One line of the crisis table."""

    region: str
    service: str
    how: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CrisisSettings:
    """Which reviewed crisis resources are posted; empty `resources` means the built-in table."""

    regions: tuple[str, ...] = ()
    resources: tuple[CrisisResource, ...] = ()
    verified_on: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsoleSettings:
    """The terminal adapter: the named users a person can switch between."""

    users: tuple[str, ...] = ("alice", "bob")
    moderators: tuple[str, ...] = ("mod",)
    color: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class DiscordServer:
    """One Discord server the bot hosts threads in, known by the server of its mod-log channel."""

    #: The channel that receives one embed per case; its server is the one hosted.
    mod_log_channel: int
    #: Members with this role may moderate here (as may anyone with Manage Threads); 0 for none.
    #: It is also the one ping the bot ever sends: on a crisis case, when `ping_on_crisis` is true.
    moderator_role: int = 0
    ping_on_crisis: bool = False
    #: Channels where a mention opens a thread; empty means every channel the bot can read.
    channels: tuple[int, ...] = ()
    #: Where this server is configured, for messages: "discord" or "discord.servers[2]".
    where: str = "discord"


@dataclass(frozen=True, kw_only=True, slots=True)
class DiscordSettings:
    """The Discord adapter: on when the section is present and its token variable is set.

    The top-level `mod_log_channel`, `moderator_role`, `ping_on_crisis` and `channels` are the
    first server; each `[[discord.servers]]` table adds one more (see `all_servers`).
    """

    token_env: str = "DISCORD_TOKEN"
    #: The first server's mod-log channel (0 when every server is under `servers`).
    mod_log_channel: int = 0
    #: The first server's moderator role, crisis ping and hosting channels (see DiscordServer).
    moderator_role: int = 0
    ping_on_crisis: bool = False
    channels: tuple[int, ...] = ()
    #: Further servers, from `[[discord.servers]]`.
    servers: tuple[DiscordServer, ...] = ()
    #: Gateway shards across every process (None: not sharded, one plain connection), and the
    #: shards this process connects (empty: all of them). Discord requires sharding from 2,500
    #: servers; THREADKEEPER_SHARD_COUNT and THREADKEEPER_SHARD_IDS override these per process.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] = ()

    def token(self) -> str | None:
        """The bot token from the environment."""
        return os.environ.get(self.token_env) or None

    def all_servers(self) -> tuple[DiscordServer, ...]:
        """Every hosted server: the top-level one (when it has a mod log) first."""
        first: tuple[DiscordServer, ...] = ()
        if self.mod_log_channel:
            first = (
                DiscordServer(
                    mod_log_channel=self.mod_log_channel,
                    moderator_role=self.moderator_role,
                    ping_on_crisis=self.ping_on_crisis,
                    channels=self.channels,
                ),
            )
        return first + self.servers


@dataclass(frozen=True, kw_only=True, slots=True)
class SlackSettings:
    """The Slack adapter: Socket Mode with an app token, else HTTP with signed requests."""

    bot_token_env: str = "SLACK_BOT_TOKEN"
    app_token_env: str = "SLACK_APP_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    #: The channel id (C...) that receives one message per case.
    mod_log_channel: str = ""
    #: User ids (U...) allowed to moderate, and/or a user group id (S...) whose members may.
    moderators: tuple[str, ...] = ()
    moderator_group: str = ""
    #: The port for HTTP mode.
    port: int = 3000
    slash_command: str = "/threadkeeper"
    #: The Web API's base URL: Slack's own, or GovSlack's ("https://slack-gov.com/api/").
    api_url: str = "https://slack.com/api/"

    def bot_token(self) -> str | None:
        """The bot token (xoxb-...) from the environment."""
        return os.environ.get(self.bot_token_env) or None

    def app_token(self) -> str | None:
        """The app-level token (xapp-...) for Socket Mode, when set."""
        return os.environ.get(self.app_token_env) or None

    def signing_secret(self) -> str | None:
        """The signing secret for HTTP mode."""
        return os.environ.get(self.signing_secret_env) or None


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """Everything the bot is configured with, validated and frozen."""

    name: str = "threadkeeper"
    policy: PolicySettings = field(default_factory=PolicySettings)
    assistant: AssistantSettings = field(default_factory=AssistantSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    crisis: CrisisSettings = field(default_factory=CrisisSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    prices: Mapping[str, Price] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    #: None when the config has no [discord] / [slack] section.
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None
    source: str = "<defaults>"


# --- validation ----------------------------------------------------------------------------------
# Each key maps to (field name, converter). A converter returns the value or raises ValueError with
# what was expected; the loader adds the key's dotted name so every message says where to look.

Converter = Callable[[Any], Any]


def _int(minimum: int, maximum: int | None = None) -> Converter:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise ValueError(f"expected a number at least {minimum}{upper}, got {value}")
        return value

    return convert


def _number(minimum: float, unit: Callable[[float], timedelta]) -> Converter:
    def convert(value: Any) -> timedelta:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        if value < minimum:
            raise ValueError(f"expected a number at least {minimum}, got {value}")
        return unit(value)

    return convert


def _minutes(minimum: float = 0) -> Converter:
    return _number(minimum, lambda v: timedelta(minutes=v))


def _hours(minimum: float = 0) -> Converter:
    return _number(minimum, lambda v: timedelta(hours=v))


def _seconds(minimum: float = 0) -> Converter:
    return _number(minimum, lambda v: timedelta(seconds=v))


def _url(value: Any) -> str:
    text = _str(value)
    if not text.startswith(("https://", "http://")) or not text.endswith("/"):
        raise ValueError(f"expected an http(s) URL ending in '/', got {text!r}")
    return text


def _days_or_none(value: Any) -> timedelta | None:
    if value == 0:
        return None
    days: timedelta = _number(1, lambda v: timedelta(days=v))(value)
    return days


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _choice(*options: str) -> Converter:
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    return convert


def _env_name(value: Any) -> str:
    text = _str(value)
    if not text.replace("_", "").isalnum() or not text[0].isalpha():
        raise ValueError(
            "expected the NAME of an environment variable (like ANTHROPIC_API_KEY), got a value "
            "that is not one; secrets go in the environment, never in this file"
        )
    return text


def _snowflake(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a Discord id (a number; 0 for none), got {value!r}")
    return value


def _snowflakes(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of Discord channel ids, got {value!r}")
    return tuple(_snowflake(v) for v in value)


def _slack_id(prefixes: str) -> Converter:
    def convert(value: Any) -> str:
        if not isinstance(value, str) or (value and value[:1] not in prefixes):
            raise ValueError(
                f"expected a Slack id starting with {' or '.join(prefixes)}, got {value!r}"
            )
        return value

    return convert


def _slack_ids(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of Slack user ids (U...), got {value!r}")
    return tuple(_slack_id("UW")(v) for v in value)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"expected a list of names, got {value!r}")
    return tuple(value)


def _category_map(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ValueError("expected a table of category = number")
    out: dict[str, int] = {}
    for category, n in value.items():
        if category not in CATEGORIES or category == "none":
            raise ValueError(
                f"unknown category {category!r}; expected one of "
                f"{', '.join(c for c in CATEGORIES if c != 'none')}"
            )
        out[category] = _int(0, 20)(n)
    return out


def _prices(value: Any) -> dict[str, Price]:
    if not isinstance(value, dict):
        raise ValueError('expected tables like [prices."claude-sonnet-5-5"]')
    out = dict(DEFAULT_PRICES)
    for model, table in value.items():
        keys = {"input", "output", "cache_write", "cache_read"}
        if not isinstance(table, dict) or set(table) != keys:
            raise ValueError(f"{model}: expected exactly the keys {', '.join(sorted(keys))}")
        numbers = {}
        for k in sorted(keys):
            v = table[k]
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise ValueError(f"{model}.{k}: expected dollars per million tokens, got {v!r}")
            numbers[k] = float(v)
        out[model] = Price(**numbers)
    return out


def _resources(value: Any) -> tuple[CrisisResource, ...]:
    if not isinstance(value, list):
        raise ValueError("expected an array of tables ([[crisis.resources]])")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"region", "service", "how"}:
            raise ValueError(f"entry {i + 1}: expected exactly the keys region, service and how")
        out.append(CrisisResource(**{k: _str(item[k]) for k in ("region", "service", "how")}))
    return tuple(out)


#: The keys of one [[discord.servers]] table and their converters.
_DISCORD_SERVER_KEYS: dict[str, Converter] = {
    "mod_log_channel": _snowflake,
    "moderator_role": _snowflake,
    "ping_on_crisis": _bool,
    "channels": _snowflakes,
}
#: Per-process overrides of the sharding keys, so one file serves every process.
SHARD_COUNT_ENV = "THREADKEEPER_SHARD_COUNT"
SHARD_IDS_ENV = "THREADKEEPER_SHARD_IDS"


def _server_tables(value: Any) -> tuple[dict[str, Any], ...]:
    """[[discord.servers]] as raw tables; each is checked by `_discord_options`, key by key."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError("expected an array of tables ([[discord.servers]])")
    return tuple(value)


def _shard_ids(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of shard ids like [0, 1], got {value!r}")
    return tuple(_int(0)(v) for v in value)


def _discord_options(options: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """[discord] after its keys were converted: servers built and checked, the environment applied.

    Every problem names its key (`discord.servers[2].mod_log_channel`, counting the tables from 1
    in the order of the file) or the environment variable its value came from.
    """
    out = dict(options)
    out["servers"] = _discord_servers(options.get("servers", ()), problems)
    first = options.get("mod_log_channel", 0)
    if not first:
        if not options.get("servers"):
            problems.append(
                "discord.mod_log_channel: required: the channel id that receives cases "
                "(or one [[discord.servers]] table per server)"
            )
        else:
            for key in ("moderator_role", "ping_on_crisis", "channels"):
                if key in options:
                    problems.append(
                        f"discord.{key}: belongs to the first server, which has no "
                        "discord.mod_log_channel; set that, or move this key into its "
                        "[[discord.servers]] table"
                    )
    seen: dict[int, str] = {first: "discord"} if first else {}
    hosting: dict[int, str] = {c: "discord" for c in options.get("channels", ())} if first else {}
    for server in out["servers"]:
        earlier = seen.setdefault(server.mod_log_channel, server.where)
        if earlier != server.where:
            problems.append(
                f"{server.where}.mod_log_channel: channel {server.mod_log_channel} is already the "
                f"mod log of {earlier}; each server is listed once"
            )
        for channel in server.channels:
            earlier = hosting.setdefault(channel, server.where)
            if earlier != server.where:
                problems.append(
                    f"{server.where}.channels: channel {channel} is also listed in "
                    f"{earlier}.channels; a channel belongs to one server"
                )
    _discord_shards(out, problems)
    return out


def _discord_servers(
    tables: tuple[dict[str, Any], ...], problems: list[str]
) -> tuple[DiscordServer, ...]:
    servers: list[DiscordServer] = []
    for n, table in enumerate(tables, start=1):
        where = f"discord.servers[{n}]"
        values: dict[str, Any] = {}
        for key, value in table.items():
            convert = _DISCORD_SERVER_KEYS.get(key)
            if convert is None:
                known = ", ".join(sorted(_DISCORD_SERVER_KEYS))
                problems.append(f"{where}.{key}: unknown key; [[discord.servers]] takes {known}")
                continue
            try:
                values[key] = convert(value)
            except ValueError as exc:
                problems.append(f"{where}.{key}: {exc}")
        channel = values.get("mod_log_channel")
        if channel is None and "mod_log_channel" in table:
            continue  # its value did not convert: already reported
        if not channel:
            problems.append(
                f"{where}.mod_log_channel: required: the channel id that receives this server's "
                "cases"
            )
            continue
        servers.append(DiscordServer(where=where, **values))
    return tuple(servers)


def _discord_shards(out: dict[str, Any], problems: list[str]) -> None:
    """Apply THREADKEEPER_SHARD_COUNT / _IDS over the file's values, then check them together."""
    count_key, ids_key = "discord.shard_count", "discord.shard_ids"
    raw = os.environ.get(SHARD_COUNT_ENV, "").strip()
    if raw:
        count_key = SHARD_COUNT_ENV
        if raw.isascii() and raw.isdigit() and int(raw) >= 1:
            out["shard_count"] = int(raw)
        else:
            problems.append(f"{SHARD_COUNT_ENV}: expected a whole number at least 1, got {raw!r}")
            return
    raw = os.environ.get(SHARD_IDS_ENV, "").strip()
    if raw:
        ids_key = SHARD_IDS_ENV
        parts = [p.strip() for p in raw.split(",")]
        if not all(p.isascii() and p.isdigit() for p in parts):
            problems.append(
                f"{SHARD_IDS_ENV}: expected shard ids separated by commas, like 0,1; got {raw!r}"
            )
            return
        out["shard_ids"] = tuple(int(p) for p in parts)
    count: int | None = out.get("shard_count")
    ids: tuple[int, ...] = out.get("shard_ids", ())
    if count is None:
        if ids:
            problems.append(
                f"{ids_key}: shard ids need the number of shards: set discord.shard_count "
                f"(or {SHARD_COUNT_ENV})"
            )
        return
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        problems.append(f"{ids_key}: listed more than once: {', '.join(map(str, twice))}")
    outside = sorted({i for i in ids if i >= count})
    if outside:
        problems.append(
            f"{ids_key}: {', '.join(map(str, outside))} out of range: with {count_key} = "
            f"{count}, shard ids run from 0 to {count - 1}"
        )


_SCHEMA: dict[str, dict[str, tuple[str, Converter]]] = {
    "bot": {"name": ("name", _str)},
    "policy": {
        "redirects_before_lock": ("redirects_before_lock", _int(1, 20)),
        "category_redirects": ("category_redirects", _category_map),
        "benign_turns_to_clear_strike": ("benign_turns_to_clear_strike", _int(1, 100)),
        "crisis_window_hours": ("crisis_window", _hours(0)),
        "crisis_resources_cooldown_minutes": ("crisis_resources_cooldown", _minutes(0)),
        "repeat_lock_count": ("repeat_lock_count", _int(1, 100)),
        "repeat_lock_window_hours": ("repeat_lock_window", _hours(1)),
        "warn_first_after_recent_lock": ("warn_first_after_recent_lock", _bool),
    },
    "assistant": {
        "provider": ("provider", _choice("auto", "claude", "offline")),
        "api_key_env": ("api_key_env", _env_name),
        "reply_model": ("reply_model", _str),
        "classifier_model": ("classifier_model", _str),
        "classifier_deadline_seconds": ("classifier_deadline", _seconds(0.1)),
        "reply_timeout_seconds": ("reply_timeout", _seconds(1)),
        "stall_timeout_seconds": ("stall_timeout", _seconds(0.1)),
        "max_attempts": ("max_attempts", _int(1, 10)),
        "max_retry_wait_seconds": ("max_retry_wait", _seconds(0)),
        "max_reply_tokens": ("max_reply_tokens", _int(16, 64000)),
        "history_turns": ("history_turns", _int(1, 500)),
        "history_tokens": ("history_tokens", _int(500, 1_000_000)),
    },
    "limits": {
        "user_messages_per_minute": ("user_messages_per_minute", _int(0, 10_000)),
        "max_message_chars": ("max_message_chars", _int(0, 1_000_000)),
        "thread_tokens_per_day": ("thread_tokens_per_day", _int(0)),
        "workspace_tokens_per_day": ("workspace_tokens_per_day", _int(0)),
        "max_concurrent_model_calls": ("max_concurrent_model_calls", _int(0, 1000)),
        "shutdown_grace_seconds": ("shutdown_grace", _seconds(0)),
    },
    "storage": {
        "path": ("path", _str),
        "url": ("path", _str),
        "excerpt_chars": ("excerpt_chars", _int(0, 4000)),
        "retention_days": ("retention", _days_or_none),
        "lease_seconds": ("lease", _seconds(1)),
        "sweep_seconds": ("sweep_interval", _seconds(1)),
    },
    "crisis": {
        "regions": ("regions", _names),
        "resources": ("resources", _resources),
        "verified_on": ("verified_on", _str),
    },
    "discord": {
        "token_env": ("token_env", _env_name),
        "mod_log_channel": ("mod_log_channel", _snowflake),
        "moderator_role": ("moderator_role", _snowflake),
        "ping_on_crisis": ("ping_on_crisis", _bool),
        "channels": ("channels", _snowflakes),
        "servers": ("servers", _server_tables),
        "shard_count": ("shard_count", _int(1)),
        "shard_ids": ("shard_ids", _shard_ids),
    },
    "slack": {
        "bot_token_env": ("bot_token_env", _env_name),
        "app_token_env": ("app_token_env", _env_name),
        "signing_secret_env": ("signing_secret_env", _env_name),
        "mod_log_channel": ("mod_log_channel", _slack_id("CG")),
        "moderators": ("moderators", _slack_ids),
        "moderator_group": ("moderator_group", _slack_id("S")),
        "port": ("port", _int(1, 65535)),
        "slash_command": ("slash_command", _str),
        "api_url": ("api_url", _url),
    },
    "console": {
        "users": ("users", _names),
        "moderators": ("moderators", _names),
        "color": ("color", _bool),
    },
}

_SECTION_TYPES: dict[str, type] = {
    "policy": PolicySettings,
    "limits": LimitSettings,
    "assistant": AssistantSettings,
    "storage": StorageSettings,
    "crisis": CrisisSettings,
    "console": ConsoleSettings,
}


def parse(data: Mapping[str, Any], *, source: str = "<memory>") -> Settings:
    """Validate a parsed TOML document into Settings, or raise ConfigError listing every problem."""
    problems: list[str] = []
    sections: dict[str, dict[str, Any]] = {name: {} for name in _SCHEMA}
    prices: dict[str, Price] = dict(DEFAULT_PRICES)
    for section, body in data.items():
        if section == "prices":
            try:
                prices = _prices(body)
            except ValueError as exc:
                problems.append(f"prices.{exc}")
            continue
        if section not in _SCHEMA:
            problems.append(
                f"[{section}]: unknown section; expected one of "
                f"{', '.join(sorted([*_SCHEMA, 'prices']))}"
            )
            continue
        if not isinstance(body, dict):
            problems.append(f"{section}: expected a table ([{section}])")
            continue
        for key, value in body.items():
            spec = _SCHEMA[section].get(key)
            if spec is None:
                known = ", ".join(sorted(_SCHEMA[section]))
                problems.append(f"{section}.{key}: unknown key; [{section}] takes {known}")
                continue
            name, convert = spec
            try:
                sections[section][name] = convert(value)
            except ValueError as exc:
                problems.append(f"{section}.{key}: {exc}")

    storage = data.get("storage")
    if isinstance(storage, dict) and "path" in storage and "url" in storage:
        problems.append("storage.url: give storage.path or storage.url, not both (one setting)")
    built: dict[str, Any] = {}
    for section, cls in _SECTION_TYPES.items():
        built[section] = cls(**sections[section])
    if "discord" in data:
        sections["discord"] = _discord_options(sections["discord"], problems)
    for section, cls in (("discord", DiscordSettings), ("slack", SlackSettings)):
        if section in data:
            built[section] = cls(**sections[section])
    settings = Settings(
        source=source, name=sections["bot"].get("name", "threadkeeper"), prices=prices, **built
    )
    problems.extend(
        _cross_checks(settings, shards_valid=not any("shard" in p.lower() for p in problems))
    )
    if problems:
        raise ConfigError([f"{source}: {p}" for p in problems])
    return settings


def _cross_checks(settings: Settings, *, shards_valid: bool = True) -> list[str]:
    problems = []
    a = settings.assistant
    if a.provider == "claude" and a.api_key() is None:
        problems.append(
            f"assistant.api_key_env: provider is 'claude' but the environment variable "
            f"{a.api_key_env} is not set"
        )
    if settings.slack is not None and not settings.slack.mod_log_channel:
        problems.append(
            "slack.mod_log_channel: required: the channel id (C...) that receives cases"
        )
    if settings.slack is not None and not settings.slack.slash_command.startswith("/"):
        problems.append("slack.slash_command: expected a command starting with /")
    storage = settings.storage
    if storage.sweep_interval > storage.lease / 2:
        problems.append(
            "storage.sweep_seconds: at most half of storage.lease_seconds, so that a live process "
            "renews its leases before they run out"
        )
    d = settings.discord
    split = d is not None and d.shard_count and set(d.shard_ids or ()) < set(range(d.shard_count))
    if (
        split
        and shards_valid
        and not settings.storage.path.startswith(("postgresql://", "postgres://"))
    ):
        # Each process would keep its own cases, numbering and outbox in its own SQLite file.
        problems.append(
            "discord.shard_ids: shards split across processes need one shared store: set "
            "storage.url to a postgresql:// URL"
        )
    clash = set(settings.console.users) & set(settings.console.moderators)
    if clash:
        problems.append(
            f"console.moderators: {', '.join(sorted(clash))} also listed in console.users; "
            "a name is either a user or a moderator"
        )
    return problems


def load(path: str | Path | None) -> Settings:
    """Read a TOML file (or the defaults when `path` is None) into Settings."""
    if path is None:
        return parse({}, source="<defaults>")
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{p}: cannot read the config file ({exc.strerror})"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([f"{p}: the file is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{p}: not valid TOML: {exc}"]) from None
    return parse(data, source=str(p))


def describe(settings: Settings) -> str:
    """A human summary for `check-config`: every value, secrets shown only as set or not set."""
    lines = [f"config: {settings.source}"]
    sections = ("policy", "limits", "assistant", "storage", "crisis", "console", "discord", "slack")
    for section in sections:
        obj = getattr(settings, section)
        if obj is None:
            lines.append(f"  [{section}]: not configured")
            continue
        for f in fields(obj):
            value = getattr(obj, f.name)
            if f.name.endswith("_env"):
                state = "set" if os.environ.get(value) else "not set"
                value = f"{value} ({state})"
            lines.append(f"  {section}.{f.name} = {value}")
    assistant = "Claude" if settings.assistant.uses_claude() else "offline"
    lines.append(f"  assistant in use: {assistant}")
    return "\n".join(lines)
