"""The learned half of the local screen: a linear model over words and letter n-grams.

Phrase rules are precise on the phrasings someone wrote down, and blind to the rest: the long
first-person post that never says "kill myself", a language nobody wrote rules for. This scorer
reads what the rules cannot. It is a multinomial logistic regression over word unigrams, word
bigrams and the 3- to 5-letter n-grams of each word (padded with a space at both ends), trained
by `tools/train_risk_model.py` on the public corpus in `../shared/eval/train/` and shipped as
`risk_model.bin` beside this module (see `MODEL.md` for the data, the figures and the limits).

It is built for a hot path on a small machine, in plain Python (no numpy import at start):

- A message's features are counted per distinct word, each word weighing 1 + ln(its count),
  and scaled by 1/sqrt(the summed weights), so the logits are a sum over distinct words: each
  word's share (its unigram plus its n-grams) is computed once and kept in a bounded cache; the
  word bigrams are looked up as they come. Repetition cannot inflate a score.
- Long messages (over two windows) are read whole and in windows of `WINDOW` tokens (a crisis
  sentence at the end of a long, ordinary post must not be averaged away); the riskiest reading
  counts.
- Scores are calibrated probabilities (a temperature fitted on held-out predictions), one per
  class: risk to self, risk to others, benign.

The artefact is a small binary file: a JSON header (classes, temperature, scales, the sha256 of
the training data it came from), the vocabulary as NUL-separated UTF-8, and int16 weights.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import re
import struct
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from bot.safety.normalize import clean, despace, fold, reveal, unleet

__all__ = [
    "CLASSES",
    "MODEL_PATH",
    "RiskScore",
    "RiskScorer",
    "analyze",
    "default_scorer",
    "tokens",
]

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("risk_model.bin")
CLASSES = ("benign", "risk_self", "risk_others")
MAGIC = b"TKRISK1\n"

#: Letter n-gram sizes taken from each word, padded as " word ".
NGRAMS = (3, 4, 5)
#: Letters of a word that n-grams are taken from (a URL or a keyboard smash adds nothing more).
MAX_WORD = 24
#: Tokens in one window of a long message, and the step between windows.
WINDOW = 48
STRIDE = 24
#: Distinct words, and word pairs, whose share of the logits is kept between messages.
CACHE_WORDS = 50_000
CACHE_PAIRS = 100_000
_UNSEEN = object()

# A word: letters and digits, with inner apostrophes ("don't", "j'ai" stays one token).
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Links, @-mentions and the datasets' placeholders carry no meaning about risk; dropped so that
# they cannot become a proxy for where a text came from.
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+|\[@?[A-Z]+\]|<[@#!][^>]*>")


def prepare(text: str) -> str:
    """The text the scorer reads: disguise undone, links dropped, folded like the rules' text."""
    return fold_cleaned(clean(despace(reveal(text))))


def has_noise(text: str) -> bool:
    """Whether the text holds links, mentions or placeholders that the scorer drops."""
    return _NOISE.search(text) is not None


def fold_cleaned(cleaned: str) -> str:
    """`prepare` for a text already revealed, despaced and cleaned (the screen has done that)."""
    return unleet(fold(_NOISE.sub(" ", cleaned)))


def tokens(text: str) -> list[str]:
    """The word tokens of a prepared text."""
    return _TOKEN.findall(text)


def word_features(word: str) -> list[str]:
    """A word's features: the word itself (tab-prefixed) and its padded letter n-grams."""
    out = ["\t" + word]
    padded = f" {word[:MAX_WORD]} "
    size = len(padded)
    for n in NGRAMS:
        out.extend(padded[i : i + n] for i in range(size - n + 1))
    return out


def bigram(first: str, second: str) -> str:
    """The feature of two words in a row (newline-prefixed, so it cannot collide with others)."""
    return f"\n{first} {second}"


def weight_of(count: int) -> float:
    """How much a word (or word pair) that occurs `count` times counts: 1 + ln(count).

    Sublinear, so repeating a word cannot push a message over a threshold ("hello" a thousand
    times is not a thousand times anything).
    """
    return 1.0 + math.log(count)


#: weight_of(count) for the counts a message usually has.
_WEIGHTS = (0.0, *(1.0 + math.log(c) for c in range(1, 64)))


def counted(words: Sequence[str]) -> tuple[Counter[str], Counter[tuple[str, str]], float]:
    """The distinct words and word pairs of a token list, and the length they normalise by."""
    singles = Counter(words)
    pairs = Counter(pairwise(words))
    length = sum(weight_of(c) for c in singles.values())
    return singles, pairs, max(length, 1.0)


def analyze(text: str) -> tuple[dict[str, float], float]:
    """A raw text's feature values before scaling, and the length: what training reads.

    Each distinct word adds `weight_of(its count)` to its own feature and to each of its
    letter n-grams; each distinct word pair adds to its bigram. The vector is then scaled by
    1/sqrt(length), exactly as `RiskScorer` sums it.
    """
    singles, pairs, length = counted(tokens(prepare(text)))
    values: dict[str, float] = {}
    for word, count in singles.items():
        weight = weight_of(count)
        for feature in word_features(word):
            values[feature] = values.get(feature, 0.0) + weight
    for (first, second), count in pairs.items():
        feature = bigram(first, second)
        values[feature] = values.get(feature, 0.0) + weight_of(count)
    return values, length


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskScore:
    """Calibrated probabilities for one message (they sum to 1)."""

    self_harm: float = 0.0
    others: float = 0.0
    benign: float = 1.0

    @property
    def risk(self) -> float:
        """The probability of either kind of risk."""
        return self.self_harm + self.others


NO_SCORE = RiskScore()


class RiskScorer:
    """A loaded model: `score(text)` is pure and thread-safe apart from its word cache."""

    def __init__(
        self,
        *,
        vocabulary: Sequence[str],
        weights: Sequence[array[int]],
        scales: Sequence[float],
        bias: Sequence[float],
        classes: Sequence[str],
        temperature: float = 1.0,
        meta: dict[str, object] | None = None,
    ) -> None:
        if list(classes) != list(CLASSES):
            raise ValueError(f"unexpected classes {list(classes)!r}")
        if len(weights) != len(CLASSES) or any(len(w) != len(vocabulary) for w in weights):
            raise ValueError("the weights do not match the vocabulary")
        self._index = dict(zip(vocabulary, range(len(vocabulary)), strict=True))
        # int16 columns, one per class; sums stay integers and are scaled once per message.
        self._w = tuple(weights)
        self._scales = tuple(float(x) for x in scales)
        self._b = tuple(float(b) for b in bias)
        self._t = float(temperature)
        self.meta = dict(meta or {})
        self._cache: dict[str, tuple[int, int, int]] = {}
        self._pairs: dict[tuple[str, str], object] = {}
        self._words: frozenset[str] | None = None

    @property
    def words(self) -> frozenset[str]:
        """The vocabulary's words, for finding the words of a run typed letter by letter."""
        if self._words is None:
            self._words = frozenset(f[1:] for f in self._index if f.startswith("\t"))
        return self._words

    @property
    def temperature(self) -> float:
        """The calibrating temperature the logits are divided by."""
        return self._t

    @property
    def size(self) -> int:
        """Features in the vocabulary."""
        return len(self._index)

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> RiskScorer:
        """Read an artefact written by `dump`; a bad file is a ValueError naming it."""
        raw = Path(path).read_bytes()
        try:
            data = gzip.decompress(raw)
            if not data.startswith(MAGIC):
                raise ValueError("not a threadkeeper risk model")
            pos = len(MAGIC)
            (head_len,) = struct.unpack_from("<I", data, pos)
            pos += 4
            head = json.loads(data[pos : pos + head_len])
            pos += head_len
            (vocab_len,) = struct.unpack_from("<I", data, pos)
            pos += 4
            vocabulary = data[pos : pos + vocab_len].decode("utf-8").split("\0")
            pos += vocab_len
            n, k = len(vocabulary), len(head["classes"])
            quantized = array("h")
            quantized.frombytes(data[pos : pos + 2 * n * k])
            if len(quantized) != n * k:
                raise ValueError("truncated weights")
        except (OSError, EOFError, KeyError, struct.error, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the risk model ({exc})") from exc
        return cls(
            vocabulary=vocabulary,
            weights=[quantized[c * n : (c + 1) * n] for c in range(k)],
            scales=head["scales"],
            bias=head["bias"],
            classes=head["classes"],
            temperature=head["temperature"],
            meta=head.get("meta", {}),
        )

    @staticmethod
    def dump(
        path: str | Path,
        *,
        vocabulary: Sequence[str],
        weights: Sequence[Sequence[float]],
        bias: Sequence[float],
        classes: Sequence[str],
        temperature: float,
        meta: dict[str, object],
    ) -> bytes:
        """Write an artefact (deterministic bytes: the same model always gives the same file)."""
        scales = [max((abs(w) for w in column), default=0.0) / 32767 or 1.0 for column in weights]
        quantized = array("h")
        for column, scale in zip(weights, scales, strict=True):
            quantized.extend(max(-32767, min(32767, round(w / scale))) for w in column)
        head = json.dumps(
            {
                "classes": list(classes),
                "bias": [float(b) for b in bias],
                "temperature": float(temperature),
                "scales": scales,
                "meta": meta,
            },
            sort_keys=True,
        ).encode()
        vocab = "\0".join(vocabulary).encode("utf-8")
        body = b"".join(
            (
                MAGIC,
                struct.pack("<I", len(head)),
                head,
                struct.pack("<I", len(vocab)),
                vocab,
                quantized.tobytes(),
            )
        )
        blob = gzip.compress(body, compresslevel=9, mtime=0)
        Path(path).write_bytes(blob)
        return blob

    # --- scoring ---------------------------------------------------------------------------

    def _word(self, word: str) -> tuple[int, int, int]:
        share = self._cache.get(word)
        if share is None:
            get, (w0, w1, w2) = self._index.get, self._w
            s0 = s1 = s2 = 0
            i = get("\t" + word)
            if i is not None:
                s0, s1, s2 = w0[i], w1[i], w2[i]
            padded = f" {word[:MAX_WORD]} "
            size = len(padded)
            for n in NGRAMS:
                for start in range(size - n + 1):
                    i = get(padded[start : start + n])
                    if i is not None:
                        s0 += w0[i]
                        s1 += w1[i]
                        s2 += w2[i]
            share = (s0, s1, s2)
            if len(self._cache) >= CACHE_WORDS:
                self._cache.clear()
            self._cache[word] = share
        return share

    def _read(
        self,
        singles: Counter[str],
        pairs: Counter[tuple[str, str]],
        shares: Mapping[str, tuple[int, int, int]],
        pair_shares: Mapping[tuple[str, str], tuple[int, int, int]],
    ) -> RiskScore:
        """The probabilities of one stretch of tokens, from its counts and the tokens' shares."""
        s0 = s1 = s2 = 0.0
        length = 0.0
        for word, count in singles.items():
            weight = _WEIGHTS[count] if count < len(_WEIGHTS) else weight_of(count)
            a, b, c = shares[word]
            s0 += a * weight
            s1 += b * weight
            s2 += c * weight
            length += weight
        for pair, count in pairs.items():
            share = pair_shares.get(pair)
            if share is not None:
                weight = _WEIGHTS[count] if count < len(_WEIGHTS) else weight_of(count)
                s0 += share[0] * weight
                s1 += share[1] * weight
                s2 += share[2] * weight
        return self._probabilities((s0, s1, s2), max(length, 1.0))

    def _probabilities(self, sums: Iterable[float], length: float) -> RiskScore:
        scale = 1.0 / math.sqrt(length)
        t = self._t
        logits = [
            (b + s * q * scale) / t for b, s, q in zip(self._b, sums, self._scales, strict=True)
        ]
        top = max(logits)
        e0, e1, e2 = (math.exp(x - top) for x in logits)
        total = e0 + e1 + e2
        return RiskScore(self_harm=e1 / total, others=e2 / total, benign=e0 / total)

    def _pair(self, pair: tuple[str, str]) -> tuple[int, int, int] | None:
        share = self._pairs.get(pair, _UNSEEN)
        if share is _UNSEEN:
            i = self._index.get(bigram(*pair))
            w0, w1, w2 = self._w
            share = None if i is None else (w0[i], w1[i], w2[i])
            if len(self._pairs) >= CACHE_PAIRS:
                self._pairs.clear()
            self._pairs[pair] = share
        return share  # type: ignore[return-value]

    def score_tokens(self, words: Sequence[str], *, windows: bool = True) -> RiskScore:
        """The riskiest reading of a token list: whole, and in windows when it is long."""
        if not words:
            return NO_SCORE  # nothing to read (an empty message, only links or emoji)
        singles = Counter(words)
        pairs = Counter(pairwise(words))
        # Each distinct word's and word pair's share, looked up once for the whole message.
        cache = self._cache
        shares = {w: cache.get(w) or self._word(w) for w in singles}
        pair_shares = {p: share for p in pairs if (share := self._pair(p)) is not None}
        best = self._read(singles, pairs, shares, pair_shares)
        if not windows or len(words) <= 2 * WINDOW:
            return best
        for start in range(0, len(words) - WINDOW + STRIDE, STRIDE):
            part = words[start : start + WINDOW]
            window = self._read(Counter(part), Counter(pairwise(part)), shares, pair_shares)
            if window.risk > best.risk:
                best = window
        return best

    def score(self, text: str, *, windows: bool = True) -> RiskScore:
        """Calibrated risk probabilities for one raw message."""
        return self.score_tokens(tokens(prepare(text)), windows=windows)


@cache
def default_scorer() -> RiskScorer | None:
    """The shipped model, loaded once; None (with one error logged) if it cannot be read."""
    try:
        return RiskScorer.load(MODEL_PATH)
    except (OSError, ValueError) as exc:
        log.error("the local risk model is not available (%s); the phrase rules screen alone", exc)
        return None
