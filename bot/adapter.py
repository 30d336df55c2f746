"""What the core asks of a platform adapter.

An adapter translates its platform's events into `bot.records` events (fed to the runtime) and
carries out the `Action`s the runtime hands it. It declares what it can do in `supports`; the
runtime treats an action outside that set as an error (UnsupportedAction), never as silence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from bot.records import Action, ActionKind, Case, ThreadRef

if TYPE_CHECKING:
    from bot.runtime import Runtime


class Adapter(Protocol):
    """A platform as the core sees it."""

    platform: str
    supports: frozenset[ActionKind]

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Carry out one fixed-text action (notice, lock, case, ...).

        `key` is stable across retries and restarts: platforms that honour an idempotency key use
        it so that an action retried after a crash is not posted twice. `retry` is true when this
        action may already have been attempted (a retry, or an action owed from before a restart
        or by a dead process): a platform without idempotency keys should look for the key's
        earlier post before posting again. `case` is given for actions that name a case (the
        case itself, a lock). Raise DeliveryError on failure.

        For a `case` or `case_update` action the adapter may return where it shows the case (a
        message reference of its own making); the core stores it in `Case.post`, and a later
        `case_update` of that case (its new state, a grouped signal) edits that message in place.
        A `case_update` with `priority` set also alerts the moderators again (the ping, where the
        platform has one).
        """
        ...

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Show the assistant's reply as it streams; returns the text shown."""
        ...


class Service(Adapter, Protocol):
    """An adapter that connects to its platform and feeds events to the runtime.

    `python -m bot run` builds every configured service, one runtime over all of them (one store,
    one set of thread lanes), then runs each service's `serve` on the same event loop.
    """

    def attach(self, runtime: Runtime) -> None:
        """Give the service its runtime (before `serve`: recovery may carry out actions first)."""
        ...

    def connected(self) -> bool:
        """True while the platform connection is up (the readiness check reads it)."""
        ...

    async def check(self) -> list[str]:
        """Start-up checks (tokens, channels, permissions): one plain sentence per problem."""
        ...

    async def serve(self, runtime: Runtime) -> None:
        """Connect and feed platform events to `runtime.handle` until cancelled."""
        ...


#: Everything an adapter must support for the full ladder.
ALL_ACTIONS: frozenset[ActionKind] = frozenset(
    {
        "reply",
        "redirect",
        "warn",
        "lock",
        "end",
        "crisis_resources",
        "confirm_end",
        "notice",
        "unlock",
        "case",
        "case_update",
        "ignored",
        "private_notice",
    }
)
