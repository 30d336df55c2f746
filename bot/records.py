"""Platform-neutral records that cross every boundary of the core.

Adapters translate platform payloads into these and carry out the `Action`s the core emits; nothing
platform-shaped travels past an adapter's edge. All are frozen so a decision, once made, cannot be
changed by whoever executes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

#: A UTF-16 surrogate code point: in a Python string, always a lone one (see `encodable`).
_SURROGATE = re.compile("[\ud800-\udfff]")

Risk = Literal["none", "self", "others"]
Category = Literal[
    "none",
    "violent_crimes",
    "nonviolent_crimes",
    "sex_crimes",
    "child_sexual_exploitation",
    "indiscriminate_weapons",
    "hate",
    "harassment",
    "self_harm",
    "sexual_content",
    "privacy",
    "specialized_advice",
    "other",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
RISKS: tuple[str, ...] = get_args(Risk)

#: Plain words for each category, used in notices and the mod log.
CATEGORY_WORDS: dict[str, str] = {
    "none": "no category",
    "violent_crimes": "help with violent crime",
    "nonviolent_crimes": "help with non-violent crime",
    "sex_crimes": "sexual crimes",
    "child_sexual_exploitation": "sexual content involving minors",
    "indiscriminate_weapons": "weapons capable of mass casualties",
    "hate": "hateful content",
    "harassment": "abuse or harassment",
    "self_harm": "help with self-harm",
    "sexual_content": "sexual content",
    "privacy": "violating someone's privacy",
    "specialized_advice": "dangerous specialised advice",
    "other": "harmful requests",
}

ThreadStatus = Literal["open", "warned", "locked", "ended"]

ActionKind = Literal[
    "reply",  # the assistant's held reply, shown as is
    "redirect",  # the assistant's reply, which redirects a harmful request (a strike)
    "warn",  # the fixed warning that the next such message ends the thread
    "lock",  # the lock notice, then the platform closes the thread
    "end",  # the end-at-your-request notice, then the platform closes the thread
    "crisis_resources",  # the reviewed crisis resources
    "confirm_end",  # ask the thread's user to confirm ending it
    "notice",  # any other fixed notice from bot.notices
    "unlock",  # reopen a thread a moderator unlocked
    "case",  # post a case to the moderators' log
    "case_update",  # show a changed case in place (its state, or one more grouped signal)
    "ignored",  # nothing is done (the thread is closed); recorded for replay and audit
    "private_notice",  # fixed text for one user only (`user_id`): a DM or an ephemeral message
]
ACTION_KINDS: tuple[str, ...] = get_args(ActionKind)

CaseKind = Literal[
    "lock",
    "mod_lock",
    "end",
    "crisis",
    "harmful_in_crisis",
    "repeat_locks",
    "unlock",
    "uphold",
    "note",
    "pardon",
    "delivery_failure",
    "appeal",
    "branch",
]
CASE_KINDS: tuple[str, ...] = get_args(CaseKind)

#: Case kinds that wait in the review queue until a moderator resolves them; every other kind is a
#: record of something done (a note, an unlock) and is stored resolved from the start.
REVIEW_KINDS: frozenset[str] = frozenset(
    {"appeal", "lock", "crisis", "harmful_in_crisis", "repeat_locks", "delivery_failure"}
)
#: Case kinds that are one person's priority: they ping the moderators and group per thread.
PRIORITY_KINDS: tuple[CaseKind, ...] = ("crisis", "harmful_in_crisis")

#: A case's place in the queue: waiting, taken up by a moderator, or done with.
CaseStatus = Literal["open", "acknowledged", "resolved"]
CASE_STATUSES: tuple[str, ...] = get_args(CaseStatus)


def initial_status(kind: str) -> CaseStatus:
    """A new case's status: open when it waits for a moderator, resolved when it only records."""
    return "open" if kind in REVIEW_KINDS else "resolved"


ModCommandKind = Literal["unlock", "uphold", "note", "pardon", "lock", "acknowledge", "resolve"]
MOD_COMMANDS: tuple[str, ...] = get_args(ModCommandKind)


def encodable(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, so it can be encoded as UTF-8.

    Platform JSON may carry one (`"\\udc00"` is valid JSON, and Discord display names and Slack
    profiles have held them); UTF-8 cannot encode it, so a name, id or thread key holding one would
    fail every store write and every API call. Adapters clean what they read from a payload
    with this before building a record; clean text comes back unchanged (and uncopied).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


@dataclass(frozen=True, kw_only=True, slots=True)
class ThreadRef:
    """Where a thread lives: enough for any adapter to find it again after a restart."""

    platform: str
    workspace: str
    channel: str
    thread: str

    @property
    def key(self) -> str:
        """A stable identifier for storage (Slack thread timestamps are only unique per channel)."""
        return f"{self.platform}:{self.workspace}:{self.channel}:{self.thread}"

    @classmethod
    def from_key(cls, key: str) -> ThreadRef:
        """Inverse of `key`."""
        platform, workspace, channel, thread = key.split(":", 3)
        return cls(platform=platform, workspace=workspace, channel=channel, thread=thread)


@dataclass(frozen=True, kw_only=True, slots=True)
class Author:
    """Who wrote a message, as far as the platform told us."""

    id: str
    name: str
    is_moderator: bool = False
    is_bot: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Incoming:
    """One user message in a thread the bot hosts (or the mention that opens one)."""

    event_id: str
    thread: ThreadRef
    author: Author
    text: str
    at: datetime
    opens_thread: bool = False
    #: The crisis regions of the server or workspace it came from, when its platform config
    #: names them (empty: [crisis].regions).
    crisis_regions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ModCommand:
    """A moderator's action on a thread, a case or a user.

    `origin` is where the command was given (answers and refusals go there, and it names the
    platform and workspace); `thread` is the thread it acts on, if any.
    """

    event_id: str
    moderator: Author
    command: ModCommandKind
    at: datetime
    origin: ThreadRef
    thread: ThreadRef | None = None
    case: int | None = None
    user_id: str | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class EndConfirmation:
    """The thread's user answered the end-of-thread question with a button."""

    event_id: str
    thread: ThreadRef
    author: Author
    confirmed: bool
    at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Appeal:
    """A user asks the moderators to review the closing of their thread, in a few words."""

    event_id: str
    thread: ThreadRef
    author: Author
    statement: str
    at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Branch:
    """The user whose thread was locked continues it from before the first redirected request.

    `thread` is the locked thread; `new_thread` is where the adapter opened the continuation.
    """

    event_id: str
    thread: ThreadRef
    author: Author
    at: datetime
    new_thread: ThreadRef
    #: How the notice names the locked thread (a Discord channel mention, a console name).
    label: str = ""


Event = Incoming | ModCommand | EndConfirmation | Appeal | Branch


@dataclass(frozen=True, kw_only=True, slots=True)
class Assessment:
    """The classifier's reading of one user turn (the design's JSON schema)."""

    harmful: bool = False
    abusive: bool = False
    category: Category = "none"
    risk: Risk = "none"
    end_request: bool = False
    rationale: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Signals:
    """Everything known about one user turn when the policy decides.

    `assessment` is None when the classifier is off, failed, refused or missed its deadline:
    "unknown", which never costs a strike.
    """

    screen_risk: Risk = "none"
    screen_harmful: bool = False
    screen_abusive: bool = False
    screen_category: Category = "none"
    screen_end_request: bool = False
    screen_affirmative: bool = False
    screen_negative: bool = False
    screen_rules: tuple[str, ...] = ()
    #: The local scorer's calibrated probabilities of risk to self and to others.
    screen_score_self: float = 0.0
    screen_score_others: float = 0.0
    #: The message's language as an ISO 639-1 code ("" when unclear), for the crisis resources.
    language: str = ""
    assessment: Assessment | None = None
    reply_refused: bool = False
    end_conversation_tool: bool = False

    @property
    def risk(self) -> Risk:
        """Risk from either source; the screen is trusted even when the classifier disagrees."""
        if self.screen_risk != "none":
            return self.screen_risk
        return self.assessment.risk if self.assessment else "none"

    @property
    def harmful(self) -> bool:
        """A harmful or abusive turn by any signal that may cost a strike."""
        a = self.assessment
        return (
            self.screen_harmful
            or self.screen_abusive
            or self.reply_refused
            or (a is not None and (a.harmful or a.abusive))
        )

    @property
    def category(self) -> Category:
        """The most specific category any signal gave."""
        a = self.assessment
        if a is not None and a.category != "none":
            return a.category
        if self.screen_category != "none":
            return self.screen_category
        if self.harmful:
            return "harassment" if (self.screen_abusive or (a and a.abusive)) else "other"
        return "none"

    @property
    def end_request(self) -> bool:
        """The user asked to end the thread (by either signal)."""
        a = self.assessment
        return self.screen_end_request or (a is not None and a.end_request)


@dataclass(frozen=True, kw_only=True, slots=True)
class ThreadState:
    """What the policy knows about one thread. Lives in the store; the policy returns a new one."""

    ref: ThreadRef
    owner: str
    opened_at: datetime
    status: ThreadStatus = "open"
    strikes: int = 0
    benign_streak: int = 0
    turns: int = 0
    last_risk_at: datetime | None = None
    resources_posted_at: datetime | None = None
    pending_end_by: str | None = None
    first_strike_turn: int | None = None
    closed_category: Category = "none"
    closed_at: datetime | None = None
    #: The user has been told that the oldest turns no longer fit the model's history.
    history_trimmed: bool = False
    #: The first stored turn the model still reads (moved forward in steps; see prompts.py).
    history_from: int = 0
    #: Who has been warned in this thread since it was last below the warning.
    warned_users: tuple[str, ...] = ()
    #: The moderator who closed the thread ("" when the bot closed it, or it is open).
    closed_by: str = ""
    #: The kind of the last risk signal (self or others), for the crisis window it opened.
    last_risk: Risk = "none"


@dataclass(frozen=True, kw_only=True, slots=True)
class UserHistory:
    """What the policy needs to know about the author across threads."""

    recent_locks: int = 0  # locks of this user's threads inside the repeat window, since any pardon


@dataclass(frozen=True, kw_only=True, slots=True)
class Action:
    """Something the core owes a platform: carried out by an adapter, recorded in the outbox.

    `text` is fixed, reviewed text from `bot.notices` or the crisis table. The assistant's reply is
    never in here: the runtime streams it when it executes a reply, redirect or warn action.
    """

    kind: ActionKind
    thread: ThreadRef
    text: str = ""
    category: Category = "none"
    case: int | None = None
    priority: bool = False
    user_id: str | None = None
    #: Index into the decision's cases, resolved to a number when the decision is committed.
    case_ref: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseDraft:
    """A case the policy wants opened; the store numbers it when the decision is committed."""

    kind: CaseKind
    workspace: str
    user_id: str
    actor: str
    thread: ThreadRef | None = None
    category: Category = "none"
    priority: bool = False
    strikes: int = 0
    summary: str = ""
    excerpts: tuple[str, ...] = ()
    refers_to: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Case:
    """A numbered, stored case in the moderators' log."""

    number: int
    kind: CaseKind
    workspace: str
    user_id: str
    actor: str
    created_at: datetime
    thread: ThreadRef | None = None
    category: Category = "none"
    priority: bool = False
    strikes: int = 0
    summary: str = ""
    excerpts: tuple[str, ...] = ()
    refers_to: int | None = None
    #: Where the case is in the queue, who put it there, why and when (see `CaseUpdate`).
    status: CaseStatus = "open"
    status_by: str = ""
    status_reason: str = ""
    status_at: datetime | None = None
    #: Signals grouped into this case (a crisis and its follow-ups in one thread), the time of the
    #: latest, and when the moderators were last pinged about it.
    signals: int = 1
    updated_at: datetime | None = None
    pinged_at: datetime | None = None
    #: Where the platform shows the case (a Discord "channel/message" or a Slack "channel/ts"), so
    #: a change is shown by editing it in place; "" until it is posted.
    post: str = ""

    @property
    def waiting(self) -> bool:
        """In the review queue: a kind that needs a moderator, not resolved yet."""
        return self.kind in REVIEW_KINDS and self.status != "resolved"


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseUpdate:
    """A change to a stored case, committed with the decision that makes it and audited.

    `status` moves the case (open, acknowledged, resolved) with who (`actor`) and why (`reason`);
    `signal` groups one more signal into it: the count goes up, `excerpts` replace the case's
    (the first and the latest) and `summary` replaces its summary; `pinged` records that the
    moderators were alerted about it now.
    """

    workspace: str
    number: int
    actor: str
    status: CaseStatus | None = None
    reason: str = ""
    signal: bool = False
    excerpts: tuple[str, ...] = ()
    summary: str = ""
    pinged: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """What the policy decided for one event: the new state, what is owed, the cases to open.

    `verdict` names the rung of the ladder (for replay, audit and stats); `notes` are facts for
    the audit log that change nothing (an `end_conversation` call the ladder did not honour).
    """

    verdict: str
    actions: tuple[Action, ...] = ()
    cases: tuple[CaseDraft, ...] = ()
    state: ThreadState | None = None
    strike: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: Changes to cases already stored (a moderator resolving one, a signal grouped into one).
    updates: tuple[CaseUpdate, ...] = ()
