"""Base entity: one Home Assistant device per Parakey door."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Door
from .const import DOMAIN, MANUFACTURER
from .coordinator import ParakeyCoordinator


class ParakeyDoorEntity(CoordinatorEntity[ParakeyCoordinator]):
    """An entity that belongs to one door."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: ParakeyCoordinator, door: Door, key: str) -> None:
        """Attach the entity to the door's device."""
        super().__init__(coordinator)
        self.door_id = door.id
        self._attr_unique_id = f"{door.id}-{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, door.id)},
            manufacturer=MANUFACTURER,
            model="Lock",
            name=door.name or f"Parakey door {door.id}",
        )
