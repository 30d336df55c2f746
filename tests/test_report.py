"""The HTML report: the right figures, self-contained, and rendered by a real headless browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import report
from bot.config import DEFAULT_PRICES, DEFAULT_REPLY_MODEL
from bot.modlog import TITLES
from bot.records import CASE_KINDS, Case, ThreadRef
from bot.store.base import UsageRow

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 1, tzinfo=UTC)
REF = ThreadRef(platform="p", workspace="w", channel="c", thread="t")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def case(number: int, kind: str, day: int, **kw: object) -> Case:
    """A case on day `day` of the period."""
    return Case(
        number=number,
        kind=kind,
        workspace="w",
        user_id=str(kw.pop("user", "u1")),  # type: ignore[arg-type]
        actor="bot",
        created_at=T0 + timedelta(days=day, hours=1),
        thread=REF,
        **kw,
    )  # type: ignore[arg-type]


def page() -> str:
    """A report over a week with locks, a reversal, a crisis and model usage."""
    cases = [
        case(1, "lock", 0, category="violent_crimes", status="resolved", status_by="m1"),
        case(2, "lock", 1, category="violent_crimes", user="u2", status="resolved"),
        case(3, "repeat_locks", 1, user="u2"),
        case(4, "crisis", 2, priority=True, category="self_harm", signals=3),
        case(5, "unlock", 3, refers_to=1, status="resolved"),
        case(6, "uphold", 3, refers_to=2, status="resolved"),
    ]
    return render_page(cases)


def render_page(cases: list[Case], *, days: int = 6) -> str:
    """The report over `days` days for these cases, with three days of model usage."""
    usage = [
        UsageRow(
            thread_key="p:w:c:t",
            at=T0 + timedelta(days=d),
            usage={
                "reply": {
                    "model": DEFAULT_REPLY_MODEL,
                    "input_tokens": 1000,
                    "output_tokens": 200,
                    "cache_read_input_tokens": 9000,
                    "cache_creation_input_tokens": 0,
                }
            },
        )
        for d in range(3)
    ]
    return report.render(
        cases=cases,
        usage=usage,
        prices=DEFAULT_PRICES,
        since=T0,
        until=T0 + timedelta(days=days),
        title="Test <community>",
    )


def every_kind() -> list[Case]:
    """Twenty cases of every kind over the week, some waiting, some resolved."""
    kinds = [*CASE_KINDS, "lock", "appeal", "branch", "crisis", "note", "lock", "end"]
    cases = []
    for n, kind in enumerate(kinds[:20], start=1):
        waits = kind in ("lock", "appeal", "crisis", "harmful_in_crisis", "repeat_locks")
        cases.append(
            case(
                n,
                kind,
                n % 6,
                status="open" if waits and n % 2 else "resolved",
                priority=kind in ("crisis", "harmful_in_crisis"),
                excerpts=("please reopen, it was homework",) if kind == "appeal" else (),
                category="hate" if kind == "lock" and n > 13 else "none",
            )
        )
    return cases


def test_report_figures_and_escaping() -> None:
    """Cards, reversal figures, categories and costs are right; text escaped; nothing external."""
    html = page()
    assert "Test &lt;community&gt;" in html
    assert "<b>6</b>cases" in html and "<b>2</b>threads locked" in html
    assert "<b>50%</b>locks reversed by moderators" in html and "<b>1</b>crisis alerts" in html
    assert "<b>2</b>waiting for a moderator" in html
    assert "2 locks; 2 reviewed: 1 reversed, 1 upheld." in html
    assert "help with violent crime</td><td class=n>2" in html
    assert html.count("<rect") == 6  # one bar segment per case kind per day
    assert not re.search(r"(src|href)=\"https?://", html)  # self-contained


def test_the_chart_counts_every_case_of_every_kind() -> None:
    """Twenty cases of all kinds make bars that add up to twenty, each kind in the legend."""
    cases = every_kind()
    html = render_page(cases)
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', html)]
    assert sum(counts) == len(cases) == 20
    drawn = set(re.findall(r'data-kind="([a-z_]+)"', html))
    assert drawn == set(CASE_KINDS)
    legend = html.split('<div class="legend">')[1].split("</div>")[0]
    assert all(TITLES[k].replace("'", "&#x27;") in legend for k in CASE_KINDS)


def test_the_queue_the_waiting_appeals_and_the_rate_per_category() -> None:
    """Sections list what waits (priority first), the appeals waiting, and each category's rate."""
    cases = [
        case(1, "lock", 0, category="violent_crimes", status="resolved"),
        case(2, "appeal", 1, refers_to=1, excerpts=("it was <homework>",)),
        case(3, "crisis", 2, priority=True, signals=4, status="acknowledged", status_by="m1"),
        case(4, "lock", 3, category="hate"),
        case(5, "uphold", 4, refers_to=1, status="resolved"),
    ]
    html = render_page(cases)
    queue = html.split('<table id="queue">')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td class=n>(\d+)</td>", queue)
    assert rows == ["3", "2", "4"]  # priority first, then oldest first
    assert "acknowledged by m1" in queue and "<td class=n>4</td>" in queue
    appeals = html.split('<table id="appeals">')[1].split("</table>")[0]
    assert "it was &lt;homework&gt;" in appeals and "<td>#1</td>" in appeals
    by_category = html.split('<table id="reversals">')[1].split("</table>")[0]
    assert "help with violent crime</td><td class=n>1</td><td class=n>1</td>" in by_category
    assert "<td class=n>0%</td>" in by_category
    assert "hateful content</td><td class=n>1</td><td class=n>0</td>" in by_category
    empty = render_page([case(1, "note", 0, status="resolved")])
    assert "nothing waits for a moderator" in empty and "no appeal is waiting" in empty


def browser() -> str | None:
    """Debian's chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


#: Run in the browser over a copy of the page: how much each date label sticks out of the chart.
MEASURE = """<script>
const svg = document.querySelector("svg").getBoundingClientRect();
const out = [...document.querySelectorAll("text.axis")].map(t => {
  const r = t.getBoundingClientRect();
  return Math.max(svg.left - r.left, r.right - svg.right, 0);
});
const pre = document.createElement("pre");
pre.id = "measure";
pre.textContent = JSON.stringify({labels: out.length, worst: Math.max(0, ...out)});
document.body.append(pre);
</script>"""


def test_report_renders_in_a_headless_browser(tmp_path: Path) -> None:
    """Chromium loads the page, draws every case's bar, keeps every date label inside the chart,
    and takes a screenshot of it."""
    exe = browser()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    cases = every_kind()
    # A month: a label every third day, the last one under the chart's last bar.
    shown_page = render_page(cases, days=30)
    target = tmp_path / "report.html"
    target.write_text(shown_page, encoding="utf-8")
    measured = tmp_path / "measured.html"
    measured.write_text(shown_page.replace("</body>", MEASURE + "</body>"), "utf-8")
    common = [exe, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]

    def dom(page: Path) -> str:
        return subprocess.run(
            [*common, "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    shown = dom(target)
    assert "<svg" in shown and "locks reversed by moderators" in shown
    assert sum(int(n) for n in re.findall(r'data-count="(\d+)"', shown)) == 20
    assert "The review queue" in shown and "Appeals waiting" in shown
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom(measured))
    assert found is not None, "the measuring script did not run"
    figures = json.loads(found.group(1))
    assert figures["labels"] == 11 and figures["worst"] == 0  # no date label is clipped
    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1000,1400", target.as_uri()],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shot.stat().st_size > 10_000


def test_cases_and_the_report_agree_on_the_reversal_rate(tmp_path: Path) -> None:
    """For one store, `cases` and `report` give the same reversal rate, overall and by category."""
    db = tmp_path / "q.db"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}

    def cli(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args, "--store", str(db)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout

    cli("replay", str(ROOT / "examples" / "moderator_queue.jsonl"))
    listed = cli("cases")
    assert listed.startswith("0 cases waiting for review")
    rate = re.search(r"reversal rate (\d+%)", listed)
    assert rate is not None and rate.group(1) == "50%"
    out = tmp_path / "r.html"
    cli("report", "--since", "100000d", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert f"<b>{rate.group(1)}</b>locks reversed by moderators" in page
    assert "weapons capable of mass casualties: 2 locks, 2 reviewed, reversal rate 50%" in listed
    assert (
        "weapons capable of mass casualties</td><td class=n>2</td><td class=n>2</td>"
        "<td class=n>1</td><td class=n>50%</td>" in page
    )
