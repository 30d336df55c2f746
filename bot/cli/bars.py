"""Progress bars for the long commands, on stderr and only on a terminal (tqdm).

The commands' machine output (replay's JSON lines, an export, the summaries) goes to stdout and is
never touched: the bars are drawn on stderr, and only when stderr is a terminal and `--quiet` was
not given, so a pipe, a file, a cron job or CI sees exactly what it saw before. Each stage the work
reports (`bot.progress`) gets its own bar; stages come one after another, so a new stage closes
the one before. Work on aiosqlite's worker thread reports from there; tqdm takes its own lock.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Never, TextIO

from bot.progress import Progress, silent

if TYPE_CHECKING:
    from tqdm import tqdm

#: Set once by `main` from `--quiet`.
_quiet = threading.Event()


def set_quiet(quiet: bool) -> None:
    """No bars for this process (`--quiet`)."""
    if quiet:
        _quiet.set()
    else:
        _quiet.clear()


class Bars:
    """A `bot.progress.Progress` that draws one tqdm bar per stage on `stream`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bars: dict[str, tqdm[Never]] = {}
        self._lock = threading.Lock()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Move the stage's bar to `done` (of `total`), closing an earlier stage's."""
        with self._lock:
            bar = self._bars.get(stage)
            if bar is None:
                # Only a command that draws a bar pays for the import.
                from tqdm import tqdm as make_bar

                self._close_all()
                bar = make_bar(
                    total=total,
                    desc=stage,
                    file=self._stream,
                    unit="",
                    dynamic_ncols=True,
                    leave=True,
                    mininterval=0.2,
                )
                self._bars[stage] = bar
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

    def close(self) -> None:
        """Finish every bar (each is left on screen at its last count)."""
        with self._lock:
            self._close_all()

    def _close_all(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()


def wanted(stream: TextIO | None = None) -> bool:
    """True when bars should be drawn: stderr is a terminal and `--quiet` was not given."""
    stream = stream or sys.stderr
    return not _quiet.is_set() and stream.isatty()


@contextmanager
def progress_bars(stream: TextIO | None = None) -> Iterator[Progress]:
    """A progress callback for the body of the `with`: bars on a terminal, else `silent`."""
    target = stream or sys.stderr
    if not wanted(target):
        yield silent
        return
    bars = Bars(target)
    try:
        yield bars
    finally:
        bars.close()
