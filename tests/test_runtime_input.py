"""Input the runtime must take calmly: messages with nothing to read, names UTF-8 cannot hold."""

from __future__ import annotations

import pytest

from bot import notices
from bot.records import Author, encodable
from bot.store.base import Store
from tests.test_runtime import Harness, ref, store

__all__ = ["store"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u200b", "\u200b \u2060"])
async def test_a_message_with_nothing_to_read_is_not_a_model_turn(store: Store, text: str) -> None:
    """Empty, blank or invisible: the fixed notice, no model call, no strike, state unchanged."""
    h = Harness(store)
    await h.say("hi", opens=True)
    before = await store.load_thread(ref().key)
    calls = len(h.assistant.contexts)
    assert await h.say(text) == "no_text"
    assert len(h.assistant.contexts) == calls
    assert h.adapter.calls[-1].kind == "notice"
    assert h.adapter.calls[-1].text == notices.NOTHING_TO_READ
    assert await store.load_thread(ref().key) == before
    assert await h.say("and now a question") == "reply"


async def test_an_empty_opening_mention_opens_the_thread_and_says_what_it_reads(
    store: Store,
) -> None:
    """A bare mention (or an attachment alone) opens the thread; the answer is the notice."""
    h = Harness(store)
    assert await h.say("", opens=True) == "no_text"
    assert h.assistant.contexts == []
    state = await store.load_thread(ref().key)
    assert state is not None and state.status == "open" and state.strikes == 0
    assert [c.kind for c in h.adapter.calls] == ["notice"]
    assert await h.say("a real question") == "reply"


async def test_an_empty_message_is_decided_once(store: Store) -> None:
    """A redelivered empty message gets no second notice."""
    h = Harness(store)
    await h.say("hi", opens=True)
    assert await h.say("", event="empty-1") == "no_text"
    assert await h.say("", event="empty-1") == "duplicate"
    assert [c.kind for c in h.adapter.calls].count("notice") == 1


def test_encodable_replaces_only_lone_surrogates() -> None:
    """Each lone surrogate becomes U+FFFD; clean text (emoji included) is the same object."""
    clean = "alice 😀 Ω"
    assert encodable(clean) is clean
    assert encodable("ev\udc00il\ud800") == "ev\ufffdil\ufffd"
    assert encodable("ev\udc00il").encode("utf-8")


async def test_a_name_no_adapter_cleaned_is_repaired_by_the_store(store: Store) -> None:
    """A name with a lone surrogate that reaches the store is written repaired; the user is
    answered."""
    h = Harness(store)
    await h.say("hi", opens=True)
    dirty = Author(id="u1", name="ev\udc00il")
    assert await h.say("hello", author=dirty) == "reply"  # the store cleans names it writes
    (turn, *_) = [t for t in await store.recent_turns(ref().key, limit=10) if t.text == "hello"]
    assert turn.author_name.encode("utf-8") and "ev" in turn.author_name
