"""The audit chain: verify finds every kind of tampering; exports parse back and re-verify.

Tampering is done as an attacker would: the plain sqlite3 module on the database file, dropping the
append-only triggers first.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import FIELDS, export, format_report
from bot.records import CaseDraft, ThreadRef
from bot.store import AuditEntry, AuditReport, SqliteStore, open_store
from bot.store.chain import GENESIS, digest, record_hash

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REF = ThreadRef(platform="discord", workspace="g1", channel="c1", thread="t1")
RECORDS = 6


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "threadkeeper.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    """A store whose chain holds six records: cases and entries, with and without excerpts."""
    s = await open_store(db_path)
    for i in range(3):
        await s.commit(
            at=T0 + timedelta(hours=i),
            event_id=f"e{i}",
            state=None,
            cases=[
                CaseDraft(
                    kind="lock",
                    workspace="g1",
                    user_id="u1",
                    actor="bot",
                    thread=REF,
                    excerpts=(f"excerpt {i}", "ünïcode ✓"),
                )
            ],
            audit=[
                AuditEntry(
                    kind="decision",
                    actor="bot",
                    thread_key=REF.key,
                    data={"verdict": "lock", "strikes": i, "at": T0, "tags": ("a", "b")},
                    excerpt=None if i == 1 else f"message {i}",
                )
            ],
        )
    yield s
    await s.close()


@contextmanager
def attacker(path: Path) -> Iterator[sqlite3.Connection]:
    """The database opened with plain sqlite3, the append-only triggers dropped."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("DROP TRIGGER IF EXISTS audit_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        yield db


async def test_an_untouched_chain_verifies(store: SqliteStore) -> None:
    """A chain written only by the store verifies, counting every record."""
    assert await store.verify_audit() == AuditReport(ok=True, records=RECORDS)


async def test_records_are_linked_from_genesis(store: SqliteStore) -> None:
    """The first record follows 64 zeros and each record holds the hash of the one before."""
    records = await store.audit_records()
    assert [r.seq for r in records] == list(range(1, RECORDS + 1))
    assert records[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    case = records[0]
    assert case.kind == "case" and "excerpts" not in case.data
    assert case.excerpt_digest == digest(case.excerpt or "")


async def test_a_removed_middle_record_is_found(store: SqliteStore, db_path: Path) -> None:
    """Deleting a record leaves a gap: "record 3 is missing or out of order"."""
    with attacker(db_path) as db:
        db.execute("DELETE FROM audit WHERE seq = 3")
    report = await store.verify_audit()
    assert (report.ok, report.seq, report.problem) == (
        False,
        3,
        "record 3 is missing or out of order",
    )


async def test_a_removed_and_renumbered_record_is_found(store: SqliteStore, db_path: Path) -> None:
    """Deleting a record and closing the gap in the numbering still breaks the chain."""
    with attacker(db_path) as db:
        db.execute("DELETE FROM audit WHERE seq = 3")
        for seq in range(4, RECORDS + 1):
            db.execute("UPDATE audit SET seq = ? WHERE seq = ?", (seq - 1, seq))
        db.execute("UPDATE audit_head SET seq = seq - 1")
    report = await store.verify_audit()
    assert (report.seq, report.problem) == (3, "record 3 is missing or out of order")


async def test_removed_last_records_are_found(store: SqliteStore, db_path: Path) -> None:
    """Deleting the newest records is caught by the chain head."""
    with attacker(db_path) as db:
        db.execute("DELETE FROM audit WHERE seq >= 5")
    report = await store.verify_audit()
    assert (report.ok, report.seq, report.problem, report.records) == (
        False,
        5,
        "record 5 is missing or out of order",
        4,
    )


async def test_a_tampered_head_is_found(store: SqliteStore, db_path: Path) -> None:
    """A chain head that names another hash than the last record's is reported."""
    with attacker(db_path) as db:
        db.execute("UPDATE audit_head SET hash = ?", ("f" * 64,))
    report = await store.verify_audit()
    assert not report.ok and report.problem == f"the chain head does not match record {RECORDS}"


async def test_the_chain_still_verifies_after_a_purge(store: SqliteStore) -> None:
    """Purging every excerpt leaves the chain verifiable; records keep their digests."""
    assert await store.purge_excerpts(before=T0 + timedelta(days=1)) == 5
    assert await store.verify_audit() == AuditReport(ok=True, records=RECORDS)
    records = await store.audit_records()
    assert all(r.excerpt is None for r in records)
    assert sum(r.excerpt_digest is not None for r in records) == 5


async def test_jsonl_export_parses_back_and_reverifies(store: SqliteStore) -> None:
    """A JSONL export holds every field of every record, enough to re-check the chain offline."""
    out = io.StringIO()
    assert await export(store, fmt="jsonl", since=None, out=out) == RECORDS
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == RECORDS and all(tuple(line) == FIELDS for line in lines)
    prev = GENESIS
    for line in lines:
        fields = {k: line[k] for k in ("seq", "at", "kind", "actor", "thread_key", "data")}
        assert line["prev_hash"] == prev
        assert (
            record_hash(prev_hash=prev, excerpt_digest=line["excerpt_digest"], **fields)
            == (line["hash"])
        )
        if line["excerpt"] is not None:
            assert digest(line["excerpt"]) == line["excerpt_digest"]
        prev = line["hash"]
    assert lines[1]["data"]["tags"] == ["a", "b"]


async def test_csv_export_parses_back(store: SqliteStore) -> None:
    """A CSV export has a header and one row a record, the data column as JSON."""
    out = io.StringIO(newline="")
    assert await export(store, fmt="csv", since=T0 + timedelta(hours=1), out=out) == 4
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    records = await store.audit_records(since=T0 + timedelta(hours=1))
    assert [int(r["seq"]) for r in rows] == [r.seq for r in records] == [3, 4, 5, 6]
    for row, record in zip(rows, records, strict=True):
        assert json.loads(row["data"]) == record.data
        assert row["hash"] == record.hash
        assert row["excerpt"] == (record.excerpt or "")
    assert rows[1]["excerpt"] == ""  # the decision of hour 1 had no excerpt


async def test_export_refuses_an_unknown_format(store: SqliteStore) -> None:
    """An export format other than jsonl or csv is a ValueError."""
    with pytest.raises(ValueError, match="xml"):
        await export(store, fmt="xml", since=None, out=io.StringIO())  # type: ignore[arg-type]


def test_format_report() -> None:
    """The verify report reads as a plain sentence either way."""
    assert format_report(AuditReport(ok=True, records=1)) == (
        "The audit log is intact: 1 record verified."
    )
    broken = AuditReport(ok=False, records=11, seq=12, problem="record 12 was changed")
    assert format_report(broken) == (
        "The audit log does not verify: record 12 was changed. 11 records before it verified."
    )
