"""`replay`: a JSONL transcript through the core, or through two configs to compare decisions."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from bot import config as config_mod
from bot.cli.bars import progress_bars
from bot.cli.common import close_store
from bot.errors import ReplayError
from bot.progress import Progress, silent

log = logging.getLogger(__name__)


async def _replay(settings: config_mod.Settings, file: str, store_path: str | None) -> int:
    from bot import replay

    steps = replay.parse(_read_lines(file))
    with progress_bars() as progress:
        await _replay_once(settings, steps, store_path, out=sys.stdout, progress=progress)
    return 0


async def _replay_once(
    settings: config_mod.Settings,
    steps: list[Any],
    store_path: str | None,
    *,
    out: TextIO | None,
    progress: Progress = silent,
    stage: str = "replaying (lines)",
) -> list[dict[str, Any]]:
    from bot import replay
    from bot.app import make_runtime, make_store

    with tempfile.TemporaryDirectory(prefix="threadkeeper-replay-") as tmp:
        store = await make_store(settings, store_path or str(Path(tmp) / "replay.db"))
        runtime = None
        try:
            adapter = replay.ReplayAdapter()
            clock = replay.ReplayClock()
            runtime = await make_runtime(
                settings, adapters={replay.PLATFORM: adapter}, store=store, clock=clock
            )
            return await replay.run(
                steps,
                runtime=runtime,
                adapter=adapter,
                clock=clock,
                out=out,
                progress=progress,
                stage=stage,
            )
        finally:
            if runtime is not None:
                await runtime.assistant.aclose()
            await close_store(store)


async def _compare(base: config_mod.Settings, other: config_mod.Settings, file: str) -> int:
    """The same transcript under two configs, and where their decisions differ."""
    from bot import replay

    steps = replay.parse(_read_lines(file))
    with progress_bars() as progress:
        a = await _replay_once(
            base, steps, None, out=None, progress=progress, stage="replaying, base config"
        )
        b = await _replay_once(
            other, steps, None, out=None, progress=progress, stage="replaying, other config"
        )
    diffs = replay.differences(a, b)
    print(f"base:  {base.source}\nother: {other.source}\ntranscript: {file}\n")
    for event, thread, acts_a, acts_b in diffs:
        print(f"event {event} ({thread}):")
        print(f"  base:  {', '.join(acts_a) or '-'}")
        print(f"  other: {', '.join(acts_b) or '-'}")
    sa, sb = replay.summary(a), replay.summary(b)
    print(f"\n{len(diffs)} event(s) differ." if diffs else "The two configs decide alike.")
    print(f"{'':<18}{'base':>6}{'other':>7}")
    for kind in sa:
        print(f"{kind:<18}{sa[kind]:>6}{sb[kind]:>7}")
    return 0


def _read_lines(file: str) -> list[str]:
    """The transcript's lines; a line that is not UTF-8 is a ReplayError naming it.

    Split on newlines only: `str.splitlines` would also split inside a JSON string holding a
    U+2028 or U+0085, which JSON allows unescaped.
    """
    if file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise ReplayError(0, f"cannot read {file} ({exc.strerror})") from None
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.removesuffix(b"\r").decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ReplayError(number, f"not UTF-8 text (byte {exc.start + 1})") from None
    if lines and not lines[-1]:
        lines.pop()
    return lines
