"""How long work tells a person how far it has got: a callback, silent unless a command gives one.

Replaying a large transcript, copying a store, purging, verifying or exporting the audit log can
take minutes on a big installation. The code doing the work calls `progress(stage, done, total)`
as it goes (`total` None when it is not known); the CLI passes a callback that draws a bar on a
terminal (`bot/cli/bars.py`) and nothing when its output is piped. Nothing here draws or prints.
"""

from __future__ import annotations

from collections.abc import Callable

#: (stage, done so far, total or None): a stage is a short fixed phrase like "verifying the chain".
Progress = Callable[[str, int, int | None], None]

#: Report about every this many records in a long loop (a callback per record would cost more).
EVERY = 500


def silent(stage: str, done: int, total: int | None) -> None:
    """The default: report to nobody."""
