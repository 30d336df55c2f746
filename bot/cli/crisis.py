"""`crisis-lines`: the crisis message exactly as a user in some regions would read it.

An operator reviews it before going live (and after changing `[[crisis.resources]]`):
`python -m bot crisis-lines FR BE --language fr --sources` prints the message, then each line
shown with the page it was read on and the day it was checked.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from datetime import date

from bot import config as config_mod
from bot.config.crisis import EVERYWHERE, age_report, check_regions, merged
from bot.errors import ConfigError
from bot.safety.resources import LANGUAGE_REGIONS, TRANSLATIONS, crisis_text, lines_for

log = logging.getLogger(__name__)

#: The languages `--language` takes: those with a reviewed wording or with regions of their own.
LANGUAGE_CHOICES: tuple[str, ...] = tuple(sorted(set(TRANSLATIONS) | set(LANGUAGE_REGIONS)))


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `crisis-lines` command's arguments."""
    cl = sub.add_parser(
        "crisis-lines", help="print the crisis resources a user in these regions would see"
    )
    cl.add_argument(
        "regions",
        nargs="*",
        metavar="REGION",
        help="region codes like FR BE (default: the config's crisis.regions)",
    )
    cl.add_argument("--config", metavar="FILE", help="TOML config (default: built-in defaults)")
    cl.add_argument(
        "--language",
        choices=LANGUAGE_CHOICES,
        default="",
        help="the message's language: the wording, and the regions that speak it",
    )
    cl.add_argument(
        "--sources",
        action="store_true",
        help="after the message, each line shown with its source and the date it was checked",
    )


def crisis_lines(
    settings: config_mod.Settings, regions: Sequence[str], *, language: str, sources: bool
) -> str:
    """What `crisis-lines` prints; a ConfigError names an unknown region."""
    problems = check_regions("crisis-lines", regions, merged(settings.crisis.resources))
    if problems:
        raise ConfigError(problems)
    text = crisis_text(settings.crisis, regions=regions, language=language)
    out = [text]
    if sources:
        out += ["", "-" * 72, "Sources (not shown to users):"]
        for line in lines_for(settings.crisis, regions=regions, language=language):
            where = "everywhere" if line.region == EVERYWHERE else line.region
            kind = "emergency" if line.emergency else line.service
            checked = line.verified_on or settings.crisis.verified_on or "no date"
            out.append(f"{where} | {kind} | verified {checked} | {line.source or 'no source'}")
    out += ["", f"({len(text)} characters)"]
    return "\n".join(out)


def warn_if_stale(settings: config_mod.Settings, *, today: date | None = None) -> bool:
    """At start, one warning in the log when the oldest crisis line was checked over a year ago."""
    sentence, stale = age_report(merged(settings.crisis.resources), today or date.today())
    if stale:
        log.warning("%s: check the numbers again (python -m bot crisis-lines --sources)", sentence)
    return stale
