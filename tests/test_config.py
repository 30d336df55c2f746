"""Config: defaults, the example file, and one clear error per problem naming the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def problems(text: str, tmp_path: Path) -> list[str]:
    """The problems a TOML text produces."""
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    return info.value.problems


def test_defaults_without_a_file() -> None:
    """No file means the documented defaults."""
    s = config.load(None)
    assert s.policy.redirects_before_lock == 3
    assert s.policy.crisis_window == timedelta(hours=24)
    assert s.policy.crisis_resources_cooldown == timedelta(hours=2)


def test_example_config_is_valid_and_equals_the_defaults() -> None:
    """config.example.toml parses, and documents exactly the defaults."""
    s = config.load(ROOT / "config.example.toml")
    assert s.policy == config.Settings().policy
    assert s.assistant == config.Settings().assistant
    assert s.storage == config.Settings().storage


def test_example_config_documents_every_key() -> None:
    """Every key the loader accepts appears in the example file."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for section, keys in config._SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            assert (
                f"{key} =" in text or f"[{section}.{key}]" in text or f"[[{section}.{key}]]" in text
            ), key


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[policy]\nredirects_before_lock = 'three'",
            "policy.redirects_before_lock: expected a whole number",
        ),
        (
            "[policy]\nredirects_before_lock = 0",
            "policy.redirects_before_lock: expected a number at least 1",
        ),
        ("[policy]\nredirect_before_lock = 2", "policy.redirect_before_lock: unknown key"),
        ("[polcy]\nx = 1", "[polcy]: unknown section"),
        ("[policy.category_redirects]\nweapons = 1", "unknown category 'weapons'"),
        (
            "[policy]\ncrisis_window_hours = -1",
            "policy.crisis_window_hours: expected a number at least 0",
        ),
        ("[policy]\nwarn_first_after_recent_lock = 'yes'", "expected true or false"),
        (
            "[assistant]\nprovider = 'gpt'",
            "assistant.provider: expected one of auto, claude, offline",
        ),
        (
            "[assistant]\napi_key_env = 'sk-ant-123'",
            "assistant.api_key_env: expected the NAME of an environment variable",
        ),
        ("[console]\nusers = ['a']\nmoderators = ['a']", "console.moderators: a also listed"),
        (
            "[[crisis.resources]]\nregion = 'US'",
            "crisis.resources: entry 1: expected exactly the keys",
        ),
    ],
)
def test_bad_values_name_the_key(toml: str, expected: str, tmp_path: Path) -> None:
    """Each mistake is one sentence that names the key and what was expected."""
    found = problems(toml, tmp_path)
    assert len(found) == 1, found
    assert expected in found[0]
    assert str(tmp_path / "c.toml") in found[0]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Several mistakes come back together, not one per run."""
    found = problems(
        "[policy]\nredirects_before_lock = 'x'\nnope = 1\n[assistant]\nprovider = 1", tmp_path
    )
    assert len(found) == 3


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    """A syntax error and a missing file are config errors, not tracebacks."""
    assert "not valid TOML" in problems("[policy\n", tmp_path)[0]
    with pytest.raises(ConfigError, match="cannot read"):
        config.load(tmp_path / "missing.toml")


def test_claude_provider_requires_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """provider = 'claude' without the variable set is an error naming the variable."""
    monkeypatch.delenv("TK_TEST_KEY", raising=False)
    found = problems("[assistant]\nprovider = 'claude'\napi_key_env = 'TK_TEST_KEY'", tmp_path)
    assert "TK_TEST_KEY is not set" in found[0]


def test_secrets_never_appear_in_reprs_or_descriptions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's value is read from the environment on use and never shown."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-value")
    s = config.load(None)
    assert s.assistant.api_key() == "sk-ant-secret-value"
    assert "sk-ant-secret-value" not in repr(s)
    assert "sk-ant-secret-value" not in config.describe(s)
    assert "ANTHROPIC_API_KEY (set)" in config.describe(s)


def test_category_threshold_applies() -> None:
    """A category's own N overrides the default for that category only."""
    s = config.parse({"policy": {"category_redirects": {"child_sexual_exploitation": 1}}})
    assert s.policy.redirects_for("child_sexual_exploitation") == 1
    assert s.policy.redirects_for("hate") == 3
