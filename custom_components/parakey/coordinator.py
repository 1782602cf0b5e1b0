"""The bridge between the Parakey client and Home Assistant.

Poll and webhook both end in ``async_ingest``: de-duplicate by id, order by
``createdAt``, learn new doors, fire ``parakey_unlock`` and tell the door
entities. The poll state, the remembered ids and what the sensors show live in
one ``Store`` per entry, so a restart neither loses nor repeats an unlock.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
import dataclasses
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    ORDER_DESC,
    Door,
    EventLog,
    EventLogPoller,
    ParakeyAuthError,
    ParakeyClient,
    ParakeyError,
    ParakeyRateLimitedError,
    PollerState,
    format_datetime,
    parse_datetime,
)
from .const import (
    CONF_MAX_EVENT_AGE,
    CONF_POLL_INTERVAL,
    CONF_WEBHOOK_ENABLED,
    DEFAULT_MAX_EVENT_AGE,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    DOOR_DISCOVERY_MAX_PAGES,
    DOOR_DISCOVERY_WINDOW,
    EVENT_UNLOCK,
    INGEST_CHUNK,
    LOGGER,
    NEW_DOOR_ENTITY_TIMEOUT,
    RECENT_LOGS,
    SOURCE_POLL,
    STORAGE_VERSION,
    TOKEN_UNIQUE_ID_PREFIX,
    WEBHOOK_MISSED_GRACE,
    WEBHOOK_MISSED_THRESHOLD,
)
from .issues import async_update_not_delivering_issue
from .models import ParakeyData, Unlock, door_device_info

type ParakeyConfigEntry = ConfigEntry[ParakeyCoordinator]
type UnlockListener = Callable[[Unlock], None]
type DoorsListener = Callable[[list[Door]], None]


def _update_error(err: ParakeyError) -> Exception:
    """Map a client error onto what the coordinator machinery expects."""
    if isinstance(err, ParakeyAuthError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        )
    if isinstance(err, ParakeyRateLimitedError):
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={"seconds": str(int(err.retry_after or 0))},
        )
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="update_failed",
        translation_placeholders={"error": str(err)},
    )


def event_entity_unique_id(door_id: str) -> str:
    """Unique id of a door's event entity; the bus event names its entity id."""
    return f"{door_id}-unlock"


class ParakeyCoordinator(DataUpdateCoordinator[ParakeyData]):
    """Polls one Parakey place and delivers each unlock exactly once."""

    config_entry: ParakeyConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: ParakeyConfigEntry, client: ParakeyClient
    ) -> None:
        """Set up; nothing is loaded until the first refresh."""
        self._base_interval = timedelta(
            seconds=entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=self._base_interval,
            always_update=False,
        )
        self.client = client
        self.poller = EventLogPoller(client)
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
        )
        self._doors: dict[str, Door] = {}
        self._last_unlocks: dict[str, Unlock] = {}
        self._last_webhook: datetime | None = None
        self.recent: deque[Unlock] = deque(maxlen=RECENT_LOGS)
        self.place_name: str | None = None
        self.place_id: str | None = None
        self._ingest_lock = asyncio.Lock()
        self._unlock_listeners: dict[str, list[UnlockListener]] = {}
        self._door_listeners: list[DoorsListener] = []
        self._entity_ready: dict[str, asyncio.Event] = {}
        self.webhook_enabled: bool = entry.options.get(CONF_WEBHOOK_ENABLED, False)
        self._missed_by_webhook = 0
        self._polling = False
        self.data = ParakeyData()

    # ----- listeners (platforms subscribe; they never call the API) -----

    @callback
    def async_add_doors_listener(self, listener: DoorsListener) -> CALLBACK_TYPE:
        """Call ``listener`` with doors discovered after setup."""
        self._door_listeners.append(listener)
        return lambda: self._door_listeners.remove(listener)

    @callback
    def async_subscribe_unlocks(
        self, door_id: str, listener: UnlockListener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with every unlock of ``door_id``."""
        listeners = self._unlock_listeners.setdefault(door_id, [])
        listeners.append(listener)
        if ready := self._entity_ready.get(door_id):
            ready.set()

        @callback
        def unsubscribe() -> None:
            listeners.remove(listener)

        return unsubscribe

    @property
    def doors(self) -> dict[str, Door]:
        """Known doors by id."""
        return self._doors

    @property
    def max_event_age(self) -> timedelta | None:
        """Unlocks older than this when learnt are ``delayed``; None = never."""
        minutes = self.config_entry.options.get(
            CONF_MAX_EVENT_AGE, DEFAULT_MAX_EVENT_AGE
        )
        return timedelta(minutes=minutes) if minutes else None

    # ----- lifecycle -----

    async def _async_setup(self) -> None:
        """Restore the stored state, then learn the doors."""
        self._restore(await self._store.async_load())
        try:
            await self._async_discover_doors()
        except ParakeyError as err:
            raise _update_error(err) from err

    def _restore(self, stored: Any) -> None:
        if not isinstance(stored, dict):
            return
        self.poller.state = PollerState.from_dict(stored.get("poller"))
        for raw in stored.get("doors") or []:
            if door := Door.from_dict(raw):
                self._doors[door.id] = door
        raw_unlocks = stored.get("last_unlocks")
        for door_id, raw in (
            raw_unlocks if isinstance(raw_unlocks, dict) else {}
        ).items():
            if isinstance(raw, dict) and (log := EventLog.from_dict(raw.get("log"))):
                self._last_unlocks[str(door_id)] = Unlock(
                    log=log,
                    source=str(raw.get("source", "")),
                    delayed=bool(raw.get("delayed")),
                )
        self._last_webhook = parse_datetime(stored.get("last_webhook"))
        place = stored.get("place")
        if isinstance(place, dict):
            self.place_id = (
                place.get("id") if isinstance(place.get("id"), str) else None
            )
            name = place.get("name")
            self.place_name = name if isinstance(name, str) else None
        self.data = self._build_data()

    async def _async_discover_doors(self) -> None:
        """Learn doors from ``/devices``, else from the last 30 days of logs."""
        places = await self.client.list_places()
        if places:
            self.place_id, self.place_name = places[0].id, places[0].name
        doors = await self.client.list_doors()
        if doors is None and not self._doors:
            doors = await self._async_doors_from_history()
        found = [door for door in doors or [] if door.id not in self._doors]
        for door in doors or []:
            # Names change in My Parakey; the device name follows.
            self._doors[door.id] = door
        if found:
            LOGGER.debug("Found %s door(s) at setup", len(found))
        self._async_register_devices(self._doors.values())
        self.data = self._build_data()

    async def _async_doors_from_history(self) -> list[Door]:
        since = dt_util.utcnow() - DOOR_DISCOVERY_WINDOW
        doors: dict[str, Door] = {}
        for page_number in range(DOOR_DISCOVERY_MAX_PAGES):
            page = await self.client.list_event_logs(
                limit=100,
                offset=page_number * 100,
                start_date=since,
                order_by=ORDER_DESC,
            )
            for log in page.logs:
                if (door := log.door) and door.id not in doors:
                    doors[door.id] = door
                if log.place and self.place_id is None:
                    self.place_id, self.place_name = log.place_id, log.place_name
            if page.item_count < 100:
                break
        return list(doors.values())

    async def async_shutdown(self) -> None:
        """Write the state before the entry goes away."""
        await super().async_shutdown()
        await self._store.async_save(self._data_to_store())

    # ----- polling -----

    async def async_start_polling(self) -> None:
        """Start polling now that the platforms listen for unlocks."""
        self._polling = True
        await self.async_refresh()

    async def _async_update_data(self) -> ParakeyData:
        if not self._polling:
            return self._build_data()
        try:
            result = await self.poller.poll()
        except ParakeyRateLimitedError as err:
            # Slow down until Parakey answers again; UpdateFailed(retry_after=)
            # does the same on newer Home Assistant, but not on 2025.4.
            wait = timedelta(seconds=err.retry_after or 0)
            self.update_interval = max(self._base_interval, wait)
            raise _update_error(err) from err
        except ParakeyError as err:
            raise _update_error(err) from err
        if self.update_interval != self._base_interval:
            LOGGER.info("Parakey accepts requests again; back to the normal interval")
            self.update_interval = self._base_interval
        if result.logs:
            await self.async_ingest(result.logs, SOURCE_POLL)
        self.poller.commit(result)
        if not result.not_modified:
            self._schedule_save()
        return self._build_data()

    # ----- the one ingest path -----

    async def async_ingest(self, logs: Iterable[EventLog], source: str) -> int:
        """Deliver every log not delivered before; return how many were new."""
        async with self._ingest_lock:
            fresh = {log.id: log for log in logs if self.poller.is_new(log)}
            if not fresh:
                return 0
            ordered = sorted(fresh.values(), key=lambda log: (log.created_at, log.id))
            # Claim the ids before anything can yield, so a push and a poll
            # racing for the same log cannot both deliver it.
            self.poller.mark_seen(ordered)
            await self._async_learn_doors(ordered)
            for index, log in enumerate(ordered, 1):
                self._deliver(self._enrich(log), source)
                if index % INGEST_CHUNK == 0:
                    # A catch-up can hold thousands of logs: let the loop run
                    # (and listeners drain their queued events) between chunks.
                    await asyncio.sleep(0)
            self._async_upgrade_unique_id(ordered)
            self._async_check_webhook_delivery(ordered, source)
            self._schedule_save()
            return len(ordered)

    @callback
    def _async_check_webhook_delivery(self, logs: list[EventLog], source: str) -> None:
        """Raise a repair issue when polls keep finding what pushes missed.

        A log younger than the grace period may simply be a push still on its
        way, so only older ones count.
        """
        if not self.webhook_enabled:
            return
        if source != SOURCE_POLL:
            if self._missed_by_webhook:
                self._missed_by_webhook = 0
                async_update_not_delivering_issue(self.hass, self.config_entry, None)
            return
        cutoff = dt_util.utcnow() - WEBHOOK_MISSED_GRACE
        self._missed_by_webhook += sum(1 for log in logs if log.created_at < cutoff)
        if self._missed_by_webhook >= WEBHOOK_MISSED_THRESHOLD:
            async_update_not_delivering_issue(
                self.hass, self.config_entry, self._missed_by_webhook
            )

    def _enrich(self, log: EventLog) -> EventLog:
        """Fill names the log left out from what is known about the door."""
        door = self._doors.get(log.door_id or "")
        return dataclasses.replace(
            log,
            door_name=log.door_name or (door.name if door else None),
            place_id=log.place_id or self.place_id,
            place_name=log.place_name or self.place_name,
        )

    def _deliver(self, log: EventLog, source: str) -> None:
        max_age = self.max_event_age
        delayed = max_age is not None and dt_util.utcnow() - log.timestamp > max_age
        unlock = Unlock(
            log=log,
            source=source,
            delayed=delayed,
            device_id=self._device_id(log.door_id),
            entity_id=self._entity_id(log.door_id),
            place_id=self.place_id,
            place_name=self.place_name,
        )
        LOGGER.debug(
            "Unlock %s of door %s by %s (%s%s)",
            log.id,
            log.door_id,
            log.user_id,
            source,
            ", delayed" if delayed else "",
        )
        self.hass.bus.async_fire(EVENT_UNLOCK, unlock.event_data())
        self.recent.append(unlock)
        if log.door_id is None:
            return
        previous = self._last_unlocks.get(log.door_id)
        if previous is None or log.timestamp >= previous.log.timestamp:
            self._last_unlocks[log.door_id] = unlock
        for listener in list(self._unlock_listeners.get(log.door_id, ())):
            try:
                listener(unlock)
            except Exception:  # noqa: BLE001 - one broken listener must not stop delivery
                LOGGER.exception("Error delivering unlock %s", log.id)

    async def _async_learn_doors(self, logs: list[EventLog]) -> None:
        """Add doors seen for the first time, and wait for their entities."""
        new: dict[str, Door] = {}
        for log in logs:
            if (door := log.door) and door.id not in self._doors and door.id not in new:
                new[door.id] = door
        if not new:
            return
        LOGGER.info(
            "New Parakey door(s): %s", ", ".join(d.name or d.id for d in new.values())
        )
        self._doors.update(new)
        self._async_register_devices(new.values())
        waiting = {
            door_id: self._entity_ready.setdefault(door_id, asyncio.Event())
            for door_id in new
            if not self.config_entry.pref_disable_new_entities
        }
        for listener in list(self._door_listeners):
            listener(list(new.values()))
        if not waiting or not self._door_listeners:
            return
        # The first unlock of a new door should reach its event entity and name
        # it in the bus event, so give the platforms a moment to add it.
        try:
            async with asyncio.timeout(NEW_DOOR_ENTITY_TIMEOUT):
                for ready in waiting.values():
                    await ready.wait()
        except TimeoutError:
            LOGGER.warning("Entities of new door(s) were not ready in time")
        finally:
            for door_id in waiting:
                self._entity_ready.pop(door_id, None)

    @callback
    def _async_register_devices(self, doors: Iterable[Door]) -> None:
        registry = dr.async_get(self.hass)
        for door in doors:
            registry.async_get_or_create(
                config_entry_id=self.config_entry.entry_id, **door_device_info(door)
            )

    def _device_id(self, door_id: str | None) -> str | None:
        if door_id is None:
            return None
        device = dr.async_get(self.hass).async_get_device(
            identifiers={(DOMAIN, door_id)}
        )
        return device.id if device else None

    def _entity_id(self, door_id: str | None) -> str | None:
        if door_id is None:
            return None
        return er.async_get(self.hass).async_get_entity_id(
            "event", DOMAIN, event_entity_unique_id(door_id)
        )

    @callback
    def _async_upgrade_unique_id(self, logs: list[EventLog]) -> None:
        """Replace a token-derived unique id once a log names the place."""
        entry = self.config_entry
        place = next((log.place for log in logs if log.place), None)
        if place is None:
            return
        if self.place_id is None:
            self.place_id, self.place_name = place.id, place.name
        if not (entry.unique_id or "").startswith(TOKEN_UNIQUE_ID_PREFIX):
            return
        if self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, place.id):
            LOGGER.warning(
                "Place %s is configured twice; keeping the token id", place.id
            )
            return
        self.hass.config_entries.async_update_entry(
            entry, unique_id=place.id, title=place.name or entry.title
        )

    @callback
    def async_remove_door(self, door_id: str) -> None:
        """Forget a door the user removed; it comes back if it unlocks again."""
        self._doors.pop(door_id, None)
        self._last_unlocks.pop(door_id, None)
        self._schedule_save()
        self.async_set_updated_data(self._build_data())

    @callback
    def async_publish(self) -> None:
        """Tell entities about pushed data without resetting the poll timer."""
        data = self._build_data()
        if data != self.data:
            self.data = data
            self.async_update_listeners()

    @callback
    def async_note_webhook(self) -> None:
        """Record that a push arrived (for the diagnostic sensor)."""
        self._last_webhook = dt_util.utcnow()
        self._schedule_save()

    def _build_data(self) -> ParakeyData:
        return ParakeyData(
            doors=dict(self._doors),
            last_unlocks=dict(self._last_unlocks),
            last_webhook=self._last_webhook,
        )

    # ----- persistence -----

    @callback
    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_store, 1)

    @callback
    def _data_to_store(self) -> dict[str, Any]:
        return {
            "poller": self.poller.state.as_dict(),
            "place": {"id": self.place_id, "name": self.place_name},
            "doors": [door.as_dict() for door in self._doors.values()],
            "last_unlocks": {
                door_id: {
                    "log": unlock.log.as_dict(),
                    "source": unlock.source,
                    "delayed": unlock.delayed,
                }
                for door_id, unlock in self._last_unlocks.items()
            },
            "last_webhook": format_datetime(self._last_webhook)
            if self._last_webhook
            else None,
        }
