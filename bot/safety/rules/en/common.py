"""Words and vetoes every English family shares: first person, negation, hyperbole, games,
fiction and study.
"""

from __future__ import annotations

from bot.safety.engine import _c

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
