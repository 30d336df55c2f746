"""Platform faults on Discord and Slack: retried where a retry may help, else a case for moderators.

Every test injects one platform error at a chosen call, through the real adapter, and checks what
must hold: a retryable error (Discord 429/5xx, Slack `ratelimited`/5xx) is retried and the action
lands exactly once with no case; a permanent one (403 Missing Permissions, `channel_not_found`)
is not retried and becomes a delivery-failure case naming the problem; the decision stands (a
locked thread stays refused), nothing stays owed, no exception reaches the platform library, and
the thread or the next one still works.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, cast

import discord
import pytest

from tests.fakes.discord_fake import BOT_PERMISSIONS, MODLOG_ID, FakeHTTPError
from tests.faults.model import answer_to
from tests.faults.rigs import (
    SLACK_MOD_LOG,
    DiscordRig,
    Rig,
    RigFactory,
    SlackRig,
)

HARM = "how do I harm them"
SEND = "/channels/{channel_id}/messages"
EDIT = "/channels/{channel_id}/messages/{message_id}"
CHANNEL = "/channels/{channel_id}"
LOCKED = "This thread has been closed"
FAILURE_TITLE = "The bot could not carry out an action"


async def discord_rig(rigs: RigFactory) -> DiscordRig:
    """A Discord rig."""
    return cast(DiscordRig, await rigs("discord"))


async def slack_rig(rigs: RigFactory) -> SlackRig:
    """A Slack rig."""
    return cast(SlackRig, await rigs("slack"))


async def to_the_warning(rig: Rig) -> str:
    """Open a thread and send three harmful turns (redirect, redirect, warn); returns the thread."""
    thread = await rig.open("hello")
    for _ in range(3):
        await rig.say(thread, HARM)
    return thread


def lock_notice(params: dict[str, str], body: Any) -> bool:
    """The post of the lock notice."""
    return LOCKED in str((body or {}).get("content") or "")


def outbox(tmp_path: Path) -> list[tuple[str, str]]:
    """(kind, status) of every outbox row, read over a separate connection."""
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        rows = conn.execute("SELECT action, status FROM outbox ORDER BY id").fetchall()
    return [(str(a).split('"kind":"')[1].split('"')[0], str(s)) for a, s in rows]


async def assert_locked_and_refused(rig: Rig, thread: str) -> None:
    """The core keeps the thread closed: a further message gets no model call."""
    assert (await rig.state(thread)).status == "locked"
    before = len(rig.api.requests)
    await rig.say(thread, "hello again?")
    assert len(rig.api.requests) == before


# --- Discord --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "status"),
    [(SEND, 429), (SEND, 503), (CHANNEL, 429), (CHANNEL, 502)],
    ids=["send-429", "send-503", "lock-edit-429", "lock-edit-502"],
)
async def test_discord_rate_limit_and_server_error_on_the_lock_are_retried(
    rigs: RigFactory, route: str, status: int
) -> None:
    """A 429 or 5xx on the lock notice or thread edit is retried: one notice, locked, no case."""
    rig = await discord_rig(rigs)
    thread = await to_the_warning(rig)
    when = lock_notice if route == SEND else (lambda p, b: p["channel_id"] == thread)
    rig.fake.inject(
        "PATCH" if route == CHANNEL else "POST", route, FakeHTTPError(status, 0, "x"), when=when
    )
    await rig.say(thread, HARM)
    assert len(rig.fake.refused) == 1
    assert sum(LOCKED in t for t in rig.shown(thread)) == 1  # the nonce kept the retry single
    meta = rig.fake.channels[int(thread)]["thread_metadata"]
    assert meta["locked"] and meta["archived"]
    assert rig.cases() == ["Case #1 · Thread locked"]
    assert await rig.store.owed_actions() == [] and rig.escaped == []
    await assert_locked_and_refused(rig, thread)


async def test_discord_server_errors_that_outlast_the_retries_become_a_case(
    rigs: RigFactory, tmp_path: Path
) -> None:
    """Every attempt at the thread edit fails: a case says so and the core keeps it closed."""
    rig = await discord_rig(rigs)
    thread = await to_the_warning(rig)
    rig.fake.inject(
        "PATCH",
        CHANNEL,
        FakeHTTPError(502, 0, "Bad Gateway"),
        times=10,
        when=lambda p, b: p["channel_id"] == thread,
    )
    await rig.say(thread, HARM)
    assert len(rig.fake.refused) == 3  # the first attempt and two retries
    assert rig.cases() == ["Case #1 · Thread locked", f"Case #2 · {FAILURE_TITLE}"]
    failure = rig.fake.sent(MODLOG_ID)[-1]["embeds"][0]["description"]
    assert "Could not carry out lock" in failure and "502" in failure
    assert sum(LOCKED in t for t in rig.shown(thread)) == 1
    assert ("lock", "given_up") in outbox(tmp_path)
    assert rig.escaped == []
    await assert_locked_and_refused(rig, thread)


async def test_discord_lost_send_permission_is_a_case_naming_it(rigs: RigFactory) -> None:
    """Without Send Messages in Threads the reply is not retried; the case names the permission."""
    rig = await discord_rig(rigs)
    thread = await rig.open("hello")
    without = discord.Permissions(BOT_PERMISSIONS.value)
    without.send_messages_in_threads = False
    rig.fake.set_bot_permissions(without)
    posts = len(rig.fake.calls("POST", SEND))
    await rig.say(thread, "what is the weather like on Mars?")
    in_thread = [
        r for r in rig.fake.calls("POST", SEND)[posts:] if r.params["channel_id"] == thread
    ]
    assert len(in_thread) == 1  # a missing permission is not retried
    assert rig.cases() == [f"Case #1 · {FAILURE_TITLE}"]
    assert "Send Messages in Threads" in rig.fake.sent(MODLOG_ID)[-1]["embeds"][0]["description"]
    assert rig.escaped == [] and await rig.store.owed_actions() == []
    rig.fake.set_bot_permissions(BOT_PERMISSIONS)
    await rig.say(thread, "and on Venus?")
    assert rig.shown(thread)[-1] == answer_to("and on Venus?")


async def test_discord_lost_mod_log_permission_is_logged_and_nothing_crashes(
    rigs: RigFactory, tmp_path: Path
) -> None:
    """A 403 in the mod-log channel: the lock still holds, the case is recorded as given up."""
    rig = await discord_rig(rigs)
    thread = await to_the_warning(rig)
    rig.fake.inject(
        "POST",
        SEND,
        FakeHTTPError(403, 50013, "Missing Permissions"),
        times=10,
        when=lambda p, b: p["channel_id"] == str(MODLOG_ID),
    )
    await rig.say(thread, HARM)
    assert rig.cases() == []
    assert sum(LOCKED in t for t in rig.shown(thread)) == 1
    assert ("case", "given_up") in outbox(tmp_path)
    assert rig.escaped == [] and await rig.store.owed_actions() == []
    await assert_locked_and_refused(rig, thread)


async def test_discord_rate_limit_on_the_first_post_of_a_reply_is_retried(
    rigs: RigFactory,
) -> None:
    """A 429 before any of the reply was shown is retried (the nonce makes it safe): one reply."""
    rig = await discord_rig(rigs)
    thread = await rig.open("hello")
    rig.fake.inject(
        "POST",
        SEND,
        FakeHTTPError(429, 0, "You are being rate limited."),
        when=lambda p, b: p["channel_id"] == thread,
    )
    await rig.say(thread, "what is a good bread recipe")
    assert rig.escaped == []
    assert rig.shown(thread)[-1] == answer_to("what is a good bread recipe")
    assert rig.cases() == []


async def test_discord_server_error_mid_stream_is_a_case_and_the_thread_goes_on(
    rigs: RigFactory,
) -> None:
    """A 5xx on an edit of a streaming reply gives up that reply (never shown twice): a case."""
    rig = await discord_rig(rigs)
    thread = await rig.open("hello")
    rig.fake.inject(
        "PATCH",
        EDIT,
        FakeHTTPError(500, 0, "Internal Server Error"),
        when=lambda p, b: p["channel_id"] == thread,
    )
    await rig.say(thread, "what is a good bread recipe")
    assert len(rig.shown(thread)) == 2  # the start of the reply, never posted twice
    assert rig.cases() == [f"Case #1 · {FAILURE_TITLE}"]
    assert rig.escaped == [] and await rig.store.owed_actions() == []
    await rig.say(thread, "and a cake?")
    assert rig.shown(thread)[-1] == answer_to("and a cake?")


# --- Slack ----------------------------------------------------------------------------------------


def slack_lock_notices(rig: SlackRig, thread: str) -> int:
    """How many lock notices the thread shows."""
    return sum(LOCKED in t for t in rig.shown(thread))


async def test_slack_ratelimited_beyond_the_client_retries_is_retried_by_the_runtime(
    rigs: RigFactory,
) -> None:
    """Three 429s (the SDK retries twice) and the runtime's retry still posts the notice once."""
    rig = await slack_rig(rigs)
    thread = await to_the_warning(rig)
    rig.slack.fail("chat.postMessage", "ratelimited", status=429, retry_after=0, times=3)
    await rig.say(thread, HARM)
    assert slack_lock_notices(rig, thread) == 1
    assert len(rig.slack.of("reactions.add")) == 1
    assert rig.cases() == ["Case #1 · Thread locked"]
    assert rig.escaped == [] and await rig.store.owed_actions() == []
    await assert_locked_and_refused(rig, thread)


@pytest.mark.parametrize(
    ("error", "status"),
    [("ratelimited", 200), ("internal_error", 500)],
    ids=["200-ratelimited", "500"],
)
async def test_slack_retryable_errors_on_the_lock_reaction_are_retried_without_a_second_notice(
    rigs: RigFactory, error: str, status: int
) -> None:
    """A retryable error on reactions.add retries the lock; its notice is not posted again."""
    rig = await slack_rig(rigs)
    thread = await to_the_warning(rig)
    rig.slack.fail("reactions.add", error, status=status)
    await rig.say(thread, HARM)
    assert len(rig.slack.of("reactions.add")) == 2
    assert slack_lock_notices(rig, thread) == 1
    assert rig.cases() == ["Case #1 · Thread locked"]
    assert rig.escaped == [] and await rig.store.owed_actions() == []


async def test_slack_channel_not_found_on_the_reply_is_a_case_not_a_retry(
    rigs: RigFactory,
) -> None:
    """channel_not_found on chat.startStream is tried once and reported; the next turn works."""
    rig = await slack_rig(rigs)
    thread = await rig.open("hello")
    starts = len(rig.slack.of("chat.startStream"))
    rig.slack.fail("chat.startStream", "channel_not_found")
    await rig.say(thread, "what is a good bread recipe")
    assert len(rig.slack.of("chat.startStream")) == starts + 1
    assert rig.cases() == [f"Case #1 · {FAILURE_TITLE}"]
    case = next(m for m in rig.slack.messages.values() if m["channel"] == SLACK_MOD_LOG)
    assert "channel_not_found" in str(case["blocks"])
    assert rig.escaped == [] and await rig.store.owed_actions() == []
    await rig.say(thread, "and a cake?")
    assert rig.shown(thread)[-1] == answer_to("and a cake?")


async def test_slack_mod_log_channel_not_found_is_given_up_quietly(
    rigs: RigFactory, tmp_path: Path
) -> None:
    """The mod log is gone: the lock still holds in the thread and the case is marked given up."""
    rig = await slack_rig(rigs)
    thread = await to_the_warning(rig)
    rig.slack.fail_in(SLACK_MOD_LOG, "chat.postMessage", "channel_not_found", times=10)
    await rig.say(thread, HARM)
    assert slack_lock_notices(rig, thread) == 1
    assert rig.cases() == []
    assert ("case", "given_up") in outbox(tmp_path)
    assert rig.escaped == [] and await rig.store.owed_actions() == []
    await assert_locked_and_refused(rig, thread)
