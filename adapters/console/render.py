"""Records into terminal text: pure, so what a person reads is tested without a terminal."""

from __future__ import annotations

import shutil
import textwrap

from bot.modlog import render_text
from bot.records import Action, Case

RESET = "\033[0m"
STYLES = {
    "bot": "\033[36m",  # cyan
    "notice": "\033[33m",  # yellow
    "lock": "\033[1;31m",  # bold red
    "crisis": "\033[1;35m",  # bold magenta
    "modlog": "\033[2;37m",  # dim
    "priority": "\033[1;35m",
    "info": "\033[2m",
}

LABELS = {
    "warn": "warning",
    "lock": "thread locked",
    "end": "thread ended",
    "crisis_resources": "crisis resources",
    "confirm_end": "question",
    "notice": "notice",
    "unlock": "thread reopened",
    "ignored": "thread closed",
    "private_notice": "only you see this",
}


def paint(text: str, style: str, *, color: bool) -> str:
    """Wrap text in an ANSI style when colour is on."""
    return f"{STYLES[style]}{text}{RESET}" if color and style in STYLES else text


def indent(text: str, prefix: str, *, width: int | None = None) -> str:
    """Prefix and wrap every line, so notices stay readable in a scrolling terminal."""
    width = width or shutil.get_terminal_size((100, 24)).columns
    room = max(width - len(prefix) - 1, 30)
    lines: list[str] = []
    in_code = False
    for line in text.splitlines() or [""]:
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code or line.lstrip().startswith("```"):
            lines.append(prefix + line)  # code keeps its lines as written
            continue
        hang = " " * (len(line) - len(line.lstrip("-> ")))
        wrapped = textwrap.wrap(line, room, subsequent_indent=hang) or [""]
        lines.extend(prefix + w for w in wrapped)
    return "\n".join(lines)


def action_text(action: Action, *, bot_name: str, color: bool) -> str:
    """How a fixed-text action reads in the thread."""
    where = f"[{action.thread.thread}] "
    style = {"lock": "lock", "end": "lock", "crisis_resources": "crisis"}.get(action.kind, "notice")
    label = LABELS.get(action.kind, action.kind)
    if action.kind == "private_notice":
        label = f"only {action.user_id} sees this"
    body = indent(action.text, "    ") if action.text else ""
    head = paint(f"{where}{bot_name} ({label}):", style, color=color)
    return f"{head}\n{body}" if body else head


def case_text(case: Case, *, color: bool, changed: str = "", alert: str = "") -> str:
    """A case as the mod-log pane shows it (`changed`: "updated" when shown again)."""
    text = indent(render_text(case), "  │ ")
    head = "[mod-log]" + (" PRIORITY" if case.priority else "")
    head += "".join(f" ({w})" for w in (changed, alert) if w)
    return paint(f"{head}\n{text}", "priority" if case.priority else "modlog", color=color)
