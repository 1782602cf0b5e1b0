"""Logbook lines: "Alice Andersson unlocked Front door", and who changed which key.

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
from homeassistant.util import dt as dt_util

from .api import parse_datetime
from .const import DOMAIN, EVENT_KEY_CHANGED, EVENT_UNLOCK
from .texts import text

ICON = "mdi:door-open"
KEY_GRANTED_ICON = "mdi:key-plus"
KEY_REVOKED_ICON = "mdi:key-remove"


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

    @callback
    def describe_key_change(event: Event) -> dict[str, Any]:
        data = event.data
        access = data.get("access_name") or data.get("access_id") or ""
        email = data.get("email") or ""
        if data.get("action") == "revoke":
            message = text(hass, "logbook_key_revoked", access=access, email=email)
            icon = KEY_REVOKED_ICON
        else:
            window = ""
            if data.get("start") or data.get("end"):
                window = text(
                    hass,
                    "logbook_key_window",
                    start=_local(data.get("start")),
                    end=_local(data.get("end")),
                )
            message = text(
                hass, "logbook_key_granted", access=access, email=email, window=window
            )
            icon = KEY_GRANTED_ICON
        return {
            # Who asked: the Home Assistant user (an audit trail of the keys).
            LOGBOOK_ENTRY_NAME: data.get("by_user_name")
            or text(hass, "logbook_an_automation"),
            LOGBOOK_ENTRY_MESSAGE: message,
            LOGBOOK_ENTRY_ICON: icon,
        }

    async_describe_event(DOMAIN, EVENT_UNLOCK, describe)
    async_describe_event(DOMAIN, EVENT_KEY_CHANGED, describe_key_change)


def _local(value: Any) -> str:
    """A stored UTC time as Home Assistant's local time, to the minute; "-" if none."""
    moment = parse_datetime(value)
    return dt_util.as_local(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"
