"""Logbook lines for ``parakey_unlock``: "Alice Andersson unlocked Front door".

One line per unlock, at the time the door opened, in Home Assistant's
language. Its subject is who (the linked person, else the Parakey name, else
"someone with the key ..."), so the door's event entity, whose own line shares
the unlock's context, reads "Unlocked, via Alice Andersson". The line names no
entity: Home Assistant 2026.7+ would put the entity's name ("Unlock") first;
the door's own activity still lists it, from the event data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_UNLOCK
from .texts import text

ICON = "mdi:door-open"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe Parakey unlocks in the logbook."""

    @callback
    def describe(event: Event) -> dict[str, Any]:
        data = event.data
        person = hass.states.get(data.get("person_entity_id") or "")
        who = person.name if person else data.get("user_name")
        if not who:
            key = data.get("access_name")
            who = (
                text(hass, "logbook_someone_with_key", access=key)
                if key
                else text(hass, "logbook_someone")
            )
        door = (
            data.get("door_name") or data.get("door_id") or text(hass, "logbook_a_door")
        )
        late = "logbook_unlocked_late" if data.get("delayed") else "logbook_unlocked"
        return {
            LOGBOOK_ENTRY_NAME: who,
            LOGBOOK_ENTRY_MESSAGE: text(hass, late, door=door),
            LOGBOOK_ENTRY_ICON: ICON,
        }

    async_describe_event(DOMAIN, EVENT_UNLOCK, describe)
