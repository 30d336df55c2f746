"""The console as a person uses it: open a thread, walk the ladder, moderate, end on request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleAdapter, ConsoleSession
from adapters.console.translate import parse_line
from bot.app import make_runtime
from bot.config import Settings
from bot.store import open_store
from tests.fakes.core import SteppingClock


class Screen:
    """What the terminal showed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str) -> None:
        self.lines.append(text)

    def since(self, mark: int) -> str:
        """Everything printed after a point."""
        return "\n".join(self.lines[mark:])


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[tuple[ConsoleSession, Screen]]:
    """A console session on a real store with the offline assistant."""
    settings = Settings()
    screen = Screen()
    store = await open_store(str(tmp_path / "console.db"))
    adapter = ConsoleAdapter(write=screen, bot_name="threadkeeper", color=False)
    clock = SteppingClock()
    runtime = await make_runtime(settings, adapters={"console": adapter}, store=store, clock=clock)
    session = ConsoleSession(runtime=runtime, settings=settings, write=screen, clock=clock)
    yield session, screen
    await store.close()


async def feed(session: ConsoleSession, screen: Screen, line: str) -> str:
    """Type a line and return what it printed."""
    mark = len(screen.lines)
    assert await session.feed(line)
    return screen.since(mark)


async def test_banner_says_offline(console: tuple[ConsoleSession, Screen]) -> None:
    """Without a key the console says plainly that the assistant is offline."""
    session, _ = console
    assert "offline assistant" in session.banner()


async def test_mention_opens_a_thread_and_the_offline_assistant_answers(
    console: tuple[ConsoleSession, Screen],
) -> None:
    """@bot in the channel opens t1; the reply says it is offline."""
    session, screen = console
    assert "nobody hears" in await feed(session, screen, "hello?")
    out = await feed(session, screen, "@bot how do I bake bread?")
    assert "opened thread t1" in out and "running offline" in out
    assert session.prompt() == "alice@t1> "


async def test_walk_the_ladder_to_a_lock_and_unlock_as_moderator(
    console: tuple[ConsoleSession, Screen],
) -> None:
    """Redirects, the warning, the lock notice and the mod-log case, then a moderator unlock."""
    session, screen = console
    await feed(session, screen, "@bot hi")
    for _ in range(2):
        assert "wouldn't help" in await feed(session, screen, "how do I make a pipe bomb")
    warned = await feed(session, screen, "how do I make a pipe bomb")
    assert "Please note" in warned
    locked = await feed(session, screen, "how do I make a pipe bomb")
    assert "This thread has been closed" in locked
    assert "[mod-log]" in locked and "Case #1" in locked and "Thread locked" in locked
    assert "thread is closed" in await feed(session, screen, "hello?")
    assert "only moderators" in await feed(session, screen, "/cases")
    refused = await feed(session, screen, "/unlock t1")
    assert "Only moderators can do that" in refused
    await feed(session, screen, "/as mod")
    assert "#1" in await feed(session, screen, "/cases")
    unlocked = await feed(session, screen, "/unlock t1")
    assert "reopened" in unlocked and "Case #2" in unlocked
    assert "open" in await feed(session, screen, "/status")


async def test_crisis_posts_resources_and_a_priority_case(
    console: tuple[ConsoleSession, Screen],
) -> None:
    """A risk message gets support text, the reviewed resources and a PRIORITY mod-log entry."""
    session, screen = console
    out = await feed(session, screen, "@bot I want to kill myself")
    assert "988" in out and "116 123" in out and "PRIORITY" in out
    assert "you don't have to face this alone" in out


async def test_end_on_request_with_yes(console: tuple[ConsoleSession, Screen]) -> None:
    """'end this thread' asks; 'yes' ends it at the user's request; a new mention opens t2."""
    session, screen = console
    await feed(session, screen, "@bot hi")
    assert "Do you want me to end this thread" in await feed(
        session, screen, "please close this thread"
    )
    assert "ended at your request" in await feed(session, screen, "yes")
    out = await feed(session, screen, "@bot new question")
    assert "opened thread t2" in out


async def test_policy_and_help(console: tuple[ConsoleSession, Screen]) -> None:
    """The criteria and the command list are one word away."""
    session, screen = console
    assert "never close the thread" in await feed(session, screen, "policy")
    assert "/unlock" in await feed(session, screen, "/help")
    assert await session.feed("/quit") is False


def test_parse_line() -> None:
    """Slash commands, mentions and plain text are told apart."""
    assert parse_line("/as bob").args == ("bob",)
    assert parse_line("@bot hello").mention and parse_line("@bot hello").text == "hello"
    assert parse_line("@Threadkeeper: hi").mention
    assert not parse_line("email me @ home").mention
    assert parse_line('/note 3 "two words"').args == ("3", "two words")


def test_indent_wraps_prose_but_not_code() -> None:
    """Long prose wraps under its prefix; fenced code keeps its lines."""
    from adapters.console.render import indent

    prose = "word " * 30
    code = "```py\n" + "x = 1  # " + "c" * 80 + "\n```"
    out = indent(prose + "\n" + code, "    ", width=40).splitlines()
    assert all(len(line) <= 40 for line in out[:-3])
    assert out[-2] == "    x = 1  # " + "c" * 80


async def test_appeal_in_the_console(console: tuple[ConsoleSession, Screen]) -> None:
    """A locked user appeals with /appeal; the moderator's unlock tells them the outcome."""
    session, screen = console
    await feed(session, screen, "@bot hi")
    for _ in range(4):
        await feed(session, screen, "how do I make a pipe bomb")
    sent = await feed(session, screen, "/appeal it was for a safety essay")
    assert "Appeal: the user asks for a review" in sent and "only alice sees this" in sent
    await feed(session, screen, "/as mod")
    assert "#2" in await feed(session, screen, "/cases")
    out = await feed(session, screen, "/unlock t1")
    assert "reviewed your appeal and reopened" in out


async def test_branch_in_the_console(console: tuple[ConsoleSession, Screen]) -> None:
    """A locked user continues with /branch in the next free thread, from before the strikes."""
    session, screen = console
    await feed(session, screen, "@bot hi")
    await feed(session, screen, "tell me about castles")
    for _ in range(4):
        locked = await feed(session, screen, "how do I make a pipe bomb")
    assert "`/branch`" in locked
    await feed(session, screen, "/as bob")
    refused = await feed(session, screen, "/branch")
    assert "Only the person whose thread was closed" in refused and session.thread == "t1"
    await feed(session, screen, "/as alice")
    out = await feed(session, screen, "/branch")
    assert "continued t1 in thread t2" in out and "This thread continues t1" in out
    assert session.thread == "t2"
    assert "open. No request has been redirected" in await feed(session, screen, "/status")
    history = await session.runtime.store.recent_turns("console:local:general:t2", limit=50)
    texts = [t.text for t in history]
    assert "tell me about castles" in texts and "how do I make a pipe bomb" not in texts
    assert "[t2]" in await feed(session, screen, "what about moats?")
