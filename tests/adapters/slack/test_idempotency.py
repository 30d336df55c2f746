"""Slack has no idempotency key: an owed action carried out again must not post twice.

Every post made for an owed action carries message metadata naming the action's key and piece;
with `retry` the adapter looks for them (`conversations.replies` in a thread,
`conversations.history` in the mod log) and posts only what is missing. These tests drive the
real SlackService against the fake Web API; a "restart" is a second service on the same API.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from adapters.slack import SlackService, make_client, render
from adapters.slack.delivery import ACTION_EVENT
from bot.assistant.offline import OfflineAssistant
from bot.errors import DeliveryError
from bot.records import Action, Case, ThreadRef
from bot.store.base import Store
from tests.adapters.slack.conftest import MOD_LOG, PIPE_BOMB, Harness, settings
from tests.fakes.slack_api import TEAM, FakeSlackApi
from tests.fakes.slack_events import SECRET

THREAD = ThreadRef(platform="slack", workspace=TEAM, channel="C1", thread="1700000000.000100")
LOCKED = "This thread has been closed"


class LosingApi(FakeSlackApi):
    """Chosen chat.postMessage calls (1-based) fail: after Slack took the post (the answer is
    lost, as when the process dies or the connection drops) or before it did."""

    def __init__(self) -> None:
        super().__init__()
        self.posts = 0
        self.taken_then_lost: set[int] = set()
        self.refused: set[int] = set()
        self.lose_text = ""

    def _answer(self, method: str, args: dict[str, Any]) -> web.Response:
        if method != "chat.postMessage":
            return super()._answer(method, args)
        self.posts += 1
        if self.posts in self.refused:
            return web.json_response({"ok": False, "error": "internal_error"})
        response = super()._answer(method, args)
        if self.posts in self.taken_then_lost or (
            self.lose_text and self.lose_text in str(args.get("text"))
        ):
            self.lose_text = ""
            return web.json_response({"ok": False, "error": "internal_error"})
        return response


@pytest.fixture
async def losing() -> AsyncIterator[LosingApi]:
    """The losing fake Web API, listening."""
    fake = LosingApi()
    await fake.start()
    yield fake
    await fake.close()


def harness(api: FakeSlackApi, store: Store) -> Harness:
    """A fresh service (and runtime) on the same API and store: a restarted process."""
    return Harness(api=api, store=store, config=settings(), assistant=OfflineAssistant())


def in_channel(api: FakeSlackApi, channel: str) -> list[dict[str, Any]]:
    """What Slack holds in `channel`, in the order posted."""
    return [m for m in api.timeline.values() if m["channel"] == channel]


def marks(api: FakeSlackApi, channel: str) -> list[tuple[str, int]]:
    """The (key, piece) each message in `channel` is marked with."""
    out = []
    for m in in_channel(api, channel):
        assert m["metadata"]["event_type"] == ACTION_EVENT
        payload = m["metadata"]["event_payload"]
        out.append((payload["key"], payload["piece"]))
    return out


def lookups(api: FakeSlackApi) -> list[str]:
    """The lookup calls made, in order."""
    return [m for m in api.methods() if m in ("conversations.replies", "conversations.history")]


def notice(text: str = "Please keep it civil.") -> Action:
    """A plain notice in THREAD."""
    return Action(kind="notice", thread=THREAD, text=text)


def a_case(number: int = 7) -> Case:
    """A stored lock case on THREAD."""
    return Case(
        number=number,
        kind="lock",
        workspace=TEAM,
        user_id="U1",
        actor="bot",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        thread=THREAD,
        strikes=4,
        summary="Locked after four strikes.",
    )


async def test_a_retry_after_slack_took_the_post_does_not_post_again(
    losing: LosingApi, store: Store
) -> None:
    """The answer is lost after Slack took the post: the retry finds it and posts nothing."""
    losing.taken_then_lost.add(1)
    slack = harness(losing, store)
    with pytest.raises(DeliveryError):
        await slack.service.perform(notice(), key="tk-1")
    await slack.service.perform(notice(), key="tk-1", retry=True)
    assert marks(losing, "C1") == [("tk-1", 1)]
    replies = losing.of("conversations.replies")
    assert len(replies) == 1
    assert replies[0]["channel"] == "C1" and replies[0]["ts"] == THREAD.thread
    assert replies[0]["include_all_metadata"] in ("1", "true")

    # And after a restart (nothing remembered in memory): still found, still not posted.
    again = harness(losing, store)
    await again.service.perform(notice(), key="tk-1", retry=True)
    assert marks(losing, "C1") == [("tk-1", 1)]
    assert len(losing.of("conversations.replies")) == 2


async def test_a_retry_after_slack_did_not_take_it_posts_once(
    losing: LosingApi, store: Store
) -> None:
    """Slack refused the first post: the retry looks, finds nothing, and posts it once."""
    losing.refused.add(1)
    slack = harness(losing, store)
    with pytest.raises(DeliveryError):
        await slack.service.perform(notice(), key="tk-2")
    assert in_channel(losing, "C1") == []
    await slack.service.perform(notice(), key="tk-2", retry=True)
    assert marks(losing, "C1") == [("tk-2", 1)]
    assert "Please keep it civil." in in_channel(losing, "C1")[0]["text"]
    assert lookups(losing) == ["conversations.replies"]


async def test_a_notice_cut_after_its_first_piece_posts_only_the_rest(
    losing: LosingApi, store: Store
) -> None:
    """A two-piece notice whose second post failed: the retry posts piece 2 only."""
    long = "\n\n".join(f"Paragraph {i}: " + " ".join(["word"] * 150) for i in range(10))
    expected = render.split(render.notice(long, kind="notice"))
    assert len(expected) == 2
    losing.refused.add(2)
    slack = harness(losing, store)
    with pytest.raises(DeliveryError):
        await slack.service.perform(notice(long), key="tk-3")
    assert marks(losing, "C1") == [("tk-3", 1)]
    await slack.service.perform(notice(long), key="tk-3", retry=True)
    assert marks(losing, "C1") == [("tk-3", 1), ("tk-3", 2)]
    assert [m["text"] for m in in_channel(losing, "C1")] == expected
    # Done: a later retry (a restart before it was marked done) posts nothing more.
    await harness(losing, store).service.perform(notice(long), key="tk-3", retry=True)
    assert len(in_channel(losing, "C1")) == 2


async def test_without_retry_nothing_is_looked_up(slack: Harness) -> None:
    """The common path: one chat.postMessage per piece, each marked, and no lookup."""
    service = slack.service
    await service.perform(notice(), key="tk-4")
    lock = Action(kind="lock", thread=THREAD, text=LOCKED + ".", user_id="U1")
    await service.perform(lock, key="tk-5")
    confirm = Action(kind="confirm_end", thread=THREAD, text="End?", user_id="U1")
    await service.perform(confirm, key="tk-6")
    await service.perform(Action(kind="case", thread=THREAD, case=7), key="tk-7", case=a_case())
    assert lookups(slack.api) == []
    assert marks(slack.api, "C1") == [("tk-4", 1), ("tk-5", 1), ("tk-6", 1)]
    assert marks(slack.api, MOD_LOG) == [("tk-7", 1)]
    assert slack.api.methods().count("chat.postMessage") == 4
    # The lock notice still carries its Appeal button; the case keeps its blocks.
    assert slack.posted()[1]["blocks"] and slack.cases()[0]["blocks"]
    assert slack.cases()[0]["metadata"]["event_payload"]["case"] == 7


async def test_a_failed_lookup_still_posts(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A lookup Slack refuses (or cannot answer) is logged, and the notice is posted anyway."""
    slack.api.fail("conversations.replies", "internal_error")
    slack.api.fail("conversations.history", "channel_not_found")
    with caplog.at_level(logging.WARNING, logger="adapters.slack.delivery"):
        await slack.service.perform(notice(), key="tk-8", retry=True)
        case = Action(kind="case", thread=THREAD, case=7)
        await slack.service.perform(case, key="tk-9", case=a_case(), retry=True)
    assert marks(slack.api, "C1") == [("tk-8", 1)]
    assert marks(slack.api, MOD_LOG) == [("tk-9", 1)]
    assert lookups(slack.api) == ["conversations.replies", "conversations.history"]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("tk-8" in w and "internal_error" in w for w in warned), warned
    assert any("tk-9" in w and "channel_not_found" in w for w in warned), warned


async def test_a_case_is_not_posted_twice_to_the_mod_log(losing: LosingApi, store: Store) -> None:
    """A case Slack took before the answer was lost is found in the mod log's history."""
    case_action = Action(kind="case", thread=THREAD, case=7)
    losing.taken_then_lost.add(1)
    slack = harness(losing, store)
    with pytest.raises(DeliveryError):
        await slack.service.perform(case_action, key="tk-10", case=a_case())
    permalinks = len(losing.of("chat.getPermalink"))
    await slack.service.perform(case_action, key="tk-10", case=a_case(), retry=True)
    await harness(losing, store).service.perform(
        case_action, key="tk-10", case=a_case(), retry=True
    )
    assert marks(losing, MOD_LOG) == [("tk-10", 1)]
    history = losing.of("conversations.history")
    assert len(history) == 2 and all(h["channel"] == MOD_LOG for h in history)
    assert all(h["include_all_metadata"] in ("1", "true") and h["limit"] for h in history)
    # Found before anything was rendered: no permalink fetched for a post that is not made.
    assert len(losing.of("chat.getPermalink")) == permalinks

    # Another case under another key in the same mod log is not mistaken for it.
    other = Action(kind="case", thread=THREAD, case=8)
    await slack.service.perform(other, key="tk-11", case=a_case(8), retry=True)
    assert marks(losing, MOD_LOG) == [("tk-10", 1), ("tk-11", 1)]


async def test_the_runtime_retrying_a_lost_lock_answer_posts_the_notice_once(
    losing: LosingApi, store: Store
) -> None:
    """Through the runtime: the lock notice's answer is lost once; its retry does not repeat it."""
    losing.lose_text = LOCKED
    slack = harness(losing, store)
    ts = await slack.mention("hi")
    for _ in range(4):
        await slack.say(PIPE_BOMB, thread_ts=ts)
    in_thread = [m["text"] for m in in_channel(losing, "C1") if m["thread_ts"] == ts]
    assert sum(LOCKED in t for t in in_thread) == 1, in_thread
    assert losing.of("conversations.replies")
    assert len(in_channel(losing, MOD_LOG)) == 1
    assert await store.owed_actions() == []
    threads = await store.threads(platform="slack", limit=5)
    assert len(threads) == 1 and threads[0].status == "locked"


class DroppingApi(FakeSlackApi):
    """Chosen calls (by method, 1-based count) are taken, then their connection is cut before
    the answer: the client sees the server disconnect, as when a proxy or Slack's edge drops it."""

    def __init__(self) -> None:
        super().__init__()
        self.drop: dict[str, set[int]] = {}
        self._counts: dict[str, int] = {}

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        response = await super()._handle(request)
        self._counts[method] = self._counts.get(method, 0) + 1
        if self._counts[method] in self.drop.get(method, set()) and request.transport:
            request.transport.close()
        return response


@pytest.fixture
async def dropping() -> AsyncIterator[DroppingApi]:
    """The dropping fake Web API, listening."""
    fake = DroppingApi()
    await fake.start()
    yield fake
    await fake.close()


async def test_a_post_whose_connection_dropped_is_not_sent_again_by_the_sdk(
    dropping: DroppingApi, store: Store
) -> None:
    """Slack took the post and the connection dropped: the SDK does not re-send it; the
    adapter's retry finds its mark and posts nothing more."""
    dropping.drop["chat.postMessage"] = {1}
    slack = harness(dropping, store)
    with pytest.raises(DeliveryError):
        await slack.service.perform(notice(), key="tk-20")
    assert len(dropping.of("chat.postMessage")) == 1  # not re-sent by the SDK's retry handler
    await slack.service.perform(notice(), key="tk-20", retry=True)
    assert marks(dropping, "C1") == [("tk-20", 1)]


async def test_a_read_or_a_reaction_whose_connection_dropped_is_sent_again(
    dropping: DroppingApi, store: Store
) -> None:
    """Calls that are safe to repeat keep the SDK's retry: the lock reaction still lands."""
    dropping.drop["reactions.add"] = {1}
    dropping.drop["conversations.replies"] = {1}
    slack = harness(dropping, store)
    lock = Action(kind="lock", thread=THREAD, text="This thread has been closed.")
    await slack.service.perform(lock, key="tk-21", retry=True)
    assert len(dropping.of("reactions.add")) == 2
    assert len(dropping.of("conversations.replies")) == 2
    assert marks(dropping, "C1") == [("tk-21", 1)]


async def test_a_case_far_back_in_a_busy_mod_log_is_still_found(
    losing: LosingApi, store: Store
) -> None:
    """The case's post is 450 top-level messages back: the lookup pages to it and posts nothing."""
    case_action = Action(kind="case", thread=THREAD, case=7)
    losing.taken_then_lost.add(1)
    slack = harness(losing, store)
    with pytest.raises(DeliveryError):
        await slack.service.perform(case_action, key="tk-30", case=a_case())
    for n in range(450):  # moderators and other bots talk in the mod log meanwhile
        ts = losing.next_ts()
        losing.timeline[ts] = {
            "ts": ts,
            "channel": MOD_LOG,
            "thread_ts": None,
            "text": f"chatter {n}",
            "blocks": None,
            "metadata": None,
        }
    await slack.service.perform(case_action, key="tk-30", case=a_case(), retry=True)
    assert [m for m in marks_or_none(losing, MOD_LOG) if m] == [("tk-30", 1)]
    assert len(losing.of("conversations.history")) == 3  # 200, 200, then the page holding it


def marks_or_none(api: FakeSlackApi, channel: str) -> list[tuple[str, int] | None]:
    """The (key, piece) of each message in `channel`, None for one without a mark."""
    return [
        (m["metadata"]["event_payload"]["key"], m["metadata"]["event_payload"]["piece"])
        if m["metadata"]
        else None
        for m in in_channel(api, channel)
    ]


def test_a_rate_limited_answer_carries_its_retry_after() -> None:
    """A Web API 429's Retry-After reaches the core's DeliveryError, so the outbox waits it out."""
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

    from adapters.slack.client import delivery_error, make_client

    response = AsyncSlackResponse(
        client=make_client("xoxb-x"),
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": "ratelimited"},
        headers={"Retry-After": "7"},
        status_code=429,
    )
    error = delivery_error(SlackApiError("ratelimited", response), what="chat.postMessage")
    assert error.retryable and error.retry_after == 7.0


class SlowApi(FakeSlackApi):
    """Takes chosen chat.postMessage calls (1-based) at once and answers them `delay` s later."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.slow: set[int] = set()
        self._posts = 0

    async def _handle(self, request: web.Request) -> web.Response:
        response = await super()._handle(request)
        if request.match_info["method"] == "chat.postMessage":
            self._posts += 1
            if self._posts in self.slow:
                await asyncio.sleep(self.delay)
        return response


async def test_a_multi_piece_notice_whose_first_post_timed_out_is_completed_once(
    store: Store,
) -> None:
    """Piece 1 is taken but its answer comes after the client's timeout: the retry finds piece 1
    by its mark and posts piece 2 only."""
    api = SlowApi(delay=1.5)
    await api.start()
    try:
        service = SlackService(
            settings=settings(),
            client=make_client("xoxb-test-token", base_url=api.base_url, timeout=1),
            signing_secret=SECRET,
        )
        long = "\n\n".join(f"Paragraph {i}: " + " ".join(["word"] * 150) for i in range(10))
        api.slow.add(1)
        with pytest.raises(DeliveryError, match="TimeoutError"):
            await service.perform(notice(long), key="tk-40")
        assert len(api.of("chat.postMessage")) == 1
        await service.perform(notice(long), key="tk-40", retry=True)
        assert marks(api, "C1") == [("tk-40", 1), ("tk-40", 2)]
    finally:
        await api.close()
