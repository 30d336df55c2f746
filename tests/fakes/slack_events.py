"""Slack's inbound requests as Slack sends them: event callbacks, clicks, modal submissions and
slash commands, signed with the app's signing secret (v0 HMAC-SHA256 over `v0:ts:body`).

Shapes follow Slack's documented payloads, trimmed to the fields bolt and the adapter read; they
go through bolt's own request verification and routing, so a field bolt needs and we forgot
fails the test.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import TEAM

SECRET = "test-signing-secret"
APP_ID = "A0APP"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def signed_headers(
    body: str,
    *,
    content_type: str,
    secret: str = SECRET,
    timestamp: int | None = None,
    retry_num: int | None = None,
) -> dict[str, str]:
    """Headers Slack would send with `body`: content type, timestamp, signature, retry count."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body))
    headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": signature,
    }
    if retry_num is not None:
        headers["x-slack-retry-num"] = str(retry_num)
        headers["x-slack-retry-reason"] = "http_timeout"
    return headers


def request(
    body: str,
    *,
    content_type: str,
    secret: str = SECRET,
    timestamp: int | None = None,
    retry_num: int | None = None,
) -> AsyncBoltRequest:
    """A signed bolt request."""
    headers = signed_headers(
        body,
        content_type=content_type,
        secret=secret,
        timestamp=timestamp,
        retry_num=retry_num,
    )
    return AsyncBoltRequest(body=body, headers=dict(headers))


class Payloads:
    """Builds payloads with fresh ids and timestamps."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def ts(self) -> str:
        """A fresh message timestamp."""
        return f"{1_700_000_000 + next(self._n)}.000200"

    def event(
        self,
        *,
        kind: str,
        text: str,
        user: str = "U1",
        channel: str = "C1",
        ts: str | None = None,
        thread_ts: str | None = None,
        event_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """An `event_callback` envelope around an `app_mention` or `message` event."""
        inner: dict[str, Any] = {
            "type": kind,
            "user": user,
            "text": text,
            "ts": ts or self.ts(),
            "channel": channel,
            "event_ts": ts,
            "channel_type": "channel",
            **extra,
        }
        if thread_ts:
            inner["thread_ts"] = thread_ts
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._n):08d}",
            "event_time": 1_700_000_000,
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }

    def assistant_thread(
        self,
        *,
        kind: str = "assistant_thread_started",
        user: str = "U1",
        channel: str = "D1",
        thread_ts: str,
        viewing: str = "C1",
    ) -> dict[str, Any]:
        """`assistant_thread_started` (the pane opened) or `assistant_thread_context_changed`, in
        the envelope Slack sends: the pane's DM channel and thread, and the channel in view."""
        return self._envelope(
            {
                "type": kind,
                "assistant_thread": {
                    "user_id": user,
                    "context": {"channel_id": viewing, "team_id": TEAM, "enterprise_id": None},
                    "channel_id": channel,
                    "thread_ts": thread_ts,
                },
                "event_ts": self.ts(),
            }
        )

    def dm(
        self,
        *,
        text: str,
        user: str = "U1",
        channel: str = "D1",
        thread_ts: str | None = None,
        ts: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A `message.im` event: a person writing to the app, in a pane thread (`thread_ts`) or
        at the top of its Messages tab; shaped as Slack sends one (`channel_type` "im")."""
        ts = ts or self.ts()
        inner: dict[str, Any] = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "team": TEAM,
            "user_team": TEAM,
            "source_team": TEAM,
            "channel": channel,
            "event_ts": ts,
            "channel_type": "im",
            **extra,
        }
        if thread_ts:
            inner["thread_ts"] = thread_ts
            inner["parent_user_id"] = user
        return self._envelope(inner)

    def _envelope(self, inner: dict[str, Any]) -> dict[str, Any]:
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "event": inner,
            "type": "event_callback",
            "event_id": f"Ev{next(self._n):08d}",
            "event_time": 1_700_000_000,
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }

    def click(
        self,
        *,
        action_id: str,
        value: str,
        user: str,
        channel: str,
        message_ts: str,
    ) -> dict[str, Any]:
        """A `block_actions` payload for one button click."""
        n = next(self._n)
        return {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "example"},
            "user": {"id": user, "team_id": TEAM, "username": user},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": f"trigger-{n}",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel, "name": "somewhere"},
            "message": {"type": "message", "ts": message_ts, "text": "..."},
            "response_url": "http://127.0.0.1:9/response",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": f"{1_700_000_500 + n}.000300",
                }
            ],
        }

    def note_submission(self, *, user: str, metadata: str, note: str) -> dict[str, Any]:
        """A `view_submission` of the Note modal."""
        n = next(self._n)
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "example"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": f"trigger-{n}",
            "view": {
                "id": f"V{n}",
                "type": "modal",
                "callback_id": "threadkeeper_note_modal",
                "private_metadata": metadata,
                "hash": f"h{n}",
                "state": {
                    "values": {"note": {"note": {"type": "plain_text_input", "value": note}}}
                },
            },
        }

    def decision_submission(self, *, user: str, metadata: str, reason: str) -> dict[str, Any]:
        """A `view_submission` of the form behind a deciding button (its one reason field)."""
        n = next(self._n)
        value = {"type": "plain_text_input", "value": reason}
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "example"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": f"trigger-{n}",
            "view": {
                "id": f"V{n}",
                "type": "modal",
                "callback_id": "threadkeeper_decide_modal",
                "private_metadata": metadata,
                "hash": f"h{n}",
                "state": {"values": {"reason": {"reason": value}}},
            },
        }

    def appeal_submission(self, *, user: str, metadata: str, statement: str) -> dict[str, Any]:
        """A `view_submission` of the appeal modal."""
        n = next(self._n)
        value = {"type": "plain_text_input", "value": statement}
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "example"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": f"trigger-{n}",
            "view": {
                "id": f"V{n}",
                "type": "modal",
                "callback_id": "threadkeeper_appeal_modal",
                "private_metadata": metadata,
                "hash": f"h{n}",
                "state": {"values": {"statement": {"statement": value}}},
            },
        }

    def command(self, *, text: str, user: str, channel: str = "C1") -> str:
        """A slash command's form body."""
        n = next(self._n)
        return urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM,
                "channel_id": channel,
                "user_id": user,
                "command": "/threadkeeper",
                "text": text,
                "api_app_id": APP_ID,
                "trigger_id": f"trigger-{n}",
                "response_url": "http://127.0.0.1:9/response",
            }
        )


def as_json(payload: dict[str, Any]) -> str:
    """An event callback's body."""
    return json.dumps(payload)


def as_form(payload: dict[str, Any]) -> str:
    """An interactive payload's body (`payload=<json>`, form-encoded)."""
    return urlencode({"payload": json.dumps(payload)})
