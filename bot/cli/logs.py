"""Where the process logs, and how: plain lines, or one JSON object a line (`--log-format json`).

Both go to stderr, so stdout keeps only the commands' machine output. A JSON line is an object
with `time` (UTC, ISO 8601), `level`, `logger`, `message` and, when there is one, `exception`,
which is what log collectors (Loki, Elasticsearch, Cloud Logging) ingest without parsing rules.

Secrets: the code never logs one, and as a last guard every line is scrubbed of the values of the
environment variables whose names say they hold one (`*TOKEN*`, `*SECRET*`, `*API_KEY*`,
`*PASSWORD*`). Message texts: no log line holds a user's words unless `[logging] log_text` is set,
in which case the runtime logs each turn's text itself (`bot/runtime/turn.py`); the libraries that
log request bodies at DEBUG (`CHATTY`) are held at INFO, `-v` or not.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Final, TextIO

#: Environment variable names whose values are secrets, for the scrubber.
SECRET_NAMES: Final = re.compile(r"TOKEN|SECRET|API_KEY|PASSWORD|PASSWD", re.IGNORECASE)
#: Shorter values are not scrubbed: they would blank out ordinary words.
MIN_SECRET = 8
REDACTED = "[redacted]"
#: Libraries whose DEBUG lines carry request bodies (users' words, sometimes headers): held at
#: INFO even with `-v`, so that debug logging never becomes a copy of the conversations.
CHATTY: Final = (
    "aiosqlite",
    "asyncpg",
    "slack_sdk",
    "slack_bolt",
    "discord",
    "anthropic",
    "httpx",
    "httpx2",
    "httpcore",
)
FORMATS: Final = ("text", "json")


def environment_secrets(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The values of the environment's secret-named variables, longest first."""
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if SECRET_NAMES.search(k) and len(v) >= MIN_SECRET}
    return tuple(sorted(values, key=len, reverse=True))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret value replaced by [redacted]."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message`, scrubbed."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        """The plain line."""
        return scrub(super().format(record), self._secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, scrubbed."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        """The object: time, level, logger, message, exception."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage(), self._secrets),
        }
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info), self._secrets)
        return json.dumps(line, ensure_ascii=False)


class _Ours(logging.StreamHandler[TextIO]):
    """The handler `setup` installs (so a second `setup` replaces it and nothing else)."""


def setup(*, verbose: bool, fmt: str = "text", stream: TextIO | None = None) -> None:
    """Log to stderr (or `stream`) in `fmt`, at DEBUG with `verbose`, else WARNING.

    Like `logging.basicConfig`, it leaves a root logger that someone else set up (a test runner's
    capture, an embedding program) alone; it replaces only what an earlier `setup` installed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}: use {' or '.join(FORMATS)}")
    root = logging.getLogger()
    if any(not isinstance(h, _Ours) for h in root.handlers):
        return
    for old in list(root.handlers):
        root.removeHandler(old)
    secrets = environment_secrets()
    handler = _Ours(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if fmt == "json" else TextFormatter(secrets))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.NOTSET)
