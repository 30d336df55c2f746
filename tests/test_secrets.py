"""Secrets and privacy: no token in logs, reprs or exports; no message text logged at INFO."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot import config
from bot.audit import export
from bot.store import open_store
from tests.assistant.test_claude import Bot, script
from tests.fakes.messages_api import FakeMessagesAPI, HttpError

SECRETS = {
    "ANTHROPIC_API_KEY": "sk-ant-api03-SECRETanthropic0000",
    "DISCORD_TOKEN": "MTIzNDU2.SECRETdiscord.0000",
    "SLACK_BOT_TOKEN": "xoxb-SECRETslack-0000",
    "SLACK_APP_TOKEN": "xapp-SECRETapp-0000",
    "SLACK_SIGNING_SECRET": "SECRETsigning0000",
}
PRIVATE = "my very private words about zebras"


async def test_no_secret_and_no_message_text_leaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A Claude session with failures leaves tokens out of every log line, repr and export."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[discord]\nmod_log_channel = 1\n[slack]\nmod_log_channel = "C1"\n')
    settings = config.load(cfg)
    caplog.set_level(logging.DEBUG)
    async with FakeMessagesAPI() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        s = script(fake)
        store = await open_store(str(tmp_path / "s.db"))
        bot = Bot(store, fake, settings)
        try:
            await bot.say(f"hello, {PRIVATE}", opens=True)
            s.failing = HttpError(401, "authentication_error", "invalid x-api-key")
            await bot.say(f"again, {PRIVATE}")
            s.failing = None
            s.classifier.append(HttpError(500, "api_error"))
            await bot.say(f"harm {PRIVATE}")
            out = io.StringIO()
            await export(store, fmt="jsonl", since=None, out=out)
            surfaces = {
                "logs": caplog.text,
                "settings repr": repr(settings),
                "describe": config.describe(settings),
                "store repr": repr(store),
                "assistant repr": repr(bot.assistant),
                "audit export": out.getvalue(),
            }
        finally:
            await bot.assistant.aclose()
            await store.close()
    for where, text in surfaces.items():
        for name, secret in SECRETS.items():
            assert secret not in text, f"{name} leaked into {where}"
    assert "DISCORD_TOKEN (set)" in surfaces["describe"]
    assert "assessment failed" in caplog.text  # the failures were logged, without the key
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not any(PRIVATE in line for line in loud), "message text logged at INFO or above"
