"""Slack adapter: threadkeeper on slack-bolt's AsyncApp (Socket Mode or signed HTTP).

`python -m bot run` calls `make_service(settings)` when the config has a [slack] section; the
layers are `translate` (payloads to records), `render` (records to text and blocks) and
`service` (the I/O). Installation: adapters/slack/README.md and manifest.yml.
"""

from __future__ import annotations

from adapters.slack.service import REQUIRED_SCOPES, SlackService, make_client
from bot.config import Settings, SlackSettings

__all__ = ["REQUIRED_SCOPES", "SlackService", "make_client", "make_service"]


def make_service(settings: Settings) -> SlackService:
    """The Slack service for these settings, with tokens read from the environment now."""
    slack = settings.slack or SlackSettings()
    return SlackService(
        settings=settings,
        client=make_client(slack.bot_token(), base_url=slack.api_url),
        signing_secret=slack.signing_secret(),
        app_token=slack.app_token(),
    )
