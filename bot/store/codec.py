"""JSON-safe forms of the core's records, both ways.

The store keeps thread state, actions and assessments as JSON so that adding a field with a default
needs no migration, and the audit export and replay output speak the same shapes. Loading is strict
about types and unknown fields: a record that does not load is a bug or tampering, never guessed at.
Times are ISO-8601 strings in UTC with microseconds, a fixed width so they also sort as text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.records import (
    ACTION_KINDS,
    CASE_KINDS,
    CASE_STATUSES,
    CATEGORIES,
    RISKS,
    Action,
    Assessment,
    Author,
    Case,
    CaseDraft,
    Incoming,
    ThreadRef,
    ThreadState,
)

log = logging.getLogger(__name__)

JSONObject = dict[str, Any]
T = TypeVar("T")

THREAD_STATUSES: tuple[str, ...] = ("open", "warned", "locked", "ended")


# --- times -------------------------------------------------------------------------------------


def time_to_json(value: datetime) -> str:
    """A timezone-aware datetime as a fixed-width ISO-8601 UTC string."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: give the store timezone-aware times")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def time_from_json(text: object) -> datetime:
    """Inverse of `time_to_json`."""
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO-8601 time, got {text!r}")
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no timezone")
    return value.astimezone(UTC)


def _opt_time_to_json(value: datetime | None) -> str | None:
    return None if value is None else time_to_json(value)


def _opt_time_from_json(value: object) -> datetime | None:
    return None if value is None else time_from_json(value)


# --- field checks ------------------------------------------------------------------------------


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _choice(allowed: tuple[str, ...]) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


def _strs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(_str(v) for v in value)


def _build(
    cls: Callable[..., T], data: object, fields: Mapping[str, Callable[[object], object]]
) -> T:
    """Check every field of `data` with its converter and construct; missing ones take defaults."""
    name = getattr(cls, "__name__", "record")
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{name}: unknown field(s) {', '.join(unknown)}")
    kwargs: dict[str, object] = {}
    for key, value in data.items():
        try:
            kwargs[key] = fields[key](value)
        except ValueError as exc:
            raise ValueError(f"{name}.{key}: {exc}") from None
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise ValueError(f"{name}: {exc}") from None


# --- ThreadRef ---------------------------------------------------------------------------------


def thread_ref_to_json(ref: ThreadRef) -> JSONObject:
    """A thread reference as a JSON object."""
    return {
        "platform": ref.platform,
        "workspace": ref.workspace,
        "channel": ref.channel,
        "thread": ref.thread,
    }


_REF_FIELDS: dict[str, Callable[[object], object]] = dict.fromkeys(
    ("platform", "workspace", "channel", "thread"), _str
)


def thread_ref_from_json(data: object) -> ThreadRef:
    """Inverse of `thread_ref_to_json`."""
    return _build(ThreadRef, data, _REF_FIELDS)


def _opt_ref_to_json(ref: ThreadRef | None) -> JSONObject | None:
    return None if ref is None else thread_ref_to_json(ref)


def _opt_ref_from_json(data: object) -> ThreadRef | None:
    return None if data is None else thread_ref_from_json(data)


# --- ThreadState -------------------------------------------------------------------------------


def thread_state_to_json(state: ThreadState) -> JSONObject:
    """A thread's state as a JSON object."""
    return {
        "ref": thread_ref_to_json(state.ref),
        "owner": state.owner,
        "opened_at": time_to_json(state.opened_at),
        "status": state.status,
        "strikes": state.strikes,
        "benign_streak": state.benign_streak,
        "turns": state.turns,
        "last_risk_at": _opt_time_to_json(state.last_risk_at),
        "resources_posted_at": _opt_time_to_json(state.resources_posted_at),
        "pending_end_by": state.pending_end_by,
        "first_strike_turn": state.first_strike_turn,
        "closed_category": state.closed_category,
        "closed_at": _opt_time_to_json(state.closed_at),
        "history_trimmed": state.history_trimmed,
        "warned_users": list(state.warned_users),
        "history_from": state.history_from,
        "closed_by": state.closed_by,
        "last_risk": state.last_risk,
    }


_STATE_FIELDS: dict[str, Callable[[object], object]] = {
    "ref": thread_ref_from_json,
    "owner": _str,
    "opened_at": time_from_json,
    "status": _choice(THREAD_STATUSES),
    "strikes": _int,
    "benign_streak": _int,
    "turns": _int,
    "last_risk_at": _opt_time_from_json,
    "resources_posted_at": _opt_time_from_json,
    "pending_end_by": _opt_str,
    "first_strike_turn": _opt_int,
    "closed_category": _choice(CATEGORIES),
    "closed_at": _opt_time_from_json,
    "history_trimmed": _bool,
    "warned_users": _strs,
    "history_from": _int,
    "closed_by": _str,
    "last_risk": _choice(RISKS),
}


def thread_state_from_json(data: object) -> ThreadState:
    """Inverse of `thread_state_to_json`."""
    return _build(ThreadState, data, _STATE_FIELDS)


# --- Assessment --------------------------------------------------------------------------------


def assessment_to_json(assessment: Assessment) -> JSONObject:
    """A classifier assessment as a JSON object (the design's schema)."""
    return {
        "harmful": assessment.harmful,
        "abusive": assessment.abusive,
        "category": assessment.category,
        "risk": assessment.risk,
        "end_request": assessment.end_request,
        "rationale": assessment.rationale,
    }


_ASSESSMENT_FIELDS: dict[str, Callable[[object], object]] = {
    "harmful": _bool,
    "abusive": _bool,
    "category": _choice(CATEGORIES),
    "risk": _choice(RISKS),
    "end_request": _bool,
    "rationale": _str,
}


def assessment_from_json(data: object) -> Assessment:
    """Inverse of `assessment_to_json`."""
    return _build(Assessment, data, _ASSESSMENT_FIELDS)


# --- Action ------------------------------------------------------------------------------------


def action_to_json(action: Action) -> JSONObject:
    """An action as a JSON object, as the outbox keeps it."""
    return {
        "kind": action.kind,
        "thread": thread_ref_to_json(action.thread),
        "text": action.text,
        "category": action.category,
        "case": action.case,
        "priority": action.priority,
        "user_id": action.user_id,
        "case_ref": action.case_ref,
    }


_ACTION_FIELDS: dict[str, Callable[[object], object]] = {
    "kind": _choice(ACTION_KINDS),
    "thread": thread_ref_from_json,
    "text": _str,
    "category": _choice(CATEGORIES),
    "case": _opt_int,
    "priority": _bool,
    "user_id": _opt_str,
    "case_ref": _opt_int,
}


def action_from_json(data: object) -> Action:
    """Inverse of `action_to_json`."""
    return _build(Action, data, _ACTION_FIELDS)


# --- Incoming (the inbox) -----------------------------------------------------------------------


def incoming_to_json(msg: Incoming) -> JSONObject:
    """A message as the inbox keeps it between accepting it and deciding on it."""
    return {
        "event_id": msg.event_id,
        "thread": thread_ref_to_json(msg.thread),
        "author": {
            "id": msg.author.id,
            "name": msg.author.name,
            "is_moderator": msg.author.is_moderator,
            "is_bot": msg.author.is_bot,
        },
        "text": msg.text,
        "at": time_to_json(msg.at),
        "opens_thread": msg.opens_thread,
        # Written only when set, so an inbox row reads the same to a version without the field.
        **({"crisis_regions": list(msg.crisis_regions)} if msg.crisis_regions else {}),
    }


_AUTHOR_FIELDS: dict[str, Callable[[object], object]] = {
    "id": _str,
    "name": _str,
    "is_moderator": _bool,
    "is_bot": _bool,
}


def _author_from_json(data: object) -> Author:
    return _build(Author, data, _AUTHOR_FIELDS)


_INCOMING_FIELDS: dict[str, Callable[[object], object]] = {
    "event_id": _str,
    "thread": thread_ref_from_json,
    "author": _author_from_json,
    "text": _str,
    "at": time_from_json,
    "opens_thread": _bool,
    "crisis_regions": _strs,
}


def incoming_from_json(data: object) -> Incoming:
    """Inverse of `incoming_to_json`."""
    return _build(Incoming, data, _INCOMING_FIELDS)


# --- Case and CaseDraft ------------------------------------------------------------------------


def case_draft_to_json(draft: CaseDraft) -> JSONObject:
    """A case draft as a JSON object."""
    return {
        "kind": draft.kind,
        "workspace": draft.workspace,
        "user_id": draft.user_id,
        "actor": draft.actor,
        "thread": _opt_ref_to_json(draft.thread),
        "category": draft.category,
        "priority": draft.priority,
        "strikes": draft.strikes,
        "summary": draft.summary,
        "excerpts": list(draft.excerpts),
        "refers_to": draft.refers_to,
    }


_DRAFT_FIELDS: dict[str, Callable[[object], object]] = {
    "kind": _choice(CASE_KINDS),
    "workspace": _str,
    "user_id": _str,
    "actor": _str,
    "thread": _opt_ref_from_json,
    "category": _choice(CATEGORIES),
    "priority": _bool,
    "strikes": _int,
    "summary": _str,
    "excerpts": _strs,
    "refers_to": _opt_int,
}


def case_draft_from_json(data: object) -> CaseDraft:
    """Inverse of `case_draft_to_json`."""
    return _build(CaseDraft, data, _DRAFT_FIELDS)


def case_to_json(case: Case) -> JSONObject:
    """A numbered case as a JSON object."""
    return {
        "number": case.number,
        "kind": case.kind,
        "workspace": case.workspace,
        "user_id": case.user_id,
        "actor": case.actor,
        "created_at": time_to_json(case.created_at),
        "thread": _opt_ref_to_json(case.thread),
        "category": case.category,
        "priority": case.priority,
        "strikes": case.strikes,
        "summary": case.summary,
        "excerpts": list(case.excerpts),
        "refers_to": case.refers_to,
        "status": case.status,
        "status_by": case.status_by,
        "status_reason": case.status_reason,
        "status_at": _opt_time_to_json(case.status_at),
        "signals": case.signals,
        "updated_at": _opt_time_to_json(case.updated_at),
        "pinged_at": _opt_time_to_json(case.pinged_at),
        "post": case.post,
    }


_CASE_FIELDS: dict[str, Callable[[object], object]] = {
    **_DRAFT_FIELDS,
    "number": _int,
    "created_at": time_from_json,
    "status": _choice(CASE_STATUSES),
    "status_by": _str,
    "status_reason": _str,
    "status_at": _opt_time_from_json,
    "signals": _int,
    "updated_at": _opt_time_from_json,
    "pinged_at": _opt_time_from_json,
    "post": _str,
}


def case_from_json(data: object) -> Case:
    """Inverse of `case_to_json`."""
    return _build(Case, data, _CASE_FIELDS)
