"""Moving an installation between stores, record for record: SQLite to PostgreSQL, and back.

A bot that outgrows one process moves its data to PostgreSQL; one that shrinks, or a moderator who
wants a file to inspect, moves it back. Nothing may be lost or renumbered on the way: case numbers
are what moderators quote, outbox ids are idempotency keys a platform may remember (tk-<id>), and
the audit chain must still verify, so every row keeps its id, sequence number and hash.

`copy_store` reads the source in one snapshot (a read transaction), refuses a target that holds
anything, writes everything in one transaction, carries the id counters over (so an id freed by a
purge is never handed out again), and walks the copied chain before committing: the copy is whole
and verifies, or nothing of it is written. Outbox leases (PostgreSQL only) are not copied; an owed
action arrives unclaimed.

The data is held in memory while it moves, which suits the databases this bot keeps (message texts
are excerpts, purged on a retention schedule); stop the bot while copying, or later writes to the
source are not in the copy.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.errors import StoreError
from bot.progress import Progress, silent
from bot.store import codec
from bot.store.postgres import Conn, PostgresStore, walk_chain
from bot.store.sqlite import SqliteStore

log = logging.getLogger(__name__)

AnyStore = SqliteStore | PostgresStore


@dataclass(frozen=True, slots=True)
class _Table:
    """A table as both backends have it: columns in a fixed order, and which hold times or flags."""

    name: str
    columns: tuple[str, ...]
    order: str
    times: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()


#: Every table with records, in the order they are written.
TABLES: tuple[_Table, ...] = (
    _Table(
        "threads",
        ("key", "status", "owner", "workspace", "state", "updated_at"),
        "key",
        times=frozenset({"updated_at"}),
    ),
    _Table("excerpts", ("id", "digest", "text", "at"), "id", times=frozenset({"at"})),
    _Table("events", ("event_id", "at"), "event_id", times=frozenset({"at"})),
    _Table(
        "turns",
        (
            "seq",
            "thread_key",
            "role",
            "author_id",
            "author_name",
            "at",
            "event_id",
            "verdict",
            "assessment",
            "hidden",
            "flagged",
            "usage",
            "excerpt_id",
        ),
        "seq",
        times=frozenset({"at"}),
        flags=frozenset({"hidden", "flagged"}),
    ),
    _Table(
        "cases",
        (
            "workspace",
            "number",
            "kind",
            "user_id",
            "actor",
            "thread_key",
            "category",
            "priority",
            "strikes",
            "summary",
            "excerpt_id",
            "refers_to",
            "status",
            "created_at",
            "status_by",
            "status_reason",
            "status_at",
            "signals",
            "updated_at",
            "pinged_at",
            "post",
        ),
        "workspace, number",
        times=frozenset({"created_at", "status_at", "updated_at", "pinged_at"}),
        flags=frozenset({"priority"}),
    ),
    _Table(
        "outbox",
        (
            "id",
            "action",
            "status",
            "attempts",
            "created_at",
            "done_at",
            "outcome",
            "last_error",
            "event_id",
        ),
        "id",
        times=frozenset({"created_at", "done_at"}),
    ),
    _Table(
        "audit",
        (
            "seq",
            "at",
            "kind",
            "actor",
            "thread_key",
            "data",
            "excerpt_digest",
            "excerpt_id",
            "prev_hash",
            "hash",
        ),
        "seq",
        times=frozenset({"at"}),
    ),
)

#: Tables whose id column is a counter that must not go back: (table, column).
COUNTERS: tuple[tuple[str, str], ...] = (("excerpts", "id"), ("turns", "seq"), ("outbox", "id"))


@dataclass(slots=True)
class _Snapshot:
    """Every record of a store; times as aware datetimes and flags as bools, whatever the source."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    head: tuple[int, str] = (0, "")
    #: The highest id each counter has handed out, purged rows included.
    counters: dict[str, int] = field(default_factory=dict)


#: The stages a copy reports (see `bot.progress`); the source's chain is checked first.
STAGE_READ = "reading the source (tables)"
STAGE_WRITE = "writing the copy (rows)"
STAGE_CHECK = "verifying the copy's chain"
#: Rows per insert statement when a copy reports its progress.
WRITE_BATCH = 1000


async def copy_store(
    source: AnyStore, target: AnyStore, *, progress: Progress | None = None
) -> dict[str, int]:
    """Copy every record of `source` into the empty `target`; return the rows copied per table.

    `progress` hears each stage: the source's chain verified, the tables read, the rows written,
    the copy's chain verified (inside the write transaction, before it commits).
    """
    if source is target:
        raise StoreError("cannot copy a store onto itself")
    report = await source.verify_audit(progress=progress)
    if not report.ok:
        raise StoreError(
            f"the audit chain of {source!r} does not verify ({report.problem}); "
            "a copy would carry the damage over, so nothing was copied"
        )
    if report.pending:
        raise StoreError(
            f"{report.pending} audit record(s) of {source!r} were committed while it was being "
            "verified: a bot is still writing to it. Stop it and copy again; nothing was copied"
        )
    snapshot = await _read(source, progress or silent)
    await _write(target, snapshot, progress or silent)
    counts = {t.name: len(snapshot.rows[t.name]) for t in TABLES}
    log.info("copied %r to %r: %s", source, target, counts)
    return counts


# --- reading -----------------------------------------------------------------------------------


async def _read(store: AnyStore, progress: Progress) -> _Snapshot:
    if isinstance(store, SqliteStore):
        return await store._call(
            "read the store for a copy", lambda conn: _read_sqlite(conn, progress)
        )
    if isinstance(store, PostgresStore):
        return await store._read(
            "read the store for a copy", lambda conn: _read_postgres(conn, progress)
        )
    raise TypeError(f"cannot copy from {type(store).__name__}")


def _read_sqlite(conn: sqlite3.Connection, progress: Progress) -> _Snapshot:
    snapshot = _Snapshot()
    conn.execute("BEGIN")  # one snapshot of every table
    try:
        for n, table in enumerate(TABLES, start=1):
            sql = f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order}"
            snapshot.rows[table.name] = [
                _from_sqlite(table, row) for row in conn.execute(sql).fetchall()
            ]
            progress(STAGE_READ, n, len(TABLES))
        head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        snapshot.head = (int(head[0]), str(head[1]))
        sequences = dict(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        for name, column in COUNTERS:
            top = conn.execute(f"SELECT MAX({column}) FROM {name}").fetchone()[0]
            snapshot.counters[name] = max(int(sequences.get(name) or 0), int(top or 0))
    finally:
        conn.execute("COMMIT")
    return snapshot


async def _read_postgres(conn: Conn, progress: Progress) -> _Snapshot:
    snapshot = _Snapshot()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        for n, table in enumerate(TABLES, start=1):
            sql = f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order}"
            snapshot.rows[table.name] = [
                tuple(row[i] for i in range(len(table.columns))) for row in await conn.fetch(sql)
            ]
            progress(STAGE_READ, n, len(TABLES))
        head = await conn.fetchrow("SELECT seq, hash FROM audit_head WHERE id = 1")
        if head is None:
            raise StoreError("the audit chain head is missing; run `audit verify`")
        snapshot.head = (int(head[0]), str(head[1]))
        for name, column in COUNTERS:
            used = await conn.fetchval(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass)",
                name,
                column,
            )
            top = await conn.fetchval(f"SELECT MAX({column}) FROM {name}")
            snapshot.counters[name] = max(int(used or 0), int(top or 0))
    return snapshot


def _from_sqlite(table: _Table, row: Sequence[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for column, value in zip(table.columns, row, strict=True):
        if value is not None and column in table.times:
            value = codec.time_from_json(value)
        elif column in table.flags:
            value = bool(value)
        out.append(value)
    return tuple(out)


def _to_sqlite(table: _Table, row: Sequence[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for column, value in zip(table.columns, row, strict=True):
        if isinstance(value, datetime):
            value = codec.time_to_json(value)
        elif column in table.flags:
            value = int(value)
        out.append(value)
    return tuple(out)


# --- writing -----------------------------------------------------------------------------------


async def _write(store: AnyStore, snapshot: _Snapshot, progress: Progress) -> None:
    if isinstance(store, SqliteStore):

        def write(conn: sqlite3.Connection) -> None:
            _write_sqlite(conn, snapshot, repr(store), progress)

        await store._write("copy records into the store", write)
    elif isinstance(store, PostgresStore):

        async def write_pg(conn: Conn) -> None:
            await _write_postgres(conn, snapshot, repr(store), progress)

        await store._write("copy records into the store", write_pg)
    else:
        raise TypeError(f"cannot copy into {type(store).__name__}")


def _refuse_unless_empty(counts: dict[str, int], head: int, where: str) -> None:
    held = {name: n for name, n in counts.items() if n}
    if held or head:
        listed = ", ".join(f"{n} {name}" for name, n in held.items()) or f"{head} audit records"
        raise StoreError(
            f"refusing to copy into {where}: it already holds records ({listed}); "
            "copy into a new, empty database"
        )


def _refuse_unless_sound(report_ok: bool, problem: str, where: str) -> None:
    if not report_ok:
        raise StoreError(
            f"the copied audit chain does not verify in {where} ({problem}); nothing was written"
        )


def _batches(snapshot: _Snapshot, progress: Progress) -> list[tuple[_Table, list[Any]]]:
    """Every table's rows in statements of WRITE_BATCH, reporting the rows written as they go."""
    total = sum(len(rows) for rows in snapshot.rows.values())
    progress(STAGE_WRITE, 0, total)
    return [
        (table, snapshot.rows[table.name][i : i + WRITE_BATCH])
        for table in TABLES
        for i in range(0, len(snapshot.rows[table.name]), WRITE_BATCH)
    ]


def _checking(progress: Progress) -> Progress:
    """The copy's own chain walk, reported as its own stage."""
    return lambda _stage, done, total: progress(STAGE_CHECK, done, total)


def _write_sqlite(
    conn: sqlite3.Connection, snapshot: _Snapshot, where: str, progress: Progress
) -> None:
    """The copy into SQLite, inside the store's write transaction."""
    counts = {
        t.name: int(conn.execute(f"SELECT COUNT(*) FROM {t.name}").fetchone()[0]) for t in TABLES
    }
    head = int(conn.execute("SELECT seq FROM audit_head WHERE id = 1").fetchone()[0])
    _refuse_unless_empty(counts, head, where)
    written = 0
    total = sum(len(rows) for rows in snapshot.rows.values())
    for table, rows in _batches(snapshot, progress):
        marks = ", ".join("?" * len(table.columns))
        conn.executemany(
            f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})",
            [_to_sqlite(table, row) for row in rows],
        )
        written += len(rows)
        progress(STAGE_WRITE, written, total)
    conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", snapshot.head)
    for name in ("excerpts", "outbox"):  # SQLite's AUTOINCREMENT counters
        high = snapshot.counters.get(name, 0)
        if not high:
            continue
        if (
            conn.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (high, name)
            ).rowcount
            == 0
        ):
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, high))
    report = SqliteStore._walk(conn, _checking(progress))
    _refuse_unless_sound(report.ok, report.problem, where)


async def _write_postgres(conn: Conn, snapshot: _Snapshot, where: str, progress: Progress) -> None:
    """The copy into PostgreSQL, inside the store's write transaction."""
    counts = {t.name: int(await conn.fetchval(f"SELECT COUNT(*) FROM {t.name}")) for t in TABLES}
    head = int(await conn.fetchval("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
    # Records committed and not linked yet count as held too (see postgres/chaining.py).
    counts["audit_pending"] = int(await conn.fetchval("SELECT COUNT(*) FROM audit_pending"))
    _refuse_unless_empty(counts, head, where)
    written = 0
    total = sum(len(rows) for rows in snapshot.rows.values())
    for table, rows in _batches(snapshot, progress):
        marks = ", ".join(f"${i}" for i in range(1, len(table.columns) + 1))
        await conn.executemany(
            f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})", rows
        )
        written += len(rows)
        progress(STAGE_WRITE, written, total)
    await conn.execute("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", *snapshot.head)
    await conn.execute(
        "INSERT INTO case_counters (workspace, last)"
        " SELECT workspace, MAX(number) FROM cases GROUP BY workspace"
    )
    for name, column in COUNTERS:
        high = snapshot.counters.get(name, 0)
        if high:
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence($1, $2)::regclass, $3)", name, column, high
            )
    report = await walk_chain(conn, _checking(progress))
    _refuse_unless_sound(report.ok, report.problem, where)
