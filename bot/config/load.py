"""TOML plus environment into frozen settings, with one readable error per problem.

The schema maps each key of each section to its field and converter; `parse` applies it and then
the checks that span keys, `load` reads the file, `describe` prints what a config sets. Unknown
keys are errors: a misspelt threshold silently falling back to its default is exactly the kind of
surprise a moderation bot must not have.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

from bot.config.convert import (
    Converter,
    _bool,
    _category_map,
    _choice,
    _date,
    _days_or_none,
    _env_name,
    _fraction,
    _hours,
    _int,
    _minutes,
    _names,
    _prices,
    _regions,
    _resources,
    _seconds,
    _str,
)
from bot.config.crisis import STALE_DAYS, age_report, check_settings, lines_from_tables, merged
from bot.config.platforms import _DISCORD_KEYS, _SLACK_KEYS, _discord_options
from bot.config.settings import (
    DEFAULT_PRICES,
    AssistantSettings,
    ConsoleSettings,
    CrisisSettings,
    DiscordSettings,
    LimitSettings,
    LoggingSettings,
    MetricsSettings,
    PolicySettings,
    Price,
    ScreenSettings,
    Settings,
    SlackSettings,
    StorageSettings,
)
from bot.errors import ConfigError

log = logging.getLogger(__name__)


# Each key maps to (field name, converter). A converter returns the value or raises ValueError with
# what was expected; `parse` adds the key's dotted name so every message says where to look.
_SCHEMA: dict[str, dict[str, tuple[str, Converter]]] = {
    "bot": {"name": ("name", _str)},
    "policy": {
        "redirects_before_lock": ("redirects_before_lock", _int(1, 20)),
        "category_redirects": ("category_redirects", _category_map),
        "benign_turns_to_clear_strike": ("benign_turns_to_clear_strike", _int(1, 100)),
        "crisis_window_hours": ("crisis_window", _hours(0)),
        "crisis_resources_cooldown_minutes": ("crisis_resources_cooldown", _minutes(0)),
        "crisis_ping_interval_minutes": ("crisis_ping_interval", _minutes(0)),
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
    "screen": {
        "model": ("model", _bool),
        "self_harm_threshold": ("self_harm_threshold", _fraction),
        "others_threshold": ("others_threshold", _fraction),
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
        "regions": ("regions", _regions),
        "resources": ("resources", _resources),
        "verified_on": ("verified_on", _date),
    },
    "discord": _DISCORD_KEYS,
    "slack": _SLACK_KEYS,
    "console": {
        "users": ("users", _names),
        "moderators": ("moderators", _names),
        "color": ("color", _bool),
    },
    "logging": {
        "log_text": ("log_text", _bool),
    },
    "metrics": {
        "address": ("address", _str),
        "port": ("port", _int(0, 65535)),
    },
}

_SECTION_TYPES: dict[str, type] = {
    "policy": PolicySettings,
    "limits": LimitSettings,
    "screen": ScreenSettings,
    "assistant": AssistantSettings,
    "storage": StorageSettings,
    "crisis": CrisisSettings,
    "console": ConsoleSettings,
    "logging": LoggingSettings,
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
    crisis = sections["crisis"]
    crisis["resources"] = lines_from_tables(
        crisis.get("resources", ()), table_date=crisis.get("verified_on", ""), problems=problems
    )
    built: dict[str, Any] = {}
    for section, cls in _SECTION_TYPES.items():
        built[section] = cls(**sections[section])
    if "discord" in data:
        sections["discord"] = _discord_options(sections["discord"], problems)
    optional = (
        ("discord", DiscordSettings),
        ("slack", SlackSettings),
        ("metrics", MetricsSettings),
    )
    for section, cls in optional:
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
    regions = [(s.where + ".crisis_regions", s.crisis_regions) for s in (d.servers if d else ())]
    if d is not None:
        regions.append(("discord.crisis_regions", d.crisis_regions))
    if settings.slack is not None:
        regions.append(("slack.crisis_regions", settings.slack.crisis_regions))
    problems.extend(check_settings(settings.crisis, regions))
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


def warnings(settings: Settings) -> list[str]:
    """What `check-config` warns about: a valid file that `run` cannot start with as things are.

    Each enabled platform's token variables are read from this environment: unset, the file is
    still valid (the variables may be set where the bot runs), but `run` would fail to connect.
    """
    found: list[str] = []

    def unset(name: str) -> bool:
        return not os.environ.get(name)

    d = settings.discord
    if d is not None and unset(d.token_env):
        found.append(
            f"discord.token_env: the environment variable {d.token_env} is not set here; "
            "`run` cannot log in to Discord without the bot token"
        )
    s = settings.slack
    if s is not None:
        if unset(s.bot_token_env):
            found.append(
                f"slack.bot_token_env: the environment variable {s.bot_token_env} is not set "
                "here; `run` cannot reach Slack without the bot token (xoxb-...)"
            )
        if unset(s.app_token_env) and unset(s.signing_secret_env):
            found.append(
                f"slack.app_token_env, slack.signing_secret_env: neither {s.app_token_env} "
                f"(Socket Mode) nor {s.signing_secret_env} (HTTP mode) is set here; `run` needs "
                "one of them"
            )
    return found


def describe(settings: Settings, *, today: date | None = None) -> str:
    """A human summary for `check-config`: every value, secrets shown only as set or not set.

    The crisis table is summed up (its lines are printed by `crisis-lines`), with the age of its
    oldest check as of `today`, and a warning when that is more than a year.
    """
    lines = [f"config: {settings.source}"]
    sections = (
        "policy",
        "limits",
        "screen",
        "assistant",
        "storage",
        "crisis",
        "console",
        "logging",
        "metrics",
        "discord",
        "slack",
    )
    for section in sections:
        obj = getattr(settings, section)
        if obj is None:
            lines.append(f"  [{section}]: not configured")
            continue
        for f in fields(obj):
            value = getattr(obj, f.name)
            if section == "crisis" and f.name == "resources":
                value = f"{len(value)} configured line(s)" + (
                    f" for {', '.join(dict.fromkeys(r.region for r in value))}" if value else ""
                )
            if f.name.endswith("_env"):
                state = "set" if os.environ.get(value) else "not set"
                value = f"{value} ({state})"
            lines.append(f"  {section}.{f.name} = {value}")
    assistant = "Claude" if settings.assistant.uses_claude() else "offline"
    lines.append(f"  assistant in use: {assistant}")
    age, stale = age_report(merged(settings.crisis.resources), today or date.today())
    lines.append(f"  {age}")
    if stale:
        lines.append(
            f"  WARNING: crisis lines last checked more than {STALE_DAYS // 365} year ago: check "
            "each number on its service's own site (python -m bot crisis-lines --sources), "
            "then update [[crisis.resources]] and its verified_on"
        )
    return "\n".join(lines)
