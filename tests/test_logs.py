"""Structured logs: `--log-format json` writes one JSON object a line, with no secret in it and no
user's words unless `[logging] log_text = true`."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

from bot.cli import logs

ROOT = Path(__file__).resolve().parent.parent
SECRET = "xoxb-SECRETslack-0000"
WORDS = "pipe bomb"  # in examples/abusive_lock.jsonl


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m bot ...` with a secret in the environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": SECRET,
            **(env or {}),
        },
    )


def test_json_lines_hold_the_fields_and_the_exception_and_never_a_secret() -> None:
    """The formatter writes time, level, logger, message and exception; secrets are redacted."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter((SECRET,)))
    logger = logging.getLogger("test.logs.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token is %s", SECRET)
        try:
            raise RuntimeError(f"failed with {SECRET}")
        except RuntimeError:
            logger.exception("it broke")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "WARNING" and first["logger"] == "test.logs.json"
    assert first["message"] == "token is [redacted]" and first["time"].endswith("+00:00")
    assert "RuntimeError" in second["exception"] and SECRET not in stream.getvalue()


def test_secret_values_come_from_secret_named_variables_only() -> None:
    """Values of *TOKEN*, *SECRET*, *API_KEY*, *PASSWORD* variables are scrubbed; others are not."""
    env = {"SLACK_BOT_TOKEN": SECRET, "ANTHROPIC_API_KEY": "sk-ant-1234567890", "HOME": "/root/x"}
    found = logs.environment_secrets(env)
    assert set(found) == {SECRET, "sk-ant-1234567890"}
    assert logs.scrub(f"a {SECRET} b /root/x", found) == "a [redacted] b /root/x"


def test_the_cli_logs_json_lines_without_secrets_or_users_words(tmp_path: Path) -> None:
    """`-v --log-format json replay`: every stderr line is JSON; no token, no message text."""
    out = cli("-v", "--log-format", "json", "replay", str(ROOT / "examples" / "abusive_lock.jsonl"))
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert lines, "nothing was logged at DEBUG"
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)
    assert SECRET not in out.stderr and WORDS not in out.stderr
    assert '"lock"' in out.stdout  # the replay itself still prints what it decided


def test_log_text_puts_each_turns_words_in_the_log(tmp_path: Path) -> None:
    """With [logging] log_text = true the turn's text is logged (at INFO), with its decision."""
    config = tmp_path / "c.toml"
    config.write_text("[logging]\nlog_text = true\n")
    out = cli(
        "-v",
        "--log-format",
        "json",
        "replay",
        str(ROOT / "examples" / "abusive_lock.jsonl"),
        "--config",
        str(config),
    )
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stderr.splitlines()]
    turns = [r for r in records if r["message"].startswith("turn in")]
    assert turns and all(t["level"] == "INFO" for t in turns)
    assert any(WORDS in t["message"] for t in turns)
    assert any(t["message"].endswith("-> lock") for t in turns)
    assert SECRET not in out.stderr


def test_text_is_the_default_format() -> None:
    """Without --log-format, a warning is one plain line."""
    out = cli("replay", str(ROOT / "does-not-exist.jsonl"))
    assert out.returncode == 2
    assert not out.stderr.lstrip().startswith("{")
