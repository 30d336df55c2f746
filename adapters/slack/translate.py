"""Slack payloads into the core's records: pure functions, no I/O, no SDK objects.

Everything Slack-shaped stops here. The service hands these functions the parsed request bodies
bolt gives it and gets back `bot.records` events (or None for what is not a turn), so the rules
"which Slack message is a turn" and "which thread does it belong to" are tested without a network.

A Slack thread is addressed by its parent message: `ThreadRef(workspace=team id, channel=channel
id, thread=parent ts)`. A mention at the top of a channel opens a thread on that very message, so
the mention's own `ts` becomes the thread id.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlparse

from bot.records import (
    Appeal,
    Author,
    Branch,
    EndConfirmation,
    Incoming,
    ModCommand,
    ModCommandKind,
    ThreadRef,
    encodable,
)

log = logging.getLogger(__name__)

PLATFORM = "slack"

#: Message subtypes that are still a person writing in the thread. Everything else (edits,
#: deletions, joins, bot messages, channel topic changes, ...) is not a turn.
TURN_SUBTYPES = frozenset({"", "file_share", "thread_broadcast"})

_TS = re.compile(r"[0-9]{9,11}\.[0-9]{6}")
#: A case number as the bot writes one: ASCII digits, short enough to be a number of cases.
_NUMBER = re.compile(r"[0-9]{1,12}")
_PERMALINK_P = re.compile(
    r"/archives/(?P<channel>[A-Z0-9]+)/p(?P<secs>[0-9]{9,11})(?P<micros>[0-9]{6})"
)

EventKind = Literal["app_mention", "message"]


@dataclass(frozen=True, kw_only=True, slots=True)
class SlackMessage:
    """The parts of a Slack message event the adapter needs, already validated."""

    event_id: str
    kind: EventKind
    team: str
    channel: str
    user: str
    ts: str
    thread_ts: str | None
    text: str
    mentions_bot: bool
    #: A direct message to the app (`channel_type` "im"): its own chat, or the assistant pane's.
    in_dm: bool = False

    @property
    def thread(self) -> ThreadRef:
        """The thread this message belongs to, or the one it opens (top-level mention)."""
        return thread_ref(team=self.team, channel=self.channel, ts=self.thread_ts or self.ts)

    @property
    def dedupe_key(self) -> str:
        """One Slack message arrives as `app_mention` and as `message`: both share this key."""
        return f"{self.channel}:{self.ts}"


def thread_ref(*, team: str, channel: str, ts: str) -> ThreadRef:
    """The core's address of the Slack thread whose parent message is `ts` (parts cleaned, as the
    key is stored: see `encodable`)."""
    return ThreadRef(
        platform=PLATFORM,
        workspace=encodable(team),
        channel=encodable(channel),
        thread=encodable(ts),
    )


def at_ts(ts: str) -> datetime:
    """A Slack timestamp ("1700000000.123456") as an aware datetime."""
    return datetime.fromtimestamp(float(ts), tz=UTC)


def clean_text(text: str, *, bot_user_id: str | None) -> str:
    """The user's words as the core should read them.

    Slack sends `&`, `<` and `>` HTML-escaped and mentions as `<@U123>`: the bot's own mention is
    dropped (it only addresses the bot) and the entities decoded, so the local screen reads what
    the person typed. Other mentions stay as they are and are escaped again on any echo.
    """
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return html.unescape(" ".join(text.split()))


def parse_message(
    body: Mapping[str, Any], *, bot_user_id: str | None, bot_id: str | None = None
) -> SlackMessage | None:
    """An `app_mention` or `message` event callback as a SlackMessage, or None if not a turn.

    Not turns: messages from any bot (ours or another app), edits (`message_changed`), deletions,
    joins and every other subtype except plain messages, file shares and broadcasts; messages
    without a user. An event not in Slack's form (a field of the wrong type, a timestamp that is
    not one) is logged once, here, and dropped.
    """
    event = body.get("event")
    if not isinstance(event, Mapping):
        return None
    kind = event.get("type")
    if kind not in ("app_mention", "message"):
        return None
    if str(event.get("subtype") or "") not in TURN_SUBTYPES:
        return None
    if event.get("edited"):
        return None  # Slack re-sends an edited mention as a new event: it is not a new turn
    user = event.get("user")
    if event.get("bot_id") or event.get("bot_profile"):
        return None
    if user is None:
        return None  # a message without a person (an integration's post)
    if user == bot_user_id or (bot_id and event.get("bot_id") == bot_id):
        return None
    channel, ts = event.get("channel"), event.get("ts")
    team = body.get("team_id") or event.get("team") or ""
    thread_ts = event.get("thread_ts")
    wrong = [
        name
        for name, value in (("user", user), ("channel", channel), ("team", team))
        if not isinstance(value, str) or (not value and name != "team")
    ]
    if not isinstance(ts, str) or not _TS.fullmatch(ts):
        wrong.append("ts")
    if thread_ts is not None and (not isinstance(thread_ts, str) or not _TS.fullmatch(thread_ts)):
        wrong.append("thread_ts")
    if wrong:
        # Not Slack's shape: said once, here, and dropped (the delivery is still acked).
        log.warning(
            "dropping a malformed Slack %s event %r: %s not in Slack's form",
            kind,
            str(body.get("event_id"))[:40],
            ", ".join(wrong),
        )
        return None
    assert isinstance(user, str) and isinstance(channel, str) and isinstance(team, str)
    assert isinstance(ts, str)
    raw = event.get("text")
    raw = encodable(raw) if isinstance(raw, str) else ""
    # Ids and timestamps make the thread's key: a lone surrogate (valid JSON, not UTF-8) in one
    # would fail every store write, so each is cleaned the same way every time (`encodable`).
    channel, ts, team, user = encodable(channel), encodable(ts), encodable(team), encodable(user)
    return SlackMessage(
        # The message, not the delivery, is the event: its app_mention and message twins, a
        # redelivery and a re-send after a restart all dedupe on it in the store.
        event_id=f"slack:{channel}:{ts}",
        kind=kind,
        team=team,
        channel=channel,
        user=user,
        ts=ts,
        thread_ts=thread_ts if thread_ts != ts else None,
        text=clean_text(raw, bot_user_id=bot_user_id),
        mentions_bot=bool(bot_user_id) and f"<@{bot_user_id}" in raw,
        in_dm=event.get("channel_type") == "im",
    )


def incoming(
    msg: SlackMessage, *, hosted: bool, author: Author, crisis_regions: tuple[str, ...] = ()
) -> Incoming | None:
    """The turn a Slack message makes, given whether its thread is hosted; None if none.

    - `app_mention` at the top of a channel opens a thread on that message.
    - `app_mention` inside a thread is a turn there; if the bot does not host that thread yet, the
      mention makes it start hosting it (someone asked for it there).
    - `message` inside a hosted thread is a turn without a mention. A `message` that mentions the
      bot is left to its `app_mention` twin, so one message is never handled twice.

    - In a direct message to the app (the assistant pane, or the app's Messages tab) every message
      is a turn, with or without a mention: a top-level one opens a thread on itself, and one in a
      thread the bot does not host yet (a new chat in the pane) starts hosting that thread.

    `crisis_regions` are the workspace's own (`slack.crisis_regions`), carried to the policy.
    """
    if msg.in_dm or msg.kind == "app_mention":
        opens = not hosted
    elif msg.thread_ts is None or not hosted or msg.mentions_bot:
        return None
    else:
        opens = False
    return Incoming(
        event_id=msg.event_id,
        thread=msg.thread,
        author=author,
        text=msg.text,
        at=at_ts(msg.ts),
        opens_thread=opens,
        crisis_regions=crisis_regions,
    )


# --- interactivity -------------------------------------------------------------------------------

#: action_id / callback_id of every interactive element the bot posts.
ACTION_UNLOCK = "threadkeeper_unlock"
ACTION_UPHOLD = "threadkeeper_uphold"
ACTION_NOTE = "threadkeeper_note"
ACTION_ACK = "threadkeeper_ack"
ACTION_RESOLVE = "threadkeeper_resolve"
ACTION_CLOSE = "threadkeeper_close"
ACTION_PARDON = "threadkeeper_pardon"
ACTION_END_YES = "threadkeeper_end_yes"
ACTION_END_NO = "threadkeeper_end_no"
ACTION_APPEAL = "threadkeeper_appeal"
#: action_id of the lock notice's Continue from before button (its value is the Appeal button's).
ACTION_BRANCH = "threadkeeper_branch"
VIEW_NOTE = "threadkeeper_note_modal"
VIEW_APPEAL = "threadkeeper_appeal_modal"
#: The modal behind a deciding button (Unlock, Uphold, Resolve, Close thread, Pardon): its reason.
VIEW_DECIDE = "threadkeeper_decide_modal"
#: block_id and action_id of the decide modal's one input.
REASON_INPUT = "reason"
#: The longest reason passed on (the core keeps 1,000 characters).
REASON_LIMIT = 1000
#: block_id and action_id of the appeal modal's one input.
APPEAL_INPUT = "statement"
#: The longest statement the modal and the slash command pass on (the core keeps 500 too).
APPEAL_LIMIT = 500

MOD_ACTIONS: dict[str, ModCommandKind] = {
    ACTION_UNLOCK: "unlock",
    ACTION_UPHOLD: "uphold",
    ACTION_NOTE: "note",
    ACTION_ACK: "acknowledge",
    ACTION_RESOLVE: "resolve",
    ACTION_CLOSE: "lock",
    ACTION_PARDON: "pardon",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseButton:
    """What a mod-log button carries: the case and the thread it is about (the slash command's
    unlock names a thread and no case)."""

    case: int | None
    thread: ThreadRef | None


def case_button_value(*, case: int, thread: ThreadRef | None) -> str:
    """The `value` of a mod-log button (Slack allows 2,000 characters; this is far less)."""
    return f"{case}|{thread.key if thread else ''}"


def parse_case_button(value: str) -> CaseButton | None:
    """Inverse of `case_button_value`; None for a value this bot did not write."""
    number, _, key = value.partition("|")
    if not _NUMBER.fullmatch(number):
        return None
    try:
        thread = ThreadRef.from_key(key) if key else None
    except ValueError:
        return None
    return CaseButton(case=int(number), thread=thread)


def end_button_value(*, user_id: str, thread: ThreadRef) -> str:
    """The `value` of a Yes/No button: who may answer, and for which thread."""
    return f"{user_id}|{thread.key}"


def parse_end_button(value: str) -> tuple[str, ThreadRef] | None:
    """Inverse of `end_button_value`."""
    user, _, key = value.partition("|")
    try:
        return user, ThreadRef.from_key(key)
    except ValueError:
        return None


def appeal_button_value(*, user_id: str, thread: ThreadRef) -> str:
    """The `value` of the lock notice's Appeal button: the locked user, and which thread."""
    return f"{user_id}|{thread.key}"


def parse_appeal_button(value: str) -> tuple[str, ThreadRef] | None:
    """Inverse of `appeal_button_value`; None for a value this bot did not write."""
    user, _, key = value.partition("|")
    if not user:
        return None
    try:
        thread = ThreadRef.from_key(key)
    except ValueError:
        return None
    return (user, thread) if thread.platform == PLATFORM else None


def _input(view: Mapping[str, Any], name: str) -> str:
    """The text typed in a modal's input `name` (its block and action share the id), trimmed."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    block = values.get(name) if isinstance(values, Mapping) else None
    field = block.get(name) if isinstance(block, Mapping) else None
    value = field.get("value") if isinstance(field, Mapping) else None
    return str(value or "").strip()


def appeal_statement(view: Mapping[str, Any]) -> str:
    """The statement typed in the appeal modal, trimmed (empty when none)."""
    return _input(view, APPEAL_INPUT)[:APPEAL_LIMIT]


def decision_reason(view: Mapping[str, Any]) -> str:
    """The reason typed in the decide modal, trimmed (empty when none)."""
    return _input(view, REASON_INPUT)[:REASON_LIMIT]


def user_target(arg: str) -> str | None:
    """A user named in a slash command: `<@U123|name>` (as Slack sends a mention) or `U123`."""
    arg = arg.strip().strip("<>").lstrip("@").split("|", 1)[0]
    return arg if re.fullmatch(r"[UW][A-Z0-9]{2,}", arg) else None


def branch(
    *, event_id: str, thread: ThreadRef, new_ts: str, author: Author, at: datetime
) -> Branch:
    """The locked user continues `thread` in the thread of the new top-level message `new_ts`."""
    return Branch(
        event_id=event_id,
        thread=thread,
        author=author,
        at=at,
        new_thread=thread_ref(team=thread.workspace, channel=thread.channel, ts=new_ts),
        label="the earlier thread",
    )


def appeal(
    *, event_id: str, thread: ThreadRef, author: Author, statement: str, at: datetime
) -> Appeal:
    """A user's appeal against the closing of their thread as the core's record."""
    return Appeal(
        event_id=event_id,
        thread=thread,
        author=author,
        statement=statement[:APPEAL_LIMIT],
        at=at,
    )


def block_action(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The one action of a `block_actions` payload (the bot's messages have one per click); an
    empty mapping when the payload has none, or not in Slack's shape."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, Mapping) else {}


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace of an interactive payload or slash command."""
    team = body.get("team")
    if isinstance(team, Mapping) and team.get("id"):
        return encodable(str(team["id"]))
    user = body.get("user")
    if isinstance(user, Mapping) and user.get("team_id"):
        return encodable(str(user["team_id"]))
    return encodable(str(body.get("team_id") or ""))


def user_of(body: Mapping[str, Any]) -> str:
    """Who clicked or typed: `user.id` in interactive payloads, `user_id` in slash commands."""
    user = body.get("user")
    if isinstance(user, Mapping):
        return encodable(str(user.get("id") or ""))
    return encodable(str(body.get("user_id") or ""))


def click_event_id(body: Mapping[str, Any]) -> str:
    """A click's event id: its trigger id (unique per click), else the action's timestamp."""
    trigger = body.get("trigger_id")
    if trigger:
        return encodable(f"slack-click:{trigger}")
    return encodable(f"slack-click:{block_action(body).get('action_ts', '')}:{user_of(body)}")


def click_origin(body: Mapping[str, Any]) -> ThreadRef:
    """Where a button was clicked: the message that carries it (a mod-log case, a question)."""
    container = body.get("container")
    container = container if isinstance(container, Mapping) else {}
    channel = body.get("channel")
    channel_id = channel.get("id") if isinstance(channel, Mapping) else None
    return thread_ref(
        team=team_of(body),
        channel=str(container.get("channel_id") or channel_id or ""),
        ts=str(container.get("message_ts") or ""),
    )


def mod_command(
    *,
    event_id: str,
    command: ModCommandKind,
    moderator: Author,
    button: CaseButton,
    origin: ThreadRef,
    at: datetime,
    note: str = "",
    user_id: str | None = None,
) -> ModCommand:
    """A moderator's click, form or command on a case or a thread as the core's command."""
    return ModCommand(
        event_id=event_id,
        moderator=moderator,
        command=command,
        at=at,
        origin=origin,
        thread=button.thread,
        case=button.case,
        note=note,
        user_id=user_id,
    )


def end_confirmation(
    *, event_id: str, thread: ThreadRef, author: Author, confirmed: bool, at: datetime
) -> EndConfirmation:
    """A Yes/No click on "end this thread?" as the core's record."""
    return EndConfirmation(
        event_id=event_id, thread=thread, author=author, confirmed=confirmed, at=at
    )


# --- slash command -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class SlashCommand:
    """`/threadkeeper VERB ARGS...` split into its verb and arguments."""

    verb: str
    args: tuple[str, ...]


def parse_slash(text: str) -> SlashCommand:
    """The verb (lower case; "help" when empty) and the remaining words."""
    words = text.split()
    if not words:
        return SlashCommand(verb="help", args=())
    return SlashCommand(verb=words[0].lower(), args=tuple(words[1:]))


def thread_target(arg: str, *, team: str, channel: str) -> ThreadRef | None:
    """A thread named by a permalink (of its parent or any reply) or by a parent ts.

    Slack wraps links in `<...>` in slash-command text; a reply's permalink names its parent in
    the `thread_ts` query parameter, which is the thread the bot knows.
    """
    arg = arg.strip().strip("<>").split("|", 1)[0]
    if _TS.fullmatch(arg):
        return thread_ref(team=team, channel=channel, ts=arg)
    url = urlparse(arg)
    match = _PERMALINK_P.search(url.path)
    if match is None:
        return None
    parent = parse_qs(url.query).get("thread_ts", [""])[0]
    ts = parent if _TS.fullmatch(parent) else f"{match['secs']}.{match['micros']}"
    return thread_ref(team=team, channel=match["channel"], ts=ts)


def case_number(arg: str) -> int | None:
    """`12` or `#12` as a case number (ASCII digits: "²" is a digit to str.isdigit)."""
    arg = arg.lstrip("#")
    return int(arg) if _NUMBER.fullmatch(arg) else None
