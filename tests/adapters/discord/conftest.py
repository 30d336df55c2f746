"""A Discord service on the fake Discord, with the real runtime over a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.service import DiscordService
from bot.assistant.base import Assistant
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.config import AssistantSettings, DiscordSettings, Settings
from bot.runtime import Runtime
from bot.store import open_store
from bot.store.base import Store
from tests.fakes.discord_fake import MOD_ROLE_ID, MODLOG_ID, FakeDiscord


@dataclass
class Bot:
    """Everything a Discord test touches."""

    fake: FakeDiscord
    service: DiscordService
    runtime: Runtime
    store: Store


def settings(**discord: object) -> Settings:
    """Offline assistant, the fake guild's mod log and moderator role, crisis pings on."""
    options: dict[str, object] = {
        "mod_log_channel": MODLOG_ID,
        "moderator_role": MOD_ROLE_ID,
        "ping_on_crisis": True,
    }
    options.update(discord)
    return Settings(
        assistant=AssistantSettings(provider="offline"),
        discord=DiscordSettings(**options),  # type: ignore[arg-type]
    )


async def start_bot(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    config: Settings | None = None,
    assistant: Assistant | None = None,
    fake: FakeDiscord | None = None,
    **service_options: Any,
) -> Bot:
    """Log in and connect to the fake Discord; the caller closes with `stop_bot`."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    config = config or settings()
    fake = fake or FakeDiscord()
    store = await open_store(str(tmp_path / "bot.db"))
    service = DiscordService(config, edit_interval=0.0, guild_ready_timeout=0.01, **service_options)
    fake.attach(service.client)
    runtime = Runtime(
        settings=config,
        store=store,
        assistant=assistant or OfflineAssistant(),
        classifier=NoClassifier(),
        adapters={"discord": service},
        delivery_backoff=(0.0, 0.0),
    )
    service.attach(runtime)
    await service.login()
    await fake.connect()
    return Bot(fake=fake, service=service, runtime=runtime, store=store)


async def stop_bot(bot: Bot) -> None:
    """Close the client (its HTTP session) and the store."""
    await bot.service.client.close()
    await bot.store.close()


@pytest.fixture
async def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    """The default bot: offline assistant, every channel hosts threads."""
    b = await start_bot(tmp_path, monkeypatch)
    yield b
    await stop_bot(b)
