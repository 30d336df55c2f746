"""The audit log for people: export to JSONL or CSV, and a verification report in one sentence.

Exports carry every field of every record, hashes included, so a copy kept elsewhere can be
checked against the live chain later (and the head hash in it anchors the newest records).
"""

from __future__ import annotations

import csv
import json
import logging
from datetime import datetime
from typing import Any, Literal, TextIO

from bot.store.base import AuditRecord, AuditReport, Store
from bot.store.chain import canonical_json
from bot.store.codec import time_to_json

log = logging.getLogger(__name__)

#: Export columns, in order.
FIELDS: tuple[str, ...] = (
    "seq",
    "at",
    "kind",
    "actor",
    "thread_key",
    "data",
    "excerpt_digest",
    "excerpt",
    "prev_hash",
    "hash",
)


def record_to_json(record: AuditRecord) -> dict[str, Any]:
    """One audit record as a JSON object; `at` is spelled exactly as the chain hashed it."""
    return {
        "seq": record.seq,
        "at": time_to_json(record.at),
        "kind": record.kind,
        "actor": record.actor,
        "thread_key": record.thread_key,
        "data": dict(record.data),
        "excerpt_digest": record.excerpt_digest,
        "excerpt": record.excerpt,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


async def export(
    store: Store,
    *,
    fmt: Literal["jsonl", "csv"],
    since: datetime | None,
    out: TextIO,
) -> int:
    """Write the audit records (from `since`, if given) to `out`; return how many were written.

    For CSV, open `out` with `newline=""`; the data column holds the record's data as JSON and an
    empty cell stands for null.
    """
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown export format {fmt!r}: use jsonl or csv")
    records = await store.audit_records(since=since)
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record_to_json(record), ensure_ascii=False) + "\n")
    else:
        writer = csv.writer(out)
        writer.writerow(FIELDS)
        for record in records:
            row = record_to_json(record)
            row["data"] = canonical_json(row["data"])
            writer.writerow(["" if row[f] is None else row[f] for f in FIELDS])
    log.info("exported %d audit record(s) as %s", len(records), fmt)
    return len(records)


def format_report(report: AuditReport) -> str:
    """The result of `audit verify` as one or two plain sentences."""
    noun = "record" if report.records == 1 else "records"
    if report.ok:
        return f"The audit log is intact: {report.records} {noun} verified."
    return (
        f"The audit log does not verify: {report.problem}. "
        f"{report.records} {noun} before it verified."
    )
