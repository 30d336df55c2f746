"""Per-thread lanes: one thread's events are handled one at a time, different threads side by side.

A lane is an asyncio.Lock per busy thread, dropped when the thread goes idle so idle threads cost
no memory. On a store that several processes share, entering a lane also takes the store's lock on
the thread, so the thread is serialised across processes too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Lanes:
    """One asyncio.Lock per busy thread, dropped when idle so idle threads cost no memory."""

    def __init__(
        self,
        cross_process: Callable[[str], contextlib.AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.cross_process = cross_process

    async def __call__(self, key: str) -> Lane:
        """The lane of thread `key`, to enter with `async with`."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        return Lane(self, key, lock)

    def release(self, key: str) -> None:
        """One user of `key`'s lock is done; the lock goes with its last user."""
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class Lane:
    """One thread's turn to run: its lock (and the store's, if shared) while entered."""

    def __init__(self, lanes: Lanes, key: str, lock: asyncio.Lock) -> None:
        self._lanes, self._key, self._lock = lanes, key, lock
        self._shared: contextlib.AbstractAsyncContextManager[None] | None = None

    async def __aenter__(self) -> None:
        try:
            await self._lock.acquire()
        except BaseException:
            self._lanes.release(self._key)
            raise
        if self._lanes.cross_process is not None:
            # A store that several processes share serialises the thread across them too.
            shared = self._lanes.cross_process(self._key)
            try:
                await shared.__aenter__()
            except BaseException:
                self._lock.release()
                self._lanes.release(self._key)
                raise
            self._shared = shared

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._shared is not None:
                await self._shared.__aexit__(None, None, None)
        finally:
            self._lock.release()
            self._lanes.release(self._key)
