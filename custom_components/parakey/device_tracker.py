"""Presence at the door: a tracker per linked person, home right after they unlock.

Opt-in per place ("Unlocks at this place mean the person is home"). The
tracker is not GPS: Home Assistant's person prefers a non-GPS tracker that
says ``home`` over GPS, so arrival shows at once. It says ``home`` only for a
short window after a timely unlock and is otherwise unknown, which person
ignores: it can neither pin anyone home nor mark anyone away.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# 2025.4's package does not list TrackerEntity in __all__; 2026.x does.
from homeassistant.components.device_tracker import (  # type: ignore[attr-defined]
    SourceType,
    TrackerEntity,
)
from homeassistant.const import STATE_HOME, Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.util import dt as dt_util

from .const import (
    CONF_PRESENCE,
    CONF_PRESENCE_MINUTES,
    DEFAULT_PRESENCE_MINUTES,
)
from .data import ParakeyConfigEntry
from .delivery import UnlockDelivery
from .models import Unlock, place_device_info
from .people import PeopleDirectory

PARALLEL_UPDATES = 0


def presence_unique_id(entry_id: str, user_id: str) -> str:
    """Unique id of the presence tracker of one linked user."""
    return f"{entry_id}-presence-{user_id}"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParakeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A tracker per linked person when unlocks mean home; none otherwise."""
    coordinator = entry.runtime_data.coordinator
    people = coordinator.people
    window = timedelta(
        minutes=entry.options.get(CONF_PRESENCE_MINUTES, DEFAULT_PRESENCE_MINUTES)
    )
    trackers = (
        [
            PresenceTracker(
                entry, people, coordinator.delivery, user_id, window, person_name
            )
            for user_id, person_name in _linked_names(hass, people).items()
        ]
        if entry.options.get(CONF_PRESENCE)
        else []
    )
    # Unlinked people, or presence switched off: no tracker left behind.
    wanted = {tracker.unique_id for tracker in trackers}
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.domain == Platform.DEVICE_TRACKER and entity.unique_id not in wanted:
            registry.async_remove(entity.entity_id)
    async_add_entities(trackers)


def _linked_names(hass: HomeAssistant, people: PeopleDirectory) -> dict[str, str]:
    """Each linked user and the name of their person, for the tracker's name."""
    names: dict[str, str] = {}
    for user_id, person_entity_id in people.links.items():
        person = hass.states.get(person_entity_id)
        names[user_id] = person.name if person else person_entity_id
    return names


class PresenceTracker(TrackerEntity):
    """``home`` for a while after the person unlocked a door of the place."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "presence"
    _attr_source_type = SourceType.ROUTER
    # Trackers default to diagnostic; this one is meant to be added to a person.
    _attr_entity_category = None  # type: ignore[assignment]

    def __init__(
        self,
        entry: ParakeyConfigEntry,
        people: PeopleDirectory,
        delivery: UnlockDelivery,
        user_id: str,
        window: timedelta,
        person_name: str,
    ) -> None:
        """Track ``user_id``, linked to a person."""
        self._delivery = delivery
        self._user_id = user_id
        self._window = window
        self._person_entity_id = people.person_of(user_id) or ""
        self._attr_unique_id = presence_unique_id(entry.entry_id, user_id)
        # Typed device-less for trackers, but honoured (mobile_app does this).
        self._attr_device_info = place_device_info(entry)  # type: ignore[assignment]
        self._attr_translation_placeholders = {"person": person_name}
        known = people.users.get(user_id)
        last = known.last_timely_unlock if known else None
        self._home_until: datetime | None = last + window if last else None
        self._cancel_expiry: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the unlocks of the person's Parakey user."""
        self.async_on_remove(self._delivery.async_add_listener(self._on_unlock))
        self.async_on_remove(self._cancel)
        self._schedule_expiry()

    @property
    def state(self) -> str | None:
        """``home`` inside the window, else nothing (state unknown).

        The state itself, not ``location_name``: overriding that is deprecated
        from 2026.x on, and its successor (``in_zones``) is missing in 2025.4.
        """
        if self._home_until and dt_util.utcnow() < self._home_until:
            return STATE_HOME
        return None

    @property
    def extra_state_attributes(self) -> dict[str, str | None]:
        """Who this tracks, for templates and the more-info dialog."""
        return {"user_id": self._user_id, "person_entity_id": self._person_entity_id}

    @callback
    def _on_unlock(self, unlock: Unlock) -> None:
        # A delayed unlock is old news: the person may have left long ago.
        if unlock.delayed or unlock.log.user_id != self._user_id:
            return
        until = unlock.log.timestamp + self._window
        if self._home_until is None or until > self._home_until:
            self._home_until = until
            self._schedule_expiry()
            self.async_write_ha_state()

    @callback
    def _schedule_expiry(self) -> None:
        self._cancel()
        if self._home_until and self._home_until > dt_util.utcnow():
            self._cancel_expiry = async_track_point_in_time(
                self.hass, self._expired, self._home_until
            )

    @callback
    def _expired(self, _: datetime) -> None:
        self._cancel_expiry = None
        self.async_write_ha_state()

    @callback
    def _cancel(self) -> None:
        if self._cancel_expiry:
            self._cancel_expiry()
            self._cancel_expiry = None
