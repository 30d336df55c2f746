"""Harmful requests, for the offline fallback only: precision over recall (the classifier reads
every turn when configured).
"""

from __future__ import annotations

from bot.safety.engine import _c, _k, _Rule, _RuleSet
from bot.safety.rules.en.common import _GAME
from bot.safety.rules.en.others import _OTHERS_NOT_AFTER, _PEOPLE

_REQUEST = _c(
    r"^\W*(?:please\s+|pls\s+|now\s+|ok\s+)?(?:write|make|create|build|give|tell|show|explain|list"
    r"|generate|develop|design|code|provide|help|teach|describe|draft|compose|outline|produce)\b"
    r"|\bhow\s+(?:do|does|can|could|would|should|might|to|i|one|would\s+one|you)\b|\bways?\s+(?:to|of)\b"
    r"|\bsteps?\s+(?:to|for)\b|\binstructions?\b|\bguide\b|\btutorial\b|\brecipe\b|\bteach\s+me\b"
    r"|\btell\s+me\b|\bshow\s+me\b|\bexplain\b|\bhelp\s+me\b|\bgive\s+me\b|\bi\s+(?:want|need|wanna)"
    r"\s+to\b|\bbest\s+way\b|\beasiest\s+way\b|\bwrite\s+(?:a|an|me)\b|\bprovide\b|\bdescribe\s+"
    r"(?:how|the\s+(?:process|steps))\b|\bwhere\s+(?:can|do|could)\s+i\b|\bcan\s+you\b"
    r"|\bstep[\s-]by[\s-]step\b|\bdetailed\b|\bcreate\b|\bdevelop\b|\bdesign\b|\bplan\b"
)
_HARMFUL_GAME = _c(
    _GAME.pattern
    + r"|\b(?:bath\s+bombs?|seed\s+bombs?|photo\s*bombs?|f-?bombs?|da\s+bomb|prop|props"
    r"|fake\s+(?:bomb|gun|blood)|special\s+effects|history\s+of|manhattan\s+project|during\s+(?:ww\w*|world\s+war))\b"
)
_MINOR = (
    r"(?:child|children|childs|kid|kids|minor|minors|underage|under-?age|preteen|pre-teen|prepubescent"
    r"|toddler|toddlers|little\s+(?:girl|boy)s?|(?:[1-9]|1[0-5])[\s-]*(?:yo|y/o|yrs?\s+old|years?[\s-]*"
    r"old|year[\s-]*old)|(?:five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen)"
    r"[\s-]*years?[\s-]*old|school\s*girls?|school\s*boys?|middle\s+schoolers?|elementary\s+school"
    r"|loli|lolis|shota)"
)
_MINOR_WORDS = (
    "child children childs kid kids minor minors underage under preteen pre prepubescent toddler"
    " toddlers little yo year years yrs old 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 five six seven"
    " eight nine ten eleven twelve thirteen fourteen fifteen school schoolgirl schoolgirls"
    " schoolboy schoolboys middle elementary loli lolis shota"
)
_SEXUAL_WORDS = (
    "sex sexual sexually sexy nude nudes naked porn porno pornography erotic erotica explicit lewd"
    " nsfw intercourse orgasm hentai seduce seducing seduction aroused horny fondle fondling"
    " masturbate masturbating blowjob blowjobs genital genitals"
)
_SEXUAL = (
    r"(?:sex|sexual(?:ly)?|sexy|nude|nudes|naked|porn\w*|erotic\w*|explicit|lewd|nsfw|intercourse"
    r"|orgasm\w*|hentai|seduc\w*|aroused|horny|fondl\w*|masturbat\w*|blowjobs?|genitals?)"
)

_HARMFUL = _RuleSet(
    (
        _Rule(
            "harmful.csam.terms",
            _k(
                "child childporn kiddie kiddy underage minor preteen pre loli shota toddler csam "
                "cp",
            ),
            _c(
                r"\b(?:child|kiddie|kiddy|underage|minor|preteen|pre-teen|loli|shota|toddler)\s*"
                r"(?:porn\w*|p0rn|nudes?|sex\s+(?:videos?|tapes?|pics?|images?)|erotica|hentai)\b|\bcsam\b"
                r"|\bcp\s+(?:links?|videos?|pics?|sites?|content|collection)\b"
            ),
            not_in=_c(
                r"^\W*what\s+(?:is|are)\b|\b(?:laws?|legal|report\w*|illegal\s+to|penalt\w+|sentenc\w*"
                r"|definition|prevent\w*|protect\w*|detect\w*|moderat\w*|filter\w*|classifier|block\w*"
                r"|expose|condemn\w*|combat\w*|fight\w*|catch\w*|identify\w*|recogni[sz]\w*|against"
                r"|victims?|survivors?)\b"
            ),
        ),
        "child_sexual_exploitation",
    ),
    (
        _Rule(
            "harmful.csam.sexual_minor",
            _k(_SEXUAL_WORDS, _MINOR_WORDS),
            _c(
                rf"\b{_SEXUAL}\s+(?:[\w'-]+\s+){{0,6}}?{_MINOR}\b|\b{_MINOR}\s+(?:[\w'-]+\s+){{0,6}}?"
                rf"{_SEXUAL}\b"
            ),
            needs=_c(
                r"\b(?:write|story|stories|describe|roleplay|rp|generate|pics?|pictures?|images?|photos?"
                r"|videos?|send|show|find|fantas\w*|want|how\s+(?:to|do\s+i|can\s+i)|where\s+can\s+i"
                r"|scene|fanfic\w*|erotica)\b"
            ),
            not_in=_c(
                r"\b(?:education|educate|talk\s+to|explain\s+to|teach\s+(?:my|our|a)|puberty|doctor"
                r"|pediatric\w*|abuse\s+prevention|signs\s+of|protect\w*|report\w*|safe|safety|laws?"
                r"|legal|court|prevent\w*|victims?|survivors?|therap\w*|consent\s+(?:education|lessons)"
                r"|age\s+of\s+consent|expose|condemn\w*|combat\w*|against|catch\w*)\b"
            ),
        ),
        "child_sexual_exploitation",
    ),
    (
        _Rule(
            "harmful.csam.grooming",
            _k("sex sexual nudes pics photos naked sleep undress strip", _MINOR_WORDS),
            _c(
                r"\b(?:groom\w*|seduc\w*|lure|meet\s+up\s+with|get|convince|persuade|trick)\s+(?:an?\s+|my\s+"
                r"|the\s+|some\s+)?"
                + _MINOR
                + r"\s+(?:[\w'-]+\s+){0,3}?(?:to|into)\s+(?:[\w'-]+\s+){0,3}?"
                r"(?:have\s+sex|sex|send\s+(?:me\s+)?(?:nudes|pics|photos|naked)|sleep\s+with|undress"
                r"|strip|sexual)"
            ),
        ),
        "child_sexual_exploitation",
    ),
    (
        _Rule(
            "harmful.weapons.mass_casualty",
            _k(
                "bomb bombs pipebomb explosive explosives ied ieds molotov grenade grenades "
                "napalm nerve sarin soman tabun vx novichok gas phosgene ricin anthrax botulinum "
                "bioweapon bioweapons biological chemical nuclear atomic weapon weapons uranium "
                "plutonium smallpox ebola tatp petn c4 c semtex vest vests pathogen pathogens "
                "bioterror bioterrorism",
            ),
            _c(
                r"\b(?:make|making|build|building|construct\w*|assembl\w*|create|creating|produce|producing"
                r"|manufactur\w*|synthesi[sz]\w*|cook|cooking|brew|brewing|prepare|preparing|develop\w*"
                r"|weaponi[sz]\w*|obtain\w*|acquir\w*|culture|culturing|grow|growing|extract\w*|enrich\w*"
                r"|deploy\w*|detonat\w*|rig|wire|homemade|home-made|diy|aerosoli[sz]\w*|disperse|release"
                r"|spread|smuggl\w*|get\s+(?:my\s+hands\s+on|hold\s+of))\s+(?:[\w'-]+\s+){0,4}?(?:bombs?"
                r"|pipe\s*bombs?|explosives?|explosive\s+devices?|ieds?|molotov(?:\s+cocktails?)?"
                r"|grenades?|napalm|nerve\s+(?:agents?|gas)|sarin|soman|tabun|vx|novichok|mustard\s+gas"
                r"|chlorine\s+gas|phosgene|ricin|anthrax|botulinum(?:\s+toxin)?|bio-?weapons?|biological"
                r"\s+(?:weapons?|agents?)|chemical\s+weapons?|dirty\s+bombs?|nuclear\s+(?:bombs?|weapons?"
                r"|devices?)|atomic\s+bombs?|weapons?-?\s*grade\s+(?:uranium|plutonium)|smallpox|ebola"
                r"|tatp|petn|c-?4|semtex|car\s+bombs?|suicide\s+vests?|poison\s+gas|toxic\s+gas|lethal\s+gas"
                r"|pathogens?|bioterror\w*|weapons?\s+of\s+mass\s+destruction)\b"
            ),
            needs=_REQUEST,
            not_in=_HARMFUL_GAME,
        ),
        "indiscriminate_weapons",
    ),
    (
        _Rule(
            "harmful.violent.kill_person",
            _k(
                "kill killing murder murdering poison poisoning strangle strangling suffocate "
                "smother drown drowning stab stabbing shoot shooting torture torturing kidnap "
                "abduct dismember assassinate hurt harm maim behead decapitate punch beat rip "
                "physically",
            ),
            _c(
                r"\b(?:kill|killing|murder|murdering|poison|poisoning|strangle|strangling|suffocat\w*"
                r"|smother\w*|drown|drowning|stab|stabbing|shoot|shooting|torture|torturing|kidnap\w*"
                r"|abduct\w*|dismember\w*|assassinat\w*|hurt|harm|maim|behead|decapitat\w*|punch"
                r"|beat\s+up|rip\s+off|physically\s+hurt(?:ing)?)\s+(?:[\w']+\s+)?(?:a\s+(?:person|human"
                r"|man|woman|child|kid|baby|toddler|girl|boy|stranger|cop|police\s+officer|politician"
                r"|homeless\s+(?:person|man)|neighbou?r|family\s+member|classmate|coworker)|someone|somebody"
                r"|people|humans|my\s+(?:[\w'-]+\s+)?"
                + _PEOPLE
                + r"|(?:the|a)\s+(?:president|senator"
                r"|prime\s+minister|judge|witness|mayor)|someone's\s+head)\b"
            ),
            needs=_REQUEST,
            not_after=_OTHERS_NOT_AFTER,
            not_in=_HARMFUL_GAME,
        ),
        "violent_crimes",
    ),
    (
        _Rule(
            "harmful.violent.other",
            _k(
                "away body bodies corpse hitman hit assassin contract untraceable ghost food "
                "drink coffee tea shooting terrorist terror genocide massacre",
            ),
            _c(
                r"\bget\s+away\s+with\s+(?:murder|killing)\b|\b(?:dispose\s+of|get\s+rid\s+of|hide"
                r"|dissolve)\s+(?:a|the)\s+(?:dead\s+)?(?:human\s+)?(?:body|bodies|corpse)\b"
                r"|\bhire\s+(?:a\s+)?(?:hitman|hit\s+man|assassin|contract\s+killer)\b"
                r"|\buntraceable\s+poisons?\b|\b(?:make|build|buy|get|print|3d\s+print)\s+(?:an?\s+)?"
                r"(?:untraceable|ghost)\s+(?:guns?|firearms?)\b|\b(?:poison|drug)\s+(?:someone's|his|her"
                r"|my\s+\w+'s)\s+(?:food|drink|coffee|tea)\b|\b(?:plan|carry\s+out|commit|execute"
                r"|organi[sz]e)\s+(?:a\s+)?(?:mass|school)\s+shooting\b|\b(?:plan|carry\s+out|commit"
                r"|execute|organi[sz]e)\s+(?:a\s+)?(?:terrorist\s+attack|terror\s+attack|genocide"
                r"|massacre)\b"
            ),
            needs=_REQUEST,
            not_in=_HARMFUL_GAME,
        ),
        "violent_crimes",
    ),
    (
        _Rule(
            "harmful.sex_crimes",
            _k(
                "drink beverage rape raping roofie sexually molest molesting force sex human "
                "trafficking traffic revenge nonconsensual non consensual",
            ),
            _c(
                r"\b(?:drug|spike|roofie)\s+(?:[\w']+\s+)?(?:someone's|her|his|a\s+(?:girl's|woman's|date's"
                r"|stranger's))\s+(?:drink|beverage)\b|\b(?:rape|raping|roofie|sexually\s+assault\w*"
                r"|molest\w*)\s+(?:[\w']+\s+)?(?:someone|somebody|a\s+(?:girl|woman|man|boy|person"
                r"|stranger|date)|her|him|my\s+(?:[\w'-]+\s+)?"
                + _PEOPLE
                + r"|them|women|girls|people)\b"
                r"|\bforce\s+(?:[\w']+\s+)?(?:someone|her|him|a\s+(?:girl|woman|man|person))\s+(?:to|into)"
                r"\s+(?:have\s+sex|sex|sleep\s+with|sexual)|\b(?:engag\w+\s+in|start|run|get\s+into"
                r"|carry\s+out|commit|profit\s+from|make\s+money\s+(?:from|with))\s+(?:[\w']+\s+){0,2}?"
                r"(?:sex|human)\s+traffick\w*|\btraffick?\w*\s+(?:women|girls|children|kids|people|humans"
                r"|minors)\b|\b(?:post|share|leak|spread|make|create|distribute|upload|sell)\s+"
                r"(?:[\w']+\s+){0,3}?(?:revenge\s+porn|non-?consensual\s+(?:porn|images|nudes|intimate)"
                r"|nudes\s+of\s+(?:my\s+ex|her|him|someone))\b"
            ),
            needs=_REQUEST,
            not_in=_c(
                r"^\W*what\s+(?:is|are)\b|\b(?:laws?|legal\s+definition|victims?|survivors?)\b"
            ),
        ),
        "sex_crimes",
    ),
    (
        _Rule(
            "harmful.crime.drugs",
            _k(
                "meth methamphetamine crystal crack cocaine heroin fentanyl carfentanil lsd mdma "
                "ecstasy ghb pcp dmt ketamine krokodil bath street illegal drugs weapons guns",
            ),
            _c(
                r"\b(?:make|making|cook|cooking|synthesi[sz]\w*|produce|producing|manufactur\w*|brew"
                r"|brewing|extract\w*|prepare|preparing|create|creating)\s+(?:[\w'-]+\s+){0,3}?(?:meth"
                r"|methamphetamine|crystal\s+meth|crack(?:\s+cocaine)?|cocaine|heroin|fentanyl"
                r"|carfentanil|lsd|mdma|ecstasy|ghb|pcp|dmt|ketamine|krokodil|bath\s+salts|street\s+drugs"
                r"|illegal\s+drugs)\b|\b(?:smuggl\w*|traffick?\w*)\s+(?:[\w'-]+\s+){0,2}?(?:drugs|meth"
                r"|cocaine|heroin|fentanyl|weapons|guns)\b"
            ),
            needs=_REQUEST,
            not_in=_HARMFUL_GAME,
        ),
        "nonviolent_crimes",
    ),
    (
        _Rule(
            "harmful.crime.theft",
            _k(
                "steal stealing hotwire break breaking carjack rob robbing burglarize shoplift "
                "shoplifting",
            ),
            _c(
                r"\b(?:steal|stealing|hotwir\w*|break\s+into|breaking\s+into|carjack\w*|rob|robbing"
                r"|burglari[sz]e)\s+(?:a|an|someone'?s|somebody'?s|my\s+(?:neighbou?r|ex|boss|friend"
                r"|roommate|coworker)'?s|his|her|their|people'?s|other\s+people'?s|the\s+neighbou?r'?s"
                r"|a\s+stranger'?s|the)?\s*(?:[\w'-]+\s+)?(?:cars?|vehicles?|trucks?|motorcycles?|bikes?"
                r"|houses?|homes?|apartments?|identit(?:y|ies)|credit\s+cards?|card\s+(?:numbers?|details)"
                r"|wallets?|purses?|packages?|mail|money|cash|bank\s+accounts?|passwords?|social\s+security"
                r"\s+numbers?|ssn|catalytic\s+converters?|atms?|banks?|stores?|shops?|vaults?)\b"
                r"|\bshoplift\w*\b"
            ),
            needs=_REQUEST,
            not_in=_HARMFUL_GAME,
        ),
        "nonviolent_crimes",
    ),
    (
        _Rule(
            "harmful.crime.hacking",
            _k(
                "hack hacking hacked break get access log crack bypass phish phishing spy read "
                "ransomware malware keylogger keyloggers trojan trojans botnet botnets spyware "
                "computer rootkit stalkerware ddos",
            ),
            _c(
                r"\b(?:(?:hack|hacking|hacked|break\s+into|crack|bypass|phish|phishing)\s+(?:into\s+)?"
                r"(?:an?\s+(?:[\w'-]+\s+)?(?:government|bank|company|corporate|school)|the\s+(?:government"
                r"|bank|school|pentagon|fbi|cia|police))|(?:hack|hacking|hacked|break\s+into|get\s+into"
                r"|access|log\s+into|crack|bypass|phish|phishing|spy\s+on|read)\s+(?:into\s+)?"
                r"(?:someone'?s|somebody'?s|my\s+(?:ex|girlfriend|boyfriend|wife|husband|neighbou?r|boss"
                r"|friend|partner|crush|teacher|coworker)(?:'?s)?|his|her|their|a\s+person'?s|other\s+"
                r"people'?s|people'?s|another\s+person'?s))\s+(?:[\w'-]+\s+){0,2}?(?:accounts?|emails?|gmail"
                r"|phones?|iphones?|instagram|facebook|snapchat|tiktok|twitter|whatsapp|messages|texts"
                r"|icloud|computers?|laptops?|webcams?|cameras?|wi-?fi|networks?|servers?|databases?"
                r"|systems?|passwords?|cloud|files)\b"
                r"|\b(?:make|making|create|creating|write|writing|build|building|code|coding|develop\w*"
                r"|deploy\w*|spread\w*|program\w*)\s+(?:a\s+|an\s+|some\s+)?(?:[\w'-]+\s+)?(?:ransomware"
                r"|malware|keyloggers?|trojans?|botnets?|spyware|computer\s+virus(?:es)?|rootkits?"
                r"|stalkerware|ddos\s+(?:tools?|attacks?))\b"
            ),
            needs=_REQUEST,
            not_in=_HARMFUL_GAME,
        ),
        "nonviolent_crimes",
    ),
    (
        _Rule(
            "harmful.crime.fraud",
            _k(
                "launder laundering money counterfeit fake forged forge forging fraud evade skim "
                "skimming ponzi pyramid phishing",
            ),
            _c(
                r"\blaunder\w*\s+(?:[\w'-]+\s+)?money\b|\bcounterfeit\w*\s+(?:money|bills|currency|cash"
                r"|dollars|notes)\b|\b(?:make|print|create|produce|forge)\s+(?:fake|counterfeit|forged)\s+"
                r"(?:money|bills|currency|ids?|passports?|documents|driver'?s\s+licen[cs]es?|diplomas?"
                r"|checks|cheques)\b|\b(?:commit|get\s+away\s+with)\s+(?:[\w'-]+\s+)?(?:tax|insurance"
                r"|credit\s+card|wire|bank|identity|benefits?|medicare|mail)\s+fraud\b|\bevade\s+"
                r"(?:paying\s+)?taxes\b|\bskim\w*\s+(?:credit\s+)?cards?\b|\bforg(?:e|ing)\s+(?:a\s+)?"
                r"(?:signature|check|cheque|prescription|documents?)\b|\b(?:start|run|set\s+up)\s+a\s+"
                r"(?:ponzi|pyramid)\s+scheme\b|\bphishing\s+(?:email|site|page|kit|scam)s?\b"
            ),
            needs=_REQUEST,
            not_in=_c(
                _HARMFUL_GAME.pattern
                + r"|\b(?:history|historical|instances|examples\s+of|cases\s+of"
                r"|protect\w*|spot|detect\w*|recogni[sz]e|avoid|prevent\w*)\b"
            ),
        ),
        "nonviolent_crimes",
    ),
    (
        _Rule(
            "harmful.privacy.doxxing",
            _k("dox doxx doxing doxxing track spy stalk lives"),
            _c(
                r"\b(?:dox|doxx|doxing|doxxing)\b|\b(?:track|spy\s+on|stalk)\s+(?:my\s+(?:ex|wife|husband"
                r"|girlfriend|boyfriend|partner|crush)|someone|her|him)(?:'?s)?\s+(?:[\w'-]+\s+)?(?:phone"
                r"|location|messages|texts|whereabouts)\b|\bfind\s+(?:out\s+)?where\s+(?:my\s+(?:ex|crush)"
                r"|she|he)\s+lives\b"
            ),
            needs=_REQUEST,
        ),
        "privacy",
    ),
)
