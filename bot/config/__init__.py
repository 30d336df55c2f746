"""Configuration: TOML plus environment into frozen settings, with one readable error per problem.

Secrets never appear in the file: it names the environment variable that holds each one
(`api_key_env = "ANTHROPIC_API_KEY"`), so a config can be committed and shared. The package holds:

- `settings`: the frozen settings records (`Settings` and one record per section);
- `convert`: the value converters, one TOML value in, a checked value or a ValueError out;
- `platforms`: the [discord] and [slack] keys, Discord's servers and its sharding overrides;
- `crisis`: the built-in crisis table (each line with its source and date) and its checks;
- `load`: the schema, `parse` with the checks that span keys, `load` and `describe`.

Callers import from here (`from bot.config import Settings, load`).
"""

from bot.config.load import _SCHEMA, describe, load, parse, warnings
from bot.config.platforms import SHARD_COUNT_ENV, SHARD_IDS_ENV
from bot.config.settings import (
    DEFAULT_CLASSIFIER_MODEL,
    DEFAULT_PRICES,
    DEFAULT_REPLY_MODEL,
    AssistantSettings,
    ConsoleSettings,
    CrisisResource,
    CrisisSettings,
    DiscordServer,
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

__all__ = [
    "DEFAULT_CLASSIFIER_MODEL",
    "DEFAULT_PRICES",
    "DEFAULT_REPLY_MODEL",
    "SHARD_COUNT_ENV",
    "SHARD_IDS_ENV",
    "_SCHEMA",
    "AssistantSettings",
    "ConsoleSettings",
    "CrisisResource",
    "CrisisSettings",
    "DiscordServer",
    "DiscordSettings",
    "LimitSettings",
    "LoggingSettings",
    "MetricsSettings",
    "PolicySettings",
    "Price",
    "ScreenSettings",
    "Settings",
    "SlackSettings",
    "StorageSettings",
    "describe",
    "load",
    "parse",
    "warnings",
]
