"""Limits every process counts against together: the per-user message rate and the day's tokens.

With N processes each counting in its own memory, a user could send N times the rate and a
thread spend N times its budget. Here the database keeps the counts, and each check is one atomic
statement on one row (an upsert whose `ON CONFLICT DO UPDATE` holds that row's lock), so two
processes checking the same user at the same moment are serialised by PostgreSQL itself and see
each other's counts; nothing else waits.

- `rate_windows`: a user's message times in the last minute (`hits`), when they were last told to
  slow down (`told_at`), and the verdict of the latest check, which the upsert computes from the
  row as it was and returns. The same rule as `bot.limits.RateLimiter`, over the same clock: the
  runtime's, so replays and tests control time.
- `token_budgets`: tokens per (UTC day, thread key) and per (day, workspace), and whether the
  thread has been told its budget is spent (`told`, set once across all processes).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot.store.postgres.connection import PostgresBase, clean, time_value
from bot.store.postgres.driver import Conn, count

log = logging.getLogger(__name__)

#: A rate window: the minute of "messages per minute" (bot.limits.WINDOW, one layer up).
WINDOW = timedelta(minutes=1)

#: One message by $1 at $2 against $4 a minute ($3 the window): the old row decides the verdict.
COUNT_MESSAGE = """
INSERT INTO rate_windows AS r (key, hits, told_at, verdict, last_at)
VALUES ($1, ARRAY[$2::timestamptz], NULL, 'ok', $2)
ON CONFLICT (key) DO UPDATE SET
    verdict = CASE
        WHEN (SELECT count(*) FROM unnest(r.hits) h WHERE h > $2 - $3::interval) < $4 THEN 'ok'
        WHEN r.told_at IS NOT NULL AND r.told_at > $2 - $3::interval THEN 'drop'
        ELSE 'slow_down'
    END,
    hits = CASE
        WHEN (SELECT count(*) FROM unnest(r.hits) h WHERE h > $2 - $3::interval) < $4
        THEN ARRAY(SELECT h FROM unnest(r.hits) h WHERE h > $2 - $3::interval ORDER BY h)
            || $2::timestamptz
        ELSE ARRAY(SELECT h FROM unnest(r.hits) h WHERE h > $2 - $3::interval ORDER BY h)
    END,
    told_at = CASE
        WHEN (SELECT count(*) FROM unnest(r.hits) h WHERE h > $2 - $3::interval) < $4
        THEN r.told_at
        WHEN r.told_at IS NOT NULL AND r.told_at > $2 - $3::interval THEN r.told_at
        ELSE $2
    END,
    last_at = GREATEST(r.last_at, $2)
RETURNING verdict
"""
#: $4 tokens added to day $1 of thread $2 and workspace $3 (always in this order: no deadlock).
ADD_TOKENS = """
INSERT INTO token_budgets (day, scope, tokens) VALUES ($1, $2, $4), ($1, $3, $4)
ON CONFLICT (day, scope) DO UPDATE SET tokens = token_budgets.tokens + EXCLUDED.tokens
"""
TOKENS_SPENT = "SELECT scope, tokens FROM token_budgets WHERE day = $1 AND scope = ANY($2::text[])"
#: A row back only for the first caller of the day: it inserted the flag or turned it on.
FIRST_NOTICE = """
INSERT INTO token_budgets (day, scope, tokens, told) VALUES ($1, $2, 0, true)
ON CONFLICT (day, scope) DO UPDATE SET told = true WHERE NOT token_budgets.told
RETURNING 1
"""
#: Counters need not wait for the disk: a count lost with a crash of the database server costs a
#: message or two of rate, while the flush would cost every check a WAL sync. Decisions, cases
#: and the audit log are committed as ever (this setting lasts for the one transaction).
NO_FLUSH = "SET LOCAL synchronous_commit TO OFF"
PRUNE_RATES = "DELETE FROM rate_windows WHERE last_at < $1"
PRUNE_TOKENS = "DELETE FROM token_budgets WHERE day < $1"


class PostgresLimits(PostgresBase):
    """The SharedLimits protocol: rate windows and token budgets kept in the database."""

    async def count_message(self, key: str, *, at: datetime, per_minute: int) -> str:
        """One message by `key` at `at`: "ok", "slow_down" or "drop" (see RateLimiter.check)."""
        if per_minute <= 0:
            return "ok"
        when = time_value(at)

        async def write(conn: Conn) -> str:
            await conn.execute(NO_FLUSH)
            return str(await conn.fetchval(COUNT_MESSAGE, clean(key), when, WINDOW, per_minute))

        return await self._write("count a message against the rate limit", write, retries=3)

    async def add_tokens(self, *, day: date, thread_key: str, workspace: str, tokens: int) -> None:
        """Add `tokens` to the day's count of the thread and of its workspace."""
        if tokens <= 0:
            return

        async def write(conn: Conn) -> None:
            await conn.execute(NO_FLUSH)
            await conn.execute(ADD_TOKENS, day, clean(thread_key), clean(workspace), tokens)

        await self._write("count tokens against the day's budget", write, retries=3)

    async def tokens_spent(self, *, day: date, thread_key: str, workspace: str) -> tuple[int, int]:
        """The day's tokens of the thread and of its workspace so far."""
        thread_key, workspace = clean(thread_key), clean(workspace)

        async def read(conn: Conn) -> dict[str, int]:
            rows = await conn.fetch(TOKENS_SPENT, day, [thread_key, workspace])
            return {str(r["scope"]): int(r["tokens"]) for r in rows}

        spent = await self._read("read the day's token counts", read)
        return spent.get(thread_key, 0), spent.get(workspace, 0)

    async def first_budget_notice(self, *, day: date, thread_key: str) -> bool:
        """True exactly once per thread and day, whichever process asks first."""

        async def write(conn: Conn) -> bool:
            return await conn.fetchval(FIRST_NOTICE, day, clean(thread_key)) is not None

        return await self._write("note the budget notice", write, retries=3)

    async def prune_limits(self, *, before: datetime) -> int:
        """Forget rate windows idle since `before` and token counts of days before its date."""
        when = time_value(before)

        async def write(conn: Conn) -> int:
            rates = count(await conn.execute(PRUNE_RATES, when - WINDOW))
            return rates + count(await conn.execute(PRUNE_TOKENS, when.date()))

        return await self._write("prune old limit counters", write)
