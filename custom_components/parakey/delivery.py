"""Delivery: every unlock, from poll or webhook, handed on exactly once.

``async_ingest`` is the one path both sources take. It claims each new log
id before anything can yield (so a push and a poll racing for the same log
cannot both deliver it), orders the batch by ``createdAt``, learns new doors,
fires ``parakey_unlock`` and tells the listeners: the door's entities and
whatever else follows unlocks (webhook monitoring, people, counters).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
import dataclasses
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .api import Door, EventLog, EventLogPoller
from .const import (
    CONF_MAX_EVENT_AGE,
    DEFAULT_MAX_EVENT_AGE,
    EVENT_UNLOCK,
    INGEST_CHUNK,
    LOGGER,
    NEW_DOOR_ENTITY_TIMEOUT,
    RECENT_LOGS,
)
from .doors import DoorDirectory
from .models import Unlock
from .people import PeopleDirectory

type UnlockListener = Callable[[Unlock], None]


class UnlockDelivery:
    """De-duplicates, orders, enriches and fires the unlocks of one entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        poller: EventLogPoller,
        doors: DoorDirectory,
        people: PeopleDirectory,
    ) -> None:
        """Deliver into ``hass``; ``poller`` remembers which ids were seen."""
        self._hass = hass
        self._entry = entry
        self._poller = poller
        self._doors = doors
        self._people = people
        self._lock = asyncio.Lock()
        self._door_listeners: dict[str, list[UnlockListener]] = {}
        self._listeners: list[UnlockListener] = []
        # Set by a door's event entity when it subscribes; ingest waits for
        # it, so the first unlock of a new door reaches (and names) its entity.
        self._entity_ready: dict[str, asyncio.Event] = {}
        self.recent: deque[Unlock] = deque(maxlen=RECENT_LOGS)
        # Automations attach their triggers once Home Assistant has started;
        # an unlock fired before that (a webhook retry during start-up) would
        # reach none of them, so delivery waits. Set by set-up's at-started.
        self.started = asyncio.Event()

    @property
    def max_event_age(self) -> timedelta | None:
        """Unlocks older than this when learnt are ``delayed``; None = never."""
        minutes = self._entry.options.get(CONF_MAX_EVENT_AGE, DEFAULT_MAX_EVENT_AGE)
        return timedelta(minutes=minutes) if minutes else None

    @callback
    def async_subscribe_door(
        self, door_id: str, listener: UnlockListener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with every unlock of ``door_id``."""
        listeners = self._door_listeners.setdefault(door_id, [])
        listeners.append(listener)
        if ready := self._entity_ready.get(door_id):
            ready.set()
        return lambda: listeners.remove(listener)

    @callback
    def async_add_listener(self, listener: UnlockListener) -> CALLBACK_TYPE:
        """Call ``listener`` with every unlock, after it was fired."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def async_ingest(self, logs: Iterable[EventLog], source: str) -> int:
        """Deliver every log not delivered before; return how many were new."""
        await self.started.wait()
        async with self._lock:
            fresh = {log.id: log for log in logs if self._poller.is_new(log)}
            if not fresh:
                return 0
            ordered = sorted(fresh.values(), key=lambda log: (log.created_at, log.id))
            self._poller.mark_seen(ordered)
            await self._async_learn(ordered)
            for index, log in enumerate(ordered, 1):
                self._deliver(log, source)
                if index % INGEST_CHUNK == 0:
                    # A catch-up can hold thousands of logs: let the loop run
                    # (and listeners drain their queued events) between chunks.
                    await asyncio.sleep(0)
            return len(ordered)

    def build_unlock(self, log: EventLog, source: str, *, delayed: bool) -> Unlock:
        """An unlock with what the log left out filled in from what is known."""
        door = self._doors.doors.get(log.door_id or "")
        place = self._doors.place
        log = dataclasses.replace(
            log,
            door_name=log.door_name or (door.name if door else None),
            place_id=log.place_id or (place.id if place else None),
            place_name=log.place_name or (place.name if place else None),
        )
        return Unlock(
            log=log,
            source=source,
            delayed=delayed,
            device_id=self._doors.device_id(log.door_id),
            entity_id=self._doors.entity_id(log.door_id),
            person_entity_id=self._people.person_of(log.user_id),
        )

    def _deliver(self, log: EventLog, source: str) -> None:
        max_age = self.max_event_age
        now = dt_util.utcnow()
        delayed = max_age is not None and now - log.timestamp > max_age
        unlock = self.build_unlock(log, source, delayed=delayed)
        log = unlock.log
        LOGGER.debug(
            "Unlock %s of door %s by %s (%s%s)",
            log.id,
            log.door_id,
            log.user_id,
            source,
            ", delayed" if delayed else "",
        )
        # Fired at the time the door opened, so the logbook line stands where
        # it happened, not where Home Assistant heard of it.
        self._hass.bus.async_fire(
            EVENT_UNLOCK,
            unlock.event_data(),
            time_fired=min(log.timestamp, now).timestamp(),
        )
        self.recent.append(unlock)
        self._people.async_note(unlock)
        listeners = [*self._door_listeners.get(log.door_id or "", ()), *self._listeners]
        for listener in listeners:
            try:
                listener(unlock)
            except Exception:  # noqa: BLE001
                # The batch's ids are already claimed: an error escaping here
                # would lose the unlocks after this one for good.
                LOGGER.exception("Error delivering unlock %s", log.id)

    async def _async_learn(self, logs: list[EventLog]) -> None:
        """Learn the place and new doors; wait for the new doors' entities."""
        if place := next((log.place for log in logs if log.place), None):
            self._doors.async_set_place(place)
        seen: dict[str, Door] = {}
        for log in logs:
            if (door := log.door) and door.id not in self._doors:
                seen.setdefault(door.id, door)
        if not seen:
            return
        LOGGER.info(
            "New Parakey door(s): %s", ", ".join(d.name or d.id for d in seen.values())
        )
        waiting = [
            self._entity_ready.setdefault(door_id, asyncio.Event())
            for door_id in seen
            if self._doors.watched and not self._entry.pref_disable_new_entities
        ]
        self._doors.async_update(seen.values())
        if not waiting:
            return
        try:
            async with asyncio.timeout(NEW_DOOR_ENTITY_TIMEOUT):
                for ready in waiting:
                    await ready.wait()
        except TimeoutError:
            LOGGER.warning("Entities of new door(s) were not ready in time")
        finally:
            for door_id in seen:
                self._entity_ready.pop(door_id, None)
