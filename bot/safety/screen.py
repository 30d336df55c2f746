"""The local screen: the signals that must never wait for a network call.

The Claude classifier reads every turn, but it can be slow, down, or refuse. Three things cannot
wait for it: a person who may be about to hurt themselves or someone else (the crisis resources
and the moderator alert go out on this signal alone), a user asking to end the thread, and the
short "yes"/"no" that answers the bot's own confirmation question. Offline, the screen is also the
only judge of harmful and abusive requests, so those rules favour precision: a missed harmful
request is redirected by the assistant anyway, while a false strike is unfair to the user.

Two readers, combined here:

- the phrase rules, one table module per language under `bot.safety.rules`, matched fast by
  `bot.safety.engine`: precise on what someone wrote down, and they name what fired;
- the learned scorer (`bot.safety.scorer`): calibrated probabilities of risk to self and to
  others, for the words no rule foresaw, the long post, the language with no table. Its
  thresholds are `[screen]` settings.

Risk is raised when a rule fires or a score passes its threshold; the rules decide which kind
when they fired, the higher score otherwise. Disguise is undone first (`reveal`, `despace`), and
both the text as typed and as undone are read. Risk always wins over an end request: "I want to
end it all" must bring help, never a goodbye. Every reading names what fired (`matched`, with
the scores), so the audit log explains each decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from bot.config import ScreenSettings
from bot.records import Category, Risk
from bot.safety.engine import _LEADING_PUNCT, NEVER, _flag, _RuleSet, _Texts, _whole, _words
from bot.safety.normalize import clean, despace, fold_both, reveal, segment, unleet
from bot.safety.rules import LANGUAGES
from bot.safety.scorer import (
    NO_SCORE,
    RiskScore,
    RiskScorer,
    default_scorer,
    fold_cleaned,
    has_noise,
    tokens,
)

__all__ = ["Category", "Risk", "Screen", "ScreenResult", "screen"]

#: Rule names the scorer adds to `matched` when its score alone raised the signal.
MODEL_SELF = "model.risk_self"
MODEL_OTHERS = "model.risk_others"


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
    #: The learned scorer's reading (benign 1.0 when it did not run).
    score: RiskScore = field(default=NO_SCORE)


_MAX_SIGNOFF_CHARS = 160
#: Characters up to which a message is short enough for a vetoed phrase to overrule the scorer.
SHORT_MESSAGE = 280


# Every language's rules of one kind in one set, in the order of LANGUAGES.
_RISK_SELF = _RuleSet.joined(rules.risk_self for rules in LANGUAGES)
_RISK_SELF_CASED = _RuleSet.joined(rules.risk_self_cased for rules in LANGUAGES)
_RISK_OTHERS = _RuleSet.joined(rules.risk_others for rules in LANGUAGES)
_END = _RuleSet.joined(rules.end for rules in LANGUAGES)
_HARMFUL = _RuleSet.joined(rules.harmful for rules in LANGUAGES)
_ABUSE = _RuleSet.joined(rules.abuse for rules in LANGUAGES)
_NOT_RISK = _RuleSet.joined(rules.not_risk for rules in LANGUAGES)
# Sign-offs of the languages that have them; a yes or no unit of any language.
_SIGNOFFS = [(r.signoff_unit, r.signoff_any) for r in LANGUAGES if r.signoff_unit is not NEVER]
_YES_UNITS = tuple(r.yes_unit for r in LANGUAGES if r.yes_unit is not NEVER)
_NO_UNITS = tuple(r.no_unit for r in LANGUAGES if r.no_unit is not NEVER)
_ANY_YES = re.compile("|".join(f"(?:{u.pattern})" for u in _YES_UNITS))
_ANY_NO = re.compile("|".join(f"(?:{u.pattern})" for u in _NO_UNITS))


def _end_request(texts: _Texts) -> list[str]:
    names = _END.names(texts)
    plain = texts[0][0]
    if len(plain) <= _MAX_SIGNOFF_CHARS and any(
        _whole(unit, plain) and anywhere.search(plain) for unit, anywhere in _SIGNOFFS
    ):
        names.append("end.signoff")
    return names


def _short_answer(plain: str) -> tuple[bool, bool]:
    if len(plain) > 60:
        return False, False
    lead = _LEADING_PUNCT.match(plain)
    start = lead.end() if lead else 0
    # A run of one language's units must start with one of them: one match rules most texts out.
    yes = _ANY_YES.match(plain, start) is not None and any(_whole(u, plain) for u in _YES_UNITS)
    no = _ANY_NO.match(plain, start) is not None and any(_whole(u, plain) for u in _NO_UNITS)
    if yes and no:
        return False, False
    return yes, no


def _readings(cased: str) -> tuple[_Texts, str]:
    """The forms of one cleaned text the rules match (folded, leet read, stretching undone),
    and the leet-read form, which is also what the scorer reads."""
    plain, unstretched = fold_both(cased)
    leet = unleet(plain)
    texts: _Texts = ((plain, _words(plain)),)
    if leet != plain:
        texts += ((leet, _words(leet)),)
    if "1" in plain and (leet_l := unleet(plain, one="l")) != leet:  # "ki11 myse1f"
        texts += ((leet_l, _words(leet_l)),)
    if unstretched is not plain:  # "i want to dieeee"
        texts += ((unstretched, _words(unstretched)),)
    return texts, leet


class Screen:
    """The rules and the scorer with their thresholds: `Screen(settings.screen)(text)`."""

    def __init__(self, settings: ScreenSettings, *, scorer: RiskScorer | None = None) -> None:
        self.settings = settings
        self.scorer = (scorer or default_scorer()) if settings.model else None

    def _split(self, run: str) -> str:
        words = self.scorer.words if self.scorer is not None else frozenset()
        return segment(run, words)

    def __call__(self, text: str) -> ScreenResult:
        """Read one user message for crisis, end-request, harm, abuse and yes/no signals."""
        return self.read(text, None)

    def read(self, text: str, score: RiskScore | None) -> ScreenResult:
        """The rules' reading of a message combined with the scorer's, or with a given score
        (a held-out one, when measuring)."""
        cased = clean(text)
        texts, folded = _readings(cased)
        raw = despace(reveal(text), split=self._split)
        undone = cased if raw is text else clean(raw)
        if undone != cased:  # "k i l l  m y s e l f", text reversed inside an override
            more, folded = _readings(undone)
            texts += more
        if score is None:
            score = NO_SCORE
            if self.scorer is not None:
                # The scorer reads the undone text, folded and leet-read as the rules' is.
                if has_noise(undone):
                    folded = fold_cleaned(undone)
                score = self.scorer.score_tokens(tokens(folded))
        short = len(cased) <= SHORT_MESSAGE

        self_fired, self_vetoed = _RISK_SELF.read(texts)
        others_fired, others_vetoed = _RISK_OTHERS.read(texts)
        self_hits = [_RISK_SELF.rules[i].name for i in self_fired]
        others_hits = [_RISK_OTHERS.rules[i].name for i in others_fired]
        vetoes = [_RISK_SELF.rules[i].name for i in self_vetoed]
        vetoes += [_RISK_OTHERS.rules[i].name for i in others_vetoed]
        if _RISK_SELF_CASED.may_fire(cased):
            self_hits += _RISK_SELF_CASED.names(((cased, _words(cased)),))
        if short:  # the contexts only ever overrule the scorer on a short message
            vetoes += _NOT_RISK.names(texts)
        harm_hits = _flag(_HARMFUL, texts)
        abuse_hits = _flag(_ABUSE, texts)
        end_named = _end_request(texts)

        model_hits: list[str] = []
        if score.self_harm >= self.settings.self_harm_threshold:
            model_hits.append(MODEL_SELF)
        if score.others >= self.settings.others_threshold:
            model_hits.append(MODEL_OTHERS)
        overruled: list[str] = []
        if model_hits and short and not (self_hits or others_hits):
            # On a short message, a phrase the rules know to be figurative, technical, negated
            # or about the chat itself ("kill myself laughing", "I'm not suicidal", "I don't
            # want to talk anymore") outweighs the scorer; a long post is the scorer's to read.
            # Abuse aimed at the bot ("you worthless piece of shit") is not the writer at risk,
            # but it may well come with a threat to others: it overrules risk to self only.
            against = {
                MODEL_SELF: vetoes + end_named + [name for name, _ in abuse_hits],
                MODEL_OTHERS: vetoes + end_named,
            }
            for hit in list(model_hits):
                if against[hit]:
                    model_hits.remove(hit)
                    overruled += [f"model.overruled_by:{name}" for name in against[hit]]
            overruled = list(dict.fromkeys(overruled))

        risk: Risk = "none"
        if self_hits or others_hits:
            risk = "self" if self_hits else "others"
        elif model_hits:
            risk = (
                "self"
                if model_hits == [MODEL_SELF]
                or (len(model_hits) == 2 and score.self_harm >= score.others)
                else "others"
            )
        # Risk wins: "I want to end it all" must never read as a request to close the thread.
        end_hits = [] if risk != "none" else end_named
        affirmative, negative = _short_answer(texts[0][0])

        category: Category = "none"
        if harm_hits:
            category = harm_hits[0][1]
        elif abuse_hits:
            category = abuse_hits[0][1]
        elif risk != "none":
            category = "self_harm" if risk == "self" else "violent_crimes"

        matched = self_hits + others_hits + model_hits + end_hits
        matched += [name for name, _ in harm_hits + abuse_hits]
        if affirmative:
            matched.append("answer.affirmative")
        if negative:
            matched.append("answer.negative")
        matched += overruled

        return ScreenResult(
            risk=risk,
            end_request=bool(end_hits),
            harmful=bool(harm_hits),
            abusive=bool(abuse_hits),
            category=category,
            affirmative=affirmative,
            negative=negative,
            matched=tuple(matched),
            score=score,
        )


@cache
def _default() -> Screen:
    return Screen(ScreenSettings())


def screen(text: str) -> ScreenResult:
    """The screen with the default settings (the runtime builds its own from the config)."""
    return _default()(text)
