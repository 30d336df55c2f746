"""Console input lines into commands: pure, so the grammar is tested without a terminal."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bot.records import encodable

MENTION = re.compile(r"^\s*@(?:bot|threadkeeper)\b[,:]?\s*", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True, slots=True)
class Line:
    """One parsed input line: a slash command with arguments, a mention, or plain text."""

    command: str = ""  # "" for a message
    args: tuple[str, ...] = ()
    text: str = ""
    mention: bool = False


COMMANDS = {
    "help": "show this help",
    "as": "NAME: speak as another user (moderators are listed in the config)",
    "users": "list the users and moderators",
    "threads": "list threads and their status",
    "go": "THREAD: enter a thread",
    "leave": "go back to the channel",
    "status": "the current thread's status",
    "policy": "show the moderation criteria",
    "appeal": "TEXT: ask the moderators to review the closing of this thread",
    "branch": "continue this locked thread in a new one, from before the first strike",
    "yes": "answer yes to 'end this thread?' (the button)",
    "no": "answer no to 'end this thread?' (the button)",
    "case": "N: show a case (moderators)",
    "cases": "[all]: the review queue, priority first (all: every recent case) (moderators)",
    "ack": "CASE [reason]: acknowledge a case: you have taken it up (moderators)",
    "resolve": "CASE [reason]: resolve a case: it leaves the queue (moderators)",
    "lock": "[THREAD] REASON: close a thread; the user reads the reason (moderators)",
    "unlock": "[THREAD] [reason]: reopen a locked or ended thread (moderators)",
    "uphold": "[CASE|THREAD] [reason]: keep a closed thread closed (moderators)",
    "note": "[CASE] TEXT: add a note to a case or the current thread (moderators)",
    "pardon": "USER|CASE [note]: earlier locks stop counting towards repeat locks (moderators)",
    "quit": "leave the console",
}


def parse_line(raw: str) -> Line:
    """Split a console line into a command or a message.

    A terminal in the C locale hands undecodable bytes over as lone surrogates: cleaned here
    (see `encodable`), since a user's name or a thread's name may come from this line.
    """
    text = encodable(raw.strip())
    if text in ("policy", "help", "quit", "exit"):
        return Line(command="quit" if text == "exit" else text)
    if text.startswith("/"):
        head, _, rest = text[1:].partition(" ")
        try:
            args = tuple(shlex.split(rest))
        except ValueError:
            args = tuple(rest.split())
        return Line(command=head.lower(), args=args, text=rest.strip())
    match = MENTION.match(text)
    if match:
        return Line(text=text[match.end() :], mention=True)
    return Line(text=text)
