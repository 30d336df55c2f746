"""What moderation costs a user in latency, and what prompt caching saves, against the local fake.

1. Time to first visible reply text: the full runtime (reply held until the assessment is in)
   against a bare streamed SDK call, in the same run and against the same fake latencies.
2. A 20-turn thread with a 2,000-token system prompt: the share of input tokens read from the cache
   from turn 3 on, and the cost against the same thread with caching off, from the usage the fake
   reports by the API's rules (a breakpoint writes its prefix; later requests read the longest
   cached prefix; prefixes below the model's minimum are not cached).

Run: .venv/bin/python bench/bench_claude.py   (about 40 seconds)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapter import ALL_ACTIONS  # noqa: E402
from bot.app import make_assistant  # noqa: E402
from bot.config import DEFAULT_PRICES, AssistantSettings, LimitSettings, Settings  # noqa: E402
from bot.records import Action, Author, Case, Incoming, ThreadRef  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.store import open_store  # noqa: E402
from tests.fakes.core import SteppingClock  # noqa: E402
from tests.fakes.messages_api import FakeMessagesAPI, JsonReply, Reply  # noqa: E402

BENIGN = {
    "harmful": False,
    "abusive": False,
    "category": "none",
    "risk": "none",
    "end_request": False,
    "rationale": "ordinary",
}
REPLY_FIRST_TOKEN = 0.300  # seconds before the reply's first event
CHUNK_DELAY = 0.010
RUNS = 25
#: Limits off: a benchmark's messages arrive faster than any person writes.
UNLIMITED = LimitSettings(
    user_messages_per_minute=0,
    thread_tokens_per_day=0,
    workspace_tokens_per_day=0,
    max_concurrent_model_calls=0,
)


class FirstChunk:
    """A platform that notes when the first reply text reaches it."""

    platform = "bench"
    supports = ALL_ACTIONS

    def __init__(self) -> None:
        self.first: float | None = None

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Nothing to show."""
        return None

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Note the first chunk's time."""
        parts = []
        async for chunk in chunks:
            if self.first is None:
                self.first = asyncio.get_running_loop().time()
            parts.append(chunk)
        return "".join(parts)


def pct(values: list[float], q: float) -> float:
    """A percentile by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def first_token_latency(
    fake: FakeMessagesAPI, assess_latency: float
) -> tuple[list[float], list[float]]:
    """(bare, moderated) seconds to the first visible text, interleaved run by run."""
    reply = Reply(
        "Here is a helpful answer in several words.",
        latency=REPLY_FIRST_TOKEN,
        chunk_delay=CHUNK_DELAY,
    )
    fake.route(
        lambda body: JsonReply(BENIGN, latency=assess_latency) if "output_config" in body else reply
    )
    settings = Settings(
        assistant=AssistantSettings(classifier_deadline=timedelta(seconds=5)), limits=UNLIMITED
    )
    assistant, classifier = make_assistant(settings)
    bare: list[float] = []
    moderated: list[float] = []
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(str(Path(tmp) / "bench.db"))
        adapter = FirstChunk()
        runtime = Runtime(
            settings=settings,
            store=store,
            assistant=assistant,
            classifier=classifier,
            adapters={"bench": adapter},
            clock=SteppingClock(),
        )
        client = assistant.client  # type: ignore[attr-defined]
        for i in range(RUNS):
            start = loop.time()
            async with client.messages.stream(
                model=settings.assistant.reply_model,
                max_tokens=100,
                messages=[{"role": "user", "content": "hello"}],
            ) as stream:
                async for _ in stream.text_stream:
                    bare.append(loop.time() - start)
                    break
                await stream.get_final_message()
            adapter.first = None
            ref = ThreadRef(platform="bench", workspace="w", channel="c", thread=f"t{i}")
            start = loop.time()
            await runtime.handle(
                Incoming(
                    event_id=f"e{i}-{assess_latency}",
                    thread=ref,
                    author=Author(id="u", name="u"),
                    text="hello",
                    at=runtime.clock(),
                    opens_thread=True,
                )
            )
            assert adapter.first is not None
            moderated.append(adapter.first - start)
        await store.close()
    await assistant.aclose()
    return bare, moderated


async def caching(fake: FakeMessagesAPI, *, cached: bool) -> list[Any]:
    """Usage of the reply calls of one 20-turn thread."""
    fake.route(
        lambda body: (
            JsonReply(BENIGN)
            if "output_config" in body
            else Reply("A reply of moderate length that answers the question asked. " * 3)
        )
    )
    settings = Settings(limits=UNLIMITED)
    assistant, classifier = make_assistant(settings)
    # A 2,000-token system prompt (the fake counts about four characters a token).
    system_text = ("You are a helpful community assistant. Follow the community's rules. " * 120)[
        :8000
    ]
    assistant.system = [{"type": "text", "text": system_text}]  # type: ignore[attr-defined]
    if cached:
        assistant.system[0]["cache_control"] = {"type": "ephemeral"}  # type: ignore[attr-defined]
    start = len(fake.usages)
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(str(Path(tmp) / "bench.db"))
        runtime = Runtime(
            settings=settings,
            store=store,
            assistant=assistant,
            classifier=classifier,
            adapters={"bench": FirstChunk()},
            clock=SteppingClock(),
        )
        ref = ThreadRef(platform="bench", workspace="w", channel="c", thread="long")
        for i in range(20):
            await runtime.handle(
                Incoming(
                    event_id=f"c{i}",
                    thread=ref,
                    author=Author(id="u", name="u"),
                    text=f"Question number {i}: " + "some detail about the problem " * 8,
                    at=runtime.clock(),
                    opens_thread=i == 0,
                )
            )
        await store.close()
    await assistant.aclose()
    reply_usages = [
        u for r, u in zip(fake.requests[start:], fake.usages[start:], strict=False) if r.stream
    ]
    if not cached:
        # Caching off: strip the history breakpoint too, by reporting what the same prompts cost
        # uncached (all prompt tokens as plain input).
        return [
            type(u)(
                input_tokens=u.input_tokens
                + u.cache_creation_input_tokens
                + u.cache_read_input_tokens,
                output_tokens=u.output_tokens,
            )
            for u in reply_usages
        ]
    return reply_usages


def cost(usages: list[Any], model: str) -> float:
    """Dollars, by the default price table."""
    p = DEFAULT_PRICES[model]
    return float(
        sum(
            u.input_tokens * p.input
            + u.output_tokens * p.output
            + u.cache_creation_input_tokens * p.cache_write
            + u.cache_read_input_tokens * p.cache_read
            for u in usages
        )
        / 1_000_000
    )


async def main() -> None:
    os.environ["ANTHROPIC_API_KEY"] = "bench"
    async with FakeMessagesAPI() as fake:
        os.environ["ANTHROPIC_BASE_URL"] = fake.url
        print(
            f"fake latencies: reply first event {REPLY_FIRST_TOKEN * 1000:.0f} ms, "
            f"{CHUNK_DELAY * 1000:.0f} ms between chunks; {RUNS} runs each\n"
        )
        print("1. time to first visible reply text")
        for assess in (0.150, 0.450):
            bare, mod = await first_token_latency(fake, assess)
            ratio = statistics.median(mod) / statistics.median(bare)
            added = [(m - b) * 1000 for m, b in zip(mod, bare, strict=True)]
            b50, m50 = statistics.median(bare) * 1000, statistics.median(mod) * 1000
            print(
                f"   assessment {assess * 1000:.0f} ms: bare p50 {b50:.1f} ms, "
                f"moderated p50 {m50:.1f} ms, ratio of medians {ratio:.3f}; "
                f"added p50 {pct(added, 0.5):.1f} ms, p95 {pct(added, 0.95):.1f} ms"
            )
        print("\n2. a 20-turn thread, 2,000-token system prompt")
        with_cache = await caching(fake, cached=True)
        without = await caching(fake, cached=False)
        later = with_cache[2:]
        read = sum(u.cache_read_input_tokens for u in later)
        prompt = sum(
            u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
            for u in later
        )
        model = Settings().assistant.reply_model
        c1, c0 = cost(with_cache, model), cost(without, model)
        print(f"   cache-read share of input tokens, turns 3-20: {read / prompt:.3f}")
        print(f"   reply cost with caching ${c1:.4f}, without ${c0:.4f}: ratio {c1 / c0:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
