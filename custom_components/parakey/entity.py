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
from .identifiers import door_device_info, door_entity_unique_id


@callback
def async_add_door_entities(
    entry: ParakeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[Door], Iterable[Entity]],
) -> None:
    """Add ``build``'s entities for every door, now and when one appears."""
    doors = entry.runtime_data.doors

    @callback
    def add_doors(new: list[Door]) -> None:
        async_add_entities(entity for door in new for entity in build(door))

    add_doors(list(doors.doors.values()))
    entry.async_on_unload(doors.async_add_doors_listener(add_doors))


class ParakeyEntity(CoordinatorEntity[ParakeyCoordinator]):
    """An entity of a Parakey place, available while unlocks can still arrive.

    Not while the last poll succeeded: a 429, a timeout or an outage is
    retried, and the webhook delivers meanwhile, so the doors stay available
    (and their state unchanged) through all of them.
    """

    _attr_has_entity_name = True

    @property
    def available(self) -> bool:
        """Whether the entry can still deliver unlocks."""
        return self.coordinator.can_deliver


class ParakeyDoorEntity(ParakeyEntity):
    """An entity that belongs to one door."""

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
        self._was_available: bool | None = None

    async def async_added_to_hass(self) -> None:
        """Remember availability, so only a change of it is written."""
        await super().async_added_to_hass()
        self._was_available = self.available

    @callback
    def _handle_coordinator_update(self) -> None:
        # The coordinator carries nothing a door shows: write only when
        # availability flips, so a poll never rewrites the door's state.
        if self.available != self._was_available:
            self._was_available = self.available
            self.async_write_ha_state()
