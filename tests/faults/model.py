"""A scripted Claude for the fault and hostile suites: what the local Messages API answers.

The classifier and the reply model call the same fake concurrently, so responses are chosen per
kind of request (a classifier request carries `output_config`) rather than from one queue. By
default the classifier flags any turn containing "harm" as harmful, and the reply echoes the
user's text, so a test can tell which reply answers which message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.messages_api import FakeMessagesAPI, JsonReply, Response
from tests.fakes.messages_api import Reply as ApiReply

BENIGN: dict[str, Any] = {
    "harmful": False,
    "abusive": False,
    "category": "none",
    "risk": "none",
    "end_request": False,
    "rationale": "ordinary message",
}
HARMFUL: dict[str, Any] = {
    **BENIGN,
    "harmful": True,
    "category": "violent_crimes",
    "rationale": "asks for help to hurt someone",
}


def newest_text(body: dict[str, Any]) -> str:
    """The user's own text in the newest turn of a request (the block after its header)."""
    blocks = body["messages"][-1]["content"]
    texts = [b["text"] for b in blocks if b.get("type") == "text"]
    if "output_config" in body:
        return str(texts[-1])
    for i in range(len(texts) - 1, -1, -1):
        if texts[i].startswith("[Message from user"):
            return str(texts[i + 1])
    return str(texts[-1])


def answer_to(text: str) -> str:
    """The reply the scripted model gives to a message (it names the message)."""
    return f"Here is my answer about {text}."


def default_classify(text: str) -> dict[str, Any]:
    """Harmful when the text mentions harm, else benign."""
    return HARMFUL if "harm" in text.lower() else BENIGN


@dataclass
class ModelScript:
    """Chooses the fake's answer for each request; install with `install(fake)`."""

    #: Answers for the next classifier calls, in order, before the defaults.
    classifier: list[Response] = field(default_factory=list)
    #: Answers for the next reply calls, in order, before the defaults.
    reply: list[Response] = field(default_factory=list)
    #: While set, every classifier call gets this.
    classifier_fault: Response | None = None
    #: While set, every reply call gets this.
    reply_fault: Response | None = None
    classify: Callable[[str], dict[str, Any]] = default_classify
    #: The reply's text for a message (by default it names the message).
    answer: Callable[[str], str] = answer_to
    #: The user texts of the classifier calls, in the order they reached the fake.
    assessed: list[str] = field(default_factory=list)

    def install(self, fake: FakeMessagesAPI) -> ModelScript:
        """Route every request of `fake` through this script."""
        fake.route(self)
        return self

    def __call__(self, body: dict[str, Any]) -> Response:
        text = newest_text(body)
        if "output_config" in body:
            self.assessed.append(text)
            if self.classifier_fault is not None:
                return self.classifier_fault
            if self.classifier:
                return self.classifier.pop(0)
            return JsonReply(self.classify(text))
        if self.reply_fault is not None:
            return self.reply_fault
        if self.reply:
            return self.reply.pop(0)
        answer = self.answer(text)
        words = answer.split(" ")
        chunks = [w + " " for w in words[:-1]] + [words[-1]]
        return ApiReply(answer, chunks=chunks)
