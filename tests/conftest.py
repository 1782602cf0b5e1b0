"""Shared fixtures.

``custom_components.parakey`` is imported first: the Home Assistant test plugin
puts its own ``custom_components`` package on ``sys.path`` when the ``hass``
fixture starts, and Home Assistant would then not find this integration.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

import custom_components.parakey  # noqa: F401
from simulator import ParakeySimulator, SimulatorServer

TOKEN = "test-token-7f3a"


class FakeClock:
    """A server clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 14, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def api_sim(clock: FakeClock) -> AsyncGenerator[ParakeySimulator]:
    """A simulator on a fake clock, for the client and poller tests."""
    sim = ParakeySimulator(token=TOKEN, clock=clock, time_scale=0)
    yield sim
    await sim.close()


@pytest.fixture
async def api_server(api_sim: ParakeySimulator) -> AsyncGenerator[SimulatorServer]:
    async with SimulatorServer(api_sim, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
async def http() -> AsyncGenerator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(autouse=True)
def allow_loopback(socket_enabled: None) -> None:
    """Tests talk to the simulator over real loopback HTTP, and only there.

    The Home Assistant test plugin blocks sockets; pytest-socket's host list
    (127.0.0.1) still keeps every connection on this machine.
    """
