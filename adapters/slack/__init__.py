"""Slack adapter: threadkeeper on slack-bolt's AsyncApp (Socket Mode or signed HTTP).

`python -m bot run` calls `make_service(settings)` when the config has a [slack] section. The
layers: `translate` (payloads to records) and `render` (records to text and blocks) are pure;
`client` wires the SDK (the Web API client, the app, Socket Mode or HTTP, start-up checks),
`intake` turns message events into turns (deduped, written down before the ack),
`interactions` handles buttons, modals and the slash command, `delivery` carries out the core's
actions and streams replies, `assistant` is the assistant pane (bolt's AsyncAssistant: its prompts,
status and titles around the same turns), and `service` wires them into the one object the core
sees.
Installation: adapters/slack/README.md and manifest.yml.
"""

from __future__ import annotations

from adapters.slack.client import REQUIRED_SCOPES, make_client
from adapters.slack.service import SlackService, make_service

__all__ = ["REQUIRED_SCOPES", "SlackService", "make_client", "make_service"]
