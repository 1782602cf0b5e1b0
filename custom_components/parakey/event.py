"""Event entities: one per door, triggered by each timely unlock."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Door, format_datetime
from .const import EVENT_TYPE_UNLOCKED
from .coordinator import ParakeyCoordinator
from .data import ParakeyConfigEntry
from .delivery import UnlockDelivery
from .entity import ParakeyDoorEntity, async_add_door_entities
from .identifiers import UNLOCK_ENTITY_KEY
from .unlock import Unlock

PARALLEL_UPDATES = 0

UNLOCK_DESCRIPTION = EventEntityDescription(
    key=UNLOCK_ENTITY_KEY,
    translation_key=UNLOCK_ENTITY_KEY,
    event_types=[EVENT_TYPE_UNLOCKED],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParakeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an unlock event entity for every door, now and when one appears."""
    runtime = entry.runtime_data
    async_add_door_entities(
        entry,
        async_add_entities,
        lambda door: [ParakeyUnlockEvent(runtime.coordinator, runtime.delivery, door)],
    )


class ParakeyUnlockEvent(ParakeyDoorEntity, EventEntity):
    """Fires ``unlocked`` when the door is opened.

    Delayed unlocks (an offline lock uploading hours later) are left to the bus
    event and the logbook: an automation must not react to old news.
    """

    entity_description: EventEntityDescription

    def __init__(
        self, coordinator: ParakeyCoordinator, delivery: UnlockDelivery, door: Door
    ) -> None:
        """Create the entity of ``door``."""
        super().__init__(coordinator, door, UNLOCK_DESCRIPTION)
        self._delivery = delivery

    async def async_added_to_hass(self) -> None:
        """Subscribe to the door's unlocks."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._delivery.async_subscribe_door(self.door_id, self._handle_unlock)
        )

    @callback
    def _handle_unlock(self, unlock: Unlock) -> None:
        if unlock.delayed:
            return
        log = unlock.log
        # The unlock's context: the logbook shows who caused this state.
        self.async_set_context(unlock.context)
        self._trigger_event(
            EVENT_TYPE_UNLOCKED,
            {
                # The event id keeps two unlocks in one millisecond distinct.
                "event_id": log.id,
                "user_id": log.user_id,
                "user_name": log.user_name,
                "person_entity_id": unlock.person_entity_id,
                "access_id": log.access_id,
                "access_name": log.access_name,
                "timestamp": format_datetime(log.timestamp),
                "source": unlock.source,
            },
        )
        self.async_write_ha_state()
