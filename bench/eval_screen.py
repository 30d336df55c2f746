"""Measure the local screen: the rules, the learned scorer, and the two combined.

The screen is the one signal that never waits for the network, so its recall on crisis messages
and its false alarms on texts that only look alarming are worth knowing per source and per
language, not just overall, and on text the scorer never trained on:

- `../shared/eval/dev.jsonl`: labelled public texts kept for measuring (never trained on);
- held-out scores of the training corpus (`../shared/eval/train/`): each row scored by a model
  that did not see it, from `tools/train_risk_model.py --held-out FILE` (5 stratified folds), and
  with `--by-source` (each source scored by a model trained on the others: the estimate for
  text unlike anything trained on). Pass those files with `--cv` and `--by-source`.

It prints the scorer's precision/recall curve (a threshold per row), then, at the configured
thresholds (`[screen]`, or `--self`/`--others`), the per-source and per-language tables for the
rules alone, the scorer alone and the combination the bot runs. When the data is absent it says
so and exits 0, so CI without it still passes.

Usage (from the project root):
    .venv/bin/python bench/eval_screen.py [--cv bench/.cache/cv5.jsonl]
        [--by-source bench/.cache/loso.jsonl] [--config FILE] [--misses KIND]

KIND is one of risk, false_alarm, end_request, harmful: print the dev rows of that kind the
combined screen got wrong.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import ScreenSettings, load  # noqa: E402
from bot.safety.scorer import RiskScore, RiskScorer  # noqa: E402
from bot.safety.screen import Screen, ScreenResult  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
DEV = SHARED / "dev.jsonl"
TRAIN = SHARED / "train" / "train.jsonl.gz"
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)
SHORT = 200  # characters: most chat messages are shorter


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled text: `risk` True/False, or None when it is neither (harmful, end request)."""

    text: str
    source: str
    lang: str
    expect: str  # risk, benign, harmful, end_request
    score: RiskScore | None = None  # a held-out score, when measuring the training corpus


def dev_rows(path: Path = DEV) -> list[Row]:
    """The dev file's rows (English)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append(Row(r["text"], r["source"].split(":", 1)[0], "en", r["expect"]))
    return rows


def held_out_rows(path: Path, train: Path = TRAIN) -> list[Row]:
    """Training rows with the held-out scores `tools/train_risk_model.py --held-out` wrote."""
    # The scores file numbers rows after the left-out sources were dropped, as the trainer does.
    from tools.train_risk_model import load_rows

    kept, _ = load_rows(train)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        label = r["label"]
        rows.append(
            Row(
                kept[r["row"]]["text"],
                r["source"],
                r["lang"],
                "benign" if label == "benign" else "risk",
                RiskScore(
                    self_harm=r["self"], others=r["others"], benign=1 - r["self"] - r["others"]
                ),
            )
        )
    return rows


class Tally:
    """Risk recall and false alarms, counted per group."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    def add(self, groups: Iterable[str], *, expect: str, risk: bool) -> None:
        """Count one row under each of its groups."""
        for g in groups:
            c = self.counts[g]
            if expect == "risk":
                c[0] += risk
                c[1] += 1
            elif expect == "benign":
                c[2] += risk
                c[3] += 1

    def recall(self, group: str) -> str:
        """Risk recall of a group, as 'share (hits/total)'."""
        hit, total = self.counts[group][:2]
        return f"{hit / total:.3f} ({hit}/{total})" if total else "-"

    def false_alarms(self, group: str) -> str:
        """False alarms on a group's benign rows."""
        hit, total = self.counts[group][2:]
        return f"{hit / total:.3f} ({hit}/{total})" if total else "-"


def curve(rows: Sequence[Row], scores: Sequence[RiskScore], label: str) -> None:
    """Recall and false alarms of the scorer alone at each threshold (both classes)."""
    risky = [s for r, s in zip(rows, scores, strict=True) if r.expect == "risk"]
    benign = [s for r, s in zip(rows, scores, strict=True) if r.expect == "benign"]
    if not risky or not benign:
        return
    print(
        f"\n{label}: scorer alone, a threshold on both classes ({len(risky)} risk rows, "
        f"{len(benign)} benign)"
    )
    print("threshold  recall  false alarms")
    for t in THRESHOLDS:
        hit = sum(1 for s in risky if max(s.self_harm, s.others) >= t) / len(risky)
        fa = sum(1 for s in benign if max(s.self_harm, s.others) >= t) / len(benign)
        print(f"{t:>9.2f}  {hit:.3f}   {fa:.3f}")


def table(title: str, rows: Sequence[Row], readings: Mapping[str, Sequence[bool]], by: str) -> None:
    """Per-group recall and false alarms for each reading (rules, scorer, combined)."""
    tallies = {name: Tally() for name in readings}
    for i, row in enumerate(rows):
        group = row.source if by == "source" else row.lang
        for name, flags in readings.items():
            tallies[name].add((group, "ALL"), expect=row.expect, risk=flags[i])
    groups = sorted({g for t in tallies.values() for g in t.counts}, key=lambda g: (g == "ALL", g))
    print(f"\n{title}")
    head = ["group"] + [f"{n} recall" for n in readings] + [f"{n} false alarms" for n in readings]
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for g in groups:
        cells = [g if g != "ALL" else "**all**"]
        cells += [tallies[n].recall(g) for n in readings]
        cells += [tallies[n].false_alarms(g) for n in readings]
        print(" | ".join(cells))


def readings_of(
    rows: Sequence[Row], scores: Sequence[RiskScore], settings: ScreenSettings
) -> tuple[dict[str, list[bool]], list[ScreenResult]]:
    """Rules alone, scorer alone and combined, for every row, at the given thresholds."""
    rules = Screen(replace(settings, model=False))
    combined = Screen(settings, scorer=None)
    rule_flags, model_flags, both_flags, results = [], [], [], []
    for row, score in zip(rows, scores, strict=True):
        r = rules.read(row.text, RiskScore())  # no score: the rules alone
        c = combined.read(row.text, score)
        rule_flags.append(r.risk != "none")
        model_flags.append(
            score.self_harm >= settings.self_harm_threshold
            or score.others >= settings.others_threshold
        )
        both_flags.append(c.risk != "none")
        results.append(c)
    return {"rules": rule_flags, "scorer": model_flags, "combined": both_flags}, results


def timed(fn: Callable[[str], object], texts: Sequence[str], *, repeats: int) -> list[float]:
    """Seconds per call of fn on each text: the first call (cold caches) when repeats is 1,
    otherwise the fastest of `repeats` calls (what the code costs, not what the machine's other
    load added)."""
    out = []
    for t in texts:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            fn(t)
            best = min(best, time.perf_counter() - start)
        out.append(best)
    return out


def pct(values: Sequence[float], q: float) -> float:
    """The q-th quantile (0..1) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def speed(rows: Sequence[Row], extra: Sequence[str] = ()) -> None:
    """screen() time on chat-sized and 1,000-2,000 character texts, and the model's load cost."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    scorer = RiskScorer.load()
    load_ms = (time.perf_counter() - started) * 1e3
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    texts = [r.text for r in rows] + list(extra)
    short = [t for t in texts if len(t) <= SHORT]
    long = [t for t in texts if 1000 <= len(t) <= 2000]
    print("\nspeed of screen() (rules and scorer together), this machine:")
    for label, repeats in (("first call, cold caches", 1), ("fastest of 5", 5)):
        full = Screen(ScreenSettings(), scorer=RiskScorer.load())
        for name, sample in (("chat-sized (<= 200 chars)", short), ("1,000-2,000 chars", long)):
            if sample:
                t = timed(full, sample, repeats=repeats)
                print(
                    f"  {label}, {name}: {len(sample)} texts, p50 {statistics.median(t) * 1e6:.0f}"
                    f" µs, p99 {pct(t, 0.99) * 1e6:.0f} µs, max {max(t) * 1e6:.0f} µs"
                )
    print(
        f"  model load: {load_ms:.0f} ms, {scorer.size} features, max RSS grew {grown:.0f} MB "
        "while loading"
    )


def main(argv: list[str] | None = None) -> int:
    """Print the curve, the per-source and per-language tables, and the speed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--cv", type=Path, help="held-out scores from 5-fold training")
    parser.add_argument("--by-source", type=Path, help="held-out scores, one fold per source")
    parser.add_argument("--config", type=Path, help="a config whose [screen] to measure")
    parser.add_argument("--self", dest="self_t", type=float, help="self-harm threshold")
    parser.add_argument("--others", dest="others_t", type=float, help="others threshold")
    parser.add_argument("--misses", choices=("risk", "false_alarm", "end_request", "harmful"))
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args(argv)

    settings = load(args.config).screen if args.config else ScreenSettings()
    if args.self_t is not None:
        settings = replace(settings, self_harm_threshold=args.self_t)
    if args.others_t is not None:
        settings = replace(settings, others_threshold=args.others_t)
    print(
        f"thresholds: self_harm {settings.self_harm_threshold}, others {settings.others_threshold}"
    )

    if args.dev.is_file():
        rows = dev_rows(args.dev)
        scorer = RiskScorer.load()
        scores = [scorer.score(r.text) for r in rows]
        curve(rows, scores, "dev.jsonl")
        readings, results = readings_of(rows, scores, settings)
        table("dev.jsonl, by source", rows, readings, "source")
        harmful = [i for i, r in enumerate(rows) if r.expect == "harmful"]
        if harmful:
            as_risk = sum(readings["combined"][i] for i in harmful)
            print(f"harmful requests read as risk (combined): {as_risk}/{len(harmful)}")
        end_rows = [i for i, r in enumerate(rows) if r.expect == "end_request"]
        if end_rows:
            caught = sum(results[i].end_request for i in end_rows)
            print(f"end requests caught (combined): {caught}/{len(end_rows)}")
        if args.misses:
            for row, result, flag in zip(rows, results, readings["combined"], strict=True):
                miss = (
                    (args.misses == "risk" and row.expect == "risk" and not flag)
                    or (args.misses == "false_alarm" and row.expect == "benign" and flag)
                    or (
                        args.misses == "harmful"
                        and row.expect == "harmful"
                        and not (result.harmful or result.abusive)
                    )
                    or (
                        args.misses == "end_request"
                        and row.expect == "end_request"
                        and not result.end_request
                    )
                )
                if miss:
                    print(
                        f"\n[{row.source}] {' '.join(row.text.split())[:300]}\n    -> "
                        f"{result.risk} {result.matched} self={result.score.self_harm:.2f} "
                        f"others={result.score.others:.2f}"
                    )
        if not args.no_speed:
            long_train: list[str] = []
            if TRAIN.is_file():  # long first-person posts: the texts that cost the most
                with gzip.open(TRAIN, "rt", encoding="utf-8") as lines:
                    for line in lines:
                        text = json.loads(line)["text"]
                        if 1000 <= len(text) <= 2000 and len(long_train) < 300:
                            long_train.append(text)
            speed(rows, long_train)
    else:
        print(f"dev file not found: {args.dev} (nothing to measure there)")

    for path, label in ((args.cv, "5-fold held-out"), (args.by_source, "source held out")):
        if path is None:
            continue
        if not path.is_file():
            print(f"{path}: not found (run tools/train_risk_model.py --held-out {path})")
            continue
        rows = held_out_rows(path)
        scores = [r.score or RiskScore() for r in rows]
        curve(rows, scores, f"training corpus, {label}")
        readings, _ = readings_of(rows, scores, settings)
        table(f"training corpus, {label}, by source", rows, readings, "source")
        table(f"training corpus, {label}, by language", rows, readings, "lang")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
