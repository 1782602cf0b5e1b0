"""Fixtures for tests that run Home Assistant with the integration."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.parakey.const import (
    CONF_MAX_EVENT_AGE,
    CONF_POLL_INTERVAL,
    CONF_WEBHOOK_ENABLED,
    EVENT_UNLOCK,
)
from simulator import ParakeySimulator, SimulatorServer
from tests.conftest import TOKEN

from .helpers import add_entry

EVENT_KEYS = {
    "event_id", "door_id", "door_name", "place_id", "place_name", "user_id",
    "user_name", "user_email", "access_id", "access_name", "timestamp",
    "created_at", "source", "delayed", "device_id", "entity_id", "person_entity_id",
}  # fmt: skip


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots through Home Assistant's serializer (random ids become ANY).

    The test plugin defines the same fixture, but syrupy's own registers
    after it here and would win.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/parakey."""


@pytest.fixture
async def sim(hass: HomeAssistant) -> AsyncGenerator[ParakeySimulator]:
    """A simulator whose clock is Home Assistant's (so freezer moves both)."""
    simulator = ParakeySimulator(token=TOKEN, clock=dt_util.utcnow, time_scale=0)
    yield simulator
    await simulator.close()


@pytest.fixture
async def server(sim: ParakeySimulator) -> AsyncGenerator[SimulatorServer]:
    async with SimulatorServer(sim, host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture
def options() -> dict[str, object]:
    return {CONF_POLL_INTERVAL: 60, CONF_MAX_EVENT_AGE: 10, CONF_WEBHOOK_ENABLED: False}


@pytest.fixture
def entry(
    hass: HomeAssistant, server: SimulatorServer, options: dict[str, object]
) -> MockConfigEntry:
    return add_entry(hass, server.base_url, **options)


@pytest.fixture
async def webhook_entry(
    hass: HomeAssistant, server: SimulatorServer, options: dict[str, object]
) -> MockConfigEntry:
    """An entry with the webhook on, behind an external HTTPS URL."""
    await async_setup_component(hass, "http", {})
    await hass.config.async_update(external_url="https://ha.example.org")
    return add_entry(
        hass, server.base_url, webhook=True, **{**options, CONF_WEBHOOK_ENABLED: True}
    )


@pytest.fixture
async def loaded(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The entry, set up with the clock already frozen.

    The test plugin makes the event loop's clock follow freezegun. Frozen only
    later (by a test's own ``freezer``), the clock would jump and the poll
    timer, armed on the real clock, would fire at once: an unplanned poll
    racing whatever the test does next (a webhook POST, say).
    """
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
def unlocks(hass: HomeAssistant) -> list[Event]:
    """Every parakey_unlock fired on the bus."""
    return async_capture_events(hass, EVENT_UNLOCK)


@pytest.fixture
def next_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> Callable[..., Awaitable[None]]:
    """Move time past the poll interval and let the coordinator run."""

    async def run(seconds: float = 61) -> None:
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        # The coordinator polls in a background task.
        await hass.async_block_till_done(wait_background_tasks=True)

    return run


@pytest.fixture
def blueprints(hass: HomeAssistant, tmp_path: Path) -> None:
    """A configuration folder holding the repository's blueprints."""
    shutil.copytree(Path(__file__).parents[2] / "blueprints", tmp_path / "blueprints")
    hass.config.config_dir = str(tmp_path)
