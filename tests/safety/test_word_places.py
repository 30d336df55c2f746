"""The long-text search regions: a key's places must be exactly where `[\\w']+` words start.

A place missed would hide a phrase from its rule on a long message; so the fast finder is checked
against the plain tokenizer on awkward text (apostrophes, underscores, digits, accents, keys
inside longer words, short keys that must be whole words).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.safety.engine import WordPlaces, _words

_WORD = re.compile(r"[\w']+")


def tokenized(text: str) -> dict[str, list[int]]:
    places: dict[str, list[int]] = {}
    for m in _WORD.finditer(text):
        places.setdefault(m.group(0)[:4], []).append(m.start())
    return places


ALPHABET = st.sampled_from(list("kilmyself i'_ 2é-.\nkil"))
KEYS = ["kill", "i", "my", "self", "kil", "i'", "'kil", "myse", "é", "k-i"]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=80))
def test_places_are_where_words_start(text: str) -> None:
    places = WordPlaces(text, _words(text))
    expected = tokenized(text)
    for key in KEYS + list(expected):
        assert list(places.get(key)) == expected.get(key, []), (text, key)


def test_a_key_inside_a_word_or_longer_than_a_short_word_is_not_a_place() -> None:
    text = "skill kill killing i it i'm my_self"
    places = WordPlaces(text, _words(text))
    assert list(places.get("kill")) == [6, 11]  # not inside "skill"
    assert list(places.get("i")) == [19]  # "it" and "i'm" are other words
    assert list(places.get("i'm")) == [24]
    assert list(places.get("my")) == []  # "my_self" is one word
    assert places.starts(frozenset({"kill", "i"})) == [6, 11, 19]
