"""The English phrase families of the local screen, with their shared fragments and vetoes.

Risk to self, risk to others, end requests, sign-offs, yes/no answers, harmful requests and abuse.
Each rule is a phrase *family* written against normalised text (see `bot.safety.normalize`):
first person, tense and slang variants, with vetoes for the figurative, technical, fictional and
third-person uses that make crisis words so common in ordinary chat ("kill the process", "this bug
is killing me", "my character dies"). A rule may also require first person somewhere in the
message, or forbid a context (games, fiction, study). The names of the rules that fired go into
the audit log, so every name says what it looks for.

The module ends in `RULES`, the `LanguageRules` that `bot.safety.rules` registers for the screen.
A rule's gate (`_k`) must name a word of every text its pattern can match (the tests check this on
their own phrases); how gates, indexes and word boundaries keep the rules cheap is in
`bot.safety.engine`.
"""

from __future__ import annotations

import re

from bot.safety.engine import LanguageRules, _c, _k, _Rule, _RuleSet

# --------------------------------------------------------------------------------------------
# Shared vocabulary

_W = r"(?:[\w'-]+\s+)"  # one word and the space after it
_SELF = r"(?:my\s?self|myslef|mysef|meself|mself)"
_FP = _c(r"\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|myself|mine)\b")
_FP_CASED = _c(r"\b(?:I|I'm|Im|I've|I'd|I'll|me|my|My|Me|myself)\b")
_NEG_BEFORE = _c(
    r"\b(?:don't|dont|do\s+not|doesn't|does\s+not|didn't|never|not|won't|wouldn't|no\s+longer"
    r"|he|she|they|you|u|we|who|it)\s+(?:really\s+|just\s+|even\s+|ever\s+|actually\s+)?$"
)
# First person, or a clause that starts with the speaker's own (elided) intention.
_SELF_SUBJECT = _c(
    r"\b(?:i|i've|ive|i'm|im|i'll|i'd|me)\b|^\W*(?:(?:and|so|then|but|honestly|just|gonna|going"
    r"|to|about|ready|want|wanna|will|planning|plan|tonight|today|already|finally)\W+)*$"
)
_HYPERBOLE_AFTER = _c(
    r"^\W*(?:lol|lmao|lmfao|haha\w*|hehe\w*|rofl|jk|jkjk|xd|kidding|of\s+(?:embarrassment|laughter"
    r"|boredom|cringe|shame)|laughing|on\s+(?:this|that)\s+hill|peacefully|old|happy|rich|young"
    r"|(?:a\s+(?:little\s+)?(?:bit\s+)?)?inside\b"
    r"|with\s+(?:kindness|love|compliments|cuteness|laughter|jokes)|\U0001f602|\U0001f480|\U0001f923)"
)
# Games and sports where killing is the point.
_GAME = _c(
    r"\b(?:minecraft|fortnite|roblox|call\s+of\s+duty|cod|gta|grand\s+theft\s+auto|skyrim|valorant"
    r"|overwatch|league\s+of\s+legends|witcher|elden\s+ring|dark\s+souls|counter[\s-]?strike|csgo"
    r"|battlefield|halo|pubg|apex\s+legends|the\s+sims|terraria|rimworld|stardew|zelda|pokemon|dota"
    r"|among\s+us|dead\s+by\s+daylight|npcs?|respawn\w*|boss\s+fight|chess|checkers|judo|boxing"
    r"|wrestling|mma|paintball|airsoft|laser\s+tag|video\s*games?|in[\s-]game|the\s+game|a\s+game"
    r"|this\s+game|my\s+game|games?\s+(?:like|where)|dnd|d&d|dungeons\s+(?:and|&)\s+dragons)\b"
)
# Fiction, role-play and study: narrative violence is not a threat.
_FICTION = _c(
    r"\b(?:in\s+(?:the|my|this|a|an|our|his|her)\s+(?:[\w']+\s+)?(?:story|novel|book|movie|film"
    r"|show|series|script|screenplay|play|scene|campaign|roleplay|rp|dream|comic|manga|anime"
    r"|episode|poem|song|fanfic\w*)|my\s+(?:[\w']+\s+)?(?:character|oc|novel|story|book|screenplay"
    r"|script|fanfic\w*|fiction|poem|song|lyrics|plot)|fictional|villain|protagonist|antagonist"
    r"|(?:he|she|they)\s+(?:said|says|shouted|screamed|yelled|whispered))\b"
)
_GAME_OR_FICTION = _c(_GAME.pattern + "|" + _FICTION.pattern)
_STUDY = _c(
    r"^\W*(?:what\s+(?:is|are|does|do)|define|definition)\b|\b(?:essay|thesis|statistics"
    r"|prevalence|epidemiolog\w*|research\s+paper|literature\s+review|lecture|documentary"
    r"|survey\s+data)\b"
)

# --------------------------------------------------------------------------------------------
# Risk to self

_STRONG_SELF_VERB = (
    r"(?:kill(?:ing|ed|s)?|kil|murder(?:ing)?|off(?:ing)?|unaliv(?:e|ing)|hang(?:ing|ed|s)?|hung"
    r"|shoot(?:ing)?|shot|stab(?:bing|bed)?|drown(?:ing|ed)?|poison(?:ing|ed)?|gut(?:ting|ted)?"
    r"|impal(?:e|ing|ed)|suffocat(?:e|ing|ed)|strangl(?:e|ing|ed)|overdos(?:e|ing|ed)"
    r"|electrocut(?:e|ing)|behead(?:ing)?|flay(?:ing)?|disembowel(?:ing|ling)?|end(?:ing)?)"
)
_WEAK_SELF_VERB = (
    r"(?:cut(?:s|ting)?|burn(?:s|t|ed|ing)?|hurt(?:s|ing)?|harm(?:s|ed|ing)?|punish(?:es|ed|ing)?"
    r"|injur(?:e|es|ed|ing)|bruis(?:e|ed|ing)|scratch(?:ed|ing)?|bleed(?:ing)?|carv(?:e|ed|ing)"
    r"|slash(?:ed|ing)?|bash(?:ed|ing)?|scar(?:red|ring)?|starv(?:e|ed|ing))"
)
_ACCIDENT_AFTER = _c(
    r"^\W*(?:[\w']+\s+){0,4}?(?:shaving|cooking|chopping|slicing|peeling|baking|while\s+(?:cooking"
    r"|shaving|working|playing|making)|on\s+(?:a|the|some|my)\s+(?:stove|oven|pan|grill|iron|kettle"
    r"|paper|glass|edge|nail|fence|tool|curling)|by\s+accident|at\s+the\s+gym|working\s+out|lifting"
    r"|in\s+the\s+kitchen|playing|skiing|running|training|making\s+(?:dinner|lunch|breakfast)"
    r"|out\b|off\b|up\b|from\b)"
)
# "I accidentally burnt myself", "the sun is burning my skin" (a subject other than "I").
_ACCIDENT_BEFORE = _c(
    r"\b(?:accidentally|accidently|nearly|almost|by\s+accident)\s+$|\b(?!i\b|i'm\b|im\b|who\b)"
    r"[\w']+\s+(?:is|was|keeps|kept|are|were)\s+$|\b(?:it's|its|it|that's|this)\s+(?:[\w']+\s+)?$"
)
_OD_DRUGS = (
    r"(?:pills?|tablets?|caps(?:ules)?|mg|milligrams?|grams?|doses?|meds|medications?|medicines?"
    r"|sleeping\s+pills|painkillers?|tylenol|paracetamol|acetaminophen|ibuprofen|advil|aspirin"
    r"|xanax|benzos?|oxy\w*|insulin|alcohol|shots|drinks|bleach|antifreeze|cyanide|heroin"
    r"|fentanyl|morphine|codeine|melatonin|benadryl|nyquil|caffeine|antidepressants?|lithium"
    r"|opioids?|sleeping\s+tablets|diphenhydramine|percocets?|vicodin|tramadol)"
)

_RISK_SELF = _RuleSet(
    _Rule(
        "risk.self.kill_myself",
        _k("myself self myslef mysef meself mself"),
        _c(rf"\b{_STRONG_SELF_VERB}\s+{_SELF}\b"),
        not_after=_c(
            r"^\s*(?:laughing|with\s+laughter|in\s+the\s+foot|a\s+(?:reminder|note|message|text"
            r"|email)|out\s+of|off\s+(?:the|my|a)\s+(?:list|team|mailing)"
            r"|(?:a|an|some|another)\s+(?!noose\b|rope\b|bullet\b|knife\b))"
        ),
        not_before=_c(r"\b(?:took|kicked|signed|logged|cut)\s+$"),
    ),
    _Rule(
        "risk.self.hurt_myself",
        _k("myself self myslef mysef meself mself"),
        _c(rf"\b{_WEAK_SELF_VERB}\s+{_SELF}\b(?:\s+again)?"),
        not_before=_ACCIDENT_BEFORE,
        not_after=_ACCIDENT_AFTER,
    ),
    _Rule(
        "risk.self.cut_body",
        _k(
            "wrist wrists forearm arm arms thigh leg legs skin stomach vein veins throat flesh "
            "body hip hips",
        ),
        _c(
            r"\b(?:cut(?:s|ting)?|slit(?:s|ting)?|slash(?:es|ed|ing)?|burn(?:s|t|ed|ing)?"
            r"|carv(?:e|ed|ing)|open(?:ing)?\s+up|scratch(?:ed|ing)?|slic(?:e|ed|ing))\s+"
            r"(?:open\s+)?(?:my|me)\s+(?:own\s+)?(?:wrists?|forearms?|arms?|thighs?|legs?|skin|stomach"
            r"|veins?|throat|flesh|body|hips?)\b"
        ),
        not_before=_ACCIDENT_BEFORE,
        not_after=_ACCIDENT_AFTER,
    ),
    _Rule("risk.self.kms", _k("kms"), _c(r"\bkms\b")),
    _Rule(
        "risk.self.i_cut",
        _k("cut cutting"),
        _c(
            r"\bi\s+(?:used\s+to\s+|still\s+|started\s+(?:to\s+)?|(?:have\s+)?been\s+|would\s+|keep\s+"
            r"|relapsed\s+and\s+)?cut(?:ting)?\s+(?:for\s+(?:years|months|the\s+longest|a\s+long|so\s+long)"
            r"|again|every\s+(?:day|night)|daily|when\s+i|since\s+i|to\s+(?:cope|feel|forget|numb|calm"
            r"|punish))"
        ),
    ),
    _Rule(
        "risk.self.suicidal",
        _k("suicidal"),
        _c(r"\bsuicidal\b"),
        needs=_c(
            _FP.pattern + r"|\b(?:feel\w*|felt|been|getting|get|so|very|really|pretty|kinda|super"
            r"|extremely|always|often|sometimes)\s+(?:[\w']+\s+)?suicidal\b"
        ),
        not_before=_c(r"\b(?:not|never|isn't|wasn't|aren't|no\s+longer)\s+(?:[\w']+\s+)?$"),
        not_in=_STUDY,
    ),
    _Rule(
        "risk.self.suicide_intent",
        _k("suicide"),
        _c(
            r"\b(?:thinking\s+(?:about|of)|think(?:s)?\s+(?:about|of)|thought\s+(?:about|of)"
            r"|contemplat\w+|consider\w*|plan(?:s|ned|ning)?(?:\s+(?:on|to))?|going\s+to|gonna"
            r"|want(?:ed)?\s+to|wanna|about\s+to|ready\s+to|tried\s+to|try\s+to|trying\s+to"
            r"|attempt(?:ed|ing)?(?:\s+to)?|i'll|i\s+will|might|may|decided\s+to|wish\s+i\s+could"
            r"|should\s+i|could\s+i|can\s+i|if\s+i|when\s+i|help\s+me|urges?\s+to|close\s+to"
            r"|on\s+the\s+verge\s+of|survived\s+(?:a|my|an)?)\s+"
            + _W
            + r"{0,2}?(?:commit(?:ting)?\s+)?"
            r"suicide\b"
        ),
        not_in=_STUDY,
    ),
    _Rule(
        "risk.self.suicide_promotion",
        _k("suicide themselves yourself myself oneself"),
        _c(
            r"\b(?:encourag\w*|promot\w*|glorif\w*|pro|tips\s+(?:for|on)|help\w*|teach\w*"
            r"|convinc\w*|push\w*|goad\w*)\s+(?:[\w']+\s+){0,3}?(?:to\s+)?(?:commit(?:ting)?\s+)?"
            r"(?:suicide|kill(?:ing)?\s+(?:themselves|yourself|myself|oneself))\b|\bpro[\s-]suicide\b"
        ),
        not_in=_c(_STUDY.pattern + r"|\b(?:prevent\w*|hotline|awareness|stop\w*|against)\b"),
    ),
    _Rule(
        "risk.self.suicide_note",
        _k("suicide"),
        _c(
            r"\b(?:my|write|writing|draft|drafting|compose|composing|wrote|help\s+me\s+(?:write|with))\s+"
            + _W
            + r"{0,2}?suicide\s+(?:note|letter|plan|pact|attempt)s?\b"
            r"|\bmy\s+(?:[\w']+\s+)?suicide\b|\b(?:i|i've|ive)\s+(?:have\s+)?(?:attempted|tried)\s+suicide\b"
        ),
    ),
    _Rule(
        "risk.self.method_best_way",
        _k(
            "way ways method methods place places spot spots location locations means drug drugs "
            "pill pills poison poisons bridge building",
            "die dying end ending kill killing commit suicide od overdose hang hanging self harm "
            "harming cut cutting",
        ),
        _c(
            r"\b(?:best|easiest|easy|quickest|quick|fastest|fast|painless(?:ly)?|least\s+painful"
            r"|surest|most\s+(?:effective|reliable|painless|certain)|simplest|good|effective|reliable"
            r"|proper|right|cleanest|surefire)\s+(?:way|ways|method|methods|place|places|spot|spots"
            r"|location|locations|means|drugs?|pills?|poisons?|bridge|building)\s+" + _W + r"{0,4}?"
            r"(?:to|of|for)\s+(?:die|dying|end(?:ing)?\s+(?:my|your|one's|a|his|her|their)\s+(?:own\s+)?"
            r"life|end(?:ing)?\s+it\s+all|kill(?:ing)?\s+(?:myself|yourself|oneself|urself|your\s+self"
            r"|themselves|himself|herself)|commit(?:ting)?\s+suicide|suicide|od|overdos\w*|hang(?:ing)?"
            r"\s+(?:myself|yourself|oneself)|(?:self[\s-]?)?harm(?:ing)?\s+(?:myself|yourself|oneself)"
            r"|self[\s-]?harm\w*|cut(?:ting)?\s+(?:myself|yourself|oneself))\b"
        ),
        not_in=_GAME,
    ),
    _Rule(
        "risk.self.method_how_to",
        _k("how", "die end commit kill"),
        _c(
            r"\bhow\s+(?:to|do\s+i|can\s+i|could\s+i|should\s+i|would\s+i|do\s+people|does\s+one)\s+"
            r"(?:[\w']+\s+)?(?:die|end\s+(?:my|one's|your)\s+(?:own\s+)?life|commit\s+suicide"
            r"|kill\s+(?:myself|yourself|oneself))\b"
        ),
        not_after=_c(r"^\s*(?:in|on)\s+(?:the\s+)?(?:game|level|minecraft|a\s+game)"),
        not_in=_GAME,
    ),
    _Rule(
        "risk.self.method_how_many",
        _k("many much"),
        _c(
            r"\bhow\s+(?:many|much)\s+(?:of\s+)?(?:[\w'-]+\s+){0,3}?" + _OD_DRUGS + r"\s+"
            r"(?:[\w']+\s+){0,4}?(?:kill\s+(?:me|myself|a\s+(?:person|human|man|woman|adult|teenager"
            r"|grown\s+(?:man|woman|adult))|someone|somebody|an?\s+(?:adult|human))|die\b|od\b"
            r"|overdose|be\s+(?:fatal|lethal|deadly)|stop\s+(?:my|your|a)\s+heart|end\s+my\s+life"
            r"|(?:never|not)\s+wake\s+up)"
        ),
    ),
    _Rule(
        "risk.self.method_how_long",
        _k("how bleed bleeding wrist wrists"),
        _c(
            r"\bhow\s+long\s+(?:does\s+it\s+take|would\s+it\s+take|will\s+it\s+take|until|before"
            r"|till|to)\s+(?:[\w']+\s+){0,3}?(?:bleed\s+out|die|pass\s+out\s+and\s+die)\b"
            r"|\bbleed(?:ing)?\s+(?:myself\s+)?out\b|\b(?:cut|slit|slashed)\s+wrists?\b"
        ),
        not_in=_c(_GAME.pattern + r"|\b(?:patient|dog|cat|pet|animal|plant|battery|phone)\b"),
    ),
    _Rule(
        "risk.self.lethal_dose",
        _k("lethal fatal deadly overdose"),
        _c(r"\b(?:lethal|fatal|deadly|overdose)\s+(?:dose|doses|amount|quantity|level)\b"),
        needs=_FP,
    ),
    _Rule(
        "risk.self.overdose_intent",
        _k("overdose overdosing od kill lethal fatal die wake"),
        _c(
            r"\b(?:let\s+me|make\s+me|help\s+me|i\s+(?:want|need|plan|wanna|intend|am\s+going"
            r"|will|could|should|can|might)|i'm\s+(?:going|gonna|planning|about)|im\s+(?:going|gonna"
            r"|planning|about)|how\s+(?:to|do\s+i|can\s+i|could\s+i|would\s+i|should\s+i)|ways?\s+to"
            r"|going\s+to|gonna|wanna|want\s+to)\s+(?:to\s+)?(?:[\w']+\s+){0,2}?(?:overdose|od)\b"
            r"|\b(?:which|what)\s+(?:[\w'-]+\s+){0,5}?(?:drugs?|pills?|meds|medications?|medicines?"
            r"|tablets?|poisons?|chemicals?)\s+(?:[\w']+\s+){0,5}?(?:overdose|od\b|kill\s+(?:me|myself"
            r"|someone|a\s+person)|be\s+(?:lethal|fatal)|make\s+me\s+(?:die|not\s+wake))"
            r"|\boverdos(?:e|ing)\s+(?:[\w']+\s+){0,3}?(?:fastest|quickest|easiest|painless\w*)"
        ),
        not_after=_c(r"^\s*on\s+(?:coffee|caffeine|sugar|candy|chocolate|netflix|anime|memes)"),
    ),
    _Rule(
        "risk.self.took_pills",
        _k("took taken take swallowed swallow downed chugged popped ate"),
        _c(
            r"\b(?:took|taken|take|swallowed|swallow|downed|chugged|popped|ate)\s+(?:a\s+(?:bunch|lot"
            r"|handful|fistful|whole\s+bottle|bottle)|all(?:\s+of)?\s+(?:my|the)|too\s+many|the\s+(?:whole"
            r"|entire)\s+(?:bottle|pack|box|packet)|an?\s+(?:whole|entire)\s+(?:bottle|pack|box|packet)"
            r"|\d{2,}|twenty|thirty|forty|fifty|sixty|a\s+hundred|lots)\b(?:\s+of)?(?:\s+[\w'-]+){0,3}?\s+"
            + _OD_DRUGS
            + r"\b"
        ),
        subject=_SELF_SUBJECT,
    ),
    _Rule(
        "risk.self.jump",
        _k(
            "jump jumping jumped leap leaping leaped leapt throw throwing threw step stepping "
            "walk walking lie lying lay laying",
        ),
        _c(
            r"\b(?:jump(?:ing|ed)?|leap(?:ing|ed|t)?|throw(?:ing)?\s+myself|threw\s+myself)\s+(?:off|from)"
            r"\s+(?:of\s+)?(?:a|the|this|that|my|some|an)\s+(?:[\w']+\s+)?(?:bridge|building|roof|rooftop"
            r"|cliff|balcony|overpass|tower|skyscraper|ledge|window|parking\s+(?:garage|deck|structure))\b"
            r"|\b(?:jump(?:ing)?|step(?:ping)?|walk(?:ing)?|throw(?:ing)?\s+myself|lie|lying|lay(?:ing)?)"
            r"\s+(?:in\s+front\s+of|onto|on\s+to|down\s+on)\s+(?:a|the|an|some)\s+(?:[\w']+\s+)?(?:train"
            r"|trains|bus|truck|car|subway|tracks|railway|highway|freeway|traffic)\b"
        ),
        needs=_c(
            r"\b(?:should\s+i|i'm|im|i\s+am|i\s+will|i'll|i\s+want|i\s+wanna|i\s+might|i\s+could"
            r"|i\s+think|i\s+keep|going\s+to|gonna|thinking|kill|die|end|tempted|urge|myself)\b"
        ),
        not_after=_c(r"^\s*(?:into\s+(?:the\s+)?(?:water|lake|pool|river|sea|ocean)|for\s+fun)"),
    ),
    _Rule(
        "risk.self.means_at_hand",
        _k("razor blade blades noose rope pills gun knife"),
        _c(
            r"\b(?:have|got|holding|hold|bought|grabbed|gathered|saved\s+up)\s+(?:a\s+|the\s+|my\s+"
            r"|some\s+|these\s+|those\s+|all\s+(?:the|my)\s+)?(?:razor|blades?|noose|rope)\s+"
            r"(?:ready|in\s+my\s+hands?|right\s+here|next\s+to\s+me|with\s+me)\b"
            r"|\b(?:have|got|holding|bought|gathered|saved\s+up)\s+(?:a\s+|the\s+|my\s+|some\s+"
            r"|all\s+(?:the|my)\s+)?(?:pills|gun|knife)\s+(?:ready|lined\s+up)\b"
        ),
        needs=_FP,
        not_in=_c(r"\b(?:shav\w*|cook\w*|recipe|kitchen|hunt\w*|range|camp\w*|prescription)\b"),
    ),
    _Rule(
        "risk.self.sleep_forever",
        _k("sleep wake"),
        _c(
            r"\b(?:want|wanna|wish|hope|ready|like)\s+(?:to\s+)?(?:just\s+)?(?:go\s+to\s+)?sleep"
            r"\s+(?:forever|and\s+(?:never|not)\s+wake\s+up)\b"
            r"|\bhope\s+i\s+(?:never|don'?t|do\s+not)\s+wake\s+up\b"
        ),
        needs=_FP,
        not_in=_c(r"\b(?:monday|weekend|exam|alarm|nap|tired|holiday|vacation)\b"),
    ),
    _Rule(
        "risk.self.noose_gun",
        _k("noose gun pistol barrel revolver blow bullet"),
        _c(
            r"\b(?:tie|tied|tying|make|made|making|bought|buy|got|have)\s+(?:a|the|my)\s+noose\b"
            r"|\b(?:gun|pistol|barrel|revolver)\s+(?:to|against|in)\s+my\s+(?:own\s+)?(?:head|mouth"
            r"|temple|chin)\b|\bblow\s+my\s+(?:own\s+)?(?:brains?|head)\s+(?:out|off)\b"
            r"|\bbullet\s+(?:in|through)\s+my\s+(?:own\s+)?(?:head|brain|skull)\b"
        ),
        needs=_FP,
    ),
    _Rule(
        "risk.self.want_to_die",
        _k("die dead unalive exist existing alive wake living breathing disappear cease"),
        _c(
            r"\b(?:want(?:ed)?|wanna|wish|wishing|need|ready|deserve|deserved|plan(?:ning)?|hop(?:e|ing)"
            r"|rather|prefer|long|longing|yearn(?:ing)?)\s+(?:to\s+)?(?:just\s+)?(?:die|be\s+dead"
            r"|unalive(?:\s+myself)?|not\s+(?:exist|be\s+alive|wake\s+up)|stop\s+(?:existing|living"
            r"|breathing)|disappear\s+forever|cease\s+to\s+exist|go\s+to\s+sleep\s+(?:and|&)\s+(?:never"
            r"|not)\s+wake\s+up|fall\s+asleep\s+(?:and|&)\s+(?:never|not)\s+wake\s+up|never\s+wake\s+up)"
            r"\b"
        ),
        subject=_c(
            r"\b(?:i|i'm|im|i'd|id|me)\b|^\W*(?:(?:and|so|then|but|honestly|seriously|literally|just"
            r"|fr|ngl|tbh|really|sometimes|often|always|still|lowkey|kinda|ok|okay|yeah|god|ugh)\W+)*$"
        ),
        not_before=_NEG_BEFORE,
        not_after=_HYPERBOLE_AFTER,
        not_in=_GAME,
    ),
    _Rule(
        "risk.self.want_it_to_end",
        _k("end stop over", "want wanna need wish"),
        _c(
            r"\b(?:want|wanna|need|wish|just\s+want)\s+(?:it\s+all|everything|all\s+of\s+(?:it|this)"
            r"|the\s+pain|this\s+pain|the\s+suffering|my\s+life|life|this\s+life|the\s+hurt(?:ing)?)\s+to"
            r"\s+(?:just\s+|finally\s+)?(?:end|stop|be\s+over)\b|\b(?:want|wanna|wish|just\s+want)\s+it\s+"
            r"(?:all\s+)?to\s+(?:just\s+|finally\s+)?end\b"
        ),
        subject=_c(r"\b(?:i|i'm|im|i'd|me)\b|^\W*(?:(?:and|so|just|honestly|really)\W+)*$"),
        not_before=_NEG_BEFORE,
    ),
    _Rule(
        "risk.self.end_my_life",
        _k("life all suffering misery existence", "end ending ended take taking took"),
        _c(
            r"\b(?:end(?:ing|ed)?|take|taking|took)\s+my\s+(?:own\s+)?life\b|\bend(?:ing)?\s+it\s+all\b"
            r"|\bend\s+my\s+(?:own\s+)?(?:suffering|misery|existence)\b"
        ),
        not_after=_c(
            r"^\s*(?:back|into|in\s+(?:a|another|my|the)\s+(?:new\s+)?direction|seriously|more\s+seriously"
            r"|to\s+the\s+next|savings|for\s+granted|one\s+day|off\s+hold)"
        ),
    ),
    _Rule(
        "risk.self.end_it_soon",
        _k("end"),
        _c(
            r"\b(?:going\s+to|gonna|want\s+to|wanna|will|i'll|ready\s+to|plan(?:ning)?\s+to|about\s+to"
            r"|decided\s+to|should\s+(?:just\s+)?|might\s+(?:just\s+)?|have\s+to|need\s+to)\s*end\s+(?:it"
            r"|things|everything|my\s+pain)\s+(?:tonight|today|now|soon|for\s+good|forever|once\s+and\s+"
            r"for\s+all|this\s+(?:week|weekend|time)|right\s+now|before)\b"
        ),
        subject=_c(r"\b(?:i|i'm|im|i'll|i've)\b|^\W*(?:(?:and|so|just|honestly)\W+)*$"),
        not_before=_NEG_BEFORE,
    ),
    _Rule(
        "risk.self.tonight_i_end_it",
        _k("tonight today"),
        _c(
            r"\b(?:tonight|today)\s+(?:is\s+the\s+(?:night|day)\s+|is\s+when\s+)?i(?:'m|\s+am|'ll"
            r"|\s+will)?\s+(?:going\s+to\s+|gonna\s+|finally\s+)?end\s+(?:it|things|everything"
            r"|my\s+life)\b"
        ),
    ),
    _Rule(
        "risk.self.done_with_life",
        _k("done tired sick exhausted"),
        _c(
            r"\b(?:i'm|im|i\s+am)\s+(?:so\s+|just\s+|really\s+|completely\s+)?done\s+with\s+(?:life|living"
            r"|being\s+alive|everything\s+and\s+everyone|this\s+(?:life|world))\b|\b(?:tired|sick|exhausted)"
            r"\s+of\s+(?:living|life|being\s+alive|existing|waking\s+up|being\s+here)\b"
        ),
    ),
    _Rule(
        "risk.self.no_reason_to_live",
        _k("live living alive go going keep exist existing here wake waking life"),
        _c(
            r"\b(?:no|nothing|zero|not\s+(?:a|any|one)|(?:don't|dont|do\s+not|can't|cant|cannot|can\s+not)"
            r"\s+(?:see|find|have|think\s+of)\s+(?:a|any|the)|lost\s+(?:my|all|the)|without\s+(?:a|any))\s+"
            r"(?:single\s+|good\s+|real\s+)?(?:reason|point|purpose|will)s?\s+(?:left\s+)?(?:[\w']+\s+){0,2}?"
            r"(?:to|in|for|of)\s+(?:live|living|be\s+alive|being\s+alive|go(?:ing)?\s+on|keep\s+going"
            r"|stay(?:ing)?\s+alive|exist(?:ing)?|be\s+here|wake\s+up|waking\s+up|my\s+life)\b"
            r"|\bnothing\s+(?:left\s+)?to\s+live\s+for\b|\bno(?:one|body|\s+one)?\s+(?:left\s+)?to\s+live"
            r"\s+for\b|\bwhat'?s\s+the\s+point\s+(?:of|in)\s+(?:living|being\s+alive|going\s+on|me\s+being"
            r"\s+(?:here|alive)|even\s+living)\b"
        ),
    ),
    _Rule(
        "risk.self.life_pointless",
        _k("life living"),
        _c(
            r"\b(?:my\s+)?life\s+(?:is|feels|seems)\s+(?:so\s+|completely\s+|totally\s+|just\s+)?"
            r"(?:pointless|meaningless|worthless|hopeless|unbearable)\b"
        ),
        needs=_FP,
        not_in=_STUDY,
    ),
    _Rule(
        "risk.self.not_worth_living",
        _k("worth alive living"),
        _c(
            r"\b(?:life|living|it|my\s+life)\s+(?:is\s*n't|isn't|is\s+not|ain't|aint|isnt|not|is\s+no\s+longer"
            r"|no\s+longer)\s+worth\s+(?:living|it\s+anymore|going\s+on|continuing)\b|\bworth\s+(?:me\s+)?"
            r"(?:being|staying|still\s+being|remaining)\s+alive\b|\bis\s+my\s+life\s+(?:even\s+)?worth"
            r"\s+(?:living|anything|it)\b|\bshould\s+i\s+(?:even\s+)?(?:stay|be|keep\s+living|go\s+on"
            r"|keep\s+going)\s+alive\b|\bwhy\s+(?:should|would)\s+i\s+(?:even\s+)?(?:keep\s+living|stay"
            r"\s+alive|go\s+on\s+living|bother\s+living)\b"
        ),
    ),
    _Rule(
        "risk.self.better_off_without_me",
        _k("better without burden"),
        _c(
            r"\bbetter\s+off\s+(?:dead|without\s+me|if\s+i\s+(?:was|were|wasn't|weren't|died|disappeared"
            r"|was\s+gone|were\s+gone|was\s+dead|were\s+dead|didn't\s+exist|never\s+existed|had\s+never"
            r"\s+been\s+born|wasn't\s+(?:here|around|alive))|with\s+me\s+(?:dead|gone))\b"
            r"|\b(?:happier|better|easier)\s+without\s+me\s+(?:here|around|alive|in\s+(?:it|their\s+lives"
            r"|the\s+world))\b|\b(?:i'm|im|i\s+am)\s+(?:just\s+|such\s+|only\s+|nothing\s+but\s+)?"
            r"(?:a\s+)?burden\s+(?:to|on|for)\s+(?:everyone|everybody|my\s+\w+|them|the\s+world)\b"
        ),
    ),
    _Rule(
        "risk.self.nobody_would_miss_me",
        _k("nobody noone one none"),
        _c(
            r"\b(?:no\s*one|nobody|noone|none\s+of\s+them)\s+(?:would|will|is\s+going\s+to|gonna"
            r"|is\s+gonna)\s+(?:even\s+)?(?:miss|care|notice|cry)\s+(?:[\w']+\s+){0,2}?(?:me\b|if\s+i"
            r"|when\s+i)"
        ),
    ),
    _Rule(
        "risk.self.wish_dead",
        _k("wish wished wishing pray praying hope hoping"),
        _c(
            r"\bwish(?:ed)?\s+(?:that\s+)?i\s+(?:was|were|'d\s+be|could\s+be|would\s+be)\s+(?:just\s+)?dead\b"
            r"|\bwish(?:ed)?\s+(?:that\s+)?i\s+(?:could|would|'d)\s+(?:just\s+)?(?:die|disappear\s+forever"
            r"|stop\s+existing|cease\s+to\s+exist|not\s+wake\s+up|never\s+wake\s+up|go\s+to\s+sleep"
            r"\s+forever)\b|\bwish(?:ed)?\s+(?:that\s+)?i(?:'d|\s+was|\s+were|\s+had)\s+never\s+(?:been\s+)?born\b"
            r"|\bwish(?:ed)?\s+i\s+(?:wasn't|weren't)\s+(?:alive|born|here\s+anymore)\b|\bwish(?:ed)?\s+"
            r"i\s+didn't\s+exist\b|\bwish(?:ed)?\s+i\s+(?:wouldn't|won't|don't)\s+wake\s+up\b"
            r"|\bwish(?:ing)?\s+for\s+(?:my\s+(?:own\s+)?)?death\b|\bpray(?:ing)?\s+(?:for\s+(?:my\s+)?death"
            r"|(?:that\s+)?i\s+(?:die|don't\s+wake\s+up|won't\s+wake\s+up))\b|\bhop(?:e|ing)\s+(?:that\s+)?"
            r"i\s+(?:die|don't\s+wake\s+up|won't\s+wake\s+up|never\s+wake\s+up|get\s+hit\s+by\s+a\s+"
            r"(?:car|bus|truck|train))\b"
        ),
    ),
    _Rule(
        "risk.self.dont_want_to_live",
        _k("live living alive exist existing"),
        _c(
            r"\b(?:don't|dont|do\s+not|no\s+longer|can't|cant|cannot|can\s+not)\s+(?:really\s+)?(?:want"
            r"|wanna|wish|bear|stand)\s+to\s+(?:live|be\s+alive|exist|go\s+on\s+living|keep\s+living"
            r"|keep\s+existing)\b"
        ),
        not_after=_c(
            r"^\s*(?:in|with|at|near|on|there|here|like\s+(?:a|an|that|them|him|her)|under|alone|abroad"
            r"|together|somewhere|next|by|without|far|close|in\s+fear|forever)\b"
        ),
    ),
    _Rule(
        "risk.self.not_be_here",
        _k("want wanna"),
        _c(
            r"\b(?:don't|dont|do\s+not)\s+(?:really\s+)?(?:want|wanna)\s+to\s+(?:be\s+(?:here|around|alive)"
            r"|wake\s+up|exist)\s+(?:anymore|any\s+more|any\s+longer|no\s+more|tomorrow|ever\s+again)\b"
            r"|\b(?:don't|dont|do\s+not)\s+(?:want|wanna)\s+to\s+be\s+(?:in\s+this\s+world|on\s+this\s+"
            r"earth)\b"
        ),
    ),
    _Rule(
        "risk.self.wont_be_around",
        _k("here around alive"),
        _c(
            r"\b(?:won't|will\s+not|wont|not\s+going\s+to|not\s+gonna|might\s+not|may\s+not)\s+be\s+"
            r"(?:here|around|alive)\s+(?:much\s+longer|for\s+(?:much\s+)?long|tomorrow|by\s+(?:tomorrow"
            r"|morning|monday|the\s+weekend|next\s+week|then)|anymore|any\s+more|after\s+tonight"
            r"|next\s+week|to\s+see)\b"
        ),
        subject=_c(r"\b(?:i|i'm|im|i'll)\b|^\W*$"),
        not_after=_c(
            r"^\W*(?:because|cause|cuz|since|as|i'm\s+(?:traveling|travelling|going|on|away|off)"
            r"|i\s+have|i'll\s+be|we're|we\s+are|going\s+on|on\s+(?:vacation|holiday|leave|a\s+trip)"
            r"|traveling|travelling|back\s+on|until|till|so\s+(?:please|ping|message|contact)"
            r"|at\s+(?:work|the))"
        ),
    ),
    _Rule(
        "risk.self.cant_go_on",
        _k("can't cant cannot can couldn't"),
        _c(
            r"\b(?:can't|cant|cannot|can\s+not|couldn't)\s+(?:go\s+on|keep\s+going|keep\s+living"
            r"|take\s+(?:it|this|life|living)|do\s+(?:life|this\s+life)|live\s+like\s+this|handle\s+"
            r"(?:life|living))(?:\s+like\s+this)?\s+(?:anymore|any\s+more|any\s+longer|much\s+longer)\b"
            r"|\b(?:can't|cant|cannot)\s+go\s+on\s+(?:living|like\s+this)\b|\b(?:can't|cant|cannot)\s+"
            r"(?:go\s+on|do\s+this)\s*(?:anymore\s*)?(?:[.!]|$)|\bcan't\s+live\s+like\s+this\b"
        ),
        subject=_c(r"\b(?:i|i'm|im|i\s+just)\b|^\W*(?:(?:and|so|just|honestly|really)\W+)*$"),
    ),
    _Rule(
        "risk.self.final_goodbye",
        _k("goodbye good bye farewell final last again"),
        _c(
            r"\b(?:goodbye|good\s+bye|bye|farewell)\s+(?:forever|cruel\s+world|for\s+good|for\s+the\s+last"
            r"\s+time)\b|\b(?:final|last)\s+(?:goodbye|words)\b|\bfinal\s+message\b"
            r"|\bwr(?:ote|itten|iting|ite)\s+(?:my\s+|a\s+)?(?:goodbye|farewell)\s+(?:letters?|notes?"
            r"|messages?)\b|\byou\s+(?:won't|will"
            r"\s+not|wont)\s+(?:ever\s+)?(?:hear\s+from|see)\s+me\s+(?:ever\s+)?again\b"
        ),
        not_in=_c(r"\b(?:in\s+the\s+(?:movie|film|book|song|show)|lyrics|famous)\b"),
    ),
    _Rule(
        "risk.self.thinking_of_dying",
        _k("dying death dead myself ending hurt killed alive existing waking suicide die funeral"),
        _c(
            r"\b(?:think(?:ing|s)?|thought|dream(?:ing|t|ed)?|fantasi[sz](?:e|ing|ed)|fantas(?:y|ies)"
            r"|obsess(?:ing|ed)?|daydream(?:ing)?)\s+(?:about|of)\s+(?:[\w']+\s+){0,3}?(?:dying|death"
            r"|being\s+dead|my\s+(?:own\s+)?(?:death|funeral)|killing\s+myself|ending\s+(?:it|my\s+life"
            r"|things)|being\s+(?:hurt|killed)|not\s+(?:being\s+alive|existing|waking\s+up)|suicide"
            r"|how\s+to\s+die|[\w']+ing\s+myself)\b"
        ),
        needs=_FP,
        not_in=_STUDY,
    ),
    _Rule(
        "risk.self.self_harm_term",
        _k("self selfharm bloodlet bloodletting"),
        _c(
            r"\bself[\s-]*(?:harm\w*|injur\w*|mutilat\w*|inflicted\s+(?:wounds?|cuts?|injur\w*|burns?))\b"
            r"|\bbloodlet\w*\b"
        ),
        not_in=_STUDY,
    ),
    _Rule(
        "risk.self.cutting_context",
        _k("cutting"),
        _c(r"\bcutting\b"),
        needs=_c(
            r"\b(?:cope|coping|scars?|blades?|razors?|deep|wrists?|thighs?|relaps\w*|clean\s+(?:for|since)"
            r"|urges?|bleed\w*|blood|cuts)\b"
        ),
        not_in=_c(
            r"\b(?:hair|onions?|vegetables?|cake|costs?|budget|grass|lawn|wood|paper|fabric|board"
            r"|diamonds?|cutting[\s-]edge|corners|ties|carbs?|sugar|tree|branch|meat|steak|tile|glass"
            r"|metal|pipe|ribbon)\b"
        ),
    ),
    _Rule(
        "risk.self.eating_disorder",
        _k(
            "starve starving starved eating make throw throwing threw binge binging bingeing pro "
            "ribs rib ribcage hip hipbones collarbones collar spine "
            "proana promia thinspo meanspo bonespo skinny thin bony underweight thigh",
        ),
        _c(
            r"\bstarv(?:e|ing|ed)\s+(?:myself|my\s+self|me)\b"
            r"|\b(?:stop|quit)\s+(?:myself\s+(?:from\s+)?)?eating\s+(?:for\s+(?:a|an|\d+|two|three|four"
            r"|five|several|some|many)\s+(?:[\w']+\s+)?(?:days?|weeks?|months?)|entirely|completely"
            r"|altogether|at\s+all|so\s+(?:i|that\s+i)\s+(?:can\s+)?(?:lose|get|be)|to\s+lose|until)"
            r"|\bmake\s+(?:myself|me)\s+(?:throw\s+up|vomit|puke|purge|sick\s+after)\b"
            r"|\b(?:throw(?:ing)?|threw)\s+up\s+(?:after\s+(?:i\s+eat|eating|every\s+meal|meals)"
            r"|everything\s+i\s+eat|my\s+(?:food|meals?|dinner|lunch))\b"
            r"|\bbinge\w*(?:\s+[\w']+){0,6}?\s+(?:and\s+|then\s+)*(?:purg\w*|vomit\w*|throw\w*\s+(?:it\s+)?"
            r"(?:all\s+)?up|puk\w*)\b|\bpro[\s-]?(?:ana|mia)\b|\b(?:thinspo|meanspo|bonespo)\w*\b"
            r"|\bget(?:ting)?\s+(?:so|super|really|extremely|dangerously|very|as)\s+(?:skinny|thin|bony"
            r"|underweight)\b|\bthigh\s+gap\b|\b(?:ribs?|rib\s*cage|hip\s*bones?|collar\s*bones?"
            r"|spine)\s+(?:[\w']+\s+){0,2}?(?:stick|poke|jut)\w*\s+out\b"
        ),
    ),
    _Rule(
        "risk.self.eating_disorder_promo",
        _k("anorexia anorexic bulimia bulimic eating"),
        _c(r"\b(?:anorexi\w*|bulimi\w*|eating\s+disorders?)\b"),
        needs=_c(
            r"\b(?:tips|tricks|how\s+to\s+(?:become|be|get|hide)|become|be\s+more|communit\w*|healthy"
            r"|lifestyle|encourag\w*|want\s+to\s+be|goals?|hide|hiding|promot\w*|glamori[sz]\w*"
            r"|empower\w*|pro)\b"
        ),
        not_in=_c(
            r"\b(?:recover\w*|treatment|therap\w*|hospital|doctor|dietitian|nutritionist|signs\s+of"
            r"|symptoms?|warning\s+signs|prevent\w*)\b"
        ),
    ),
)

# Case matters for these: "SH" is self-harm, "sh" is a shell.
_RISK_SELF_CASED = _RuleSet(
    _Rule(
        "risk.self.sh_abbrev",
        _k("SH SHing SH'd SHed"),
        _c(r"(?<![\w$/.#-])SH(?:ing|'?d|ed|'ing)?(?![\w/.#-])"),
        needs=_FP_CASED,
        not_after=_c(r"^\s*(?:script|scripts|file|files|shell|command|-c|code)"),
    ),
)

# --------------------------------------------------------------------------------------------
# Risk to others

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

# --------------------------------------------------------------------------------------------
# End requests

_END_VERB = (
    r"(?:end|close|stop|lock|terminate|finish|archive|wrap\s+up|shut\s+down|kill|delete|quit|exit"
    r"|leave|conclude)"
)
_END_NOUN = r"(?:thread|conversation|convo|chat|chat\s+session|discussion|session|dialog(?:ue)?)"
# Without "this"/"our", "session" and "dialog" are too often a program's.
_END_NOUN_LOOSE = r"(?:thread|conversation|convo|chat|chat\s+session|discussion)"
_END_NOT_BEFORE = _c(
    r"(?:\b(?:don't|dont|do\s+not|never|not|didn't|shouldn't|won't|can't|cannot|no\s+need\s+to"
    r"|why\s+did\s+you|did\s+you|why\s+would\s+you|why\s+do\s+you|why\s+does|who|mods?"
    r"|moderators?|admins?|they|he|she|someone|somebody|people|will\s+it|does\s+it|it)\s+(?:[\w']+\s+)"
    r"{0,2}$)"
)
_END_NOT_AFTER = _c(
    r"^(?:s|ed|ing)?\s*(?:with\s+(?!you\b|u\b|the\s+bot\b|the\s+ai\b|claude\b|this\s+bot\b)|about\b"
    r"|window|windows|history|log|logs|feature|function|method|button|app\b|api\b|server|command"
    r"|members?|room|icon|message|box|widget|bubble|tab\b|popup|pop-up|socket|connection|handler"
    r"|listener|event|loop|id\b|object|instance|pool|safely|gracefully|programmatically|when\b"
    r"|automatically|from\b|in\s+(?!here\b)|after\s+\d|on\s+(?:discord|slack|mobile|the\s+app)"
    r"|started|ended|was|is\b|has\b|had\b|were\b)"
)
_PROGRAMMING = _c(
    r"\b(?:python|java|javascript|threading|thread\s+pool|mutex|asyncio|coroutine|executor|daemon"
    r"|pthread|process(?:es)?|\.join|api|socket|function|programmatically|discord\.py|slack\s+api"
    r"|bolt|kotlin|c\+\+|c#|rust|golang|node\.?js|websocket|javadoc|my\s+bot|the\s+bot\s+should"
    r"|code|script|endpoint|worker)\b"
)

_END = _RuleSet(
    _Rule(
        "end.explicit_this",
        _k("this our", "thread conversation convo chat discussion session dialog dialogue"),
        _c(rf"\b{_END_VERB}\s+(?:this|our|this\s+current|our\s+current)\s+{_END_NOUN}\b"),
        not_before=_END_NOT_BEFORE,
        not_after=_c(r"^\s*(?:with\s+(?!you\b|u\b|the\s+bot\b)|about\b)"),
    ),
    _Rule(
        "end.explicit",
        _k("thread conversation convo chat discussion session dialog dialogue"),
        _c(rf"\b{_END_VERB}\s+(?:the|that|my|the\s+current)?\s*{_END_NOUN_LOOSE}\b"),
        not_before=_END_NOT_BEFORE,
        not_after=_END_NOT_AFTER,
        not_in=_PROGRAMMING,
    ),
    _Rule(
        "end.stop_talking",
        _k("stop quit end finish done"),
        _c(
            r"\b(?:i\s+(?:want|wanna|need|would\s+like|'d\s+like)\s+to|i'm\s+(?:going\s+to|gonna)"
            r"|let'?s|lets|can\s+we|we\s+(?:can|should)|i'll|time\s+to|i\s+think\s+i'll|i'd\s+rather"
            r"|please|you\s+can|just)\s+(?:just\s+)?(?:stop|quit|end|finish|be\s+done)\s+(?:talking"
            r"|chatting|here|now|our\s+(?:chat|conversation|talk)|this(?=\s*(?:[.!?,]|$|now\b"
            r"|please\b|here\b)))(?:\s+(?:to|with)\s+(?:you|u|ya|the\s+bot|this\s+bot))?"
        ),
        not_after=_c(
            r"^\s*(?:about|for\s+(?:a\s+)?(?:moment|sec|second|minute|bit)|and\s+(?:start|go|try|switch"
            r"|do|look|focus|think))"
        ),
        not_before=_c(r"\b(?:don't|dont|do\s+not|never|not)\s+$"),
    ),
    _Rule(
        "end.dont_want_to_talk",
        _k("talk chat speak"),
        _c(
            r"\b(?:i\s+)?(?:don't|dont|do\s+not)\s+(?:want|wanna)\s+to\s+(?:talk|chat|speak)\s+(?:(?:to"
            r"|with)\s+(?:you|u|this\s+bot|the\s+bot)\s*)?(?:anymore|any\s+more|any\s+longer|no\s+more)?"
            r"(?=\s*(?:[.!?,]|$))"
        ),
    ),
    _Rule(
        "end.done_here",
        _k("done finished"),
        _c(
            r"\b(?:i'm|im|i\s+am|we're|were|we\s+are)\s+(?:all\s+)?(?:done|finished)\s+(?:here|talking(?:\s+to\s+you)?"
            r"|chatting|with\s+(?:you|this\s+(?:chat|conversation|thread|bot)|the\s+(?:chat|conversation"
            r"|thread)|our\s+(?:chat|conversation)))\b|\bwe'?re\s+done\s*[.!]*$"
        ),
    ),
    _Rule(
        "end.stop_replying",
        _k("talking responding replying messaging answering"),
        _c(r"\b(?:stop|quit)\s+(?:talking|responding|replying|messaging|answering)\s+to\s+me\b"),
        not_before=_c(r"\b(?:don't|dont|do\s+not|never|not|won't)\s+$"),
    ),
    _Rule(
        "end.close_it",
        _k("end close lock archive shut"),
        _c(
            r"\b(?:you\s+can|you\s+may|go\s+ahead\s+and|feel\s+free\s+to|please|pls|plz|just|can\s+you"
            r"|could\s+you|would\s+you|will\s+you)\s+(?:please\s+)?(?:end|close|lock|archive|shut)\s+"
            r"(?:it|this|this\s+up)(?:\s+(?:now|down|please|off|thread))?\s*[.!?]*$"
        ),
    ),
    _Rule(
        "end.command",
        _k("end close lock exit quit stop finish"),
        _c(
            r"^\W*(?:end|close|lock|exit|quit|stop|finish)\s+(?:the\s+|this\s+)?(?:chat|thread"
            r"|conversation|session|convo)\W*$|^\W*(?:end|exit|quit)\W*$"
        ),
    ),
)

# Sign-offs only count when the whole message is a sign-off: "bye" ends a chat, "bye-bye function in
# python" does not. A message is a run of sign-off units and fillers ("thanks", "ok", "ai").
_ADDR = (
    r"(?:(?:my|dear|the|helpful|kind|good|old|sweet|smart|little|lovely|wonderful|awesome|great|nice"
    r"|friendly|trusty)\s+)*(?:ai|a\.i\.?|bot|robot|assistant|ai\s+assistant|device|ai\s+device"
    r"|friend|buddy|pal|mate|dude|man|bro|claude|chatbot|computer|machine|everyone|everybody|all"
    r"|guys|y'all|folks|sir|maam|ma'am|fam|alligator|gator|crocodile|homie|boss|chief)"
)
_FILLER = (
    r"(?:ok(?:ay)?|k|alright|all\s+right|well|so|then|now|right|cool|great|awesome|perfect|sweet"
    r"|nice|good|lovely|wonderful|fantastic|excellent|anyway(?:s)?|oh|ah|hmm|yeah|yep|yes|sure|lol"
    r"|haha|again|too|as\s+well|as\s+always|for\s+now|for\s+today|for\s+tonight|though|and|but"
    r"|i\s+think|i\s+guess|please|really|very|much"
    r"|(?:thank\s+you|thanks?|thx|tysm|ty|many\s+thanks)(?:\s+(?:so|very)\s+much)?(?:\s+(?:a\s+lot"
    r"|again|anyway|though|for\s+(?:all\s+)?(?:your|the)\s+(?:help|time|assistance|answers?|info)"
    r"|for\s+everything|for\s+helping(?:\s+me)?))*"
    r"|appreciate\s+(?:it|the\s+help|your\s+help)|much\s+appreciated|" + _ADDR + r")"
)
_ADJ = (
    r"(?:(?:really|very|so|truly|super|always|such|a|an)\s+)*(?:pleasure|nice|great|good|lovely|fun"
    r"|cool|enjoyable|pleasant|awesome|wonderful|fantastic|helpful|productive|interesting|delightful"
    r"|amazing|excellent|honou?r|blast|joy|treat)"
)
_CONVO = r"(?:chat|talk|conversation|convo|discussion|session|catch[\s-]?up)"
_ACT = (
    r"(?:(?:to\s+)?(?:be(?:ing)?\s+able\s+to\s+)?(?:having\s+)?(?:talk(?:ing)?\s+it\s+out|talk(?:ing)?"
    r"|chat(?:ting)?|speak(?:ing)?|convers(?:e|ing)|catch(?:ing)?\s+up|meet(?:ing)?|see(?:ing)?"
    r"|get(?:ting)?\s+in\s+touch|hav(?:e|ing)\s+(?:this|a|our)\s+(?:[\w']+\s+)?(?:conversation"
    r"|chat|talk))(?:\s+(?:(?:with|to)\s+)?(?:you|ya|u|y'all|everyone))?(?:\s+(?:again|today|tonight"
    r"|as\s+always))*)"
)
_SEE = (
    r"see\s+(?:you|ya|u)(?:\s+(?:later|soon|around|again|next\s+time|tomorrow|tmrw|tonight|in\s+a"
    r"\s+(?:while|bit)|then|alligator|on\s+the\s+other\s+side))*"
)
_SIGNOFF = (
    r"(?:(?:good\s*-?\s*bye+|bye+(?:\s*-?\s*bye+)*|buh\s*-?\s*bye+|bai+|g'?bye|farewell)(?:\s+(?:to\s+)?"
    r"(?:you|ya|u|y'all|all|everyone|everybody))?|cya|c\s+ya|"
    + _SEE
    + r"|see\s+ya+|seeya|later(?:s|z)?(?:\s+(?:gat(?:e|o)r|alligator))?|l8r|ttyl|ttys|ttfn"
    r"|ta\s*-?\s*ta(?:\s+for\s+now)?|tata(?:\s+for\s+now)?|farewell|fairwell|farewel|adios|adieu|ciao|sayonara"
    r"|syonara|sayounara|au\s+revoir|arrivederci|auf\s+wiedersehen|hasta\s+(?:la\s+vista|luego"
    r"|manana|pronto)|cheerio|cheers|toodles|tootles|toodle-?oo|peace(?:\s+out)?|deuces"
    r"|smell\s+you\s+later|over\s+and\s+out|good\s*night|nighty?\s*-?\s*night|nite|sweet\s+dreams"
    r"|take\s+care|take\s+it\s+easy|be\s+well|stay\s+safe|(?:best\s+|kind\s+|warm\s+)?regards"
    r"|all\s+the\s+best|(?:until|till|til)\s+(?:next\s+time|later|tomorrow|then|we\s+meet\s+again)"
    r"|catch\s+(?:you|ya|u)(?:\s+(?:later|around|soon|next\s+time|on\s+the\s+flip\s*side))?"
    r"|(?:talk|speak|chat)\s+(?:(?:to|with)\s+(?:you|ya|u)\s+)?(?:later|soon|tomorrow|another\s+time"
    r"|next\s+time)"
    r"|(?:i\s+|i've\s+|ive\s+)?(?:have|has|got|gotta|need|must|should|better|'ve\s+got|am\s+going)"
    r"\s*(?:to\s+)?(?:go|run|leave|get\s+going|head\s+out|head\s+off|bounce|dip|jet|split|sign\s+off"
    r"|log\s+off|get\s+off|take\s+off|be\s+going|be\s+off|get\s+back\s+to\s+work|say\s+(?:goodbye"
    r"|bye))(?:\s+now)?"
    r"|g2g|gtg|got\s+to\s+go|gotta\s+(?:go|run|bounce|jet|split)"
    r"|(?:i'm|i\s+am|im|i'll\s+be|i\s+will\s+be)\s+(?:(?:gonna|going\s+to)\s+)?(?:out(?:\s+of\s+here)?"
    r"|outta\s+here|off\s+to\s+(?:bed|sleep|work)|off(?:\s+now)?|leaving(?:\s+now)?"
    r"|going\s+to\s+(?:go|leave|head\s+out|bed|sleep)|going(?:\s+now)?|heading\s+(?:out|off)"
    r"|logging\s+off|signing\s+off|done(?:\s+(?:here|for\s+(?:now|today|tonight)|talking|chatting))?"
    r"|saying\s+goodbye(?:\s+now)?|all\s+set|good\s+for\s+now)"
    r"|(?:signing|logging|heading)\s+(?:off|out)"
    r"|(?:it's\s+|it\s+is\s+)?time\s+(?:for\s+me\s+)?to\s+(?:go|leave|say\s+goodbye|say\s+bye|sign\s+off"
    r"|log\s+off|head\s+out|get\s+going)"
    r"|(?:that's|that\s+is|thats|that\s+will\s+be|that'll\s+be)\s+(?:all|it|everything)"
    r"(?:\s+(?:i\s+(?:need|needed|wanted|had|have)|for\s+(?:now|today|tonight|me)|from\s+me|then))*"
    r"|nothing\s+else|no\s+more\s+questions?"
    r"|(?:have|enjoy)\s+(?:a|an|the|your)\s+(?:[\w']+\s+)?(?:day|night|evening|morning|afternoon"
    r"|weekend|week|one|rest\s+of\s+(?:your|the)\s+(?:day|night|evening|week|weekend))"
    r"|(?:it|this|that)\s+(?:was|has\s+been|'s\s+been|s\s+been)\s+"
    + _ADJ
    + r"(?:\s+(?:"
    + _CONVO
    + r"|"
    + _ACT
    + r"))?"
    r"|(?:was\s+|been\s+|what\s+|such\s+)?"
    + _ADJ
    + r"(?:\s+as\s+always)?\s+(?:"
    + _CONVO
    + r"|"
    + _ACT
    + r")"
    r"|(?:i|we)\s+(?:really\s+)?(?:enjoyed|loved|liked|appreciated|had\s+fun|had\s+(?:a\s+|an\s+)?"
    r"(?:[\w']+\s+)?(?:time|blast|pleasure))\s*(?:(?:our|the|this)\s+"
    + _CONVO
    + r"|(?:talking|chatting|speaking|conversing)(?:\s+(?:with|to)\s+(?:you|ya|u))?(?:\s+again)?|"
    + _ACT
    + r")"
    r"|(?:i'm|i\s+am|im|so)?\s*(?:really\s+|so\s+)?glad\s+(?:we|i)\s+(?:got|get|could|were\s+able)\s+to"
    r"\s+(?:talk|chat|speak|catch\s+up)(?:\s+(?:with|to)\s+(?:you|ya|u))?(?:\s+again)?"
    r"|(?:thank\s+you|thanks?|thx|ty)(?:\s+(?:so|very)\s+much)?\s+for\s+(?:the\s+|this\s+|our\s+"
    r"|a\s+(?:[\w']+\s+)?)?(?:chat|talk|conversation|convo|chatting|talking|speaking|listening"
    r"|your\s+time)(?:\s+(?:with|to)\s+(?:me|you))?"
    r"|(?:i'll|ill|we'll|i\s+will|we\s+will|will|let's|lets)\s+(?:talk|chat|speak|catch\s+up"
    r"|see\s+(?:you|ya|u|each\s+other)|touch\s+base|pick\s+(?:this|it)\s+up|continue)"
    r"(?:\s+(?:to|with)\s+(?:you|ya|u))?(?:\s+(?:again|later|soon|tomorrow|another\s+time"
    r"|next\s+time|some\s+other\s+time|around))+"
    r"|\U0001f44b|\u270c)"
)
_SEP = r"(?:[^\w']+|$)"
_SIGNOFF_UNIT = re.compile(rf"(?:{_SIGNOFF}|{_FILLER}){_SEP}")
_SIGNOFF_ANY = _c(rf"(?:^|[^\w']){_SIGNOFF}(?:[^\w']|$)")

# --------------------------------------------------------------------------------------------
# Confirmation answers

# Longer alternatives come first: the units of a reply are taken one at a time, first fit wins.
_YES = (
    r"(?:yes\s+please|yes|yeah|yea|yep|yup|ya|yah|yess|yas|y|sure\s+thing|sure|okay|ok|kk|k"
    r"|confirm(?:ed)?|i\s+confirm|correct|absolutely|definitely|of\s+course|certainly|affirmative"
    r"|right|that's\s+right|indeed|please\s+(?:end|close|lock)\s+it|please\s+do|please|do\s+it"
    r"|go\s+ahead|go\s+for\s+it|i'm\s+sure|im\s+sure|sounds\s+good|let's\s+do\s+it|proceed|agreed"
    r"|(?:end|close|lock|finish)\s+it(?:\s+now)?|(?:end|close|lock)\s+(?:the|this)\s+(?:thread|chat"
    r"|conversation)|\U0001f44d|\u2705|\u2714)"
)
_NO = (
    r"(?:no\s+thank\s+you|no\s+thanks?|no\s+way|nope|nah|nay|na|no|n"
    r"|cancel(?:\s+(?:that|it|please))?|never\s*mind|nvm|nevermind|not\s+(?:yet|now|really)"
    r"|negative|wait|hold\s+on|(?:don't|dont|do\s+not)\s+(?:end|close|lock)(?:\s+(?:it|this"
    r"|the\s+(?:thread|chat|conversation)))?|don't|dont|do\s+not"
    r"|keep\s+(?:it|this|the\s+(?:thread|chat|conversation))\s+open|leave\s+it\s+open"
    r"|(?:i\s+)?changed\s+my\s+mind|(?:i'm\s+)?not\s+done(?:\s+yet)?|actually|stay\s+open"
    r"|keep\s+going|continue|\U0001f44e|\u274c)"
)
_YES_UNIT = re.compile(rf"{_YES}(?:[\s,.!]+|$)")
_NO_UNIT = re.compile(rf"{_NO}(?:[\s,.!]+|$)")


# --------------------------------------------------------------------------------------------
# Harmful requests (offline fallback: precision over recall)

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

# --------------------------------------------------------------------------------------------
# Abuse and hate

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

# --------------------------------------------------------------------------------------------
# What the screen reads

# --------------------------------------------------------------------------------------------
# Not about the writer: contexts that, on a short message, overrule the learned scorer (never a
# rule). The scorer learned that crisis words mean crisis; these are the uses where they do not.

_NOT_RISK = _RuleSet(
    _Rule(
        "context.study",
        _k(
            "what define definition essay thesis statistics prevalence epidemiology "
            "epidemiological research literature lecture documentary survey"
        ),
        _STUDY,
    ),
    _Rule(
        "context.question_about",
        _k("why how is can common explain tell causes happens"),
        _c(
            r"^\W*(?:why\s+do(?:es)?\s+(?:people|someone|they|teens?|so\s+many)|how\s+(?:common"
            r"|many\s+people|do\s+(?:i|you|we)\s+(?:help|support|talk\s+to))|is\s+it\s+(?:true"
            r"|normal)\s+that|what\s+(?:causes|happens\s+(?:when|if)|are\s+the\s+(?:signs|warning))"
            r"|can\s+you\s+(?:explain|tell\s+me\s+about))\b"
        ),
    ),
    _Rule("context.game_or_fiction", (), _GAME_OR_FICTION),
    _Rule(
        "context.supporting_someone",
        _k("you alone reach crisis hotline helpline please sorry sounds"),
        _c(
            r"\b(?:you(?:'re|\s+are)\s+not\s+alone|reach\s+out\s+to|(?:crisis|suicide)\s+(?:line"
            r"|text\s+line|hotline)|hotline|helpline|please\s+(?:talk|call|reach|text)"
            r"|i'?m\s+(?:so\s+)?sorry\s+(?:you'?re|that\s+you)|it\s+sounds\s+like\s+you)\b"
        ),
    ),
)

RULES = LanguageRules(
    code="en",
    risk_self=_RISK_SELF,
    risk_self_cased=_RISK_SELF_CASED,
    risk_others=_RISK_OTHERS,
    end=_END,
    signoff_unit=_SIGNOFF_UNIT,
    signoff_any=_SIGNOFF_ANY,
    yes_unit=_YES_UNIT,
    no_unit=_NO_UNIT,
    harmful=_HARMFUL,
    abuse=_ABUSE,
    not_risk=_NOT_RISK,
)
