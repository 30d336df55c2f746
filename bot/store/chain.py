"""The audit chain's hashing, in one pure place so that appending and verifying cannot disagree.

Each record's hash covers its own fields and the previous record's hash, so editing, removing or
reordering any record breaks every hash after it. Message excerpts are outside the chain: the
record holds only their digest, so a retention purge deletes the text and the chain still checks.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.records import Case, CaseDraft
from bot.store.codec import case_to_json, time_to_json

log = logging.getLogger(__name__)

#: The `prev_hash` of the first record.
GENESIS = "0" * 64


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return time_to_json(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def canonical_json(value: object) -> str:
    """The one JSON spelling the chain hashes: sorted keys, no spaces, UTF-8 kept, no NaN."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def digest(text: str) -> str:
    """The SHA-256 hex digest of a text, as the chain records an excerpt."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def record_hash(
    *,
    prev_hash: str,
    seq: int,
    at: str,
    kind: str,
    actor: str,
    thread_key: str | None,
    data: Mapping[str, Any],
    excerpt_digest: str | None,
) -> str:
    """The hash of one record: SHA-256 of the previous hash and the record's canonical JSON.

    `at` is the stored ISO string, not a datetime, so the hash covers exactly what is kept.
    """
    body = canonical_json(
        {
            "seq": seq,
            "at": at,
            "kind": kind,
            "actor": actor,
            "thread_key": thread_key,
            "data": data,
            "excerpt_digest": excerpt_digest,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainItem:
    """One audit record to append, its data already proven to be JSON."""

    kind: str
    actor: str
    thread_key: str | None
    data_json: str
    excerpt: str | None = None
    excerpt_id: int | None = None
    excerpt_digest: str | None = None


def numbered_case(
    draft: CaseDraft,
    *,
    number: int,
    at: datetime,
    excerpt_id: int | None,
    excerpt_digest: str | None,
) -> tuple[Case, ChainItem]:
    """A draft given its number, and the audit record that goes with it.

    Both backends build case records here, so a chain copied from one to the other hashes the same.
    """
    case = Case(
        number=number,
        kind=draft.kind,
        workspace=draft.workspace,
        user_id=draft.user_id,
        actor=draft.actor,
        created_at=at,
        thread=draft.thread,
        category=draft.category,
        priority=draft.priority,
        strikes=draft.strikes,
        summary=draft.summary,
        excerpts=draft.excerpts,
        refers_to=draft.refers_to,
    )
    data = case_to_json(case)
    del data["excerpts"]  # in the chain only as a digest, so a purge keeps it verifiable
    item = ChainItem(
        kind="case",
        actor=draft.actor,
        thread_key=draft.thread.key if draft.thread else None,
        data_json=canonical_json(data),
        excerpt_id=excerpt_id,
        excerpt_digest=excerpt_digest,
    )
    return case, item
