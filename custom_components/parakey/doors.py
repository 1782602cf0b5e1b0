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
from .identifiers import door_device_info, place_device_info, unlock_entity_unique_id
from .listeners import Listeners
from .storage import ParakeyStore

PLACE_SECTION = "place"
DOORS_SECTION = "doors"


class DoorDirectory:
    """Known doors and the place, as stored and as registered devices."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, store: ParakeyStore
    ) -> None:
        """Restore the stored doors and place and register their devices."""
        self._hass = hass
        self._entry = entry
        self._store = store
        self._doors: dict[str, Door] = {}
        self._device_ids: dict[str, str] = {}
        self.place: Place | None = None
        self._door_listeners: Listeners[list[Door]] = Listeners()
        self._place_listeners: Listeners[Place] = Listeners()
        self._async_restore(store.section(PLACE_SECTION), store.section(DOORS_SECTION))
        store.async_add_section(PLACE_SECTION, self._dump_place)
        store.async_add_section(DOORS_SECTION, self._dump_doors)

    @property
    def doors(self) -> dict[str, Door]:
        """Known doors by id."""
        return self._doors

    def __contains__(self, door_id: object) -> bool:
        """Whether the door is known."""
        return door_id in self._doors

    @callback
    def async_add_doors_listener(
        self, listener: Callable[[list[Door]], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with doors that appear after it subscribed."""
        return self._door_listeners.add(listener)

    @callback
    def async_add_place_listener(
        self, listener: Callable[[Place], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` when the place becomes known or is renamed."""
        return self._place_listeners.add(listener)

    @callback
    def async_set_place(self, place: Place) -> None:
        """Remember the place; a log's place without a name keeps the old name."""
        if self.place is not None and self.place.id == place.id and not place.name:
            return
        if place != self.place:
            self.place = place
            self._store.async_schedule_save()
            self._place_listeners.notify(place)

    @callback
    def async_update(self, doors: Iterable[Door]) -> list[Door]:
        """Add or rename doors (names change in My Parakey); return the new ones."""
        doors = list(doors)
        new = [door for door in doors if door.id not in self._doors]
        changed = [door for door in doors if self._doors.get(door.id) != door]
        for door in changed:
            self._doors[door.id] = door
        if changed:
            self._async_register_devices(changed)
            self._store.async_schedule_save()
        if new:
            self._door_listeners.notify(new)
        return new

    @callback
    def async_remove(self, door_id: str) -> None:
        """Forget a door the user removed; it comes back if it unlocks again."""
        self._doors.pop(door_id, None)
        self._device_ids.pop(door_id, None)
        self._store.async_schedule_save()

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

    @callback
    def _async_register_devices(self, doors: Iterable[Door]) -> None:
        registry = dr.async_get(self._hass)
        for door in doors:
            device = registry.async_get_or_create(
                config_entry_id=self._entry.entry_id, **door_device_info(door)
            )
            self._device_ids[door.id] = device.id

    # ----- storage -----

    def _dump_place(self) -> dict[str, Any] | None:
        place = self.place
        return {"id": place.id, "name": place.name} if place else None

    def _dump_doors(self) -> list[dict[str, Any]]:
        return [door.as_dict() for door in self._doors.values()]

    @callback
    def _async_restore(self, stored_place: Any, stored_doors: Any) -> None:
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
