"""Event entities: one per door, triggered by each timely unlock."""

from __future__ import annotations

from datetime import datetime, timedelta

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

# Home Assistant before 2026.8 stamps an event with the current millisecond
# only, so two unlocks of a door handed over in one millisecond (a poll that
# finds both) leave the state as it was: the second reaches no state trigger
# with from/to and no logbook line. 2026.8 keeps the states strictly
# increasing itself (home-assistant/core#177403); this does the same before,
# and nothing from then on. Remove once 2026.8 is the oldest release we support.
_LAST_TRIGGERED = "_EventEntity__last_event_triggered"
_ONE_MILLISECOND = timedelta(milliseconds=1)

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
        before = getattr(self, _LAST_TRIGGERED, None)
        self._trigger_event(
            EVENT_TYPE_UNLOCKED,
            {
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
        self._keep_states_increasing(before)
        self.async_write_ha_state()

    def _keep_states_increasing(self, before: datetime | None) -> None:
        after = getattr(self, _LAST_TRIGGERED, None)
        if (
            isinstance(before, datetime)
            and isinstance(after, datetime)
            and after < before + _ONE_MILLISECOND
        ):
            setattr(self, _LAST_TRIGGERED, before + _ONE_MILLISECOND)
