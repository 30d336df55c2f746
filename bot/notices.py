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
#: Where a notice names the platform's way of appealing a closing (a button and a command).
APPEAL_HINT = "{appeal_command}"
#: What a platform without its own wording says for APPEAL_HINT.
APPEAL_BUTTON = "use the Appeal button"


def for_platform(
    text: str,
    *,
    policy_command: str,
    branch_command: str = BRANCH_BUTTON,
    appeal_command: str = APPEAL_BUTTON,
) -> str:
    """A fixed text with the platform's ways of showing the criteria, branching and appealing."""
    return (
        text.replace(POLICY_HINT, policy_command)
        .replace(BRANCH_HINT, branch_command)
        .replace(APPEAL_HINT, appeal_command)
    )


def plural(n: int, word: str, many: str = "") -> str:
    """`1 turn`, `2 turns`: a count with its noun in the right number."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def warning(category: str, *, clear_after: int = 3) -> str:
    """The plain warning that comes with the last redirect before a lock: the rule as applied.

    The thread stays warned until `clear_after` ordinary messages in a row take a strike away;
    ordinary messages in between do not reset it, and only the warned person's next such request
    closes the thread.
    """
    return (
        f"Please note: this thread has had several requests for {CATEGORY_WORDS[category]} that "
        "I can't help with. If you send another request like that in this thread, it will be "
        "closed and the moderators notified, even if other messages come in between. "
        f"{clear_after} ordinary message{'s' if clear_after != 1 else ''} in a row take the "
        "warning away. You're welcome to keep going with something else."
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
        f"- To ask them to reopen it, appeal: {APPEAL_HINT}.\n"
        f"- The criteria are published: see {POLICY_HINT}."
    )


def moderator_lock_notice(reason: str) -> str:
    """What the user reads when a moderator closes their thread; `reason` is the moderator's."""
    return (
        "A moderator has closed this thread.\n"
        f"- Their reason: {reason}\n"
        "- Only this thread is closed: your other threads are not affected.\n"
        "- You can start a fresh thread at any time by mentioning me in the channel.\n"
        f"- If you think this was a mistake, appeal: {APPEAL_HINT}.\n"
        f"- The criteria are published: see {POLICY_HINT}."
    )


def thread_closed(status: str) -> str:
    """The reminder for someone who writes in a closed thread: what they can still do."""
    if status == "ended":
        return (
            "This thread was ended at your request. You can start a fresh thread by mentioning "
            "me in the channel."
        )
    return (
        "This thread is closed, so I won't read messages here. You can start a fresh thread by "
        f"mentioning me in the channel, or ask the moderators to reopen this one: {APPEAL_HINT}."
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
NOT_CLOSED_UPHOLD = (
    "That thread is open (a moderator may have reopened it), so there is no closing to uphold."
)
NO_CLOSING = "I found no closing of that thread to review."
NEEDS_CASE = "Please give the case number."
NEEDS_NOTE = "Please write the note's text."
NEEDS_USER = "Please name the user to pardon."
NEEDS_REASON = "Please give a reason: the user reads it in the notice."
NEEDS_THREAD = "Please name the thread (or use this inside it)."
NOT_HOSTED = "That is not a thread I host."
ALREADY_CLOSED = "That thread is already closed."
USE_UNLOCK_OR_UPHOLD = (
    "That thread is still closed: answer with Unlock or Uphold, so the user hears the outcome "
    "and the review counts in the reversal rate."
)
#: The assistant pane's chat title once the core closed the chat, and once a moderator reopened
#: it (the pane's history lists chats by title).
PANE_CLOSED_TITLE = "Closed: start a new chat to carry on"
PANE_REOPENED_TITLE = "Reopened by a moderator"


def no_such_case(number: int) -> str:
    """A moderator named a case that does not exist here."""
    return f"There is no case #{number} here."


def already_resolved(number: int, by: str) -> str:
    """A moderator tried to move a case that is already resolved."""
    return f"Case #{number} is already resolved" + (f" (by {by})." if by else ".")


def already_acknowledged(number: int, by: str) -> str:
    """A moderator acknowledged a case someone has already taken up."""
    return f"Case #{number} is already acknowledged" + (f" by {by}." if by else ".")


def not_for_review(number: int) -> str:
    """A moderator tried to acknowledge or resolve a case that is only a record."""
    return f"Case #{number} is a record of something done; it does not wait for review."


THREAD_CLOSED = thread_closed("locked")
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
    "right now, but you don't have to face this alone: the services posted above in this thread "
    "are there to help, right now."
)
OFFLINE_SUPPORT_OTHERS = (
    "I'm running offline and can't talk properly right now. If someone is in danger, please call "
    "your local emergency number now. If you feel you might hurt someone, the services posted "
    "above in this thread can help you talk it through, right now."
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
        "plain warning. If the warned person sends another such request in that thread, the "
        "thread is closed, even if other messages came in between."
        + (f"\n   Some categories have their own limit:{lower}" if lower else "")
        + "\n"
        f"3. {plural(benign_turns_to_clear_strike, 'ordinary message')} in a row clear one earlier "
        "request, and take a warning away.\n"
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


def appeal_unlocked(reason: str = "") -> str:
    """The appellant hears that the thread was reopened, and the moderator's reason if given."""
    return _outcome(
        "The moderators reviewed your appeal and reopened the thread.",
        reason,
        "You can carry on there.",
    )


def appeal_upheld(reason: str = "") -> str:
    """The appellant hears that the closing stands, and the moderator's reason if given."""
    return _outcome(
        "The moderators reviewed your appeal and kept the thread closed.",
        reason,
        "You can still start a fresh thread at any time.",
    )


def _outcome(head: str, reason: str, tail: str) -> str:
    reason = " ".join(reason.split())
    return f"{head}\nTheir reason: {reason}\n{tail}" if reason else f"{head} {tail}"


#: The outcomes when the moderator gave no reason.
APPEAL_UNLOCKED = appeal_unlocked()
APPEAL_UPHELD = appeal_upheld()


def thread_status(
    *,
    status: str,
    strikes: int,
    redirects_before_lock: int,
    turns: int,
    benign_streak: int = 0,
    clear_after: int = 3,
    pending_end: bool = False,
    category_limits: bool = False,
    closed_by_moderator: bool = False,
) -> str:
    """What `/status` says: the thread's state and the advice that is true in that state."""
    n = redirects_before_lock
    if status == "warned":
        state = (
            "This thread has had a warning: one more request like the redirected ones, from the "
            "person who was warned, closes it. "
            f"{plural(clear_after, 'ordinary message')} in a row take the warning away "
            f"({benign_streak} so far)."
        )
    elif status == "locked":
        who = (
            "A moderator closed this thread." if closed_by_moderator else ("This thread is closed.")
        )
        state = (
            f"{who} You can start a fresh thread by mentioning me in the channel, or ask the "
            f"moderators to reopen this one: {APPEAL_HINT}."
        )
    elif status == "ended":
        state = "This thread was ended at the user's request."
    elif strikes == 0:
        state = "This thread is open. No request has been redirected."
    elif strikes >= n - 1:
        state = (
            f"This thread is open. {plural(strikes, 'request')} redirected so far: the next one "
            "comes with a warning."
        )
    else:
        fewer = f" (sooner for some categories: see {POLICY_HINT})" if category_limits else ""
        state = (
            f"This thread is open. {plural(strikes, 'request')} redirected so far; a warning "
            f"comes with the {_ordinal(n)}{fewer}."
        )
    tail = f" {plural(turns, 'message')} so far."
    if pending_end:
        tail += " Waiting for an answer to \u201cend this thread?\u201d."
    return state + tail


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
    "you don't have to face this alone: the services posted above in this thread are there to "
    "help, right now."
)
SUPPORT_FALLBACK_OTHERS = (
    "I couldn't write a proper reply just now. If someone is in danger, please call your local "
    "emergency number now. If you feel you might hurt someone, the services posted above in "
    "this thread can help you talk it through."
)


def resources_pointer(posted_at: str) -> str:
    """Said instead of posting the crisis resources again inside their cooldown."""
    return (
        f"The crisis resources I posted earlier in this thread (at {posted_at} UTC) are still "
        "there: scroll up to find them. If you or someone else is in immediate danger, call your "
        "local emergency number now."
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
BRANCH_CLOSED_BY_MODERATOR = (
    "A moderator closed that thread, so it cannot be continued; you can appeal, or start a fresh "
    "thread by mentioning me in the channel."
)
