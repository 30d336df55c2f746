"""The Discord service against the fake Discord: threads, streaming, locks, the mod log, buttons."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.delivery import Throttle, nonce
from adapters.discord.service import DiscordService
from bot import notices
from bot.errors import DeliveryError, PermissionMissing
from bot.records import Action
from bot.runtime import Runtime
from tests.adapters.discord.conftest import Bot, settings, start_bot, stop_bot
from tests.fakes.core import ScriptedAssistant, ScriptedReply
from tests.fakes.discord_fake import (
    ALICE_ID,
    BOB_ID,
    BOT_ID,
    BOT_PERMISSIONS,
    CHANNEL_ID,
    GUILD_ID,
    MOD_ID,
    MOD_ROLE_ID,
    MODLOG_ID,
    OTHER_BOT_ID,
    OTHER_CHANNEL_ID,
    FakeDiscord,
    FakeHTTPError,
    settle,
)

SEND = "/channels/{channel_id}/messages"
EDIT = "/channels/{channel_id}/messages/{message_id}"
CHANNEL = "/channels/{channel_id}"
BOMB = "how do I make a pipe bomb"
#: Every slash command the bot registers: the users' and the moderators'.
COMMANDS = {
    "policy",
    "status",
    "appeal",
    "cases",
    "case",
    "acknowledge",
    "resolve",
    "lock",
    "unlock",
    "uphold",
    "note",
    "pardon",
}


def scripted(*chunks: str) -> ScriptedAssistant:
    """An assistant whose every reply is these chunks."""
    return ScriptedAssistant(lambda ctx: ScriptedReply(list(chunks)))


async def open_thread(bot: Bot, text: str = "hi") -> int:
    """Mention the bot and return the new thread's id."""
    message = bot.fake.say(text, mention_bot=True)
    await settle()
    return int(message["id"])


async def say(bot: Bot, thread: int, text: str, *, author: int = ALICE_ID) -> None:
    """Post in a thread and wait for the bot."""
    bot.fake.say(text, channel=thread, author=author)
    await settle()


async def walk_to_lock(bot: Bot) -> int:
    """Open a thread and send the four harmful messages that lock it; returns the thread id."""
    thread = await open_thread(bot)
    for _ in range(4):
        await say(bot, thread, BOMB)
    return thread


def modlog(bot: Bot) -> list[dict[str, Any]]:
    """Case messages in the mod-log channel, oldest first."""
    return bot.fake.sent(MODLOG_ID)


def custom_ids(message: dict[str, Any]) -> list[str]:
    """Every button id on a message."""
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def test_mention_opens_a_thread_and_replies_there(bot: Bot) -> None:
    """A mention creates a public thread from that message and the offline reply goes in it."""
    message = bot.fake.say("how do I bake bread?", mention_bot=True)
    await settle()
    (thread,) = bot.fake.threads()
    assert thread["id"] == message["id"] and thread["parent_id"] == str(CHANNEL_ID)
    assert thread["name"] == "how do I bake bread?" and thread["type"] == 11
    (reply,) = bot.fake.sent(int(thread["id"]))
    assert "running offline" in reply["content"]
    assert bot.fake.calls("POST", "/channels/{channel_id}/typing")


async def test_reply_streams_by_editing_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first chunk is posted, later chunks edit that same message in place."""
    bot = await start_bot(tmp_path, monkeypatch, assistant=scripted("Hel", "lo th", "ere!"))
    try:
        thread = await open_thread(bot)
        (reply,) = bot.fake.sent(thread)
        assert reply["content"] == "Hello there!"
        assert reply["edits"] == 2
        assert [r.json["content"] for r in bot.fake.calls("PATCH", EDIT)] == [
            "Hello th",
            "Hello there!",
        ]
    finally:
        await stop_bot(bot)


class SlowReply(ScriptedReply):
    """A reply whose chunks arrive `gap` seconds apart."""

    def __init__(self, chunks: list[str], gap: float) -> None:
        super().__init__(chunks)
        self._gap = gap

    async def stream(self, verdict: str) -> AsyncIterator[str]:
        """The chunks, slowly."""
        async for chunk in super().stream(verdict):
            await asyncio.sleep(self._gap)
            yield chunk


async def test_streaming_edits_at_most_once_per_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty chunks over about half a second make only a few writes, spaced by the interval."""
    assistant = ScriptedAssistant(lambda ctx: SlowReply([f"w{i} " for i in range(20)], 0.025))
    bot = await start_bot(tmp_path, monkeypatch, assistant=assistant)
    bot.service.throttle = Throttle(0.2)
    try:
        thread = await open_thread(bot)
        writes = [
            r
            for r in bot.fake.requests
            if r.params.get("channel_id") == str(thread) and r.path in (SEND, EDIT)
        ]
        assert 2 <= len(writes) <= 5
        gaps = [b.at - a.at for a, b in itertools.pairwise(writes)]
        assert all(g >= 0.19 for g in gaps)
        (reply,) = bot.fake.sent(thread)
        assert reply["content"] == "".join(f"w{i} " for i in range(20))
    finally:
        await stop_bot(bot)


async def test_long_reply_is_split_at_2000_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 4,500-character reply becomes three messages, none over the limit, nothing lost."""
    words = ["word"] * 900
    bot = await start_bot(tmp_path, monkeypatch, assistant=scripted(*(w + " " for w in words)))
    try:
        thread = await open_thread(bot)
        sent = bot.fake.sent(thread)
        assert len(sent) == 3
        assert all(len(m["content"]) <= 2000 for m in sent)
        assert " ".join(m["content"].strip() for m in sent).split() == words
    finally:
        await stop_bot(bot)


async def test_later_message_in_thread_is_a_turn_without_mention(bot: Bot) -> None:
    """After the opening mention, a plain message in the thread gets a reply."""
    thread = await open_thread(bot)
    await say(bot, thread, "and another thing")
    assert len(bot.fake.sent(thread)) == 2
    assert len(bot.fake.threads()) == 1


async def test_bots_and_unhosted_threads_and_plain_messages_are_ignored(bot: Bot) -> None:
    """Other bots, the bot itself, threads it does not host and unmentioned text get nothing."""
    bot.fake.say("hello", author=OTHER_BOT_ID, mention_bot=True)
    bot.fake.say("just chatting")
    await settle()
    assert bot.fake.threads() == [] and bot.fake.sent() == []
    thread = await open_thread(bot)
    posted = len(bot.fake.sent())
    # The bot's own reply came back as MESSAGE_CREATE and was ignored: one reply, no loop.
    assert posted == 1
    other = bot.fake.say("a user's own thread starter")
    await settle()
    bot.fake.channels[int(other["id"])] = {
        **bot.fake.channels[thread],
        "id": other["id"],
        "name": "not ours",
    }
    bot.fake.emit("THREAD_CREATE", bot.fake.channels[int(other["id"])])
    await say(bot, int(other["id"]), "hello in someone else's thread")
    assert len(bot.fake.sent()) == posted


async def test_channels_setting_limits_where_mentions_open_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `channels` set, a mention elsewhere opens nothing."""
    config = settings(channels=(OTHER_CHANNEL_ID,))
    bot = await start_bot(tmp_path, monkeypatch, config=config)
    try:
        bot.fake.say("hi", mention_bot=True, channel=CHANNEL_ID)
        await settle()
        assert bot.fake.threads() == []
        bot.fake.say("hi", mention_bot=True, channel=OTHER_CHANNEL_ID)
        await settle()
        assert len(bot.fake.threads()) == 1
    finally:
        await stop_bot(bot)


async def test_the_whole_ladder_locks_and_archives_the_thread(bot: Bot) -> None:
    """Redirect, redirect, warning, then the lock notice and Thread.edit(locked, archived)."""
    thread = await walk_to_lock(bot)
    texts = [m["content"] for m in bot.fake.sent(thread)]
    assert "wouldn't help" in texts[1] and "wouldn't help" in texts[2]
    assert any(t.startswith("Please note") for t in texts)
    assert texts[-1].startswith("This thread has been closed")
    assert "`/policy`" in texts[-1] and "{policy_command}" not in texts[-1]
    (lock,) = [r for r in bot.fake.calls("PATCH", CHANNEL) if r.params["channel_id"] == str(thread)]
    assert lock.json["locked"] is True and lock.json["archived"] is True
    meta = bot.fake.channels[thread]["thread_metadata"]
    assert meta["locked"] and meta["archived"]
    (case,) = modlog(bot)
    assert case["embeds"][0]["title"] == "Case #1 · Thread locked"
    # A message that still arrives (a moderator can post in a locked thread) gets nothing.
    await say(bot, thread, "hello?", author=MOD_ID)
    assert len(bot.fake.sent(thread)) == len(texts)


async def test_mod_log_embed_has_the_case_details_and_buttons(bot: Bot) -> None:
    """Number, title, user, jump link, category, strikes, spoilered excerpts, three buttons."""
    thread = await walk_to_lock(bot)
    (message,) = modlog(bot)
    embed = message["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert str(ALICE_ID) in fields["User"]
    assert f"https://discord.com/channels/{message['guild_id']}/{thread}" in fields["Thread"]
    assert fields["Category"] == "weapons capable of mass casualties"
    assert fields["Strikes"] == "4"
    assert (
        fields["Excerpts (spoilered)"].startswith("||")
        and "pipe bomb" in fields["Excerpts (spoilered)"]
    )
    assert embed["color"] == discord.Colour.orange().value
    assert custom_ids(message) == ["tk:unlock:1", "tk:uphold:1", "tk:ack:1", "tk:note:1"]
    assert message["allowed_mentions"] == {"parse": []}


async def test_lock_without_manage_threads_is_reported_and_the_thread_stays_refused(
    bot: Bot,
) -> None:
    """Discord's 403 on the lock becomes a delivery-failure case naming Manage Threads."""
    without = discord.Permissions(BOT_PERMISSIONS.value)
    without.manage_threads = False
    bot.fake.set_bot_permissions(without)
    thread = await walk_to_lock(bot)
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is False
    cases = [m["embeds"][0] for m in modlog(bot)]
    assert [c["title"] for c in cases] == [
        "Case #1 · Thread locked",
        "Case #2 · The bot could not carry out an action",
    ]
    assert "Manage Threads" in cases[1]["description"]
    before = len(bot.fake.sent(thread))
    await say(bot, thread, "hello again")
    await say(bot, thread, BOMB)
    assert len(bot.fake.sent(thread)) == before
    state = await bot.store.load_thread(f"discord:{message_guild(bot)}:{CHANNEL_ID}:{thread}")
    assert state is not None and state.status == "locked"


def message_guild(bot: Bot) -> str:
    """The fake guild's id."""
    return bot.fake.guild_payload()["id"]  # type: ignore[no-any-return]


async def test_message_from_an_archived_thread_out_of_the_cache_is_handled(bot: Bot) -> None:
    """A PartialMessageable channel is traced to its parent (via fetch) and the turn goes on."""
    thread = await open_thread(bot)
    bot.fake.drop_thread_from_cache(thread)
    await settle()
    bot.service._parents.clear()  # as after a restart: only Discord knows the parent now
    assert bot.service.client.get_channel(thread) is None
    seen: list[object] = []
    handle = bot.service.on_message

    async def spy(message: discord.Message) -> None:
        seen.append(message.channel)
        await handle(message)

    bot.service.on_message = spy  # type: ignore[method-assign]
    await say(bot, thread, "are you still there?")
    assert isinstance(seen[-1], discord.PartialMessageable)
    assert len(bot.fake.sent(thread)) == 2
    fetches = [r for r in bot.fake.calls("GET", CHANNEL) if r.params["channel_id"] == str(thread)]
    assert len(fetches) == 1


async def test_moderator_unlock_button_reopens_the_thread(bot: Bot) -> None:
    """A moderator's click unlocks and unarchives, posts the notice, and opens an unlock case."""
    thread = await walk_to_lock(bot)
    (case,) = modlog(bot)
    await bot.fake.decide(int(case["id"]), "tk:unlock:1", user=MOD_ID)
    meta = bot.fake.channels[thread]["thread_metadata"]
    assert not meta["locked"] and not meta["archived"]
    assert bot.fake.sent(thread)[-1]["content"] == notices.UNLOCKED
    assert modlog(bot)[-1]["embeds"][0]["title"] == "Case #2 · Thread unlocked by a moderator"
    assert bot.fake.interaction_responses[-1]["type"] == 5  # deferred, ephemeral
    assert bot.fake.followups[-1]["content"] == "Done: unlock (case #2)."
    await say(bot, thread, "thanks, so about bread")
    assert "running offline" in bot.fake.sent(thread)[-1]["content"]


async def test_non_moderator_click_is_refused_and_changes_nothing(bot: Bot) -> None:
    """A user without the role or Manage Threads gets a private refusal; no case, still locked."""
    thread = await walk_to_lock(bot)
    (case,) = modlog(bot)
    await bot.fake.decide(int(case["id"]), "tk:unlock:1", user=BOB_ID)
    response = bot.fake.interaction_responses[-1]
    assert response["type"] == 4
    assert response["data"]["content"] == notices.NOT_A_MODERATOR
    assert response["data"]["flags"] & 64  # ephemeral
    assert len(modlog(bot)) == 1
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is True


async def test_uphold_and_note_buttons_each_open_a_case(bot: Bot) -> None:
    """Uphold is a case; Note opens a modal whose text becomes a note case."""
    await walk_to_lock(bot)
    (case,) = modlog(bot)
    await bot.fake.decide(int(case["id"]), "tk:uphold:1", user=MOD_ID)
    assert modlog(bot)[-1]["embeds"][0]["title"] == "Case #2 · Lock upheld by a moderator"
    bot.fake.click(int(case["id"]), "tk:note:1", user=MOD_ID)
    await settle()
    modal = bot.fake.interaction_responses[-1]
    assert modal["type"] == 9
    text_id = modal["data"]["components"][0]["components"][0]["custom_id"]
    bot.fake.submit_modal(modal["data"]["custom_id"], {text_id: "talked to them"}, user=MOD_ID)
    await settle()
    note = modlog(bot)[-1]["embeds"][0]
    assert note["title"] == "Case #3 · Moderator note"
    assert note["description"] == "talked to them"


async def test_unlock_of_an_open_thread_is_answered_privately(bot: Bot) -> None:
    """The core's refusal goes to the moderator, not into the user's thread."""
    thread = await walk_to_lock(bot)
    (case,) = modlog(bot)
    await bot.fake.decide(int(case["id"]), "tk:unlock:1", user=MOD_ID)
    # The case is resolved now: its message was edited in place and offers only Note.
    assert custom_ids(bot.fake.messages[int(case["id"])]) == ["tk:note:1"]
    posted = len(bot.fake.sent(thread))
    bot.fake.slash("unlock", user=MOD_ID, channel=thread)
    await settle()
    assert bot.fake.followups[-1]["content"] == notices.NOT_CLOSED
    assert bot.fake.followups[-1]["flags"] & 64
    assert len(bot.fake.sent(thread)) == posted


async def test_a_replayed_message_create_posts_nothing_twice(bot: Bot) -> None:
    """The same MESSAGE_CREATE delivered twice opens one thread and replies once."""
    message = bot.fake.say("hi", mention_bot=True)
    await settle()
    bot.fake.emit("MESSAGE_CREATE", message)
    await settle()
    thread = int(message["id"])
    assert len(bot.fake.threads()) == 1 and len(bot.fake.sent(thread)) == 1
    turn = bot.fake.say("more", channel=thread)
    bot.fake.emit("MESSAGE_CREATE", turn)
    await settle()
    assert len(bot.fake.sent(thread)) == 2


async def test_a_retried_post_uses_the_same_nonce_and_is_not_duplicated(bot: Bot) -> None:
    """Every post carries the action's key as an enforced nonce; a retry returns the first post."""
    thread = await open_thread(bot)
    ref = (await bot.store.threads(platform="discord", limit=5))[0].ref
    action = Action(kind="notice", thread=ref, text="a fixed notice")
    await bot.service.perform(action, key="tk-77")
    await bot.service.perform(action, key="tk-77")
    notices_sent = [m for m in bot.fake.sent(thread) if m["content"] == "a fixed notice"]
    assert len(notices_sent) == 1
    posts = [r.json for r in bot.fake.calls("POST", SEND) if r.json.get("nonce") == "tk-77"]
    assert len(posts) == 2 and all(p["enforce_nonce"] is True for p in posts)
    assert nonce("x" * 40) != nonce("x" * 41) and len(nonce("x" * 40)) <= 25


async def test_crisis_pings_only_the_moderator_role_once(bot: Bot) -> None:
    """The crisis case is the one message allowed to ping, and only the configured role."""
    thread = await open_thread(bot, "I want to kill myself")
    texts = [m["content"] for m in bot.fake.sent(thread)]
    assert any("988" in t for t in texts)  # the reviewed resources
    (case,) = modlog(bot)
    assert case["content"].startswith(f"<@&{MOD_ROLE_ID}>")
    assert case["allowed_mentions"] == {"parse": [], "roles": [MOD_ROLE_ID]}
    assert case["embeds"][0]["color"] == discord.Colour.red().value
    others = [m for m in bot.fake.sent() if m is not case]
    assert others and all(m["allowed_mentions"] == {"parse": []} for m in others)


async def test_no_ping_on_crisis_when_not_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ping_on_crisis off, the priority case mentions nobody."""
    bot = await start_bot(tmp_path, monkeypatch, config=settings(ping_on_crisis=False))
    try:
        await open_thread(bot, "I want to kill myself")
        (case,) = modlog(bot)
        assert not case["content"] and case["allowed_mentions"] == {"parse": []}
    finally:
        await stop_bot(bot)


async def test_everyone_in_model_or_user_text_never_pings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """@everyone and role mentions in a reply or an excerpt go out with mentions off."""
    ping = f"@everyone look <@&{MOD_ROLE_ID}> <@{BOB_ID}>"
    bot = await start_bot(tmp_path, monkeypatch, assistant=scripted(ping, " and more"))
    try:
        thread = await open_thread(bot, "@everyone hi")
        for request in bot.fake.calls("POST", SEND) + bot.fake.calls("PATCH", EDIT):
            assert request.json["allowed_mentions"] == {"parse": []}
        assert bot.fake.sent(thread)[0]["content"] == ping + " and more"
    finally:
        await stop_bot(bot)


async def test_policy_command_answers_anyone_privately(bot: Bot) -> None:
    """/policy shows the published criteria, ephemeral, to a plain user."""
    bot.fake.slash("policy", user=BOB_ID)
    await settle()
    response = bot.fake.interaction_responses[-1]
    assert response["type"] == 4 and response["data"]["flags"] & 64
    assert response["data"]["content"].startswith("How this bot keeps threads safe")
    assert {c["name"] for c in bot.fake.commands} == COMMANDS


async def test_status_case_and_unlock_commands(bot: Bot) -> None:
    """/status in a thread, /case for moderators only, /unlock inside a locked thread."""
    thread = await walk_to_lock(bot)
    bot.fake.slash("status", user=ALICE_ID, channel=thread)
    await settle()
    status = bot.fake.interaction_responses[-1]["data"]["content"]
    assert status == (
        "This thread is closed. You can start a fresh thread by mentioning me in the channel, "
        "or ask the moderators to reopen this one: press **Appeal** under the closing notice, or "
        "use `/appeal` in the thread. 5 messages so far."
    )
    bot.fake.slash("case", user=BOB_ID, options=[{"name": "number", "type": 4, "value": 1}])
    await settle()
    assert bot.fake.interaction_responses[-1]["data"]["content"] == notices.NOT_A_MODERATOR
    bot.fake.slash("case", user=MOD_ID, options=[{"name": "number", "type": 4, "value": 1}])
    await settle()
    shown = bot.fake.interaction_responses[-1]["data"]
    assert shown["embeds"][0]["title"] == "Case #1 · Thread locked" and shown["flags"] & 64
    bot.fake.slash("unlock", user=MOD_ID, channel=thread)
    await settle()
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is False
    assert modlog(bot)[-1]["embeds"][0]["title"] == "Case #2 · Thread unlocked by a moderator"


async def test_end_on_request_buttons_answer_only_for_the_thread_user(bot: Bot) -> None:
    """Yes/No buttons for the asker; someone else is refused; Yes ends and locks the thread."""
    thread = await open_thread(bot)
    await say(bot, thread, "please end this thread")
    question = bot.fake.sent(thread)[-1]
    assert question["content"] == notices.CONFIRM_END
    assert custom_ids(question) == [f"tk:end:yes:{ALICE_ID}", f"tk:end:no:{ALICE_ID}"]
    bot.fake.click(int(question["id"]), f"tk:end:yes:{ALICE_ID}", user=BOB_ID)
    await settle()
    assert bot.fake.interaction_responses[-1]["data"]["flags"] & 64
    assert bot.fake.channels[thread]["thread_metadata"]["locked"] is False
    bot.fake.click(int(question["id"]), f"tk:end:yes:{ALICE_ID}", user=ALICE_ID)
    await settle()
    assert bot.fake.interaction_responses[-1]["type"] == 7  # the buttons are removed
    assert "ended at your request" in bot.fake.sent(thread)[-1]["content"]
    meta = bot.fake.channels[thread]["thread_metadata"]
    assert meta["locked"] and meta["archived"]
    assert modlog(bot)[-1]["embeds"][0]["title"].endswith("Thread ended at the user's request")


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (500, True), (502, True), (400, False)]
)
async def test_http_errors_become_delivery_errors(bot: Bot, status: int, retryable: bool) -> None:
    """429 and 5xx are worth retrying; other HTTP errors are not; 403 names the permission."""
    thread = await open_thread(bot)
    ref = (await bot.store.threads(platform="discord", limit=5))[0].ref
    bot.fake.fail[("POST", SEND)] = [FakeHTTPError(status, 0, "nope")]
    with pytest.raises(DeliveryError) as caught:
        await bot.service.perform(Action(kind="notice", thread=ref, text="x"), key="tk-9")
    assert caught.value.retryable is retryable
    bot.fake.fail[("POST", SEND)] = [FakeHTTPError(403, 50013, "Missing Permissions")]
    with pytest.raises(PermissionMissing) as missing:
        await bot.service.perform(Action(kind="notice", thread=ref, text="x"), key="tk-9")
    assert missing.value.permission == "Send Messages in Threads"
    assert thread


async def test_check_reports_nothing_when_all_is_well(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the invite's permissions and existing channels, start-up checks are silent."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = FakeDiscord()
    service = DiscordService(settings(channels=(CHANNEL_ID,)))
    fake.attach(service.client)
    try:
        assert await service.check() == []
    finally:
        await service.client.close()


async def test_check_names_each_problem_in_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing channel and missing permissions are each one plain sentence."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = FakeDiscord()
    fake.set_bot_permissions(
        discord.Permissions(view_channel=True, send_messages=True, read_message_history=True)
    )
    service = DiscordService(settings(channels=(CHANNEL_ID, 123456789)))
    fake.attach(service.client)
    try:
        problems = await service.check()
    finally:
        await service.client.close()
    assert len(problems) == 3
    assert "Embed Links" in problems[0] and "#mod-log" in problems[0]
    assert "Manage Threads" in problems[1] and "Create Public Threads" in problems[1]
    assert "123456789 does not exist" in problems[2]


async def test_check_says_when_the_token_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 401 at login is a sentence naming the token variable, not a traceback."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = FakeDiscord()
    fake.fail[("GET", "/users/@me")] = [FakeHTTPError(401, 0, "401: Unauthorized")]
    service = DiscordService(settings())
    fake.attach(service.client)
    try:
        (problem,) = await service.check()
    finally:
        await service.client.close()
    assert "DISCORD_TOKEN" in problem


async def test_login_backs_off_on_server_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5xx at login is retried after a growing pause, then succeeds."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = FakeDiscord()
    fake.fail[("GET", "/users/@me")] = [FakeHTTPError(502, 0, "bad gateway")] * 2
    service = DiscordService(settings(), login_backoff=(0.01, 0.05))
    fake.attach(service.client)
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        if seconds:
            pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("adapters.discord.client.asyncio.sleep", sleep)
    try:
        await service.login()
        assert service.client.user is not None and service.client.user.id == BOT_ID
    finally:
        await service.client.close()
    assert pauses[:2] == [0.01, 0.02]


async def test_check_without_channels_checks_the_servers_role_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every channel hosting threads, a role without Manage Threads is reported."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    fake = FakeDiscord()
    without = discord.Permissions(BOT_PERMISSIONS.value)
    without.manage_threads = False
    fake.set_bot_permissions(without)
    service = DiscordService(settings())
    fake.attach(service.client)
    try:
        (problem,) = await service.check()
    finally:
        await service.client.close()
    assert "Manage Threads" in problem and "Test server" in problem


def test_throttle_allows_one_write_per_interval_per_thread() -> None:
    """Writes in one thread wait for the interval; another thread is not held up."""
    now = [100.0]
    throttle = Throttle(1.0, clock=lambda: now[0])
    assert throttle.wait_for("a") == 0
    throttle.mark("a")
    now[0] += 0.4
    assert throttle.wait_for("a") == pytest.approx(0.6)
    assert throttle.wait_for("b") == 0
    now[0] += 0.6
    assert throttle.wait_for("a") == 0


async def test_a_message_the_process_died_on_is_answered_after_the_restart(bot: Bot) -> None:
    """Discord never redelivers: the message was written down first; the next start decides it."""
    thread = await open_thread(bot)
    handle = bot.runtime.handle

    async def died(event: object) -> None:
        raise RuntimeError("the process died between accepting and deciding")

    bot.runtime.handle = died  # type: ignore[assignment,method-assign]
    bot.fake.say("are you there?", channel=thread)
    await settle()
    bot.runtime.handle = handle  # type: ignore[method-assign]
    assert len(bot.fake.sent(thread)) == 1 and len(await bot.store.accepted_events()) == 1
    restarted = Runtime(
        settings=bot.runtime.settings,
        store=bot.store,
        assistant=bot.runtime.assistant,
        classifier=bot.runtime.classifier,
        adapters={"discord": bot.service},
    )
    assert await restarted.recover() == 1
    assert len(bot.fake.sent(thread)) == 2
    assert await bot.store.accepted_events() == []


async def test_a_follow_up_while_the_opening_is_undecided_is_kept_and_comes_second(
    bot: Bot,
) -> None:
    """The opening mention is accepted but not decided yet (another process has it) when the
    user writes again in the new thread: the follow-up is not dropped as "not hosted", and the
    opening is decided first."""
    handle = bot.runtime.handle

    async def not_yet(event: object) -> None:
        return None  # the opening's decision is still to come

    bot.runtime.handle = not_yet  # type: ignore[assignment,method-assign]
    opening = bot.fake.say("hi there", mention_bot=True)
    await settle()
    bot.runtime.handle = handle  # type: ignore[method-assign]
    thread = int(opening["id"])
    assert await bot.store.load_thread(f"discord:{GUILD_ID}:{CHANNEL_ID}:{thread}") is None
    await say(bot, thread, "and a follow-up")
    turns = await bot.store.recent_turns(f"discord:{GUILD_ID}:{CHANNEL_ID}:{thread}", limit=10)
    assert [t.text for t in turns if t.role == "user"] == ["hi there", "and a follow-up"]
    assert len(bot.fake.sent(thread)) == 2
