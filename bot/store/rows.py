"""Values as both backends store them, and stored rows read back as records.

The two backends differ in their SQL, not in what a row means. SQLite keeps times as ISO text;
asyncpg hands back timestamptz columns as datetimes. The readers here accept either
(`stored_time`), so one mapping serves both and a record read back is the same whichever
database it came from; a row that does not load raises StoreError naming it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Protocol, cast

from bot.errors import StoreError
from bot.records import CASE_KINDS, Case, ThreadRef, ThreadState
from bot.store import codec
from bot.store.base import AuditRecord, OwedAction, Turn, TurnRole, UsageRow
from bot.store.codec import THREAD_STATUSES

log = logging.getLogger(__name__)


class Row(Protocol):
    """A stored row by column name or position: an sqlite3.Row or an asyncpg Record."""

    def __getitem__(self, key: str | int, /) -> Any: ...


# --- values to store ---------------------------------------------------------------------------


def json_text(value: object) -> str:
    """`value` as the compact JSON the store keeps (UTF-8 kept, no NaN)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def clean_text(text: str) -> str:
    """Text a UTF-8 database can store: a lone surrogate (valid in JSON, not UTF-8) becomes '?'."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def cut(text: str, limit: int) -> str:
    """`text` at most `limit` characters long, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def time_text(value: datetime) -> str:
    """A time as the store keeps it; StoreError for one without a timezone."""
    try:
        return codec.time_to_json(value)
    except ValueError as exc:
        raise StoreError(str(exc)) from exc


# --- rows to records ---------------------------------------------------------------------------


def stored_time(value: Any) -> datetime:
    """A stored time as a datetime: SQLite's ISO text parsed, asyncpg's datetime as it is."""
    return value if isinstance(value, datetime) else codec.time_from_json(value)


def stored_time_text(value: Any) -> Any:
    """A stored time as the ISO text the chain and the codec use (SQLite's is that already)."""
    return codec.time_to_json(value) if isinstance(value, datetime) else value


def _opt_time_text(value: Any) -> Any:
    return None if value is None else stored_time_text(value)


def thread_state_from_text(key: str, state: str) -> ThreadState:
    """The stored state (JSON text) of thread `key`."""
    try:
        return codec.thread_state_from_json(json.loads(state))
    except ValueError as exc:
        raise StoreError(f"the stored state of thread {key} does not load: {exc}") from exc


def turn_from_row(row: Row) -> Turn:
    """A `turns` row joined with its excerpt's text (column `text`)."""
    assessment = row["assessment"]
    try:
        return Turn(
            seq=int(row["seq"]),
            thread_key=row["thread_key"],
            role=cast(TurnRole, row["role"]),
            author_id=row["author_id"],
            author_name=row["author_name"],
            text=row["text"] or "",
            at=stored_time(row["at"]),
            verdict=row["verdict"],
            hidden=bool(row["hidden"]),
            flagged=bool(row["flagged"]),
            assessment=None
            if assessment is None
            else codec.assessment_from_json(json.loads(assessment)),
        )
    except ValueError as exc:
        raise StoreError(f"turn {row['seq']} does not load: {exc}") from exc


def usage_from_row(row: Row) -> UsageRow:
    """A `turns` row's usage fields (columns thread_key, at, usage)."""
    return UsageRow(
        thread_key=row["thread_key"], at=stored_time(row["at"]), usage=json.loads(row["usage"])
    )


def case_from_row(row: Row) -> Case:
    """A `cases` row joined with its excerpts' text (column `excerpts`)."""
    thread_key, excerpts = row["thread_key"], row["excerpts"]
    data: dict[str, Any] = {
        "workspace": row["workspace"],
        "number": row["number"],
        "kind": row["kind"],
        "user_id": row["user_id"],
        "actor": row["actor"],
        "thread": None
        if thread_key is None
        else codec.thread_ref_to_json(ThreadRef.from_key(thread_key)),
        "category": row["category"],
        "priority": bool(row["priority"]),
        "strikes": row["strikes"],
        "summary": row["summary"],
        "refers_to": row["refers_to"],
        "status": row["status"],
        "created_at": stored_time_text(row["created_at"]),
        "status_by": row["status_by"],
        "status_reason": row["status_reason"],
        "status_at": _opt_time_text(row["status_at"]),
        "signals": row["signals"],
        "updated_at": _opt_time_text(row["updated_at"]),
        "pinged_at": _opt_time_text(row["pinged_at"]),
        "post": row["post"],
    }
    try:
        data["excerpts"] = [] if excerpts is None else json.loads(excerpts)
        return codec.case_from_json(data)
    except ValueError as exc:
        raise StoreError(
            f"case {row['number']} in {row['workspace']} does not load: {exc}"
        ) from exc


def owed_from_row(row: Row) -> OwedAction:
    """An `outbox` row (columns id, action, created_at, attempts, event_id)."""
    try:
        action = codec.action_from_json(json.loads(row["action"]))
    except ValueError as exc:
        raise StoreError(f"owed action {row['id']} does not load: {exc}") from exc
    return OwedAction(
        id=int(row["id"]),
        action=action,
        created_at=stored_time(row["created_at"]),
        attempts=int(row["attempts"]),
        event_id=row["event_id"],
    )


def audit_record_from_row(row: Row) -> AuditRecord:
    """An `audit` row joined with its excerpt's text (column `excerpt`)."""
    try:
        return AuditRecord(
            seq=int(row["seq"]),
            at=stored_time(row["at"]),
            kind=row["kind"],
            actor=row["actor"],
            thread_key=row["thread_key"],
            data=json.loads(row["data"]),
            excerpt_digest=row["excerpt_digest"],
            prev_hash=row["prev_hash"],
            hash=row["hash"],
            excerpt=row["excerpt"],
        )
    except ValueError as exc:
        raise StoreError(f"audit record {row['seq']} does not load: {exc}") from exc


def zero_stats() -> dict[str, int]:
    """Every count `stats` reports, at zero: threads by status, cases by kind, outbox, audit."""
    out: dict[str, int] = {f"threads.{s}": 0 for s in THREAD_STATUSES}
    out.update({f"cases.{k}": 0 for k in CASE_KINDS})
    out.update({"actions.owed": 0, "actions.given_up": 0, "audit.records": 0})
    return out
