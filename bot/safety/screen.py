"""The local screen: phrase families that must never wait for a network call.

The Claude classifier reads every turn, but it can be slow, down, or refuse. Three things cannot
wait for it: a person who may be about to hurt themselves or someone else (the crisis resources
and the moderator alert go out on this signal alone), a user asking to end the thread, and the
short "yes"/"no" that answers the bot's own confirmation question. Offline, the screen is also the
only judge of harmful and abusive requests, so those rules favour precision: a missed harmful
request is redirected by the assistant anyway, while a false strike is unfair to the user.

The phrase families are rule tables, one module per language under `bot.safety.rules`; the
machinery that matches them fast is `bot.safety.engine`. This module reads a message in every
registered language and combines what fired into one `ScreenResult`.

Risk always wins over an end request: "I want to end it all" must bring help, never a goodbye.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.records import Category, Risk
from bot.safety.engine import _flag, _Texts, _whole, _words
from bot.safety.normalize import clean, fold_both, unleet
from bot.safety.rules import LANGUAGES

__all__ = ["Category", "Risk", "ScreenResult", "screen"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ScreenResult:
    """What the local screen saw in one message."""

    risk: Risk = "none"
    end_request: bool = False
    harmful: bool = False
    abusive: bool = False
    category: Category = "none"
    affirmative: bool = False
    negative: bool = False
    matched: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# The screen

_MAX_SIGNOFF_CHARS = 160


def _end_request(texts: _Texts) -> list[str]:
    names = [name for rules in LANGUAGES for name in rules.end.names(texts)]
    plain = texts[0][0]
    if len(plain) <= _MAX_SIGNOFF_CHARS and any(
        _whole(rules.signoff_unit, plain) and rules.signoff_any.search(plain) for rules in LANGUAGES
    ):
        names.append("end.signoff")
    return names


def _short_answer(plain: str) -> tuple[bool, bool]:
    if len(plain) > 60:
        return False, False
    yes = any(_whole(rules.yes_unit, plain) for rules in LANGUAGES)
    no = any(_whole(rules.no_unit, plain) for rules in LANGUAGES)
    if yes and no:
        return False, False
    return yes, no


def screen(text: str) -> ScreenResult:
    """Read one user message for crisis, end-request, harm, abuse and yes/no signals."""
    cased = clean(text)
    plain, unstretched = fold_both(cased)
    leet = unleet(plain)
    texts: _Texts = ((plain, _words(plain)),)
    if leet != plain:
        texts += ((leet, _words(leet)),)
    if "1" in plain and (leet_l := unleet(plain, one="l")) != leet:  # "ki11 myse1f"
        texts += ((leet_l, _words(leet_l)),)
    if unstretched is not plain:  # "i want to dieeee"
        texts += ((unstretched, _words(unstretched)),)

    self_hits: list[str] = []
    others_hits: list[str] = []
    harm_hits: list[tuple[str, Category]] = []
    abuse_hits: list[tuple[str, Category]] = []
    for rules in LANGUAGES:
        self_hits += rules.risk_self.names(texts)
        if rules.risk_self_cased.may_fire(cased):
            self_hits += rules.risk_self_cased.names(((cased, _words(cased)),))
        others_hits += rules.risk_others.names(texts)
        harm_hits += _flag(rules.harmful, texts)
        abuse_hits += _flag(rules.abuse, texts)
    risk: Risk = "self" if self_hits else "others" if others_hits else "none"
    # Risk wins: "I want to end it all" must never read as a request to close the thread.
    end_hits = [] if risk != "none" else _end_request(texts)
    affirmative, negative = _short_answer(plain)

    category: Category = "none"
    if harm_hits:
        category = harm_hits[0][1]
    elif abuse_hits:
        category = abuse_hits[0][1]
    elif risk != "none":
        category = "self_harm" if risk == "self" else "violent_crimes"

    matched = self_hits + others_hits + end_hits
    matched += [name for name, _ in harm_hits + abuse_hits]
    if affirmative:
        matched.append("answer.affirmative")
    if negative:
        matched.append("answer.negative")

    return ScreenResult(
        risk=risk,
        end_request=bool(end_hits),
        harmful=bool(harm_hits),
        abusive=bool(abuse_hits),
        category=category,
        affirmative=affirmative,
        negative=negative,
        matched=tuple(matched),
    )
