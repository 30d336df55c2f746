"""Measure the local screen against the shared labelled texts.

The screen is the one signal that never waits for the network, so its recall on crisis messages
and its false alarms on texts that only look alarming are worth knowing per source, not just
overall. The labelled file lives outside the project (it is not ours to ship); when it is absent
this prints a note and exits 0 so CI without the data still passes.

Usage (from the project root):
    .venv/bin/python bench/eval_screen.py [path/to/dev.jsonl] [--misses KIND]

KIND is one of risk, end_request, false_alarm, harmful: print the rows of that kind the screen
got wrong, to study the phrase families it misses.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.safety.screen import ScreenResult, screen

SHORT = 200  # characters; most chat messages are shorter than this
DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev.jsonl"


class _Tally:
    def __init__(self) -> None:
        self.risk = [0, 0]  # [hit, total]
        self.end = [0, 0]
        self.false_alarm = [0, 0]
        self.harm_hit = [0, 0]  # harmful rows flagged harmful or abusive
        self.harm_flags = [0, 0]  # [flags on harmful rows, all flags]

    def add(self, expect: str, r: ScreenResult) -> None:
        flagged = r.harmful or r.abusive
        if expect == "risk":
            self.risk[1] += 1
            self.risk[0] += r.risk != "none"
        elif expect == "end_request":
            self.end[1] += 1
            self.end[0] += r.end_request
        elif expect == "benign":
            self.false_alarm[1] += 1
            self.false_alarm[0] += r.risk != "none" or r.end_request
        if expect == "harmful":
            self.harm_hit[1] += 1
            self.harm_hit[0] += flagged
        if flagged:
            self.harm_flags[1] += 1
            self.harm_flags[0] += expect == "harmful"


def _ratio(pair: list[int]) -> str:
    hit, total = pair
    if total == 0:
        return "-"
    return f"{hit / total:.3f} ({hit}/{total})"


def _is_miss(kind: str, expect: str, r: ScreenResult) -> bool:
    if kind == "risk":
        return expect == "risk" and r.risk == "none"
    if kind == "end_request":
        return expect == "end_request" and not r.end_request
    if kind == "false_alarm":
        return expect == "benign" and (r.risk != "none" or r.end_request)
    if kind == "harmful":
        return expect == "harmful" and not (r.harmful or r.abusive)
    return False


def main(argv: list[str] | None = None) -> int:
    """Print per-source recall and false-alarm figures and the mean time per call."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--misses", choices=("risk", "end_request", "false_alarm", "harmful"), default=None
    )
    args = parser.parse_args(argv)
    path: Path = args.path
    if not path.is_file():
        print(f"eval file not found: {path} (nothing to measure)")
        return 0

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    results: list[ScreenResult] = []
    short_time, short_rows = 0.0, 0
    started = time.perf_counter()
    for row in rows:
        t0 = time.perf_counter()
        results.append(screen(row["text"]))
        if len(row["text"]) <= SHORT:
            short_time += time.perf_counter() - t0
            short_rows += 1
    elapsed = time.perf_counter() - started

    misses: list[tuple[str, str, ScreenResult]] = []
    for row, result in zip(rows, results, strict=True):
        source = row["source"].split(":", 1)[0]
        for key in (source, "ALL"):
            tallies[key].add(row["expect"], result)
        if args.misses and _is_miss(args.misses, row["expect"], result):
            misses.append((row["source"], row["text"], result))

    headers = (
        "source",
        "risk recall",
        "end_request recall",
        "false alarms (benign)",
        "harmful recall",
        "harmful precision",
    )
    table = [
        (
            name,
            _ratio(t.risk),
            _ratio(t.end),
            _ratio(t.false_alarm),
            _ratio(t.harm_hit),
            _ratio(t.harm_flags),
        )
        for name, t in sorted(tallies.items(), key=lambda kv: (kv[0] == "ALL", kv[0]))
    ]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in table:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    print()
    print(f"rows: {len(rows)}; mean {elapsed / len(rows) * 1e6:.1f} µs per screen() call")
    if short_rows:
        print(
            f"rows of at most {SHORT} characters (chat-sized): {short_rows}; "
            f"mean {short_time / short_rows * 1e6:.1f} µs per call"
        )

    for source, text, result in misses:
        flat = " ".join(text.split())
        print(f"\n[{source}] {flat[:300]}\n    -> {result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
