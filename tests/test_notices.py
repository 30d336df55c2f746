"""The fixed texts read as a user reads them: the words must say what the bot really does."""

from __future__ import annotations

import pytest

from bot import notices
from bot.config import PolicySettings, Settings
from bot.criteria import policy_text


def test_the_warning_states_the_rule_the_ladder_applies() -> None:
    """Another such request closes the thread whatever comes between; K ordinary ones lift it."""
    text = notices.warning("violent_crimes", clear_after=3)
    assert "If the next message is another one" not in text
    assert (
        "If you send another request like that in this thread, it will be closed and the "
        "moderators notified, even if other messages come in between." in text
    )
    assert "3 ordinary messages in a row take the warning away." in text
    assert "1 ordinary message in a row take" in notices.warning("hate", clear_after=1)


def test_the_published_criteria_say_the_same() -> None:
    """Rule 2 is the warned person's next such request, not the next message; rule 3 counts."""
    text = policy_text(Settings(policy=PolicySettings(benign_turns_to_clear_strike=1)))
    assert "If the warned person sends another such request in that thread" in text
    assert "If the next message is another one" not in text
    assert "1 ordinary message in a row clear one earlier request, and take a warning away." in text


@pytest.mark.parametrize(
    ("status", "strikes", "expected"),
    [
        ("open", 0, "This thread is open. No request has been redirected. 1 message so far."),
        (
            "open",
            1,
            "This thread is open. 1 request redirected so far; a warning comes with the 3rd. "
            "1 message so far.",
        ),
        (
            "open",
            2,
            "This thread is open. 2 requests redirected so far: the next one comes with a "
            "warning. 1 message so far.",
        ),
        (
            "warned",
            3,
            "This thread has had a warning: one more request like the redirected ones, from the "
            "person who was warned, closes it. 3 ordinary messages in a row take the warning away "
            "(0 so far). 1 message so far.",
        ),
        (
            "locked",
            4,
            "This thread is closed. You can start a fresh thread by mentioning me in the channel, "
            "or ask the moderators to reopen this one: APPEAL. 1 message so far.",
        ),
        ("ended", 0, "This thread was ended at the user's request. 1 message so far."),
    ],
)
def test_status_advice_matches_the_state(status: str, strikes: int, expected: str) -> None:
    """`/status` never says "a warning comes at 3" in a warned or closed thread; plurals agree."""
    text = notices.thread_status(status=status, strikes=strikes, redirects_before_lock=3, turns=1)
    assert notices.for_platform(text, policy_command="P", appeal_command="APPEAL") == expected


def test_the_lock_notice_and_the_reminder_say_how_to_appeal() -> None:
    """Each platform's own way of appealing is filled in; no placeholder is left."""
    notice = notices.lock_notice(category="hate", redirects=3)
    reminder = notices.thread_closed("locked")
    for text in (notice, reminder):
        shown = notices.for_platform(
            text, policy_command="`/policy`", appeal_command="use `/appeal`"
        )
        assert "use `/appeal`" in shown and "{" not in shown
    assert "after 3 requests for hateful content" in notice
    assert "appeal" not in notices.thread_closed("ended")  # the user ended it themselves


def test_the_supportive_texts_point_up_to_the_resources() -> None:
    """The resources are posted before the reply, so the words say above, never below."""
    for text in (
        notices.OFFLINE_SUPPORT,
        notices.SUPPORT_FALLBACK,
        notices.OFFLINE_SUPPORT_OTHERS,
        notices.SUPPORT_FALLBACK_OTHERS,
    ):
        assert "posted above in this thread" in text and "below" not in text
    for text in (notices.OFFLINE_SUPPORT_OTHERS, notices.SUPPORT_FALLBACK_OTHERS):
        assert "sorry you're going through this" not in text
        assert "call your local emergency number now" in text
    assert notices.resources_pointer("01 Jan 12:00").startswith(
        "The crisis resources I posted earlier in this thread (at 01 Jan 12:00 UTC) are still "
        "there: scroll up to find them."
    )
