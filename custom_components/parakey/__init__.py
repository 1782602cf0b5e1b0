"""The Parakey integration: every unlock of a Parakey door as a Home Assistant event.

This module is where an entry is assembled. ``async_setup_entry`` builds every
piece (client, store, doors, people, delivery, poller, coordinator, counter,
webhook) and wires them; ``entry.runtime_data`` holds them side by side, and
no piece reaches a sibling through another. A new feature is built here too,
registers its own section of the entry's store, and is reached through
``runtime_data``. ``async_apply_options`` re-wires changed options in place,
so saving the options never reloads the entry (no entity goes unavailable).
"""

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
from .api import DEFAULT_BASE_URL, EventLogPoller, ParakeyClient, Place
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
from .delivery import UnlockDelivery
from .doors import DoorDirectory
from .first_contact import FirstContact
from .guest_keys import KeyDirectory
from .identifiers import door_id_of_device
from .issues import async_clear_all
from .key_actions import async_setup_key_actions
from .people import PeopleDirectory, links_from_options
from .recent import RecentUnlocks
from .services import async_setup_services
from .storage import ParakeyStore, async_remove_store
from .texts import async_load_texts
from .webhook import WebhookEndpoint
from .webhook_monitor import WebhookMonitor
from .webhook_url import async_delete_cloudhook

PLATFORMS: list[Platform] = [
    Platform.CALENDAR,
    Platform.DEVICE_TRACKER,
    Platform.EVENT,
    Platform.SENSOR,
]
# Per-door sensors of 0.1 whose facts the event entity carries now.
REMOVED_DOOR_SENSORS = ("last_unlocked_by", "last_unlock")
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, so automations validate even without a loaded entry.

    Also have the logbook's texts ready in the server's language, and again
    whenever the language changes.
    """
    async_setup_services(hass)
    async_setup_key_actions(hass)
    await async_load_texts(hass)

    async def reload_texts(_: Event) -> None:
        await async_load_texts(hass)

    hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, reload_texts)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> bool:
    """Build and wire the pieces of one Parakey place."""
    client = ParakeyClient(
        async_get_clientsession(hass),
        entry.data[CONF_ACCESS_TOKEN],
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
        request_timeout=REQUEST_TIMEOUT,
    )
    store = ParakeyStore(hass, entry.entry_id)
    await store.async_load()
    doors = DoorDirectory(hass, entry, store)
    people = PeopleDirectory(store, links_from_options(entry.options))
    delivery = UnlockDelivery(hass, entry, store, doors, people)
    poller = EventLogPoller(client, delivery.seen)
    coordinator = ParakeyCoordinator(
        hass, entry, client, poller, doors, delivery, store
    )
    await coordinator.async_prepare()
    first_contact = FirstContact(hass, entry, client)
    first_contact.async_check_doors()
    counter = DailyUnlockCounter(hass, store)
    recent = RecentUnlocks(store)
    keys = KeyDirectory(hass, entry, client, doors, store)
    monitor = WebhookMonitor(hass, entry, store)
    endpoint = WebhookEndpoint(
        hass, entry, delivery, monitor, on_batch=keys.async_on_batch_pushed
    )
    entry.runtime_data = ParakeyRuntimeData(
        client=client,
        store=store,
        doors=doors,
        people=people,
        delivery=delivery,
        coordinator=coordinator,
        counter=counter,
        recent=recent,
        keys=keys,
        first_contact=first_contact,
        monitor=monitor,
        webhook=endpoint,
    )
    # Unload callbacks run last-in first-out: the store is saved after the rest.
    entry.async_on_unload(store.async_save)
    entry.async_on_unload(delivery.async_add_listener(counter.async_on_unlock))
    entry.async_on_unload(delivery.async_add_listener(recent.async_on_unlock))
    entry.async_on_unload(delivery.async_add_listener(first_contact.async_on_unlock))
    entry.async_on_unload(counter.async_start())
    entry.async_on_unload(endpoint.async_disable)
    entry.async_on_unload(
        monitor.async_add_trust_listener(coordinator.async_set_push_trusted)
    )
    _async_adopt_place_unique_id(hass, entry, doors.place)

    @callback
    def place_known(place: Place) -> None:
        _async_adopt_place_unique_id(hass, entry, place)
        if delivery.started.is_set():
            entry.async_create_background_task(
                hass, keys.async_refresh(), "parakey: the keys of a new place"
            )

    entry.async_on_unload(doors.async_add_place_listener(place_known))
    await async_apply_options(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    # After a restart the first poll (and any webhook retry) delivers the
    # unlocks of the downtime: wait until Home Assistant has started, so
    # automations are listening.
    async def start_polling(_: HomeAssistant) -> None:
        delivery.started.set()
        entry.async_on_unload(coordinator.async_keep_polling())
        await coordinator.async_refresh()
        await keys.async_refresh()

    entry.async_on_unload(async_at_started(hass, start_polling))
    return True


async def async_apply_options(hass: HomeAssistant, entry: ParakeyConfigEntry) -> None:
    """Make the entry follow its options (and webhook credentials) in place."""
    runtime = entry.runtime_data
    runtime.coordinator.async_apply_options()
    runtime.people.async_set_links(links_from_options(entry.options))
    if entry.options.get(CONF_WEBHOOK_ENABLED) and CONF_WEBHOOK_ID in entry.data:
        await runtime.webhook.async_enable()
    else:
        runtime.webhook.async_disable()
    runtime.options_applied.notify()


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


async def async_migrate_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> bool:
    """Bring an entry written by an older version up to date."""
    if entry.version > 1:
        return False  # written by a newer version: refuse rather than guess
    if entry.minor_version < 2:
        # 1.1 stored the cloudhook URL, which could belong to an abandoned
        # webhook id; it is now looked up from the id each time.
        data = {k: v for k, v in entry.data.items() if k != CONF_CLOUDHOOK_URL}
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)
    if entry.minor_version < 3:
        # 0.2 removed the per-door sensors of 0.1; none may stay orphaned.
        registry = er.async_get(hass)
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            if entity.domain == Platform.SENSOR and entity.unique_id.endswith(
                tuple(f"-{key}" for key in REMOVED_DOOR_SENSORS)
            ):
                registry.async_remove(entity.entity_id)
        hass.config_entries.async_update_entry(entry, minor_version=3)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> bool:
    """Unload the platforms; every piece was set to stop with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ParakeyConfigEntry) -> None:
    """Clean up what outlives an entry: cloudhook, repair issues, stored state."""
    if CONF_WEBHOOK_ID in entry.data:
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    async_clear_all(hass, entry)
    await async_remove_store(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ParakeyConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user remove a door Parakey no longer lists; refuse the others.

    A removed door comes back if it unlocks again.
    """
    door_id = door_id_of_device(device.identifiers)
    if door_id is None:
        return False  # the place's own device
    runtime = entry.runtime_data
    listed = await runtime.coordinator.async_listed_door_ids()
    if listed is not None and door_id in listed:
        return False
    runtime.doors.async_remove(door_id)
    return True
