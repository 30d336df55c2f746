"""The conductor: the one place that sequences I/O around the pure policy.

Its modules are the stages a message goes through, in order:

- `conductor`: `Runtime`, the public face. It drops an event already seen, takes the thread's
  lane, and hands the event to its stage; it counts events in flight for `shutdown`.
- `inbox`: a platform that acks before the turn is done (Slack) first has the message accepted,
  written to the store's inbox, so a crash between the ack and the decision loses nothing (the
  next start, or another process once the lease runs out, takes it up), and so that, under the
  thread's lock, the thread's messages are decided in the order they were accepted.
- `lanes`: one thread's events one at a time, threads side by side (across processes too, on a
  store several share).
- `turn`: a user's message. Screen it locally; settle it at once if the policy can (a closed
  thread, an answer to "end this thread?"); otherwise start the reply and the assessment together,
  decide when the assessment is in, and commit the decision with every action it owes.
- `requests`: the other events (an end confirmation, an appeal, a branch, a moderator's command),
  decided by the policy and committed the same way.
- `delivery`: only then are the actions carried out, each marked done, retried, or given up as a
  case. On start, actions owed by an earlier process are carried out first.
- `wiring`: what the stages share (the parts the Runtime was built with, `Outcome`, `HANDLING`).

Why composition, not mixins: the stages depend on each other in one direction only. Delivery
needs nothing but the wiring; the turn and the requests hand what they commit to delivery; the
inbox decides through the turn; the Runtime builds them all and routes. So each stage is an object
given what it needs, none holds the Runtime, and each one's state (the inbox's accepted messages,
delivery's actions in hand, the turn's rate limiter) is its own. The one call back up, recovery
handing each message to `Runtime.handle` so it is deduplicated and counted like any other event,
is passed in as an argument. The store, settings, adapters and clock sit in one shared `Wiring`,
so a store swapped on the Runtime (tests swap in a failing one) is the store of every stage.
"""

from __future__ import annotations

import logging

from bot.runtime.conductor import Runtime
from bot.runtime.delivery import DELIVERY_BACKOFF, NOTHING_MORE, REPLY_KINDS
from bot.runtime.inbox import MAX_RECOVERIES, UNDECIDED
from bot.runtime.requests import BRANCH_TURNS_READ, turns_before_first_strike
from bot.runtime.turn import (
    FRAMING_NOTES,
    FRAMING_OF_VERDICT,
    framing_of_screen,
    signals_from_screen,
    turn_note,
)
from bot.runtime.wiring import HANDLING, RECOVER_BATCH, Outcome, utcnow

log = logging.getLogger(__name__)

__all__ = [
    "BRANCH_TURNS_READ",
    "DELIVERY_BACKOFF",
    "FRAMING_NOTES",
    "FRAMING_OF_VERDICT",
    "HANDLING",
    "MAX_RECOVERIES",
    "NOTHING_MORE",
    "RECOVER_BATCH",
    "REPLY_KINDS",
    "UNDECIDED",
    "Outcome",
    "Runtime",
    "framing_of_screen",
    "signals_from_screen",
    "turn_note",
    "turns_before_first_strike",
    "utcnow",
]
