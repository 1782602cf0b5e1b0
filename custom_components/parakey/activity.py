"""Unlocks per door today, by when the door opened, in Home Assistant's time zone.

Counted from delivery (so each unlock once), never by polling: a late upload
of yesterday's unlock does not count today. The counts survive a restart and
go back to zero at local midnight.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.util import dt as dt_util

from .listeners import Listeners
from .storage import ParakeyStore
from .unlock import Unlock

SECTION = "daily_unlocks"


class DailyUnlockCounter:
    """Today's unlock count per door."""

    def __init__(self, hass: HomeAssistant, store: ParakeyStore) -> None:
        """Restore today's counts; a stored day that is over counts as zero."""
        self._hass = hass
        self._store = store
        self._day = dt_util.now().date()
        self._counts: dict[str, int] = {}
        # Per door: a catch-up of a thousand unlocks tells each door's sensor
        # of its own changes only.
        self._listeners: dict[str, Listeners[[]]] = {}
        self._cancel_midnight: CALLBACK_TYPE | None = None
        stored = store.section(SECTION)
        if isinstance(stored, dict) and stored.get("date") == self._day.isoformat():
            counts = stored.get("counts")
            if isinstance(counts, dict):
                self._counts = {
                    str(door): n
                    for door, n in counts.items()
                    if isinstance(n, int) and n >= 0
                }
        store.async_add_section(SECTION, self._dump)

    def _dump(self) -> Any:
        return {"date": self._day.isoformat(), "counts": dict(self._counts)}

    @property
    def day_started(self) -> datetime:
        """Local midnight at the start of the day being counted."""
        return dt_util.start_of_local_day(self._day)

    def count(self, door_id: str) -> int:
        """Unlocks of ``door_id`` today."""
        return self._counts.get(door_id, 0)

    @callback
    def async_add_listener(
        self, door_id: str, listener: Callable[[], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` when the count of ``door_id`` changes (and at midnight)."""
        return self._listeners.setdefault(door_id, Listeners()).add(listener)

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Reset at each local midnight until the returned callback is called."""
        self._schedule_midnight()

        @callback
        def stop() -> None:
            if self._cancel_midnight:
                self._cancel_midnight()
                self._cancel_midnight = None

        return stop

    @callback
    def async_on_unlock(self, unlock: Unlock) -> None:
        """Count an unlock whose door opened today."""
        door_id = unlock.log.door_id
        opened = dt_util.as_local(unlock.log.timestamp).date()
        if door_id is None or opened != self._roll_over():
            return
        self._counts[door_id] = self._counts.get(door_id, 0) + 1
        self._changed(door_id)

    def _roll_over(self) -> date:
        """Start a new day if midnight passed; return today."""
        today = dt_util.now().date()
        if today != self._day:
            self._day = today
            self._counts = {}
            self._changed(None)
        return today

    def _changed(self, door_id: str | None) -> None:
        """Tell the door's listeners (None: a new day, everyone's)."""
        self._store.async_schedule_save()
        if door_id is None:
            for door_listeners in self._listeners.values():
                door_listeners.notify()
        elif listeners := self._listeners.get(door_id):
            listeners.notify()

    def _schedule_midnight(self) -> None:
        midnight = dt_util.start_of_local_day(self._day + timedelta(days=1))
        self._cancel_midnight = async_track_point_in_time(
            self._hass, self._at_midnight, midnight
        )

    @callback
    def _at_midnight(self, _: datetime) -> None:
        self._roll_over()
        self._schedule_midnight()
