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
from custom_components.parakey.logbook import ICON
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
    # Who is the subject; no entity_id, so Home Assistant 2026.7+ does not put
    # the entity's own name ("Unlock") first. The door's activity still lists
    # the line: it finds the entity in the event's data.
    assert described == [
        {"name": "Alice Andersson", "message": "unlocked Front door", "icon": ICON},
        {
            # Parakey erased who it was: the key says what is known.
            "name": "Someone with the key Family",
            "message": "unlocked Back door",
            "icon": ICON,
        },
        {
            "name": "Bob Berg",
            "message": "unlocked Back door (reported late by the lock)",
            "icon": ICON,
        },
    ]
    assert all(event.data["entity_id"] for event in unlocks)
    orphan = Event(
        EVENT_UNLOCK, {"door_id": None, "user_name": None, "entity_id": None}
    )
    assert describe(orphan) == {
        "name": "Someone",
        "message": "unlocked a Parakey door",
        "icon": ICON,
    }

    # In the server's language, from the integration's own translations.
    for language, lines in {
        "sv": [
            ("Alice Andersson", "låste upp Front door"),
            ("Någon med nyckeln Family", "låste upp Back door"),
            ("Bob Berg", "låste upp Back door (rapporterades sent av låset)"),
            ("Någon", "låste upp en Parakey-dörr"),
        ],
        "nb": [
            ("Alice Andersson", "låste opp Front door"),
            ("Noen med nøkkelen Family", "låste opp Back door"),
            ("Bob Berg", "låste opp Back door (rapportert sent av låsen)"),
            ("Noen", "låste opp en Parakey-dør"),
        ],
    }.items():
        await hass.config.async_update(language=language)
        await hass.async_block_till_done()
        described = [describe(event) for event in [*unlocks, orphan]]
        assert [(line["name"], line["message"]) for line in described] == lines
