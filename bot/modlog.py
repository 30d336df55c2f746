"""Cases for the moderators' log: the one place a case is drafted.

The store numbers cases per workspace when it commits the decision that opened them, so a case
and the state change that caused it are never separated by a crash.
"""

from __future__ import annotations

from bot.records import REVIEW_KINDS, Case, CaseDraft, CaseKind, Category, ThreadState

#: Longest excerpt a case carries; platforms cut further when they render.
EXCERPT_CHARS = 300


def draft_case(
    *,
    kind: CaseKind,
    state: ThreadState | None,
    user_id: str,
    actor: str = "bot",
    workspace: str | None = None,
    category: Category = "none",
    priority: bool = False,
    summary: str = "",
    excerpts: tuple[str, ...] = (),
    refers_to: int | None = None,
) -> CaseDraft:
    """Every case starts here: the thread, the strikes, and excerpts cut to a safe length."""
    ws = workspace if workspace is not None else (state.ref.workspace if state else "")
    return CaseDraft(
        kind=kind,
        workspace=ws,
        user_id=user_id,
        actor=actor,
        thread=state.ref if state else None,
        category=category,
        priority=priority,
        strikes=state.strikes if state else 0,
        summary=summary,
        excerpts=tuple(cut(e) for e in excerpts),
        refers_to=refers_to,
    )


def cut(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Shorten text to `limit` characters, marking the cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


TITLES: dict[str, str] = {
    "lock": "Thread locked",
    "mod_lock": "Thread closed by a moderator",
    "end": "Thread ended at the user's request",
    "crisis": "PRIORITY: user may be at risk",
    "harmful_in_crisis": "PRIORITY: harmful request during a crisis window",
    "repeat_locks": "Repeated locks: user may be pivoting to new threads",
    "unlock": "Thread unlocked by a moderator",
    "uphold": "Lock upheld by a moderator",
    "note": "Moderator note",
    "pardon": "User pardoned",
    "delivery_failure": "The bot could not carry out an action",
    "appeal": "Appeal: the user asks for a review of a closed thread",
    "branch": "Branch: the user continues a locked thread from before the first strike",
}


def render_text(case: Case) -> str:
    """A plain-text rendering of a case, for the console and the CLI."""
    lines = [f"Case #{case.number} · {TITLES.get(case.kind, case.kind)}"]
    if case.thread is not None:
        lines.append(f"  thread: {case.thread.thread}  user: {case.user_id}  by: {case.actor}")
    else:
        lines.append(f"  user: {case.user_id}  by: {case.actor}")
    if case.category != "none":
        lines.append(f"  category: {case.category}  strikes: {case.strikes}")
    if case.refers_to is not None:
        lines.append(f"  refers to case #{case.refers_to}")
    if case.signals > 1:
        lines.append(f"  signals: {case.signals}")
    if case.summary:
        lines.extend(f"  {line}" for line in case.summary.splitlines())
    lines.extend(f"  > {e}" for e in case.excerpts)
    state = status_line(case)
    if state:
        lines.append(f"  {state}")
    return "\n".join(lines)


def status_line(case: Case) -> str:
    """Where a waiting case stands, in words: "" for a record, which never waited."""
    if case.kind not in REVIEW_KINDS:
        return ""
    if case.status == "open":
        return "state: open (waiting for a moderator)"
    line = f"state: {case.status}" + (f" by {case.status_by}" if case.status_by else "")
    return line + (f": {case.status_reason}" if case.status_reason else "")
