"""How long the commands a person runs by hand take from exec to exit (or to ready), wall clock.

Each figure is the median of 10 runs of a fresh subprocess, after one run that is not counted.
Two conditions are measured, because this machine's shell sets PYTHONDONTWRITEBYTECODE=1 and
that alone changes the answer: "cached" runs with a bytecode cache (in a temporary folder, via
PYTHONPYCACHEPREFIX, so the worktree is not written), as any installed package has; "no cache"
compiles every module from source on every start. The targets apply to the cached figure (an
installed bot has its bytecode); the other is shown beside it.

Run: .venv/bin/python bench/bench_startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

Row = tuple[str, str, str, str]  # what, figure, target, verdict
RUNS = 10


def ok(good: bool) -> str:
    """A verdict column."""
    return "met" if good else "NOT MET"


def _env(cache: Path, *, write: bool) -> dict[str, str]:
    """The environment of a run: bytecode read from (and, with `write`, written to) `cache`.

    With a prefix Python reads no __pycache__ folder beside the sources either, so an empty
    `cache` that is never written means every module is compiled from source, every run.
    """
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(ROOT)}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _timed(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit of one run; a failed run is an error, not a figure."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return took


def median_wall(argv: list[str], env: dict[str, str], runs: int = RUNS) -> float:
    """The median of `runs` timed runs, after one untimed (it fills the bytecode cache)."""
    _timed(argv, env)
    return statistics.median(_timed(argv, env) for _ in range(runs))


def startup_rows(tmp: Path) -> list[Row]:
    """`replay` of a one-line file and `check-config`, each with and without bytecode."""
    line = tmp / "one.jsonl"
    line.write_text('{"thread": "t1", "user": "u1", "text": "@bot hello, can you help me?"}\n')
    config = ROOT / "config.example.toml"
    commands = [
        ("python -m bot replay <one-line file>", ["replay", str(line)], 0.250),
        ("python -m bot check-config config.example.toml", ["check-config", str(config)], 0.150),
    ]
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="tk-pyc-") as cache,
        tempfile.TemporaryDirectory(prefix="tk-nopyc-") as empty,
    ):
        for what, args, target in commands:
            argv = [sys.executable, "-m", "bot", *args]
            cached = median_wall(argv, _env(Path(cache), write=True))
            cold = median_wall(argv, _env(Path(empty), write=False))
            rows.append(
                (
                    f"{what}, wall, median of {RUNS}",
                    f"{cached * 1000:.0f} ms",
                    f"<= {target * 1000:.0f} ms",
                    ok(cached <= target),
                )
            )
            rows.append(("... the same without a bytecode cache", f"{cold * 1000:.0f} ms", "", ""))
        bare = median_wall([sys.executable, "-c", "pass"], _env(Path(cache), write=True))
    rows.append(
        (
            f"python -c pass (the interpreter alone), median of {RUNS}",
            f"{bare * 1000:.0f} ms",
            "",
            "",
        )
    )
    return rows


def show(rows: list[Row]) -> str:
    """One table."""
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'figure':>16}  {'target':>9}  verdict"]
    lines += [f"{w:<{width}}  {f:>16}  {t:>9}  {v}" for w, f, t, v in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="tk-startup-") as name:
        print(show(startup_rows(Path(name))))
