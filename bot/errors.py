"""The core's exceptions, in one place.

    ThreadkeeperError
    ├── ConfigError            a setting is wrong; one message per problem, naming the key
    ├── ReplayError            a replay file line is not valid; names the line
    ├── StoreError             the database could not complete a write; nothing half-written remains
    ├── UnsupportedAction      an adapter was asked to do what it declared it cannot do
    └── DeliveryError          a platform refused or failed an action; the outbox keeps it owed
        └── PermissionMissing  the bot lacks a platform permission (named) for the action

SDK and platform exceptions are caught in the adapters and the Claude client and translated into
these, so the runtime decides what to tell users and moderators without knowing any SDK.
"""

from __future__ import annotations


class ThreadkeeperError(Exception):
    """Base of every error the core raises on purpose."""


class ConfigError(ThreadkeeperError):
    """One or more settings are wrong; `problems` holds one readable sentence each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ReplayError(ThreadkeeperError):
    """A replay input line is malformed."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}")


class StoreError(ThreadkeeperError):
    """A store operation failed and was rolled back."""


class ShuttingDown(ThreadkeeperError):
    """The runtime is stopping and takes no new messages; the platform should deliver elsewhere."""


class UnsupportedAction(ThreadkeeperError):
    """An adapter cannot carry out this kind of action."""


class DeliveryError(ThreadkeeperError):
    """A platform failed to carry out an action; `retryable` says whether trying again may help.

    `nothing_shown` tells the runtime that a streamed reply failed before any of it was visible,
    so streaming it again from the start cannot show anything twice. `retry_after` is the seconds
    the platform asked the bot to wait (a 429's Retry-After), when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        nothing_shown: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.retryable = retryable
        self.nothing_shown = nothing_shown
        self.retry_after = retry_after
        super().__init__(message)


class PermissionMissing(DeliveryError):
    """The bot lacks a platform permission; `permission` names it for the mod log."""

    def __init__(self, permission: str, message: str = "") -> None:
        self.permission = permission
        super().__init__(message or f"missing permission: {permission}", retryable=False)
