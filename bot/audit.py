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

from bot.progress import EVERY, Progress, silent
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
    progress: Progress = silent,
) -> int:
    """Write the audit records (from `since`, if given) to `out`; return how many were written.

    For CSV, open `out` with `newline=""`; the data column holds the record's data as JSON and an
    empty cell stands for null. `progress` hears ("exporting the audit log", written, records).
    """
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown export format {fmt!r}: use jsonl or csv")
    stage = "exporting the audit log"
    progress("reading the audit log", 0, None)
    records = await store.audit_records(since=since)
    progress(stage, 0, len(records))
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(FIELDS)
    for n, record in enumerate(records, start=1):
        if writer is None:
            out.write(json.dumps(record_to_json(record), ensure_ascii=False) + "\n")
        else:
            row = record_to_json(record)
            row["data"] = canonical_json(row["data"])
            writer.writerow(["" if row[f] is None else row[f] for f in FIELDS])
        if n % EVERY == 0:
            progress(stage, n, len(records))
    progress(stage, len(records), len(records))
    log.info("exported %d audit record(s) as %s", len(records), fmt)
    return len(records)


def format_report(report: AuditReport) -> str:
    """The result of `audit verify` as one or two plain sentences."""
    noun = "record" if report.records == 1 else "records"
    waiting = ""
    if report.pending:
        waiting = (
            f" {report.pending} more committed since are not linked into the chain yet;"
            " run it again to verify them."
        )
    if report.ok:
        return f"The audit log is intact: {report.records} {noun} verified.{waiting}"
    return (
        f"The audit log does not verify: {report.problem}. "
        f"{report.records} {noun} before it verified."
    )
