"""Base entity: one Home Assistant device per Parakey door."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Door
from .coordinator import ParakeyCoordinator
from .data import ParakeyConfigEntry
from .models import door_device_info, door_entity_unique_id


@callback
def async_add_door_entities(
    entry: ParakeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[ParakeyCoordinator, Door], Iterable[Entity]],
) -> None:
    """Add ``build``'s entities for every door, now and when one appears."""
    coordinator = entry.runtime_data.coordinator

    @callback
    def add_doors(doors: list[Door]) -> None:
        async_add_entities(
            entity for door in doors for entity in build(coordinator, door)
        )

    add_doors(list(coordinator.doors.doors.values()))
    entry.async_on_unload(coordinator.doors.async_add_doors_listener(add_doors))


class ParakeyDoorEntity(CoordinatorEntity[ParakeyCoordinator]):
    """An entity that belongs to one door."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: ParakeyCoordinator,
        door: Door,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to the door's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.door_id = door.id
        self._attr_unique_id = door_entity_unique_id(door.id, description.key)
        self._attr_device_info = door_device_info(door)
