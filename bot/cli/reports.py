"""`stats`, `cases`, `report` and `export-user`: what the store says, for people to read.

Token use and cost, the review queue with the reversal rate, one HTML page about a period, and
everything held about one user as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import config as config_mod
from bot.cli.common import close_store, parse_since

log = logging.getLogger(__name__)


async def _report(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    from bot import report
    from bot.app import make_store

    since = parse_since(args.since)
    store = await make_store(settings, args.store)
    try:
        cases = await store.cases(limit=1_000_000)
        usage = await store.usage(since=since)
    finally:
        await close_store(store)
    page = report.render(
        cases=cases,
        usage=usage,
        prices=settings.prices,
        since=since,
        until=datetime.now(UTC),
        title=f"{settings.name} report",
    )
    Path(args.out).write_text(page, encoding="utf-8")  # noqa: ASYNC240 (a one-shot CLI)
    print(f"wrote {args.out} ({len(cases)} cases, {len(usage)} turns with model usage)")
    return 0


async def _cases(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    from bot import review
    from bot.app import make_store

    store = await make_store(settings, args.store)
    try:
        # Every kind is read: the reversal rate needs the unlocks and upholds whatever is shown.
        everything = await store.cases(workspace=args.workspace, user_id=args.user, limit=1_000_000)
    finally:
        await close_store(store)
    kinds = set(args.kind)
    picked = [c for c in everything if not kinds or c.kind in kinds]
    shown = picked if args.all else review.queue(picked)
    label = "cases" if args.all else "cases waiting for review"
    print(f"{len(shown)} {label}" + (f" (showing {args.limit})" if len(shown) > args.limit else ""))
    if shown:
        print(review.render_table(shown[: args.limit]))
    print(review.render_reversals(review.reversals(everything)))
    by_category = review.reversals_by_category(everything)
    if by_category:
        print("by category:\n" + review.render_by_category(by_category))
    return 0


async def _export_user(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    """A user's data: the threads they own, the messages they wrote, the cases about them."""
    from bot.app import make_store
    from bot.store.codec import case_to_json, thread_state_to_json

    store = await make_store(settings, args.store)
    try:
        user = args.user_id
        threads = [t for t in await store.threads(limit=1_000_000) if t.owner == user]
        turns = await store.user_turns(user)
        cases = await store.cases(user_id=user, limit=1_000_000)
    finally:
        await close_store(store)
    data = {
        "user_id": user,
        "exported_at": datetime.now(UTC).isoformat(),
        "threads_owned": [thread_state_to_json(t) for t in threads],
        "messages": [
            {
                "thread": t.thread_key,
                "at": t.at.isoformat(),
                "text": t.text or "(purged)",
                "verdict": t.verdict,
                "counted_as_a_strike": t.flagged,
            }
            for t in turns
        ],
        "cases": [case_to_json(c) for c in cases],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")  # noqa: ASYNC240 (one-shot CLI)
        print(f"wrote {args.out}: {len(turns)} messages, {len(cases)} cases", file=sys.stderr)
    else:
        print(text)
    return 0


async def _stats(settings: config_mod.Settings, args: argparse.Namespace) -> int:
    from bot import stats
    from bot.app import make_store

    since = parse_since(args.since) if args.since else None
    store = await make_store(settings, args.store)
    try:
        rows = await store.usage(since=since)
    finally:
        await close_store(store)
    by_day, by_thread = stats.tally(rows, settings.prices)
    print(stats.render(by_day, by_thread))
    return 0
