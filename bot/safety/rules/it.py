"""Italian phrase families: risk to self and to others, end requests, yes/no answers.

Written against normalised text (lower case, accents dropped: "piu", "perche"), for the
first-person statements that must bring help with no network: "voglio morire", "mi voglio
uccidere", "non voglio piu vivere", "mi taglio". Negation ("non voglio morire") does not fire.
"""

from __future__ import annotations

import re

from bot.safety.engine import LanguageRules, _c, _k, _Rule, _RuleSet

_NEG = _c(r"\b(?:non|mai|neanche|nemmeno)\s+(?:mi\s+)?$")
_HYPERBOLE = _c(r"^\W*(?:ahah\w*|haha\w*|lol|xd|scherzo|dal\s+(?:ridere|caldo)|di\s+noia)")
_WANT = (
    r"(?:voglio|vorrei|volevo|devo|dovrei|penso\s+di|sto\s+pensando\s+di|ho\s+pensato\s+di"
    r"|ho\s+voglia\s+di|ho\s+deciso\s+di|ho\s+provato\s+a|sto\s+per|preferirei)"
)

_RISK_SELF = _RuleSet(
    _Rule(
        "risk.self.it.voglio_morire",
        _k("morire morto morta sparire esistere svegliarmi"),
        _c(
            rf"\b{_WANT}\s+(?:solo\s+|soltanto\s+)?(?:morire|essere\s+mort[oa]|sparire\s+per\s+sempre"
            r"|smettere\s+di\s+(?:esistere|vivere)|non\s+(?:esistere|svegliarmi)\s*(?:piu)?)\b"
            r"|\bvorrei\s+essere\s+mort[oa]\b"
        ),
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.self.it.uccidermi",
        _k(
            "uccidere uccidermi ammazzare ammazzarmi ammazzo suicidarmi suicidare impiccarmi "
            "buttarmi"
        ),
        _c(
            rf"\b{_WANT}\s+(?:\w+\s+)?(?:uccidermi|ammazzarmi|suicidarmi|impiccarmi|buttarmi\s+(?:dal"
            r"|da\s+un|sotto\s+(?:un|il))\s+(?:ponte|palazzo|treno|finestra|balcone))\b"
            r"|\bmi\s+(?:voglio|vorrei|devo)\s+(?:uccidere|ammazzare|suicidare|impiccare)\b"
            r"|\b(?:adesso|stasera|oggi|domani)\s+mi\s+ammazzo\b|\bmi\s+ammazzo\s+(?:stasera|oggi|domani"
            r"|adesso)\b"
        ),
        not_before=_NEG,
        not_after=_c(r"^\s*(?:dal\s+ridere|di\s+lavoro|a\s+studiare)|" + _HYPERBOLE.pattern),
    ),
    _Rule(
        "risk.self.it.farla_finita",
        _k("finita vita suicidio suicidi suicida"),
        _c(
            rf"\b{_WANT}\s+(?:\w+\s+)?(?:farla\s+finita|togliermi\s+la\s+vita|porre\s+fine\s+alla\s+mia"
            r"\s+vita)\b|\b(?:penso|pensieri|pensando)\s+(?:al|di)\s+suicid(?:io|armi)\b"
            r"|\b(?:ho|i\s+miei|miei)\s+(?:\w+\s+)?pensieri\s+suicid[ai]\b"
            r"|\b(?:sono|mi\s+sento)\s+suicida\b"
        ),
        not_before=_NEG,
        not_after=_c(r"^\s*(?:con\s+(?:questa|questo|la|il)\s+(?:discussione|storia|lavoro|chat))"),
    ),
    _Rule(
        "risk.self.it.non_voglio_vivere",
        _k("vivere vita senso"),
        _c(
            r"\bnon\s+(?:voglio|ce\s+la\s+faccio\s+a|riesco\s+a)\s+(?:piu\s+)?vivere\b|\bla\s+mia\s+vita"
            r"\s+non\s+ha\s+(?:piu\s+)?(?:nessun\s+)?senso\b|\bnon\s+ho\s+(?:piu\s+)?(?:nessun\s+)?motivo"
            r"\s+per\s+vivere\b|\bstanc[oa]\s+di\s+vivere\b"
        ),
    ),
    _Rule(
        "risk.self.it.meglio_senza_di_me",
        _k("meglio mancanza"),
        _c(
            r"\b(?:tutti|loro|la\s+mia\s+famiglia)\s+(?:starebbero|sarebbero)\s+meglio\s+senza\s+di\s+me\b"
            r"|\bnessuno\s+sentirebbe\s+la\s+mia\s+mancanza\b"
        ),
    ),
    _Rule(
        "risk.self.it.autolesionismo",
        _k("taglio tagliarmi tagliata tagliato autolesionismo ferisco ferirmi brucio"),
        _c(
            r"\b(?:mi\s+(?:taglio|sono\s+tagliat[oa]|ferisco|brucio|faccio\s+del\s+male)|tagliarmi"
            r"|ferirmi|farmi\s+del\s+male|autolesionismo)\b"
        ),
        not_before=_NEG,
        not_after=_c(r"^\s*(?:i\s+capelli|le\s+unghie|cucinando|per\s+sbaglio|con\s+la\s+carta)"),
    ),
)

_RISK_OTHERS = _RuleSet(
    _Rule(
        "risk.others.it.ti_ammazzo",
        _k("ammazzo uccido ammazzare uccidere ucciderlo ucciderla sparo bomba fuoco"),
        _c(
            r"\b(?:ti|lo|la|li|le|vi)\s+(?:ammazzo|uccido)\b(?!\s+(?:dal\s+ridere|di\s+baci))"
            r"|\b(?:voglio|vado\s+ad?|sto\s+per|giuro\s+che)\s+(?:ammazzarl[oaie]|ucciderl[oaie]"
            r"|(?:ammazzare|uccidere)\s+(?:\w+\s+)?(?:tutti|mio|mia|miei|quel|quella|quelli|il|la"
            r"|lo|i|le)\b)"
            r"|\bgli\s+sparo\b|\bmetto\s+una\s+bomba\b|\bdo\s+fuoco\s+alla\s+(?:sua|loro)\s+casa\b"
        ),
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
)

_END = _RuleSet(
    _Rule(
        "end.it.explicit",
        _k("conversazione thread chat discussione dialogo"),
        _c(
            r"\b(?:chiudi|chiudere|chiudiamo|termina|terminare|terminiamo|finisci|finire|finiamo"
            r"|interrompi|interrompere|ferma|fermare|concludi|concludere|concludiamo)\s+(?:questa"
            r"|questo|la|il|lo|nostra|nostro)\s+(?:conversazione|thread|chat|discussione|dialogo)\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "end.it.non_voglio_parlare",
        _k("parlare"),
        _c(r"\bnon\s+voglio\s+piu\s+parlar(?:e|ti)(?:\s+con\s+te)?(?=\s*(?:[.!?,]|$))"),
    ),
)

_YES_UNIT = re.compile(
    r"(?:si\s+grazie|si|certo|va\s+bene|confermo|d'accordo|ok|procedi|chiudilo)(?:[\s,.!]+|$)"
)
_NO_UNIT = re.compile(
    r"(?:no\s+grazie|no|non\s+ancora|meglio\s+di\s+no|aspetta|annulla|lascialo\s+aperto)"
    r"(?:[\s,.!]+|$)"
)

RULES = LanguageRules(
    code="it",
    risk_self=_RISK_SELF,
    risk_others=_RISK_OTHERS,
    end=_END,
    yes_unit=_YES_UNIT,
    no_unit=_NO_UNIT,
)
