"""The published criteria, filled in from the live settings.

The words are in `notices` (every user-facing text in one reviewed place); this fills in the
numbers from the policy settings, so the criteria a user reads never drift from the ones applied.
It sits below both `app` (which gives the criteria to the reply model's system prompt) and
`runtime` (which shows them to users on request), so neither reaches up to the other for them.
"""

from __future__ import annotations

import logging

from bot import notices
from bot.config import Settings

log = logging.getLogger(__name__)


def policy_text(settings: Settings) -> str:
    """The published criteria, from the live settings."""
    p = settings.policy
    return notices.policy_text(
        redirects_before_lock=p.redirects_before_lock,
        category_redirects=dict(p.category_redirects),
        benign_turns_to_clear_strike=p.benign_turns_to_clear_strike,
        crisis_window_hours=p.crisis_window.total_seconds() / 3600,
    )
