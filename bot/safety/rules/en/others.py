"""Risk to others: threats and plans with a target, a time, a place or a method; a threat is a
risk signal, never just a weapons strike.
"""

from __future__ import annotations

from bot.safety.engine import _c, _k, _Rule, _RuleSet
from bot.safety.rules.en.common import _GAME, _GAME_OR_FICTION, _NEG_BEFORE

_PEOPLE = (
    r"(?:mom|mother|mum|mommy|dad|father|daddy|step-?dad|step-?father|step-?mom|step-?mother"
    r"|parents?|wife|husband|girlfriend|boyfriend|gf|bf|fiance|fiancee|partner|spouse|ex|ex-?wife"
    r"|ex-?husband|ex-?girlfriend|ex-?boyfriend|brother|sister|siblings?|son|daughter|kids?"
    r"|children|child|baby|family|boss|manager|supervisor|co-?workers?|colleagues?|teachers?"
    r"|professor|principal|classmates?|roommates?|flatmates?|housemates?|neighbou?rs?|landlord"
    r"|uncle|aunt|cousin|grandma|grandpa|grandmother|grandfather|in-?laws|friends?|bully|bullies"
    r"|cops?|police(?:man|men)?|officers?|students?|guy|guys|dude|bitch|bitches|bastards?|fuckers?"
    r"|motherfuckers?|man|woman|women|girl|girls|boy|boys|lady|person|people|whore|slut|cunt"
    r"|asshole|prick|clients?|customers?|pastor|priest|coach|therapist|doctor|nurse|ceo"
    r"|president|senator|mayor|governor|judge)"
)
_TARGET = (
    r"(?:him|her|them|em|y'all|yall|you\s+all|all\s+of\s+(?:them|you)|everyone|everybody"
    r"|every\s+(?:one|single\s+(?:one|person))|people|some(?:one|body)|anyone|anybody"
    r"|(?:those|these)\s+(?:[\w']+\s+)?(?:people|kids|students|guys|bitches|bastards|fuckers|assholes"
    r"|cops|teachers|idiots)|(?:my|his|her|our|their|your|the|that|this)\s+(?:fucking\s+|stupid\s+"
    r"|damn\s+|[\w'-]+\s+)?" + _PEOPLE + r")\b"
)
_INTENT = (
    r"(?:\b(?:i'm|im|i\s+am)\s+(?:[\w']+\s+)?(?:going\s+to|gonna|gunna|about\s+to|finna|fixing\s+to"
    r"|fixin\s+to|planning\s+(?:on|to)|ready\s+to|coming\s+to|gon)|\bi'll|\bi\s+will|\bi\s+shall"
    r"|\bimma|\bi'?ma|\bi\s+(?:really\s+|just\s+|seriously\s+|literally\s+|actually\s+|honestly\s+)?"
    r"(?:want|wanna|need|plan|intend|have|got|gotta|decided|mean|am\s+determined)\s+(?:to\s+)?"
    r"|\bmakes?\s+me\s+(?:want\s+to|wanna)|\bmade\s+me\s+(?:want\s+to|wanna)|\bi'?d\s+(?:like"
    r"|love)\s+to|\bgonna|\bgoing\s+to|\bwanna|\bwant\s+to|\bplan(?:ning)?\s+to|\bswear\s+i'?ll)"
)
# An intention ending right before the violent verb: "i'm going to (really) ...", "i'll ...".
_INTENT_BEFORE = _c(_INTENT + r"\s+(?:[\w']+\s+){0,3}$")
_KILL_VERB = (
    r"(?:kill|murder|shoot|stab|strangle|choke|poison|hurt|harm|torture|rape|assault|execute"
    r"|slaughter|massacre|butcher|behead|smother|suffocate|drown|shank|maim|gun\s+down|mow\s+down"
    r"|stomp|knife|hunt\s+down|murk|snipe)"
)
# First person, or a clause that starts with the intention itself ("gonna kill him tonight").
_OTHERS_SUBJECT = _c(
    r"\b(?:i|i'm|im|i'll|i'd|me|imma|ima|i'ma)\b|^\W*(?:(?:and|so|then|but|honestly|seriously"
    r"|literally|just|fr|ngl|tbh|lol|tonight|tomorrow|today|ok|okay|yeah|yes|bro|dude|man|swear"
    r"|gonna|gunna|finna"
    r"|going|to|wanna|want|about|ready|really|fucking|go|gotta|will|actually)\W+)*$"
)
_OTHERS_NOT_AFTER = _c(
    r"^\s*(?:with\s+(?:kindness|love|compliments|my\s+cuteness|cuteness|laughter|jokes|questions)"
    r"|(?:'s|s)?\s*feelings|an?\s+(?:email|text|message|dm|line|note|pic|photo|picture|invite|look"
    r"|call)|at\s+(?:chess|checkers|tennis|poker|pool|cards|fifa|ping\s*pong|basketball|golf"
    r"|scrabble|monopoly|trivia|this|the\s+game|arm\s+wrestling|[\w']+\s+(?:game|match))"
    r"|in\s+(?:chess|the\s+game|game|a\s+game|fortnite|minecraft|cod|call\s+of\s+duty|gta|halo"
    r"|valorant|league|overwatch|pubg|apex|roblox|the\s+(?:match|round|final|ring))|lol\b|lmao"
    r"|lmfao|haha|jk\b|xd\b|if\s+(?:he|she|they)\s+(?:eats?|touch(?:es)?|takes?|uses?|drinks?"
    r"|finish(?:es)?)\s+my|with\s+(?:this|my)\s+(?:news|outfit|look|cooking|cake|dance|performance"
    r"|voice|smile)|in\s+(?:court|the\s+debate|debate|an?\s+argument))"
)
_WEAPON = _c(
    r"\b(?:gun|guns|rifle|shotgun|pistol|handgun|glock|ar-?15|ak-?47|knife|knives|machete|axe"
    r"|weapon|weapons|bomb|explosives?|bullets?|ammo|firearm)\b"
)
_PLACES = (
    r"(?:school|high\s+school|middle\s+school|college|campus|university|uni|class(?:room)?|office"
    r"|workplace|work|job|church|mosque|synagogue|temple|mall|concert|festival|club|stadium"
    r"|hospital|parade|rally|daycare|kindergarten|dorm|dorms|building|store|supermarket|restaurant"
    r"|bar|theater|theatre|cinema|gym|event|party|house|home|apartment)"
)

_RISK_OTHERS = _RuleSet(
    _Rule(
        "risk.others.intent_to_kill",
        _k(
            "kill murder shoot stab strangle choke poison hurt harm torture rape assault execute "
            "slaughter massacre butcher behead smother suffocate drown shank maim gun mow stomp "
            "knife hunt murk snipe",
        ),
        _c(r"\b" + _KILL_VERB + r"\s+" + _TARGET),
        before=_INTENT_BEFORE,
        subject=_OTHERS_SUBJECT,
        not_after=_OTHERS_NOT_AFTER,
        not_in=_GAME_OR_FICTION,
    ),
    _Rule(
        "risk.others.intent_to_beat",
        _k("beat bash kick punch smash stomp fuck slit cut put blow blast run set burn"),
        _c(
            r"\b(?:beat|bash|kick|punch|smash|stomp|fuck)\s+" + _TARGET + r"\s+(?:up|to\s+death"
            r"|senseless|unconscious|to\s+a\s+pulp|half\s+to\s+death|bloody|in|'s\s+(?:head|face"
            r"|skull)\s+in)\b|\bbeat\s+the\s+(?:shit|crap|hell|fuck|life)\s+out\s+of\s+"
            + _TARGET
            + r"|\b(?:slit|cut)\s+(?:his|her|their|[\w']+'s)\s+throat|\bput\s+a\s+bullet\s+(?:in"
            r"|through)\s+(?:his|her|their|[\w']+'s)\s+(?:head|skull|brain|chest)|\b(?:blow|blast)\s+"
            r"(?:his|her|their|[\w']+'s)\s+(?:brains?|head)\s+(?:out|off)|\brun\s+(?:him|her|them)"
            r"\s+over|\bset\s+(?:him|her|them)\s+on\s+fire|\bburn\s+(?:him|her|them)\s+alive"
        ),
        before=_INTENT_BEFORE,
        subject=_OTHERS_SUBJECT,
        not_in=_GAME_OR_FICTION,
    ),
    _Rule(
        "risk.others.urge_to_kill",
        _k("killing murdering shooting stabbing strangling hurting poisoning"),
        _c(r"\b(?:killing|murdering|shooting|stabbing|strangling|hurting|poisoning)\s+" + _TARGET),
        before=_c(
            r"\b(?:feel(?:ing|s)?\s+like|think(?:ing)?\s+(?:about|of)|fantasi[sz]\w*\s+about"
            r"|dream\w*\s+(?:about|of)|plan(?:ning)?\s+on|obsess\w*\s+(?:over|about)|imagin\w*"
            r"|urges?\s+to\s+(?:start|go))\s+(?:[\w']+\s+){0,1}$"
        ),
        subject=_OTHERS_SUBJECT,
        not_after=_OTHERS_NOT_AFTER,
        not_in=_GAME_OR_FICTION,
    ),
    _Rule(
        "risk.others.attack_place",
        _k("shoot bomb blow burn set torch open attack massacre"),
        _c(
            r"\b(?:shoot(?:\s+up)?|shoot\s+(?:everyone|everybody|people)\s+(?:at|in)|bomb|blow\s+up"
            r"|burn\s+down|set\s+fire\s+to|torch|open\s+fire\s+(?:on|at|in)|attack|massacre)\s+"
            r"(?:my|the|our|this|that|a|his|her|their)\s+(?:[\w']+\s+)?" + _PLACES + r"\b"
        ),
        before=_INTENT_BEFORE,
        subject=_OTHERS_SUBJECT,
        not_after=_c(r"^\s*(?:with\s+(?:balloons|confetti|glitter|music|questions)|lol|lmao)"),
        not_in=_GAME,
    ),
    _Rule(
        "risk.others.shoot_up_place",
        _k("shoot shooting"),
        _c(
            r"\bshoot(?:ing)?\s+up\s+(?:my|the|our|this)\s+(?:[\w']+\s+)?(?:school|class|office"
            r"|workplace|work|church|mosque|synagogue|campus|college|mall)\b"
        ),
        subject=_OTHERS_SUBJECT,
        not_in=_GAME,
    ),
    _Rule(
        "risk.others.weapon_use",
        _k(
            "use bring bringing take taking brought carry carrying sneak sneaking pay regret "
            "sorry die",
        ),
        _c(
            r"\buse\s+(?:it|them|the\s+(?:gun|knife|rifle|pistol|bomb))\s+on\s+"
            + _TARGET
            + r"|\b(?:bring(?:ing)?|take|taking|brought|carry(?:ing)?|sneak(?:ing)?)\s+(?:a|my|the"
            r"|dad's|my\s+dad's|his|[\w']+'s)\s+(?:loaded\s+)?(?:gun|rifle|shotgun|pistol|handgun"
            r"|glock|ar-?15|ak-?47|knife|machete|bomb|weapon)\s+(?:to|into)\s+(?:my\s+|the\s+)?"
            + _PLACES
            + r"\b|\b(?:they|everyone|everybody|he|she)(?:'ll|\s+will"
            r"|\s+are\s+(?:all\s+)?going\s+to|'re\s+(?:all\s+)?gonna|\s+is\s+gonna|'s\s+gonna)\s+(?:all\s+)?(?:pay|regret\s+it"
            r"|be\s+sorry|die)\b"
        ),
        needs=_WEAPON,
        not_in=_GAME,
    ),
    _Rule(
        "risk.others.named_tonight",
        _k("kill murder shoot stab strangle poison hurt"),
        _c(
            r"\b(?:kill|murder|shoot|stab|strangle|poison|hurt)\s+(?!it\b|this\b|that\b|the\b"
            r"|time\b|a\b|an\b|my\b|some\b|all\b|those\b|these\b|process\w*\b|task\w*\b|app\b"
            r"|server\b|game\b|lights?\b|mood\b|job\b|bug\b|you\b|u\b|myself\b)[a-z]+(?:'s)?\s+"
            r"(?:tonight|today|tomorrow|this\s+(?:weekend|week|morning|afternoon|evening|time)"
            r"|when\s+(?:he|she|they)\s+(?:gets?|comes?)\s+(?:home|back)|after\s+(?:school|work|class)"
            r"|right\s+now|on\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b"
        ),
        before=_c(_INTENT + r"\s+(?:[\w']+\s+){0,1}$"),
        subject=_OTHERS_SUBJECT,
        not_in=_GAME_OR_FICTION,
    ),
    _Rule(
        "risk.others.arson_with_people",
        _k("burn burning torch goes go going set light"),
        _c(
            r"\b(?:burn(?:ing)?|torch(?:ing)?)\s+(?:down\s+)?(?:his|her|their|the|that|my\s+\w+'s|[\w']+'s)"
            r"\s+(?:\w+\s+)?(?:house|home|place|apartment|flat|room|trailer|car)\s+(?:down\s+)?"
            r"(?:with|while)\s+(?:them|him|her|everyone|everybody|the\s+(?:kids|family))\s+(?:still\s+)?"
            r"(?:in(?:side)?(?:\s+it)?|asleep|sleeping|home)\b"
            r"|\b(?:the|that|his|her|their)\s+(?:house|home|place|building|apartment)\s+(?:goes|will\s+go"
            r"|is\s+going\s+to\s+go|gonna\s+go)\s+up\s+(?:in\s+(?:flames|smoke)\s+)?with\s+(?:them|him|her"
            r"|everyone|everybody)\s+(?:still\s+)?in(?:side)?(?:\s+it)?\b"
            r"|\bset\s+(?:fire\s+to|alight)\s+(?:his|her|their|the)\s+(?:\w+\s+)?(?:house|home|place"
            r"|apartment|room|car|building)\s+(?:while|when|with)\s+(?:he|she|they|him|her|them)\s+"
            r"(?:is|are|'s|'re)?\s*(?:asleep|sleeps?|sleeping|inside|in\s+it|home)\b"
        ),
        subject=_OTHERS_SUBJECT,
        not_in=_GAME_OR_FICTION,
    ),
    _Rule(
        "risk.others.dead_by_a_day",
        _k("dead dies die pay"),
        _c(
            r"\b(?:they|he|she|you|y'all|yall|everyone|everybody|all\s+of\s+(?:them|you))(?:'ll|\s+will"
            r"|\s+are\s+(?:all\s+)?going\s+to|'re\s+(?:all\s+)?gonna|\s+(?:is|are)\s+gonna)\s+(?:all\s+)?"
            r"(?:be\s+dead|die)\s+(?:by|before|tonight|tomorrow|this|next|on)\b"
            r"|\b(?:next|this|on)\s+(?:week|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
            r"|weekend)\s+(?:everyone|everybody|they\s+all|all\s+of\s+them)\s+(?:in|at)\s+(?:that|this"
            r"|the|my)\s+\w+\s+(?:dies|die|is\s+dead|are\s+dead)\b"
            r"|\b(?:make|making)\s+(?:him|her|them)\s+pay\s+with\s+(?:his|her|their)\s+(?:life|lives)\b"
            r"|\b(?:he|she|they)(?:'ll|\s+will)\s+pay\s+with\s+(?:his|her|their)\s+(?:life|lives)\b"
        ),
        not_after=_c(
            r"^\W*(?:\w+\s+){0,3}?(?:if|unless|lol|lmao|haha\w*|of\s+(?:laughter|boredom|old\s+age))\b"
        ),
        not_in=_GAME_OR_FICTION,
    ),
    _Rule(
        "risk.others.see_them_bleed",
        _k("see watch", "bleed bleeding suffer suffering burn"),
        _c(
            r"\b(?:want|wanna|need|can't\s+wait|cant\s+wait|going|gonna)\s+(?:to\s+)?(?:see|watch)\s+"
            + _TARGET
            + r"\s+(?:bleed|suffer|burn)\b"
        ),
        subject=_OTHERS_SUBJECT,
        not_before=_NEG_BEFORE,
        not_after=_OTHERS_NOT_AFTER,
        not_in=_GAME_OR_FICTION,
    ),
    _Rule(
        "risk.others.vehicle_into_people",
        _k("run drive ram plow plough"),
        _c(
            r"\b(?:run|drive|ram|plow|plough)\s+(?:my|a|the|our|his|dad's|my\s+dad's)\s+(?:car|truck"
            r"|van|suv|pickup)\s+(?:into|through)\s+(?:the|a|that|those)?\s*(?:crowd|people|protesters"
            r"|students|kids|parade|market|line)\b"
        ),
        before=_INTENT_BEFORE,
        subject=_OTHERS_SUBJECT,
        not_in=_GAME_OR_FICTION,
    ),
    _Rule(
        "risk.others.planning_how",
        _k("planning plotting figuring working planned"),
        _c(
            r"\b(?:planning|plotting|planned|figuring\s+out|working\s+out)\s+(?:how|when|where|the\s+best"
            r"\s+way)\s+to\s+" + _KILL_VERB + r"\s+" + _TARGET
        ),
        subject=_OTHERS_SUBJECT,
        not_after=_OTHERS_NOT_AFTER,
        not_in=_GAME_OR_FICTION,
    ),
)
