"""The command line as an operator uses it: check-config, audit verify and export, run's exit."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.common import parse_since

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ...` in a clean environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_check_config_ok_and_bad(tmp_path: Path) -> None:
    """A good file is described; a bad one prints one line per problem naming the key, exit 2."""
    ok = cli("check-config", str(ROOT / "config.example.toml"))
    assert ok.returncode == 0 and "config OK" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy]\nredirects_before_lock = 'x'\ntypo = 1\n")
    out = cli("check-config", str(bad))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "policy.redirects_before_lock" in lines[0] and "policy.typo" in lines[1]
    assert "Traceback" not in out.stderr


def test_check_config_warns_about_each_enabled_platforms_unset_tokens(tmp_path: Path) -> None:
    """A [discord] or [slack] section whose token variables are unset passes with a warning."""
    conf = tmp_path / "platforms.toml"
    conf.write_text(
        "[discord]\nmod_log_channel = 123456789012345678\n"
        '[slack]\nmod_log_channel = "C0123456789"\n'
    )
    out = cli("check-config", str(conf))
    assert out.returncode == 0 and "config OK (3 warnings)" in out.stdout
    warnings = out.stderr.strip().splitlines()
    assert warnings == [
        "warning: discord.token_env: the environment variable DISCORD_TOKEN is not set here; "
        "`run` cannot log in to Discord without the bot token",
        "warning: slack.bot_token_env: the environment variable SLACK_BOT_TOKEN is not set here; "
        "`run` cannot reach Slack without the bot token (xoxb-...)",
        "warning: slack.app_token_env, slack.signing_secret_env: neither SLACK_APP_TOKEN (Socket "
        "Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set here; `run` needs one of them",
    ]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    env.update(DISCORD_TOKEN="x", SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    quiet = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(conf)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert quiet.returncode == 0 and quiet.stderr == "" and "config OK\n" in quiet.stdout
    assert "discord.token_env = DISCORD_TOKEN (set)" in quiet.stdout  # named, never shown


def test_console_runs_a_session_from_a_pipe_and_exits(tmp_path: Path) -> None:
    """The README's run command drives the console from stdin to a clean exit."""
    db = tmp_path / "c.db"
    out = cli(
        "run", "--store", str(db), stdin="@bot hello\nhow do I make a pipe bomb\n/status\n/quit\n"
    )
    assert out.returncode == 0, out.stderr
    assert "offline assistant" in out.stdout
    assert "1 request redirected so far" in out.stdout
    assert "\033[" not in out.stdout  # no colour codes when not a terminal


def test_audit_verify_and_export_after_a_replay(tmp_path: Path) -> None:
    """A replay's store verifies, exports as JSONL and CSV, and a tampered record is caught."""
    db = tmp_path / "r.db"
    run = cli("replay", str(ROOT / "examples" / "abusive_lock.jsonl"), "--store", str(db))
    assert run.returncode == 0, run.stderr
    ok = cli("audit", "verify", "--store", str(db))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    jsonl = cli("audit", "export", "--format", "jsonl", "--store", str(db))
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert records and {"seq", "hash", "prev_hash", "kind"} <= set(records[0])
    assert any(r["kind"] == "case" for r in records)
    out = tmp_path / "audit.csv"
    cli("audit", "export", "--format", "csv", "--store", str(db), "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == len(records)

    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
        for name in names:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 3")
    bad = cli("audit", "verify", "--store", str(db))
    assert bad.returncode == 1
    assert "3" in bad.stdout


def test_parse_since() -> None:
    """Ages and ISO dates are both accepted."""
    now = datetime(2026, 5, 10, tzinfo=UTC)
    assert parse_since("30d", now=now) == datetime(2026, 4, 10, tzinfo=UTC)
    assert parse_since("2026-01-02", now=now) == datetime(2026, 1, 2, tzinfo=UTC)


def test_sigterm_stops_the_console_cleanly(tmp_path: Path) -> None:
    """SIGTERM while waiting for input ends the process with exit 0 and no traceback."""
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--store", str(tmp_path / "s.db")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"@bot hello\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 20
        seen = b""
        while b"running offline" not in seen:
            assert time.monotonic() < deadline, seen
            seen += proc.stdout.read1(4096)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err, err.decode()


def test_purge_keeps_the_chain_verifiable(tmp_path: Path) -> None:
    """Purging message texts leaves case metadata and a verifiable audit chain."""
    db = tmp_path / "p.db"
    assert (
        cli("replay", str(ROOT / "examples" / "abusive_lock.jsonl"), "--store", str(db)).returncode
        == 0
    )
    out = cli("purge", "--before", "2099-01-01", "--store", str(db))
    assert out.returncode == 0, out.stderr
    assert "audit chain after the purge: intact" in out.stdout
    assert int(out.stdout.split()[1]) > 0
    assert cli("audit", "verify", "--store", str(db)).returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] >= 1
    missing = cli("purge", "--store", str(db))
    assert missing.returncode == 2 and "storage.retention_days" in missing.stderr


def test_store_copy_keeps_the_audit_chain(tmp_path: Path) -> None:
    """`store copy` moves everything to an empty store and the copy's chain verifies."""
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"
    cli("replay", str(ROOT / "examples" / "abusive_lock.jsonl"), "--store", str(src))
    out = cli("store", "copy", "--from", str(src), "--to", f"sqlite:///{dst}")
    assert out.returncode == 0, out.stderr
    assert "audit chain on the copy: intact" in out.stdout
    again = cli("store", "copy", "--from", str(src), "--to", str(dst))
    assert again.returncode == 1 and "empty" in again.stderr


def test_export_user_lists_what_the_bot_holds_about_them(tmp_path: Path) -> None:
    """export-user writes the user's threads, messages and cases as JSON."""
    db = tmp_path / "x.db"
    cli("replay", str(ROOT / "examples" / "abusive_lock.jsonl"), "--store", str(db))
    out = cli("export-user", "u1", "--store", str(db))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["user_id"] == "u1"
    assert len(data["messages"]) == 6 and data["messages"][1]["counted_as_a_strike"] is True
    assert {c["kind"] for c in data["cases"]} == {"lock"}
    assert len(data["threads_owned"]) == 2


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path: Path) -> None:
    """`audit export | head` and `replay | head`: no BrokenPipeError traceback, exit 1."""
    db = tmp_path / "r.db"
    transcript = str(ROOT / "examples" / "abusive_lock.jsonl")
    assert cli("replay", transcript, "--store", str(db)).returncode == 0
    for args in (("audit", "export", "--store", str(db)), ("replay", transcript)):
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # `head` has read its lines and exited before the first write
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
        proc.stderr.close()
        assert "Traceback" not in err and "BrokenPipe" not in err, err
        assert proc.returncode == 1, (args, err)
