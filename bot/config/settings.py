"""The frozen settings: what the bot is configured with, once the config has been validated.

Secrets never appear in these records: each names the environment variable that holds it
(`api_key_env = "ANTHROPIC_API_KEY"`) and reads it at the moment it is needed, so a secret never
reaches a repr or a log line. `bot.config.load` builds them; everything else only reads them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

log = logging.getLogger(__name__)

DEFAULT_REPLY_MODEL = "claude-sonnet-5-5"
DEFAULT_CLASSIFIER_MODEL = "claude-haiku-5-5"


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicySettings:
    """The moderation ladder's thresholds (see bot/policy/ladder.py for how each is used)."""

    redirects_before_lock: int = 3
    category_redirects: Mapping[str, int] = field(default_factory=dict)
    benign_turns_to_clear_strike: int = 3
    crisis_window: timedelta = timedelta(hours=24)
    crisis_resources_cooldown: timedelta = timedelta(hours=2)
    #: Inside the crisis window, how often the moderators are pinged again about a thread's case.
    crisis_ping_interval: timedelta = timedelta(minutes=30)
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
class ScreenSettings:
    """The local screen's learned scorer: on or off, and the score at which each class fires.

    The defaults come from the precision/recall curves in `bench/RESULTS.md` (run
    `bench/eval_screen.py` to see them): a lower threshold catches more people at risk and
    raises more false alarms. The phrase rules fire whatever these say.
    """

    #: Use the learned scorer beside the phrase rules (off: the rules alone).
    model: bool = True
    #: Calibrated probability of risk to self at which the scorer alone raises the signal.
    self_harm_threshold: float = 0.80
    #: Calibrated probability of risk to others at which the scorer alone raises the signal.
    others_threshold: float = 0.80


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
    """One line of the crisis table: a helpline, or (`emergency`) a region's emergency numbers.

    `source` names the page the line was read on and `verified_on` the day (YYYY-MM-DD), so a
    reviewer can check it again; neither is shown to users.
    """

    region: str
    service: str
    how: str
    source: str = ""
    verified_on: str = ""
    emergency: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class CrisisSettings:
    """Which reviewed crisis resources are posted.

    `resources` are the operator's own lines: they replace the built-in lines of their regions
    (bot/config/crisis.py), and the rest of the built-in table stays. Empty `regions`: the
    regions of `resources`, or the built-in default regions when there are none.
    """

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
class MetricsSettings:
    """Operators' endpoints (/metrics, /healthz, /readyz): on when the config has [metrics]."""

    #: Loopback by default: the pages are for a scraper on this host, not for the public.
    address: str = "127.0.0.1"
    #: 9464 is the port Prometheus' exporters commonly use for an application's own metrics.
    port: int = 9464


@dataclass(frozen=True, kw_only=True, slots=True)
class LoggingSettings:
    """What the bot's log lines may hold (their format is the command line's `--log-format`)."""

    #: Put message texts (users' and the model's words) into log lines; off, logs hold none.
    log_text: bool = False


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
    #: Whose crisis lines this server's threads get first; empty means [crisis].regions.
    crisis_regions: tuple[str, ...] = ()
    #: Where this server is configured, for messages: "discord" or "discord.servers[2]".
    where: str = "discord"


@dataclass(frozen=True, kw_only=True, slots=True)
class DiscordSettings:
    """The Discord adapter: on when the section is present and its token variable is set.

    The top-level `mod_log_channel`, `moderator_role`, `ping_on_crisis`, `channels` and
    `crisis_regions` are the first server; each `[[discord.servers]]` table adds one more (see
    `all_servers`).
    """

    token_env: str = "DISCORD_TOKEN"
    #: The first server's mod-log channel (0 when every server is under `servers`).
    mod_log_channel: int = 0
    #: The first server's moderator role, crisis ping and hosting channels (see DiscordServer).
    moderator_role: int = 0
    ping_on_crisis: bool = False
    channels: tuple[int, ...] = ()
    crisis_regions: tuple[str, ...] = ()
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
                    crisis_regions=self.crisis_regions,
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
    #: Whose crisis lines this workspace's threads get first; empty means [crisis].regions.
    crisis_regions: tuple[str, ...] = ()
    #: The Web API's base URL: Slack's own, or GovSlack's ("https://slack-gov.com/api/").
    api_url: str = "https://slack.com/api/"
    #: The assistant pane (Slack's AI-app split view) and direct messages to the app, each a
    #: moderated thread like a channel thread; needs the manifest's assistant parts.
    assistant: bool = True
    #: What the pane offers when a chat opens (each is sent as typed when clicked), and their
    #: heading; reviewed text, never the model's.
    assistant_prompts: tuple[str, ...] = (
        "What can you help me with?",
        "What are the rules in this workspace?",
    )
    assistant_prompts_title: str = "Try asking"
    #: The status shown while the message is assessed and the reply is written.
    assistant_status: str = "is thinking..."
    #: The chat's title in the pane's history when it opens; empty keeps Slack's own (the first
    #: message's words).
    assistant_title: str = ""

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
    screen: ScreenSettings = field(default_factory=ScreenSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    #: None when the config has no [metrics] section (the endpoints are off).
    metrics: MetricsSettings | None = None
    prices: Mapping[str, Price] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    #: None when the config has no [discord] / [slack] section.
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None
    source: str = "<defaults>"
