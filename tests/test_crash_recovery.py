"""A bot process SIGKILLed at each point of a turn loses no lock and posts nothing twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import notices
from bot.records import ThreadRef
from bot.store import open_store

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["hello", "harm 1", "harm 2", "harm 3", "harm 4"]
KEY = ThreadRef(platform="file", workspace="w", channel="c", thread="t1").key

pytestmark = pytest.mark.slow


def start(tmp: Path, hang: str) -> subprocess.Popen[bytes]:
    """Start the worker process on the shared database and output file (stderr to a file)."""
    with (tmp / f"stderr-{hang}.txt").open("wb") as err:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fakes.crash_worker",
                str(tmp / "bot.db"),
                str(tmp / "out.jsonl"),
                str(tmp / "marker"),
                hang,
                *TEXTS,
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def delivered(tmp: Path) -> list[dict[str, str]]:
    """What reached the 'platform'."""
    path = tmp / "out.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("hang", ["classifier", "before_perform", "after_perform", "mid_stream"])
async def test_kill_at_any_point_loses_nothing_and_repeats_nothing(
    tmp_path: Path, hang: str
) -> None:
    """Killed mid-turn and restarted: locked in the end, strikes counted once, each action once."""
    proc = start(tmp_path, hang)
    deadline = time.monotonic() + 30
    while not (tmp_path / "marker").exists():
        assert proc.poll() is None, (tmp_path / f"stderr-{hang}.txt").read_text()
        assert time.monotonic() < deadline, "the worker never reached the kill point"
        await asyncio.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    again = start(tmp_path, "none")
    assert again.wait(timeout=60) == 0, (tmp_path / "stderr-none.txt").read_text()

    out = delivered(tmp_path)
    keys = [r["key"] for r in out]
    assert len(keys) == len(set(keys)), "an action was delivered twice"
    kinds = [r["kind"] for r in out if r["kind"] != "partial"]
    assert kinds.count("lock") == 1
    assert kinds.count("warn") == 1
    assert kinds.count("case") == 1
    assert kinds[-2:] == ["lock", "case"]
    if hang == "mid_stream":
        # The reply that was cut off by the kill is replaced by a plain notice, once.
        assert [r["text"] for r in out].count(notices.REPLY_INTERRUPTED) == 1

    store = await open_store(str(tmp_path / "bot.db"))
    try:
        state = await store.load_thread(KEY)
        assert state is not None and state.status == "locked"
        assert state.strikes == 4  # no strike counted twice
        turns = await store.recent_turns(KEY, limit=100)
        assert [t.text for t in turns if t.role == "user"] == TEXTS
        assert await store.owed_actions() == []
        assert (await store.verify_audit()).ok
    finally:
        await store.close()
