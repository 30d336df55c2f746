"""Fixtures (as in tests/faults): a rig factory, and a rig per platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.faults.rigs import PLATFORMS, Rig, RigFactory, make_factory


@pytest.fixture
async def rigs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RigFactory]:
    """Builds rigs on one store and one local Messages API."""
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    async for factory in make_factory(tmp_path):
        yield factory


@pytest.fixture(params=PLATFORMS)
async def rig(request: pytest.FixtureRequest, rigs: RigFactory) -> Rig:
    """The default rig on each platform."""
    return await rigs(request.param)
