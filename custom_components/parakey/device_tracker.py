"""Presence at the door: a tracker per linked person, home right after they unlock.

Opt-in per place ("Unlocks at this place mean the person is home"). The
tracker is not GPS: Home Assistant's person prefers a non-GPS tracker that
says ``home`` over GPS, so arrival shows at once. It says ``home`` only for a
short window after a timely unlock and is otherwise unknown, which person
ignores: it can neither pin anyone home nor mark anyone away.

Trackers follow the options in place: linking a person adds one, unlinking
removes it, and saving the options untouched changes no tracker's state.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.util import dt as dt_util

from .const import (
    CONF_PRESENCE,
    CONF_PRESENCE_MINUTES,
    CONF_PRESENCE_ZONE,
    DEFAULT_PRESENCE_MINUTES,
    DEFAULT_PRESENCE_ZONE,
)
from .data import ParakeyConfigEntry
from .delivery import UnlockDelivery
from .identifiers import presence_unique_id
from .people import PeopleDirectory
from .presence_base import PresenceTrackerBase
from .unlock import Unlock

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParakeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A tracker per linked person while unlocks mean home, following the options."""
    runtime = entry.runtime_data
    trackers: dict[str, PresenceTracker] = {}
    # The zone last applied: a change of the option moves every tracker.
    applied = {"zone": _zone(entry)}

    @callback
    def follow_options() -> None:
        wanted = _wanted(entry, runtime.people)
        window = _window(entry)
        zone = _zone(entry)
        zone_changed, applied["zone"] = zone != applied["zone"], zone
        registry = er.async_get(hass)
        for user_id, tracker in list(trackers.items()):
            if wanted.get(user_id) != tracker.person_entity_id:
                del trackers[user_id]
                if tracker.entity_id and registry.async_get(tracker.entity_id):
                    registry.async_remove(tracker.entity_id)
            else:
                tracker.async_set_window(window)
                if zone_changed:
                    tracker.async_set_zone(zone, keep_users_choice=False)
        added = [
            PresenceTracker(
                entry,
                runtime.people,
                runtime.delivery,
                user_id,
                person,
                _name_of(hass, person),
                window,
                zone,
            )
            for user_id, person in wanted.items()
            if user_id not in trackers
        ]
        trackers.update((tracker.user_id, tracker) for tracker in added)
        # Trackers of people unlinked while the entry was not loaded.
        keep = {tracker.unique_id for tracker in trackers.values()}
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            if (
                entity.domain == Platform.DEVICE_TRACKER
                and entity.unique_id not in keep
            ):
                registry.async_remove(entity.entity_id)
        if added:
            async_add_entities(added)

    follow_options()
    entry.async_on_unload(runtime.options_applied.add(follow_options))


def _wanted(entry: ParakeyConfigEntry, people: PeopleDirectory) -> dict[str, str]:
    """The linked users that get a tracker, and their persons."""
    return dict(people.links) if entry.options.get(CONF_PRESENCE) else {}


def _name_of(hass: HomeAssistant, person_entity_id: str) -> str:
    """What the person is called, for the tracker's name."""
    person = hass.states.get(person_entity_id)
    return person.name if person else person_entity_id


def _zone(entry: ParakeyConfigEntry) -> str:
    return str(entry.options.get(CONF_PRESENCE_ZONE) or DEFAULT_PRESENCE_ZONE)


def _window(entry: ParakeyConfigEntry) -> timedelta:
    return timedelta(
        minutes=entry.options.get(CONF_PRESENCE_MINUTES, DEFAULT_PRESENCE_MINUTES)
    )


class PresenceTracker(PresenceTrackerBase):
    """``home`` for a while after the person unlocked a door of the place."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "presence"

    def __init__(
        self,
        entry: ParakeyConfigEntry,
        people: PeopleDirectory,
        delivery: UnlockDelivery,
        user_id: str,
        person_entity_id: str,
        person_name: str,
        window: timedelta,
        zone: str,
    ) -> None:
        """Track ``user_id``, linked to ``person_entity_id``."""
        self._delivery = delivery
        self.user_id = user_id
        self.person_entity_id = person_entity_id
        self._window = window
        self._zone = zone
        self._attr_unique_id = presence_unique_id(entry.entry_id, user_id)
        # Named after the person: "Alice Andersson at the door".
        self._attr_translation_placeholders = {"person": person_name}
        known = people.users.get(user_id)
        self._last_unlock = known.last_timely_unlock if known else None
        self._cancel_expiry: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the unlocks of the person's Parakey user."""
        await super().async_added_to_hass()
        self.async_set_zone(self._zone, keep_users_choice=True)
        self.async_on_remove(self._delivery.async_add_listener(self._on_unlock))
        self.async_on_remove(self._cancel)
        self._schedule_expiry()

    @property
    def home_until(self) -> datetime | None:
        """When the window of the last timely unlock ends."""
        return self._last_unlock + self._window if self._last_unlock else None

    @property
    def at_home(self) -> bool:
        """Whether the window of the last timely unlock is still open."""
        until = self.home_until
        return until is not None and dt_util.utcnow() < until

    @property
    def extra_state_attributes(self) -> dict[str, str | None]:
        """Who this tracks, for templates and the more-info dialog."""
        return {"user_id": self.user_id, "person_entity_id": self.person_entity_id}

    @callback
    def async_set_window(self, window: timedelta) -> None:
        """Take a new window length; write only if that changes the state."""
        if window == self._window:
            return
        was_home = self.at_home
        self._window = window
        self._schedule_expiry()
        if self.at_home != was_home:
            self.async_write_ha_state()

    @callback
    def _on_unlock(self, unlock: Unlock) -> None:
        # A delayed unlock is old news: the person may have left long ago.
        if unlock.delayed or unlock.log.user_id != self.user_id:
            return
        if self._last_unlock is None or unlock.log.timestamp > self._last_unlock:
            self._last_unlock = unlock.log.timestamp
            self._schedule_expiry()
            self.async_write_ha_state()

    @callback
    def _schedule_expiry(self) -> None:
        self._cancel()
        if self.at_home and (until := self.home_until):
            self._cancel_expiry = async_track_point_in_time(
                self.hass, self._expired, until
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
