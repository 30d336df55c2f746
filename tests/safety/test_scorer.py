"""The learned risk scorer: the shipped model, its file format, and how the screen combines it."""

from __future__ import annotations

import dataclasses
from array import array
from pathlib import Path

import pytest

from bot.config import ScreenSettings
from bot.safety.scorer import (
    CLASSES,
    MODEL_PATH,
    NO_SCORE,
    RiskScore,
    RiskScorer,
    analyze,
    default_scorer,
)
from bot.safety.screen import MODEL_OTHERS, MODEL_SELF, Screen


@pytest.fixture(scope="module")
def scorer() -> RiskScorer:
    """The model shipped in the package."""
    loaded = default_scorer()
    assert loaded is not None, "bot/safety/risk_model.bin must ship with the package"
    return loaded


def test_the_shipped_model_is_small_and_says_where_it_came_from(scorer: RiskScorer) -> None:
    """A few MB at most, with the training data's digest and the settings it was built with."""
    assert MODEL_PATH.stat().st_size < 5_000_000
    assert 10_000 < scorer.size <= 500_000
    assert len(str(scorer.meta["train_sha256"])) == 64
    assert "dktc_threat" in scorer.meta["left_out"]  # type: ignore[operator]
    assert 0.2 < scorer.temperature < 5


@pytest.mark.parametrize(
    "text",
    [
        "I can't do this anymore. Nobody would even notice if I was gone. I've been saving my "
        "pills for weeks and tonight feels like the night.",
        "quiero morir, ya no aguanto más esta vida",
        "i want to kill myself",
    ],
)
def test_crisis_text_scores_as_risk_to_self(scorer: RiskScorer, text: str) -> None:
    """First-person crisis text gets a high calibrated probability of risk to self."""
    score = scorer.score(text)
    assert score.self_harm > 0.5
    assert score.self_harm > score.others


@pytest.mark.parametrize(
    "text",
    [
        "how do I bake sourdough bread?",
        "kill the python process that hangs",
        "can you review my pull request when you have a minute",
        "the meeting moved to 3pm, see you there",
    ],
)
def test_ordinary_text_scores_benign(scorer: RiskScorer, text: str) -> None:
    """Everyday chat, technical "kill" included, scores low risk."""
    assert scorer.score(text).risk < 0.5


def test_probabilities_are_a_distribution(scorer: RiskScorer) -> None:
    """The three class probabilities are in [0, 1] and sum to one."""
    for text in ("hello", "i want to die", "je vais le tuer", "x" * 3000):
        s = scorer.score(text)
        assert all(0 <= p <= 1 for p in (s.self_harm, s.others, s.benign))
        assert abs(s.self_harm + s.others + s.benign - 1) < 1e-9


def test_nothing_to_read_is_no_score(scorer: RiskScorer) -> None:
    """An empty message, or one of only links, mentions and emoji, has no score."""
    for text in ("", "   ", "https://example.com/x @someone <@U123>", "\U0001f600\U0001f600"):
        assert scorer.score(text) == NO_SCORE


def test_repeating_a_word_cannot_push_a_score_up(scorer: RiskScorer) -> None:
    """Counts are sublinear: "hello" a thousand times reads much like "hello"."""
    once = scorer.score("hello").risk
    many = scorer.score("hello " * 1000).risk
    assert many < 0.5
    assert abs(many - once) < 0.35


def test_a_crisis_sentence_at_the_end_of_a_long_post_is_not_averaged_away(
    scorer: RiskScorer,
) -> None:
    """Windows read a long message in parts: the riskiest part counts."""
    filler = (
        "We spent the weekend fixing the garden fence and painting the shed, and on Sunday "
        "we had lunch with the neighbours and talked about the football season. "
    ) * 12
    tail = "I can't go on, I want to die, I have the pills ready and I'm done with life."
    assert (
        scorer.score(filler + tail).self_harm > scorer.score(filler + tail, windows=False).self_harm
    )
    assert scorer.score(filler + tail).risk > 0.5
    assert scorer.score(filler).risk < 0.5


def test_training_features_and_scoring_agree(scorer: RiskScorer) -> None:
    """The training script's features, summed with the model's weights, give the same score."""
    import math

    text = "I feel hopeless and I keep thinking nobody would miss me, nobody at all"
    values, length = analyze(text)
    index = scorer._index
    logits = []
    for c in range(3):
        total = sum(v * scorer._w[c][index[f]] for f, v in values.items() if f in index)
        logits.append(scorer._b[c] + total * scorer._scales[c] / math.sqrt(length))
    top = max(logits)
    exps = [math.exp((x - top) / scorer.temperature) for x in logits]
    expected = exps[1] / sum(exps)
    assert scorer.score(text, windows=False).self_harm == pytest.approx(expected, rel=1e-9)


def test_dump_and_load_round_trip_byte_for_byte(tmp_path: Path) -> None:
    """The artefact is deterministic: the same model writes the same bytes, and loads back."""
    vocabulary = ["\tdie", " di", "\tbread", "\nwant die"]
    weights = [[0.0, 0.1, 2.0, 0.0], [3.0, 1.0, -1.0, 2.5], [0.5, 0.0, -0.5, 0.0]]
    a = RiskScorer.dump(
        tmp_path / "a.bin",
        vocabulary=vocabulary,
        weights=weights,
        bias=[1.0, -1.0, -2.0],
        classes=CLASSES,
        temperature=1.5,
        meta={"note": "test"},
    )
    b = RiskScorer.dump(
        tmp_path / "b.bin",
        vocabulary=vocabulary,
        weights=weights,
        bias=[1.0, -1.0, -2.0],
        classes=CLASSES,
        temperature=1.5,
        meta={"note": "test"},
    )
    assert a == b
    loaded = RiskScorer.load(tmp_path / "a.bin")
    assert loaded.size == 4 and loaded.meta == {"note": "test"}
    assert loaded.score("want die").self_harm > loaded.score("bread").self_harm


def test_a_damaged_model_file_is_a_clear_error(tmp_path: Path) -> None:
    """A file that is not a model names itself in a ValueError; the screen falls back to rules."""
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match=r"bad\.bin"):
        RiskScorer.load(bad)
    with pytest.raises(ValueError, match="weights"):
        RiskScorer(
            vocabulary=["a"],
            weights=[array("h", [1]), array("h", [1])],
            scales=[1.0, 1.0],
            bias=[0, 0, 0],
            classes=CLASSES,
        )


def test_the_screen_names_the_scorer_when_it_alone_fires(scorer: RiskScorer) -> None:
    """A crisis the rules do not know is raised by the scorer, and the audit names it."""
    text = (
        "every day is the same grey nothing. i gave my cat to my sister and wrote letters to "
        "everyone. i feel calm for the first time in months"
    )
    rules = Screen(ScreenSettings(model=False))(text)
    assert rules.risk == "none"
    low = Screen(ScreenSettings(self_harm_threshold=0.05, others_threshold=0.99), scorer=scorer)
    result = low(text)
    assert result.risk == "self"
    assert MODEL_SELF in result.matched
    assert result.score.self_harm >= 0.05


def test_thresholds_come_from_the_settings(scorer: RiskScorer) -> None:
    """The same message, two thresholds: only the lower one raises the signal."""
    text = "i am so tired of everything, nothing matters and i just want it all to stop"
    score = scorer.score(text).self_harm
    below = Screen(ScreenSettings(self_harm_threshold=max(0.01, score - 0.01)), scorer=scorer)
    above = Screen(ScreenSettings(self_harm_threshold=min(1.0, score + 0.01)), scorer=scorer)
    assert MODEL_SELF in below(text).matched
    assert MODEL_SELF not in above(text).matched


def test_a_vetoed_phrase_overrules_the_scorer_on_a_short_message(scorer: RiskScorer) -> None:
    """ "I'm not suicidal" is a known negation: the scorer alone does not make it a crisis."""
    eager = Screen(ScreenSettings(self_harm_threshold=0.01, others_threshold=0.01), scorer=scorer)
    for text in (
        "I'm not suicidal, just tired of this job",
        "what is suicide?",
        "i dont want to talk to you anymore",
    ):
        result = eager(text)
        assert result.risk == "none", result
        assert any(m.startswith("model.overruled_by:") for m in result.matched)


def test_abuse_aimed_at_the_bot_is_not_read_as_a_crisis(scorer: RiskScorer) -> None:
    """ "You worthless piece of shit bot" is abuse (a strike), not the writer at risk; a crisis
    statement in the same message still is."""
    eager = Screen(ScreenSettings(self_harm_threshold=0.01, others_threshold=0.01), scorer=scorer)
    insult = eager("you worthless piece of shit bot, nobody asked you")
    assert insult.risk == "none" and insult.abusive
    assert "model.overruled_by:abuse.insult" in insult.matched
    assert eager("you are worthless, i am going to kill myself").risk == "self"


def test_a_threat_is_risk_to_others_not_only_a_weapons_strike() -> None:
    """A plan to attack people is a risk signal whatever else it is."""
    result = Screen(ScreenSettings())("I'm going to shoot up my school tomorrow")
    assert result.risk == "others"


def test_the_scorer_can_be_switched_off() -> None:
    """With [screen] model = false the scorer is not loaded and never fires."""
    off = Screen(ScreenSettings(model=False))
    assert off.scorer is None
    result = off("some words")
    assert result.score == NO_SCORE
    assert MODEL_SELF not in result.matched and MODEL_OTHERS not in result.matched


def test_scores_are_frozen_records() -> None:
    """RiskScore is a frozen record whose risk is the sum of both risk classes."""
    s = RiskScore(self_harm=0.25, others=0.5, benign=0.25)
    assert s.risk == 0.75
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.benign = 1.0  # type: ignore[misc]
