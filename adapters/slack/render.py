"""Records into Slack text and Block Kit: pure functions, safe by default.

Every string the bot posts passes `escape` here, whether the core wrote it, the model wrote it or a
user wrote it and the bot echoes it (excerpts in the mod log). Slack turns `<!channel>`,
`<!here>`, `<!everyone>`, `<@U…>` and `<!subteam^…>` into pings, and `<url|text>` into links that
say something else than where they go: escaping `&`, `<` and `>` makes every one of them plain
text. `@channel` typed without brackets is not a ping in an app's message (chat.postMessage does
not link names unless asked), but a zero-width space is added after the `@` anyway so that no
future default, client or markdown renderer can turn it into one.

Limits (Slack's published ones, with margin): a message's `text` is cut by Slack past 40,000
characters and is hard to read well before; a section block holds 3,000; a header 150; a streamed
message's `markdown_text` takes 12,000 per call.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from adapters.slack.translate import (
    ACTION_ACK,
    ACTION_APPEAL,
    ACTION_BRANCH,
    ACTION_CLOSE,
    ACTION_END_NO,
    ACTION_END_YES,
    ACTION_NOTE,
    ACTION_PARDON,
    ACTION_RESOLVE,
    ACTION_UNLOCK,
    ACTION_UPHOLD,
    APPEAL_INPUT,
    APPEAL_LIMIT,
    REASON_INPUT,
    REASON_LIMIT,
    VIEW_APPEAL,
    VIEW_DECIDE,
    VIEW_NOTE,
    appeal_button_value,
    case_button_value,
    end_button_value,
)
from bot import notices, review
from bot.config import PolicySettings
from bot.modlog import TITLES, cut
from bot.records import CATEGORY_WORDS, Case, ThreadRef, ThreadState

Block = dict[str, Any]

#: Longest text the bot puts in one posted message (Slack advises staying under 4,000).
MESSAGE_LIMIT = 3_900
#: Longest text of one section block.
SECTION_LIMIT = 3_000
#: Longest streamed message before the bot stops it and continues in a new one.
STREAM_LIMIT = 11_000
HEADER_LIMIT = 150

_SPECIAL_AT = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
ZWSP = "\u200b"

#: The decisions each kind of case offers while it waits (Acknowledge is added while it is open).
DECISIONS: dict[str, tuple[str, ...]] = {
    "lock": (ACTION_UNLOCK, ACTION_UPHOLD),
    "appeal": (ACTION_UNLOCK, ACTION_UPHOLD),
    "crisis": (ACTION_RESOLVE, ACTION_CLOSE),
    "harmful_in_crisis": (ACTION_RESOLVE, ACTION_CLOSE),
    "repeat_locks": (ACTION_RESOLVE, ACTION_PARDON),
    "delivery_failure": (ACTION_RESOLVE,),
}
BUTTON_LABELS = {
    ACTION_UNLOCK: ("Unlock", "primary"),
    ACTION_UPHOLD: ("Uphold", None),
    ACTION_ACK: ("Acknowledge", None),
    ACTION_RESOLVE: ("Resolve", "primary"),
    ACTION_CLOSE: ("Close thread", "danger"),
    ACTION_PARDON: ("Pardon", None),
    ACTION_NOTE: ("Note", None),
}
#: The form behind each deciding button: its title, its field, and whether words are required.
FORMS: dict[str, tuple[str, str, bool]] = {
    ACTION_UNLOCK: ("Reopen the thread", "Reason (the user is told)", False),
    ACTION_UPHOLD: ("Keep it closed", "Reason (the user is told)", False),
    ACTION_RESOLVE: ("Resolve the case", "What was done (for the mod log)", False),
    ACTION_CLOSE: ("Close the thread", "Reason (the user reads it in the notice)", True),
    ACTION_PARDON: ("Pardon the user", "Reason (for the mod log)", False),
}
#: How the lock notice names Slack's way to branch.
BRANCH_COMMAND = "press *Continue from before* below"
#: How a notice says to appeal on Slack (filled with the configured slash command).
APPEAL_COMMAND = (
    "press *Appeal* under the closing notice, or use `{command} appeal <thread link> <why>`"
)
#: Cases the slash command's `cases` lists before it says how many more there are.
QUEUE_LINES = 15
#: The new top-level message whose thread continues a locked one.
BRANCH_ANNOUNCEMENT = "<@{user}> continues an earlier thread here, from before it was closed."
APPEAL_QUESTION = "Why should the moderators reopen this thread?"


def escape(text: str) -> str:
    """Text that Slack shows literally: no pings, no disguised links, no broadcast."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL_AT.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def split(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Text in pieces of at most `limit` characters, cut at a paragraph, line or word if near.

    Cuts never fall inside an escape (`&lt;`), so each piece renders on its own.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut_at = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut_at < limit // 2:
            cut_at = limit
            amp = window.rfind("&", limit - 6)
            if amp != -1 and ";" not in window[amp:]:
                cut_at = amp
        pieces.append(rest[:cut_at].rstrip())
        rest = rest[cut_at:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def safe_prefix(text: str, *, final: bool) -> int:
    """How much of streamed text can be shown now: up to the last whitespace unless it is final.

    Holding back the last partial word keeps `@chan` + `nel` from escaping the `@channel` rule.
    """
    if final:
        return len(text)
    return max(text.rfind(" "), text.rfind("\n")) + 1


def notice(text: str, *, kind: str) -> str:
    """A fixed notice from the core, escaped, with a marker that says what it is."""
    marks = {
        "lock": ":lock: ",
        "end": ":wave: ",
        "unlock": ":unlock: ",
        "warn": ":warning: ",
        "crisis_resources": ":sos: ",
    }
    return marks.get(kind, "") + escape(text)


def for_slack(text: str, *, command: str) -> str:
    """A fixed text with Slack's commands and buttons filled in (`command`: the slash command)."""
    return notices.for_platform(
        text,
        policy_command=f"`{command} policy`",
        branch_command=BRANCH_COMMAND,
        appeal_command=APPEAL_COMMAND.format(command=command),
    )


def _text(kind: str, text: str) -> Block:
    return {"type": kind, "text": text}


def _mrkdwn(text: str) -> Block:
    return _text("mrkdwn", text)


def _plain(text: str, limit: int = HEADER_LIMIT) -> Block:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def _button(text: str, *, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": _plain(text, 75),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def user_label(user_id: str, name: str | None) -> str:
    """A user as plain text: never `<@U…>`, which would ping them in the mod log."""
    return f"{escape(name)} (`{escape(user_id)}`)" if name else f"`{escape(user_id)}`"


def case_message(
    case: Case, *, permalink: str | None, user_name: str | None
) -> tuple[str, list[Block]]:
    """One mod-log message for a case: fallback text and blocks with the moderators' buttons."""
    title = TITLES.get(case.kind, case.kind)
    priority = case.priority or case.kind in ("crisis", "harmful_in_crisis")
    head = f"{':rotating_light: ' if priority else ''}Case #{case.number} · {title}"
    fields = [
        _mrkdwn(f"*User*\n{user_label(case.user_id, user_name)}"),
        _mrkdwn(f"*By*\n`{escape(case.actor)}`"),
    ]
    if case.category != "none":
        fields.append(_mrkdwn(f"*Category*\n{escape(CATEGORY_WORDS[case.category])}"))
    fields.append(_mrkdwn(f"*Strikes*\n{case.strikes}"))
    if case.thread is not None:
        where = f"<{permalink}|open the thread>" if permalink else f"`{escape(case.thread.thread)}`"
        fields.append(_mrkdwn(f"*Thread*\n{where} in <#{escape(case.thread.channel)}>"))
    if case.refers_to is not None:
        fields.append(_mrkdwn(f"*Refers to*\ncase #{case.refers_to}"))
    if case.signals > 1:
        fields.append(_mrkdwn(f"*Signals*\n{case.signals}"))
    blocks: list[Block] = [
        {"type": "header", "text": _plain(head)},
        {"type": "section", "fields": fields[:10]},
    ]
    if priority and case.waiting:
        blocks.insert(
            1,
            {
                "type": "context",
                "elements": [_mrkdwn("*PRIORITY*: a person may be at risk. Please look now.")],
            },
        )
    if case.summary:
        blocks.append({"type": "section", "text": _mrkdwn(escape(cut(case.summary, 2_900)))})
    quotes = "\n".join(f"> {escape(cut(e, 280))}" for e in case.excerpts[:5])
    if quotes:
        blocks.append({"type": "section", "text": _mrkdwn(cut(quotes, SECTION_LIMIT))})
    state = case_state(case)
    if state:
        blocks.append({"type": "context", "elements": [_mrkdwn(state)]})
    value = case_button_value(case=case.number, thread=case.thread)
    # An appeal's Unlock / Uphold review the closing it appeals against (`refers_to`), so the
    # decision counts towards that lock's reversal rate; its other buttons stay on the appeal.
    reviewed = case.refers_to if case.kind == "appeal" and case.refers_to is not None else None
    review_value = (
        case_button_value(case=reviewed, thread=case.thread) if reviewed is not None else value
    )
    buttons = []
    for action_id in case_buttons(case):
        label, style = BUTTON_LABELS[action_id]
        on = review_value if action_id in (ACTION_UNLOCK, ACTION_UPHOLD) else value
        buttons.append(_button(label, action_id=action_id, value=on, style=style))
    blocks.append({"type": "actions", "block_id": f"case-{case.number}", "elements": buttons})
    fallback = f"{head} · user {case.user_id}" + (
        f" · {CATEGORY_WORDS[case.category]}" if case.category != "none" else ""
    )
    return escape(fallback), blocks


def case_buttons(case: Case) -> list[str]:
    """The action ids a case offers now: its decisions while it waits, Note always."""
    ids: list[str] = []
    if case.waiting:
        decisions = DECISIONS.get(case.kind, ())
        ids.extend(d for d in decisions if case.thread is not None or d == ACTION_RESOLVE)
        if case.status == "open":
            ids.append(ACTION_ACK)
    if case.kind == "end" and case.thread is not None:
        ids.append(ACTION_UNLOCK)  # the user ended it; a moderator may reopen it for them
    ids.append(ACTION_NOTE)
    return ids


def case_state(case: Case) -> str:
    """Where a waiting case stands, for its message ("" for a record, which never waited)."""
    if case.kind not in review.NEEDS_REVIEW:
        return ""
    if case.status == "open":
        return "*Open*: waiting for a moderator"
    who = f" by {user_label(case.status_by, None)}" if case.status_by else ""
    why = f": {escape(cut(case.status_reason, 500))}" if case.status_reason else ""
    return f"*{case.status.capitalize()}*{who}{why}"


def decide_modal(*, metadata: str, case: int | None, action_id: str) -> dict[str, Any]:
    """The form behind a deciding button; `metadata` brings the click back on submit."""
    title, label, required = FORMS[action_id]
    return {
        "type": "modal",
        "callback_id": VIEW_DECIDE,
        "private_metadata": metadata,
        "title": _plain(title, 24),
        "submit": _plain("Done", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_INPUT,
                "optional": not required,
                "label": _plain(label),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": REASON_LIMIT,
                },
            }
        ],
    }


def queue_text(cases: list[Case], *, now: datetime) -> str:
    """The slash command's `cases`: the review queue, priority first, and the reversal rate."""
    waiting = review.queue(cases)
    rate = review.render_reversals(review.reversals(cases))
    if not waiting:
        return f"The review queue is empty: nothing waits for a moderator.\n{rate}"
    priority = sum(1 for c in waiting if c.priority)
    lines = [
        f"*{len(waiting)} case{'s' if len(waiting) != 1 else ''} waiting*"
        + (f", {priority} priority" if priority else "")
    ]
    for c in waiting[:QUEUE_LINES]:
        mark = ":rotating_light:" if c.priority else "•"
        count = f" ({c.signals} signals)" if c.signals > 1 else ""
        taken = (
            f", acknowledged by {user_label(c.status_by, None)}"
            if c.status == "acknowledged"
            else ""
        )
        lines.append(
            f"{mark} #{c.number} {escape(TITLES.get(c.kind, c.kind))}{count}: "
            f"{user_label(c.user_id, None)}, waiting {review.age(c, now)}{taken}"
        )
    if len(waiting) > QUEUE_LINES:
        lines.append(f"… and {len(waiting) - QUEUE_LINES} more (`python -m bot cases` lists all)")
    lines.append(rate)
    return cut("\n".join(lines), MESSAGE_LIMIT)


def crisis_followup(case: Case) -> str:
    """The renewed alert about a grouped crisis case (the case itself is updated in place)."""
    return (
        f":rotating_light: Case #{case.number} has {case.signals} signals now: "
        f"{escape(TITLES.get(case.kind, case.kind))}. The case above is updated."
    )


def confirm_message(text: str, *, user_id: str, thread: ThreadRef) -> tuple[str, list[Block]]:
    """The end-of-thread question with Yes/No buttons that only `user_id` may press."""
    value = end_button_value(user_id=user_id, thread=thread)
    return escape(text), [
        {"type": "section", "text": _mrkdwn(escape(text))},
        {
            "type": "actions",
            "elements": [
                _button("Yes, end it", action_id=ACTION_END_YES, value=value, style="danger"),
                _button("No, keep going", action_id=ACTION_END_NO, value=value),
            ],
        },
    ]


def lock_notice(text: str, *, user_id: str, thread: ThreadRef, branch: bool = True) -> list[Block]:
    """The lock notice (already escaped) with an Appeal button that only `user_id` may press,
    and Continue from before unless a moderator closed the thread (`branch`)."""
    blocks: list[Block] = [
        {"type": "section", "text": _mrkdwn(piece)} for piece in split(text, SECTION_LIMIT)
    ]
    value = appeal_button_value(user_id=user_id, thread=thread)
    elements = [_button("Appeal", action_id=ACTION_APPEAL, value=value)]
    if branch:
        elements.append(_button("Continue from before", action_id=ACTION_BRANCH, value=value))
    blocks.append({"type": "actions", "block_id": "appeal", "elements": elements})
    return blocks


def appeal_modal(*, metadata: str) -> dict[str, Any]:
    """The modal a locked user writes an appeal in; `metadata` brings the thread back on submit."""
    return {
        "type": "modal",
        "callback_id": VIEW_APPEAL,
        "private_metadata": metadata,
        "title": _plain("Appeal", 24),
        "submit": _plain("Send appeal", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": APPEAL_INPUT,
                "label": _plain(APPEAL_QUESTION),
                "element": {
                    "type": "plain_text_input",
                    "action_id": APPEAL_INPUT,
                    "multiline": True,
                    "max_length": APPEAL_LIMIT,
                },
            }
        ],
    }


def answered(text: str, *, confirmed: bool) -> list[Block]:
    """The question once answered: the buttons are gone, the answer stays visible."""
    answer = "Yes, end it" if confirmed else "No, keep going"
    return [
        {"type": "section", "text": _mrkdwn(escape(text))},
        {"type": "context", "elements": [_mrkdwn(f"Answered: {answer}")]},
    ]


def note_modal(*, metadata: str, case: int) -> dict[str, Any]:
    """The modal a moderator writes a note in; `metadata` brings the case back on submit."""
    return {
        "type": "modal",
        "callback_id": VIEW_NOTE,
        "private_metadata": metadata,
        "title": _plain(f"Note on case #{case}", 24),
        "submit": _plain("Add note", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "note",
                "label": _plain("Note for the mod log"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "note",
                    "multiline": True,
                    "max_length": 2_000,
                },
            }
        ],
    }


def status_text(state: ThreadState, *, policy: PolicySettings, command: str) -> str:
    """A thread's state in one message for the slash command, with the advice true in it."""
    p = policy
    advice = notices.thread_status(
        status=state.status,
        strikes=state.strikes,
        redirects_before_lock=p.redirects_before_lock,
        turns=state.turns,
        benign_streak=state.benign_streak,
        clear_after=p.benign_turns_to_clear_strike,
        pending_end=state.pending_end_by is not None,
        category_limits=bool(p.category_redirects),
        closed_by_moderator=bool(state.closed_by),
    )
    lines = [
        f"Thread `{escape(state.ref.thread)}` in <#{escape(state.ref.channel)}>: *{state.status}*",
        escape(for_slack(advice, command=command)),
    ]
    if state.closed_category != "none":
        lines.append(f"Closed for: {escape(CATEGORY_WORDS[state.closed_category])}")
    return "\n".join(lines)


def case_text(case: Case) -> str:
    """A case in a few lines, for the slash command's `case N`."""
    title = TITLES.get(case.kind, case.kind)
    lines = [f"*Case #{case.number}* · {escape(title)} · {case.status}"]
    lines.append(f"User {user_label(case.user_id, None)} · by `{escape(case.actor)}`")
    if case.category != "none":
        lines.append(f"Category: {escape(CATEGORY_WORDS[case.category])} · strikes {case.strikes}")
    if case.thread is not None:
        lines.append(f"Thread `{escape(case.thread.thread)}` in <#{escape(case.thread.channel)}>")
    if case.summary:
        lines.append(escape(cut(case.summary, 1_000)))
    lines.extend(f"> {escape(cut(e, 280))}" for e in case.excerpts[:5])
    return "\n".join(lines)


def help_text(command: str) -> str:
    """What the slash command does."""
    return (
        f"`{command} policy`: how this bot keeps threads safe (anyone)\n"
        f"`{command} status [thread link or ts]`: a thread's state (yours, or any for moderators);"
        " without an argument, your most recent thread in this channel\n"
        f"`{command} appeal <thread link or ts> <why>`: ask the moderators to reopen your closed"
        " thread (or press Appeal on its notice)\n"
        "Moderators:\n"
        f"`{command} cases`: the review queue, priority first\n"
        f"`{command} case N`: look up a case\n"
        f"`{command} ack N [reason]` / `{command} resolve N [reason]`: take up / resolve a case\n"
        f"`{command} lock <thread link or ts> <reason>`: close a thread; the user reads the"
        " reason\n"
        f"`{command} unlock <thread link or ts> [reason]`: reopen a closed thread\n"
        f"`{command} uphold <thread link, ts or case N> [reason]`: keep a closed thread closed\n"
        f"`{command} note N <text>`: add a note to a case\n"
        f"`{command} pardon <@user or case N> [reason]`: earlier locks stop counting"
    )
