"""A guess at a message's language, for saying the crisis resources in it.

The screen's rules are written per language and named for it ("risk.self.fr.veux_mourir"), so a
rule that fired is the best evidence there is. Without one, a count of common function words
over the normalised text decides, and only with a clear lead: a wrong guess would put the
resources in a language the reader may not read, so "" (unknown, English text) is the answer
whenever the count is close. Pure and cheap: it runs on every screened message.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from bot.safety.normalize import normalize_plain

#: The languages the screen has rules for, in the order ties are settled.
LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common words that are rare in the other five languages (accents as `normalize_plain` leaves
# them: dropped). A word shared by two languages ("que", "la") is left out of both.
_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is i you to of it that my not this what with have be are just don can about "
        "really want feel anymore myself anyone nobody going do"
    ),
    "es": _words(
        "el los las y pero muy yo estoy soy tengo ya quiero puedo nadie vivir morir hay mucho "
        "ahora del hoy eso esto"
    ),
    "fr": _words(
        "les et est je j pas une pour moi suis vous avec c rien veux ai n qu personne mourir "
        "vivre mon mes ce ca tout etre au aux sont"
    ),
    "de": _words(
        "der das und ist ich nicht ein eine mit auf zu mich mir bin habe kann sein wie auch nur "
        "noch mehr niemand leben sterben den dem nichts mein meine kein keine aber oder wenn "
        "dass sich"
    ),
    "pt": _words(
        "o os um uma nao eu voce com muito estou quero tenho isso meu minha sou tudo na ninguem "
        "viver morrer agora sem pra ele ela"
    ),
    "it": _words(
        "gli io sono che di per voglio piu niente questo perche ho anche cosa della nella "
        "nessuno vivere morire sto mio mia ancora essere tutto adesso"
    ),
}
_WORD = re.compile(r"[a-z]+")
#: Words of one language a message must have, and its lead over the next language.
MIN_WORDS = 2
MIN_LEAD = 2


def _from_rules(rules: Sequence[str]) -> str:
    """The language the fired rules are named for, when they agree on one ("" otherwise)."""
    named = Counter(part for name in rules for part in name.split(".")[1:] if part in LANGUAGES)
    if not named:
        return ""
    top = max(named.values())
    leaders = [code for code in LANGUAGES if named.get(code) == top]
    return leaders[0] if len(leaders) == 1 else ""


def _from_words(text: str) -> str:
    """The language most of the common words belong to, with a clear lead ("" otherwise)."""
    words = _WORD.findall(normalize_plain(text))
    counts = {code: sum(w in vocabulary for w in words) for code, vocabulary in _STOP_WORDS.items()}
    ranked = sorted(LANGUAGES, key=lambda code: -counts[code])
    best, second = counts[ranked[0]], counts[ranked[1]]
    if best >= MIN_WORDS and best - second >= MIN_LEAD:
        return ranked[0]
    return ""


def guess_language(text: str, rules: Sequence[str] = ()) -> str:
    """The message's language as an ISO 639-1 code ("fr"), or "" when it is not clear.

    `rules` are the names of the screen's rules that fired on it.
    """
    return _from_rules(rules) or _from_words(text)
