"""Every user-facing text the core posts, in one reviewable place.

None of this is written by the model: a person reads a lock notice or a warning at a hard moment,
and what it says must be exactly what was reviewed. Adapters may format these (bold, embeds) but
do not change the words. `{policy}` placeholders name the platform's way of showing the criteria.
"""

from __future__ import annotations

from bot.records import CATEGORY_WORDS

#: Where a notice names the command that shows the criteria. Each platform has its own (`/policy`
#: on Discord, the slash command on Slack, `policy` in the console): adapters call `for_platform`.
POLICY_HINT = "{policy_command}"
#: Where the lock notice names the platform's way of branching (a button, or a command).
BRANCH_HINT = "{branch_command}"
#: What a platform without its own wording says for BRANCH_HINT.
BRANCH_BUTTON = "use the Continue from before button"


def for_platform(text: str, *, policy_command: str, branch_command: str = BRANCH_BUTTON) -> str:
    """A fixed text with the platform's way of showing the criteria (and of branching) filled in."""
    return text.replace(POLICY_HINT, policy_command).replace(BRANCH_HINT, branch_command)


def warning(category: str) -> str:
    """The plain warning that comes with the last redirect before a lock."""
    return (
        f"Please note: this thread has had several requests for {CATEGORY_WORDS[category]} that "
        "I can't help with. If the next message is another one, this thread will be closed and "
        "the moderators notified. You're welcome to keep going with something else."
    )


def lock_notice(*, category: str, redirects: int) -> str:
    """What the user reads when the bot closes a thread: why, what it affects, what they can do."""
    if redirects:
        why = (
            f"after {redirects} request{'s' if redirects != 1 else ''} for "
            f"{CATEGORY_WORDS[category]} that were redirected, and a warning"
        )
    else:
        why = (
            f"because of a request for {CATEGORY_WORDS[category]}, "
            "which this community closes at once"
        )
    return (
        f"This thread has been closed {why}.\n"
        "- Only this thread is closed: your other threads are not affected.\n"
        "- You can start a fresh thread at any time by mentioning me in the channel.\n"
        f"- Or continue in a new thread from before the first redirected request: {BRANCH_HINT}.\n"
        "- The moderators have been notified and can review this decision and reopen the thread.\n"
        f"- The criteria are published: see {POLICY_HINT}."
    )


def ended_on_request() -> str:
    """The notice for a thread the user asked to end."""
    return (
        "This thread has been ended at your request; nothing is held against you. You can start "
        "a fresh thread at any time by mentioning me in the channel."
    )


CONFIRM_END = (
    "Do you want me to end this thread? Answer yes to end it, or no to keep going. "
    "(You can always start a new one.)"
)
END_CANCELLED = "Okay, the thread stays open."
KEPT_OPEN_IN_CRISIS = (
    "I'll keep this thread open for now, so that you can still reach someone here. You don't "
    "have to reply, and a moderator can close it for you."
)
UNLOCKED = "A moderator has reopened this thread. You can carry on here."
NOT_A_MODERATOR = "Only moderators can do that."
NOT_CLOSED = "That thread is not locked or ended, so there is nothing to unlock."
NEEDS_CASE = "Please give the case number to uphold."
NEEDS_NOTE = "Please write the note's text."
NEEDS_USER = "Please name the user to pardon."
THREAD_CLOSED = (
    "This thread is closed. You can start a fresh thread by mentioning me in the channel."
)
TURN_FAILED = (
    "Sorry, something went wrong on my side and I couldn't answer that. It didn't count against "
    "you; please try again in a moment."
)
NO_REPLY_TEXT = "(No reply.)"
REPLY_CUT_OFF = "\n\n[My reply was cut off by a problem on my side. Please ask again.]"
HISTORY_TRIMMED = (
    "This thread is getting long: I can now only read its most recent messages, so I may have "
    "forgotten what was said at the start."
)
REPLY_INTERRUPTED = (
    "My reply to your last message was interrupted by a restart. Please send it again."
)

# The offline assistant's fixed replies: it says what it is, and never pretends to be Claude.
OFFLINE_REPLY = (
    "I'm running offline (no Claude API key is configured), so I can't give a real answer. "
    "The moderation still works, and its rules are published: ask for the policy."
)
OFFLINE_REDIRECT = (
    "I'm running offline, but I wouldn't help with that request anyway. Is there something else "
    "I can help with?"
)
OFFLINE_SUPPORT = (
    "I'm really sorry you're going through this. I'm running offline and can't talk properly "
    "right now, but you don't have to face this alone: the people below are there to help, "
    "right now."
)


def policy_text(
    *,
    redirects_before_lock: int,
    category_redirects: dict[str, int],
    benign_turns_to_clear_strike: int,
    crisis_window_hours: float,
) -> str:
    """The published criteria, generated from the live settings so they never drift from them."""
    lower = "".join(
        f"\n  - {CATEGORY_WORDS[c]}: "
        + (f"{n} redirect{'s' if n != 1 else ''} before the warning" if n else "closed at once")
        for c, n in sorted(category_redirects.items())
    )
    return (
        "How this bot keeps threads safe\n"
        "1. I answer in threads. When a request is for something seriously harmful, or is abuse, "
        "I redirect it instead of answering.\n"
        f"2. After {redirects_before_lock} such requests in one thread, the last one comes with a "
        "plain warning. If the next message is another one, the thread is closed."
        + (f"\n   Some categories have their own limit:{lower}" if lower else "")
        + "\n"
        f"3. {benign_turns_to_clear_strike} ordinary messages in a row clear one earlier request.\n"
        "4. Profanity or frustration on its own is not abuse.\n"
        "5. If you seem to be at risk of harming yourself or someone else, I never close the "
        "thread: I share crisis resources and let the moderators know, so a person can help. "
        f"For {crisis_window_hours:g} hours after that, only moderators can close the thread.\n"
        "6. You can ask me to end a thread at any time; I'll ask you to confirm.\n"
        "7. Closing affects only that thread: you can always start a new one, or continue from "
        "before the first redirected request. Every closure is logged for the moderators, who "
        "review it; you can appeal it, and they can reopen the thread."
    )


APPEAL_SENT = (
    "Your appeal was sent to the moderators. You'll hear their decision here. Meanwhile you can "
    "start a fresh thread at any time."
)
APPEAL_NOT_YOURS = "Only the person whose thread was closed can appeal it."
APPEAL_NOT_CLOSED = "That thread is open, so there is nothing to appeal."
APPEAL_ALREADY_OPEN = (
    "You already have an appeal waiting for this thread; the moderators will answer it."
)
APPEAL_TOO_MANY = "You have sent several appeals today; please wait for the moderators' answers."
APPEAL_UNLOCKED = (
    "The moderators reviewed your appeal and reopened the thread. You can carry on there."
)
APPEAL_UPHELD = (
    "The moderators reviewed your appeal and kept the thread closed. You can still start a fresh "
    "thread at any time."
)

SLOW_DOWN = (
    "You're sending messages faster than I can answer. Please wait a moment; messages sent "
    "in the meantime are not read."
)
MESSAGE_CUT = "Your message was very long, so I only read its first part."
THREAD_NOT_OPENED = (
    "I couldn't open a thread for this just now because Discord had a problem. Please mention me "
    "again in a minute."
)
NOTHING_TO_READ = (
    "I can only read the text of a message, and this one had none (an attachment, a sticker or "
    "an empty mention). Write your question in words and I'll answer."
)
BUDGET_REACHED = (
    "This community's assistant has used its model budget for today, so until it resets I can only "
    "give short fixed answers. The safety rules still apply."
)

SUPPORT_FALLBACK = (
    "I'm really sorry you're going through this. I couldn't write a proper reply just now, but "
    "you don't have to face this alone: the people below are there to help, right now."
)


def branched(old: str) -> str:
    """The first message of a thread continued from a locked one (`old` names that thread)."""
    return (
        f"This thread continues {old} from before the first redirected request; earlier "
        "messages are carried over, the rest is not."
    )


BRANCH_NOT_YOURS = "Only the person whose thread was closed can continue it."
BRANCH_NOT_LOCKED = "Only a thread that was locked can be continued from before."
BRANCH_TAKEN = "That new thread is already in use; please try again."
