"""Logbook lines for ``parakey_unlock``: "Front door unlocked by Alice".

The person linked to the Parakey user is named where there is one. The
logbook's messages are English in Home Assistant itself too: describers
get no language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_UNLOCK


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
        if who:
            message = f"unlocked by {who}"
        elif key := data.get("access_name"):
            message = f"unlocked with the key {key}"
        else:
            message = "unlocked"
        if data.get("delayed"):
            message += " (reported late by the lock)"
        description: dict[str, Any] = {
            LOGBOOK_ENTRY_NAME: data.get("door_name") or "Parakey door",
            LOGBOOK_ENTRY_MESSAGE: message,
        }
        if data.get("entity_id"):
            description[LOGBOOK_ENTRY_ENTITY_ID] = data["entity_id"]
        return description

    async_describe_event(DOMAIN, EVENT_UNLOCK, describe)
