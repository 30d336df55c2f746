"""Several real bot processes on one PostgreSQL database, fed Slack's event stream over HTTP.

Each worker is `python -m bot run` with the same config: Slack HTTP mode on one port (the workers
share it with SO_REUSEPORT, as several workers behind one address do), the offline assistant (the
local screen decides, so the ladder is deterministic), and a fake Slack Web API (tests/fakes) for
everything the bot sends. `Slack` plays Slack's side: signed event callbacks, a fresh connection
per delivery (so the kernel spreads them over the workers), redeliveries with `X-Slack-Retry-Num`,
and a retry of any delivery that got no 200, as Slack retries an unacknowledged event.

Used by tests/scale/test_processes.py and bench/bench_scale.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.slack_events import JSON, SECRET, Payloads, as_json, signed_headers

ROOT = Path(__file__).resolve().parents[2]
MOD_LOG = "CMOD"
CHANNEL = "C1"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config_text(
    *, store: str, port: int, api_url: str, lease: float, sweep: float, provider: str = "offline"
) -> str:
    """The one config file every worker reads."""
    return f"""
[assistant]
provider = "{provider}"

[limits]
user_messages_per_minute = 0
shutdown_grace_seconds = 5

[storage]
path = "{store}"
lease_seconds = {lease}
sweep_seconds = {sweep}

[slack]
mod_log_channel = "{MOD_LOG}"
moderators = ["UMOD"]
port = {port}
api_url = "{api_url}"
"""


def listeners(port: int) -> int:
    """How many sockets listen on `port` (each SO_REUSEPORT worker has its own)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table, encoding="ascii") as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    count += 1
    return count


def owner_of_connection(local_port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the TCP connection whose local port is `local_port` (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table, encoding="ascii") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == local_port:
                    inodes.add(cols[9])
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return pid
    return None


@dataclass
class Worker:
    """One bot process."""

    proc: asyncio.subprocess.Process
    stderr: Path

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")[-4000:]


@dataclass
class Cluster:
    """`n` workers sharing one config, one port and one database."""

    store: str
    api_url: str
    tmp: Path
    lease: float = 2.0
    sweep: float = 1.0
    #: The Messages API to use instead of the offline assistant (a local fake's URL).
    claude_url: str | None = None
    #: An app-level token: the workers connect over Socket Mode (each opens its own link) and
    #: listen on no port; the caller waits for their links (tests/fakes/slack_socket.py).
    app_token: str | None = None
    port: int = field(default_factory=free_port)
    workers: list[Worker] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def start(self, n: int, *, within: float = 60.0) -> None:
        """Start `n` workers and wait until each listens on the shared port."""
        config = self.tmp / "threadkeeper.toml"
        config.write_text(
            config_text(
                store=self.store,
                port=self.port,
                api_url=self.api_url,
                lease=self.lease,
                sweep=self.sweep,
                provider="offline" if self.claude_url is None else "claude",
            ),
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SLACK_"))}
        env |= {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "PYTHONPATH": str(ROOT),
        }
        if self.claude_url is not None:
            env |= {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": self.claude_url}
        if self.app_token is not None:
            env["SLACK_APP_TOKEN"] = self.app_token
        for i in range(n):
            stderr = self.tmp / f"worker{len(self.workers)}-{i}.log"
            with stderr.open("wb") as err:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "run",
                    "--config",
                    str(config),
                    cwd=str(self.tmp),
                    env=env,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=err,
                )
            self.workers.append(Worker(proc, stderr))
        if self.app_token is not None:
            return  # Socket Mode: no port to wait for
        deadline = time.monotonic() + within
        while listeners(self.port) < len(self.alive()):
            for w in self.workers:
                if w.proc.returncode is not None:
                    raise RuntimeError(f"worker {w.pid} exited at start:\n{w.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers did not all listen on {self.port}: {self.logs()}")
            await asyncio.sleep(0.05)

    def alive(self) -> list[Worker]:
        return [w for w in self.workers if w.proc.returncode is None]

    def kill(self, pid: int) -> None:
        """SIGKILL one worker: no shutdown, no cleanup, connections cut."""
        os.kill(pid, signal.SIGKILL)

    async def stop(self, *, within: float = 20.0) -> list[int | None]:
        """SIGTERM every live worker and wait; the exit codes, in start order."""
        for w in self.alive():
            with contextlib.suppress(ProcessLookupError):
                w.proc.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for w in self.workers:
            try:
                codes.append(await asyncio.wait_for(w.proc.wait(), within))
            except TimeoutError:
                w.proc.kill()
                codes.append(await w.proc.wait())
        return codes

    def logs(self) -> str:
        return "\n".join(f"--- worker {w.pid} ---\n{w.log()}" for w in self.workers)


@dataclass
class Delivery:
    """What happened to one event: how many requests it took until a 200."""

    body: dict[str, Any]
    attempts: int = 0
    acked: bool = False


class Slack:
    """Slack's side of the Events API: deliver, retry until acked, and sometimes redeliver."""

    def __init__(self, url: str, *, retry_pause: float = 0.1, max_attempts: int = 50) -> None:
        self.url = url
        self.payloads = Payloads()
        self.retry_pause = retry_pause
        self.max_attempts = max_attempts
        self.requests = 0
        self.failures = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Slack:
        # A fresh connection per request, so the kernel's SO_REUSEPORT hash picks a worker anew.
        connector = aiohttp.TCPConnector(force_close=True, limit=64)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=10)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def deliver(self, body: dict[str, Any], *, redeliver: int = 0) -> Delivery:
        """POST until a 200 (as Slack retries), then `redeliver` more copies (retries anyway)."""
        assert self._session is not None
        delivery = Delivery(body)
        text = as_json(body)
        while not delivery.acked:
            if delivery.attempts >= self.max_attempts:
                raise RuntimeError(f"event {body['event_id']} never acked")
            retry = delivery.attempts or None
            delivery.attempts += 1
            self.requests += 1
            headers = signed_headers(text, content_type=JSON, retry_num=retry)
            try:
                async with self._session.post(self.url, data=text, headers=headers) as resp:
                    await resp.read()
                    delivery.acked = resp.status == 200
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            if not delivery.acked:
                self.failures += 1
                await asyncio.sleep(self.retry_pause)
        for n in range(redeliver):
            self.requests += 1
            headers = signed_headers(text, content_type=JSON, retry_num=delivery.attempts + n)
            with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                async with self._session.post(self.url, data=text, headers=headers) as resp:
                    await resp.read()
        return delivery


@dataclass
class ThreadScript:
    """One Slack thread: who opens it and what they write, in order."""

    user: str
    texts: list[str]
    twins: set[int] = field(default_factory=set)  # indexes also sent as `app_mention`
    opening_ts: str = ""
    sent: list[str] = field(default_factory=list)  # the core's event ids, in send order

    def events(self, payloads: Payloads) -> Iterator[dict[str, Any]]:
        """The opening mention, then each message (and its app_mention twin, where it has one)."""
        first, *rest = self.texts
        opening = payloads.event(
            kind="app_mention", text=f"<@UBOT> {first}", user=self.user, channel=CHANNEL
        )
        self.opening_ts = opening["event"]["ts"]
        self.sent.append(f"slack:{CHANNEL}:{self.opening_ts}")
        yield opening
        for i, text in enumerate(rest, start=1):
            ts = payloads.ts()
            self.sent.append(f"slack:{CHANNEL}:{ts}")
            mention = i in self.twins
            body = f"<@UBOT> {text}" if mention else text
            yield payloads.event(
                kind="message",
                text=body,
                user=self.user,
                channel=CHANNEL,
                ts=ts,
                thread_ts=self.opening_ts,
            )
            if mention:
                yield payloads.event(
                    kind="app_mention",
                    text=body,
                    user=self.user,
                    channel=CHANNEL,
                    ts=ts,
                    thread_ts=self.opening_ts,
                )
