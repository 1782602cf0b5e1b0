"""The keys calendar: each time-limited key of the place as an event.

"Key Guest: cleaner@example.com" from when the key starts to when it ends.
Open-ended keys have no place in a calendar; ``parakey.get_keys`` lists them.
The calendar only reads the key directory, which refreshes it (cheaply, by
ETag) and right after every change made from Home Assistant.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .api import AccessKey
from .data import ParakeyConfigEntry
from .guest_keys import KeyDirectory
from .identifiers import place_device_info, place_entity_unique_id
from .texts import text

PARALLEL_UPDATES = 0
# A key without a start began "long ago"; without an end it runs "for a long
# time": far enough to cover any window a calendar card asks for.
OPEN_END = timedelta(days=3650)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParakeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One keys calendar per place."""
    async_add_entities([KeysCalendar(entry, entry.runtime_data.keys)])


class KeysCalendar(CoordinatorEntity[KeyDirectory], CalendarEntity):
    """The place's time-limited keys."""

    _attr_has_entity_name = True
    _attr_translation_key = "keys"

    def __init__(self, entry: ParakeyConfigEntry, keys: KeyDirectory) -> None:
        """Attach to the place's device."""
        super().__init__(keys)
        self._attr_unique_id = place_entity_unique_id(entry.entry_id, "keys")
        self._attr_device_info = place_device_info(entry)

    @property
    def available(self) -> bool:
        """Always: a failed refresh keeps the keys last listed.

        It is retried in two hours (at once after a change made here); a
        calendar blanked as unavailable until then would show nothing true.
        """
        return True

    def _events(self) -> list[CalendarEvent]:
        return sorted(
            (
                self._event_of(key)
                for key in self.coordinator.data.keys
                if key.time_limited
            ),
            key=lambda event: event.start_datetime_local,
        )

    def _event_of(self, key: AccessKey) -> CalendarEvent:
        now = dt_util.utcnow()
        start = key.start or min(now, key.end or now) - OPEN_END
        end = key.end or max(now, start) + OPEN_END
        who = key.user_email or key.user_name or key.user_id or "?"
        access = key.access_name or key.access_alias_id or key.access_id or "?"
        return CalendarEvent(
            start=start,
            end=end,
            summary=text(self.hass, "calendar_key", access=access, who=who),
            uid=key.id,
        )

    @property
    def event(self) -> CalendarEvent | None:
        """The key in force now, else the next one to start."""
        now = dt_util.now()
        upcoming = [event for event in self._events() if event.end_datetime_local > now]
        return upcoming[0] if upcoming else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The keys whose window overlaps ``start_date`` to ``end_date``."""
        return [
            event
            for event in self._events()
            if event.start_datetime_local < end_date
            and event.end_datetime_local > start_date
        ]
