"""Records into Discord messages: text split at the limit, case embeds, button rows.

Pure (no I/O), so what moderators and users see is tested without a client. Discord rejects a
message over 2,000 characters; a reply cut in the middle of a code block would show the rest as
prose, so a split inside a fence closes it and the next piece reopens it with the same language.
"""

from __future__ import annotations

import logging
from datetime import datetime

import discord

from adapters.discord.components import CaseButton, CaseVerb, EndButton, LockNoticeButton
from bot import notices, review
from bot.config import PolicySettings
from bot.modlog import TITLES, cut
from bot.records import CATEGORY_WORDS, Case, ThreadState

log = logging.getLogger(__name__)

#: Discord's limit for a message's content.
MESSAGE_LIMIT = 2000
#: How long an excerpt may be in a case embed (the store keeps longer ones).
EXCERPT_CHARS = 200
#: Cases `/cases` lists before it says how many more there are.
QUEUE_LINES = 15
#: Where a notice names the criteria: the slash command anyone can run.
POLICY_COMMAND = "`/policy`"
BRANCH_COMMAND = "press **Continue from before** below"
#: How a notice says to appeal: the button on the lock notice, or the slash command.
APPEAL_COMMAND = "press **Appeal** under the closing notice, or use `/appeal` in the thread"


def for_discord(text: str) -> str:
    """A fixed text with Discord's commands and buttons filled in."""
    return notices.for_platform(
        text,
        policy_command=POLICY_COMMAND,
        branch_command=BRANCH_COMMAND,
        appeal_command=APPEAL_COMMAND,
    )


_FENCE = "```"
_CLOSE = "\n" + _FENCE


def split_text(text: str, *, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut text into messages of at most `limit` characters, keeping code fences balanced.

    The cut prefers a line break, then a space, in the second half of the window. The result for a
    prefix of a growing text is stable once that piece is full, which lets a stream edit the last
    message in place and start a new one only when the limit is reached.
    """
    pieces: list[str] = []
    rest = text
    reopen = ""
    while True:
        body = reopen + rest
        if len(body) <= limit:
            pieces.append(body)
            return pieces
        budget = limit - len(_CLOSE)
        cut_at = _cut_point(body, budget=budget, floor=len(reopen) + 1)
        head, rest = body[:cut_at], body[cut_at:]
        fence = _open_fence(head)
        if fence is not None:
            head = head.rstrip("\n") + _CLOSE
            reopen = fence + "\n"
        else:
            reopen = ""
        if rest.startswith("\n"):
            rest = rest[1:]
        pieces.append(head)


def _cut_point(body: str, *, budget: int, floor: int) -> int:
    window = body[:budget]
    half = max(floor, budget // 2)
    newline = window.rfind("\n", half)
    if newline > 0:
        return newline
    space = window.rfind(" ", half)
    if space > 0:
        return space + 1
    return budget


def _open_fence(text: str) -> str | None:
    """The opening fence line (with its language) if `text` ends inside a code block."""
    opened: str | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(_FENCE):
            if opened is None:
                opened = stripped.split()[0] if stripped.split() else _FENCE
                # "```py" opens with a language; a lone "```" opens without one.
            else:
                opened = None
    return opened


def jump_url(*, guild: str, channel: str) -> str:
    """A link that opens a channel or thread in the Discord client."""
    return f"https://discord.com/channels/{guild}/{channel}"


def _who(user_id: str) -> str:
    """A mention as text (embeds never ping) plus the id, which survives the user leaving."""
    return f"<@{user_id}> ({user_id})" if user_id.isdigit() else (user_id or "unknown")


def _spoiler(text: str) -> str:
    safe = discord.utils.escape_mentions(discord.utils.escape_markdown(cut(text, EXCERPT_CHARS)))
    return f"||{safe}||"


def case_colour(case: Case) -> discord.Colour:
    """Priority cases are red; closures orange; reopenings green; the rest grey."""
    if case.priority:
        return discord.Colour.red()
    if case.kind in ("lock", "repeat_locks"):
        return discord.Colour.orange()
    if case.kind == "delivery_failure":
        return discord.Colour.gold()
    if case.kind == "unlock":
        return discord.Colour.green()
    return discord.Colour.light_grey()


def case_embed(case: Case) -> discord.Embed:
    """One case as an embed: number, title, user, thread link, category, strikes, excerpts."""
    title = f"Case #{case.number} · {TITLES.get(case.kind, case.kind)}"
    embed = discord.Embed(
        title=title[:256],
        description=cut(case.summary, 1000) if case.summary else None,
        colour=case_colour(case),
        timestamp=case.created_at,
    )
    embed.add_field(name="User", value=_who(case.user_id), inline=True)
    if case.thread is not None:
        link = jump_url(guild=case.thread.workspace, channel=case.thread.thread)
        embed.add_field(name="Thread", value=f"[open thread]({link})", inline=True)
    if case.category != "none":
        embed.add_field(name="Category", value=CATEGORY_WORDS[case.category], inline=True)
    if case.strikes or case.kind in ("lock", "harmful_in_crisis"):
        embed.add_field(name="Strikes", value=str(case.strikes), inline=True)
    if case.actor != "bot":
        embed.add_field(name="By", value=_who(case.actor), inline=True)
    if case.refers_to is not None:
        embed.add_field(name="Refers to", value=f"case #{case.refers_to}", inline=True)
    if case.signals > 1:
        latest = case.updated_at or case.created_at
        embed.add_field(
            name="Signals",
            value=f"{case.signals} (latest {discord.utils.format_dt(latest, 'R')})",
            inline=True,
        )
    state = case_state(case)
    if state:
        embed.add_field(name="State", value=state, inline=False)
    if case.excerpts:
        lines: list[str] = []
        used = 0
        for excerpt in case.excerpts:
            line = _spoiler(excerpt)
            if used + len(line) + 1 > 1000:
                break
            lines.append(line)
            used += len(line) + 1
        embed.add_field(name="Excerpts (spoilered)", value="\n".join(lines), inline=False)
    embed.set_footer(text=f"{case.kind} · {'priority · ' if case.priority else ''}{case.status}")
    return embed


def case_state(case: Case) -> str:
    """Where a waiting case stands, for its embed ("" for a record, which never waited)."""
    if case.kind not in review.NEEDS_REVIEW:
        return ""
    if case.status == "open":
        return "Open: waiting for a moderator"
    who = f" by {_who(case.status_by)}" if case.status_by else ""
    why = (
        f": {discord.utils.escape_mentions(cut(case.status_reason, 500))}"
        if case.status_reason
        else ""
    )
    return f"{case.status.capitalize()}{who}{why}"


#: The decisions each kind of case offers while it waits (Acknowledge is added while it is open).
DECISIONS: dict[str, tuple[CaseVerb, ...]] = {
    "lock": ("unlock", "uphold"),
    "appeal": ("unlock", "uphold"),
    "crisis": ("resolve", "close"),
    "harmful_in_crisis": ("resolve", "close"),
    "repeat_locks": ("resolve", "pardon"),
    "delivery_failure": ("resolve",),
}


def case_buttons(case: Case) -> list[CaseVerb]:
    """The buttons a case offers now: its decisions while it waits, Note always."""
    verbs: list[CaseVerb] = []
    if case.waiting and case.thread is not None:
        verbs.extend(DECISIONS.get(case.kind, ()))
    elif case.waiting:
        verbs.extend(v for v in DECISIONS.get(case.kind, ()) if v in ("resolve", "pardon"))
    if case.waiting and case.status == "open":
        verbs.append("ack")
    if case.kind == "end" and case.thread is not None:
        verbs.append("unlock")  # the user ended it; a moderator may reopen it for them
    verbs.append("note")
    return verbs


def case_view(case: Case) -> discord.ui.View:
    """The case's buttons; their ids encode the case, so they work after a restart."""
    view = discord.ui.View(timeout=None)
    for verb in case_buttons(case):
        view.add_item(CaseButton.make(verb, case.number))
    return view


def confirm_view(*, user_id: str) -> discord.ui.View:
    """Yes and No buttons that only the thread's user may press (the id names them)."""
    view = discord.ui.View(timeout=None)
    view.add_item(EndButton.make(confirmed=True, user_id=user_id))
    view.add_item(EndButton.make(confirmed=False, user_id=user_id))
    return view


def appeal_view(*, user_id: str, branch: bool = True) -> discord.ui.View:
    """Appeal (and Continue from before, unless a moderator closed it) for the locked user only."""
    view = discord.ui.View(timeout=None)
    view.add_item(LockNoticeButton.make("appeal", user_id=user_id))
    if branch:
        view.add_item(LockNoticeButton.make("branch", user_id=user_id))
    return view


def crisis_ping(role_id: int, case: Case) -> str:
    """The one line that pings the moderator role, above a priority case."""
    return f"<@&{role_id}> case #{case.number}: {TITLES.get(case.kind, case.kind)}"


def status_text(state: ThreadState, *, policy: PolicySettings) -> str:
    """What `/status` says about a thread: its state and the advice true in that state."""
    p = policy
    return for_discord(
        notices.thread_status(
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
    )


def queue_text(cases: list[Case], *, now: datetime, guild: str) -> str:
    """`/cases`: the review queue, priority first, each case linked where it is shown."""
    waiting = review.queue(cases)
    if not waiting:
        return "The review queue is empty: nothing waits for a moderator."
    lines = []
    for c in waiting[:QUEUE_LINES]:
        mark = "🔴" if c.priority else "•"
        count = f" ({c.signals} signals)" if c.signals > 1 else ""
        taken = f", acknowledged by {_who(c.status_by)}" if c.status == "acknowledged" else ""
        where = c.post.split("/")
        title = f"#{c.number} {TITLES.get(c.kind, c.kind)}"
        if len(where) == 2 and all(p.isdigit() for p in where):
            title = f"[{title}](https://discord.com/channels/{guild}/{where[0]}/{where[1]})"
        lines.append(
            f"{mark} {title}{count}: {_who(c.user_id)}, waiting {review.age(c, now)}{taken}"
        )
    if len(waiting) > QUEUE_LINES:
        lines.append(f"… and {len(waiting) - QUEUE_LINES} more (`python -m bot cases` lists all)")
    priority = sum(1 for c in waiting if c.priority)
    head = f"**{len(waiting)} case{'s' if len(waiting) != 1 else ''} waiting**" + (
        f", {priority} priority" if priority else ""
    )
    text = head + "\n" + "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def crisis_followup(role_id: int, case: Case) -> str:
    """The renewed ping about a grouped crisis case (the case itself is edited in place)."""
    return (
        f"<@&{role_id}> case #{case.number} has {case.signals} signals now: "
        f"{TITLES.get(case.kind, case.kind)}. The case above is updated."
    )
