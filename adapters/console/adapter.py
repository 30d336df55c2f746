"""The console: the same core in a terminal, with several users and the mod log as it happens.

It is how a newcomer tries the bot in one command and how a moderator tries a policy change; the
tests drive `ConsoleSession.feed` directly, so what a person sees is what the tests read.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime

from adapters.console.render import action_text, case_text, indent, paint
from adapters.console.translate import COMMANDS, Line, parse_line
from bot import notices, review
from bot.adapter import ALL_ACTIONS
from bot.config import Settings
from bot.modlog import render_text
from bot.records import (
    Action,
    Appeal,
    Author,
    Branch,
    Case,
    EndConfirmation,
    Incoming,
    ModCommand,
    ModCommandKind,
    ThreadRef,
)
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "console"
POLICY_COMMAND = "the `policy` command"
BRANCH_COMMAND = "type `/branch` in this thread"
APPEAL_COMMAND = "type `/appeal WHY IT SHOULD REOPEN` in this thread"


def for_console(text: str) -> str:
    """A fixed text with the console's commands filled in."""
    return notices.for_platform(
        text,
        policy_command=POLICY_COMMAND,
        branch_command=BRANCH_COMMAND,
        appeal_command=APPEAL_COMMAND,
    )


WORKSPACE = "local"
CHANNEL = "general"

Write = Callable[[str], None]


def thread_ref(name: str) -> ThreadRef:
    """The console's address for a thread."""
    return ThreadRef(platform=PLATFORM, workspace=WORKSPACE, channel=CHANNEL, thread=name)


class ConsoleAdapter:
    """Carries out actions by printing them."""

    platform = PLATFORM
    supports = ALL_ACTIONS

    def __init__(self, *, write: Write, bot_name: str, color: bool) -> None:
        self._write = write
        self._bot = bot_name
        self._color = color

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Print a notice, a closure, or a case in the mod-log pane."""
        if action.kind in ("case", "case_update"):
            if case is not None:
                updated = action.kind == "case_update"
                alert = "moderators alerted again" if updated and action.priority else ""
                changed = "updated" if updated else ""
                self._write(case_text(case, color=self._color, changed=changed, alert=alert))
            return None
        if action.kind == "ignored":
            reminder = for_console(action.text) if action.text else "this thread is closed"
            self._write(paint(f"[{action.thread.thread}] ({reminder})", "info", color=self._color))
            return None
        text = for_console(action.text)
        self._write(action_text(replace(action, text=text), bot_name=self._bot, color=self._color))
        return None

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Print the reply as it streams in."""
        parts = []
        async for chunk in chunks:
            parts.append(chunk)
        text = "".join(parts)
        head = paint(f"[{thread.thread}] {self._bot}:", "bot", color=self._color)
        self._write(f"{head}\n{indent(text, '    ')}")
        return text


class ConsoleSession:
    """The state of one person at the terminal: who they speak as and where."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        settings: Settings,
        write: Write,
        clock: Callable[[], datetime],
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.write = write
        self.clock = clock
        self.user = settings.console.users[0]
        self.thread: str | None = None
        self._color = settings.console.color

    # --- what the person sees --------------------------------------------------------------------

    def banner(self) -> str:
        """The first lines printed: what this is, which assistant, how to begin."""
        offline = not self.runtime.assistant.is_model
        who = (
            "offline assistant (no ANTHROPIC_API_KEY: fixed replies; the local screen decides)"
            if offline
            else f"Claude ({self.settings.assistant.reply_model})"
        )
        users = ", ".join(self.settings.console.users)
        mods = ", ".join(self.settings.console.moderators)
        return (
            f"{self.settings.name} console · {who}\n"
            f"Users: {users}; moderators: {mods}. You are {self.user}, in #{CHANNEL}.\n"
            "Mention the bot to open a thread:  @bot hello   ·   /help for commands"
        )

    def prompt(self) -> str:
        """Where the next line goes."""
        return f"{self.user}@{self.thread or '#' + CHANNEL}> "

    def is_moderator(self, name: str | None = None) -> bool:
        """Console moderators are the names the config lists."""
        return (name or self.user) in self.settings.console.moderators

    def author(self) -> Author:
        """The current speaker."""
        return Author(id=self.user, name=self.user, is_moderator=self.is_moderator())

    # --- input -----------------------------------------------------------------------------------

    async def feed(self, raw: str) -> bool:
        """Handle one typed line; False when the person asked to quit."""
        line = parse_line(raw)
        if line.command:
            return await self._command(line)
        if not line.text.strip():
            return True
        if line.mention and (self.thread is None or not await self._is_open(self.thread)):
            await self._open_thread(line.text)
            return True
        if self.thread is None:
            self.write(self._info("(nobody hears that: mention @bot to open a thread)"))
            return True
        await self._say(self.thread, line.text, opens=False)
        return True

    async def _open_thread(self, text: str) -> None:
        name = await self._next_thread_name()
        self.thread = name
        self.write(self._info(f"── {self.user} opened thread {name} ──"))
        await self._say(name, text or "hello", opens=True)

    async def _say(self, thread: str, text: str, *, opens: bool) -> None:
        event = Incoming(
            event_id=f"console-{uuid.uuid4().hex}",
            thread=thread_ref(thread),
            author=self.author(),
            text=text,
            at=self.clock(),
            opens_thread=opens,
        )
        await self.runtime.handle(event)

    async def _next_thread_name(self) -> str:
        taken = {
            t.ref.thread for t in await self.runtime.store.threads(platform=PLATFORM, limit=10_000)
        }
        n = len(taken) + 1
        while f"t{n}" in taken:
            n += 1
        return f"t{n}"

    async def _is_open(self, name: str) -> bool:
        state = await self.runtime.store.load_thread(thread_ref(name).key)
        return state is not None and state.status not in ("locked", "ended")

    def _info(self, text: str) -> str:
        return paint(text, "info", color=self._color)

    # --- commands --------------------------------------------------------------------------------

    async def _command(self, line: Line) -> bool:
        name, args = line.command, line.args
        if name in ("quit", "exit", "q"):
            return False
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is None:
            self.write(self._info(f"unknown command /{name}; /help lists them"))
            return True
        # Moderator actions still go to the core, which refuses them and says so in the thread;
        # reads are simply refused here.
        if name in ("case", "cases") and not self.is_moderator():
            self.write(self._info("only moderators can look up cases (/as mod)"))
            return True
        await handler(line, args)
        return True

    async def _cmd_help(self, line: Line, args: tuple[str, ...]) -> None:
        rows = [f"  /{k:<8} {v}" for k, v in COMMANDS.items()]
        self.write(
            "Commands:\n" + "\n".join(rows) + "\n  @bot TEXT   open a thread (in the channel)"
        )

    async def _cmd_policy(self, line: Line, args: tuple[str, ...]) -> None:
        self.write(self.runtime.policy_text())

    async def _cmd_as(self, line: Line, args: tuple[str, ...]) -> None:
        if len(args) != 1:
            self.write(self._info("usage: /as NAME"))
            return
        self.user = args[0]
        role = " (moderator)" if self.is_moderator() else ""
        self.write(self._info(f"you are now {self.user}{role}"))

    async def _cmd_users(self, line: Line, args: tuple[str, ...]) -> None:
        c = self.settings.console
        self.write(f"users: {', '.join(c.users)}\nmoderators: {', '.join(c.moderators)}")

    async def _cmd_threads(self, line: Line, args: tuple[str, ...]) -> None:
        threads = await self.runtime.store.threads(platform=PLATFORM, limit=50)
        if not threads:
            self.write(self._info("no threads yet: mention @bot to open one"))
            return
        rows = [
            f"  {t.ref.thread:<6} {t.status:<7} owner {t.owner:<8} strikes {t.strikes}"
            for t in sorted(threads, key=lambda t: t.opened_at)
        ]
        self.write("threads:\n" + "\n".join(rows))

    async def _cmd_go(self, line: Line, args: tuple[str, ...]) -> None:
        if len(args) != 1 or await self.runtime.store.load_thread(thread_ref(args[0]).key) is None:
            self.write(self._info("usage: /go THREAD (see /threads)"))
            return
        self.thread = args[0]

    async def _cmd_leave(self, line: Line, args: tuple[str, ...]) -> None:
        self.thread = None

    async def _cmd_status(self, line: Line, args: tuple[str, ...]) -> None:
        name = args[0] if args else self.thread
        state = await self.runtime.store.load_thread(thread_ref(name).key) if name else None
        if state is None:
            self.write(self._info("not in a thread: /go THREAD or mention @bot"))
            return
        p = self.settings.policy
        text = notices.thread_status(
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
        self.write(f"{name} (owner {state.owner}): {for_console(text)}")

    async def _cmd_appeal(self, line: Line, args: tuple[str, ...]) -> None:
        if self.thread is None or not line.text.strip():
            self.write(self._info("usage, inside the closed thread: /appeal WHY IT SHOULD REOPEN"))
            return
        await self.runtime.handle(
            Appeal(
                event_id=f"console-{uuid.uuid4().hex}",
                thread=thread_ref(self.thread),
                author=self.author(),
                statement=line.text,
                at=self.clock(),
            )
        )

    async def _cmd_branch(self, line: Line, args: tuple[str, ...]) -> None:
        if self.thread is None:
            self.write(self._info("usage, inside the locked thread: /branch"))
            return
        old = self.thread
        name = await self._next_thread_name()
        outcome = await self.runtime.handle(
            Branch(
                event_id=f"console-{uuid.uuid4().hex}",
                thread=thread_ref(old),
                author=self.author(),
                at=self.clock(),
                new_thread=thread_ref(name),
                label=old,
            )
        )
        if outcome.verdict == "branch":
            self.thread = name
            self.write(self._info(f"── {self.user} continued {old} in thread {name} ──"))

    async def _cmd_yes(self, line: Line, args: tuple[str, ...]) -> None:
        await self._confirm(True)

    async def _cmd_no(self, line: Line, args: tuple[str, ...]) -> None:
        await self._confirm(False)

    async def _confirm(self, confirmed: bool) -> None:
        if self.thread is None:
            self.write(self._info("not in a thread"))
            return
        await self.runtime.handle(
            EndConfirmation(
                event_id=f"console-{uuid.uuid4().hex}",
                thread=thread_ref(self.thread),
                author=self.author(),
                confirmed=confirmed,
                at=self.clock(),
            )
        )

    async def _cmd_case(self, line: Line, args: tuple[str, ...]) -> None:
        if len(args) != 1 or not args[0].lstrip("#").isdigit():
            self.write(self._info("usage: /case N"))
            return
        case = await self.runtime.store.case(workspace=WORKSPACE, number=int(args[0].lstrip("#")))
        self.write(render_text(case) if case else self._info("no such case"))

    async def _cmd_cases(self, line: Line, args: tuple[str, ...]) -> None:
        everything = await self.runtime.store.cases(workspace=WORKSPACE, limit=100_000)
        if args[:1] == ("all",):
            recent = everything[:20]
            if not recent:
                self.write(self._info("no cases yet"))
                return
            self.write("recent cases:\n" + review.render_table(recent))
            return
        self.write(review.render_queue(everything, now=self.clock()))
        self.write(review.render_reversals(review.reversals(everything)))

    async def _cmd_ack(self, line: Line, args: tuple[str, ...]) -> None:
        await self._on_case("acknowledge", args, usage="/ack CASE [reason]")

    async def _cmd_resolve(self, line: Line, args: tuple[str, ...]) -> None:
        await self._on_case("resolve", args, usage="/resolve CASE [reason]")

    async def _on_case(self, command: ModCommandKind, args: tuple[str, ...], *, usage: str) -> None:
        if not args or not args[0].lstrip("#").isdigit():
            self.write(self._info(f"usage: {usage}"))
            return
        await self._moderate(command, case=int(args[0].lstrip("#")), note=" ".join(args[1:]))

    async def _cmd_lock(self, line: Line, args: tuple[str, ...]) -> None:
        named = bool(args) and await self._hosted(args[0])
        target = args[0] if named else self.thread
        reason = " ".join(args[1:] if named else args)
        if target is None:
            self.write(self._info("usage: /lock [THREAD] REASON (the user reads the reason)"))
            return
        await self._moderate("lock", thread=target, note=reason)

    async def _cmd_unlock(self, line: Line, args: tuple[str, ...]) -> None:
        named = bool(args) and await self._hosted(args[0])
        target = args[0] if named else self.thread
        note = " ".join(args[1:] if named else args)
        if target is None:
            self.write(self._info("usage: /unlock [THREAD] [reason]"))
            return
        await self._moderate("unlock", thread=target, note=note)

    async def _cmd_uphold(self, line: Line, args: tuple[str, ...]) -> None:
        if args and args[0].lstrip("#").isdigit():
            await self._moderate("uphold", case=int(args[0].lstrip("#")), note=" ".join(args[1:]))
        elif args and await self._hosted(args[0]):
            await self._moderate("uphold", thread=args[0], note=" ".join(args[1:]))
        elif self.thread is not None:
            await self._moderate("uphold", thread=self.thread, note=" ".join(args))
        else:
            self.write(self._info("usage: /uphold [CASE|THREAD] [reason]"))

    async def _cmd_note(self, line: Line, args: tuple[str, ...]) -> None:
        if args and args[0].lstrip("#").isdigit():
            await self._moderate("note", case=int(args[0].lstrip("#")), note=" ".join(args[1:]))
        elif self.thread is not None and args:
            await self._moderate("note", thread=self.thread, note=" ".join(args))
        else:
            self.write(self._info("usage: /note CASE TEXT (or /note TEXT inside a thread)"))

    async def _cmd_pardon(self, line: Line, args: tuple[str, ...]) -> None:
        if not args:
            self.write(self._info("usage: /pardon USER|CASE [note]"))
            return
        if args[0].startswith("#") and args[0][1:].isdigit():
            await self._moderate("pardon", case=int(args[0][1:]), note=" ".join(args[1:]))
            return
        await self._moderate("pardon", user=args[0], note=" ".join(args[1:]))

    async def _hosted(self, name: str) -> bool:
        return await self.runtime.store.load_thread(thread_ref(name).key) is not None

    async def _moderate(
        self,
        command: ModCommandKind,
        *,
        thread: str | None = None,
        case: int | None = None,
        user: str | None = None,
        note: str = "",
    ) -> None:
        origin = thread_ref(thread or self.thread or "modlog")
        outcome = await self.runtime.handle(
            ModCommand(
                event_id=f"console-{uuid.uuid4().hex}",
                moderator=self.author(),
                command=command,
                at=self.clock(),
                origin=origin,
                thread=thread_ref(thread) if thread else None,
                case=case,
                user_id=user,
                note=note,
            )
        )
        if outcome.verdict not in ("refused", "duplicate"):
            numbers = ", ".join(f"#{c.number}" for c in outcome.cases)
            self.write(self._info(f"done: {command}" + (f" (case {numbers})" if numbers else "")))


async def read_lines(prompt: Callable[[], str]) -> AsyncIterator[str]:
    """Lines from stdin without blocking the event loop (works for a terminal, a pipe or a file)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except (ValueError, OSError):
        # A regular file cannot be watched by the event loop: read it line by line instead.
        while True:
            sys.stdout.write(prompt())
            sys.stdout.flush()
            raw = await asyncio.to_thread(sys.stdin.readline)
            if not raw:
                return
            yield raw
    else:
        while True:
            sys.stdout.write(prompt())
            sys.stdout.flush()
            data = await reader.readline()
            if not data:
                return
            yield data.decode("utf-8", errors="replace")
