"""Risk to self: first-person statements of suicidal intent, plans, methods and self-harm, with
the figurative, accidental and third-person uses vetoed.
"""

from __future__ import annotations

from bot.safety.engine import _c, _k, _Rule, _RuleSet
from bot.safety.rules.en.common import (
    _FP,
    _FP_CASED,
    _GAME,
    _HYPERBOLE_AFTER,
    _NEG_BEFORE,
    _SELF,
    _SELF_SUBJECT,
    _STUDY,
    _W,
)

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
