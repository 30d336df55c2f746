"""Wiring: settings in, a ready runtime out. The only place that chooses implementations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from bot.adapter import Adapter
from bot.assistant.base import Assistant, Classifier
from bot.assistant.offline import NoClassifier, OfflineAssistant
from bot.config import Settings
from bot.criteria import policy_text  # callers that import it from here keep working
from bot.runtime import Runtime, utcnow
from bot.store import open_store
from bot.store.base import Store

log = logging.getLogger(__name__)


def make_assistant(settings: Settings) -> tuple[Assistant, Classifier]:
    """Claude when its key is set (or provider = "claude"), else the offline assistant."""
    if not settings.assistant.uses_claude():
        return OfflineAssistant(), NoClassifier()
    from bot.assistant.claude import ClaudeAssistant, ClaudeClassifier, make_client

    client = make_client(settings.assistant)
    reply = ClaudeAssistant(settings.assistant, policy_text=policy_text(settings), client=client)
    return reply, ClaudeClassifier(settings.assistant, client=client)


async def make_store(settings: Settings, path: str | None = None) -> Store:
    """Open the configured store (or the one at `path`) with migrations applied."""
    storage = settings.storage
    return await open_store(
        path or storage.path, excerpt_chars=storage.excerpt_chars, lease=storage.lease
    )


async def make_runtime(
    settings: Settings,
    *,
    adapters: Mapping[str, Adapter],
    store: Store,
    clock: Callable[[], datetime] = utcnow,
    assistant: tuple[Assistant, Classifier] | None = None,
) -> Runtime:
    """A runtime with owed actions from an earlier run carried out."""
    reply_model, classifier = assistant or make_assistant(settings)
    runtime = Runtime(
        settings=settings,
        store=store,
        assistant=reply_model,
        classifier=classifier,
        adapters=adapters,
        clock=clock,
    )
    return runtime
