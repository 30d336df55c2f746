"""Spanish phrase families: risk to self and to others, end requests, yes/no answers.

Written against normalised text (lower case, accents dropped: "suicidio", "mas", "dano"), for the
first-person statements that must bring help with no network: "quiero morir", "me voy a matar",
"ya no quiero vivir", "me corto". Negation ("no quiero morir") and other people's deaths ("mi
abuelo murio") do not fire. The learned scorer reads the rest; the classifier reads everything.
"""

from __future__ import annotations

import re

from bot.safety.engine import LanguageRules, _c, _k, _Rule, _RuleSet

# "no", "nunca", "jamas" right before the phrase: "no quiero morir".
_NEG = _c(r"\b(?:no|nunca|jamas|tampoco|ni)\s+(?:me\s+|lo\s+|la\s+)?$")
_HYPERBOLE = _c(r"^\W*(?:jaja\w*|jeje\w*|xd|lol|de\s+(?:risa|verguenza|aburrimiento|calor|hambre))")
# Intention right before a reflexive verb: "quiero matarme", "voy a suicidarme".
_INTENT = (
    r"(?:quiero|quisiera|queria|voy\s+a|iba\s+a|pienso(?:\s+en)?|estoy\s+pensando\s+en"
    r"|he\s+pensado\s+en|pense\s+en|deseo|necesito|tengo\s+ganas\s+de|me\s+dan\s+ganas\s+de"
    r"|intente|intentare|intento|planeo|estoy\s+(?:a\s+punto\s+de|planeando)|deberia|podria"
    r"|lo\s+mejor\s+seria|ya\s+decidi|decidi|ganas\s+de|me\s+gustaria)"
)
_INTENT_BEFORE = _c(_INTENT + r"\s+(?:\w+\s+){0,2}$")
_PEOPLE = (
    r"(?:mi|tu|su|ese|esa|este|esta|el|la|los|las|a\s+(?:mi|tu|su|ese|esa|el|la|los|las))\s+"
    r"(?:\w+\s+)?(?:padre|madre|papa|mama|padrastro|madrastra|esposo|esposa|marido|mujer|novio"
    r"|novia|ex|hermano|hermana|hijo|hija|jefe|jefa|profesor|profesora|maestro|maestra|vecino"
    r"|vecina|companero|companera|amigo|amiga|familia|tio|tia|primo|prima|gente|chico|chica|tipo"
    r"|tipa|cabron|cabrona|hijo\s+de\s+puta|policia)"
)
_KILL = r"(?:matar|asesinar|apunalar|acuchillar|disparar|balear|envenenar|ahorcar|degollar|quemar)"

_RISK_SELF = _RuleSet(
    _Rule(
        "risk.self.es.quiero_morir",
        _k("morir morirme muerto muerta desaparecer existir vivir despertar"),
        _c(
            r"\b(?:quiero|quisiera|queria|necesito|deseo|prefiero|tengo\s+ganas\s+de|me\s+quiero"
            r"|me\s+gustaria|solo\s+quiero|ya\s+quiero|ojala\s+(?:pudiera|me\s+pudiera)|me\s+dan\s+ganas"
            r"\s+de)\s+(?:morir(?:me)?|estar\s+muert[oa]|desaparecer(?:\s+para\s+siempre)?|dejar\s+de"
            r"\s+(?:existir|vivir)|no\s+despertar(?:me)?(?:\s+nunca\s+mas)?|no\s+existir)\b"
            r"|\bojala\s+(?:me\s+muera|estuviera\s+muert[oa]|no\s+despertara|no\s+hubiera\s+nacido)\b"
        ),
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.self.es.matarme",
        _k("matarme suicidarme quitarme ahorcarme colgarme envenenarme tirarme matar suicidar"),
        _c(
            r"\b(?:matarme|suicidarme|quitarme\s+la\s+vida|ahorcarme|colgarme|envenenarme"
            r"|tirarme\s+(?:de|del|desde|por|al|a\s+las)\s+(?:un|una|el|la|las|los)?\s*(?:puente|edificio"
            r"|ventana|balcon|vias|tren|metro|azotea))\b"
        ),
        before=_INTENT_BEFORE,
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.self.es.me_voy_a_matar",
        _k("matar suicidar quitar ahorcar colgar"),
        _c(
            r"\bme\s+(?:voy\s+a|quiero|pienso|gustaria|dan\s+ganas\s+de)\s+(?:\w+\s+)?(?:matar"
            r"|suicidar|quitar\s+la\s+vida|ahorcar|colgar)\b(?!\s+(?:de|a)\s+(?:risa|estudiar|trabajar))"
        ),
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.self.es.suicidio",
        _k("suicidio suicida suicidas suicidarme"),
        _c(
            r"\b(?:pienso|pensando|pense|he\s+pensado|considerando|considero|planeando|planeo|quiero"
            r"|voy\s+a|intente|intento|intentado|tentado)\s+(?:\w+\s+){0,2}?(?:el\s+)?suicid(?:io|arme)\b"
            r"|\b(?:tengo|mis|he\s+tenido)\s+(?:\w+\s+)?(?:pensamientos|ideas|impulsos)\s+suicidas\b"
            r"|\b(?:soy|estoy|me\s+siento|me\s+siento\s+muy)\s+suicida\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "risk.self.es.no_quiero_vivir",
        _k("vivir viviendo vida sentido vale"),
        _c(
            r"\b(?:ya\s+)?no\s+(?:quiero|puedo|aguanto|soporto|deseo)\s+(?:seguir\s+)?(?:viviendo|vivir)\b"
            r"|\bno\s+(?:le\s+)?(?:encuentro|veo|tiene)\s+(?:ningun\s+)?sentido\s+(?:a\s+)?(?:la|mi)\s+vida\b"
            r"|\bmi\s+vida\s+no\s+(?:tiene\s+sentido|vale\s+nada)\b|\bno\s+vale\s+la\s+pena\s+(?:seguir\s+)?"
            r"vivir\b|\bno\s+tengo\s+(?:ninguna\s+)?razon\s+(?:para|de)\s+vivir\b"
            r"|\bestoy\s+(?:cansad[oa]|hart[oa])\s+de\s+vivir\b"
        ),
    ),
    _Rule(
        "risk.self.es.mejor_sin_mi",
        _k("mejor extranaria extranarian importaria"),
        _c(
            r"\b(?:estarian|estarias|estaria|estaran|todos\s+estarian)\s+mejor\s+sin\s+mi\b"
            r"|\bnadie\s+me\s+(?:extranaria|echaria\s+de\s+menos|va\s+a\s+extranar)\b"
            r"|\ba\s+nadie\s+le\s+importaria\s+si\s+(?:me\s+muero|muero|desaparezco)\b"
            r"|\bseria\s+mejor\s+(?:si\s+)?(?:estar|estuviera)\s+muert[oa]\b"
        ),
    ),
    _Rule(
        "risk.self.es.autolesion",
        _k(
            "corto corte cortarme autolesiono autolesion autolesiones lastimarme hacerme quemo dano"
        ),
        _c(
            r"\b(?:me\s+(?:corto|corte|he\s+cortado|sigo\s+cortando|autolesiono|lastimo|quemo"
            r"|hago\s+dano)|cortarme(?:\s+(?:las\s+venas|los\s+brazos|las\s+munecas))?|autolesionarme"
            r"|lastimarme|hacerme\s+dano)\b"
        ),
        not_before=_NEG,
        not_after=_c(
            r"^\s*(?:el\s+pelo|las\s+unas|con\s+(?:el|un)\s+papel|cocinando|sin\s+querer)"
        ),
    ),
    _Rule(
        "risk.self.es.despedida",
        _k("despedida adios ultimo ultima estare"),
        _c(
            r"\b(?:esta\s+es|este\s+es)\s+mi\s+(?:despedida|ultimo\s+mensaje|carta\s+de\s+despedida)\b"
            r"|\bya\s+no\s+estare\s+(?:aqui|mas)\b|\badios\s+para\s+siempre\b"
        ),
    ),
)

_RISK_OTHERS = _RuleSet(
    _Rule(
        "risk.others.es.voy_a_matar",
        _k(
            "matar matarlo matarla matarlos matarlas matarte asesinar apunalar acuchillar "
            "disparar dispararle balear envenenar ahorcar degollar quemar"
        ),
        _c(
            r"\b(?:voy\s+a|quiero|pienso|juro\s+que\s+voy\s+a|tengo\s+ganas\s+de|me\s+dan\s+ganas\s+de"
            r"|estoy\s+(?:a\s+punto\s+de|planeando))\s+(?:\w+\s+)?(?:"
            + _KILL
            + r"(?:lo|la|los|las|te|les|le)\b|"
            + _KILL
            + r"\s+(?:a\s+)?(?:todos|todo\s+el\s+mundo|"
            + _PEOPLE
            + r"))"
        ),
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.others.es.lo_voy_a_matar",
        _k("matar asesinar apunalar disparar quemar"),
        _c(r"\b(?:lo|la|los|las|te|les)\s+voy\s+a\s+(?:matar|asesinar|apunalar|quemar|disparar)\b"),
        not_before=_NEG,
        not_after=_HYPERBOLE,
    ),
    _Rule(
        "risk.others.es.ataque_lugar",
        _k("bomba disparar tiroteo quemar explotar volar incendiar"),
        _c(
            r"\b(?:voy\s+a|quiero|pienso)\s+(?:poner\s+una\s+bomba|disparar|hacer\s+un\s+tiroteo"
            r"|quemar|incendiar|volar|hacer\s+explotar)\s+(?:en\s+)?(?:la|el|mi|su|esa|ese)\s+"
            r"(?:escuela|colegio|instituto|universidad|oficina|trabajo|iglesia|mezquita|sinagoga"
            r"|casa|centro\s+comercial|clase|fiesta)\b"
        ),
        not_before=_NEG,
    ),
)

_END = _RuleSet(
    _Rule(
        "end.es.explicit",
        _k("hilo conversacion chat charla dialogo"),
        _c(
            r"\b(?:termina|terminar|termine|cierra|cerrar|cierre|finaliza|finalizar|acaba|acabar"
            r"|deten|detener|borra|borrar|quiero\s+(?:terminar|cerrar|acabar))\s+(?:ya\s+)?(?:con\s+)?"
            r"(?:este|esta|el|la|nuestra|nuestro)\s+(?:hilo|conversacion|chat|charla|dialogo)\b"
        ),
        not_before=_NEG,
    ),
    _Rule(
        "end.es.no_quiero_hablar",
        _k("hablar conversar"),
        _c(
            r"\bno\s+quiero\s+(?:hablar|conversar|seguir\s+hablando)\s+(?:mas\s+)?(?:contigo|con\s+el"
            r"\s+bot)?\s*(?:mas)?(?=\s*(?:[.!?,]|$))"
        ),
    ),
)

_YES_UNIT = re.compile(
    r"(?:si\s+por\s+favor|si|claro(?:\s+que\s+si)?|vale|de\s+acuerdo|por\s+favor|confirmo"
    r"|adelante|hazlo|cierralo|terminalo|seguro)(?:[\s,.!]+|$)"
)
_NO_UNIT = re.compile(
    r"(?:no\s+gracias|mejor\s+no|todavia\s+no|aun\s+no|no|para|espera|cancela(?:r)?"
    r"|no\s+lo\s+cierres|dejalo\s+abierto)(?:[\s,.!]+|$)"
)

RULES = LanguageRules(
    code="es",
    risk_self=_RISK_SELF,
    risk_others=_RISK_OTHERS,
    end=_END,
    yes_unit=_YES_UNIT,
    no_unit=_NO_UNIT,
)
