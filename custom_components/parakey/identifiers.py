"""How Parakey things are named in Home Assistant's registries: unique ids and devices.

The one place each identifier is built, so an entity, a device trigger and a
migration can never disagree about it.
"""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .api import Door
from .const import DOMAIN, MANUFACTURER

UNLOCK_ENTITY_KEY: Final = "unlock"
PLACE_IDENTIFIER_PREFIX: Final = "place-"


def door_entity_unique_id(door_id: str, key: str) -> str:
    """Unique id of a door's entity."""
    return f"{door_id}-{key}"


def unlock_entity_unique_id(door_id: str) -> str:
    """Unique id of the door's event entity, which every unlock names."""
    return door_entity_unique_id(door_id, UNLOCK_ENTITY_KEY)


def place_entity_unique_id(entry_id: str, key: str) -> str:
    """Unique id of an entity of the place (its service device)."""
    return f"{entry_id}-{key}"


def presence_unique_id(entry_id: str, user_id: str) -> str:
    """Unique id of the presence tracker of one linked user."""
    return place_entity_unique_id(entry_id, f"presence-{user_id}")


def place_device_info(entry: ConfigEntry) -> DeviceInfo:
    """The place's own device: "Any door unlocked", presence, diagnostics."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{PLACE_IDENTIFIER_PREFIX}{entry.entry_id}")},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=MANUFACTURER,
        name=entry.title,
    )


def door_device_info(door: Door) -> DeviceInfo:
    """The device of a door, the same for the registry and every entity."""
    info = DeviceInfo(identifiers={(DOMAIN, door.id)}, manufacturer=MANUFACTURER)
    if door.name:
        info["name"] = door.name
    else:
        # Parakey did not name the lock: a translated "Parakey door <id>".
        info["translation_key"] = "door"
        info["translation_placeholders"] = {"door_id": door.id}
    return info


def parakey_id_of_device(identifiers: set[tuple[str, str]]) -> str | None:
    """The Parakey id in a device's identifiers (a door id, or the place's)."""
    return next((i for d, i in identifiers if d == DOMAIN), None)


def door_id_of_device(identifiers: set[tuple[str, str]]) -> str | None:
    """The Parakey door id of a device; None for the place's own device."""
    parakey_id = parakey_id_of_device(identifiers)
    if parakey_id is None or parakey_id.startswith(PLACE_IDENTIFIER_PREFIX):
        return None
    return parakey_id
