"""Crisis resources: reviewed, fixed text posted by code, never written by the model.

The defaults come from ../shared/crisis-resources.md (checked November 2026). Numbers change:
operators can replace the table in config (`[[crisis.resources]]`) and must then set
`crisis.verified_on`. The Irish text line is left out until its keyword is verified, and 988's
discontinued "press 3" option is deliberately not mentioned.
"""

from __future__ import annotations

from bot.config import CrisisResource, CrisisSettings

VERIFIED_ON = "2026-11-01"

EMERGENCY = (
    "If you or someone else is in immediate danger, call your local emergency number now "
    "(US and Canada 911, UK 999 or 112, Ireland 112 or 999, Australia 000, EU 112)."
)

DEFAULT_RESOURCES: tuple[CrisisResource, ...] = (
    CrisisResource(
        region="US",
        service="988 Suicide & Crisis Lifeline",
        how="call or text 988, or chat at 988lifeline.org (free, confidential, 24/7)",
    ),
    CrisisResource(region="US", service="Crisis Text Line", how="text HOME to 741741 (24/7)"),
    CrisisResource(
        region="CA",
        service="9-8-8 Suicide Crisis Helpline",
        how="call or text 9-8-8 (24/7, English and French)",
    ),
    CrisisResource(
        region="CA",
        service="Kids Help Phone (young people)",
        how="text CONNECT to 686868 or call 1-800-668-6868",
    ),
    CrisisResource(
        region="UK",
        service="Samaritans",
        how="call 116 123 (free, 24/7) or email jo@samaritans.org",
    ),
    CrisisResource(region="UK", service="Shout", how="text SHOUT to 85258 (free, 24/7)"),
    CrisisResource(
        region="IE",
        service="Samaritans",
        how="call 116 123 (free, 24/7) or email jo@samaritans.ie",
    ),
    CrisisResource(
        region="AU",
        service="Lifeline",
        how="call 13 11 14, text 0477 13 11 14, or chat at lifeline.org.au (24/7)",
    ),
    CrisisResource(
        region="*",
        service="Find A Helpline",
        how="findahelpline.com lists free, verified helplines by country",
    ),
)

REGION_NAMES = {"US": "US", "CA": "Canada", "UK": "UK", "IE": "Ireland", "AU": "Australia"}


def crisis_text(settings: CrisisSettings, *, risk: str = "self") -> str:
    """The message posted when someone may be at risk: emergency numbers first, then helplines.

    For a risk to someone else (`risk="others"`) the emergency number leads, and the closing line
    promises nothing about consequences: the moderators have been told, and may have to act.
    """
    table = settings.resources or DEFAULT_RESOURCES
    if settings.regions:
        wanted = {r.upper() for r in settings.regions} | {"*"}
        table = tuple(r for r in table if r.region.upper() in wanted)
    if risk == "others":
        lines = [
            EMERGENCY,
            "If you feel you might hurt someone, talking to someone now can help. These services "
            "are free and confidential:",
        ]
    else:
        lines = [
            "Talking to someone can help. These services are free and confidential:",
            EMERGENCY,
        ]
    for r in table:
        where = "Anywhere else" if r.region == "*" else REGION_NAMES.get(r.region, r.region)
        lines.append(f"- {where}: {r.service}: {r.how}")
    lines.append(
        "This message is sent automatically; the moderators have been told, so a person can "
        "help. You can keep talking here."
        if risk == "others"
        else "This message is sent automatically and has no consequences for you. "
        "You can keep talking here."
    )
    verified = settings.verified_on or (VERIFIED_ON if not settings.resources else "")
    if verified:
        lines.append(f"(Resources checked {verified}.)")
    return "\n".join(lines)
