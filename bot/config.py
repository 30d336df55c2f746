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

    path: str = "threadkeeper.db"
    excerpt_chars: int = 300
    retention: timedelta | None = None


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
class DiscordSettings:
    """The Discord adapter: on when the section is present and its token variable is set."""

    token_env: str = "DISCORD_TOKEN"
    #: The channel that receives one embed per case.
    mod_log_channel: int = 0
    #: Members with this role may moderate (as may anyone with Manage Threads); 0 for none. It is
    #: also the one ping the bot ever sends: on a crisis case, when `ping_on_crisis` is true.
    moderator_role: int = 0
    ping_on_crisis: bool = False
    #: Channels where a mention opens a thread; empty means every channel the bot can read.
    channels: tuple[int, ...] = ()

    def token(self) -> str | None:
        """The bot token from the environment."""
        return os.environ.get(self.token_env) or None


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
        "excerpt_chars": ("excerpt_chars", _int(0, 4000)),
        "retention_days": ("retention", _days_or_none),
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

    built: dict[str, Any] = {}
    for section, cls in _SECTION_TYPES.items():
        built[section] = cls(**sections[section])
    for section, cls in (("discord", DiscordSettings), ("slack", SlackSettings)):
        if section in data:
            built[section] = cls(**sections[section])
    settings = Settings(
        source=source, name=sections["bot"].get("name", "threadkeeper"), prices=prices, **built
    )
    problems.extend(_cross_checks(settings))
    if problems:
        raise ConfigError([f"{source}: {p}" for p in problems])
    return settings


def _cross_checks(settings: Settings) -> list[str]:
    problems = []
    a = settings.assistant
    if a.provider == "claude" and a.api_key() is None:
        problems.append(
            f"assistant.api_key_env: provider is 'claude' but the environment variable "
            f"{a.api_key_env} is not set"
        )
    if settings.discord is not None and not settings.discord.mod_log_channel:
        problems.append("discord.mod_log_channel: required: the channel id that receives cases")
    if settings.slack is not None and not settings.slack.mod_log_channel:
        problems.append(
            "slack.mod_log_channel: required: the channel id (C...) that receives cases"
        )
    if settings.slack is not None and not settings.slack.slash_command.startswith("/"):
        problems.append("slack.slash_command: expected a command starting with /")
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
