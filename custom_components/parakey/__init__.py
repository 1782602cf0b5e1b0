"""The Parakey integration: every unlock of a Parakey door as a Home Assistant event."""

from __future__ import annotations

from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    EVENT_CORE_CONFIG_UPDATE,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .api import DEFAULT_BASE_URL, ParakeyClient
from .const import CONF_BASE_URL, DOMAIN, REQUEST_TIMEOUT
from .coordinator import ParakeyConfigEntry, ParakeyCoordinator
from .issues import async_clear_all, async_update_webhook_url_issue
from .services import async_setup_services
from .webhook import async_remove_cloudhook, async_setup_webhook, async_webhook_details

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.SENSOR]
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
    coordinator = ParakeyCoordinator(hass, entry, client)
    # Restores the stored position and learns the doors; the first poll waits
    # until the entities listen, so no unlock found at start-up slips past them.
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Unlocks are events, not state: poll even when no entity listens (a
    # place without doors yet still fires parakey_unlock).
    entry.async_on_unload(coordinator.async_add_listener(lambda: None))

    # After a restart the first poll delivers the unlocks of the downtime:
    # wait until Home Assistant has started, so automations are listening.
    async def start_polling(_: HomeAssistant) -> None:
        await coordinator.async_start_polling()

    entry.async_on_unload(async_at_started(hass, start_polling))

    if coordinator.webhook_enabled:
        await async_setup_webhook(hass, entry, coordinator)

        async def recheck_url(_: Event) -> None:
            # The repair issue about the URL clears once the user fixes it.
            details = await async_webhook_details(hass, entry)
            async_update_webhook_url_issue(hass, entry, details.problem)

        entry.async_on_unload(
            hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, recheck_url)
        )
    else:
        async_clear_all(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> bool:
    """Unload a config entry."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_shutdown()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> None:
    """Clean up what lives outside the entry: cloudhook and repair issues."""
    await async_remove_cloudhook(hass, entry)
    async_clear_all(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ParakeyConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user remove a door; it returns if it unlocks again."""
    for domain, door_id in device.identifiers:
        if domain == DOMAIN:
            entry.runtime_data.async_remove_door(door_id)
    return True
