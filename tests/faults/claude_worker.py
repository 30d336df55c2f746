"""A bot process for the kill tests on Claude: the real runtime, store and Claude client.

Like `tests.fakes.crash_worker`, but the assistant and the classifier are the production Claude
client talking to the Messages API fake that the parent test runs (its URL is an argument), so a
SIGKILL lands while real HTTP streams are open. The platform is the crash worker's file.

usage: python -m tests.faults.claude_worker DB OUT MARKER HANG BASE_URL [TEXT ...]
HANG is one of: none, mid_stream (the file platform stops inside a reply's stream)
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

import anthropic

from bot.app import policy_text
from bot.assistant.claude import ClaudeAssistant, ClaudeClassifier
from bot.config import AssistantSettings, Settings
from bot.records import Author, Incoming
from bot.runtime import Runtime
from bot.store import open_store
from tests.fakes.core import SteppingClock
from tests.fakes.crash_worker import REF, FilePlatform


async def main(db: str, out: str, marker: str, hang: str, base_url: str, texts: list[str]) -> None:
    settings = Settings(
        assistant=AssistantSettings(
            provider="claude",
            classifier_deadline=timedelta(seconds=20),
            stall_timeout=timedelta(seconds=20),
            reply_timeout=timedelta(seconds=30),
        )
    )
    client = anthropic.AsyncAnthropic(
        api_key="test-key", base_url=base_url, max_retries=0, timeout=30.0
    )
    store = await open_store(db)
    runtime = Runtime(
        settings=settings,
        store=store,
        assistant=ClaudeAssistant(
            settings.assistant, policy_text=policy_text(settings), client=client
        ),
        classifier=ClaudeClassifier(settings.assistant, client=client),
        adapters={"file": FilePlatform(Path(out), Path(marker), hang)},
        clock=SteppingClock(),
        delivery_backoff=(0.0, 0.0),
    )
    await runtime.recover()
    alice = Author(id="u1", name="alice")
    clock = SteppingClock()
    for i, text in enumerate(texts):
        # The platform redelivers every event it did not see acknowledged: the same ids again.
        await runtime.handle(
            Incoming(
                event_id=f"ev{i}",
                thread=REF,
                author=alice,
                text=text,
                at=clock(),
                opens_thread=i == 0,
            )
        )
    await client.close()
    await store.close()


if __name__ == "__main__":
    db, out, marker, hang, base_url, *texts = sys.argv[1:]
    asyncio.run(main(db, out, marker, hang, base_url, texts))
