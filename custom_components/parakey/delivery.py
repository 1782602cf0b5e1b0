"""Delivery: every unlock, from poll or webhook, handed on exactly once.

``async_ingest`` is the one path both sources take. It claims each new log
id before anything can yield (so a push and a poll racing for the same log
cannot both deliver it), orders the batch by ``createdAt``, learns new doors,
fires ``parakey_unlock`` and tells the listeners: the door's entities and
whatever else follows unlocks (webhook monitoring, people, counters).

Delivery owns the memory of handed-on ids (``SeenLogs``): it is the only
writer, and it schedules the save of its own store section.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Mapping
import dataclasses
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .api import EventLog, SeenLogs
from .const import (
    CONF_MAX_EVENT_AGE,
    DEFAULT_MAX_EVENT_AGE,
    EVENT_UNLOCK,
    INGEST_CHUNK,
    LOGGER,
    RECENT_LOGS,
)
from .doors import DoorDirectory
from .listeners import Listeners
from .people import PeopleDirectory
from .storage import ParakeyStore
from .unlock import Unlock

SECTION = "seen"

type UnlockListener = Callable[[Unlock], None]


class UnlockDelivery:
    """De-duplicates, orders, enriches and fires the unlocks of one entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        store: ParakeyStore,
        doors: DoorDirectory,
        people: PeopleDirectory,
    ) -> None:
        """Restore the handed-on ids; deliver into ``hass``."""
        self._hass = hass
        self._entry = entry
        self._store = store
        self._doors = doors
        self._people = people
        self.seen = SeenLogs.from_dict(store.section(SECTION))
        store.async_add_section(SECTION, self.seen.as_dict)
        self._lock = asyncio.Lock()
        self._door_listeners: dict[str, Listeners[Unlock]] = {}
        self._listeners: Listeners[Unlock] = Listeners()
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
        return self._door_listeners.setdefault(door_id, Listeners()).add(listener)

    @callback
    def async_add_listener(self, listener: UnlockListener) -> CALLBACK_TYPE:
        """Call ``listener`` with every unlock, after the door's own listeners."""
        return self._listeners.add(listener)

    @callback
    def async_mark_seen(self, ids: Mapping[str, datetime]) -> None:
        """Remember ids that must never be delivered (history before the start)."""
        if ids:
            self.seen.mark_ids(ids)
            self._store.async_schedule_save()

    async def async_ingest(self, logs: Iterable[EventLog], source: str) -> int:
        """Deliver every log not delivered before; return how many were new."""
        await self.started.wait()
        async with self._lock:
            fresh = {log.id: log for log in logs if self.seen.is_new(log)}
            if not fresh:
                return 0
            ordered = sorted(fresh.values(), key=lambda log: (log.created_at, log.id))
            self.seen.mark(ordered)
            self._learn(ordered)
            for index, log in enumerate(ordered, 1):
                self._deliver(log, source)
                if index % INGEST_CHUNK == 0:
                    # A catch-up can hold thousands of logs: let the loop run
                    # (and listeners drain their queued events) between chunks.
                    await asyncio.sleep(0)
            # Written as soon as the loop is free, not in a second: if Home
            # Assistant dies (no unload, no final save), what was delivered is
            # not delivered again. A burst of pushes still makes one write.
            self._store.async_schedule_save(delay=0)
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
            context=unlock.context,
            time_fired=min(log.timestamp, now).timestamp(),
        )
        self.recent.append(unlock)
        self._people.async_note(unlock)
        # The batch's ids are already claimed: a listener that raises is logged
        # by ``Listeners`` and must not lose the unlocks after this one.
        if door_listeners := self._door_listeners.get(log.door_id or ""):
            door_listeners.notify(unlock)
        self._listeners.notify(unlock)

    @callback
    def _learn(self, logs: list[EventLog]) -> None:
        """Learn the place and new doors before their first unlock is fired.

        Platforms add a new door's entities from the doors listener, and Home
        Assistant adds them eagerly: the entity has subscribed (and the
        registry names it) before this returns, so the first unlock reaches it.
        """
        if place := next((log.place for log in logs if log.place), None):
            self._doors.async_set_place(place)
        new = {
            door.id: door
            for log in logs
            if (door := log.door) and door.id not in self._doors
        }
        if new:
            LOGGER.info(
                "New Parakey door(s): %s",
                ", ".join(door.name or door.id for door in new.values()),
            )
            self._doors.async_update(new.values())
