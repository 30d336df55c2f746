"""The English phrase families of the local screen, with their shared fragments and vetoes.

Risk to self, risk to others, end requests, sign-offs, yes/no answers, harmful requests and abuse.
Each rule is a phrase *family* written against normalised text (see `bot.safety.normalize`):
first person, tense and slang variants, with vetoes for the figurative, technical, fictional and
third-person uses that make crisis words so common in ordinary chat ("kill the process", "this bug
is killing me", "my character dies"). A rule may also require first person somewhere in the
message, or forbid a context (games, fiction, study). The names of the rules that fired go into
the audit log, so every name says what it looks for.

The package is split by what the families look for (`common`, `self_harm`, `others`,
`conversation`, `harmful`, `abuse`, `contexts`); this module assembles them into `RULES`, the
`LanguageRules` that `bot.safety.rules` registers for the screen.
A rule's gate (`_k`) must name a word of every text its pattern can match (the tests check this on
their own phrases); how gates, indexes and word boundaries keep the rules cheap is in
`bot.safety.engine`.
"""

from __future__ import annotations

from bot.safety.engine import LanguageRules
from bot.safety.rules.en.abuse import _ABUSE
from bot.safety.rules.en.contexts import _NOT_RISK
from bot.safety.rules.en.conversation import (
    _END,
    _NO_UNIT,
    _SIGNOFF_ANY,
    _SIGNOFF_UNIT,
    _YES_UNIT,
)
from bot.safety.rules.en.harmful import _HARMFUL
from bot.safety.rules.en.others import _RISK_OTHERS
from bot.safety.rules.en.self_harm import _RISK_SELF, _RISK_SELF_CASED

__all__ = ["RULES"]

RULES = LanguageRules(
    code="en",
    risk_self=_RISK_SELF,
    risk_self_cased=_RISK_SELF_CASED,
    risk_others=_RISK_OTHERS,
    end=_END,
    signoff_unit=_SIGNOFF_UNIT,
    signoff_any=_SIGNOFF_ANY,
    yes_unit=_YES_UNIT,
    no_unit=_NO_UNIT,
    harmful=_HARMFUL,
    abuse=_ABUSE,
    not_risk=_NOT_RISK,
)
