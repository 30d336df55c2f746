"""One self-contained HTML page about a period: what the moderators and the operator need to see.

Cases per day by type (an inline SVG chart: no script, no external file, opens anywhere and can be
mailed), locks and how often moderators reversed them, crisis alerts, users whose threads keep
getting locked, the top categories, and tokens and cost per day. Pure: data in, HTML out.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from bot.config import Price
from bot.modlog import TITLES
from bot.records import CATEGORY_WORDS, Case
from bot.review import reversals
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
}

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


def chart(cases: Sequence[Case], *, start: date, end: date) -> str:
    """Cases per day, stacked by kind, as inline SVG."""
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for c in cases:
        per_day[c.created_at.date()][c.kind] += 1
    days = _days(start, end)
    kinds = [k for k in COLOURS if any(per_day[d][k] for d in days)]
    top = max([sum(per_day[d].values()) for d in days] + [1])
    width, height, pad = 900, 240, 30
    bar = max((width - pad) / max(len(days), 1) - 2, 1)
    label_every = max(1, -(-len(days) // 12))  # about a dozen date labels, whatever the period
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" '
        f'role="img" aria-label="Cases per day by type">',
        f'<line x1="{pad}" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/>',
        f'<text x="0" y="12" font-size="11" fill="#666">{top}</text>',
    ]
    for i, d in enumerate(days):
        x = pad + i * (bar + 2)
        y = float(height)
        for k in kinds:
            n = per_day[d][k]
            if not n:
                continue
            h = n / top * (height - 20)
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[k]}"><title>{d.isoformat()}: {n} of '
                f"{html.escape(TITLES.get(k, k))}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height + 14}" font-size="10" fill="#666">'
                f"{d.strftime('%d %b')}</text>"
            )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i style="background:{COLOURS[k]}"></i>{html.escape(TITLES.get(k, k))}</span>'
        for k in kinds
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


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

    def card(label: str, value: str) -> str:
        return f'<div class="card"><b>{html.escape(value)}</b>{html.escape(label)}</div>'

    cards = "".join(
        [
            card("cases", str(len(in_period))),
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
<h2>Locks and reviews</h2>
<p>{html.escape(review_line)} The share of reviewed locks that moderators reversed is the
bot's false-positive measure.</p>
<h2>Top categories of locked and escalated turns</h2>
<table><tr><th>category</th><th>turns</th></tr>{cat_rows}</table>
<h2>Users whose threads were locked repeatedly</h2>
<table><tr><th>user id</th><th>alerts</th></tr>{user_rows}</table>
<h2>Model tokens and cost per day</h2>
<table><tr><th>day</th><th>calls</th><th>tokens</th><th>read from cache</th><th>cost (USD)</th></tr>
{cost_rows}</table>
</body></html>
"""
