"""Records into Discord messages: text split at the limit, case embeds, button rows.

Pure (no I/O), so what moderators and users see is tested without a client. Discord rejects a
message over 2,000 characters; a reply cut in the middle of a code block would show the rest as
prose, so a split inside a fence closes it and the next piece reopens it with the same language.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord.components import CaseButton, EndButton, LockNoticeButton
from bot.modlog import TITLES, cut
from bot.records import CATEGORY_WORDS, Case

log = logging.getLogger(__name__)

#: Discord's limit for a message's content.
MESSAGE_LIMIT = 2000
#: How long an excerpt may be in a case embed (the store keeps longer ones).
EXCERPT_CHARS = 200
#: Where a notice names the criteria: the slash command anyone can run.
POLICY_COMMAND = "`/policy`"
BRANCH_COMMAND = "press **Continue from before** below"

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


#: Case kinds about a closure a moderator may reverse or confirm (an appeal asks for just that).
REVIEWABLE = frozenset({"lock", "end", "delivery_failure", "repeat_locks", "appeal"})


def case_view(case: Case) -> discord.ui.View:
    """Unlock and Uphold on closures, Note on every case; ids encode the case, so they persist."""
    view = discord.ui.View(timeout=None)
    if case.kind in REVIEWABLE and case.thread is not None:
        view.add_item(CaseButton.make("unlock", case.number))
        view.add_item(CaseButton.make("uphold", case.number))
    view.add_item(CaseButton.make("note", case.number))
    return view


def confirm_view(*, user_id: str) -> discord.ui.View:
    """Yes and No buttons that only the thread's user may press (the id names them)."""
    view = discord.ui.View(timeout=None)
    view.add_item(EndButton.make(confirmed=True, user_id=user_id))
    view.add_item(EndButton.make(confirmed=False, user_id=user_id))
    return view


def appeal_view(*, user_id: str) -> discord.ui.View:
    """Appeal and Continue from before on a lock notice, for the locked user only."""
    view = discord.ui.View(timeout=None)
    view.add_item(LockNoticeButton.make("appeal", user_id=user_id))
    view.add_item(LockNoticeButton.make("branch", user_id=user_id))
    return view


def crisis_ping(role_id: int, case: Case) -> str:
    """The one line that pings the moderator role, above a priority case."""
    return f"<@&{role_id}> case #{case.number}: {TITLES.get(case.kind, case.kind)}"


def status_text(*, status: str, strikes: int, redirects_before_lock: int, turns: int) -> str:
    """What `/status` says about a thread."""
    state = {
        "open": "open",
        "warned": "open, with a warning given: one more harmful request closes it",
        "locked": "locked",
        "ended": "ended at the user's request",
    }.get(status, status)
    return (
        f"This thread is {state}. Redirected requests: {strikes} "
        f"(the warning comes at {redirects_before_lock}). Turns so far: {turns}."
    )
