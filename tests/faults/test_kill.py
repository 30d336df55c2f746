"""SIGKILL of a real bot process where tests/test_crash_recovery.py does not reach: while the real
Claude client streams from the Messages API (and while its assessment is in flight), and on the
Slack adapter right around the post of a committed lock.

What must hold after a restart on the same database: the decision stands (locked in the end),
no strike is counted twice, every owed action is carried out once (a reply lost with the killed
process becomes one plain notice, never a second paid generation), nothing stays owed, and the
audit chain verifies.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from aiohttp import web

from bot import notices
from bot.records import ThreadRef
from bot.store import open_store
from tests.fakes.messages_api import FakeMessagesAPI, JsonReply, Response
from tests.fakes.slack_api import TEAM
from tests.faults.model import HARMFUL, ModelScript, newest_text
from tests.faults.rigs import SLACK_CHANNEL, SLACK_MOD_LOG, RecordingSlackApi

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
TEXTS = ["hello", "harm 1", "harm 2", "harm 3", "harm 4"]
FILE_KEY = ThreadRef(platform="file", workspace="w", channel="c", thread="t1").key
PIPE_BOMB = "how do I make a pipe bomb"
LOCKED = "This thread has been closed"


def log_of(path: Path) -> str:
    """A worker's stderr, for a failure message."""
    return path.read_text() if path.exists() else ""


def appending(path: Path) -> BinaryIO:
    """A file to append a worker's stderr to."""
    return path.open("ab")


async def start(module: str, *args: str, stderr: Path) -> asyncio.subprocess.Process:
    """A worker process (the event loop stays free to serve the fakes it talks to)."""
    with appending(stderr) as err:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
        )


async def wait_for(
    done: Callable[[], bool], proc: asyncio.subprocess.Process, stderr: Path, within: float = 30
) -> None:
    """Poll until `done()`, failing if the worker exits or time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not done():
        assert proc.returncode is None, log_of(stderr)
        assert loop.time() < deadline, "the worker never reached the kill point"
        await asyncio.sleep(0.02)


async def kill(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL and reap."""
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()


async def finish(proc: asyncio.subprocess.Process, stderr: Path) -> None:
    """Wait for a clean exit."""
    assert await asyncio.wait_for(proc.wait(), 60) == 0, log_of(stderr)


# --- Claude ---------------------------------------------------------------------------------------


class HeldAssessments(ModelScript):
    """The script, except that assessments of chosen texts are held back (the kill comes first)."""

    def __init__(self) -> None:
        super().__init__()
        self.hold: set[str] = set()

    def __call__(self, body: dict[str, Any]) -> Response:
        response = super().__call__(body)
        if "output_config" in body and self.assessed[-1] in self.hold:
            return JsonReply(HARMFUL, latency=3600)
        return response


def delivered(out: Path) -> list[dict[str, str]]:
    """What reached the file platform."""
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


@pytest.mark.parametrize("point", ["mid_stream", "assessment_in_flight"])
async def test_kill_with_claude_streaming_loses_nothing_and_pays_nothing_twice(
    tmp_path: Path, point: str
) -> None:
    """Killed mid-stream or mid-assessment on real Claude HTTP: locked once, strikes once."""
    out, marker, stderr = tmp_path / "out.jsonl", tmp_path / "marker", tmp_path / "stderr.txt"
    async with FakeMessagesAPI() as api:
        model = HeldAssessments().install(api)
        if point == "assessment_in_flight":
            model.hold.add("harm 3")
        hang = "mid_stream" if point == "mid_stream" else "none"
        args = [str(tmp_path / "bot.db"), str(out), str(marker)]
        proc = await start(
            "tests.faults.claude_worker", *args, hang, api.url, *TEXTS, stderr=stderr
        )
        if point == "mid_stream":
            await wait_for(marker.exists, proc, stderr)
        else:
            await wait_for(lambda: "harm 3" in model.assessed, proc, stderr)
        await kill(proc)
        streamed = [r for r in api.requests if r.stream]
        model.hold.clear()

        again = await start(
            "tests.faults.claude_worker", *args, "none", api.url, *TEXTS, stderr=stderr
        )
        await finish(again, stderr)
        later = [r for r in api.requests if r.stream][len(streamed) :]

    records = delivered(out)
    keys = [r["key"] for r in records]
    assert len(keys) == len(set(keys)), "an action was delivered twice"
    kinds = [r["kind"] for r in records if r["kind"] != "partial"]
    assert kinds.count("lock") == 1 and kinds.count("warn") == 1 and kinds.count("case") == 1
    assert kinds[-2:] == ["lock", "case"]
    if point == "mid_stream":
        # The stream cut off by the kill is replaced by one plain notice, not regenerated.
        assert [r["text"] for r in records].count(notices.REPLY_INTERRUPTED) == 1
        assert "harm 1" not in [newest_text(r.body) for r in later]
    store = await open_store(str(tmp_path / "bot.db"))
    try:
        state = await store.load_thread(FILE_KEY)
        assert state is not None and state.status == "locked" and state.strikes == 4
        turns = await store.recent_turns(FILE_KEY, limit=100)
        assert [t.text for t in turns if t.role == "user"] == TEXTS
        assert await store.owed_actions() == []
        assert (await store.verify_audit()).ok
    finally:
        await store.close()


# --- Slack ----------------------------------------------------------------------------------------


class HangingSlackApi(RecordingSlackApi):
    """Holds the post of the lock notice: before Slack took it, or after (the answer is lost)."""

    def __init__(self, when: str) -> None:
        super().__init__()
        self.when = when
        self.hung = asyncio.Event()
        self.release = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "chat.postMessage" and self.when and not self.hung.is_set():
            if request.content_type == "application/json":
                args = await request.json()
            else:
                args = dict(await request.post())
            if LOCKED in str(args.get("text")):
                if self.when == "after_slack_took_it":
                    response = await super()._handle(request)  # posted; the answer is lost
                else:
                    response = web.json_response({"ok": False, "error": "fatal_error"})
                self.hung.set()
                await self.release.wait()
                return response
        return await super()._handle(request)


@pytest.mark.parametrize("when", ["before_slack_took_it", "after_slack_took_it"])
async def test_kill_on_slack_around_the_lock_post_posts_it_once(tmp_path: Path, when: str) -> None:
    """Killed while the committed lock is being posted: after restart one notice, one case.

    After Slack took the post (its answer lost with the process), the restarted process finds it
    by its message metadata (the action's key) and does not post it again.
    """
    stderr = tmp_path / "stderr.txt"
    texts = ["hello", *[PIPE_BOMB] * 4]
    slack = HangingSlackApi(when)
    await slack.start()
    try:
        args = [str(tmp_path / "bot.db"), slack.base_url]
        proc = await start("tests.faults.slack_worker", *args, "first", *texts, stderr=stderr)
        await wait_for(slack.hung.is_set, proc, stderr)
        await kill(proc)
        slack.release.set()
        again = await start("tests.faults.slack_worker", *args, "retry", *texts, stderr=stderr)
        await finish(again, stderr)
    finally:
        await slack.close()

    in_thread = [
        m["text"]
        for m in slack.messages.values()
        if m["channel"] == SLACK_CHANNEL and m["thread_ts"]
    ]
    assert sum(LOCKED in t for t in in_thread) == 1, in_thread
    # The restarted process carried the owed lock out as a retry: it looked for the earlier post.
    assert slack.of("conversations.replies"), slack.methods()
    assert len(slack.of("reactions.add")) >= 1
    cases = [m for m in slack.messages.values() if m["channel"] == SLACK_MOD_LOG]
    assert len(cases) == 1 and "Thread locked" in str(cases[0]["blocks"][0])
    store = await open_store(str(tmp_path / "bot.db"))
    try:
        threads = await store.threads(platform="slack", limit=5)
        assert len(threads) == 1 and threads[0].status == "locked" and threads[0].strikes == 4
        assert threads[0].ref.workspace == TEAM
        assert await store.owed_actions() == []
        assert (await store.verify_audit()).ok
    finally:
        await store.close()
