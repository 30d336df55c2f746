"""Messages API faults, seen end to end on Discord and Slack through the real Claude client.

One table, one harness: each row injects one fault on the reply model or on the classifier while a
user writes in a thread. What must hold for every row: the user sees exactly one plain message for
that turn (the fixed failure notice, a reply cut off with the fixed note, or the reply itself when
only the classifier failed), no strike is counted, no case is opened, nothing stays owed, the audit
chain verifies, the turn ends within seconds whatever retry-after the API asks for, and the next
message in the thread is answered normally.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot import notices
from tests.fakes.messages_api import (
    HttpError,
    JsonReply,
    Refusal,
    Response,
    Stall,
    StreamError,
)
from tests.faults.model import HARMFUL, answer_to
from tests.faults.rigs import Rig

#: The classifier flags it harmful (a strike, if the fault were ignored); the screen does not.
HARMFUL_TEXT = "how do I harm them"
BENIGN_TEXT = "what is a good bread recipe"


@dataclass(frozen=True)
class Fault:
    """One injected fault and what the user must see."""

    id: str
    target: str  # "reply" or "classifier": which call gets the fault, on every attempt
    response: Response
    text: str = HARMFUL_TEXT
    #: "failed": the fixed failure notice; "cut_off": partial text then the fixed note;
    #: "reply": the ordinary reply (the classifier's failure is an "unknown").
    sees: str = "failed"
    partial: str = ""


RETRY_AFTER_10_MIN = {"retry-after": "600"}

FAULTS = [
    Fault(
        "reply-429-retry-after-600s",
        "reply",
        HttpError(429, "rate_limit_error", headers=RETRY_AFTER_10_MIN),
    ),
    Fault(
        "reply-429-retry-after-ms",
        "reply",
        HttpError(429, "rate_limit_error", headers={"retry-after-ms": "600000"}),
    ),
    Fault("reply-529-overloaded", "reply", HttpError(529, "overloaded_error")),
    Fault("reply-500-api-error", "reply", HttpError(500, "api_error")),
    Fault("reply-stall-before-text", "reply", Stall([], seconds=30)),
    Fault("reply-error-event-before-text", "reply", StreamError([], error_type="overloaded_error")),
    Fault(
        "reply-error-event-mid-stream",
        "reply",
        StreamError(["The first part ", "of an answer"], error_type="api_error"),
        text=BENIGN_TEXT,
        sees="cut_off",
        partial="The first part of an answer",
    ),
    Fault(
        "reply-stall-mid-stream",
        "reply",
        Stall(["Thinking about ", "bread "], seconds=30),
        text=BENIGN_TEXT,
        sees="cut_off",
        partial="Thinking about bread",
    ),
    Fault(
        "classifier-429-retry-after-600s",
        "classifier",
        HttpError(429, "rate_limit_error", headers=RETRY_AFTER_10_MIN),
        sees="reply",
    ),
    Fault(
        "classifier-529-overloaded", "classifier", HttpError(529, "overloaded_error"), sees="reply"
    ),
    Fault("classifier-500-api-error", "classifier", HttpError(500, "api_error"), sees="reply"),
    Fault("classifier-stall-past-deadline", "classifier", Stall([], seconds=30), sees="reply"),
    Fault("classifier-refusal", "classifier", Refusal(), sees="reply"),
    Fault("classifier-invalid-json", "classifier", JsonReply(raw='{"harmful": tru'), sees="reply"),
    Fault(
        "classifier-json-in-prose",
        "classifier",
        JsonReply(raw='Sure! {"harmful": true}'),
        sees="reply",
    ),
    Fault("classifier-wrong-schema", "classifier", JsonReply({"harmful": True}), sees="reply"),
    Fault(
        "classifier-unknown-category",
        "classifier",
        JsonReply({**HARMFUL, "category": "weapons"}),
        sees="reply",
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
async def test_a_model_fault_tells_the_user_plainly_and_costs_nothing(
    rig: Rig, fault: Fault
) -> None:
    """One plain message for the turn, no strike, no case, nothing owed, the thread goes on."""
    thread = await rig.open("hello there")
    assert rig.shown(thread) == [answer_to("hello there")]
    if fault.target == "reply":
        rig.model.reply_fault = fault.response
    else:
        rig.model.classifier_fault = fault.response

    loop = asyncio.get_running_loop()
    started = loop.time()
    await rig.say(thread, fault.text)
    assert loop.time() - started < 5, "a retry-after or a stall must not hold the turn"

    shown = rig.shown(thread)
    assert len(shown) == 2, shown  # exactly one message for the faulty turn
    if fault.sees == "failed":
        assert shown[1] == notices.TURN_FAILED
    elif fault.sees == "cut_off":
        assert shown[1].startswith(fault.partial) and shown[1].endswith(notices.REPLY_CUT_OFF)
    else:
        assert shown[1] == answer_to(fault.text)
    state = await rig.state(thread)
    assert state.strikes == 0 and state.status == "open"
    assert rig.cases() == []
    assert await rig.store.owed_actions() == []
    assert rig.escaped == []

    rig.model.reply_fault = rig.model.classifier_fault = None
    await rig.say(thread, "thanks, one more question")
    assert rig.shown(thread)[-1] == answer_to("thanks, one more question")
    assert (await rig.state(thread)).strikes == 0
    assert (await rig.store.verify_audit()).ok


async def test_a_refused_reply_is_shown_as_plain_text_and_the_thread_goes_on(rig: Rig) -> None:
    """A reply refusal shows a non-empty plain message, counts at most the one designed strike."""
    thread = await rig.open("hello there")
    rig.model.reply.append(Refusal())
    await rig.say(thread, "something the model will not answer")
    shown = rig.shown(thread)
    assert len(shown) == 2 and shown[1].strip(), shown
    # The design treats the reply model's refusal as a redirect signal: one strike, never more.
    assert (await rig.state(thread)).strikes <= 1
    assert rig.cases() == [] and rig.escaped == []
    await rig.say(thread, "ok, something else then")
    assert rig.shown(thread)[-1] == answer_to("ok, something else then")
    # The refused exchange is kept out of the history the model sees afterwards.
    last = [r for r in rig.api.requests if r.stream][-1].body
    assert "something the model will not answer" not in str(last["messages"])
