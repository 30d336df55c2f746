"""The platform sections: the keys of [discord] and [slack], and [discord]'s servers and shards.

[slack] is keys and converters only. [discord] is more: its `[[discord.servers]]` tables are
checked one by one, a mod-log channel or a hosting channel belongs to one server only, and the
sharding keys may be overridden per process from the environment, so one file serves every process.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from bot.config.convert import (
    Converter,
    _bool,
    _env_name,
    _int,
    _regions,
    _slack_id,
    _slack_ids,
    _snowflake,
    _snowflakes,
    _str,
    _url,
)
from bot.config.settings import DiscordServer

log = logging.getLogger(__name__)


#: The keys of one [[discord.servers]] table and their converters.
_DISCORD_SERVER_KEYS: dict[str, Converter] = {
    "mod_log_channel": _snowflake,
    "moderator_role": _snowflake,
    "ping_on_crisis": _bool,
    "channels": _snowflakes,
    "crisis_regions": _regions,
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


#: The [discord] keys: (field name, converter); `[[discord.servers]]` are checked after.
_DISCORD_KEYS: dict[str, tuple[str, Converter]] = {
    "token_env": ("token_env", _env_name),
    "mod_log_channel": ("mod_log_channel", _snowflake),
    "moderator_role": ("moderator_role", _snowflake),
    "ping_on_crisis": ("ping_on_crisis", _bool),
    "channels": ("channels", _snowflakes),
    "crisis_regions": ("crisis_regions", _regions),
    "servers": ("servers", _server_tables),
    "shard_count": ("shard_count", _int(1)),
    "shard_ids": ("shard_ids", _shard_ids),
}

#: Slack shows at most four suggested prompts in the assistant pane.
MAX_PROMPTS = 4


def _prompts(value: Any) -> tuple[str, ...]:
    """The pane's suggested prompts: up to four non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"expected a list of prompts (strings), got {value!r}")
    if len(value) > MAX_PROMPTS:
        raise ValueError(f"Slack shows at most {MAX_PROMPTS} prompts, got {len(value)}")
    return tuple(v.strip() for v in value)


def _text(value: Any) -> str:
    """A string that may be empty (empty: leave it to Slack)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value.strip()


#: The [slack] keys: (field name, converter).
_SLACK_KEYS: dict[str, tuple[str, Converter]] = {
    "bot_token_env": ("bot_token_env", _env_name),
    "app_token_env": ("app_token_env", _env_name),
    "signing_secret_env": ("signing_secret_env", _env_name),
    "mod_log_channel": ("mod_log_channel", _slack_id("CG")),
    "moderators": ("moderators", _slack_ids),
    "moderator_group": ("moderator_group", _slack_id("S")),
    "port": ("port", _int(1, 65535)),
    "slash_command": ("slash_command", _str),
    "api_url": ("api_url", _url),
    "crisis_regions": ("crisis_regions", _regions),
    "assistant": ("assistant", _bool),
    "assistant_prompts": ("assistant_prompts", _prompts),
    "assistant_prompts_title": ("assistant_prompts_title", _str),
    "assistant_status": ("assistant_status", _str),
    "assistant_title": ("assistant_title", _text),
}


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
            for key in ("moderator_role", "ping_on_crisis", "channels", "crisis_regions"):
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
