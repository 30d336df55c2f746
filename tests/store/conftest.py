"""Store backends for the contract suite: SQLite on a temporary file, PostgreSQL on a fresh schema.

PostgreSQL comes from `THREADKEEPER_TEST_PG_URL` (CI creates a fresh database with .ci/postgres and
exports its URL) or, when that is unset, from the local server at LOCAL_PG_URL, where the session
creates a database of its own and drops it at the end. Each test gets a new schema in it (the URL
carries `search_path`), so tests never see each other's rows.

When no server can be reached the PostgreSQL tests skip and say why; with `CI` set they fail
instead, because CI must not silently skip a backend.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.store import PostgresStore, SqliteStore, open_store
from bot.store.postgres import redact

PG_URL_ENV = "THREADKEEPER_TEST_PG_URL"
LOCAL_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def with_database(url: str, database: str) -> str:
    """The URL with its database name replaced."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def with_search_path(url: str, schema: str) -> str:
    """The URL with `search_path` set, which asyncpg passes to the server as a setting."""
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}search_path={schema}"


async def _reachable(url: str) -> str | None:
    """None when a connection to `url` works, else why not."""
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _unreachable(url: str, why: str) -> None:
    message = (
        f"no PostgreSQL server at {redact(url)} ({why}); set {PG_URL_ENV} to a database URL, "
        f"or start the local server: {START_HINT}"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests, but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """The URL of a PostgreSQL database for this test session."""
    given = os.environ.get(PG_URL_ENV)
    url = given or LOCAL_PG_URL
    why = asyncio.run(_reachable(url))
    if why is not None:
        _unreachable(url, why)
    if given:
        yield given
        return
    name = f"threadkeeper_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(url, name)
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def pg_url(pg_database: str) -> AsyncIterator[str]:
    """A store URL on a new, empty schema of the session's database, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    await _admin(pg_database, f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(pg_database, schema)
    finally:
        await _admin(pg_database, f"DROP SCHEMA {schema} CASCADE")


@dataclass
class Backend:
    """One store backend, plus the raw access a test needs to break it on purpose."""

    name: str
    #: What `open_store` takes: an SQLite path or a postgresql:// URL.
    where: str

    async def open(self, **kw: Any) -> SqliteStore | PostgresStore:
        """A store on this backend, opened and migrated."""
        return await open_store(self.where, **kw)

    async def sql(self, *statements: str) -> list[tuple[Any, ...]]:
        """Run statements outside the store (as another program would); the last one's rows."""
        if self.name == "sqlite":
            with closing(sqlite3.connect(self.where, isolation_level=None)) as db:
                rows: list[tuple[Any, ...]] = []
                for statement in statements:
                    rows = [tuple(r) for r in db.execute(statement).fetchall()]
                return rows
        conn = await asyncpg.connect(self.where)
        try:
            result: list[tuple[Any, ...]] = []
            for statement in statements:
                result = [tuple(r) for r in await conn.fetch(statement)]
            return result
        finally:
            await conn.close()

    async def count(self, table: str) -> int:
        """Rows in `table`."""
        return int((await self.sql(f"SELECT COUNT(*) FROM {table}"))[0][0])

    async def tamper(self, *statements: str) -> None:
        """Run statements as an attacker would: the append-only guard on the audit log removed."""
        if self.name == "sqlite":
            guard = [
                "DROP TRIGGER IF EXISTS audit_no_update",
                "DROP TRIGGER IF EXISTS audit_no_delete",
            ]
        else:
            guard = ["ALTER TABLE audit DISABLE TRIGGER USER"]
        await self.sql(*guard, *statements)

    async def fail_on(self, table: str, event: str = "INSERT") -> None:
        """Make the database itself abort any `event` on `table` with 'disk on fire'."""
        if self.name == "sqlite":
            await self.sql(
                f"CREATE TRIGGER fail BEFORE {event} ON {table}"
                " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
            )
        else:
            await self.sql(
                "CREATE OR REPLACE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$",
                f"CREATE TRIGGER fail BEFORE {event} ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION fail()",
            )

    async def stop_failing(self, table: str) -> None:
        """Undo `fail_on`."""
        await self.sql(
            "DROP TRIGGER fail" if self.name == "sqlite" else f"DROP TRIGGER fail ON {table}"
        )


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each store backend in turn."""
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "threadkeeper.db"))
    return Backend("postgres", request.getfixturevalue("pg_url"))


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[SqliteStore | PostgresStore]:
    """An open store on each backend, closed afterwards."""
    s = await backend.open()
    yield s
    await s.close()
