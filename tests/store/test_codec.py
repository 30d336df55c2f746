"""The JSON codec: every record survives dump, JSON text and load exactly; bad input is refused."""

from __future__ import annotations

import json
import types
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.records import Action, Assessment, Case, CaseDraft, ThreadRef, ThreadState
from bot.store import codec

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
AWARE = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES
)


def strategy_for(hint: Any) -> st.SearchStrategy[Any]:
    """A strategy for one field type, with aware datetimes and nested records filled in."""
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        inner = (
            strategy_for(args[0]) if len(args) == 1 else st.one_of(*[strategy_for(a) for a in args])
        )
        return st.none() | inner if type(None) in get_args(hint) else inner
    if hint is datetime:
        return AWARE
    if hint in (ThreadRef, Assessment):
        return every_field(hint)
    return st.from_type(hint)


def every_field(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Instances of a record with every field drawn, defaults included."""
    hints = get_type_hints(cls)
    return st.builds(cls, **{f.name: strategy_for(hints[f.name]) for f in fields(cls)})


CODECS = [
    (ThreadRef, codec.thread_ref_to_json, codec.thread_ref_from_json),
    (ThreadState, codec.thread_state_to_json, codec.thread_state_from_json),
    (Assessment, codec.assessment_to_json, codec.assessment_from_json),
    (Action, codec.action_to_json, codec.action_from_json),
    (CaseDraft, codec.case_draft_to_json, codec.case_draft_from_json),
    (Case, codec.case_to_json, codec.case_from_json),
]


@pytest.mark.parametrize(("cls", "dump", "load"), CODECS, ids=lambda c: getattr(c, "__name__", ""))
@settings(deadline=None)  # the first draw resolves the strategies, which can take a second
@given(data=st.data())
def test_round_trip_through_json_text_is_exact(cls: Any, dump: Any, load: Any, data: Any) -> None:
    """Any record, every field set, comes back equal after dump, JSON text and load."""
    record = data.draw(every_field(cls))
    text = json.dumps(dump(record), allow_nan=False)
    assert load(json.loads(text)) == record


@pytest.mark.parametrize(("cls", "dump", "load"), CODECS, ids=lambda c: getattr(c, "__name__", ""))
@settings(deadline=None)
@given(data=st.data())
def test_every_field_is_dumped(cls: Any, dump: Any, load: Any, data: Any) -> None:
    """A dump names exactly the record's fields, so a new field cannot be silently dropped."""
    assert set(dump(data.draw(every_field(cls)))) == {f.name for f in fields(cls)}


@given(a=AWARE, b=AWARE)
def test_dumped_times_sort_as_the_times_do(a: datetime, b: datetime) -> None:
    """Stored time strings compare as text exactly as the instants compare (SQL relies on it)."""
    assert (codec.time_to_json(a) < codec.time_to_json(b)) == (a < b)
    assert (codec.time_to_json(a) == codec.time_to_json(b)) == (a == b)


def test_times_are_stored_in_utc() -> None:
    """A time in another zone is stored as the same instant in UTC, with microseconds."""
    local = datetime(2026, 11, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert codec.time_to_json(local) == "2026-11-01T10:00:00.000000+00:00"
    assert codec.time_from_json(codec.time_to_json(local)).tzinfo is UTC


def test_naive_time_is_refused() -> None:
    """A datetime without a timezone is an error, not a guess."""
    with pytest.raises(ValueError, match="naive"):
        codec.time_to_json(datetime(2026, 11, 1))
    with pytest.raises(ValueError, match="no timezone"):
        codec.time_from_json("2026-11-01T10:00:00")


def test_missing_optional_fields_take_their_defaults() -> None:
    """JSON written before a field existed still loads, with the field's default."""
    ref = {"platform": "discord", "workspace": "g", "channel": "c", "thread": "t"}
    state = codec.thread_state_from_json(
        {"ref": ref, "owner": "u1", "opened_at": "2026-11-01T10:00:00.000000+00:00"}
    )
    assert state.status == "open" and state.strikes == 0 and state.closed_at is None


REF = {"platform": "discord", "workspace": "g", "channel": "c", "thread": "t"}


@pytest.mark.parametrize(
    ("load", "data", "message"),
    [
        (codec.thread_ref_from_json, [], "expected a JSON object"),
        (codec.thread_ref_from_json, {**REF, "extra": 1}, "unknown field"),
        (codec.thread_ref_from_json, {**REF, "thread": 5}, r"ThreadRef\.thread: expected a string"),
        (codec.thread_ref_from_json, {"platform": "discord"}, "ThreadRef"),
        (codec.assessment_from_json, {"risk": "everyone"}, r"Assessment\.risk"),
        (codec.assessment_from_json, {"harmful": 1}, "true or false"),
        (codec.action_from_json, {"kind": "explode", "thread": REF}, r"Action\.kind"),
        (codec.action_from_json, {"kind": "reply", "thread": REF, "case": True}, "integer"),
        (
            codec.case_draft_from_json,
            {"kind": "lock", "workspace": "g", "user_id": "u", "actor": "a", "excerpts": "x"},
            "list of strings",
        ),
        (
            codec.thread_state_from_json,
            {"ref": REF, "owner": "u", "opened_at": "2026-11-01T10:00:00", "status": "open"},
            "no timezone",
        ),
    ],
)
def test_bad_json_is_refused_with_the_field_named(load: Any, data: Any, message: str) -> None:
    """A malformed record raises ValueError naming the record and field at fault."""
    with pytest.raises(ValueError, match=message):
        load(data)
