"""Train the local risk scorer and write `bot/safety/risk_model.bin`.

Reads the public training corpus in place (`../shared/eval/train/train.jsonl.gz`; never
`../shared/eval/dev.jsonl`, which is kept for measuring) and fits a multinomial logistic
regression over the features `bot.safety.scorer.analyze` extracts, so training and the bot read
text the same way. Needs the `train` extra (`pip install -e '.[train]'`: scikit-learn, numpy).

    .venv/bin/python tools/train_risk_model.py              # rebuild the shipped model
    .venv/bin/python tools/train_risk_model.py --check      # rebuild in memory, compare bytes

Choices, and why (the model card, `bot/safety/MODEL.md`, has the figures):
- `dktc_threat` is left out: it is the only Korean source and holds threats only, so the model
  would learn "Korean means a threat" and alarm on every Korean message.
- Classes are balanced, and inside a class each source weighs by the square root of its size:
  a large source still counts for more, but cannot teach its own style as the meaning of a label.
- The temperature that calibrates the scores is fitted on a fifth of the data held out from a
  first fit; the shipped model is then fitted on everything.
- The rebuild is deterministic: the same corpus and library versions give the same bytes
  (lbfgs on one thread; weights quantized to int16; gzip without a timestamp).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.safety.scorer import MODEL_PATH, RiskScorer, analyze  # noqa: E402

TRAIN_PATH = ROOT.parent / "shared" / "eval" / "train" / "train.jsonl.gz"
CLASSES = ("benign", "risk_self", "risk_others")
LEFT_OUT = frozenset({"dktc_threat"})
#: A feature must occur in this many training texts to be in the vocabulary.
MIN_DF = 3
#: Features kept in the shipped vocabulary: those with the largest weights.
MAX_FEATURES = 160_000
#: Inverse regularisation strength (chosen by cross-validation; see the model card).
C = 4.0
#: How much a letter n-gram counts beside a word: less, so that the model leans on words and
#: generalises better to text unlike its sources (held-out sources: fewer false alarms on
#: supportive replies and distress posts at the same recall; see the model card). Folded into the
#: shipped weights, so the scorer reads n-grams at full value.
CHAR_WEIGHT = 0.3
SEED = 0


def load_rows(path: Path = TRAIN_PATH) -> tuple[list[dict[str, str]], str]:
    """The training rows (left-out sources dropped) and the sha256 of the file they came from."""
    raw = path.read_bytes()
    rows = [json.loads(line) for line in gzip.decompress(raw).decode("utf-8").splitlines()]
    return [r for r in rows if r["source"] not in LEFT_OUT], hashlib.sha256(raw).hexdigest()


def weights_for(rows: Sequence[dict[str, str]]) -> list[float]:
    """Sample weights: classes balanced, sources inside a class by the square root of size."""
    group = Counter((r["source"], r["label"]) for r in rows)
    raw = [group[(r["source"], r["label"])] ** -0.5 for r in rows]
    per_class: Counter[str] = Counter()
    for r, w in zip(rows, raw, strict=True):
        per_class[r["label"]] += w
    target = len(rows) / len(CLASSES)
    return [w * target / per_class[r["label"]] for r, w in zip(rows, raw, strict=True)]


class Features:
    """Texts as a sparse matrix over a vocabulary fixed by document frequency."""

    def __init__(self, analyzed: Sequence[tuple[dict[str, float], float]]) -> None:
        df: Counter[str] = Counter()
        for values, _ in analyzed:
            df.update(values.keys())
        self.vocabulary = sorted(f for f, n in df.items() if n >= MIN_DF)
        self.index = {f: i for i, f in enumerate(self.vocabulary)}
        # Words ("\t...") and word pairs ("\n...") count fully; letter n-grams by CHAR_WEIGHT.
        self.weight = [1.0 if f[0] in "\t\n" else CHAR_WEIGHT for f in self.vocabulary]

    def matrix(self, analyzed: Sequence[tuple[dict[str, float], float]]) -> Any:
        """Feature values scaled by 1/sqrt(length), as `RiskScorer` sums them."""
        import numpy as np
        import scipy.sparse as sp

        indices: list[int] = []
        data: list[float] = []
        indptr = [0]
        index, weight = self.index, self.weight
        for values, length in analyzed:
            scale = length**-0.5
            kept = sorted((index[f], v) for f, v in values.items() if f in index)
            indices.extend(i for i, _ in kept)
            data.extend(v * scale * weight[i] for i, v in kept)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(data), np.array(indices, dtype=np.int32), np.array(indptr)),
            shape=(len(analyzed), len(self.vocabulary)),
        )


def fit(x: Any, y: Sequence[int], w: Sequence[float], *, c: float = C) -> Any:
    """One multinomial logistic regression, on one thread.

    scikit-learn sums the loss's gradient over OpenMP threads, and BLAS may use several too: the
    order of those sums changes with the thread count and the scheduling, lbfgs stops on a
    tolerance, and two runs then end at weights that differ in the third decimal (seen here:
    two rebuilds on a 2-core machine disagreed with each other). One thread makes a rebuild
    repeat bit for bit on the same libraries and CPU.
    """
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    model = LogisticRegression(C=c, max_iter=400, tol=1e-5, random_state=SEED)
    with threadpool_limits(limits=1):
        model.fit(x, y, sample_weight=w)
    return model


def temperature(logits: Any, y: Sequence[int]) -> float:
    """The temperature that minimises the log loss of held-out logits (a 1-D search)."""
    import numpy as np
    from scipy.optimize import minimize_scalar

    labels = np.asarray(y)

    def loss(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(labels)), labels].mean())

    return float(minimize_scalar(loss, bounds=(0.2, 5.0), method="bounded").x)


def train(
    rows: Sequence[dict[str, str]], *, c: float = C, calibrate: bool = True
) -> tuple[Features, Any, float]:
    """Fit on rows; returns the features, the model and the calibrating temperature."""
    import numpy as np

    analyzed = [analyze(r["text"]) for r in rows]
    y = [CLASSES.index(r["label"]) for r in rows]
    w = weights_for(rows)
    t = 1.0
    if calibrate:
        rng = np.random.default_rng(SEED)
        held = rng.random(len(rows)) < 0.2
        part = [a for a, h in zip(analyzed, held, strict=True) if not h]
        features = Features(part)
        first = fit(
            features.matrix(part),
            [v for v, h in zip(y, held, strict=True) if not h],
            [v for v, h in zip(w, held, strict=True) if not h],
            c=c,
        )
        held_rows = [a for a, h in zip(analyzed, held, strict=True) if h]
        t = temperature(
            first.decision_function(features.matrix(held_rows)),
            [v for v, h in zip(y, held, strict=True) if h],
        )
    features = Features(analyzed)
    model = fit(features.matrix(analyzed), y, w, c=c)
    return features, model, t


def shipped(features: Features, model: Any) -> tuple[list[str], list[list[float]]]:
    """The vocabulary and weight columns kept: the MAX_FEATURES with the largest weights."""
    import numpy as np

    # The weights the scorer applies to unscaled feature values: CHAR_WEIGHT folded in.
    coef = model.coef_ * np.asarray(features.weight)  # (classes, features)
    strength = np.abs(coef).max(axis=0)
    keep = np.sort(np.argsort(-strength, kind="stable")[:MAX_FEATURES])
    vocabulary = [features.vocabulary[i] for i in keep]
    return vocabulary, [[float(v) for v in coef[c, keep]] for c in range(coef.shape[0])]


def build(path: Path | None, *, source: Path = TRAIN_PATH) -> bytes:
    """Train on the corpus and write (or, with path None, only return) the artefact's bytes."""
    started = time.perf_counter()
    rows, digest = load_rows(source)
    features, model, t = train(rows)
    vocabulary, weights = shipped(features, model)
    import sklearn

    meta: dict[str, object] = {
        "train_sha256": digest,
        "rows": len(rows),
        "left_out": sorted(LEFT_OUT),
        "c": C,
        "min_df": MIN_DF,
        "char_weight": CHAR_WEIGHT,
        "features_before_pruning": len(features.vocabulary),
        "sklearn": sklearn.__version__,
    }
    out = Path("/dev/null") if path is None else path
    blob = RiskScorer.dump(
        out,
        vocabulary=vocabulary,
        weights=weights,
        bias=[float(b) for b in model.intercept_],
        classes=CLASSES,
        temperature=t,
        meta=meta,
    )
    took = time.perf_counter() - started
    print(
        f"{len(rows)} rows, {len(features.vocabulary)} features -> {len(vocabulary)} kept, "
        f"temperature {t:.3f}, {len(blob) / 1e6:.2f} MB, {took:.0f} s",
        file=sys.stderr,
    )
    return blob


def held_out_scores(
    rows: Sequence[dict[str, str]], *, folds: int, by_source: bool, out: Path, t: float
) -> None:
    """Scores of every row from a model that did not see it, one JSON line a row.

    `folds` stratified folds (by label and source), or with `by_source` one fold per source:
    the second is the honest estimate for text unlike anything trained on. Rows are scored with
    `RiskScorer` itself (from an artefact written per fold), so the figures are the bot's own.
    """
    import tempfile

    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    if by_source:
        names = sorted({r["source"] for r in rows})
        splits = [[i for i, r in enumerate(rows) if r["source"] == name] for name in names]
    else:
        strata = [f"{r['label']}:{r['source']}" for r in rows]
        kfold = StratifiedKFold(folds, shuffle=True, random_state=SEED)
        splits = [[int(i) for i in test] for _, test in kfold.split(np.zeros(len(rows)), strata)]
    with out.open("w", encoding="utf-8") as sink, tempfile.TemporaryDirectory() as tmp:
        for k, test in enumerate(splits):
            started = time.perf_counter()
            held = set(test)
            part = [r for i, r in enumerate(rows) if i not in held]
            features, model, _ = train(part, calibrate=False)
            vocabulary, weights = shipped(features, model)
            path = Path(tmp) / f"fold{k}.bin"
            RiskScorer.dump(
                path,
                vocabulary=vocabulary,
                weights=weights,
                bias=[float(b) for b in model.intercept_],
                classes=CLASSES,
                temperature=t,
                meta={},
            )
            scorer = RiskScorer.load(path)
            for i in test:
                r = rows[i]
                score = scorer.score(r["text"])
                whole = scorer.score(r["text"], windows=False)
                row = {
                    "fold": k,
                    "row": i,
                    "source": r["source"],
                    "lang": r["lang"],
                    "label": r["label"],
                    "self": round(score.self_harm, 5),
                    "others": round(score.others, 5),
                    "self_whole": round(whole.self_harm, 5),
                    "others_whole": round(whole.others, 5),
                }
                sink.write(json.dumps(row) + "\n")
            sink.flush()
            print(
                f"fold {k + 1}/{len(splits)}: {len(test)} rows scored "
                f"({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    """Rebuild the shipped model, or check that a rebuild gives the same bytes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--train", type=Path, default=TRAIN_PATH)
    parser.add_argument(
        "--check", action="store_true", help="rebuild in memory and compare with --out"
    )
    parser.add_argument(
        "--held-out",
        type=Path,
        metavar="FILE",
        help="instead of building, write held-out scores of every row to FILE (JSONL)",
    )
    parser.add_argument("--folds", type=int, default=5, help="folds for --held-out")
    parser.add_argument(
        "--by-source", action="store_true", help="--held-out with one fold per source"
    )
    args = parser.parse_args(argv)
    if not args.train.exists():
        print(f"training data not found at {args.train}", file=sys.stderr)
        return 2
    if args.held_out is not None:
        rows, _ = load_rows(args.train)
        t = float(RiskScorer.load(args.out).temperature) if args.out.exists() else 1.0
        held_out_scores(rows, folds=args.folds, by_source=args.by_source, out=args.held_out, t=t)
        return 0
    if args.check:
        blob = build(None, source=args.train)
        same = args.out.exists() and args.out.read_bytes() == blob
        print("identical" if same else f"differs from {args.out}")
        return 0 if same else 1
    build(args.out, source=args.train)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
