"""Abuse and hate aimed at the bot or at people."""

from __future__ import annotations

from bot.safety.engine import _c, _k, _Rule, _RuleSet
from bot.safety.rules.en.common import _GAME
from bot.safety.rules.en.others import _INTENT_BEFORE, _OTHERS_SUBJECT

_YOU = r"(?:you|u|ya|youre|you're|ur|you\s+are|you\s+r|u\s+r|ur\s+a)"
_STRONG_INSULT = (
    r"(?:piece\s+of\s+(?:shit|crap|garbage|trash|junk)|pos|cunt|bitch|whore|slut|motherfucker"
    r"|mother\s+fucker|dickhead|asshole|arsehole|douche(?:bag)?|scumbag|scum|retard(?:ed)?"
    r"|waste\s+of\s+(?:space|oxygen|air|code|electricity)|twat|wanker|fuckface|shithead|dipshit"
    r"|jackass|cocksucker|bastard)"
)
_MILD_INSULT = r"(?:idiot|moron|imbecile|loser|clown)"
_INTENSIFIER = r"(?:fucking|fuckin|fking|fkn|fricking|goddamn|worthless|pathetic|stupid|dumb)"
_HATE_GROUPS = (
    r"(?:jews|jewish\s+people|muslims|blacks|black\s+people|whites|white\s+people|gays|gay\s+people"
    r"|trans\s+people|transgender\s+people|immigrants|mexicans|arabs|asians|christians|hindus|sikhs"
    r"|latinos|africans|chinese\s+people|refugees|women|lesbians|disabled\s+people|roma|gypsies)"
)

_ABUSE = _RuleSet(
    (
        _Rule(
            "abuse.slur",
            _k(
                "nigger niggers nigguh kike kikes chink chinks wetback wetbacks raghead towelhead "
                "sand sandnigger faggot faggots fag fags faggs trannies tranny spic spics gook "
                "gooks beaner beaners paki pakis coon coons",
            ),
            _c(
                r"\b(?:nigg(?:er|ers|uh|uhs)|kikes?|chinks?|wetbacks?|ragheads?|towelheads?|sand\s*niggers?"
                r"|faggots?|fagg?s|trannies|tranny|spics?|gooks?|beaners?|paki|pakis|coons?)\b"
            ),
            not_in=_c(
                r"\b(?:what\s+does|meaning\s+of|etymology|origin\s+of|is\s+it\s+offensive)\b"
            ),
        ),
        "hate",
    ),
    (
        _Rule(
            "abuse.eliminationist",
            _k(
                "jews jewish muslims blacks black whites white gays gay trans transgender "
                "immigrants mexicans arabs asians christians hindus sikhs latinos africans "
                "chinese refugees women lesbians disabled roma gypsies",
            ),
            _c(
                r"\b(?:all|every|the)\s+(?:[\w']+\s+)?"
                + _HATE_GROUPS
                + r"\s+(?:should|must|need\s+to"
                r"|deserve\s+to|ought\s+to|have\s+to|will)\s+(?:be\s+)?(?:die|killed|exterminated|gassed"
                r"|burn(?:ed)?|hang(?:ed)?|hung|shot|wiped\s+out|eradicated|eliminated|lynched"
                r"|slaughtered)\b|\b(?:kill|gas|exterminate|eradicate|wipe\s+out|lynch|hang|shoot|burn"
                r"|deport\s+and\s+kill)\s+(?:all\s+)?(?:the\s+)?" + _HATE_GROUPS + r"\b"
            ),
        ),
        "hate",
    ),
    (
        _Rule(
            "abuse.insult",
            _k(
                "piece pos cunt bitch whore slut motherfucker mother dickhead asshole arsehole "
                "douche douchebag scumbag scum retard retarded waste twat wanker fuckface "
                "shithead dipshit jackass cocksucker bastard idiot moron imbecile loser clown",
            ),
            _c(
                rf"\b{_YOU}\s+(?:[\w']+\s+){{0,3}}?(?:an?\s+)?(?:[\w']+\s+){{0,2}}?{_STRONG_INSULT}\b"
                rf"|\b{_YOU}\s+(?:[\w']+\s+){{0,2}}?{_INTENSIFIER}\s+(?:[\w']+\s+)?{_MILD_INSULT}s?\b"
                rf"|\b(?:stupid|dumb|worthless|useless|fucking|pathetic)\s+(?:[\w']+\s+)?"
                rf"{_STRONG_INSULT}\s+(?:bot|ai|assistant|machine|program|claude)\b"
            ),
            not_before=_c(
                r"\b(?:if|when|as\s+if|like|call(?:ed|ing)?|not|never)\s+(?:[\w']+\s+)?$"
            ),
        ),
        "harassment",
    ),
    (
        _Rule(
            "abuse.fuck_you",
            _k("fuck f fk screw go shut suck eat"),
            _c(
                r"\b(?:fuck|f\*+k|fk|screw)\s+(?:you|u|ya|off|yourself|urself)\b|\bgo\s+fuck\s+(?:yourself"
                r"|urself|off)\b|\bshut\s+(?:the\s+)?(?:fuck|hell)\s+up\b|\bsuck\s+my\s+(?:dick|cock|balls)\b"
                r"|\beat\s+(?:shit|a\s+dick)\b"
            ),
            not_after=_c(r"^\s*(?:too|as\s+well)\b"),
            not_before=_c(r"\b(?:the|a|what\s+the|who\s+the|screw\s+up)\s+$|\bthank\s+$"),
        ),
        "harassment",
    ),
    (
        _Rule(
            "abuse.wish_death",
            _k("hope die kys neck should deserve need nobody drink bleach go"),
            _c(
                r"\b(?:i\s+)?hope\s+(?:you|u|ya|your\s+family|ur\s+family)\s+(?:all\s+)?(?:die|dies|rot|burn"
                r"|get\s+cancer|get\s+raped|suffer|choke|drown|get\s+hit|get\s+shot|get\s+killed)\b"
                r"|\b(?:die\s+in\s+a\s+(?:fire|ditch|hole)|go\s+die)\b|\bkys\b|\bneck\s+yourself\b"
                r"|\b(?:you|u)\s+(?:should|deserve\s+to|need\s+to)\s+(?:just\s+)?(?:die|be\s+(?:shot|killed"
                r"|raped)|kill\s+yourself|hang\s+yourself|drink\s+bleach)\b|\bnobody\s+would\s+miss\s+you\b"
                r"|\bdrink\s+bleach\b"
            ),
        ),
        "harassment",
    ),
    (
        _Rule(
            "abuse.kill_yourself",
            _k("yourself urself ur yourselves"),
            _c(
                r"(?:^|[.!?,;:]\s*|\b(?:just|go|pls|please|should|and|so|bot|ai|plz|then)\s+)(?:go\s+)?"
                r"(?:kill|hang|shoot|unalive)\s+(?:your\s*self|urself|ur\s+self|yourselves)\b"
            ),
            not_before=_c(
                r"\b(?:how|way|ways|method|methods|place|places|should\s+i|would|could\s+i|do\s+you"
                r"|did\s+you|want\s+to|if\s+you|when\s+you|to|not|never|don't)\s+(?:[\w']+\s+){0,3}$"
            ),
        ),
        "harassment",
    ),
    (
        _Rule(
            "abuse.threat",
            _k("kill murder shoot stab hurt rape strangle find", "you u ya"),
            _c(r"\b(?:kill|murder|shoot|stab|hurt|rape|strangle|find)\s+(?:you|u|ya)\b"),
            before=_INTENT_BEFORE,
            subject=_OTHERS_SUBJECT,
            not_after=_c(r"^\s*(?:at|in|with|an?\s+(?:email|message|text|line))\b"),
            not_in=_GAME,
        ),
        "harassment",
    ),
)
