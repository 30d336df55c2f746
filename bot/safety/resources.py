"""Crisis resources: reviewed, fixed text posted by code, never written by the model.

The lines come from the crisis table (bot/config/crisis.py: the built-in lines with their
sources and dates, and any `[[crisis.resources]]` an operator put in their place). This module
picks whose lines a thread gets and says them in the reader's language:

- the thread's regions first (its server's `crisis_regions`, else `[crisis].regions`, else the
  regions of the configured lines, else the built-in defaults), each region's emergency numbers
  before its helplines;
- when the message's language is known and has a reviewed translation here, the framing
  sentences are in that language, and the regions that speak it follow (a French message adds
  France, Belgium, Switzerland and Canada); English adds none, being spoken everywhere;
- Find A Helpline last, for anywhere else.

Translations are of the sentences around the lines (framing, emergency, "no consequences", the
date and the country names); the lines themselves stay as reviewed in the table. The forms of
address are the ones an online community expects (du, tú, tu, você), and "vous" in French, as
3114 itself speaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import CrisisResource, CrisisSettings
from bot.config.crisis import (
    DEFAULT_REGIONS,
    DEFAULT_RESOURCES,
    EVERYWHERE,
    merged,
    region_code,
)

__all__ = [
    "DEFAULT_RESOURCES",
    "LANGUAGE_REGIONS",
    "TRANSLATIONS",
    "crisis_text",
    "lines_for",
    "regions_for",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Wording:
    """The reviewed sentences around the lines, in one language."""

    framing: str
    emergency: str
    emergency_label: str
    anywhere: str
    no_consequences: str
    #: For a risk to someone else: the emergency sentence leads, this framing follows it, and
    #: the closing line promises nothing about consequences (the moderators may have to act).
    framing_others: str
    closing_others: str
    checked: str  # with {date}
    #: Country names by region code; a code not listed is shown as itself.
    names: dict[str, str]


_EN_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "UK": "United Kingdom",
    "IE": "Ireland",
    "AU": "Australia",
    "FR": "France",
    "DE": "Germany",
    "AT": "Austria",
    "CH": "Switzerland",
    "ES": "Spain",
    "IT": "Italy",
    "NL": "Netherlands",
    "BE": "Belgium",
    "PT": "Portugal",
    "BR": "Brazil",
    "MX": "Mexico",
    "AR": "Argentina",
    "IN": "India",
    "JP": "Japan",
    "KR": "South Korea",
    "NZ": "New Zealand",
    "ZA": "South Africa",
    "PH": "Philippines",
    "PL": "Poland",
    "SE": "Sweden",
}


def _names(*names: str) -> dict[str, str]:
    """Country names in the order of `_EN_NAMES` (one too few or too many is an error)."""
    return dict(zip(_EN_NAMES, names, strict=True))


#: Reviewed translations by ISO 639-1 code. English is the fallback for every other language.
TRANSLATIONS: dict[str, Wording] = {
    "en": Wording(
        framing="Talking to someone can help. Here are services you can reach:",
        emergency="If you or someone else is in immediate danger, call the emergency number first.",
        emergency_label="emergency",
        anywhere="Anywhere else",
        no_consequences=(
            "This message is sent automatically and has no consequences for you. "
            "You can keep talking here."
        ),
        framing_others=(
            "If you feel you might hurt someone, talking to someone now can help. These services "
            "are free and confidential:"
        ),
        closing_others=(
            "This message is sent automatically; the moderators have been told, so a person can "
            "help. You can keep talking here."
        ),
        checked="(Resources checked {date}.)",
        names=dict(_EN_NAMES),
    ),
    "fr": Wording(
        framing="Parler à quelqu'un peut aider. Voici des services que vous pouvez joindre :",
        emergency=(
            "Si vous ou quelqu'un d'autre êtes en danger immédiat, appelez d'abord le numéro "
            "d'urgence."
        ),
        emergency_label="urgences",
        anywhere="Ailleurs",
        no_consequences=(
            "Ce message est envoyé automatiquement et n'a aucune conséquence pour vous. "
            "Vous pouvez continuer à parler ici."
        ),
        framing_others=(
            "Si vous sentez que vous pourriez faire du mal à quelqu'un, en parler maintenant peut "
            "aider. Ces services sont gratuits et confidentiels :"
        ),
        closing_others=(
            "Ce message est envoyé automatiquement ; les modérateurs ont été prévenus, une "
            "personne peut donc aider. Vous pouvez continuer à parler ici."
        ),
        checked="(Ressources vérifiées le {date}.)",
        names=_names(
            "États-Unis",
            "Canada",
            "Royaume-Uni",
            "Irlande",
            "Australie",
            "France",
            "Allemagne",
            "Autriche",
            "Suisse",
            "Espagne",
            "Italie",
            "Pays-Bas",
            "Belgique",
            "Portugal",
            "Brésil",
            "Mexique",
            "Argentine",
            "Inde",
            "Japon",
            "Corée du Sud",
            "Nouvelle-Zélande",
            "Afrique du Sud",
            "Philippines",
            "Pologne",
            "Suède",
        ),
    ),
    "es": Wording(
        framing="Hablar con alguien puede ayudar. Estos son servicios a los que puedes acudir:",
        emergency=(
            "Si tu vida o la de otra persona corre peligro inmediato, llama primero al número "
            "de emergencias."
        ),
        emergency_label="emergencias",
        anywhere="En cualquier otro lugar",
        no_consequences=(
            "Este mensaje se envía automáticamente y no tiene ninguna consecuencia para ti. "
            "Puedes seguir hablando aquí."
        ),
        framing_others=(
            "Si sientes que podrías hacer daño a alguien, hablar ahora con alguien puede ayudar. "
            "Estos servicios son gratuitos y confidenciales:"
        ),
        closing_others=(
            "Este mensaje se envía automáticamente; los moderadores han sido avisados, así que una "
            "persona puede ayudar. Puedes seguir hablando aquí."
        ),
        checked="(Recursos comprobados el {date}.)",
        names=_names(
            "Estados Unidos",
            "Canadá",
            "Reino Unido",
            "Irlanda",
            "Australia",
            "Francia",
            "Alemania",
            "Austria",
            "Suiza",
            "España",
            "Italia",
            "Países Bajos",
            "Bélgica",
            "Portugal",
            "Brasil",
            "México",
            "Argentina",
            "India",
            "Japón",
            "Corea del Sur",
            "Nueva Zelanda",
            "Sudáfrica",
            "Filipinas",
            "Polonia",
            "Suecia",
        ),
    ),
    "de": Wording(
        framing="Mit jemandem zu reden kann helfen. Diese Angebote kannst du erreichen:",
        emergency=(
            "Wenn dein Leben oder das eines anderen Menschen in akuter Gefahr ist, ruf zuerst "
            "den Notruf an."
        ),
        emergency_label="Notruf",
        anywhere="Überall sonst",
        no_consequences=(
            "Diese Nachricht wird automatisch gesendet und hat keine Folgen für dich. "
            "Du kannst hier weiterschreiben."
        ),
        framing_others=(
            "Wenn du das Gefühl hast, jemandem etwas antun zu können, kann es helfen, jetzt mit "
            "jemandem zu reden. Diese Angebote sind kostenlos und vertraulich:"
        ),
        closing_others=(
            "Diese Nachricht wird automatisch gesendet; die Moderation wurde informiert, damit ein "
            "Mensch helfen kann. Du kannst hier weiterschreiben."
        ),
        checked="(Angaben geprüft am {date}.)",
        names=_names(
            "USA",
            "Kanada",
            "Vereinigtes Königreich",
            "Irland",
            "Australien",
            "Frankreich",
            "Deutschland",
            "Österreich",
            "Schweiz",
            "Spanien",
            "Italien",
            "Niederlande",
            "Belgien",
            "Portugal",
            "Brasilien",
            "Mexiko",
            "Argentinien",
            "Indien",
            "Japan",
            "Südkorea",
            "Neuseeland",
            "Südafrika",
            "Philippinen",
            "Polen",
            "Schweden",
        ),
    ),
    "pt": Wording(
        framing="Falar com alguém pode ajudar. Você pode recorrer a estes serviços:",
        emergency=(
            "Se a sua vida ou a de outra pessoa estiver em perigo imediato, ligue primeiro para "
            "o número de emergência."
        ),
        emergency_label="emergência",
        anywhere="Em qualquer outro lugar",
        no_consequences=(
            "Esta mensagem é enviada automaticamente e não tem nenhuma consequência para você. "
            "Você pode continuar a conversa aqui."
        ),
        framing_others=(
            "Se você sente que pode machucar alguém, falar com alguém agora pode ajudar. Estes "
            "serviços são gratuitos e confidenciais:"
        ),
        closing_others=(
            "Esta mensagem é enviada automaticamente; os moderadores foram avisados, para que uma "
            "pessoa possa ajudar. Você pode continuar conversando aqui."
        ),
        checked="(Recursos verificados em {date}.)",
        names=_names(
            "Estados Unidos",
            "Canadá",
            "Reino Unido",
            "Irlanda",
            "Austrália",
            "França",
            "Alemanha",
            "Áustria",
            "Suíça",
            "Espanha",
            "Itália",
            "Países Baixos",
            "Bélgica",
            "Portugal",
            "Brasil",
            "México",
            "Argentina",
            "Índia",
            "Japão",
            "Coreia do Sul",
            "Nova Zelândia",
            "África do Sul",
            "Filipinas",
            "Polônia",
            "Suécia",
        ),
    ),
    "it": Wording(
        framing="Parlare con qualcuno può aiutare. Ecco dei servizi a cui puoi rivolgerti:",
        emergency=(
            "Se la tua vita o quella di un'altra persona è in pericolo immediato, chiama prima "
            "il numero di emergenza."
        ),
        emergency_label="emergenza",
        anywhere="Altrove",
        no_consequences=(
            "Questo messaggio è inviato automaticamente e non ha alcuna conseguenza per te. "
            "Puoi continuare a parlare qui."
        ),
        framing_others=(
            "Se senti che potresti fare del male a qualcuno, parlarne adesso con qualcuno può "
            "aiutare. Questi servizi sono gratuiti e riservati:"
        ),
        closing_others=(
            "Questo messaggio è inviato automaticamente; i moderatori sono stati avvisati, così "
            "una persona può aiutare. Puoi continuare a scrivere qui."
        ),
        checked="(Risorse verificate il {date}.)",
        names=_names(
            "Stati Uniti",
            "Canada",
            "Regno Unito",
            "Irlanda",
            "Australia",
            "Francia",
            "Germania",
            "Austria",
            "Svizzera",
            "Spagna",
            "Italia",
            "Paesi Bassi",
            "Belgio",
            "Portogallo",
            "Brasile",
            "Messico",
            "Argentina",
            "India",
            "Giappone",
            "Corea del Sud",
            "Nuova Zelanda",
            "Sudafrica",
            "Filippine",
            "Polonia",
            "Svezia",
        ),
    ),
}

#: The regions whose lines follow the configured ones when a message is in this language, in
#: order. The US is listed for Spanish because 988 answers in Spanish (press 2); Canada for
#: French because 9-8-8 answers in French. English adds none: it says nothing about where.
LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "fr": ("FR", "BE", "CH", "CA"),
    "es": ("ES", "MX", "AR", "US"),
    "de": ("DE", "AT", "CH"),
    "pt": ("PT", "BR"),
    "it": ("IT", "CH"),
    "nl": ("NL", "BE"),
}


def regions_for(
    settings: CrisisSettings, *, regions: Sequence[str] = (), language: str = ""
) -> tuple[str, ...]:
    """Whose lines a thread gets, in order (Find A Helpline, always last, aside).

    `regions` are the thread's own (its server's `crisis_regions`); without them the config's,
    then the regions of the configured lines, then the defaults. A known language's regions
    follow. Regions without lines in the table are skipped (the config check reports them).
    """
    table = merged(settings.resources)
    known = {r.region for r in table}
    own = tuple(region_code(r) for r in regions) or tuple(region_code(r) for r in settings.regions)
    if not own:
        own = tuple(dict.fromkeys(r.region for r in settings.resources if r.region != EVERYWHERE))
    if not own:
        own = DEFAULT_REGIONS
    chosen = (*own, *LANGUAGE_REGIONS.get(language, ()))
    return tuple(r for r in dict.fromkeys(chosen) if r in known and r != EVERYWHERE)


def lines_for(
    settings: CrisisSettings, *, regions: Sequence[str] = (), language: str = ""
) -> tuple[CrisisResource, ...]:
    """The lines posted, in order: each region's emergency line, then its helplines; then the
    lines for everywhere."""
    table = merged(settings.resources)
    out: list[CrisisResource] = []
    for region in regions_for(settings, regions=regions, language=language):
        mine = [r for r in table if r.region == region]
        out.extend(r for r in mine if r.emergency)
        out.extend(r for r in mine if not r.emergency)
    out.extend(r for r in table if r.region == EVERYWHERE)
    return tuple(out)


def crisis_text(
    settings: CrisisSettings,
    *,
    regions: Sequence[str] = (),
    language: str = "",
    risk: str = "self",
) -> str:
    """The message posted when someone may be at risk: emergency numbers first, then helplines.

    `regions` are the thread's own regions (empty: the config's); `language` is the message's
    language as an ISO 639-1 code ("" when unknown), which picks the wording and adds the
    regions that speak it. For a risk to someone else (`risk="others"`) the emergency sentence
    leads and the closing line promises nothing about consequences: the moderators have been
    told, and may have to act. Every word comes from this module or the reviewed table.
    """
    wording = TRANSLATIONS.get(language, TRANSLATIONS["en"])
    if risk == "others":
        lines = [wording.emergency, wording.framing_others]
    else:
        lines = [wording.framing, wording.emergency]
    shown = lines_for(settings, regions=regions, language=language)
    headed: set[str] = set()
    for r in shown:
        name = wording.names.get(r.region, r.region)
        if r.region == EVERYWHERE:
            lines.append(f"{wording.anywhere}: {r.service}: {r.how}")
            continue
        if r.region not in headed:
            headed.add(r.region)
            lines.append(
                f"{name}: {wording.emergency_label} {r.how}" if r.emergency else f"{name}:"
            )
            if r.emergency:
                continue
        lines.append(f"- {r.service}: {r.how}")
    lines.append(wording.closing_others if risk == "others" else wording.no_consequences)
    dates = [d for d in (r.verified_on or settings.verified_on for r in shown) if d]
    if dates:
        lines.append(wording.checked.format(date=min(dates)))
    return "\n".join(lines)
