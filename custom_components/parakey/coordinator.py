"""The poll coordinator: asks Parakey for new unlocks and learns the doors.

It runs the ETag poll flow (``api.EventLogPoller``) on the interval, hands
what it finds to the one delivery path, and commits the poll position only
after delivery. Its data is the set of doors, which the platforms follow.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    ORDER_DESC,
    Door,
    EventLogPoller,
    ParakeyAuthError,
    ParakeyClient,
    ParakeyError,
    ParakeyRateLimitedError,
    PollerState,
)
from .const import (
    CONF_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    DOOR_DISCOVERY_MAX_PAGES,
    DOOR_DISCOVERY_WINDOW,
    LOGGER,
    SOURCE_POLL,
)
from .delivery import UnlockDelivery
from .doors import DoorDirectory
from .issues import async_update_rate_limited_issue
from .models import ParakeyData
from .people import PeopleDirectory, links_from_options
from .storage import ParakeyStore

if TYPE_CHECKING:
    from .data import ParakeyConfigEntry

# Polls refused with 429 in a row before the user is told (a repair issue).
RATE_LIMIT_ISSUE_AFTER = 3


def map_client_error(err: ParakeyError) -> HomeAssistantError:
    """The Home Assistant exception for a client error, translated."""
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


def _keep_polling() -> None:
    """A listener that only keeps the poll schedule alive."""


class ParakeyCoordinator(DataUpdateCoordinator[ParakeyData]):
    """Polls one Parakey place; every log it finds goes to ``delivery``."""

    config_entry: ParakeyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ParakeyConfigEntry,
        client: ParakeyClient,
        store: ParakeyStore,
    ) -> None:
        """Set up; nothing is read or requested until ``async_prepare``."""
        self._interval = timedelta(
            seconds=entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=self._interval,
            always_update=False,
        )
        self.client = client
        self.poller = EventLogPoller(client)
        self.doors = DoorDirectory(hass, entry)
        self.people = PeopleDirectory(store, links_from_options(entry.options))
        self.delivery = UnlockDelivery(
            hass, entry, self.poller, self.doors, self.people
        )
        self._store = store
        self._rate_limited_polls = 0
        self.data = ParakeyData()
        store.async_add_section("poller", lambda: self.poller.state.as_dict())
        store.async_add_section("place", lambda: self.doors.as_dict()["place"])
        store.async_add_section("doors", lambda: self.doors.as_dict()["doors"])

    async def async_prepare(self) -> None:
        """Restore the poll position and doors, then ask Parakey for the doors.

        Raises what tells Home Assistant to retry set-up or ask for a token.
        """
        store = self._store
        self.poller.state = PollerState.from_dict(store.section("poller"))
        self.doors.async_restore(store.section("place"), store.section("doors"))
        try:
            await self._async_discover_doors()
        except ParakeyAuthError as err:
            raise map_client_error(err) from err
        except ParakeyError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.data = ParakeyData(doors=dict(self.doors.doors))

    @callback
    def async_keep_polling(self) -> CALLBACK_TYPE:
        """Poll on the interval even while no entity listens; return the stop.

        DataUpdateCoordinator only keeps its schedule while something
        listens, but unlocks are events, not state: a place without doors
        yet must be polled all the same.
        """
        return self.async_add_listener(_keep_polling)

    async def async_listed_door_ids(self) -> set[str] | None:
        """The doors Parakey lists now; None when it keeps no list."""
        try:
            doors = await self.client.list_doors()
        except ParakeyError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="cannot_check_doors"
            ) from err
        return None if doors is None else {door.id for door in doors}

    async def _async_discover_doors(self) -> None:
        """Learn doors from ``/devices``, else from the last 30 days of logs."""
        places = await self.client.list_places()
        if places:
            self.doors.async_set_place(places[0])
        doors = await self.client.list_doors()
        if doors is None and not self.doors.doors:
            doors = await self._async_doors_from_history()
        if new := self.doors.async_update(doors or []):
            LOGGER.debug("Found %s door(s) at setup", len(new))

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
                if door := log.door:
                    doors.setdefault(door.id, door)
                if (place := log.place) and self.doors.place is None:
                    self.doors.async_set_place(place)
            if page.item_count < 100:
                break
        return list(doors.values())

    async def _async_update_data(self) -> ParakeyData:
        try:
            result = await self.poller.poll()
        except ParakeyRateLimitedError as err:
            self._async_back_off(err)
            raise map_client_error(err) from err
        except ParakeyError as err:
            raise map_client_error(err) from err
        self._async_back_off(None)
        if result.logs:
            await self.delivery.async_ingest(result.logs, SOURCE_POLL)
        self.poller.commit(result)
        if not result.not_modified:
            self._store.async_schedule_save()
        return ParakeyData(doors=dict(self.doors.doors))

    @callback
    def _async_back_off(self, err: ParakeyRateLimitedError | None) -> None:
        """Slow down while Parakey answers 429; tell the user if it lasts.

        ``UpdateFailed(retry_after=)`` does the same on newer Home Assistant,
        but 2025.4 lacks it, so the interval itself stretches.
        """
        if err is None:
            if self._rate_limited_polls:
                LOGGER.info("Parakey accepts requests again; normal interval")
                self._rate_limited_polls = 0
                self.update_interval = self._interval
                async_update_rate_limited_issue(self.hass, self.config_entry, None)
            return
        wait = timedelta(seconds=err.retry_after or 0)
        self.update_interval = max(self._interval, wait)
        self._rate_limited_polls += 1
        if self._rate_limited_polls >= RATE_LIMIT_ISSUE_AFTER:
            async_update_rate_limited_issue(
                self.hass, self.config_entry, int(wait.total_seconds())
            )
