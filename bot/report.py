"""One self-contained HTML page about a period: what the moderators and the operator need to see.

Cases per day by type (an inline SVG chart of every case kind: no script, no external file, opens
anywhere and can be mailed), the review queue as it stands and the appeals waiting in it, locks
and how often moderators reversed them (overall and per category, computed by `bot.review` as
`cases` computes them), crisis alerts, users whose threads keep getting locked, the top categories,
and tokens and cost per day. Pure: data in, HTML out.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from bot.config import Price
from bot.modlog import TITLES
from bot.records import CASE_KINDS, CATEGORY_WORDS, Case
from bot.review import age, queue, reversals, reversals_by_category, state_words, waiting_appeals
from bot.stats import tally
from bot.store.base import UsageRow

#: Colours for the case kinds in the chart (colour-blind-safe palette, Okabe-Ito).
COLOURS = {
    "lock": "#D55E00",
    "crisis": "#CC79A7",
    "harmful_in_crisis": "#E69F00",
    "repeat_locks": "#0072B2",
    "end": "#56B4E9",
    "unlock": "#009E73",
    "uphold": "#F0E442",
    "note": "#999999",
    "pardon": "#000000",
    "delivery_failure": "#7F3C8D",
    "appeal": "#882255",
    "branch": "#44AA99",
    "mod_lock": "#332288",
}
#: A kind added later without a colour of its own still gets a bar.
OTHER_COLOUR = "#BBBBBB"

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.muted { color: #666; } .cards { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 0.7rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 0.3rem 0.5rem;
border-bottom: 1px solid #eee; } th { font-weight: 600; } td.n { text-align: right; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; }
"""


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _colour(kind: str) -> str:
    return COLOURS.get(kind, OTHER_COLOUR)


#: The chart's size and margins: the left margin holds the count, the bottom one the dates, and
#: the right one half a label, so the last date is never cut off.
WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM = 900, 240, 30, 30, 40


def chart(cases: Sequence[Case], *, start: date, end: date) -> str:
    """Cases per day, stacked by kind (every kind), as inline SVG."""
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for c in cases:
        per_day[c.created_at.date()][c.kind] += 1
    days = _days(start, end)
    order = [*CASE_KINDS, *sorted({c.kind for c in cases} - set(CASE_KINDS))]
    kinds = [k for k in order if any(per_day[d][k] for d in days)]
    top = max([sum(per_day[d].values()) for d in days] + [1])
    plot = WIDTH - LEFT - RIGHT
    step = plot / max(len(days), 1)
    bar = max(step - 2, 1)
    label_every = max(1, -(-len(days) // 12))  # about a dozen date labels, whatever the period
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT + BOTTOM}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT + BOTTOM}" role="img" aria-label="Cases per day by type">',
        f'<line x1="{LEFT}" y1="{HEIGHT}" x2="{WIDTH - RIGHT}" y2="{HEIGHT}" stroke="#999"/>',
        f'<text x="{LEFT - 4}" y="12" font-size="11" fill="#666" text-anchor="end">{top}</text>',
    ]
    for i, d in enumerate(days):
        x = LEFT + i * step
        y = float(HEIGHT)
        for k in kinds:
            n = per_day[d][k]
            if not n:
                continue
            h = n / top * (HEIGHT - 20)
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{_colour(k)}" data-kind="{html.escape(k)}" data-count="{n}">'
                f"<title>{d.isoformat()}: {n} of {html.escape(TITLES.get(k, k))}</title></rect>"
            )
        if i % label_every == 0:
            # Centred under its bar; the margins leave room for half a label on either side.
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT + 14}" font-size="10" fill="#666" '
                f'text-anchor="middle" class="axis">{d.strftime("%d %b")}</text>'
            )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i style="background:{_colour(k)}"></i>{html.escape(TITLES.get(k, k))}</span>'
        for k in kinds
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _queue_rows(cases: Sequence[Case], now: datetime) -> str:
    rows = "".join(
        f"<tr><td class=n>{c.number}</td><td>{'&#9888; ' if c.priority else ''}"
        f"{html.escape(TITLES.get(c.kind, c.kind))}</td><td>{html.escape(c.user_id)}</td>"
        f"<td class=n>{c.signals}</td><td>{html.escape(age(c, now))}</td>"
        f"<td>{html.escape(state_words(c))}</td></tr>"
        for c in queue(cases)
    )
    return rows or "<tr><td colspan=6 class=muted>nothing waits for a moderator</td></tr>"


def _appeal_rows(cases: Sequence[Case], now: datetime) -> str:
    rows = "".join(
        f"<tr><td class=n>{c.number}</td><td>{html.escape(c.user_id)}</td>"
        f"<td>{'#' + str(c.refers_to) if c.refers_to is not None else '-'}</td>"
        f"<td>{html.escape(c.excerpts[0] if c.excerpts else '')}</td>"
        f"<td>{html.escape(age(c, now))}</td></tr>"
        for c in waiting_appeals(cases)
    )
    return rows or "<tr><td colspan=5 class=muted>no appeal is waiting</td></tr>"


def _category_rows(cases: Sequence[Case]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(CATEGORY_WORDS.get(cat, cat))}</td><td class=n>{r.locks}</td>"
        f"<td class=n>{r.reviewed}</td><td class=n>{r.reversed}</td>"
        f"<td class=n>{'-' if r.rate is None else f'{r.rate:.0%}'}</td></tr>"
        for cat, r in reversals_by_category(cases).items()
    )
    return rows or "<tr><td colspan=5 class=muted>no locks</td></tr>"


def render(
    *,
    cases: Sequence[Case],
    usage: Sequence[UsageRow],
    prices: Mapping[str, Price],
    since: datetime,
    until: datetime,
    title: str = "threadkeeper report",
) -> str:
    """The whole page."""
    in_period = [c for c in cases if since <= c.created_at <= until]
    rev = reversals(cases)  # reviews may come after the period's locks; count them all
    crisis = sum(1 for c in in_period if c.kind == "crisis")
    repeat_users = Counter(c.user_id for c in in_period if c.kind == "repeat_locks")
    categories = Counter(
        c.category for c in in_period if c.kind in ("lock", "harmful_in_crisis") and c.category
    )
    by_day, _ = tally([u for u in usage if since <= u.at <= until], prices)
    tokens = sum(sum(t.tokens.values()) for t in by_day.values())
    cost = sum(t.cost for t in by_day.values())
    rate = "no reviews yet" if rev.rate is None else f"{rev.rate:.0%}"
    waiting = queue(cases)

    def card(label: str, value: str) -> str:
        return f'<div class="card"><b>{html.escape(value)}</b>{html.escape(label)}</div>'

    cards = "".join(
        [
            card("cases", str(len(in_period))),
            card("waiting for a moderator", str(len(waiting))),
            card("threads locked", str(sum(1 for c in in_period if c.kind == "lock"))),
            card("locks reversed by moderators", rate),
            card("crisis alerts", str(crisis)),
            card("users with repeated locks", str(len(repeat_users))),
            card("model tokens", f"{tokens:,}"),
            card("model cost (USD)", f"{cost:,.2f}"),
        ]
    )
    cat_rows = (
        "".join(
            f"<tr><td>{html.escape(CATEGORY_WORDS.get(c, c))}</td><td class=n>{n}</td></tr>"
            for c, n in categories.most_common(10)
        )
        or "<tr><td colspan=2 class=muted>none</td></tr>"
    )
    user_rows = (
        "".join(
            f"<tr><td>{html.escape(u)}</td><td class=n>{n}</td></tr>"
            for u, n in repeat_users.most_common(20)
        )
        or "<tr><td colspan=2 class=muted>none</td></tr>"
    )
    cost_rows = (
        "".join(
            f"<tr><td>{html.escape(d)}</td><td class=n>{t.calls}</td>"
            f"<td class=n>{sum(t.tokens.values()):,}</td><td class=n>{t.read_share:.0%}</td>"
            f"<td class=n>{t.cost:.4f}</td></tr>"
            for d, t in sorted(by_day.items())
        )
        or "<tr><td colspan=5 class=muted>no model calls</td></tr>"
    )
    review_line = (
        f"{rev.locks} locks; {rev.reviewed} reviewed: {rev.reversed} reversed, {rev.upheld} upheld."
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="muted">{since.date().isoformat()} to {until.date().isoformat()} (UTC)</p>
<div class="cards">{cards}</div>
<h2>Cases per day</h2>
{chart(in_period, start=since.date(), end=until.date())}
<h2>The review queue</h2>
<p class="muted">Every case still waiting for a moderator, priority first (as of
{until.strftime("%Y-%m-%d %H:%M")} UTC).</p>
<table id="queue"><tr><th>#</th><th>case</th><th>user id</th><th>signals</th><th>waiting</th>
<th>state</th></tr>{_queue_rows(cases, until)}</table>
<h2>Appeals waiting</h2>
<table id="appeals"><tr><th>#</th><th>user id</th><th>closing</th><th>statement</th>
<th>waiting</th></tr>{_appeal_rows(cases, until)}</table>
<h2>Locks and reviews</h2>
<p>{html.escape(review_line)} The share of reviewed locks that moderators reversed is the
bot's false-positive measure.</p>
<table id="reversals"><tr><th>category</th><th>locks</th><th>reviewed</th><th>reversed</th>
<th>reversal rate</th></tr>{_category_rows(cases)}</table>
<h2>Top categories of locked and escalated turns</h2>
<table><tr><th>category</th><th>turns</th></tr>{cat_rows}</table>
<h2>Users whose threads were locked repeatedly</h2>
<table><tr><th>user id</th><th>alerts</th></tr>{user_rows}</table>
<h2>Model tokens and cost per day</h2>
<table><tr><th>day</th><th>calls</th><th>tokens</th><th>read from cache</th><th>cost (USD)</th></tr>
{cost_rows}</table>
</body></html>
"""
