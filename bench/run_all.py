"""Every benchmark in one run, one table: the screen on the eval file, Claude's latency and caching
against the fake, and the core's overhead, concurrency, memory, growth, recovery, store calls per
turn, CLI start-up and the rate limiter at many users (bench_core, with bench_startup and
bench_limits). bench_scale (PostgreSQL, several processes) and bench_ops run apart.

Run: .venv/bin/python bench/run_all.py   (about three minutes on the 2-core machine)
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_core  # noqa: E402


def run(script: str) -> str:
    """Another benchmark script's output."""
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout


def main() -> None:
    """Run all, print one table."""
    start = time.perf_counter()
    screen = run("eval_screen.py").splitlines()
    overall = next((line for line in screen if line.startswith("ALL")), "eval file absent")
    claude = [
        line.strip() for line in run("bench_claude.py").splitlines() if line.startswith("   ")
    ]
    rows = asyncio.run(bench_core.main([]))
    print("local screen on ../shared/eval/dev.jsonl (risk recall, end recall, false alarms, ...):")
    print("  " + overall)
    print("\nClaude (local fake):")
    print("\n".join("  " + line for line in claude))
    print("\ncore:")
    print(bench_core.show(rows))
    print(f"\nall benchmarks in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
