"""The phrase tables beyond English, read by the rules alone (the scorer switched off).

The phrasings are written for these tests (first-person crisis statements, threats, end requests,
short answers, and the negated, figurative and third-person uses that must not fire).
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import ScreenSettings
from bot.safety import engine
from bot.safety.normalize import normalize, normalize_plain
from bot.safety.rules import LANGUAGES
from bot.safety.screen import Screen

RULES_ONLY = Screen(ScreenSettings(model=False))

RISK_SELF = {
    "es": [
        "quiero morir",
        "me quiero morir ya",
        "ya no quiero vivir",
        "voy a matarme esta noche",
        "me voy a suicidar",
        "tengo pensamientos suicidas",
        "me corto los brazos otra vez",
        "todos estarían mejor sin mí",
        "estoy cansada de vivir",
    ],
    "fr": [
        "je veux mourir",
        "j'ai envie de mourir",
        "je vais me suicider ce soir",
        "je veux en finir avec la vie",
        "je n'ai plus envie de vivre",
        "je me scarifie depuis des mois",
        "ils seraient mieux sans moi",
        "je vais mettre fin à mes jours",
    ],
    "de": [
        "ich will sterben",
        "Ich bring mich um",
        "ich will mich heute umbringen",
        "ich will nicht mehr leben",
        "ich ritze mich wieder",
        "Ich habe ständig Suizidgedanken",
        "alle wären besser dran ohne mich",
        "ich möchte mir das Leben nehmen",
    ],
    "pt": [
        "quero morrer",
        "vou me matar hoje",
        "não quero mais viver",
        "eu me corto quando fico assim",
        "todos estariam melhor sem mim",
        "estou pensando em suicídio",
        "quero tirar minha própria vida",
    ],
    "it": [
        "voglio morire",
        "mi voglio uccidere",
        "non voglio più vivere",
        "voglio farla finita",
        "mi taglio ancora",
        "stasera mi ammazzo",
        "nessuno sentirebbe la mia mancanza",
    ],
}

RISK_OTHERS = {
    "es": ["te voy a matar", "voy a matar a mi jefe mañana", "voy a poner una bomba en la escuela"],
    "fr": ["je vais le tuer", "je vais tuer mon voisin", "je vais poser une bombe"],
    "de": ["ich bring dich um", "ich werde ihn umbringen", "ich stech dich ab"],
    "pt": ["vou te matar", "vou matar meu chefe", "eu te mato"],
    "it": ["ti ammazzo", "voglio ammazzare mio fratello", "gli sparo"],
}

NOT_RISK = {
    "es": [
        "no quiero morir",
        "mi abuelo murió el año pasado",
        "me muero de risa",
        "la película trata de un suicidio",
        "corto el pan para la cena",
        "si tienes pensamientos suicidas llama a la línea de ayuda",
    ],
    "fr": [
        "je ne veux pas mourir",
        "je meurs de faim",
        "tu me tues mdr",
        "les pensées suicidaires sont fréquentes chez les ados",
    ],
    "de": [
        "ich will nicht sterben",
        "ich schneide mich beim Kochen",
        "der Film handelt von Selbstmord",
    ],
    "pt": ["não quero morrer", "morri de rir kkkk", "o livro fala sobre suicídio"],
    "it": [
        "non voglio morire",
        "voglio farla finita con questa discussione",
        "muoio dal ridere",
    ],
}

END_REQUESTS = {
    "es": ["cierra este hilo", "termina la conversación", "no quiero hablar más contigo"],
    "fr": ["ferme cette conversation", "termine ce fil", "je ne veux plus te parler"],
    "de": ["beende diesen Chat", "bitte den Chat beenden", "ich will nicht mehr mit dir reden"],
    "pt": ["encerra esta conversa", "fecha o chat", "não quero mais falar com você"],
    "it": ["chiudi questa conversazione", "termina questa chat", "non voglio più parlarti"],
}

NOT_END = {
    "es": ["cierra la puerta", "termina tu tarea"],
    "fr": ["ferme la fenêtre", "termine ton assiette"],
    "de": ["schließ die Tür", "beende das Programm nicht"],
    "pt": ["fecha a porta", "termina o dever de casa"],
    "it": ["chiudi la porta", "termina i compiti"],
}

YES = {
    "es": ["sí", "claro", "sí, por favor"],
    "fr": ["oui", "d'accord"],
    "de": ["ja", "ja bitte"],
    "pt": ["sim", "pode sim"],
    "it": ["sì", "va bene"],
}
NO = {
    "es": ["no gracias", "todavía no"],
    "fr": ["non", "pas encore"],
    "de": ["nein", "noch nicht"],
    "pt": ["não", "ainda não"],
    "it": ["no grazie", "non ancora"],
}


def cases(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(language, phrase) pairs of a table, for parametrize."""
    return [(lang, text) for lang, texts in table.items() for text in texts]


def test_every_language_of_the_issue_is_registered() -> None:
    """Spanish, French, German, Portuguese and Italian are read beside English."""
    assert {"en", "es", "fr", "de", "pt", "it"} <= {rules.code for rules in LANGUAGES}
    assert len({rules.code for rules in LANGUAGES}) == len(LANGUAGES)


@pytest.mark.parametrize(("lang", "text"), cases(RISK_SELF))
def test_crisis_statements_are_risk_to_self(lang: str, text: str) -> None:
    """A first-person crisis statement is risk to self, named by its language's rule."""
    result = RULES_ONLY(text)
    assert result.risk == "self", result
    assert any(name.startswith(f"risk.self.{lang}.") for name in result.matched), result.matched
    assert not result.end_request


@pytest.mark.parametrize(("lang", "text"), cases(RISK_OTHERS))
def test_threats_are_risk_to_others(lang: str, text: str) -> None:
    """A first-person threat to kill or attack someone is risk to others."""
    result = RULES_ONLY(text)
    assert result.risk == "others", result
    assert any(name.startswith(f"risk.others.{lang}.") for name in result.matched)


@pytest.mark.parametrize(("lang", "text"), cases(NOT_RISK))
def test_negated_figurative_and_third_person_uses_are_not_risk(lang: str, text: str) -> None:
    """Negation, hyperbole, other people's deaths and talk about the subject do not fire."""
    assert RULES_ONLY(text).risk == "none", RULES_ONLY(text)


@pytest.mark.parametrize(("lang", "text"), cases(END_REQUESTS))
def test_end_requests_are_end_requests(lang: str, text: str) -> None:
    """Asking to close this thread or conversation is an end request."""
    result = RULES_ONLY(text)
    assert result.end_request, result
    assert result.risk == "none"


@pytest.mark.parametrize(("lang", "text"), cases(NOT_END))
def test_closing_other_things_is_not_an_end_request(lang: str, text: str) -> None:
    """Closing a door or finishing homework is not about the thread."""
    assert not RULES_ONLY(text).end_request


@pytest.mark.parametrize(("lang", "text"), cases(YES))
def test_short_yes_answers(lang: str, text: str) -> None:
    """A short yes in the language confirms."""
    result = RULES_ONLY(text)
    assert result.affirmative and not result.negative


@pytest.mark.parametrize(("lang", "text"), cases(NO))
def test_short_no_answers(lang: str, text: str) -> None:
    """A short no in the language declines."""
    result = RULES_ONLY(text)
    assert result.negative and not result.affirmative


def test_every_gate_in_every_language_admits_what_its_pattern_matches() -> None:
    """No rule's cheap word gate hides a match its full pattern would make, in any language."""
    phrases = [
        t
        for table in (RISK_SELF, RISK_OTHERS, NOT_RISK, END_REQUESTS, NOT_END)
        for texts in table.values()
        for t in texts
    ]
    checked = 0
    for rules in LANGUAGES:
        for ruleset in (rules.risk_self, rules.risk_others, rules.end, rules.not_risk):
            for rule in ruleset.rules:
                ungated = dataclasses.replace(rule, keys=())
                for phrase in phrases:
                    for text in {normalize_plain(phrase), normalize(phrase)}:
                        words = engine._words(text)
                        if ungated.fires(text, words):
                            checked += 1
                            assert rule.fires(text, words), (rule.name, phrase)
    assert checked > 50


def test_a_crisis_line_at_the_end_of_a_long_message_is_read() -> None:
    """Long messages are searched around their words: a phrase at the very end still fires."""
    filler = "Today was an ordinary day at work and then I went home and made dinner. " * 30
    for tail in ("quiero morir", "ich will sterben", "I want to kill myself"):
        assert len(filler) > engine.LONG_TEXT
        assert RULES_ONLY(filler + tail).risk == "self", tail
