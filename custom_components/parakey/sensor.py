"""Per-door sensors: who unlocked last, and when."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Door
from .const import DOMAIN, MANUFACTURER
from .coordinator import ParakeyConfigEntry, ParakeyCoordinator
from .entity import ParakeyDoorEntity, async_add_door_entities
from .models import Unlock

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ParakeySensorDescription(SensorEntityDescription):
    """How a sensor reads the door's last unlock."""

    value_fn: Callable[[Unlock], str | datetime | None]
    attributes_fn: Callable[[Unlock], dict[str, Any]] = lambda _: {}


SENSORS: tuple[ParakeySensorDescription, ...] = (
    ParakeySensorDescription(
        key="last_unlocked_by",
        translation_key="last_unlocked_by",
        value_fn=lambda unlock: unlock.log.user_name,
        attributes_fn=lambda unlock: {
            "user_id": unlock.log.user_id,
            "access_name": unlock.log.access_name,
        },
    ),
    ParakeySensorDescription(
        key="last_unlock",
        translation_key="last_unlock",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda unlock: unlock.log.timestamp,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParakeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every door, now and when one appears."""
    async_add_door_entities(
        entry,
        async_add_entities,
        lambda coordinator, door: [
            ParakeyDoorSensor(coordinator, door, description) for description in SENSORS
        ],
    )
    coordinator = entry.runtime_data
    if coordinator.webhook_enabled:
        async_add_entities([ParakeyLastWebhookSensor(coordinator)])


class ParakeyDoorSensor(ParakeyDoorEntity, SensorEntity):
    """A value of the door's most recent unlock (by when the lock opened)."""

    entity_description: ParakeySensorDescription

    def __init__(
        self,
        coordinator: ParakeyCoordinator,
        door: Door,
        description: ParakeySensorDescription,
    ) -> None:
        """Create the sensor for ``door``."""
        super().__init__(coordinator, door, description.key)
        self.entity_description = description

    @property
    def _unlock(self) -> Unlock | None:
        return self.coordinator.data.last_unlocks.get(self.door_id)

    @property
    def native_value(self) -> str | datetime | None:
        """The value, or None (unknown) before the first unlock."""
        unlock = self._unlock
        return self.entity_description.value_fn(unlock) if unlock else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Details of the last unlock."""
        unlock = self._unlock
        return self.entity_description.attributes_fn(unlock) if unlock else None


class ParakeyLastWebhookSensor(CoordinatorEntity[ParakeyCoordinator], SensorEntity):
    """When the last webhook call arrived, so users can see pushes work."""

    _attr_has_entity_name = True
    _attr_translation_key = "last_webhook"
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: ParakeyCoordinator) -> None:
        """Attach to the place's service device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}-last_webhook"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"place-{entry.entry_id}")},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer=MANUFACTURER,
            name=entry.title,
        )

    @property
    def native_value(self) -> datetime | None:
        """The time of the last call that passed authentication."""
        return self.coordinator.data.last_webhook
