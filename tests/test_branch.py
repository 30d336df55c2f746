"""Branch from before: a locked thread continues in a new one from before its first strike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import notices
from bot.records import Author, Branch
from bot.runtime import turns_before_first_strike
from bot.store import open_store
from bot.store.base import Store, Turn
from tests.test_runtime import ALICE, Harness, ref

BOB = Author(id="u2", name="bob")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A real SQLite store in a temporary folder."""
    s = await open_store(str(tmp_path / "bot.db"))
    yield s
    await s.close()


def branch(h: Harness, *, new: str = "t2", author: Author = ALICE, old: str = "t1") -> Branch:
    """A branch request from `old` into `new` with a fresh event id."""
    h.n += 1
    return Branch(
        event_id=f"b{h.n}", thread=ref(old), author=author, at=h.clock(), new_thread=ref(new)
    )


async def locked(h: Harness) -> None:
    """Two ordinary turns, then the ladder to a lock."""
    await h.say("hi", opens=True)
    await h.say("tell me about castles")
    verdicts = [await h.say("harm") for _ in range(4)]
    assert verdicts[-1] == "lock"


async def test_branch_carries_the_turns_before_the_first_strike(store: Store) -> None:
    """The new thread is open with clean strikes, and holds no flagged turn or anything later."""
    h = Harness(store)
    await locked(h)
    outcome = await h.runtime.handle(branch(h))
    assert outcome.verdict == "branch"
    state = await store.load_thread(ref("t2").key)
    assert state is not None
    assert (state.status, state.strikes, state.owner, state.turns) == ("open", 0, "u1", 2)
    copied = await store.recent_turns(ref("t2").key, limit=100)
    assert [t.text for t in copied] == [
        "hi",
        "answer to hi",
        "tell me about castles",
        "answer to tell me about castles",
    ]
    assert not any(t.flagged for t in copied)
    notice = next(c for c in h.adapter.calls if c.kind == "notice")
    assert notice.thread == "t2" and notice.text == notices.branched("t1")
    case = outcome.cases[0]
    assert case.kind == "branch" and case.refers_to == 1 and case.thread == ref("t2")
    # The old thread stays locked; the lock case stays open for review.
    old = await store.load_thread(ref().key)
    assert old is not None and old.status == "locked"
    lock = await store.case(workspace="w", number=1)
    assert lock is not None and lock.status == "open"


async def test_the_model_sees_the_carried_history_in_the_new_thread(store: Store) -> None:
    """The next turn in the branch is answered with the earlier turns as history."""
    h = Harness(store)
    await locked(h)
    await h.runtime.handle(branch(h))
    assert await h.say("and moats?", thread="t2") == "reply"
    history = [t.text for t in h.assistant.contexts[-1].history]
    assert "tell me about castles" in history and "harm" not in history


async def test_only_the_locked_user_may_branch(store: Store) -> None:
    """Someone else is told privately; nothing is created."""
    h = Harness(store)
    await locked(h)
    outcome = await h.runtime.handle(branch(h, author=BOB))
    assert outcome.verdict == "branch_refused"
    refusal = outcome.actions[0].action
    assert refusal.kind == "private_notice" and refusal.user_id == "u2"
    assert refusal.text == notices.BRANCH_NOT_YOURS
    assert await store.load_thread(ref("t2").key) is None


async def test_open_threads_and_taken_targets_are_refused(store: Store) -> None:
    """Only a locked thread branches, and never into a thread the bot already hosts."""
    h = Harness(store)
    await h.say("hi", opens=True)
    assert (await h.runtime.handle(branch(h))).verdict == "branch_refused"
    await h.say("hello", thread="t3", opens=True)
    for _ in range(4):
        await h.say("harm")
    refused = await h.runtime.handle(branch(h, new="t3"))
    assert refused.actions[0].action.text == notices.BRANCH_TAKEN


async def test_a_second_branch_of_the_same_lock_is_allowed(store: Store) -> None:
    """Each branch carries the same pre-strike history; a lock in a branch counts as a new lock."""
    h = Harness(store)
    await locked(h)
    assert (await h.runtime.handle(branch(h, new="t2"))).verdict == "branch"
    assert (await h.runtime.handle(branch(h, new="t3"))).verdict == "branch"
    copied = await store.recent_turns(ref("t3").key, limit=100)
    assert len(copied) == 4
    for _ in range(4):
        await h.say("harm", thread="t3")
    assert (
        await store.recent_locks(
            workspace="w", user_id="u1", since=datetime(2000, 1, 1, tzinfo=UTC)
        )
        == 2
    )


async def test_redelivered_branch_is_processed_once(store: Store) -> None:
    """The same event twice creates one branch."""
    h = Harness(store)
    await locked(h)
    request = branch(h)
    assert (await h.runtime.handle(request)).verdict == "branch"
    assert (await h.runtime.handle(request)).verdict == "duplicate"


def turn(seq: int, role: str, *, flagged: bool = False) -> Turn:
    """A stored turn for the pure cut."""
    return Turn(
        seq=seq,
        thread_key="k",
        role=role,  # type: ignore[arg-type]
        author_id="u1",
        author_name="alice",
        text=f"{role}{seq}",
        at=datetime(2026, 1, 1, tzinfo=UTC),
        verdict="",
        hidden=False,
        flagged=flagged,
    )


def test_the_cut_is_the_first_flagged_turn_or_the_first_strike_turn() -> None:
    """Whichever comes first: a flag on the stored turn, or the state's first strike number."""
    turns = [turn(1, "user"), turn(2, "assistant"), turn(3, "user", flagged=True), turn(4, "user")]
    assert [t.seq for t in turns_before_first_strike(turns, 2)] == [1, 2]
    assert [t.seq for t in turns_before_first_strike(turns, None)] == [1, 2]
    # A strike added after the reply flags no turn: the state's number cuts.
    plain = [turn(1, "user"), turn(2, "assistant"), turn(3, "user"), turn(4, "assistant")]
    assert [t.seq for t in turns_before_first_strike(plain, 2)] == [1, 2]
    assert turns_before_first_strike(plain[::-1], 1) == []


def test_lock_notice_offers_the_branch() -> None:
    """The lock notice names the platform's way to continue from before."""
    text = notices.lock_notice(category="hate", redirects=2)
    assert notices.BRANCH_HINT in text
    shown = notices.for_platform(text, policy_command="x", branch_command="`/branch`")
    assert "continue in a new thread from before" in shown and "`/branch`" in shown
