"""Contexts that say a message is about the subject, not the writer: on a short message they
overrule the learned scorer, never a rule.
"""

from __future__ import annotations

from bot.safety.engine import _c, _k, _Rule, _RuleSet
from bot.safety.rules.en.common import _GAME_OR_FICTION, _STUDY

_NOT_RISK = _RuleSet(
    _Rule(
        "context.study",
        _k(
            "what define definition essay thesis statistics prevalence epidemiology "
            "epidemiological research literature lecture documentary survey"
        ),
        _STUDY,
    ),
    _Rule(
        "context.question_about",
        _k("why how is can common explain tell causes happens"),
        _c(
            r"^\W*(?:why\s+do(?:es)?\s+(?:people|someone|they|teens?|so\s+many)|how\s+(?:common"
            r"|many\s+people|do\s+(?:i|you|we)\s+(?:help|support|talk\s+to))|is\s+it\s+(?:true"
            r"|normal)\s+that|what\s+(?:causes|happens\s+(?:when|if)|are\s+the\s+(?:signs|warning))"
            r"|can\s+you\s+(?:explain|tell\s+me\s+about))\b"
        ),
    ),
    _Rule("context.game_or_fiction", (), _GAME_OR_FICTION),
    _Rule(
        "context.supporting_someone",
        _k("you alone reach crisis hotline helpline please sorry sounds"),
        _c(
            r"\b(?:you(?:'re|\s+are)\s+not\s+alone|reach\s+out\s+to|(?:crisis|suicide)\s+(?:line"
            r"|text\s+line|hotline)|hotline|helpline|please\s+(?:talk|call|reach|text)"
            r"|i'?m\s+(?:so\s+)?sorry\s+(?:you'?re|that\s+you)|it\s+sounds\s+like\s+you)\b"
        ),
    ),
)
