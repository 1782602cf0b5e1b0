"""The doors of one place: which exist, their devices, and who wants to know.

Each door is one Home Assistant device. The device id is kept from
``async_get_or_create``, so nothing looks devices up by identifier (that
lookup is deprecated from Home Assistant 2026.8 on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .api import Door, Place
from .const import DOMAIN
from .models import (
    PLACE_IDENTIFIER_PREFIX,
    door_device_info,
    place_device_info,
    unlock_entity_unique_id,
)

type DoorsListener = Callable[[list[Door]], None]
type PlaceListener = Callable[[Place], None]


class DoorDirectory:
    """Known doors and the place, as stored and as registered devices."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Start empty; ``restore`` and ``async_add`` fill it."""
        self._hass = hass
        self._entry = entry
        self._doors: dict[str, Door] = {}
        self._device_ids: dict[str, str] = {}
        self.place: Place | None = None
        self._door_listeners: list[DoorsListener] = []
        self._place_listeners: list[PlaceListener] = []

    @property
    def doors(self) -> dict[str, Door]:
        """Known doors by id."""
        return self._doors

    @property
    def watched(self) -> bool:
        """Whether platforms listen for new doors (they add their entities)."""
        return bool(self._door_listeners)

    def __contains__(self, door_id: object) -> bool:
        """Whether the door is known."""
        return door_id in self._doors

    @callback
    def async_add_doors_listener(self, listener: DoorsListener) -> CALLBACK_TYPE:
        """Call ``listener`` with doors that appear after it subscribed."""
        self._door_listeners.append(listener)
        return lambda: self._door_listeners.remove(listener)

    @callback
    def async_add_place_listener(self, listener: PlaceListener) -> CALLBACK_TYPE:
        """Call ``listener`` when the place becomes known or is renamed."""
        self._place_listeners.append(listener)
        return lambda: self._place_listeners.remove(listener)

    @callback
    def async_set_place(self, place: Place) -> None:
        """Remember the place; a log's place without a name keeps the old name."""
        if self.place is not None and self.place.id == place.id and not place.name:
            return
        if place != self.place:
            self.place = place
            for listener in list(self._place_listeners):
                listener(place)

    @callback
    def async_update(self, doors: Iterable[Door]) -> list[Door]:
        """Add or rename doors (names change in My Parakey); return the new ones."""
        new = [door for door in doors if door.id not in self._doors]
        for door in doors:
            self._doors[door.id] = door
        self._async_register_devices(self._doors.values())
        if new:
            for listener in list(self._door_listeners):
                listener(new)
        return new

    @callback
    def async_remove(self, door_id: str) -> None:
        """Forget a door the user removed; it comes back if it unlocks again."""
        self._doors.pop(door_id, None)
        self._device_ids.pop(door_id, None)

    def device_id(self, door_id: str | None) -> str | None:
        """The Home Assistant device of the door."""
        return self._device_ids.get(door_id or "")

    def entity_id(self, door_id: str | None) -> str | None:
        """The door's event entity, once the entity registry has it."""
        if door_id is None:
            return None
        return er.async_get(self._hass).async_get_entity_id(
            "event", DOMAIN, unlock_entity_unique_id(door_id)
        )

    def door_id_of_device(self, device: dr.DeviceEntry) -> str | None:
        """The Parakey door id of one of this entry's devices (None: the place)."""
        return next(
            (
                i
                for d, i in device.identifiers
                if d == DOMAIN and not i.startswith(PLACE_IDENTIFIER_PREFIX)
            ),
            None,
        )

    @callback
    def _async_register_devices(self, doors: Iterable[Door]) -> None:
        registry = dr.async_get(self._hass)
        for door in doors:
            device = registry.async_get_or_create(
                config_entry_id=self._entry.entry_id, **door_device_info(door)
            )
            self._device_ids[door.id] = device.id

    # ----- storage -----

    def as_dict(self) -> dict[str, Any]:
        """The stored form (sections ``place`` and ``doors``)."""
        place = self.place
        return {
            "place": {"id": place.id, "name": place.name} if place else None,
            "doors": [door.as_dict() for door in self._doors.values()],
        }

    @callback
    def async_restore(self, stored_place: Any, stored_doors: Any) -> None:
        """Restore what ``as_dict`` wrote, tolerating damage."""
        if isinstance(stored_place, dict) and isinstance(stored_place.get("id"), str):
            name = stored_place.get("name")
            self.place = Place(
                stored_place["id"], name if isinstance(name, str) else None
            )
        for raw in stored_doors if isinstance(stored_doors, list) else []:
            if door := Door.from_dict(raw):
                self._doors[door.id] = door
        dr.async_get(self._hass).async_get_or_create(
            config_entry_id=self._entry.entry_id, **place_device_info(self._entry)
        )
        self._async_register_devices(self._doors.values())
