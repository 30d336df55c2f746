"""A bot process for the crash tests: the real runtime and store, a platform that is a file.

The parent test starts it, waits for it to reach a chosen point, kills it with SIGKILL, and starts
it again. The "platform" appends one JSON line per delivered action to a file and, like Discord's
message nonce, refuses a second delivery with the same idempotency key.

usage: python -m tests.fakes.crash_worker DB OUT MARKER HANG [TEXT ...]
HANG is one of: none, classifier, before_perform, after_perform, mid_stream
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.assistant.base import AssessmentOutcome, TurnContext
from bot.config import Settings
from bot.records import Action, Assessment, Author, Case, Incoming, ThreadRef
from bot.runtime import Runtime
from bot.store import open_store
from tests.fakes.core import ScriptedAssistant, ScriptedReply, SteppingClock

REF = ThreadRef(platform="file", workspace="w", channel="c", thread="t1")


class FilePlatform:
    """Delivers by appending to a file, fsynced, once per key."""

    platform = "file"

    def __init__(self, out: Path, marker: Path, hang: str) -> None:
        from bot.adapter import ALL_ACTIONS

        self.supports = ALL_ACTIONS
        self.out, self.marker, self.hang = out, marker, hang

    def _delivered(self, key: str) -> bool:
        if not self.out.exists():
            return False
        return any(json.loads(line)["key"] == key for line in self.out.read_text().splitlines())

    def _write(self, record: dict[str, object]) -> None:
        with self.out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())

    async def _stop_here(self) -> None:
        self.marker.write_text("reached")
        await asyncio.sleep(3600)

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> None:
        if action.kind == "lock" and self.hang == "before_perform":
            await self._stop_here()
        if self._delivered(key):
            return
        self._write({"key": key, "kind": action.kind, "text": action.text})
        if action.kind == "lock" and self.hang == "after_perform":
            await self._stop_here()

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        parts = []
        async for chunk in chunks:
            parts.append(chunk)
            if self.hang == "mid_stream" and "harm" in chunk:
                self._write({"key": key + "-partial", "kind": "partial", "text": chunk})
                await self._stop_here()
        text = "".join(parts)
        if not self._delivered(key):
            self._write({"key": key, "kind": "stream", "text": text})
        return text


class HangingClassifier:
    """Harmful for 'harm'; with HANG=classifier it stops on the first harmful turn."""

    name = "hanging"

    def __init__(self, marker: Path, hang: str) -> None:
        self.marker, self.hang = marker, hang

    async def assess(self, context: TurnContext) -> AssessmentOutcome:
        if context.text.startswith("harm"):
            if self.hang == "classifier":
                self.marker.write_text("reached")
                await asyncio.sleep(3600)
            return AssessmentOutcome(assessment=Assessment(harmful=True, category="violent_crimes"))
        return AssessmentOutcome(assessment=Assessment())


async def main(db: str, out: str, marker: str, hang: str, texts: list[str]) -> None:
    store = await open_store(db)
    platform = FilePlatform(Path(out), Path(marker), hang)
    runtime = Runtime(
        settings=Settings(),
        store=store,
        assistant=ScriptedAssistant(lambda ctx: ScriptedReply(["reply to ", ctx.text])),
        classifier=HangingClassifier(Path(marker), hang),
        adapters={"file": platform},
        clock=SteppingClock(),
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
    await store.close()


if __name__ == "__main__":
    db, out, marker, hang, *texts = sys.argv[1:]
    asyncio.run(main(db, out, marker, hang, texts))
