"""French phrase families: risk to self and to others, end requests, yes/no answers.

Written against normalised text (lower case, accents dropped: "a", "etre", "disparaitre"; the
apostrophe kept: "j'ai"), for the first-person statements that must bring help with no network:
"je veux mourir", "je vais me suicider", "je n'ai plus envie de vivre", "je me scarifie".
Negation ("je ne veux pas mourir") does not fire.
"""

from __future__ import annotations

import re

from bot.safety.engine import LanguageRules, _c, _k, _Rule, _RuleSet

_NEG = _c(r"\b(?:ne|n'|pas|jamais|plus)\s*$")
_HYPERBOLE = _c(r"^\W*(?:mdr|ptdr|lol|xd|haha\w*|de\s+(?:rire|honte|chaud|faim|ennui))")
_ME = r"(?:je|j'|moi\s+je)"
_WANT = (
    r"(?:veux|voudrais|voulais|vais|compte|pense\s+a|pense|songe\s+a|ai\s+envie\s+de|avais"
    r"\s+envie\s+de|dois|devrais|prefere|prefererais|aimerais|reve\s+de|suis\s+pret(?:e)?\s+a"
    r"|ai\s+decide\s+de|essaie\s+de|ai\s+essaye\s+de)"
)

_RISK_SELF = _RuleSet(
    _Rule(
        "risk.self.fr.veux_mourir",
        _k("mourir morte mort disparaitre exister vivre reveiller finir arreter"),
        _c(
            rf"\b{_ME}\s*{_WANT}\s+(?:juste\s+|simplement\s+)?(?:mourir|etre\s+mort(?:e)?|disparaitre"
            r"|ne\s+plus\s+(?:exister|vivre|me\s+reveiller|etre\s+la)|en\s+finir(?:\s+avec\s+(?:la|ma)"
            r"\s+vie)?|arreter\s+de\s+vivre)\b|\bj'ai\s+envie\s+de\s+mourir\b"
            r"|\bj'aimerais\s+(?:mourir|etre\s+mort(?:e)?|ne\s+jamais\s+me\s+reveiller)\b"
        ),
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.self.fr.me_tuer",
        _k("tuer suicider foutre pendre jeter flinguer supprimer"),
        _c(
            rf"\b{_ME}\s*{_WANT}\s+(?:\w+\s+)?me\s+(?:tuer|suicider|foutre\s+en\s+l'air|pendre"
            r"|flinguer|supprimer|jeter\s+(?:sous|du|d'un|par|de)\b)"
            r"|\bje\s+(?:vais|veux)\s+me\s+(?:tuer|suicider)\b"
        ),
        not_after=_c(
            r"^\s*(?:de\s+rire|a\s+(?:la\s+tache|travailler|bosser))|" + _HYPERBOLE.pattern
        ),
    ),
    _Rule(
        "risk.self.fr.fin_a_mes_jours",
        _k("jours vie finir"),
        _c(
            r"\b(?:mettre|mets|mettrai|vais\s+mettre)\s+fin\s+a\s+(?:mes\s+jours|ma\s+vie)\b"
            r"|\ben\s+finir\s+avec\s+(?:la|ma)\s+vie\b|\bme\s+(?:donner|ôter|oter|enlever)\s+la\s+(?:mort|vie)\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "risk.self.fr.suicide",
        _k("suicide suicidaire suicidaires"),
        _c(
            r"\b(?:je\s+(?:pense|songe)\s+(?:au|a\s+me)\s+suicid(?:e|er)|j'ai\s+(?:des\s+)?(?:pensees|idees)"
            r"\s+suicidaires|je\s+(?:suis|me\s+sens)\s+(?:tres\s+)?suicidaire|mes\s+(?:pensees|idees"
            r"|envies)\s+suicidaires|j'ai\s+(?:fait\s+une\s+)?tentative\s+de\s+suicide)\b"
        ),
    ),
    _Rule(
        "risk.self.fr.plus_envie_de_vivre",
        _k("vivre vie sens raison"),
        _c(
            r"\bje\s+(?:ne\s+)?(?:veux|peux)\s+plus\s+vivre\b|\bje\s+n'ai\s+plus\s+(?:envie|la\s+force)"
            r"\s+de\s+vivre\b|\bj'ai\s+plus\s+envie\s+de\s+vivre\b|\bma\s+vie\s+n'a\s+(?:plus\s+)?"
            r"(?:aucun\s+)?sens\b|\bje\s+n'ai\s+(?:plus\s+)?aucune\s+raison\s+de\s+vivre\b"
            r"|\bje\s+suis\s+fatigue(?:e)?\s+de\s+vivre\b"
        ),
    ),
    _Rule(
        "risk.self.fr.mieux_sans_moi",
        _k("mieux manquerait regretterait"),
        _c(
            r"\b(?:ils|elles|tout\s+le\s+monde|ma\s+famille|tu)\s+(?:serai(?:en)?t|serais)\s+mieux\s+sans"
            r"\s+moi\b|\bpersonne\s+ne\s+(?:me\s+regretterait|remarquerait|s'en\s+rendrait\s+compte)\b"
            r"|\bje\s+(?:ne\s+)?manquerai(?:s)?\s+a\s+personne\b"
        ),
    ),
    _Rule(
        "risk.self.fr.automutilation",
        _k("scarifie scarifier coupe couper mutile automutile automutilation brule mal"),
        _c(
            r"\bje\s+me\s+(?:scarifie|coupe|mutile|suis\s+(?:coupe|scarifie)e?|brule|fais\s+du\s+mal"
            r"|fais\s+mal\s+expres)\b|\bme\s+(?:scarifier|couper\s+les\s+veines|mutiler"
            r"|faire\s+du\s+mal)\b|\bje\s+m'automutile\b|\bautomutilation\b"
        ),
        not_before=_NEG,
        not_after=_c(
            r"^\s*(?:les\s+cheveux|les\s+ongles|en\s+cuisinant|avec\s+(?:du|une)\s+papier)"
        ),
    ),
)

_RISK_OTHERS = _RuleSet(
    _Rule(
        "risk.others.fr.vais_tuer",
        _k("tuer buter egorger poignarder flinguer tirer massacrer bruler bombe feu"),
        _c(
            r"\bje\s+(?:vais|veux|jure\s+que\s+je\s+vais)\s+(?:le|la|les|te|vous|l')\s*(?:tuer|buter"
            r"|egorger|poignarder|flinguer|massacrer|bruler)\b|\bje\s+(?:vais|veux)\s+(?:tuer|buter"
            r"|egorger|poignarder|flinguer|massacrer)\s+(?:mon|ma|mes|ce|cette|ces|tout\s+le\s+monde"
            r"|tous|toute\s+la)\b|\bje\s+vais\s+(?:tirer\s+sur|poser\s+une\s+bombe|mettre\s+le\s+feu)"
        ),
        not_after=_HYPERBOLE,
    ),
)

_END = _RuleSet(
    _Rule(
        "end.fr.explicit",
        _k("fil conversation discussion chat echange"),
        _c(
            r"\b(?:termine|terminer|terminez|ferme|fermer|fermez|arrete|arreter|arretez|finis|finir"
            r"|clos|clore|cloture|cloturer|mets\s+fin\s+a|mettre\s+fin\s+a|on\s+arrete)\s+(?:ce|cette"
            r"|la|le|notre|l')\s*(?:fil|conversation|discussion|chat|echange)\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "end.fr.plus_parler",
        _k("parler discuter"),
        _c(
            r"\bje\s+(?:ne\s+)?veux\s+plus\s+(?:te\s+|vous\s+)?(?:parler|discuter)(?:\s+avec\s+(?:toi"
            r"|vous))?(?=\s*(?:[.!?,]|$))"
        ),
    ),
)

_YES_UNIT = re.compile(
    r"(?:oui\s+s'il\s+te\s+plait|oui|ouais|d'accord|bien\s+sur|je\s+confirme|vas-y|allez-y"
    r"|ferme-le|termine-le|absolument|exactement)(?:[\s,.!]+|$)"
)
_NO_UNIT = re.compile(
    r"(?:non\s+merci|non|pas\s+encore|pas\s+maintenant|attends|annule(?:r)?"
    r"|ne\s+(?:le\s+)?ferme\s+pas|laisse(?:-le)?\s+ouvert)(?:[\s,.!]+|$)"
)

RULES = LanguageRules(
    code="fr",
    risk_self=_RISK_SELF,
    risk_others=_RISK_OTHERS,
    end=_END,
    yes_unit=_YES_UNIT,
    no_unit=_NO_UNIT,
)
