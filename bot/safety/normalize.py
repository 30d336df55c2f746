"""Text normalisation so the local screen matches what people mean, not how they typed it.

People dodge keyword filters with zero-width characters, fullwidth or accented letters, look-alike
Cyrillic, zalgo marks and leetspeak, and they type curly quotes from their phones. The screen's
phrase patterns are written once, against plain lowercase ASCII-ish text, so every input is folded
to that shape first.

Two foldings are offered. `normalize_plain` keeps digits and symbols as they are (so "took 30 pills"
or "1 2 3" survive); `normalize` also reads leetspeak ("k1ll mys3lf" -> "kill myself"), but only
inside words that already contain a letter, so bare numbers are never turned into letters. `clean`
does the character-level work without case folding, for the few rules that need case.

Two more passes undo deliberate disguise before any of that: `reveal` puts text written
backwards inside a right-to-left override (U+202E, which displays "flesym llik" as "kill myself")
back in reading order, and `despace` joins words typed letter by letter ("k i l l  m y s e l f",
"s.u.i.c.i.d.e", "p-i-p-e b-o-m-b"). Both only ever add a reading: the screen matches the
original text too, so a false merge of ordinary spaced text ("u r a star") cannot hide anything.

Everything is precompiled at import; a pure-ASCII message skips the Unicode passes entirely.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = [
    "clean",
    "despace",
    "fold",
    "fold_both",
    "normalize",
    "normalize_plain",
    "reveal",
    "segment",
    "unleet",
]

# Default-ignorable and format characters: soft hyphen, combining grapheme joiner, Arabic letter
# mark, Hangul fillers, Mongolian vowel separator and free variation selectors, zero-width
# space/non-joiner/joiner, LRM/RLM, bidi embeddings, overrides and isolates, word joiner and the
# invisible operators, BOM, variation selectors, interlinear annotation marks, tag characters.
_INVISIBLE = re.compile(
    "["
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef"
    "]+"
)

# Combining marks left after NFKD: diacritics and the stacks of marks used for "zalgo" text.
_COMBINING = re.compile(
    "["
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "]+"
)

_PUNCT = str.maketrans(
    {
        # apostrophes and single quotes
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u02bc": "'",
        # double quotes
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        # dashes and hyphens
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)

# Letters that look like Latin ones (Cyrillic and Greek), folded after case folding.
_CONFUSABLES = str.maketrans(
    {
        "\u0430": "a",  # cyrillic small letter a
        "\u0435": "e",  # cyrillic small letter ie
        "\u0451": "e",  # cyrillic small letter io
        "\u043e": "o",  # cyrillic small letter o
        "\u0440": "p",  # cyrillic small letter er
        "\u0441": "c",  # cyrillic small letter es
        "\u0443": "y",  # cyrillic small letter u
        "\u0445": "x",  # cyrillic small letter ha
        "\u0456": "i",  # cyrillic small letter byelorussian-ukrainian i
        "\u0457": "i",  # cyrillic small letter yi
        "\u0458": "j",  # cyrillic small letter je
        "\u0455": "s",  # cyrillic small letter dze
        "\u043a": "k",  # cyrillic small letter ka
        "\u043c": "m",  # cyrillic small letter em
        "\u043d": "h",  # cyrillic small letter en
        "\u0442": "t",  # cyrillic small letter te
        "\u0432": "b",  # cyrillic small letter ve
        "\u04bb": "h",  # cyrillic small letter shha
        "\u0501": "d",  # cyrillic small letter komi de
        "\u03bf": "o",  # greek small letter omicron
        "\u03b1": "a",  # greek small letter alpha
        "\u03b5": "e",  # greek small letter epsilon
        "\u03b9": "i",  # greek small letter iota
        "\u03ba": "k",  # greek small letter kappa
        "\u03bd": "v",  # greek small letter nu
        "\u03c1": "p",  # greek small letter rho
        "\u03c4": "t",  # greek small letter tau
        "\u03c5": "u",  # greek small letter upsilon
        "\u0131": "i",  # latin small letter dotless i
        "\u0269": "i",  # latin small letter iota
        "\u0261": "g",  # latin small letter script g
        # small capitals, as in "kill myself" typed in a small-caps font (written as escapes)
        "\u1d00": "a",
        "\u0299": "b",
        "\u1d04": "c",
        "\u1d05": "d",
        "\u1d07": "e",
        "\u0493": "f",
        "\u0262": "g",
        "\u029c": "h",
        "\u026a": "i",
        "\u1d0a": "j",
        "\u1d0b": "k",
        "\u029f": "l",
        "\u1d0d": "m",
        "\u0274": "n",
        "\u1d0f": "o",
        "\u1d18": "p",
        "\u01eb": "q",
        "\u0280": "r",
        "\ua731": "s",
        "\u1d1b": "t",
        "\u1d1c": "u",
        "\u1d20": "v",
        "\u1d21": "w",
        "\u028f": "y",
        "\u1d22": "z",
    }
)

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
#: The other reading of 1, as l ("ki11 myse1f").
_LEET_L = str.maketrans(
    {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
# "!" inside a word reads as i ("k!ll"), "|" next to a letter or another "|" as l ("ki||").
_BANG_I = re.compile(r"(?<=[a-z0-9])!(?=[a-z0-9])")
_PIPE_L = re.compile(r"(?<=[a-z0-9|])\|(?=[a-z0-9|\s]|$)|\|(?=[a-z])")
# A word-ish run holding at least one leet character; only mapped when it also has a letter.
_LEET_TOKEN = re.compile(r"[a-z0-9@$]*[0-9@$][a-z0-9@$]*")
_HAS_LEET = re.compile(r"[0-9@$]")
_HAS_LETTER = re.compile(r"[a-z]")

# "killlll" -> "kill", "pleeease" -> "pleease": three or more of a letter become two.
_STRETCHED = re.compile(r"([a-z])\1\1+")


# Terminal escape sequences, then any other control character (whitespace is kept for split()).
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Unicode categories dropped whatever their code point: format characters (invisible), every
# non-spacing and enclosing mark (accents, zalgo stacks), surrogates and private use.
_DROP_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cs", "Co"})


# Right-to-left override ... pop directional formatting (or the line end): shown reversed.
_RLO_RUN = re.compile("\u202e([^\u202c\n]*)\u202c?")
# Three or more single letters, each followed by one separator of the same kind: "k i l l",
# "s.u.i.c.i.d.e", "p-i-p-e". Two spaces (or another separator) end a run: that is a word break.
_SPACED_RUN = re.compile(
    r"(?<![^\W\d_])(?:[^\W\d_] ){2,}[^\W\d_](?![^\W\d_])"
    r"|(?<![^\W\d_])(?:[^\W\d_]\.){2,}[^\W\d_](?![^\W\d_])\.?"
    r"|(?<![^\W\d_])(?:[^\W\d_][-_*~]){2,}[^\W\d_](?![^\W\d_])"
)
_SEPARATORS = re.compile(r"[ .\-_*~]")
# Three letters with a separator after each of the first two: every spaced run starts so, and
# ordinary text almost never does; the cheap test that spares most texts the full search.
_SPACED_HINT = re.compile(r"\b[^\W\d_][ .\-_*~][^\W\d_][ .\-_*~][^\W\d_]\b")


def reveal(text: str) -> str:
    """Text inside a right-to-left override, in the order a reader sees it on screen."""
    if "\u202e" not in text:
        return text
    return _RLO_RUN.sub(lambda m: m.group(1)[::-1], text)


def despace(text: str, *, split: Callable[[str], str] | None = None) -> str:
    """Words typed letter by letter joined up: "k i l l  m y s e l f" -> "kill myself".

    A run with no word break in it ("k i l l m y s e l f") is joined whole, then handed to
    `split` (when given) to find its words. Text with no such run is returned as it is.
    """
    if _SPACED_HINT.search(text) is None or _SPACED_RUN.search(text) is None:
        return text

    def join(match: re.Match[str]) -> str:
        word = _SEPARATORS.sub("", match.group(0))
        return split(word) if split is not None else word

    return _SPACED_RUN.sub(join, text)


#: Longest run that `segment` tries to split into words (longer ones are left whole).
_MAX_SEGMENT = 40


def segment(run: str, known: frozenset[str] | set[str]) -> str:
    """A run of letters split into the fewest known words ("killmyself" -> "kill myself").

    The run is returned whole when it is a word already, too long, or cannot be covered.
    """
    low = run.casefold()
    if len(low) > _MAX_SEGMENT or low in known or not known:
        return run
    n = len(low)
    # best[i]: the fewest words covering low[:i], and where the last one starts
    best: list[tuple[int, int] | None] = [(0, 0)] + [None] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            prior = best[start]
            if prior is not None and low[start:end] in known:
                count = prior[0] + 1
                current = best[end]
                if current is None or count < current[0]:
                    best[end] = (count, start)
    if best[n] is None:
        return run
    words: list[str] = []
    end = n
    while end > 0:
        entry = best[end]
        assert entry is not None
        words.append(run[entry[1] : end])
        end = entry[1]
    return " ".join(reversed(words))


class _Dropped(dict[int, int | None]):
    """A `str.translate` table that drops characters of the dropped categories: each code point
    is looked up in unicodedata the first time it is met, then remembered."""

    def __missing__(self, code: int) -> int | None:
        keep = code < 128 or unicodedata.category(chr(code)) not in _DROP_CATEGORIES
        value = code if keep else None
        if len(self) < 65_536:
            self[code] = value
        return value


_DROPPED = _Dropped()


def clean(text: str) -> str:
    """Fold compatibility forms, drop controls, invisibles and marks, unify quotes and spaces."""
    if _CONTROL.search(text) is not None:
        text = _CONTROL.sub("", _ANSI.sub("", text))
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = _INVISIBLE.sub("", text)
        text = _COMBINING.sub("", text)
        # The lists above are fast paths; the categories catch what a hand list would miss.
        text = text.translate(_DROPPED)
        text = unicodedata.normalize("NFC", text)
        text = text.translate(_PUNCT)
    return " ".join(text.split())


def fold(cleaned: str) -> str:
    """Case-fold text that `clean` produced, read look-alike letters, shorten stretched letters."""
    return fold_both(cleaned)[0]


def fold_both(cleaned: str) -> tuple[str, str]:
    """`fold` with stretched letters cut to two ("killll" -> "kill") and to one ("dieee" -> "die").

    The two are the same object unless the text has a letter three or more times in a row.
    """
    text = cleaned.casefold()
    if not text.isascii():
        text = text.translate(_CONFUSABLES)
    if _STRETCHED.search(text) is None:
        return text, text
    return _STRETCHED.sub(r"\1\1", text), _STRETCHED.sub(r"\1", text)


def unleet(folded: str, *, one: str = "i") -> str:
    """Read leetspeak as letters inside words that contain a letter; bare numbers stay numbers.

    `one` says how to read 1: as "i" (the default) or as "l"; the screen tries both.
    """
    if "!" in folded or "|" in folded:
        folded = _PIPE_L.sub("l", _BANG_I.sub("i", folded))
    if _HAS_LEET.search(folded) is None:
        return folded
    table = _LEET_L if one == "l" else _LEET

    def token(match: re.Match[str]) -> str:
        word = match.group(0)
        return word.translate(table) if _HAS_LETTER.search(word) else word

    return _STRETCHED.sub(r"\1\1", _LEET_TOKEN.sub(token, folded))


def normalize_plain(text: str) -> str:
    """`clean` then `fold`: matching form with digits and symbols kept."""
    return fold(clean(text))


def normalize(text: str) -> str:
    """`normalize_plain` then `unleet`: the full matching form ("k1ll mys3lf" -> "kill myself")."""
    return unleet(fold(clean(text)))
