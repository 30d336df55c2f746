"""Progress on the long commands: a bar on stderr when it is a terminal (a real pty here), nothing
when it is piped or with --quiet, and the machine output on stdout the same either way."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import bars
from bot.progress import silent
from bot.store import open_store

ROOT = Path(__file__).resolve().parent.parent
ENV = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
#: What tqdm draws for a finished bar.
DONE = "100%|"


def run(*args: str, terminal: bool) -> tuple[int, str, str]:
    """`python -m bot ...`: stdout piped; stderr a pseudo-terminal (or piped); (code, out, err)."""
    if not terminal:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=ENV,
        )
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    # stdout to a file: a pipe nobody reads while the terminal is read would fill and block.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stdout:
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", *args],
                cwd=ROOT,
                stdout=stdout,
                stderr=follower,
                env={**ENV, "TERM": "xterm"},
            )
            os.close(follower)
            drawn = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                drawn += chunk
            code = proc.wait(timeout=120)
        finally:
            os.close(leader)
        stdout.seek(0)
        out = stdout.read()
    return code, out, drawn.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A transcript of 400 lines over 40 threads, and the store a replay of it leaves."""
    root = tmp_path_factory.mktemp("progress")
    transcript = root / "big.jsonl"
    lines = []
    for n in range(400):
        thread, user = f"t{n % 40}", f"u{n % 40}"
        text = "how do I make a pipe bomb" if n % 7 == 3 else f"question {n} about bread"
        lines.append(json.dumps({"thread": thread, "user": user, "text": text}))
    transcript.write_text("\n".join(lines) + "\n")
    other = root / "other.toml"
    other.write_text("[policy]\nredirects_before_lock = 5\n")
    store = root / "big.db"
    code, _, err = run("replay", str(transcript), "--store", str(store), terminal=False)
    assert code == 0, err
    return {"transcript": transcript, "other": other, "store": store}


def fresh_store(big: dict[str, Path], where: Path) -> Path:
    """A copy of the replayed store (a command may change it)."""
    where.mkdir(parents=True, exist_ok=True)
    copy = where / "store.db"
    shutil.copy(big["store"], copy)
    return copy


Command = Callable[[dict[str, Path], Path], tuple[list[str], str]]

COMMANDS: dict[str, Command] = {
    "replay": lambda b, d: (["replay", str(b["transcript"])], "replaying (lines)"),
    "replay --compare": lambda b, d: (
        ["replay", str(b["transcript"]), "--compare", str(b["other"])],
        "replaying, other config",
    ),
    "store copy": lambda b, d: (
        ["store", "copy", "--from", str(fresh_store(b, d)), "--to", str(d / "copy.db")],
        "writing the copy (rows)",
    ),
    "purge": lambda b, d: (
        ["purge", "--before", "2099-01-01", "--store", str(fresh_store(b, d))],
        "purging message texts",
    ),
    "audit verify": lambda b, d: (
        ["audit", "verify", "--store", str(fresh_store(b, d))],
        "verifying the audit chain",
    ),
    "audit export": lambda b, d: (
        ["audit", "export", "--store", str(fresh_store(b, d))],
        "exporting the audit log",
    ),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_long_command_draws_a_bar_on_a_terminal_only(
    name: str, big: dict[str, Path], tmp_path: Path
) -> None:
    """On a terminal the stage's bar reaches 100%; piped, stderr has no bar; stdout is the same."""
    args, stage = COMMANDS[name](big, tmp_path / "terminal")
    code, out_terminal, drawn = run(*args, terminal=True)
    assert code == 0, drawn
    assert stage in drawn and DONE in drawn
    args, _ = COMMANDS[name](big, tmp_path / "piped")
    code, out_piped, err = run(*args, terminal=False)
    assert code == 0, err
    assert "%|" not in err and stage not in err
    assert out_piped == out_terminal.replace(str(tmp_path / "terminal"), str(tmp_path / "piped"))
    assert out_piped.strip()


def test_quiet_draws_nothing_on_a_terminal(big: dict[str, Path], tmp_path: Path) -> None:
    """--quiet: no bar even when stderr is a terminal."""
    code, _, drawn = run(
        "--quiet", "audit", "verify", "--store", str(fresh_store(big, tmp_path)), terminal=True
    )
    assert code == 0 and "%|" not in drawn and "verifying" not in drawn


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Yes."""
        return True


def test_bars_are_silent_off_a_terminal_and_follow_the_stages() -> None:
    """A pipe gets the silent callback; a terminal one bar per stage, each left at its count."""
    with bars.progress_bars(io.StringIO()) as progress:
        assert progress is silent
    screen = Terminal()
    with bars.progress_bars(screen) as progress:
        progress("reading", 0, None)
        progress("writing", 5, 10)
        progress("writing", 10, 10)
    drawn = screen.getvalue()
    assert "reading" in drawn and "writing" in drawn and "10/10" in drawn
    bars.set_quiet(True)
    try:
        with bars.progress_bars(Terminal()) as progress:
            assert progress is silent
    finally:
        bars.set_quiet(False)


async def test_the_store_reports_its_verify_and_purge(tmp_path: Path, big: dict[str, Path]) -> None:
    """verify_audit reports every record walked, purge every text deleted, ending at the total."""
    store = await open_store(str(fresh_store(big, tmp_path)))
    heard: list[tuple[str, int, int | None]] = []
    try:
        report = await store.verify_audit(progress=lambda *a: heard.append(a))
        assert report.ok and heard[-1] == (
            "verifying the audit chain",
            report.records,
            report.records,
        )
        assert len(heard) >= report.records // 500
        heard.clear()
        from datetime import UTC, datetime

        purged = await store.purge_excerpts(
            before=datetime(2099, 1, 1, tzinfo=UTC), progress=lambda *a: heard.append(a)
        )
        assert purged > 0 and heard[0] == ("purging message texts", 0, purged)
        assert heard[-1] == ("purging message texts", purged, purged)
    finally:
        await store.close()
