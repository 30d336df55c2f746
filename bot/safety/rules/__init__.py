"""The local screen's phrase tables, one module per language, and the list the screen reads.

Adding a language is adding a module: write `bot/safety/rules/<code>.py` ending in a
`RULES = LanguageRules(code=..., ...)` (see the `en` package for the families and how a rule is
written; a long table may be a package split by family, as `en` is), import it here and add its
`RULES` to `LANGUAGES`. Every language reads every message; the screen
merges what fired, in the order of `LANGUAGES`.
"""

from __future__ import annotations

from bot.safety.engine import LanguageRules
from bot.safety.rules import de, en, es, fr, it, pt

__all__ = ["LANGUAGES", "LanguageRules"]

# The languages the screen reads every message in; their hits are reported in this order.
LANGUAGES: tuple[LanguageRules, ...] = (
    en.RULES,
    es.RULES,
    fr.RULES,
    de.RULES,
    pt.RULES,
    it.RULES,
)
