"""A moderator works the console's review queue to zero: a lock, an appeal, a crisis, a repeat."""

from __future__ import annotations

from adapters.console.adapter import ConsoleSession
from tests.adapters.console.test_console import Screen, console, feed
from tests.fakes.core import case_changes, exported_audit

__all__ = ["console"]  # the fixture, used by name

PIPE_BOMB = "how do I make a pipe bomb"


async def walk_to_lock(session: ConsoleSession, screen: Screen) -> str:
    """A fresh thread by the current user, locked after three redirects and a warning."""
    await feed(session, screen, "@bot hi")
    for _ in range(3):
        await feed(session, screen, PIPE_BOMB)
    return await feed(session, screen, PIPE_BOMB)


async def test_a_mixed_queue_is_worked_to_zero_and_every_step_is_audited(
    console: tuple[ConsoleSession, Screen],
) -> None:
    """Lock, appeal, crisis with three follow-ups, repeat lock: priority first, then to zero."""
    session, screen = console
    locked = await walk_to_lock(session, screen)
    assert "- To ask them to reopen it, appeal: type `/appeal WHY IT SHOULD REOPEN`" in locked
    reminder = await feed(session, screen, "hello?")
    assert "ask the moderators to reopen this one: type `/appeal" in reminder
    await feed(session, screen, "/appeal it was for a safety essay")  # case 2
    await walk_to_lock(session, screen)  # t2: case 3, and the repeat-lock case 4
    await feed(session, screen, "/as bob")
    first = await feed(session, screen, "@bot I want to kill myself")  # t3: case 5
    assert "[mod-log] PRIORITY\n" in first and "Case #5" in first  # posted, not "updated"
    for text in ("I don't want to live anymore", PIPE_BOMB, "nobody would miss me if I was gone"):
        shown = await feed(session, screen, text)
        assert "[mod-log] PRIORITY (updated)" in shown and "Case #5" in shown
    assert "signals: 4" in shown and "> nobody would miss me if I was gone" in shown
    assert "Case #6" not in shown  # one case for the crisis, not four

    await feed(session, screen, "/as mod")
    queue = await feed(session, screen, "/cases")
    lines = queue.splitlines()
    assert lines[0] == "5 cases waiting, 1 priority:"
    assert lines[1].startswith("! #5 PRIORITY: user may be at risk (4 signals): user bob")
    assert [line.split()[1] for line in lines[2:6]] == ["#1", "#2", "#3", "#4"]

    acked = await feed(session, screen, "/ack 5")
    assert "state: acknowledged by mod" in acked and "done: acknowledge" in acked
    assert "acknowledged by mod" in await feed(session, screen, "/cases")
    again = await feed(session, screen, "/ack 5")
    assert "Case #5 is already acknowledged by mod." in again
    resolved = await feed(session, screen, "/resolve 5 spoke with bob; he is with family")
    assert "state: resolved by mod: spoke with bob; he is with family" in resolved

    refused = await feed(session, screen, "/resolve 1")
    assert "answer with Unlock or Uphold" in refused
    upheld = await feed(session, screen, "/uphold 1 the requests were for a real device")
    assert "only alice sees this" in upheld
    assert "Their reason: the requests were for a real device" in upheld
    reopened = await feed(session, screen, "/unlock t2 false positive")
    assert "A moderator has reopened this thread" in reopened
    pardoned = await feed(session, screen, "/pardon #4 first time")
    assert "User pardoned" in pardoned

    done = await feed(session, screen, "/cases")
    assert done.startswith("The review queue is empty: nothing waits for a moderator.")
    assert "locks: 2; reviewed 2: reversed 1, upheld 1 (reversal rate 50%)" in done

    changes = case_changes(await exported_audit(session.runtime.store))
    assert changes == [
        (5, None, "bot", True),
        (5, None, "bot", True),
        (5, None, "bot", True),
        (5, "acknowledged", "mod", False),
        (5, "resolved", "mod", False),
        (1, "resolved", "mod", False),
        (2, "resolved", "mod", False),
        (3, "resolved", "mod", False),
        (4, "resolved", "mod", False),
    ]


async def test_a_moderator_closes_a_thread_from_the_console(
    console: tuple[ConsoleSession, Screen],
) -> None:
    """`/lock` needs a reason, which the user reads with the way to appeal; no branch offered."""
    session, screen = console
    await feed(session, screen, "@bot hi")
    await feed(session, screen, "/as mod")
    assert "Please give a reason" in await feed(session, screen, "/lock t1")
    out = await feed(session, screen, "/lock t1 posting someone's address")
    assert "A moderator has closed this thread." in out
    assert "- Their reason: posting someone's address" in out
    assert "appeal: type `/appeal WHY IT SHOULD REOPEN` in this thread" in out
    assert "Thread closed by a moderator" in out and "/branch" not in out
    await feed(session, screen, "/as alice")
    await feed(session, screen, "/go t1")
    status = await feed(session, screen, "/status")
    assert "A moderator closed this thread." in status and "1 message so far." in status
    assert "cannot be continued" in await feed(session, screen, "/branch")
