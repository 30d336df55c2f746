"""PostgreSQL URLs: telling one from an SQLite path, and keeping its password out of messages.

Apart from the driver, so that choosing a backend and writing a log line need no asyncpg.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)


def redact(url: str) -> str:
    """The URL with any password replaced by ***, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def is_postgres_url(value: str) -> bool:
    """True for a postgresql:// (or postgres://) URL."""
    return value.startswith(("postgresql://", "postgres://"))
