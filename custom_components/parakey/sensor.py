"""Sensors: unlocks per door today, and when the last webhook call arrived.

Neither writes a logbook line: the daily count has a state class (the
logbook leaves those out) and the webhook sensor is a diagnostic one,
disabled until a user wants it.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .activity import DailyUnlockCounter
from .api import Door
from .coordinator import ParakeyCoordinator
from .data import ParakeyConfigEntry
from .entity import ParakeyDoorEntity, ParakeyEntity, async_add_door_entities
from .identifiers import place_device_info, place_entity_unique_id
from .webhook_monitor import WebhookMonitor

PARALLEL_UPDATES = 0

UNLOCKS_TODAY = SensorEntityDescription(
    key="unlocks_today",
    translation_key="unlocks_today",
    state_class=SensorStateClass.TOTAL,
)
LAST_WEBHOOK = SensorEntityDescription(
    key="last_webhook",
    translation_key="last_webhook",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParakeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the daily count of every door, and the place's webhook sensor."""
    runtime = entry.runtime_data
    async_add_door_entities(
        entry,
        async_add_entities,
        lambda door: [UnlocksTodaySensor(runtime.coordinator, door, runtime.counter)],
    )
    async_add_entities([LastWebhookSensor(runtime.coordinator, runtime.monitor)])


class UnlocksTodaySensor(ParakeyDoorEntity, SensorEntity):
    """How often the door opened since local midnight."""

    def __init__(
        self,
        coordinator: ParakeyCoordinator,
        door: Door,
        counter: DailyUnlockCounter,
    ) -> None:
        """Count for ``door``."""
        super().__init__(coordinator, door, UNLOCKS_TODAY)
        self._counter = counter
        self._write_pending = False

    async def async_added_to_hass(self) -> None:
        """Follow the counter."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._counter.async_add_listener(self.door_id, self._on_count)
        )

    @callback
    def _on_count(self) -> None:
        if not self._write_pending:
            # A catch-up counts thousands of unlocks: one state write per turn
            # of the event loop, not one per unlock.
            self._write_pending = True
            self.hass.loop.call_soon(self._write_count)

    @callback
    def _write_count(self) -> None:
        self._write_pending = False
        if self.hass is not None and self.platform is not None:
            self.async_write_ha_state()

    @property
    def native_value(self) -> int:
        """Unlocks today."""
        return self._counter.count(self.door_id)

    @property
    def last_reset(self) -> datetime:
        """Local midnight: the count starts again every day."""
        return self._counter.day_started


class LastWebhookSensor(ParakeyEntity, SensorEntity):
    """When the last webhook call arrived, so users can see pushes work.

    It exists with the webhook off too (disabled by default, diagnostic), so
    switching the webhook needs no reload.
    """

    entity_description = LAST_WEBHOOK

    def __init__(
        self, coordinator: ParakeyCoordinator, monitor: WebhookMonitor
    ) -> None:
        """Attach to the place's service device."""
        super().__init__(coordinator)
        self._monitor = monitor
        entry = coordinator.config_entry
        self._attr_unique_id = place_entity_unique_id(entry.entry_id, "last_webhook")
        self._attr_device_info = place_device_info(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the webhook's calls."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._monitor.async_add_listener(self.async_write_ha_state)
        )

    @property
    def native_value(self) -> datetime | None:
        """The time of the last call that passed authentication."""
        return self._monitor.last_call
