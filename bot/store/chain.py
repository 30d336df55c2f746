"""The audit chain's hashing, in one pure place so that appending and verifying cannot disagree.

Each record's hash covers its own fields and the previous record's hash, so editing, removing or
reordering any record breaks every hash after it. Message excerpts are outside the chain: the
record holds only their digest, so a retention purge deletes the text and the chain still checks.
Both backends link the records they append (`linked`) and check the ones they read back
(`record_fault`, `walk_end`) here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.records import Case, CaseDraft, initial_status
from bot.store.base import AuditReport
from bot.store.codec import case_to_json, time_to_json
from bot.store.rows import Row, stored_time_text

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
    This is the definition; appending uses `stored_hash`, which gives the same digest from the
    data's stored canonical text without parsing and re-encoding it.
    """
    return stored_hash(
        prev_hash=prev_hash,
        seq=seq,
        at=at,
        kind=kind,
        actor=actor,
        thread_key=thread_key,
        data_json=canonical_json(data),
        excerpt_digest=excerpt_digest,
    )


def _text(value: str | None) -> str:
    return canonical_json(value)


def stored_hash(
    *,
    prev_hash: str,
    seq: int,
    at: str,
    kind: str,
    actor: str,
    thread_key: str | None,
    data_json: str,
    excerpt_digest: str | None,
) -> str:
    """`record_hash` over the data exactly as stored: its text is spliced into the body, once.

    The body is the canonical JSON object of `record_hash` spelled out by hand (keys in sorted
    order), so for canonical `data_json` (all the store writes) the two agree byte for byte.
    """
    body = (
        f'{{"actor":{_text(actor)},"at":{_text(at)},"data":{data_json},'
        f'"excerpt_digest":{_text(excerpt_digest)},"kind":{_text(kind)},"seq":{int(seq)},'
        f'"thread_key":{_text(thread_key)}}}'
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
    A case that only records (a note, an unlock) is born resolved; one that waits for a moderator
    is born open (see `bot.records.REVIEW_KINDS`).
    """
    status = initial_status(draft.kind)
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
        status=status,
        status_by="" if status == "open" else draft.actor,
        status_at=None if status == "open" else at,
        updated_at=at,
        pinged_at=at if draft.priority else None,
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


def linked(
    items: Sequence[ChainItem], *, head: tuple[int, str], at: str, stored_at: object
) -> tuple[list[tuple[Any, ...]], tuple[int, str]]:
    """The `audit` rows that append `items` after `head` (seq, hash), and the new head.

    `at` is the time as stored text, which the hash covers; `stored_at` the value written.
    """
    return link_rows(
        [
            Unlinked(
                at=at,
                stored_at=stored_at,
                kind=item.kind,
                actor=item.actor,
                thread_key=item.thread_key,
                data_json=item.data_json,
                excerpt_digest=item.excerpt_digest,
                excerpt_id=item.excerpt_id,
            )
            for item in items
        ],
        head=head,
    )


@dataclass(frozen=True, slots=True)
class Unlinked:
    """A record written without its place in the chain yet (PostgreSQL's `audit_pending`)."""

    at: str
    stored_at: object
    kind: str
    actor: str
    thread_key: str | None
    data_json: str
    excerpt_digest: str | None
    excerpt_id: int | None


def link_rows(
    records: Sequence[Unlinked], *, head: tuple[int, str]
) -> tuple[list[tuple[Any, ...]], tuple[int, str]]:
    """The `audit` rows that append `records`, in the order given, after `head`; the new head.

    Each hash covers the data's stored text as it is (`stored_hash`): computed once, over the
    very bytes that are kept.
    """
    seq, prev = head
    rows = []
    for r in records:
        seq += 1
        hashed = stored_hash(
            prev_hash=prev,
            seq=seq,
            at=r.at,
            kind=r.kind,
            actor=r.actor,
            thread_key=r.thread_key,
            data_json=r.data_json,
            excerpt_digest=r.excerpt_digest,
        )
        rows.append(
            (
                seq,
                r.stored_at,
                r.kind,
                r.actor,
                r.thread_key,
                r.data_json,
                r.excerpt_digest,
                r.excerpt_id,
                prev,
                hashed,
            )
        )
        prev = hashed
    return rows, (seq, prev)


# --- verifying ---------------------------------------------------------------------------------
# A backend walks its `audit` rows in seq order (with each excerpt's text, column `excerpt`),
# asks `record_fault` of each with the count found sound so far and the last sound hash, and
# ends with `walk_end` on the head row.


def record_fault(row: Row, *, good: int, prev: str) -> AuditReport | None:
    """Why the stored record after `good` sound ones (the last hashed `prev`) breaks the chain."""
    seq = int(row["seq"])
    if seq != good + 1 or row["prev_hash"] != prev:
        return _broken(good, good + 1, f"record {good + 1} is missing or out of order")
    if _stored_hash(row) != row["hash"]:
        return _broken(good, seq, f"record {seq} was changed")
    excerpt = row["excerpt"]
    if excerpt is not None and digest(excerpt) != row["excerpt_digest"]:
        return _broken(good, seq, f"the excerpt of record {seq} was changed")
    return None


def walk_end(head: Row | None, *, good: int, prev: str) -> AuditReport:
    """The report once `good` records were found sound: the head must name the last of them."""
    if head is None:
        return _broken(good, None, "the chain head is missing")
    if head["seq"] > good:
        return _broken(good, good + 1, f"record {good + 1} is missing or out of order")
    if head["seq"] != good or head["hash"] != prev:
        return _broken(good, good, f"the chain head does not match record {good}")
    return AuditReport(ok=True, records=good)


def _stored_hash(row: Row) -> str:
    """The hash a stored record should have; "" when its data is not even JSON.

    Over the stored text as it is; a record whose data text is valid JSON but not in canonical
    spelling (written by hand or by an older tool) is checked by the definition, `record_hash`.
    """
    fields = {
        "prev_hash": row["prev_hash"],
        "seq": int(row["seq"]),
        "at": stored_time_text(row["at"]),
        "kind": row["kind"],
        "actor": row["actor"],
        "thread_key": row["thread_key"],
        "excerpt_digest": row["excerpt_digest"],
    }
    hashed = stored_hash(data_json=row["data"], **fields)
    if hashed == row["hash"]:
        return hashed
    try:
        data = json.loads(row["data"])
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return hashed
    return record_hash(data=data, **fields)


def _broken(good: int, seq: int | None, problem: str) -> AuditReport:
    return AuditReport(ok=False, records=good, seq=seq, problem=problem)
