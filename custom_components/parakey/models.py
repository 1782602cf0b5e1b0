"""What the coordinator hands to platforms: door state and unlocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .api import Door, EventLog, format_datetime
from .const import DOMAIN, MANUFACTURER

UNLOCK_ENTITY_KEY: Final = "unlock"


def door_entity_unique_id(door_id: str, key: str) -> str:
    """Unique id of a door's entity; the one place it is built."""
    return f"{door_id}-{key}"


def unlock_entity_unique_id(door_id: str) -> str:
    """Unique id of the door's event entity, which every unlock names."""
    return door_entity_unique_id(door_id, UNLOCK_ENTITY_KEY)


PLACE_IDENTIFIER_PREFIX: Final = "place-"


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


@dataclass(frozen=True, slots=True)
class Unlock:
    """One unlock as Home Assistant sees it."""

    log: EventLog
    source: str
    delayed: bool
    device_id: str | None = None
    entity_id: str | None = None
    person_entity_id: str | None = None

    def event_data(self) -> dict[str, Any]:
        """The data of the ``parakey_unlock`` bus event (design.md's table)."""
        log = self.log
        return {
            "event_id": log.id,
            "door_id": log.door_id,
            "door_name": log.door_name,
            "place_id": log.place_id,
            "place_name": log.place_name,
            "user_id": log.user_id,
            "user_name": log.user_name,
            "user_email": log.user_email,
            "access_id": log.access_id,
            "access_name": log.access_name,
            "timestamp": format_datetime(log.timestamp),
            "created_at": format_datetime(log.created_at),
            "source": self.source,
            "delayed": self.delayed,
            "device_id": self.device_id,
            "entity_id": self.entity_id,
            "person_entity_id": self.person_entity_id,
        }


@dataclass(frozen=True, slots=True)
class ParakeyData:
    """Coordinator data: equal when nothing a platform shows has changed."""

    doors: Mapping[str, Door] = field(default_factory=dict)
