"""The local screen's rule engine: phrase rules, their gates and vetoes, and how they are matched.

A rule (`_Rule`) is one phrase family: a regex, a gate of words that must be in the message before
the regex runs, and the contexts that cancel a hit (the clause before it, the text after it, the
whole message). The rule tables, one module per language under `bot.safety.rules`, are written with
`_c` (compile a pattern), `_k` (a gate) and `_RuleSet` (rules in order, each with its category),
and each hands the screen one `LanguageRules`; `bot.safety.screen` runs them. The names keep their
leading underscore: they are the safety package's own vocabulary, imported by the tables and the
screen, not by anything outside it.

The screen runs on every message, so it is built for speed: each rule has a gate of words (cut to
four letters) that must be in the message before its regex runs, rule sets are indexed by those
words, whole-message contexts are checked only after a hit, and leading `\\b`s are checked by hand
where that lets the regex engine skip ahead (see `_strip_word_start`). Sign-offs and yes/no answers
are parsed unit by unit rather than with one nested regex, which would backtrack exponentially on
long near-misses (see `_whole`). Tens of microseconds for a chat-sized message.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from bot.records import Category

# --------------------------------------------------------------------------------------------
# Rule machinery


def _split_top(pattern: str) -> list[str] | None:
    """The top-level alternatives of a pattern, or None if its brackets do not balance."""
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    if depth != 0 or in_class:
        return None
    parts.append(pattern[start:])
    return parts


_LETTER_START = re.compile(r"[a-z0-9'](?![?*+{])")
_QUANTIFIERS = ("?", "*", "+", "{")


def _leading_group(pattern: str) -> tuple[str, str] | None:
    """Split "(?:inner)rest" into inner and rest."""
    if not pattern.startswith("(?:"):
        return None
    depth, i = 1, 3
    while i < len(pattern) and depth:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = pattern.index("]", i + 2 if pattern[i + 1 : i + 2] == "]" else i + 1) + 1
            continue
        depth += {"(": 1, ")": -1}.get(ch, 0)
        i += 1
    if depth:
        return None
    return pattern[3 : i - 1], pattern[i:]


def _letters_first(parts: list[str]) -> bool:
    return all(_LETTER_START.match(p) for p in parts)


_MAX_EXPANDED = 6000
# Past this many different first letters nearly every position is a candidate again, and the
# hand-checked boundary costs more than the engine's own `\\b` (measured on the eval texts).
_MAX_FIRST_LETTERS = 8


def _expand(pattern: str, bounded: bool) -> list[str] | None:
    """Alternatives that start with a letter and together match what `pattern` does.

    `bounded` says a `\\b` has been dropped in front; every alternative must have had one.
    """
    if _LETTER_START.match(pattern):
        return [pattern] if bounded else None
    if pattern.startswith("\\b"):
        return _expand(pattern[2:], True)
    group = _leading_group(pattern)
    if group is None or group[1].startswith(_QUANTIFIERS):
        return None
    alts = _split_top(group[0])
    if alts is None:
        return None
    out: list[str] = []
    for alt in alts:
        sub = _expand(alt + group[1], bounded)
        if sub is None:
            return None
        out.extend(sub)
    return out


def _strip_word_start(pattern: str) -> str | None:
    """The pattern without its opening `\\b`s, when what is left starts with plain letters.

    Python's regex engine skips quickly to candidate positions only when a pattern starts with
    literal characters (or one alternation of them); a leading `\\b` disables that and makes each
    search several times slower. The boundary is then checked by hand (see `_Rx`). A leading
    group of alternatives is either kept whole, when all of them start with letters, or
    multiplied out into top-level alternatives; other shapes are left alone (None).
    """
    parts = _split_top(pattern)
    if parts is None:
        return None
    if len(parts) == 1:
        single = parts[0]
        bounded = single.startswith("\\b")
        if bounded:
            single = single[2:]
        if bounded and _LETTER_START.match(single):
            return single
        group = _leading_group(single)
        if group is not None and not group[1].startswith(_QUANTIFIERS):
            inner = _split_top(group[0])
            if inner is not None:
                if not bounded and all(p.startswith("\\b") for p in inner):
                    inner = [p[2:] for p in inner]
                    bounded = True
                if bounded and _letters_first(inner):
                    if len({alt[0] for alt in inner}) > _MAX_FIRST_LETTERS:
                        return None
                    return "(?:" + "|".join(inner) + ")" + group[1]
    out: list[str] = []
    for part in parts:
        sub = _expand(part, False)
        if sub is None:
            return None
        out.extend(sub)
    joined = "|".join(out)
    if len({alt[0] for alt in out}) > _MAX_FIRST_LETTERS:
        return None
    return joined if len(joined) <= max(_MAX_EXPANDED, 2 * len(pattern)) else None


#: Characters past a match within which a span's cut may change it (end anchors, look-aheads).
_CUT_MARGIN = 80
#: Texts longer than this are searched only around the words that can start a rule's phrase.
LONG_TEXT = 600
#: Characters read before and after such a word: longer than any phrase a rule matches.
_SPAN_BEFORE = 160
_SPAN_AFTER = 200


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one pattern is matched: compiled on first use, not at import (most rules never get
    past their gates on a given message, and a replay or a CLI call should start at once)."""

    regex: re.Pattern[str]
    # The leading \b was moved out of the regex and is checked by hand.
    word_start: bool
    # The pattern can only match at the start of the text (it begins with ^ and has no
    # alternative that does not): tried there once, where `re.search` would try every position.
    anchored: bool


@cache
def _plan_of(source: str) -> _Plan:
    if source.startswith("^") and len(_split_top(source) or ()) == 1:
        return _Plan(re.compile(source), False, True)
    stripped = _strip_word_start(source)
    if stripped is None:
        return _Plan(re.compile(source), False, False)
    return _Plan(re.compile(stripped), True, False)


@dataclass(frozen=True, slots=True)
class _Rx:
    """A rule pattern, compiled when first matched, with its leading \b checked by hand."""

    source: str

    @property
    def regex(self) -> re.Pattern[str]:
        """The compiled regex (without a leading \b that `word_start` checks by hand)."""
        return _plan_of(self.source).regex

    @property
    def word_start(self) -> bool:
        """Whether the leading word boundary is checked by hand."""
        return _plan_of(self.source).word_start

    @property
    def anchored(self) -> bool:
        """Whether the pattern can only match at the start of the text."""
        return _plan_of(self.source).anchored

    def hits(
        self, text: str, spans: Sequence[tuple[int, int]] | None = None
    ) -> Iterator[re.Match[str]]:
        """The pattern's matches in the text, or only in the given spans of it (see `spans_of`).

        A match that comes near a span's cut is read again against the whole text, so an end
        anchor or a look-ahead sees what really follows: a span finds exactly what the whole
        text would, where the phrase lies inside the span.
        """
        n = len(text)
        plan = _plan_of(self.source)
        if plan.anchored:
            m = plan.regex.match(text)
            if m is not None:
                yield m
            return
        search, word_start = plan.regex.search, plan.word_start
        for lo, hi in spans if spans is not None else ((0, n),):
            pos = lo
            while (m := search(text, pos, hi)) is not None:
                if hi < n and m.end() + _CUT_MARGIN > hi:
                    m = search(text, m.start())
                    if m is None or m.start() >= hi:
                        break
                s = m.start()
                if word_start and (s > 0 and _is_word(text[s - 1])) == (
                    s < n and _is_word(text[s])
                ):
                    pos = s + 1
                    continue
                yield m
                pos = max(m.end(), s + 1)
                if pos > hi:
                    break

    def search(self, text: str) -> re.Match[str] | None:
        return next(self.hits(text), None)

    def found_in(self, text: str) -> bool:
        """Whether the pattern is anywhere in the text (a whole-message context check).

        Alternatives anchored at the start are tried there once and the rest searched: one
        search over a pattern that mixes both would try the anchored ones at every position.
        """
        split = _anchored_split(self.source)
        if split is None:
            return self.search(text) is not None
        head, rest = split
        return head.match(text) is not None or (rest is not None and rest.search(text) is not None)

    @property
    def pattern(self) -> str:
        return self.source


@lru_cache(maxsize=256)
def _anchored_split(source: str) -> tuple[re.Pattern[str], _Rx | None] | None:
    """A pattern's ^-anchored top-level alternatives apart from the others, if it mixes them."""
    parts = _split_top(source)
    if parts is None or len(parts) < 2:
        return None
    anchored = [p for p in parts if p.startswith("^")]
    if not anchored:
        return None
    others = [p for p in parts if not p.startswith("^")]
    head = re.compile("|".join(anchored))
    return head, (_c("|".join(others)) if others else None)


def _c(pattern: str) -> _Rx:
    """A rule pattern (compiled on first use; see `_plan_of`)."""
    return _Rx(pattern)


@lru_cache(maxsize=512)
def _context(rx: _Rx, text: str) -> bool:
    """A whole-message context, read once per message: many rules share the same ones."""
    return rx.found_in(text)


class Reading(enum.Enum):
    """What one rule made of a text."""

    ABSENT = "absent"
    VETOED = "vetoed"
    FIRED = "fired"


ABSENT, VETOED, FIRED = Reading.ABSENT, Reading.VETOED, Reading.FIRED


@dataclass(frozen=True, slots=True)
class _Rule:
    """One phrase family plus the contexts that cancel it."""

    name: str
    # cheap gate: each group must share a word with the text (see `_k`), or the regex is skipped
    keys: tuple[frozenset[str], ...]
    pattern: _Rx
    # checked on the clause before the hit, then on the hit itself; one must match
    subject: _Rx | None = None
    # checked on the clause before the hit (anchor with $); must match
    before: _Rx | None = None
    # checked on the clause before the hit (anchor with $); must not match
    not_before: _Rx | None = None
    # checked on the text right after the hit (anchor with ^); must not match
    not_after: _Rx | None = None
    # checked on the whole message
    needs: _Rx | None = None
    not_in: _Rx | None = None

    def fires(self, text: str, words: frozenset[str]) -> bool:
        """Whether this family is in the text and no cancelling context is."""
        return self.reading(text, words) is FIRED

    def reading(
        self,
        text: str,
        words: frozenset[str],
        spans: Sequence[tuple[int, int]] | None = None,
    ) -> Reading:
        """FIRED; VETOED when the phrase is there but every use is cancelled; else ABSENT.

        A veto is evidence too: "kill myself laughing" is a known figurative use, which the
        screen lets overrule the learned scorer on a short message.
        """
        for group in self.keys:
            if group.isdisjoint(words):
                return ABSENT
        context_checked = False
        found = ABSENT
        for m in self.pattern.hits(text, spans):
            found = VETOED
            if not context_checked:
                # The whole-message checks cost as much as the pattern; run them only on a hit.
                if self.needs is not None and not _context(self.needs, text):
                    return VETOED
                if self.not_in is not None and _context(self.not_in, text):
                    return VETOED
                context_checked = True
            start, end = m.span()
            if self.subject is not None or self.not_before is not None or self.before is not None:
                before = text[max(0, start - 60) : start]
                cut = max(before.rfind(ch) for ch in ".!?;,\n")
                if cut >= 0:
                    before = before[cut + 1 :]
                if self.not_before is not None and self.not_before.search(before):
                    continue
                if self.before is not None and self.before.search(before) is None:
                    continue
                if (
                    self.subject is not None
                    and self.subject.search(before) is None
                    and self.subject.search(m.group(0)) is None
                ):
                    continue
            if self.not_after is not None and self.not_after.search(text[end : end + 60]):
                continue
            return FIRED
        return found


_WORD = re.compile(r"[\w']+")
_Texts = tuple[tuple[str, frozenset[str]], ...]


def _words(text: str) -> frozenset[str]:
    """The text's words cut to their first four characters, for the rules' gates."""
    return frozenset(w[:4] for w in _WORD.findall(text))


_WORD_CHAR = re.compile(r"[\w']")
_KEY = re.compile(r"[\w']+")


class WordPlaces:
    r"""Where the words that begin with a gate key (a word cut to four characters, as gates are)
    start in the text, found key by key when a rule asks.

    A rule asks only about its own first gate's keys, a few of the text's hundreds of words, so
    each key is found with `str.find` and a boundary check rather than by cutting the whole text
    into words: the same places `[\w']+` tokens would give, at a fraction of the cost.
    """

    __slots__ = ("_found", "_text", "_words")

    def __init__(self, text: str, words: frozenset[str]) -> None:
        self._text = text
        self._words = words  # the text's words cut as keys are: a key not among them has no place
        self._found: dict[str, list[int]] = {}

    def get(self, key: str, default: Sequence[int] = ()) -> Sequence[int]:
        """The starts of the words whose first four characters are `key` (whole, if shorter)."""
        if key not in self._words:
            return default
        found = self._found.get(key)
        if found is None:
            found = self._find(key) if _KEY.fullmatch(key) else []
            self._found[key] = found
        return found or default

    def starts(self, keys: frozenset[str]) -> list[int]:
        """The starts of every word that begins with one of the keys, in order."""
        return sorted(p for key in keys & self._words for p in self.get(key))

    def _find(self, key: str) -> list[int]:
        text, size, whole = self._text, len(key), len(key) < 4
        is_word_char = _WORD_CHAR.match
        out: list[int] = []
        p = text.find(key)
        while p >= 0:
            if (p == 0 or is_word_char(text, p - 1) is None) and (
                not whole or is_word_char(text, p + size) is None
            ):
                out.append(p)
            p = text.find(key, p + 1)
        return out


@lru_cache(maxsize=16)
def word_places(text: str, words: frozenset[str]) -> WordPlaces:
    """The places of the last few texts: every rule set of every language asks about the same
    message."""
    return WordPlaces(text, words)


def spans_of(rule: _Rule, places: WordPlaces, size: int) -> list[tuple[int, int]] | None:
    """The stretches of a long text where a rule's phrase can be: around its first gate's words.

    None (search everywhere) for a rule without a gate. Overlapping stretches are merged.
    """
    if not rule.keys:
        return None
    starts = places.starts(rule.keys[0])
    spans: list[tuple[int, int]] = []
    for p in starts:
        lo, hi = max(0, p - _SPAN_BEFORE), min(size, p + _SPAN_AFTER)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    return spans


def _k(*groups: str) -> tuple[frozenset[str], ...]:
    """A gate from space-separated word lists: each list must share a word with the text.

    Words are compared on their first four characters, so "kill" admits "killing" and "killed";
    shorter words must appear whole. A rule's gate must name a word of every text its pattern can
    match (the tests check this on their own phrases).
    """
    return tuple(frozenset(w[:4] for w in g.split()) for g in groups)


class _RuleSet:
    """Rules in order, indexed by their first gate: a message meets only rules it could fire."""

    __slots__ = ("_always", "_index", "cats", "rules")

    def __init__(self, *rules: _Rule | tuple[_Rule, Category]) -> None:
        pairs = [r if isinstance(r, tuple) else (r, "none") for r in rules]
        self.rules: tuple[_Rule, ...] = tuple(r for r, _ in pairs)
        self.cats: tuple[Category, ...] = tuple(c for _, c in pairs)
        index: dict[str, list[int]] = {}
        always: list[int] = []
        for i, rule in enumerate(self.rules):
            if not rule.keys:
                always.append(i)
            for word in rule.keys[0] if rule.keys else ():
                index.setdefault(word, []).append(i)
        self._index = {w: tuple(ix) for w, ix in index.items()}
        self._always = frozenset(always)

    @classmethod
    def joined(cls, sets: Iterable[_RuleSet]) -> _RuleSet:
        """One rule set holding several in order (every language's, so a message meets one
        index instead of one per language)."""
        return cls(*((r, c) for rs in sets for r, c in zip(rs.rules, rs.cats, strict=True)))

    def may_fire(self, text: str) -> bool:
        """Whether a rule could fire: a word of a first gate is somewhere in the text.

        A substring test, cheaper than cutting the text into words; only a quick pre-check.
        """
        return bool(self._always) or any(word in text for word in self._index)

    def fired(self, texts: _Texts) -> list[int]:
        """Positions of the rules that fire on any of the texts, in rule order."""
        return self.read(texts)[0]

    def read(self, texts: _Texts) -> tuple[list[int], list[int]]:
        """Positions of the rules that fire on any text, and of those only ever vetoed."""
        hits: set[int] = set()
        vetoes: set[int] = set()
        for text, words in texts:
            candidates = set(self._always)
            for word in self._index.keys() & words:
                candidates.update(self._index[word])
            if not candidates:
                continue
            places = word_places(text, words) if len(text) > LONG_TEXT else None
            for i in candidates - hits:
                rule = self.rules[i]
                spans = spans_of(rule, places, len(text)) if places is not None else None
                reading = rule.reading(text, words, spans)
                if reading is FIRED:
                    hits.add(i)
                elif reading is VETOED:
                    vetoes.add(i)
        if not hits and not vetoes:
            return [], []
        return sorted(hits), sorted(vetoes - hits)

    def names(self, texts: _Texts) -> list[str]:
        """Names of the rules that fire on any of the texts, in rule order."""
        return [self.rules[i].name for i in self.fired(texts)]


# --------------------------------------------------------------------------------------------
# Messages that are a run of units: sign-offs and yes/no answers

_LEADING_PUNCT = re.compile(r"[\s!-&(-/:-@\[-`{-~]*")  # ASCII punctuation; keeps emoji


def _whole(unit: re.Pattern[str], text: str) -> bool:
    """Whether the text is a run of units, each taken as the first alternative that fits.

    One regex with `(?:unit)+$` would find more splits, but it backtracks exponentially on a long
    near-miss ("bye bye bye ... x"); taking units one at a time keeps the cost linear.
    """
    lead = _LEADING_PUNCT.match(text)
    pos = lead.end() if lead else 0
    end = len(text)
    if pos == end:
        return False
    while pos < end:
        m = unit.match(text, pos)
        if m is None or m.end() == pos:
            return False
        pos = m.end()
    return True


def _flag(rules: _RuleSet, texts: _Texts) -> list[tuple[str, Category]]:
    return [(rules.rules[i].name, rules.cats[i]) for i in rules.fired(texts)]


# --------------------------------------------------------------------------------------------
# One language's tables


#: A pattern that matches nothing, for the units a language does not have.
NEVER = re.compile(r"(?!)")


@dataclass(frozen=True, kw_only=True, slots=True)
class LanguageRules:
    """Everything one language gives the screen: its rule sets and its short-message units."""

    code: str  # ISO 639-1, "en"
    risk_self: _RuleSet
    # Read on the original-case text, where case is the signal ("SH" is self-harm, "sh" a shell).
    risk_self_cased: _RuleSet = field(default_factory=_RuleSet)
    risk_others: _RuleSet
    end: _RuleSet
    # A sign-off message is a run of `signoff_unit`s (sign-offs and fillers such as "thanks")
    # with at least one sign-off proper (`signoff_any`) in it. A language may leave them out.
    signoff_unit: re.Pattern[str] = NEVER
    signoff_any: _Rx = field(default_factory=lambda: _c(NEVER.pattern))
    # A confirmation answer is a run of one of these, and not of both.
    yes_unit: re.Pattern[str] = NEVER
    no_unit: re.Pattern[str] = NEVER
    # Offline only, and precision first: a language may have none (the classifier reads all).
    harmful: _RuleSet = field(default_factory=_RuleSet)
    abuse: _RuleSet = field(default_factory=_RuleSet)
    # Contexts that say a message is about the subject, not the writer ("what is suicide?", an
    # essay, statistics): on a short message they overrule the learned scorer, never a rule.
    not_risk: _RuleSet = field(default_factory=_RuleSet)
