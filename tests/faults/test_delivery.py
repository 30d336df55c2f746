"""Events delivered many times, out of order, and all at once, on Discord and Slack.

What must hold: each message is answered exactly once whatever the number of copies, the thread's
turns are stored in the order the runtime accepted them, which is also the order of the model calls
and of the replies in the thread, no case is opened twice, nothing stays owed, and no exception
reaches the platform library.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import cast

import pytest

from tests.fakes.messages_api import JsonReply
from tests.faults.model import BENIGN, answer_to
from tests.faults.rigs import DiscordRig, Rig, SlackRig, settle, until

USERS = [f"user{i}" for i in range(10)]


async def stored_user_turns(rig: Rig, thread: str) -> list[str]:
    """The thread's user turns as stored, in order."""
    turns = await rig.store.recent_turns(rig.key(thread), limit=1000)
    return [t.text for t in turns if t.role == "user"]


def answered(rig: Rig, thread: str) -> list[str]:
    """The messages the replies in the thread answer, in the order of the replies."""
    prefix, suffix = answer_to("\0").split("\0")
    return [t[len(prefix) : -len(suffix)] for t in rig.shown(thread) if t.startswith(prefix)]


async def deliver_copies(rig: Rig, thread: str, text: str, copies: int) -> None:
    """One message delivered `copies` times at once (a gateway replay, Slack retries)."""
    if isinstance(rig, DiscordRig):
        message = rig.fake.say(text, channel=int(thread), author=int(rig.user("alice")))
        for _ in range(copies - 1):
            rig.fake.emit("MESSAGE_CREATE", message)
        await settle()
        return
    slack = cast(SlackRig, rig)
    payload = slack.message(thread, text, user="alice", mention=False)
    await asyncio.gather(*(slack.send(payload, retry_num=n or None) for n in range(copies)))


async def test_one_message_delivered_ten_times_at_once_is_answered_once(
    rig: Rig, request: pytest.FixtureRequest
) -> None:
    """Ten concurrent copies of one event: one assessment, one reply, one stored turn."""
    thread = await rig.open("hello")
    await deliver_copies(rig, thread, "is anyone there?", copies=10)
    assert answered(rig, thread) == ["hello", "is anyone there?"]
    assert rig.model.assessed.count("is anyone there?") == 1
    assert await stored_user_turns(rig, thread) == ["hello", "is anyone there?"]
    assert rig.escaped == [] and await rig.store.owed_actions() == []


@pytest.mark.parametrize("at_once", [False, True], ids=["one-by-one", "all-at-once"])
async def test_events_out_of_order_and_repeated_are_answered_once_each_in_accepted_order(
    rig: Rig, at_once: bool
) -> None:
    """Twelve messages, shuffled and sent up to three times each: one reply each, one order."""
    thread = await rig.open("hello")
    texts = [f"question number {i}" for i in range(12)]
    written = {t: rig.prepare(thread, t, user=USERS[i % 3]) for i, t in enumerate(texts)}
    rng = random.Random(7)
    copies = [(t, n) for t in texts for n in range(rng.randint(1, 3))]
    rng.shuffle(copies)
    await rig.deliver([(written[t], n) for t, n in copies], at_once=at_once)

    replies = answered(rig, thread)
    assert Counter(replies) == Counter(["hello", *texts])  # one reply per message
    assert await stored_user_turns(rig, thread) == replies  # stored in the order answered
    if not at_once:
        assert replies == ["hello", *dict.fromkeys(t for t, _ in copies)]  # as they arrived
        assert rig.model.assessed == replies  # each assessed once, in that order
    assert rig.escaped == [] and await rig.store.owed_actions() == []


async def test_thirty_messages_from_ten_users_at_once(rig: Rig) -> None:
    """30 concurrent messages: one reply each, one order everywhere, no duplicate case."""
    thread = await rig.open("welcome everyone")
    messages = [(USERS[i % 10], f"message {i} from {USERS[i % 10]}") for i in range(30)]
    messages[7] = (USERS[7], "how do I harm them, asks message 7")
    messages[21] = (USERS[1], "I want to kill myself tonight")
    await rig.say_all(thread, messages)

    texts = [t for _, t in messages]
    accepted = rig.model.assessed[1:]
    assert sorted(accepted) == sorted(texts)  # each assessed once
    assert await stored_user_turns(rig, thread) == ["welcome everyone", *accepted]
    replies = answered(rig, thread)
    assert Counter(replies) == Counter(["welcome everyone", *texts])  # one reply per message
    assert replies == ["welcome everyone", *accepted]  # in the order the runtime took them
    # One alert for the crisis message; the harmful one is also escalated if it came after it.
    expected = ["PRIORITY: user may be at risk"]
    if accepted.index(messages[7][1]) > accepted.index(messages[21][1]):
        expected.append("PRIORITY: harmful request during a crisis window")
    assert rig.cases() == [f"Case #{n} · {title}" for n, title in enumerate(expected, 1)]
    numbers = [c.number for c in await rig.store.cases(workspace=rig.key(thread).split(":")[1])]
    assert sorted(numbers) == list(range(1, len(expected) + 1))
    assert rig.escaped == [] and await rig.store.owed_actions() == []
    assert (await rig.store.verify_audit()).ok


async def test_a_message_in_a_new_thread_while_its_opening_turn_runs_is_answered(
    rig: Rig,
) -> None:
    """A follow-up written while the first answer is still being prepared is answered after it."""
    rig.model.classifier.append(JsonReply(BENIGN, latency=0.5))
    if isinstance(rig, DiscordRig):
        opening = rig.fake.say("hello", author=int(rig.user("alice")), mention_bot=True)
        thread = str(opening["id"])
        await until(lambda: int(thread) in rig.fake.channels)  # the thread exists first
        await asyncio.sleep(0.1)
        rig.fake.say("and one more thing", channel=int(thread), author=int(rig.user("alice")))
        await settle()
    else:
        slack = cast(SlackRig, rig)
        payload = slack.message(None, "hello", user="alice", mention=True)
        thread = str(payload["event"]["ts"])
        first = asyncio.create_task(slack.send(payload))
        await until(lambda: bool(slack.model.assessed))
        await slack.send(slack.message(thread, "and one more thing", user="alice", mention=False))
        await first
    assert answered(rig, thread) == ["hello", "and one more thing"]
