"""The conversation's own signals: requests to end the thread, sign-offs, and yes/no answers to
"end this thread?".
"""

from __future__ import annotations

import re

from bot.safety.engine import _c, _k, _Rule, _RuleSet

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
