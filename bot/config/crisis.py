"""The built-in crisis table ([crisis]'s defaults) and the checks that keep a table postable.

Every line was read on the page its `source` names, on the day `verified_on` says (the research
notes are ../shared/crisis-resources.md and crisis-resources-more.md); none was dialled. What the
notes mark UNVERIFIED or not live is left out: Ireland's text-line keyword, Austria's chat hours,
Italy's Telefono Amico number (sources disagree), Argentina's Línea 135, New Zealand's Tautoko
number, Sweden's 90 390, the hours of South Africa's 0800 567 567, Germany's planned 113, and
988's discontinued "press 3". Where a region has no 24/7 state line (Italy, Japan's state line),
its lines say what exists and its hours, never more.

Each region has one `emergency` line (posted first) and at least one helpline. The table lives in
the config layer because the config's checks need its regions; `bot/safety/resources.py` turns it
into the posted text. Operators replace a region's lines with `[[crisis.resources]]`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from bot.config.settings import CrisisResource, CrisisSettings

log = logging.getLogger(__name__)

#: When the first five regions and Find A Helpline were checked (crisis-resources.md).
CHECKED_FIRST = "2026-11-01"
#: When the twenty more regions were checked (crisis-resources-more.md).
CHECKED_MORE = "2026-12-03"
#: Regions posted when the config names none and no language says otherwise.
DEFAULT_REGIONS: tuple[str, ...] = ("US", "CA", "UK", "IE", "AU")
#: Codes people also write for a region of the table (ISO 3166 says GB; the table says UK).
ALIASES = {"GB": "UK"}
#: The region of the line that is posted everywhere, last.
EVERYWHERE = "*"
#: A line older than this many days makes `check-config` warn.
STALE_DAYS = 365

_FIRST_NOTES = "threadkeeper crisis-resources.md, emergency numbers (no page named)"


def _e(region: str, how: str, source: str, verified_on: str = CHECKED_MORE) -> CrisisResource:
    """A region's emergency numbers."""
    return CrisisResource(
        region=region,
        service="Emergency",
        how=how,
        source=source,
        verified_on=verified_on,
        emergency=True,
    )


def _h(
    region: str, service: str, how: str, source: str, verified_on: str = CHECKED_MORE
) -> CrisisResource:
    """A region's helpline."""
    return CrisisResource(
        region=region, service=service, how=how, source=source, verified_on=verified_on
    )


DEFAULT_RESOURCES: tuple[CrisisResource, ...] = (
    _e("US", "911", _FIRST_NOTES, CHECKED_FIRST),
    _h(
        "US",
        "988 Suicide & Crisis Lifeline",
        "call or text 988, or chat at 988lifeline.org (free, confidential, 24/7; press 2 for "
        "Spanish)",
        "familyandcaregivertoolkit.org/988-crisis-lifeline; mcphs.edu 988 page",
        CHECKED_FIRST,
    ),
    _h(
        "US",
        "Crisis Text Line",
        "text HOME to 741741 (24/7)",
        "crisistextline.uk/how-it-works; sfisd.net resource page",
        CHECKED_FIRST,
    ),
    _e("CA", "911", _FIRST_NOTES, CHECKED_FIRST),
    _h(
        "CA",
        "9-8-8 Suicide Crisis Helpline",
        "call or text 9-8-8 (24/7, English and French)",
        "newswire.ca, Government of Canada release, 2023-11-30",
        CHECKED_FIRST,
    ),
    _h(
        "CA",
        "Kids Help Phone (young people)",
        "text CONNECT to 686868 or call 1-800-668-6868",
        "kidshelpphone.ca/text-about-it",
        CHECKED_FIRST,
    ),
    _e("UK", "999 or 112", _FIRST_NOTES, CHECKED_FIRST),
    _h(
        "UK",
        "Samaritans",
        "call 116 123 (free, 24/7) or email jo@samaritans.org",
        "samaritans.org contact page",
        CHECKED_FIRST,
    ),
    _h(
        "UK",
        "Shout",
        "text SHOUT to 85258 (free, 24/7)",
        "giveusashout.org/about-us/faq",
        CHECKED_FIRST,
    ),
    _e("IE", "112 or 999", _FIRST_NOTES, CHECKED_FIRST),
    _h(
        "IE",
        "Samaritans",
        "call 116 123 (free, 24/7) or email jo@samaritans.ie",
        "samaritans.org contact page",
        CHECKED_FIRST,
    ),
    _e("AU", "000", _FIRST_NOTES, CHECKED_FIRST),
    _h(
        "AU",
        "Lifeline",
        "call 13 11 14, text 0477 13 11 14, or chat at lifeline.org.au (24/7)",
        "lifeinmind.org.au; thepushupchallenge.com.au",
        CHECKED_FIRST,
    ),
    _e(
        "FR",
        "112, 15 (SAMU, medical), 17 (police), 18 (fire), 114 (SMS or video, for deaf people "
        "or if you cannot speak)",
        "service-public.fr emergency-numbers sheet (22 Jul 2024) as copied on "
        "https://saintviance.fr/numeros-durgences/ and https://www.mamoudzou.yt/service-public/"
        "particuliers/?xml=F33954",
    ),
    _h(
        "FR",
        "3114, Numéro national de prévention du suicide",
        "call 3114 (24/7, free, confidential)",
        "https://www.service-public.fr/particuliers/actualites/A15206 (2021-09-29); "
        "https://3114.fr/que-se-passe-t-il-quand-je-contacte-le-3114/ (undated)",
    ),
    _e(
        "DE",
        "112 (fire brigade, ambulance), 110 (police)",
        "https://www.pharmazeutische-zeitung.de/zentrale-rufnummer-113-geplant-152199 "
        "(2024-12-30); https://fitbook.de/gesundheit/113 (2024-12-16)",
    ),
    _h(
        "DE",
        "TelefonSeelsorge",
        "call 0800 111 0 111 or 0800 111 0 222 (free, anonymous, round the clock); chat and "
        "e-mail at telefonseelsorge.de",
        "https://www.domradio.de/glossar/telefonseelsorge-0 (2016-07-19); "
        "https://www.spektrum.de/news/telefonseelsorge-erste-hilfe-fuer-die-seele/2055834 "
        "(2022-09)",
    ),
    _e(
        "AT",
        "144 (ambulance), 122 (fire brigade), 112",
        "https://burgenland.orf.at/stories/3027145/ (2019-12); "
        "https://mario.li/14-4-nationaler-tag-der-notrufnummer-144/ (undated)",
    ),
    _h(
        "AT",
        "Telefonseelsorge",
        "call 142, no area code (free, 24/7)",
        "https://burgenland.orf.at/stories/3207209/ (2023-05); "
        "https://www.katholisch.at/telefonseelsorge (undated)",
    ),
    _e(
        "CH",
        "144 (medical), 117 (police), 118 (fire), 112",
        "https://www.ksgr.ch/notruf.aspx (undated); SRF 'Kleiner Wegweiser durch den "
        "Notrufnummern-Dschungel' (undated)",
    ),
    _h(
        "CH",
        "Die Dargebotene Hand / La Main Tendue / Telefono Amico",
        "call 143 (round the clock; CHF 0.20 per call), or e-mail and chat online",
        "https://zuerich.143.ch/Service/FAQ (undated); "
        "https://rotary1980.ch/de/content/news/show/22674 (undated, 2022 data)",
    ),
    _e(
        "ES",
        "112",
        "https://que.es/2022/08/10/telefono-atencion-suicidio-024-atendio-mas-34-000-llamadas "
        "(2022-08-10)",
    ),
    _h(
        "ES",
        "024, Línea de atención a la conducta suicida",
        "call 024 (24/7, free, confidential; interpreters for other languages)",
        "https://www.rtve.es/noticias/20220509/sanidad-presenta-telefono-prevencion-suicidio/"
        "2347183.shtml (2022-05-09); https://saposyprincesas.elmundo.es/consejos/actualidad/"
        "linea-024-atencion-conducta-suicida (undated)",
    ),
    _e(
        "IT",
        "112; 118 (health emergency)",
        "https://telefonino.net/notizie/numeri-emergenza-quali-sono-a-cosa-servono (2021); "
        "https://www.politicheeuropee.gov.it/it/comunicazione/notizie/112-giornata-europea-del-"
        "numero-unico-per-le-emergenze/ (2017-02-11)",
    ),
    _h(
        "IT",
        "No 24/7 national crisis line",
        "Telefono Amico Italia, a volunteer listening line, is open daily 10:00-24:00; its "
        "number is not listed here until it is confirmed. Find A Helpline (below) lists "
        "helplines by country",
        "https://www.fanpage.it/attualita/cose-e-come-funziona-telefono-amico-portato-sul-palco-"
        "di-sanremo-da-la-sad/ (2024-02; hours); https://www.tgcom24.mediaset.it/2025/video/"
        "suicidi-i-dati-di-telefono-amico-preoccupa-la-fascia-d-eta-tra-i-26-e-i-35-anni_"
        "103302867-02k.shtml (2025-09-10; no 24/7 national line)",
    ),
    _e(
        "NL",
        "112",
        "https://www.viva.nl/lijf-en-psyche/zelfmoordhulplijn-113-directe-doorschakeling/ "
        "(2019-10)",
    ),
    _h(
        "NL",
        "113 Zelfmoordpreventie",
        "call 113 or 0800-0113 (free, anonymous, 24/7), or chat at 113.nl",
        "https://www.nrc.nl/nieuws/2020/07/07/zelfmoordpreventie-voortaan-bereikbaar-op-113-"
        "a4005179 (2020-07-07); https://www.upday.com/nl/binnenland/nummer-113-nu-gratis-"
        "betere-hulp-bij-zelfdodingsgedachten/pj8neqt (2025-10-03); "
        "https://www.113.nl/schoolopdracht (undated)",
    ),
    _e(
        "BE",
        "112",
        "https://www.rtbf.be/article/explosion-du-nombre-d-appels-au-centre-de-prevention-du-"
        "suicide-de-plus-en-plus-de-jeunes-nous-contactent-parfois-des-enfants-11252632 (2023-09)",
    ),
    _h(
        "BE",
        "Centre de Prévention du Suicide (French)",
        "call 0800 32 123 (free, anonymous, 24/7)",
        "https://www.lalibre.be/belgique/societe/2023/02/21/le-centre-de-prevention-du-suicide-"
        "est-confronte-a-une-hausse-du-nombre-dappels-A54EZGXFSJB3HNFT4ZSPCEPJ5I/ (2023-02-21)",
    ),
    _h(
        "BE",
        "Zelfmoordlijn 1813 (Dutch)",
        "call 1813 (free, anonymous, 24/7); chat at zelfmoord1813.be daily 17:00-24:00",
        "https://www.hbvl.be/cnt/dmf20211130_93272468 (2021-11-30); "
        "https://www.online-hulpverlening.be/blog/tag/tele-onthaal/ (undated)",
    ),
    _e(
        "PT",
        "112",
        "https://24noticias.sapo.pt/atualidade/artigos/nova-linha-nacional-para-prevencao-do-"
        "suicidio-entra-em-funcionamento-como-funciona (2025-09-10)",
    ),
    _h(
        "PT",
        "Linha Nacional de Prevenção do Suicídio",
        "call 1411 (free, 24/7)",
        "https://24noticias.sapo.pt/atualidade/artigos/1411-linha-nacional-de-prevencao-do-"
        "suicidio-arranca-com-atendimento-24-horas (2025-09-05); https://www.dn.pt/sociedade/"
        "linha-de-apoio-%C3%A0-preven%C3%A7%C3%A3o-do-suic%C3%ADdio-entrou-em-funcionamento-e-"
        "tem-o-n%C3%BAmero-1411 (2025-09-10)",
    ),
    _h(
        "PT",
        "SOS Voz Amiga (volunteers)",
        "call 213 544 545, 912 802 669 or 963 524 660 (daily 15:30-00:30)",
        "24noticias (SAPO) and DN, 2025-09-05 and 2025-09-10 (URLs above)",
    ),
    _e(
        "BR",
        "192 (SAMU, medical), 193 (fire brigade), 190 (police)",
        "https://hospitalinfantil.saude.pr.gov.br/Noticia/Em-caso-de-emergencia-saiba-para-onde-"
        "ligar-para-pedir-ajuda (2016-03-14); https://www.opantaneiro.com.br/aquidauana/a-"
        "importancia-de-ligar-190-em-situacoes-de-emergencia/231689/ (2025-12-05)",
    ),
    _h(
        "BR",
        "CVV, Centro de Valorização da Vida",
        "call 188 (free, 24/7), or chat and e-mail at cvv.org.br",
        "https://www.folhadoestado.com.br/numero-188-torna-se-gratuito-no-pais-todo-telefone-de-"
        "ajuda-a-prevencao-do-suicidio/ (2018-07); https://www.hercampus.com/school/casper-"
        "libero/escuta-que-transforma-como-o-cvv-salva-vidas/ (undated)",
    ),
    _e(
        "MX",
        "911",
        "https://www.capitalmexico.com.mx/nacional/facil-de-recordar-arranca-el-numero-911-para-"
        "atender-emergencias-en-16-estados (2016-10); https://www.noventagrados.com.mx/politica/"
        "sistema-de-emergencias-911-aliado-de-las-y-los-michoacanos-ante-cualquier-eventualidad-"
        "ssp.htm (2026-01-13)",
    ),
    _h(
        "MX",
        "Línea de la Vida",
        "call 800 911 2000 (free, confidential, 24/7)",
        "https://www.eluniversal.com.mx/nacion/promueven-la-linea-de-la-vida-tras-presentar-"
        "encuesta-sobre-consumo-de-drogas-asi-puedes-pedir-ayuda/ (2025-12-24); "
        "https://almomento.mx/?p=1169021 (2025-09)",
    ),
    # Provincial and city sources only: the numbers are given with the place they serve.
    _e(
        "AR",
        "911 in Buenos Aires Province; 107 (SAME ambulance) in the City of Buenos Aires",
        "http://emergencias911.mseg.gba.gov.ar/preguntas (undated); "
        "https://ladefensadigital.com/2018/10/oficial-el-same-acude-en-menos-de-9.html (2018-10)",
    ),
    _h(
        "AR",
        "Línea nacional de Salud Mental",
        "call 0800-999-0091 (free, anonymous, 24/7)",
        "https://lapostacomodorense.com.ar/2025/09/03/septiembre-mes-de-la-prevencion-del-"
        "suicidio-la-importancia-de-escuchar-acompanar-y-abrazar/ (2025-09-03); "
        "https://www.ospia.org.ar/?p=1635 (undated)",
    ),
    _e(
        "IN",
        "112",
        "https://www.businesstoday.in/current/economy-politics/20-states-join-pan-india-single-"
        "emergency-helpline-number-112/story/338636.html (2019-04-19)",
    ),
    _h(
        "IN",
        "Tele MANAS",
        "call 14416 or 1-800-891-4416 (toll-free, 24/7, 20 Indian languages)",
        "https://www.livemint.com/news/india/govts-mental-health-helpline-tele-manas-receives-"
        "over-2-lakh-calls-since-launch-11690014660473.html (2023-07-22); "
        "https://www.sakshipost.com/news/tele-manas-mental-health-helpline-gets-3500-calls-day-"
        "centre-302441 (2024-05-29)",
    ),
    _e(
        "JP",
        "119 (ambulance, fire), 110 (police)",
        "https://global.ia-ibaraki.or.jp/living-guide/emergencies/accident (undated)",
    ),
    _h(
        "JP",
        "Yorisoi Hotline (よりそいホットライン)",
        "call 0120-279-338, from Iwate, Miyagi and Fukushima 0120-279-226 (free, 24 hours; "
        "other languages through the menu)",
        "https://meikikai-home.com/%e3%80%90%ef%bc%93%e6%9c%88%e3%81%af%e8%87%aa%e6%ae%ba%e5%af%be"
        "%e7%ad%96%e5%bc%b7%e5%8c%96%e6%9c%88%e9%96%93%e3%81%a7%e3%81%99%e3%80%91/ (2021-03-01); "
        "http://kamata-minoru.cocolog-nifty.com/blog/2018/04/post-a06c.html (2018-04)",
    ),
    _h(
        "JP",
        "Inochi no Denwa (自殺予防いのちの電話)",
        "call 0120-783-556 (free; daily 16:00-21:00, and for 24 hours from 08:00 on the 10th of "
        "each month)",
        "https://www.city.akiruno.tokyo.jp/0000015267.html (2023-03-24); "
        "http://www.tamainochi.com/index.asp?patten_cd=12&page_no=9 (undated)",
    ),
    _e(
        "KR",
        "119 (rescue, ambulance), 112 (police)",
        "https://m.hankookilbo.com/News/Read/Amp/A2024010316570003218 (2024-01-03)",
    ),
    _h(
        "KR",
        "Suicide prevention line (자살예방상담전화)",
        "call 109 (24 hours)",
        "https://eiec.kdi.re.kr/policy/materialView.do?num=246730 (2024-01-02); "
        "https://newspim.com/news/view/20240102000281 (2024-01-02)",
    ),
    _e(
        "NZ",
        "111",
        "https://www.nzherald.co.nz/nz/news/article.cfm?c_id=1&objectid=11898163 (2017)",
    ),
    _h(
        "NZ",
        "1737 Need to Talk?",
        "call or text 1737 (free, 24/7; interpreters available)",
        "http://www.scoop.co.nz/stories/PA1706/S00527/single-phone-number-to-access-support-"
        "services.htm (2017-06); https://www.pegasus.health.nz/?p=6300 (undated)",
    ),
    _h(
        "NZ",
        "Lifeline Aotearoa",
        "call 0800 543 354 or text HELP to 4357 (free, 24/7)",
        "https://www.scoop.co.nz/stories/GE1803/S00053/lifeline-expands-to-offer-text-support-"
        "for-those-in-distress.htm (2018-03); https://m.scoop.co.nz/stories/GE2409/S00100/"
        "lifeline-needs-a-lifeline-to-support-new-zealanders-through-crisis.htm (2024-09)",
    ),
    _e(
        "ZA",
        "112 from any mobile, 10111 (police), 10177 (ambulance, fire)",
        "https://gauteng.news/2024/10/16/sa-emergency-numbers-kids-should-know/ (2024-10-16)",
    ),
    _h(
        "ZA",
        "SADAG",
        "suicide crisis line 0800 567 567; 24-hour Cipla Mental Health Helpline 0800 456 789; "
        "SMS 31393 and a counsellor calls back (0800 numbers free)",
        "https://www.sabcnews.com/sabcnews/sadag-encourages-the-mentally-fatigued-to-reach-out-"
        "amid-world-suicide-prevention-day/ (2022-09); https://thesouthafrican.com/news/world-"
        "suicide-prevention-day-important-numbers-those-need-10-september-2022 (2022-09-10)",
    ),
    _e(
        "PH",
        "911",
        "https://pageone.ph/?p=295372 (2025); https://cebudailynews.inquirer.net/643471/unified-"
        "911-to-also-respond-to-mental-health-concerns-dilg (2025-06-24)",
    ),
    _h(
        "PH",
        "NCMH Crisis Hotline",
        "call 1553, 0919-057-1553 or 0917-899-8727 (free, 24/7)",
        "https://www.sunstar.com.ph/cebu/nearly-700-call-ncmh-during-the-holidays "
        "(2025-12/2026-01); https://doh.gov.ph/press-release/launch-of-the-ncmh-crisis-hotline/ "
        "(2019-05)",
    ),
    _e(
        "PL",
        "112; 999 (ambulance)",
        "https://gov.pl/web/psse-pyrzyce/numer-alarmowy-112-ratuje-zycie (2024-06-26); "
        "https://www.centrumratownictwa.com/blog/na-jaki-numer-alarmowy-dzwonic-999-czy-112 "
        "(undated)",
    ),
    _h(
        "PL",
        "116 123, Kryzysowy telefon zaufania",
        "call 116 123 (free, anonymous, 24/7), or chat at 116sos.pl",
        "https://banai.pl/ponad-110-tys-polaczen-z-numerem-116-123-ministerstwo-cyfryzacji-o-"
        "pomocy-dla-osob-w-kryzysie-emocjonalnym/ (2024-01-19)",
    ),
    _h(
        "PL",
        "Centrum Wsparcia (Fundacja ITAKA)",
        "call 800 70 2222 (free, 24/7), or chat and e-mail",
        "https://zdrowie.pap.pl/psyche/na-kryzys-telefon-800-70-2222 (undated, ~2019)",
    ),
    _e(
        "SE",
        "112",
        "https://www.sosalarm.se/sprak/polski/ (undated); https://www.corren.se/nyheter/"
        "sjalvmord-ar-vanligast-bland-aldre-man-om5530243.aspx (2018-10)",
    ),
    _h(
        "SE",
        "Mind Självmordslinjen",
        "call 90101 (24/7), or chat at mind.se",
        "https://vimmerbytidning.se/nyheter/inrikes/halsa-och-sjukvard/artikel/"
        "sjalvmordslinjen-oppnar-dygnet-runt/4r1vpvxr (2020-05-28)",
    ),
    _h(
        EVERYWHERE,
        "Find A Helpline",
        "findahelpline.com lists free, verified helplines by country",
        "lifeline-international.com; developer.throughlinecare.com",
        CHECKED_FIRST,
    ),
)


def region_code(code: str) -> str:
    """A region code as the table spells it: upper case, with ISO's GB read as UK."""
    upper = code.strip().upper()
    return ALIASES.get(upper, upper)


def merged(configured: Sequence[CrisisResource]) -> tuple[CrisisResource, ...]:
    """The table in use: the built-in lines, with each configured region's lines put in place.

    A configured region's helplines replace the built-in helplines of that region; its
    `emergency` line (if it gives one) replaces the built-in emergency numbers. Regions the
    built-in table lacks follow it, in the order of the config.
    """
    if not configured:
        return DEFAULT_RESOURCES
    mine = [replace(r, region=region_code(r.region)) for r in configured]
    replaced = {(r.region, r.emergency) for r in mine}
    kept = [r for r in DEFAULT_RESOURCES if (r.region, r.emergency) not in replaced]
    return _ordered([*kept, *mine])


def _ordered(lines: Iterable[CrisisResource]) -> tuple[CrisisResource, ...]:
    """Each region's lines together, emergency line first, in the order regions first appear;
    the line posted everywhere last."""
    regions: dict[str, list[CrisisResource]] = {}
    for line in lines:
        regions.setdefault(line.region, []).append(line)
    everywhere = regions.pop(EVERYWHERE, [])
    out: list[CrisisResource] = []
    for group in regions.values():
        out.extend(sorted(group, key=lambda r: not r.emergency))
    return (*out, *everywhere)


def known_regions(table: Sequence[CrisisResource]) -> tuple[str, ...]:
    """The regions a config may name: every region of the table but the line for everywhere."""
    return tuple(sorted({r.region for r in table if r.region != EVERYWHERE}))


def check_regions(key: str, regions: Sequence[str], table: Sequence[CrisisResource]) -> list[str]:
    """One problem per region code that names no region of the table (the known ones listed)."""
    known = known_regions(table)
    problems = []
    for code in regions:
        if region_code(code) not in known:
            problems.append(
                f"{key}: unknown region {code!r}; the crisis table has lines for "
                f"{', '.join(known)} (add [[crisis.resources]] lines to post another)"
            )
    return problems


def check_table(table: Sequence[CrisisResource]) -> list[str]:
    """Problems that would make a region unpostable: no emergency line, or no helpline."""
    problems = []
    for region in known_regions(table):
        lines = [r for r in table if r.region == region]
        if not any(r.emergency for r in lines):
            problems.append(
                f"crisis.resources: region {region} has no emergency line; add one with "
                "emergency = true (its emergency numbers are posted first)"
            )
        if all(r.emergency for r in lines):
            problems.append(
                f"crisis.resources: region {region} has no lines but its emergency numbers; add "
                "at least one helpline for it (or say what exists and its hours)"
            )
    return problems


def oldest(table: Sequence[CrisisResource]) -> CrisisResource | None:
    """The line checked longest ago (lines without a date aside)."""
    dated = [r for r in table if r.verified_on]
    return min(dated, key=lambda r: r.verified_on) if dated else None


def age_report(table: Sequence[CrisisResource], today: date) -> tuple[str, bool]:
    """A sentence on how old the oldest check is, and whether that is past STALE_DAYS."""
    line = oldest(table)
    regions = known_regions(table)
    counted = f"{len(table)} lines for {len(regions)} regions and Find A Helpline"
    if line is None:
        return f"crisis lines: {counted}; none has a 'verified on' date", True
    days = (today - date.fromisoformat(line.verified_on)).days
    where = "Find A Helpline" if line.region == EVERYWHERE else line.region
    sentence = (
        f"crisis lines: {counted}; the oldest was verified on {line.verified_on} "
        f"({where}, {line.service}), {days} days ago"
    )
    return sentence, days > STALE_DAYS


#: The keys of one [[crisis.resources]] table: required, then optional.
LINE_KEYS = ("region", "service", "how", "verified_on", "source", "emergency")
_REQUIRED = ("region", "service", "how")


def _checked_date(value: Any) -> str:
    """A YYYY-MM-DD date, as the table keeps it."""
    if isinstance(value, date):  # TOML's own date type: verified_on = 2026-12-03
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"expected a date like 2026-12-03, got {value!r}")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValueError(f"expected a date like 2026-12-03, got {value!r}") from None


def lines_from_tables(
    tables: Sequence[Any], *, table_date: str, problems: list[str]
) -> tuple[CrisisResource, ...]:
    """[[crisis.resources]] tables as lines, one problem per bad key (`crisis.resources[2].how`).

    A line without its own `verified_on` takes `crisis.verified_on`; a line with neither is an
    error, since an undated number cannot be re-checked.
    """
    out: list[CrisisResource] = []
    for n, table in enumerate(tables, start=1):
        where = f"crisis.resources[{n}]"
        if not isinstance(table, dict):
            problems.append(f"{where}: expected a table ([[crisis.resources]])")
            continue
        bad = False
        for key in table:
            if key not in LINE_KEYS:
                problems.append(
                    f"{where}.{key}: unknown key; [[crisis.resources]] takes {', '.join(LINE_KEYS)}"
                )
                bad = True
        values: dict[str, Any] = {}
        for key in (*_REQUIRED, "source"):
            value = table.get(key)
            if value is None:
                if key != "source":
                    problems.append(f"{where}.{key}: required ({_HELP[key]})")
                    bad = True
            elif not isinstance(value, str) or not value.strip():
                problems.append(f"{where}.{key}: expected a non-empty string, got {value!r}")
                bad = True
            else:
                values[key] = value.strip()
        region = values.get("region", "")
        if region and region != EVERYWHERE and not (len(region) == 2 and region.isalpha()):
            problems.append(
                f"{where}.region: expected a two-letter country code like FR (or '*' for the "
                f"line posted everywhere), got {region!r}"
            )
            bad = True
        emergency = table.get("emergency", False)
        if not isinstance(emergency, bool):
            problems.append(f"{where}.emergency: expected true or false, got {emergency!r}")
            bad = True
        elif emergency and region == EVERYWHERE:
            problems.append(
                f"{where}.emergency: the line posted everywhere cannot be an emergency number; "
                "emergency numbers belong to a region"
            )
            bad = True
        checked = table.get("verified_on")
        if checked is None:
            if not table_date:
                problems.append(
                    f"{where}.verified_on: required: the date you checked this line "
                    "(YYYY-MM-DD), or crisis.verified_on for every line without one"
                )
                bad = True
            checked = table_date
        else:
            try:
                checked = _checked_date(checked)
            except ValueError as exc:
                problems.append(f"{where}.verified_on: {exc}")
                bad = True
        if not bad:
            out.append(
                CrisisResource(
                    region=region_code(region),
                    service=values["service"],
                    how=values["how"],
                    source=values.get("source", ""),
                    verified_on=checked,
                    emergency=bool(emergency),
                )
            )
    return tuple(out)


_HELP = {
    "region": "a two-letter country code like FR, or '*' for the line posted everywhere",
    "service": "the service's name, as people would look for it",
    "how": "how to reach it: numbers, hours, cost",
}


def check_settings(
    crisis: CrisisSettings, others: Sequence[tuple[str, Sequence[str]]]
) -> list[str]:
    """Every problem of the crisis table in use and of each region list naming it.

    `others` are the per-server lists: (key, regions), like ("discord.servers[2].crisis_regions",
    ("FR",)).
    """
    table = merged(crisis.resources)
    problems = check_table(table)
    problems += check_regions("crisis.regions", crisis.regions, table)
    for key, regions in others:
        problems += check_regions(key, regions, table)
    return problems
