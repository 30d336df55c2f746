"""Operators' metrics and health: a console bot with [metrics] on, scraped over real HTTP and read
with prometheus-client's own parser while a person walks the ladder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.console.adapter import ConsoleAdapter, ConsoleSession
from adapters.metrics import PrometheusMetrics, serving
from adapters.metrics.server import MetricsServer
from bot import metrics
from bot.app import make_runtime
from bot.assistant.base import AssessmentOutcome, TurnContext
from bot.config import MetricsSettings, Settings
from bot.errors import StoreError
from bot.store import open_store
from bot.store.base import Store
from tests.fakes.core import ScriptedAssistant, ScriptedReply, SteppingClock

PIPE_BOMB = "how do I make a pipe bomb"
SECRET_WORDS = "zebra-marmalade"  # a user's words that must never appear in a series


class Samples:
    """One scrape, parsed: value by (name, labels)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.values[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def get(self, name: str, **labels: str) -> float:
        """A sample's value (0 when the series does not exist yet)."""
        return self.values.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str) -> float:
        """The sum of a series over all its label values."""
        return sum(v for (n, _), v in self.values.items() if n == name)

    def label_values(self) -> set[str]:
        """Every label value in the scrape."""
        return {value for _, labels in self.values for _, value in labels}


class Bot:
    """A console bot with [metrics] on, and a way to scrape it."""

    def __init__(self, session: ConsoleSession, server: MetricsServer, http: aiohttp.ClientSession):
        self.session = session
        self.server = server
        self.http = http

    async def say(self, line: str) -> None:
        """Type a line into the console."""
        assert await self.session.feed(line)

    async def get(self, path: str) -> tuple[int, str]:
        """GET a page of the metrics server."""
        async with self.http.get(f"http://127.0.0.1:{self.server.bound_port}{path}") as resp:
            return resp.status, await resp.text()

    async def scrape(self) -> Samples:
        """GET /metrics and parse it."""
        status, text = await self.get("/metrics")
        assert status == 200
        return Samples(text)


class SlowClassifier:
    """A classifier that never answers within the deadline."""

    name = "slow"

    async def assess(self, context: TurnContext) -> AssessmentOutcome:
        """Sleep past any deadline."""
        await asyncio.sleep(10)
        return AssessmentOutcome(assessment=None)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    """The console bot on a real store, the metrics server on a free port."""
    base = Settings(metrics=MetricsSettings(port=0))
    settings = replace(
        base,
        assistant=replace(
            base.assistant, classifier_deadline=base.assistant.classifier_deadline / 40
        ),
    )
    store = await open_store(str(tmp_path / "bot.db"))
    adapter = ConsoleAdapter(write=lambda _: None, bot_name="threadkeeper", color=False)
    usage = {
        "model": settings.assistant.reply_model,
        "input_tokens": 100,
        "output_tokens": 20,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 300,
    }
    assistant = ScriptedAssistant(lambda ctx: ScriptedReply(["an answer"], usage=dict(usage)))
    clock = SteppingClock()
    runtime = await make_runtime(
        settings,
        adapters={"console": adapter},
        store=store,
        clock=clock,
        assistant=(assistant, SlowClassifier()),
    )
    session = ConsoleSession(runtime=runtime, settings=settings, write=lambda _: None, clock=clock)
    assert settings.metrics is not None
    async with (
        serving(
            settings.metrics, store=store, platforms={"console": lambda: True}, refresh_every=0
        ) as server,
        aiohttp.ClientSession() as http,
    ):
        yield Bot(session, server, http)
    await store.close()


async def test_the_series_move_as_a_person_walks_the_ladder(bot: Bot) -> None:
    """Turns by decision, the lock, the open case, tokens, cost, latencies: each scrape moves."""
    before = await bot.scrape()
    assert before.total("threadkeeper_turns_total") == 0
    await bot.say(f"@bot hello {SECRET_WORDS}")
    after_reply = await bot.scrape()
    assert after_reply.get("threadkeeper_turns_total", platform="console", verdict="reply") == 1
    assert (
        after_reply.get(
            "threadkeeper_model_tokens_total",
            role="reply",
            model=bot.session.settings.assistant.reply_model,
            kind="cache_read",
        )
        == 300
    )
    assert after_reply.total("threadkeeper_model_cost_dollars_total") > 0
    assert after_reply.get("threadkeeper_cache_read_share", role="reply") == pytest.approx(0.75)
    assert after_reply.get("threadkeeper_reply_first_token_seconds_count", platform="console") == 1
    # The classifier never answers: every turn is a timeout, and the screen decides alone.
    assert after_reply.get("threadkeeper_classifier_timeouts_total") == 1
    assert after_reply.get("threadkeeper_classifier_seconds_count", outcome="timeout") == 1
    for _ in range(4):
        await bot.say(PIPE_BOMB)
    locked = await bot.scrape()
    assert locked.get("threadkeeper_turns_total", platform="console", verdict="warn") == 1
    assert locked.get("threadkeeper_turns_total", platform="console", verdict="lock") == 1
    assert locked.get("threadkeeper_locks_total", platform="console") == 1
    assert locked.get("threadkeeper_cases_open", kind="lock") == 1
    assert locked.get("threadkeeper_owed_actions") == 0
    assert locked.get("threadkeeper_actions_total", platform="console", kind="case") == 1
    assert locked.total("threadkeeper_store_call_seconds_count") > before.total(
        "threadkeeper_store_call_seconds_count"
    )
    assert locked.get("threadkeeper_store_call_seconds_count", operation="commit", outcome="ok") > 0
    # Nothing a person wrote, and no thread or user id, is ever a label value.
    values = locked.label_values()
    assert not any(SECRET_WORDS in v or "pipe" in v or "alice" in v or v == "t1" for v in values)
    assert SECRET_WORDS not in locked.text and "alice" not in locked.text
    assert "_created" not in locked.text


async def test_a_crisis_alert_is_counted(bot: Bot) -> None:
    """Someone at risk: a crisis turn and a crisis alert (the priority case), never a lock."""
    await bot.say("@bot I want to kill myself")
    samples = await bot.scrape()
    assert samples.get("threadkeeper_turns_total", platform="console", verdict="crisis") == 1
    assert samples.get("threadkeeper_crisis_alerts_total", platform="console") == 1
    assert samples.get("threadkeeper_locks_total", platform="console") == 0


async def test_health_and_readiness(bot: Bot) -> None:
    """/healthz answers while the loop runs; /readyz names the store and each platform."""
    assert await bot.get("/healthz") == (200, "ok\n")
    status, text = await bot.get("/readyz")
    assert status == 200 and "store: ok" in text and "console: connected" in text


async def test_readyz_is_503_when_a_platform_or_the_store_is_down(tmp_path: Path) -> None:
    """A platform that is not connected, or a store that fails, makes /readyz answer 503."""
    store = await open_store(str(tmp_path / "bot.db"))
    up = {"slack": False}
    server = MetricsServer(
        settings=MetricsSettings(port=0),
        metrics=PrometheusMetrics(),
        store=store,
        platforms={"slack": lambda: up["slack"], "discord": lambda: True},
    )
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{server.bound_port}/readyz"
            async with http.get(url) as resp:
                assert resp.status == 503
                assert "slack: not connected" in await resp.text()
            up["slack"] = True
            async with http.get(url) as resp:
                assert resp.status == 200
            await store.close()  # the store is gone: not ready, and /metrics still answers
            async with http.get(url) as resp:
                assert resp.status == 503 and "store: unreachable" in await resp.text()
            async with http.get(f"http://127.0.0.1:{server.bound_port}/metrics") as resp:
                assert resp.status == 200
    finally:
        await server.close()


async def test_without_an_exporter_the_core_reports_to_nothing(tmp_path: Path) -> None:
    """With no [metrics] the sink is the no-op one, and a store call still works through it."""
    assert isinstance(metrics.sink(), metrics.NoMetrics)
    store: Store = await open_store(str(tmp_path / "bot.db"))
    assert await store.event_seen("x") is False
    await store.close()
    with pytest.raises(StoreError):
        await store.event_seen("x")


async def test_a_port_in_use_is_a_config_error(bot: Bot) -> None:
    """A second server on the same port says which key to change."""
    from bot.errors import ConfigError

    other = MetricsServer(
        settings=MetricsSettings(port=bot.server.bound_port or 0),
        metrics=PrometheusMetrics(),
        store=bot.session.runtime.store,
        platforms={},
    )
    with pytest.raises(ConfigError, match=r"metrics\.port"):
        await other.start()


def test_the_sample_dashboard_and_alerts_name_only_served_series() -> None:
    """docs/metrics: the dashboard parses, and every series it or an alert uses is exported."""
    import json
    import re

    docs = Path(__file__).resolve().parents[2] / "docs" / "metrics"
    dashboard = json.loads((docs / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    alerts = (docs / "alerts.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"threadkeeper_[a-z_]+", exprs + alerts))
    served: set[str] = set()
    for family in PrometheusMetrics().registry.collect():
        served.add(family.name)
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
        served.update(family.name + s for s in suffixes.get(family.type, ()))
    assert used, "the docs name no series"
    assert used - served == set()
    assert len(dashboard["panels"]) >= 10 and alerts.count("- alert:") >= 6
