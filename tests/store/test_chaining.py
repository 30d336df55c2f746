"""The audit chain linked after the commit on PostgreSQL: writers never wait on the chain's head,
every committed record is linked once, in an order that keeps each thread's, with no gaps; a
failure or a crash between the commit and the linking loses nothing. And the hash, computed once
over the stored text, is the chain's definition of it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from bot.audit import format_report
from bot.errors import StoreError
from bot.records import ThreadRef
from bot.store import AuditEntry, PostgresStore
from bot.store.base import AuditReport
from bot.store.chain import GENESIS, canonical_json, record_fault, record_hash, stored_hash
from bot.store.postgres.chaining import CHAIN_LOCK_KEY
from tests.store.conftest import Backend
from tests.store.test_contract import T0, draft, state, turn

ROOT = Path(__file__).resolve().parent.parent.parent


def entry(thread: str, i: int, excerpt: str | None = None) -> AuditEntry:
    return AuditEntry(
        kind="decision", actor="bot", thread_key=thread, data={"i": i}, excerpt=excerpt
    )


# --- the hash ------------------------------------------------------------------------------------

DATA = [
    {},
    {"verdict": "lock", "strikes": 2, "tags": ["a", "b"], "nested": {"z": 1, "a": [None, True]}},
    {"f": 1.5, "big": 1e20, "neg": -0.0, "n": -12345678901234567890},
    {"text": 'ünïcode ✓ "quoted" \\ back \n line \t tab \u2028', "emoji": "\U0001f600"},
    {"lone": "\ud800", "nul": "\x00"},
]


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("thread_key", [None, "slack:T:C:1.2"])
def test_the_hash_over_the_stored_text_is_the_definition(
    data: dict[str, object], thread_key: str | None
) -> None:
    """Splicing the stored canonical text gives record_hash's digest, byte for byte."""
    fields = {
        "prev_hash": GENESIS,
        "seq": 7,
        "at": "2026-11-01T00:00:00.000000+00:00",
        "kind": "decision",
        "actor": "bot",
        "thread_key": thread_key,
        "excerpt_digest": None if thread_key is None else "ab" * 32,
    }
    assert stored_hash(data_json=canonical_json(data), **fields) == record_hash(data=data, **fields)
    # A different text of the same data is a different record to the splice.
    assert stored_hash(data_json=canonical_json(data) + " ", **fields) != record_hash(
        data=data, **fields
    )


def test_a_record_stored_in_another_json_spelling_still_verifies() -> None:
    """Old or hand-made rows with valid but not canonical JSON data are checked by definition."""
    fields = {
        "prev_hash": GENESIS,
        "seq": 1,
        "at": "2026-11-01T00:00:00.000000+00:00",
        "kind": "decision",
        "actor": "bot",
        "thread_key": None,
        "excerpt_digest": None,
    }
    data = {"b": 1, "a": "x"}
    row = {**fields, "data": json.dumps(data, indent=2), "excerpt": None}
    row["hash"] = record_hash(data=data, **fields)
    assert record_fault(row, good=0, prev=GENESIS) is None
    row["data"] = json.dumps({"b": 2, "a": "x"}, indent=2)
    fault = record_fault(row, good=0, prev=GENESIS)
    assert fault is not None and fault.problem == "record 1 was changed"


def test_verify_says_when_records_wait_to_be_linked() -> None:
    text = format_report(AuditReport(ok=True, records=4, pending=2))
    assert "4 records verified" in text and "2 more" in text and "not linked" in text
    assert "not linked" not in format_report(AuditReport(ok=True, records=4))


# --- PostgreSQL ----------------------------------------------------------------------------------


async def raw(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url)


async def test_a_writer_commits_while_the_head_and_the_chainer_are_held(pg_url: str) -> None:
    """Holding audit_head's row lock and the chainer's lock does not stop a decision committing."""
    store = PostgresStore(pg_url)
    await store.open()
    holder = await raw(pg_url)
    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1)", CHAIN_LOCK_KEY)
        await holder.fetchrow("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
        for i in range(3):
            await asyncio.wait_for(
                store.commit(
                    at=T0 + timedelta(seconds=i),
                    event_id=f"e{i}",
                    state=state(),
                    turns=[turn(f"message {i}")],
                    audit=[entry("t", i, excerpt=f"message {i}")],
                ),
                timeout=5,
            )
        assert await store.pending_records() == 3
        await tx.rollback()
        report = await store.verify_audit()
        assert report == AuditReport(ok=True, records=3)
        assert await store.pending_records() == 0
    finally:
        await holder.close()
        await store.close()


async def test_processes_committing_at_once_make_one_gapless_chain(pg_url: str) -> None:
    """Four stores (as four processes) commit concurrently; each thread's records keep order."""
    stores = [PostgresStore(pg_url, pool_size=3) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    per = 25

    async def writer(n: int, s: PostgresStore) -> None:
        ref = ThreadRef(platform="file", workspace="w", channel="c", thread=f"p{n}")
        for i in range(per):
            await s.commit(
                at=T0 + timedelta(seconds=i),
                event_id=f"p{n}-{i}",
                state=state(ref),
                cases=[draft(thread=ref)] if i % 5 == 0 else [],
                audit=[entry(ref.key, i)],
            )

    try:
        await asyncio.gather(*(writer(n, s) for n, s in enumerate(stores)))
        total = 4 * (per + per // 5)
        report = await stores[0].verify_audit()
        assert report == AuditReport(ok=True, records=total)
        records = await stores[1].audit_records()
        assert [r.seq for r in records] == list(range(1, total + 1))
        for n in range(4):
            mine = [
                r.data["i"]
                for r in records
                if r.kind == "decision" and r.thread_key == f"file:w:c:p{n}"
            ]
            assert mine == list(range(per))
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_a_rolled_back_decision_leaves_no_gap(pg_url: str) -> None:
    """A decision that fails after writing its records takes them with it; seqs stay gapless."""
    store = PostgresStore(pg_url)
    await store.open()
    try:
        await store.commit(at=T0, event_id="a", state=None, audit=[entry("t", 1)])
        with pytest.raises(StoreError):
            # Its records are queued before `done` is checked; the unknown action fails it.
            await store.commit(
                at=T0, event_id="b", state=None, audit=[entry("t", 2)], done=[(999, "ok")]
            )
        await store.commit(at=T0, event_id="c", state=None, audit=[entry("t", 3)])
        assert await store.verify_audit() == AuditReport(ok=True, records=2)
        assert [r.data["i"] for r in await store.audit_records()] == [1, 3]
    finally:
        await store.close()


async def test_a_failed_linking_keeps_the_record_until_it_can_be_linked(pg_url: str) -> None:
    """The database refusing the chain's insert fails no decision and loses no record."""
    backend = Backend("postgres", pg_url)
    store = await backend.open()
    await backend.fail_on("audit", "INSERT")
    try:
        await store.commit(at=T0, event_id="a", state=None, audit=[entry("t", 1, "hello")])
        with pytest.raises(StoreError, match="disk on fire"):
            await store.verify_audit()
        assert await backend.count("audit_pending") == 1
        assert await backend.count("audit") == 0
        await backend.stop_failing("audit")
        assert await store.verify_audit() == AuditReport(ok=True, records=1)
        [record] = await store.audit_records()
        assert record.excerpt == "hello" and record.data == {"i": 1}
    finally:
        await store.close()


async def test_verify_reports_records_committed_after_it_linked(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record committed between the linking and the walk is counted as pending, not lost."""
    store = PostgresStore(pg_url)
    monkeypatch.setattr(store, "chain_soon", lambda: None)
    await store.open()
    try:
        await store.commit(at=T0, event_id="a", state=None, audit=[entry("t", 1)])
        await store.link_all()
        await store.commit(at=T0, event_id="b", state=None, audit=[entry("t", 2)])

        async def linked_already() -> int:  # as if "b" committed just after verify linked
            return 0

        monkeypatch.setattr(store, "link_all", linked_already)
        assert await store.verify_audit() == AuditReport(ok=True, records=1, pending=1)
        monkeypatch.undo()
        assert await store.verify_audit() == AuditReport(ok=True, records=2)
    finally:
        await store.close()


def start_worker(url: str, marker: Path, n: int, stderr: Path) -> subprocess.Popen[bytes]:
    """tests/store/chain_worker.py in a process of its own (stderr to a file)."""
    with stderr.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.store.chain_worker", url, str(marker), str(n)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


@pytest.mark.slow
async def test_a_process_killed_after_commit_before_linking_loses_no_record(
    pg_url: str, tmp_path: Path
) -> None:
    """SIGKILL after the commits and before any linking; a restarted store links every record."""
    n = 6
    marker = tmp_path / "marker"
    proc = start_worker(pg_url, marker, n, tmp_path / "stderr.txt")
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
        assert time.monotonic() < deadline, "the worker never committed"
        await asyncio.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    backend = Backend("postgres", pg_url)
    expected = n + n // 2  # a decision record each, a case record on every other one
    assert await backend.count("audit_pending") == expected
    assert await backend.count("audit") == 0
    store = await backend.open()
    try:
        assert await store.verify_audit() == AuditReport(ok=True, records=expected)
        records = await store.audit_records()
        assert [r.data["i"] for r in records if r.kind == "decision"] == list(range(n))
        assert [r.excerpt for r in records if r.kind == "decision"] == [
            f"message {i}" for i in range(n)
        ]
        assert await backend.count("audit_pending") == 0
    finally:
        await store.close()
