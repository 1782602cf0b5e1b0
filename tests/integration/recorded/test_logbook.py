"""Logbook lines for parakey_unlock, through Home Assistant's logbook component."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from homeassistant.components.logbook.const import DOMAIN as LOGBOOK_DOMAIN
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.parakey.const import DOMAIN, EVENT_UNLOCK
from simulator import ParakeySimulator

Poll = Callable[..., Awaitable[None]]


async def test_logbook_describes_unlocks(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    await hass.async_block_till_done()
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_2", None)
    sim.create_unlock("dev_2", "usr_2", timestamp=dt_util.utcnow() - timedelta(hours=2))
    await next_poll()

    domain, describe = hass.data[LOGBOOK_DOMAIN].external_events[EVENT_UNLOCK]
    assert domain == DOMAIN
    described = [describe(event) for event in unlocks]
    assert described == [
        {
            "name": "Front door",
            "message": "unlocked by Alice Andersson",
            "entity_id": "event.front_door_unlock",
        },
        {
            # Parakey erased who it was: the key says what is known.
            "name": "Back door",
            "message": "unlocked with the key Family",
            "entity_id": "event.back_door_unlock",
        },
        {
            "name": "Back door",
            "message": "unlocked by Bob Berg (reported late by the lock)",
            "entity_id": "event.back_door_unlock",
        },
    ]
    orphan = Event(
        EVENT_UNLOCK, {"door_id": None, "user_name": None, "entity_id": None}
    )
    assert describe(orphan) == {"name": "Parakey door", "message": "unlocked"}
