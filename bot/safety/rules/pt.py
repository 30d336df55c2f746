"""Portuguese phrase families: risk to self and to others, end requests, yes/no answers.

Written against normalised text (lower case, accents dropped: "nao", "suicidio", "voce"), for
European and Brazilian first-person statements that must bring help with no network: "quero
morrer", "vou me matar", "nao quero mais viver", "me corto". Negation ("nao quero morrer") does
not fire.
"""

from __future__ import annotations

import re

from bot.safety.engine import LanguageRules, _c, _k, _Rule, _RuleSet

_NEG = _c(r"\b(?:nao|nunca|jamais|nem)\s+(?:me\s+)?$")
_HYPERBOLE = _c(r"^\W*(?:kkk\w*|haha\w*|rsrs\w*|lol|xd|de\s+(?:rir|vergonha|tedio|calor|fome))")
_WANT = (
    r"(?:quero|queria|vou|to\s+pensando\s+em|estou\s+pensando\s+em|penso\s+em|pensei\s+em"
    r"|preciso|desejo|tenho\s+vontade\s+de|planejo|decidi|tentei|devia|deveria|prefiro|gostaria\s+de)"
)

_RISK_SELF = _RuleSet(
    _Rule(
        "risk.self.pt.quero_morrer",
        _k("morrer morta morto sumir existir acordar"),
        _c(
            rf"\b(?:eu\s+)?(?:so\s+)?{_WANT}\s+(?:so\s+)?(?:morrer|estar\s+mort[oa]|sumir\s+(?:para|pra)"
            r"\s+sempre|deixar\s+de\s+existir|nao\s+(?:existir|acordar\s+mais|acordar))\b"
            r"|\bqueria\s+(?:estar\s+mort[oa]|nunca\s+ter\s+nascido)\b"
        ),
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.self.pt.me_matar",
        _k("matar suicidar enforcar jogar"),
        _c(
            rf"\b{_WANT}\s+(?:\w+\s+)?me\s+(?:matar|suicidar|enforcar|jogar\s+(?:da|de|do|na|no)\s+"
            r"(?:ponte|predio|janela|trilho|linha))\b|\bme\s+(?:matar|suicidar)\b(?=.*\b(?:quero|vou"
            r"|penso|pensando)\b)|\b(?:vou|quero)\s+me\s+(?:matar|suicidar)\b"
        ),
        not_before=_NEG,
        not_after=_c(r"^\s*(?:de\s+(?:rir|estudar|trabalhar))|" + _HYPERBOLE.pattern),
    ),
    _Rule(
        "risk.self.pt.tirar_minha_vida",
        _k("vida suicidio suicida suicidas"),
        _c(
            r"\b(?:tirar|acabar\s+com|por\s+fim\s+a|pôr\s+fim\s+a|dar\s+fim\s+a)\s+(?:a\s+)?minha\s+"
            r"(?:propria\s+)?vida\b|\b(?:penso|pensando|pensei|to\s+pensando)\s+em\s+suicidio\b"
            r"|\b(?:tenho|meus|minhas)\s+(?:\w+\s+)?(?:pensamentos|ideias)\s+suicidas\b"
            r"|\b(?:sou|estou|me\s+sinto)\s+suicida\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "risk.self.pt.nao_quero_viver",
        _k("viver vivendo vida sentido"),
        _c(
            r"\bnao\s+(?:quero|aguento|consigo|suporto)\s+(?:mais\s+)?(?:viver|continuar\s+vivendo)\b"
            r"|\bminha\s+vida\s+nao\s+(?:tem|faz)\s+(?:mais\s+)?sentido\b|\bnao\s+tenho\s+(?:mais\s+)?"
            r"(?:nenhum\s+)?motivo\s+(?:para|pra)\s+viver\b|\bcansad[oa]\s+de\s+viver\b"
        ),
    ),
    _Rule(
        "risk.self.pt.melhor_sem_mim",
        _k("melhor falta"),
        _c(
            r"\b(?:todos|eles|voces|minha\s+familia|todo\s+mundo)\s+(?:estariam|ficariam|seriam)\s+"
            r"melhor(?:es)?\s+sem\s+mim\b|\bninguem\s+(?:sentiria|vai\s+sentir)\s+(?:a\s+)?minha\s+falta\b"
        ),
    ),
    _Rule(
        "risk.self.pt.automutilacao",
        _k("corto cortar cortei machucar machuco automutilacao automutilo queimo"),
        _c(
            r"\b(?:me\s+(?:corto|cortei|machuco|machuquei|queimo|automutilo)|me\s+cortar|me\s+machucar"
            r"|automutilacao)\b"
        ),
        not_before=_NEG,
        not_after=_c(r"^\s*(?:cozinhando|sem\s+querer|no\s+papel|o\s+cabelo)"),
    ),
)

_RISK_OTHERS = _RuleSet(
    _Rule(
        "risk.others.pt.vou_te_matar",
        _k("matar mata matalo matala mato esfaquear atirar queimar bomba"),
        _c(
            r"\b(?:vou|quero|juro\s+que\s+vou)\s+(?:te\s+matar|matar\s+(?:voce|ele|ela|eles|elas|todos"
            r"|todo\s+mundo|o|a|os|as|meu|minha|seu|sua|esse|essa|aquele|aquela)|mata-l[oa]s?|esfaquear"
            r"|atirar\s+(?:nele|nela|neles|em|na|no)|colocar\s+uma\s+bomba|queimar\s+a\s+casa)\b"
            r"|\beu\s+te\s+mato\b"
        ),
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
)

_END = _RuleSet(
    _Rule(
        "end.pt.explicit",
        _k("conversa thread topico chat discussao papo"),
        _c(
            r"\b(?:encerra|encerrar|encerre|termina|terminar|termine|fecha|fechar|feche|finaliza"
            r"|finalizar|finalize|acaba|acabar|para|parar|pare|quero\s+(?:encerrar|terminar|fechar))\s+"
            r"(?:com\s+)?(?:esta|essa|este|esse|a|o|nossa|nosso)\s+(?:conversa|thread|topico|chat"
            r"|discussao|papo)\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "end.pt.nao_quero_falar",
        _k("falar conversar"),
        _c(
            r"\bnao\s+quero\s+mais\s+(?:falar|conversar)(?:\s+com\s+(?:voce|vc|o\s+bot))?"
            r"(?=\s*(?:[.!?,]|$))"
        ),
    ),
)

_YES_UNIT = re.compile(
    r"(?:sim\s+por\s+favor|sim|claro|pode(?:\s+sim)?|confirmo|isso|certo|com\s+certeza|fecha)"
    r"(?:[\s,.!]+|$)"
)
_NO_UNIT = re.compile(
    r"(?:nao\s+obrigad[oa]|nao|ainda\s+nao|melhor\s+nao|espera|cancela(?:r)?|deixa\s+aberto)"
    r"(?:[\s,.!]+|$)"
)

RULES = LanguageRules(
    code="pt",
    risk_self=_RISK_SELF,
    risk_others=_RISK_OTHERS,
    end=_END,
    yes_unit=_YES_UNIT,
    no_unit=_NO_UNIT,
)
