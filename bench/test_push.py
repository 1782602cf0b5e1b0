"""Push-aware polling: what a healthy webhook saves, and how soon a dead one is noticed.

A day on Home Assistant's frozen clock (the simulator shares it), driven by
Home Assistant's own timers as in a running installation:

1. requests to Parakey in a day while the webhook delivers (one push at the
   start makes it trusted; no unlock after), and the same day without it;
2. the webhook dies: an unlock at every offset from the last poll, never
   pushed; the time until the integration stops trusting the webhook (and
   polls on the configured interval again), and that the unlock arrives once.

Run with ``scripts/bench`` (this table follows the main one).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.parakey.const import CONF_WEBHOOK_ENABLED, EVENT_UNLOCK
from simulator import ParakeySimulator, SimulatorServer
from tests.integration.helpers import add_entry

DAY = 86400
TRUSTED_REQUESTS_TARGET = 288
NOTICE_TARGET = 5 * 60 + 60  # five minutes and one interval


@pytest.fixture
async def sim(hass: HomeAssistant) -> AsyncGenerator[ParakeySimulator]:
    simulator = ParakeySimulator(token="push", clock=dt_util.utcnow, time_scale=0)
    yield simulator
    await simulator.close()


@pytest.fixture
async def entry(
    hass: HomeAssistant, sim: ParakeySimulator, freezer: FrozenDateTimeFactory
) -> AsyncGenerator[MockConfigEntry]:
    await async_setup_component(hass, "http", {})
    await hass.config.async_update(external_url="https://ha.example.org")
    async with SimulatorServer(sim, host="127.0.0.1", port=0) as server:
        entry = add_entry(
            hass, server.base_url, token="push", webhook=True,
            **{CONF_WEBHOOK_ENABLED: True},
        )  # fmt: skip
        assert await hass.config_entries.async_setup(entry.entry_id)
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
        await hass.async_block_till_done(wait_background_tasks=True)
        yield entry
        await hass.config_entries.async_unload(entry.entry_id)


async def elapse(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def day_of_requests(
    hass: HomeAssistant, sim: ParakeySimulator, freezer: FrozenDateTimeFactory
) -> dict[str, int]:
    """Requests per path over a day, in 10-second steps of Home Assistant's timers."""
    sim.reset_stats()
    for _ in range(DAY // 10):
        await elapse(hass, freezer, 10)
    return {
        "event_logs": sim.stats["by_path"].get("/eventLogs", 0),
        "keys": sim.stats["by_path"].get("/access-keys", 0),
        "all": sim.stats["requests"],
    }


async def test_push_aware_polling(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The test harness runs the loop in debug mode (and warns of every frozen
    # second); Home Assistant does not.
    asyncio.get_running_loop().set_debug(False)
    monitor = entry.runtime_data.monitor
    coordinator = entry.runtime_data.coordinator
    rows: list[tuple[str, str, str]] = []

    untrusted = await day_of_requests(hass, sim, freezer)
    monitor.async_note_push("a push of an unlock")  # the webhook works
    assert monitor.trusted
    trusted = await day_of_requests(hass, sim, freezer)
    rows += [
        (
            "Requests to Parakey per day, webhook delivering: event log (keys; all)",
            f"{trusted['event_logs']:,} ({trusted['keys']}; {trusted['all']:,})",
            f"<= {TRUSTED_REQUESTS_TARGET}",
        ),
        (
            "... the same day, webhook off or not delivering",
            f"{untrusted['event_logs']:,} ({untrusted['keys']}; {untrusted['all']:,})",
            "-",
        ),
    ]

    # The webhook dies: unlocks at offsets 0..290 s after the last poll.
    fired: list[Event] = async_capture_events(hass, EVENT_UNLOCK)
    notices: list[float] = []
    for offset in range(0, 300, 10):
        monitor.async_note_push("the webhook works again")
        assert monitor.trusted
        await coordinator.async_refresh()  # a poll: the offset counts from here
        await elapse(hass, freezer, offset)
        created = dt_util.utcnow()
        sim.create_unlock("dev_1", "usr_1")  # Parakey cannot push it
        while monitor.trusted:
            await elapse(hass, freezer, 1)
        notices.append((dt_util.utcnow() - created).total_seconds())
        assert coordinator.update_interval == timedelta(seconds=60)
    ids = [event.data["event_id"] for event in fired]
    assert len(ids) == len(set(ids)) == 30  # each unlock once, by poll
    rows.append(
        (
            "Time to notice a dead webhook (an unlock never pushed): worst / median",
            f"{max(notices):.0f} s / {sorted(notices)[len(notices) // 2]:.0f} s",
            f"<= {NOTICE_TARGET} s",
        )
    )

    print()
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    assert trusted["event_logs"] <= TRUSTED_REQUESTS_TARGET
    assert max(notices) <= NOTICE_TARGET
