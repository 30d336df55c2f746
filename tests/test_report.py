"""The HTML report: the right figures, self-contained, and rendered by a real headless browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import report
from bot.config import DEFAULT_PRICES, DEFAULT_REPLY_MODEL
from bot.records import Case, ThreadRef
from bot.store.base import UsageRow

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
        case(1, "lock", 0, category="violent_crimes"),
        case(2, "lock", 1, category="violent_crimes", user="u2"),
        case(3, "repeat_locks", 1, user="u2"),
        case(4, "crisis", 2, priority=True, category="self_harm"),
        case(5, "unlock", 3, refers_to=1),
        case(6, "uphold", 3, refers_to=2),
    ]
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
        until=T0 + timedelta(days=6),
        title="Test <community>",
    )


def test_report_figures_and_escaping() -> None:
    """Cards, reversal figures, categories and costs are right; text escaped; nothing external."""
    html = page()
    assert "Test &lt;community&gt;" in html
    assert "<b>6</b>cases" in html and "<b>2</b>threads locked" in html
    assert "<b>50%</b>locks reversed by moderators" in html and "<b>1</b>crisis alerts" in html
    assert "2 locks; 2 reviewed: 1 reversed, 1 upheld." in html
    assert "help with violent crime</td><td class=n>2" in html
    assert html.count("<rect") == 6  # one bar segment per case kind per day
    assert not re.search(r"(src|href)=\"https?://", html)  # self-contained


def browser() -> str | None:
    """Debian's chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_a_headless_browser(tmp_path: Path) -> None:
    """Chromium loads the page, builds the chart and takes a screenshot of it."""
    exe = browser()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    target = tmp_path / "report.html"
    target.write_text(page(), encoding="utf-8")
    common = [exe, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*common, "--dump-dom", target.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "<svg" in dom and dom.count("<rect") == 6 and "locks reversed by moderators" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1000,1400", target.as_uri()],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shot.stat().st_size > 10_000
