"""The Parakey integration: every unlock of a Parakey door as a Home Assistant event."""

from __future__ import annotations

from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    CONF_WEBHOOK_ID,
    EVENT_CORE_CONFIG_UPDATE,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .activity import DailyUnlockCounter
from .api import DEFAULT_BASE_URL, ParakeyClient, Place
from .const import (
    CONF_BASE_URL,
    CONF_CLOUDHOOK_URL,
    CONF_WEBHOOK_ENABLED,
    DOMAIN,
    LOGGER,
    REQUEST_TIMEOUT,
    TOKEN_UNIQUE_ID_PREFIX,
)
from .coordinator import ParakeyCoordinator
from .data import ParakeyConfigEntry, ParakeyRuntimeData
from .issues import (
    async_clear_all,
    async_clear_webhook_issues,
    async_update_webhook_url_issue,
)
from .models import door_entity_unique_id
from .services import async_setup_services
from .storage import ParakeyStore
from .webhook import async_setup_webhook
from .webhook_monitor import WebhookMonitor
from .webhook_url import async_delete_cloudhook, async_resolve_url

PLATFORMS: list[Platform] = [Platform.DEVICE_TRACKER, Platform.EVENT, Platform.SENSOR]
# Per-door sensors of 0.1 whose facts the event entity carries now.
REMOVED_DOOR_SENSORS = ("last_unlocked_by", "last_unlock")
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, so automations validate even without a loaded entry."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> bool:
    """Set up one Parakey place."""
    client = ParakeyClient(
        async_get_clientsession(hass),
        entry.data[CONF_ACCESS_TOKEN],
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
        request_timeout=REQUEST_TIMEOUT,
    )
    store = ParakeyStore(hass, entry.entry_id)
    await store.async_load()
    coordinator = ParakeyCoordinator(hass, entry, client, store)
    await coordinator.async_prepare()
    activity = DailyUnlockCounter(hass, store)
    entry.async_on_unload(
        coordinator.delivery.async_add_listener(activity.async_on_unlock)
    )
    entry.async_on_unload(activity.async_start())
    entry.runtime_data = ParakeyRuntimeData(
        coordinator=coordinator, store=store, activity=activity
    )
    entry.async_on_unload(store.async_save)
    _async_remove_old_sensors(hass, coordinator)
    _async_adopt_place_unique_id(hass, entry, coordinator.doors.place)
    entry.async_on_unload(
        coordinator.doors.async_add_place_listener(
            lambda place: _async_adopt_place_unique_id(hass, entry, place)
        )
    )

    if entry.options.get(CONF_WEBHOOK_ENABLED):
        monitor = WebhookMonitor(hass, entry, store)
        entry.runtime_data.webhook = monitor
        entry.async_on_unload(
            coordinator.delivery.async_add_listener(monitor.async_on_unlock)
        )
        await async_setup_webhook(hass, entry, coordinator.delivery, monitor)

        async def recheck_url(_: Event) -> None:
            # The repair issue about the URL clears once the user fixes it.
            resolved = await async_resolve_url(hass, entry.data[CONF_WEBHOOK_ID])
            async_update_webhook_url_issue(hass, entry, resolved.problem)

        entry.async_on_unload(
            hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, recheck_url)
        )
    else:
        async_clear_webhook_issues(hass, entry)

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    # After a restart the first poll (and any webhook retry) delivers the
    # unlocks of the downtime: wait until Home Assistant has started, so
    # automations are listening.
    async def start_polling(_: HomeAssistant) -> None:
        coordinator.delivery.started.set()
        entry.async_on_unload(coordinator.async_keep_polling())
        await coordinator.async_refresh()

    entry.async_on_unload(async_at_started(hass, start_polling))
    return True


@callback
def _async_adopt_place_unique_id(
    hass: HomeAssistant, entry: ParakeyConfigEntry, place: Place | None
) -> None:
    """Replace a token-derived unique id once the place is known."""
    if place is None or not (entry.unique_id or "").startswith(TOKEN_UNIQUE_ID_PREFIX):
        return
    if hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, place.id):
        LOGGER.warning("Place %s is configured twice; keeping the token id", place.id)
        return
    hass.config_entries.async_update_entry(
        entry, unique_id=place.id, title=place.name or entry.title
    )


@callback
def _async_remove_old_sensors(
    hass: HomeAssistant, coordinator: ParakeyCoordinator
) -> None:
    """Remove the 0.1 per-door sensors from the registry, so none is orphaned."""
    registry = er.async_get(hass)
    for door_id in coordinator.doors.doors:
        for key in REMOVED_DOOR_SENSORS:
            unique_id = door_entity_unique_id(door_id, key)
            if entity_id := registry.async_get_entity_id("sensor", DOMAIN, unique_id):
                registry.async_remove(entity_id)


async def async_migrate_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> bool:
    """Bring an entry written by an older version up to date."""
    if entry.version > 1:
        return False  # written by a newer version: refuse rather than guess
    if entry.minor_version < 2:
        # 1.1 stored the cloudhook URL, which could belong to an abandoned
        # webhook id; it is now looked up from the id each time.
        data = {k: v for k, v in entry.data.items() if k != CONF_CLOUDHOOK_URL}
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> bool:
    """Unload a config entry; the coordinator and store shut down on their own."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> None:
    """Clean up what lives outside the entry: cloudhook and repair issues."""
    if CONF_WEBHOOK_ID in entry.data:
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    async_clear_all(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ParakeyConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user remove a door Parakey no longer lists; refuse the others.

    A removed door comes back if it unlocks again.
    """
    coordinator = entry.runtime_data.coordinator
    door_id = coordinator.doors.door_id_of_device(device)
    if door_id is None:
        return False  # the place's own device
    listed = await coordinator.async_listed_door_ids()
    if listed is not None and door_id in listed:
        return False
    coordinator.doors.async_remove(door_id)
    coordinator.async_update_listeners()
    entry.runtime_data.store.async_schedule_save()
    return True
