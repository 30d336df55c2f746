"""What a start on SQLite, and `check-config`, must not load: the PostgreSQL driver, the store.

Each check runs in a fresh interpreter (a subprocess), because this test process has long since
imported everything; the assertion reads that interpreter's `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (which must print nothing)."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_an_sqlite_store_opens_without_asyncpg(tmp_path: Path) -> None:
    loaded = modules_after(
        "import asyncio\n"
        "from bot.store import open_store, SqliteStore\n"
        "async def main():\n"
        f"    store = await open_store({str(tmp_path / 'a.db')!r})\n"
        "    assert isinstance(store, SqliteStore)\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
    )
    assert "bot.store.sqlite" in loaded  # the probe did open a store
    assert "asyncpg" not in loaded
    assert "bot.store.postgres" not in loaded


def test_the_postgres_backend_loads_when_named() -> None:
    loaded = modules_after("from bot.store import PostgresStore\nassert PostgresStore.__name__")
    assert "bot.store.postgres" in loaded
    assert "asyncpg" in loaded


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import bot.store

    try:
        bot.store.NoSuchStore  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchStore" in str(exc)
    else:
        raise AssertionError("bot.store.NoSuchStore did not raise")


def test_check_config_loads_neither_the_store_nor_asyncio() -> None:
    config = ROOT / "config.example.toml"
    loaded = modules_after(
        "import contextlib, io\n"
        "from bot.cli import main\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        f"    assert main(['check-config', {str(config)!r}]) == 0\n"
    )
    assert "bot.config" in loaded
    assert not {m for m in loaded if m.startswith(("bot.store", "bot.runtime", "asyncpg"))}
    assert "asyncio" not in loaded
