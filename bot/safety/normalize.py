"""Text normalisation so the local screen matches what people mean, not how they typed it.

People dodge keyword filters with zero-width characters, fullwidth or accented letters, look-alike
Cyrillic, zalgo marks and leetspeak, and they type curly quotes from their phones. The screen's
phrase patterns are written once, against plain lowercase ASCII-ish text, so every input is folded
to that shape first.

Two foldings are offered. `normalize_plain` keeps digits and symbols as they are (so "took 30 pills"
or "1 2 3" survive); `normalize` also reads leetspeak ("k1ll mys3lf" -> "kill myself"), but only
inside words that already contain a letter, so bare numbers are never turned into letters. `clean`
does the character-level work without case folding, for the few rules that need case.

Everything is precompiled at import; a pure-ASCII message skips the Unicode passes entirely.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean", "fold", "fold_both", "normalize", "normalize_plain", "unleet"]

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
    }
)

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
# A word-ish run holding at least one leet character; only mapped when it also has a letter.
_LEET_TOKEN = re.compile(r"[a-z0-9@$]*[0-9@$][a-z0-9@$]*")
_HAS_LEET = re.compile(r"[0-9@$]")
_HAS_LETTER = re.compile(r"[a-z]")

# "killlll" -> "kill", "pleeease" -> "pleease": three or more of a letter become two.
_STRETCHED = re.compile(r"([a-z])\1\1+")


def clean(text: str) -> str:
    """Fold compatibility forms, drop invisibles and combining marks, unify quotes and spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = _INVISIBLE.sub("", text)
        text = _COMBINING.sub("", text)
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


def _unleet_token(match: re.Match[str]) -> str:
    token = match.group(0)
    if _HAS_LETTER.search(token):
        return token.translate(_LEET)
    return token


def unleet(folded: str) -> str:
    """Read leetspeak as letters inside words that contain a letter; bare numbers stay numbers."""
    if _HAS_LEET.search(folded) is None:
        return folded
    return _STRETCHED.sub(r"\1\1", _LEET_TOKEN.sub(_unleet_token, folded))


def normalize_plain(text: str) -> str:
    """`clean` then `fold`: matching form with digits and symbols kept."""
    return fold(clean(text))


def normalize(text: str) -> str:
    """`normalize_plain` then `unleet`: the full matching form ("k1ll mys3lf" -> "kill myself")."""
    return unleet(fold(clean(text)))
