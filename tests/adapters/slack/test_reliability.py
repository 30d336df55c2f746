"""Hostile input on Slack: ids and names UTF-8 cannot hold, and messages with nothing to read."""

from __future__ import annotations

from bot import notices
from tests.adapters.slack.conftest import Harness
from tests.fakes.slack_api import TEAM


async def test_a_user_id_and_name_with_lone_surrogates_are_stored_repaired_and_answered(
    slack: Harness,
) -> None:
    """Slack JSON may carry "\\udc00": the user is answered, and the store holds U+FFFD."""
    ts = await slack.mention("hello there", user="U\udc00X")
    (start,) = slack.api.of("chat.startStream")
    assert start["thread_ts"] == ts and "running offline" in start["markdown_text"]
    (turn, *_) = await slack.store.recent_turns(f"slack:{TEAM}:C1:{ts}", limit=5)
    assert turn.author_id == "U\ufffdX"
    assert turn.author_name == "name-U\ufffdX"  # users.info was asked for the repaired id


async def test_a_file_shared_without_text_is_answered_with_what_the_bot_can_read(
    slack: Harness,
) -> None:
    """A file_share with no text in a hosted thread: the fixed notice, no reply stream."""
    ts = await slack.mention("hi")
    response = await slack.say("", thread_ts=ts, subtype="file_share", files=[{"id": "F1"}])
    assert response.status == 200
    assert len(slack.api.of("chat.startStream")) == 1  # the opening's only
    (notice,) = [p for p in slack.posted() if p.get("thread_ts") == ts]
    assert notices.NOTHING_TO_READ.split(",")[0] in notice["text"]
