"""The moderation ladder: a pure function from (state, signals, config, now) to a decision.

Nothing here awaits, reads a clock or touches storage, so every rule is a table-driven test and the
invariants are property tests (tests/test_policy_properties.py). The runtime is the only caller.

The package holds:

- `ladder`: one user turn (`precheck`, `decide`, `after_reply`) and the questions it asks of a
  thread's state (`new_thread`, `is_closed`, `in_crisis_window`);
- `requests`: what a user asks outside a turn (`confirm` an end, `appeal` a closing, `branch`);
- `crisis`: the crisis rung (risk wins; one thread's crisis is one case, updated in place);
- `moderation`: a moderator's command (`moderate`): close, unlock, uphold, acknowledge, resolve,
  note, pardon.

Callers use the names re-exported here (`from bot import policy; policy.decide(...)`).

A thread's states (keep in sync with `decide` and `moderate`):

                 harmful, strikes < N-1            benign x K (a strike cleared)
                 ┌──────────┐                    ┌───────────────────────────────┐
                 v          │                    │                               │
    (mention) ─> open ──────┴─ harmful, strikes = N-1 ─> warned ─ harmful ─> locked
                 │  ^                                    │  (outside crisis window)  │
                 │  └──────────── moderator unlock ───────┼───────────────────────────┘
                 │                                       │
                 └─ end request ─> (pending) ─ "yes" ─> ended <─ "yes" ─┘

    risk (screen or classifier), in any open state: supportive reply + crisis resources (cooldown;
    a pointer back to them in between) + a priority case; never a strike, never a lock. For
    `crisis_window` after the last risk signal, harmful turns are redirected and counted but never
    lock; later signals join the thread's one unresolved priority case (see `crisis`).
    A moderator may close an open or warned thread at any time (locked, with their reason).
    locked / ended: every message is ignored and the model is never called.

N is `redirects_before_lock` (or the category's own). A category whose N is 0 locks on its first
harmful turn with no warning: an operator's explicit choice for the gravest categories.
"""

from bot.policy.ladder import after_reply, decide, in_crisis_window, is_closed, new_thread, precheck
from bot.policy.moderation import moderate
from bot.policy.requests import MAX_APPEALS_PER_DAY, appeal, branch, confirm
from bot.records import Decision

__all__ = [
    "MAX_APPEALS_PER_DAY",
    "Decision",
    "after_reply",
    "appeal",
    "branch",
    "confirm",
    "decide",
    "in_crisis_window",
    "is_closed",
    "moderate",
    "new_thread",
    "precheck",
]
