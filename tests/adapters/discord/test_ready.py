"""The Discord service's connected() check, which /readyz reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.discord.conftest import start_bot, stop_bot


async def test_connected_follows_the_gateway_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connected once discord.py is ready on the fake gateway, and not after the client closes."""
    bot = await start_bot(tmp_path, monkeypatch)
    try:
        assert bot.service.connected()
    finally:
        await stop_bot(bot)
    assert not bot.service.connected()
