"""Crisis resources: the table, whose lines a thread gets, its language, the checks, the command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from adapters.discord import render as discord_render
from adapters.slack import render as slack_render
from bot import config
from bot.cli.crisis import crisis_lines
from bot.config import CrisisResource, CrisisSettings
from bot.config.crisis import DEFAULT_REGIONS, DEFAULT_RESOURCES, EVERYWHERE, known_regions
from bot.errors import ConfigError
from bot.safety.language import guess_language
from bot.safety.resources import (
    LANGUAGE_REGIONS,
    TRANSLATIONS,
    crisis_text,
    lines_for,
    regions_for,
)
from bot.safety.screen import Screen

ROOT = Path(__file__).resolve().parent.parent
REGIONS = known_regions(DEFAULT_RESOURCES)
LANGUAGES = ("", *TRANSLATIONS)
DEFAULTS = CrisisSettings()


def parse(crisis: str, extra: str = "") -> config.Settings:
    """Settings from a TOML text."""
    return config.parse(tomllib.loads(crisis + "\n" + extra), source="t.toml")


def problems(text: str) -> list[str]:
    """The problems a TOML text produces."""
    with pytest.raises(ConfigError) as info:
        config.parse(tomllib.loads(text), source="t.toml")
    return info.value.problems


# --- the table -----------------------------------------------------------------------------------


def test_the_table_covers_the_twenty_five_regions() -> None:
    """The first five regions and the twenty more each have lines."""
    assert set(REGIONS) == {
        *("US", "CA", "UK", "IE", "AU"),
        *("FR", "DE", "AT", "CH", "ES", "IT", "NL", "BE", "PT", "BR"),
        *("MX", "AR", "IN", "JP", "KR", "NZ", "ZA", "PH", "PL", "SE"),
    }


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_has_one_emergency_line_and_a_helpline_each_sourced_and_dated(
    region: str,
) -> None:
    """One emergency line and at least one helpline, each with a source and an ISO date."""
    lines = [r for r in DEFAULT_RESOURCES if r.region == region]
    assert sum(r.emergency for r in lines) == 1
    assert any(not r.emergency for r in lines)
    for line in lines:
        assert line.source.strip(), line
        assert date.fromisoformat(line.verified_on) <= date(2026, 12, 3)


@pytest.mark.parametrize(
    ("region", "absent"),
    [
        ("IE", "50808"),  # keyword unverified
        ("IT", "2327"),  # sources disagree on the number
        ("IT", "199"),
        ("AT", "16:00"),  # chat hours from one source only
        ("AR", "135"),
        ("NZ", "0508"),
        ("SE", "90 390"),
        ("DE", "113"),  # planned, not live
        ("PT", "930 712 500"),
        ("US", "press 3"),
    ],
)
def test_unverified_and_retired_lines_stay_out(region: str, absent: str) -> None:
    """What the research marks UNVERIFIED or not live is not posted."""
    text = crisis_text(DEFAULTS, regions=[region])
    assert absent not in text


def test_italy_says_there_is_no_24_7_national_line_and_gives_the_hours_of_what_exists() -> None:
    """Italy's text does not imply a 24/7 state line: it says there is none, and the hours."""
    (helpline,) = [r for r in DEFAULT_RESOURCES if r.region == "IT" and not r.emergency]
    assert "No 24/7" in helpline.service and "10:00-24:00" in helpline.how
    assert "24/7" not in helpline.how


@pytest.mark.parametrize(
    ("region", "emergency", "helpline"),
    [
        ("FR", "112", "3114"),
        ("DE", "112", "0800 111 0 111"),
        ("AT", "144", "142"),
        ("CH", "144", "143"),
        ("ES", "112", "024"),
        ("NL", "112", "113"),
        ("BE", "112", "1813"),
        ("PT", "112", "1411"),
        ("BR", "192", "188"),
        ("MX", "911", "800 911 2000"),
        ("AR", "911", "0800-999-0091"),
        ("IN", "112", "14416"),
        ("JP", "119", "0120-279-338"),
        ("KR", "119", "109"),
        ("NZ", "111", "1737"),
        ("ZA", "112", "0800 456 789"),
        ("PH", "911", "1553"),
        ("PL", "112", "116 123"),
        ("SE", "112", "90101"),
        ("US", "911", "988"),
    ],
)
def test_each_region_posts_its_emergency_number_before_its_helplines(
    region: str, emergency: str, helpline: str
) -> None:
    """The region's first line is its emergency numbers; its helpline follows."""
    text = crisis_text(DEFAULTS, regions=[region])
    body = text.splitlines()[2:]
    assert body[0].split(": ", 1)[1].startswith("emergency ")
    assert emergency in body[0]
    assert helpline in "\n".join(body[1:])
    assert body[-3].startswith("Anywhere else: Find A Helpline")


# --- every text within the platforms' limits --------------------------------------------------


def _slack_pieces(text: str) -> list[str]:
    return slack_render.split(slack_render.notice(text, kind="crisis_resources"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("region", REGIONS)
def test_every_regions_text_fits_one_discord_and_one_slack_message(
    region: str, language: str
) -> None:
    """Each region alone, in each wording (with the regions its language adds), is one message
    on Discord (2,000 characters) and one on Slack (one section block's 3,000 after escaping)."""
    text = crisis_text(DEFAULTS, regions=[region], language=language)
    assert discord_render.split_text(text) == [text]
    assert len(text) <= discord_render.MESSAGE_LIMIT
    (piece,) = _slack_pieces(text)
    assert len(piece) <= slack_render.SECTION_LIMIT <= slack_render.MESSAGE_LIMIT


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_default_regions_fit_one_message_in_every_language(language: str) -> None:
    """An unconfigured install's text, plus a language's regions, is still one message."""
    text = crisis_text(DEFAULTS, language=language)
    assert discord_render.split_text(text) == [text]
    assert len(_slack_pieces(text)) == 1


def test_every_region_at_once_is_split_within_the_limits_and_loses_nothing() -> None:
    """A text too long for one message is split at line ends, every piece within its limit."""
    text = crisis_text(DEFAULTS, regions=REGIONS, language="fr")
    discord = discord_render.split_text(text)
    assert len(discord) > 1 and all(len(p) <= discord_render.MESSAGE_LIMIT for p in discord)
    assert "\n".join(discord) == text
    slack = _slack_pieces(text)
    assert all(len(p) <= slack_render.MESSAGE_LIMIT for p in slack)


def test_the_text_pings_no_one_on_either_platform() -> None:
    """No line of the table reads as a mention or a broadcast once rendered."""
    text = crisis_text(DEFAULTS, regions=REGIONS)
    assert "@" not in text.replace("jo@samaritans", "")
    assert "<" not in "".join(_slack_pieces(text)).replace("&lt;", "")


# --- whose lines a thread gets ------------------------------------------------------------------


def test_without_regions_the_five_defaults_come_then_find_a_helpline() -> None:
    """An unconfigured install posts US, CA, UK, IE, AU and Find A Helpline, as before."""
    assert regions_for(DEFAULTS) == DEFAULT_REGIONS
    assert lines_for(DEFAULTS)[-1].region == EVERYWHERE


def test_configured_regions_replace_the_defaults() -> None:
    """crisis.regions = ["FR"] posts France, not the US."""
    text = crisis_text(CrisisSettings(regions=("FR",)))
    assert "3114" in text and "112" in text and "988" not in text


def test_a_threads_own_regions_come_before_the_configs() -> None:
    """A server's crisis_regions win over [crisis].regions."""
    settings = CrisisSettings(regions=("FR",))
    assert regions_for(settings, regions=["DE"]) == ("DE",)
    assert regions_for(settings, regions=["de"], language="fr") == ("DE", "FR", "BE", "CH", "CA")


@pytest.mark.parametrize(("language", "regions"), sorted(LANGUAGE_REGIONS.items()))
def test_a_languages_regions_follow_the_configured_ones(
    language: str, regions: tuple[str, ...]
) -> None:
    """The regions that speak the message's language come after the configured ones."""
    chosen = regions_for(CrisisSettings(regions=("JP",)), language=language)
    assert chosen == ("JP", *regions)


def test_english_adds_no_region_and_an_unknown_language_falls_back_to_english() -> None:
    """English says nothing about where someone lives; a language without wording is English."""
    settings = CrisisSettings(regions=("FR",))
    assert regions_for(settings, language="en") == ("FR",)
    assert crisis_text(settings, language="sw") == crisis_text(settings)


@pytest.mark.parametrize("language", sorted(set(TRANSLATIONS) - {"en"}))
def test_each_translation_changes_the_framing_and_the_no_consequences_line(language: str) -> None:
    """The framing, emergency and "no consequences" sentences are the reviewed translation's."""
    wording = TRANSLATIONS[language]
    english = TRANSLATIONS["en"]
    text = crisis_text(CrisisSettings(regions=("FR",)), language=language)
    lines = text.splitlines()
    assert lines[0] == wording.framing != english.framing
    assert lines[1] == wording.emergency != english.emergency
    assert wording.no_consequences in text and english.no_consequences not in text
    assert set(wording.names) == set(english.names) == set(REGIONS)


def test_the_oldest_date_of_the_lines_shown_is_stated() -> None:
    """The text says when its oldest line was checked."""
    text = crisis_text(CrisisSettings(regions=("FR",)), language="fr")
    assert text.endswith("(Ressources vérifiées le 2026-11-01.)")  # Find A Helpline's date


# --- the message's language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("je veux mourir", "fr"),
        ("ya no quiero vivir, quiero morir", "es"),
        ("ich will nicht mehr leben", "de"),
        ("eu quero morrer, não aguento mais", "pt"),
        ("voglio morire, non ce la faccio più", "it"),
        ("I want to die", "en"),
        ("ok", ""),
        ("merci", ""),
    ],
)
def test_the_language_comes_from_the_screens_rules_or_the_common_words(
    text: str, language: str
) -> None:
    """A French rule says French; without one, common words decide, and only with a clear lead."""
    matched = Screen(config.ScreenSettings(model=False))(text).matched
    assert guess_language(text, matched) == language


def test_a_rules_language_wins_over_the_words() -> None:
    """A Spanish rule that fired on a message of French words says Spanish."""
    assert guess_language("je suis et vous", ["risk.self.es.quiero_morir"]) == "es"
    assert guess_language("je suis et vous", ["risk.self.kill_myself"]) == "fr"
    assert guess_language("x", ["risk.self.es.a", "risk.self.fr.b"]) == ""


# --- config checks ---------------------------------------------------------------------------


def test_an_unknown_region_is_an_error_naming_the_key_and_listing_the_known_regions() -> None:
    """crisis.regions = ["XX"] fails at load, naming the key and every known region."""
    (problem,) = problems('[crisis]\nregions = ["FR", "XX"]')
    assert problem.startswith("t.toml: crisis.regions: unknown region 'XX'")
    assert ", ".join(REGIONS) in problem


def test_a_servers_unknown_region_names_its_own_key() -> None:
    """discord.servers[1].crisis_regions and slack.crisis_regions are checked the same way."""
    found = problems(
        "[discord]\nmod_log_channel = 1\ncrisis_regions = ['QQ']\n"
        "[[discord.servers]]\nmod_log_channel = 2\ncrisis_regions = ['ZZ']\n"
        "[slack]\nmod_log_channel = 'C1'\ncrisis_regions = ['YY']"
    )
    keys = sorted(p.split(": ")[1] for p in found)
    assert keys == [
        "discord.crisis_regions",
        "discord.servers[1].crisis_regions",
        "slack.crisis_regions",
    ]
    assert all("AR, AT, AU" in p for p in found)


def test_region_codes_are_read_in_any_case_and_gb_is_the_uk() -> None:
    """ "fr" is FR and "GB" is UK; a code listed twice counts once."""
    settings = parse('[crisis]\nregions = ["fr", "GB", "FR"]')
    assert settings.crisis.regions == ("FR", "UK")


def test_a_line_without_its_date_is_an_error() -> None:
    """A configured line needs verified_on, its own or crisis.verified_on."""
    (problem,) = problems(
        "[[crisis.resources]]\nregion = 'FR'\nservice = 'S'\nhow = 'call 1'\nsource = 'x'"
    )
    assert "crisis.resources[1].verified_on: required" in problem
    dated = parse(
        "[crisis]\nverified_on = 2026-12-01\n"
        "[[crisis.resources]]\nregion = 'FR'\nservice = 'S'\nhow = 'call 1'"
    )
    assert dated.crisis.resources[0].verified_on == "2026-12-01"


def test_a_new_region_without_an_emergency_line_or_without_a_helpline_is_an_error() -> None:
    """A region the table lacks needs its emergency numbers and at least one helpline."""
    line = (
        "[[crisis.resources]]\nregion = 'LU'\nservice = '{s}'\nhow = '1'\n"
        "verified_on = '2026-12-01'"
    )
    (no_emergency,) = problems(line.format(s="Help"))
    assert "region LU has no emergency line" in no_emergency
    (no_lines,) = problems(line.format(s="Emergency") + "\nemergency = true")
    assert "region LU has no lines but its emergency numbers" in no_lines


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("region = 'US'\nhow = 'x'\nverified_on = '2026-12-01'", "crisis.resources[1].service"),
        ("region = 'USA'\nservice = 's'\nhow = 'x'\nverified_on = '2026-12-01'", ".region"),
        ("region = 'US'\nservice = 's'\nhow = 'x'\nverified_on = 'soon'", ".verified_on"),
        ("region = 'US'\nservice = 's'\nhow = 'x'\nverified_on = '2026-12-01'\nurl = 1", ".url"),
        (
            "region = '*'\nservice = 's'\nhow = 'x'\nverified_on = '2026-12-01'\nemergency = true",
            "belong",
        ),
    ],
)
def test_a_bad_line_names_its_key(entry: str, expected: str) -> None:
    """Each mistake in a [[crisis.resources]] table names the table and the key."""
    (problem,) = problems("[[crisis.resources]]\n" + entry)
    assert expected in problem


def test_configured_lines_replace_their_regions_lines_and_keep_the_rest() -> None:
    """An operator's FR helpline replaces 3114; France keeps its emergency numbers; DE is kept."""
    settings = parse(
        "[[crisis.resources]]\nregion = 'fr'\nservice = 'Local line'\nhow = 'call 0800'\n"
        "verified_on = '2026-12-01'\nsource = 'https://example.org'"
    )
    assert settings.crisis.regions == ()
    assert regions_for(settings.crisis) == ("FR",)  # the configured lines' regions
    text = crisis_text(settings.crisis)
    assert "Local line: call 0800" in text and "3114" not in text and "15 (SAMU" in text
    assert "0800 111 0 111" in crisis_text(settings.crisis, regions=["DE"])


def test_check_config_states_the_oldest_check_and_warns_past_a_year() -> None:
    """The summary says how old the oldest "verified on" is, and warns past 12 months."""
    settings = config.load(None)
    fresh = config.describe(settings, today=date(2027, 1, 1))
    assert "the oldest was verified on 2026-11-01" in fresh and "61 days ago" in fresh
    assert "WARNING" not in fresh
    stale = config.describe(settings, today=date(2027, 11, 2))
    assert (
        "366 days ago" in stale and "WARNING: crisis lines last checked more than 1 year" in stale
    )


# --- the command --------------------------------------------------------------------------------


def test_crisis_lines_prints_exactly_what_the_user_would_see() -> None:
    """The command's first lines are the posted text itself; --sources adds each line's page."""
    settings = config.load(None)
    out = crisis_lines(settings, ["FR"], language="fr", sources=True)
    text = crisis_text(settings.crisis, regions=["FR"], language="fr")
    assert out.startswith(text + "\n")
    assert "FR | emergency | verified 2026-12-03 | service-public.fr" in out
    assert f"({len(text)} characters)" in out


def test_crisis_lines_from_the_command_line_and_its_unknown_region_error() -> None:
    """`python -m bot crisis-lines` runs as a user would; an unknown region exits 2 naming it."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "crisis-lines", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )

    ok = run("DE", "--language", "de")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(TRANSLATIONS["de"].framing)
    assert "TelefonSeelsorge" in ok.stdout and "Österreich: Notruf 144" in ok.stdout
    bad = run("XX")
    assert bad.returncode == 2
    assert "crisis-lines: unknown region 'XX'" in bad.stderr and "SE, UK, US, ZA" in bad.stderr


# --- end to end ------------------------------------------------------------------------------


def test_a_french_crisis_in_a_french_community_gets_3114_in_french_and_a_priority_case() -> None:
    """Replay with crisis.regions = ["FR"]: "je veux mourir" brings 3114 and 112, said in
    French, and the moderators' priority case."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "replay",
            str(ROOT / "examples" / "french_crisis.jsonl"),
            "--config",
            str(ROOT / "examples" / "france.toml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [(line["event"], line["action"]) for line in lines]
    assert kinds == [(1, "reply"), (2, "case"), (2, "crisis_resources"), (2, "reply"), (3, "reply")]
    case, resources = lines[1], lines[2]
    assert case["case_kind"] == "crisis" and case["priority"] is True
    text = str(resources["text"])
    assert text.startswith(TRANSLATIONS["fr"].framing)
    assert TRANSLATIONS["fr"].no_consequences in text
    france = text.splitlines()[2]
    assert france.startswith("France: urgences 112")
    assert re.search(r"\b3114\b", text.splitlines()[3])
    assert "988" not in text.split("Canada")[0]  # France first, the US not at all before it


def test_a_custom_line_in_programmatic_settings_uses_the_tables_date() -> None:
    """Lines built in code without a date take crisis.verified_on for the stated date."""
    settings = CrisisSettings(
        regions=("FR",),
        resources=(CrisisResource(region="FR", service="S", how="call 1"),),
        verified_on="2026-10-10",
    )
    assert crisis_text(settings).endswith("(Resources checked 2026-10-10.)")


# --- the policy, the inbox and the platforms ---------------------------------------------------


def test_the_policy_posts_the_threads_regions_in_the_messages_language() -> None:
    """A crisis turn's resources follow the message's server regions and its language."""
    from bot import policy
    from bot.records import Author, Incoming, Signals, ThreadRef, ThreadState, UserHistory

    t0 = datetime(2026, 12, 3, tzinfo=UTC)
    ref = ThreadRef(platform="test", workspace="w", channel="c", thread="t")
    incoming = Incoming(
        event_id="e",
        thread=ref,
        author=Author(id="u", name="u"),
        text="je veux mourir",
        at=t0,
        crisis_regions=("BE",),
    )
    decision = policy.decide(
        state=ThreadState(ref=ref, owner="u", opened_at=t0),
        incoming=incoming,
        signals=Signals(screen_risk="self", language="fr"),
        history=UserHistory(),
        settings=config.Settings(crisis=CrisisSettings(regions=("US",))),
        now=t0,
    )
    (resources,) = [a for a in decision.actions if a.kind == "crisis_resources"]
    assert resources.text == crisis_text(
        CrisisSettings(regions=("US",)), regions=["BE"], language="fr"
    )
    assert resources.text.splitlines()[2] == "Belgique: urgences 112"
    assert "988" not in resources.text  # the server's regions replace the config's
    assert decision.cases[0].priority


def test_the_inbox_keeps_a_messages_crisis_regions() -> None:
    """An accepted message carries its server's regions through the store's codec."""
    from bot.records import Author, Incoming, ThreadRef
    from bot.store.codec import incoming_from_json, incoming_to_json

    ref = ThreadRef(platform="test", workspace="w", channel="c", thread="t")
    plain = Incoming(
        event_id="e", thread=ref, author=Author(id="u", name="u"), text="x", at=datetime.now(UTC)
    )
    assert "crisis_regions" not in incoming_to_json(plain)  # older rows read the same
    regional = replace(plain, crisis_regions=("FR", "BE"))
    assert incoming_from_json(incoming_to_json(regional)) == regional


def test_starting_the_bot_with_stale_lines_logs_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`run` and `console` warn in the log when the oldest line is over a year old."""
    from bot.cli.crisis import warn_if_stale

    settings = config.load(None)
    assert not warn_if_stale(settings, today=date(2027, 6, 1))
    with caplog.at_level("WARNING"):
        assert warn_if_stale(settings, today=date(2028, 1, 1))
    assert "the oldest was verified on 2026-11-01" in caplog.text


@pytest.mark.parametrize("language", sorted(TRANSLATIONS))
def test_risk_to_others_leads_with_the_emergency_number_in_every_language(language: str) -> None:
    """For a threat to someone else, each wording puts the emergency sentence first and drops
    the "no consequences" promise."""
    wording = TRANSLATIONS[language]
    text = crisis_text(CrisisSettings(regions=("FR",)), language=language, risk="others")
    assert text.startswith(wording.emergency)
    assert wording.framing_others in text and wording.closing_others in text
    assert wording.no_consequences not in text
    assert "3114" in text and "112" in text
