"""German phrase families: risk to self and to others, end requests, yes/no answers.

Written against normalised text (lower case, umlauts folded to their letter and "ß" to "ss":
"mochte", "brucke", "schliessen"), for the first-person statements that must bring help with no
network: "ich will sterben", "ich bring mich um", "ich will nicht mehr leben", "ich ritze mich".
German puts the verb last in many clauses, so both orders are written ("ich will mich
umbringen", "ich bringe mich heute um"). Negation ("ich will nicht sterben") does not fire.
"""

from __future__ import annotations

import re

from bot.safety.engine import LanguageRules, _c, _k, _Rule, _RuleSet

_NEG = _c(r"\b(?:nicht|nie|niemals|kein|keine)\s+$")
_HYPERBOLE = _c(r"^\W*(?:haha\w*|lol|xd|vor\s+(?:lachen|scham|langeweile|hitze))")
_WANT = (
    r"(?:will|mochte|mochte\s+gern|wurde\s+gern|werde|muss|sollte|plane|habe\s+vor|hab\s+vor"
    r"|denke\s+daran|denk\s+dran|bin\s+bereit)"
)

_RISK_SELF = _RuleSet(
    _Rule(
        "risk.self.de.will_sterben",
        _k("sterben tot aufwachen existieren verschwinden"),
        _c(
            rf"\bich\s+{_WANT}\s+(?:einfach\s+|nur\s+noch\s+|nur\s+|endlich\s+)?(?:sterben|tot\s+sein"
            r"|nicht\s+mehr\s+(?:aufwachen|existieren|da\s+sein|sein)|verschwinden\s+fur\s+immer"
            r"|fur\s+immer\s+verschwinden)\b|\bich\s+wunschte,?\s+ich\s+(?:ware|war)\s+tot\b"
            r"|\bich\s+wunschte,?\s+ich\s+wurde\s+nicht\s+mehr\s+aufwachen\b"
        ),
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.self.de.mich_umbringen",
        _k("umbringen umzubringen bring bringe toten umbringe erhangen erschiessen"),
        _c(
            r"\bich\s+(?:bring|bringe)\s+mich\s+(?:\w+\s+){0,3}?um\b"
            rf"|\bich\s+{_WANT}\s+(?:\w+\s+){{0,2}}?mich\s+(?:\w+\s+){{0,2}}?(?:umbringen|toten|erhangen"
            r"|erschiessen|vergiften|umzubringen)\b|\bmich\s+(?:selbst\s+)?(?:umzubringen|zu\s+toten)\b"
        ),
        not_after=_c(r"^\s*(?:vor\s+lachen|wenn\s+ich\s+noch\s+einmal)|" + _HYPERBOLE.pattern),
    ),
    _Rule(
        "risk.self.de.leben_nehmen",
        _k("leben selbstmord suizid"),
        _c(
            r"\bmir\s+(?:selbst\s+)?das\s+leben\s+(?:nehmen|zu\s+nehmen)\b|\b(?:selbstmord|suizid)\s+"
            r"(?:begehen|machen|zu\s+begehen)\b|\bich\s+(?:denke|dachte)\s+(?:oft\s+|standig\s+)?an\s+"
            r"(?:selbstmord|suizid)\b|\bich\s+habe\s+(?:oft\s+|standig\s+)?(?:selbstmordgedanken"
            r"|suizidgedanken)\b|\bmeine\s+(?:selbstmordgedanken|suizidgedanken)\b"
            r"|\bich\s+bin\s+suizidal\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "risk.self.de.nicht_mehr_leben",
        _k("leben sinn lebenswert"),
        _c(
            r"\bich\s+(?:will|mochte|kann)\s+nicht\s+mehr\s+leben\b|\bich\s+(?:will|mag)\s+nicht\s+mehr"
            r"(?=\s*(?:[.!?,]|$))|\bmein\s+leben\s+(?:hat\s+keinen\s+sinn|ist\s+(?:sinnlos|nicht\s+mehr"
            r"\s+lebenswert))\b|\bdas\s+leben\s+ist\s+(?:fur\s+mich\s+)?nicht\s+mehr\s+lebenswert\b"
            r"|\bich\s+habe\s+keinen\s+grund\s+mehr\s+zu\s+leben\b"
        ),
    ),
    _Rule(
        "risk.self.de.besser_ohne_mich",
        _k("besser vermissen"),
        _c(
            r"\b(?:alle|ihr|sie|meine\s+familie|jeder)\s+(?:waren|ware|wart)\s+(?:ohne\s+mich\s+besser"
            r"|besser\s+dran\s+ohne\s+mich|besser\s+ohne\s+mich)\b|\bniemand\s+(?:wurde|wird)\s+mich"
            r"\s+vermissen\b"
        ),
    ),
    _Rule(
        "risk.self.de.selbstverletzung",
        _k("ritze ritzen verletze verletzen schneide schneiden"),
        _c(
            r"\bich\s+(?:ritze|verletze|schneide)\s+mich\b|\bmich\s+(?:selbst\s+)?(?:ritzen|verletzen"
            r"|schneiden)\b|\bich\s+habe\s+mich\s+(?:wieder\s+)?geritzt\b"
        ),
        not_before=_NEG,
        not_after=_c(
            r"^\s*(?:beim\s+(?:kochen|rasieren)|am\s+papier|aus\s+versehen|in\s+den\s+finger)"
        ),
    ),
    _Rule(
        "risk.self.de.springen",
        _k("springen werfen"),
        _c(
            rf"\bich\s+{_WANT}\s+(?:\w+\s+){{0,2}}?(?:von\s+(?:der|einer|dem)\s+(?:brucke|dach|hochhaus)"
            r"\s+springen|mich\s+vor\s+(?:den|einen)\s+zug\s+werfen)\b"
        ),
    ),
)

_RISK_OTHERS = _RuleSet(
    _Rule(
        "risk.others.de.bring_dich_um",
        _k(
            "bring bringe umbringen toten abstechen erschiessen abknallen stech steche knall "
            "knalle erwurgen"
        ),
        _c(
            r"\bich\s+(?:bring|bringe)\s+(?:dich|ihn|sie|euch|die|den)\s+(?:\w+\s+){0,3}?um\b"
            r"|\bich\s+(?:werde|will|wurde)\s+(?:dich|ihn|sie|euch|alle)\s+(?:\w+\s+){0,2}?(?:umbringen"
            r"|toten|abstechen|erschiessen|abknallen|erwurgen)\b|\bich\s+(?:stech|steche|knall|knalle)"
            r"\s+(?:dich|ihn|sie|euch)\s+ab\b"
        ),
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.others.de.anschlag",
        _k("luft sprengen anzunden erschiessen bombe"),
        _c(
            r"\bich\s+(?:werde|will|jag|jage)\s+(?:die|das|den|meine|unsere)\s+(?:schule|uni|buro|arbeit"
            r"|kirche|moschee|synagoge|haus)\s+(?:in\s+die\s+luft|sprengen|anzunden)\b"
            r"|\bich\s+(?:werde|will)\s+(?:in\s+der\s+schule\s+)?(?:alle|jeden)\s+erschiessen\b"
        ),
    ),
)

_END = _RuleSet(
    _Rule(
        "end.de.explicit",
        _k("thread chat gesprach unterhaltung konversation diskussion faden"),
        _c(
            r"\b(?:beende|beenden|schliess|schliesse|schliessen|stopp|stoppe|stoppen|losch|losche"
            r"|loschen|abbrechen)\s+(?:bitte\s+)?(?:diesen|dieses|diese|den|das|die|unser|unseren"
            r"|unsere)\s+(?:thread|chat|gesprach|unterhaltung|konversation|diskussion|faden)\b"
            r"|\b(?:diesen|dieses|diese|den|das|die|unser|unseren|unsere)\s+(?:thread|chat|gesprach"
            r"|unterhaltung|konversation|diskussion)\s+(?:bitte\s+)?(?:beenden|schliessen|abbrechen"
            r"|stoppen|loschen)\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "end.de.nicht_mehr_reden",
        _k("reden sprechen schreiben"),
        _c(
            r"\bich\s+(?:will|mochte)\s+nicht\s+mehr\s+(?:mit\s+dir\s+)?(?:reden|sprechen|schreiben)"
            r"(?=\s*(?:[.!?,]|$))"
        ),
    ),
)

_YES_UNIT = re.compile(
    r"(?:ja\s+bitte|ja|jawohl|jap|klar|genau|bitte|einverstanden|sicher|mach(?:\s+es)?|bestatige)"
    r"(?:[\s,.!]+|$)"
)
_NO_UNIT = re.compile(
    r"(?:nein\s+danke|nein|nee|noch\s+nicht|lieber\s+nicht|warte|abbrechen|offen\s+lassen)"
    r"(?:[\s,.!]+|$)"
)

RULES = LanguageRules(
    code="de",
    risk_self=_RISK_SELF,
    risk_others=_RISK_OTHERS,
    end=_END,
    yes_unit=_YES_UNIT,
    no_unit=_NO_UNIT,
)
