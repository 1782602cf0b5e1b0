"""The poll coordinator: asks Parakey for new unlocks and learns the doors.

It runs the ETag poll flow (``api.EventLogPoller``) on the interval, hands
what it finds to the one delivery path, and moves the poll position on only
after delivery. It polls and discovers doors, nothing else: set-up builds
the pieces it uses and hands them in.

A ``429`` is not a failure: Parakey only asks for time, so the coordinator
waits as long as asked and stays successful; the door entities never go
unavailable for it (see ``can_deliver``).
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
    CONF_WEBHOOK_ENABLED,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    DOOR_DISCOVERY_MAX_PAGES,
    DOOR_DISCOVERY_WINDOW,
    LOGGER,
    SOURCE_POLL,
)
from .delivery import UnlockDelivery
from .doors import DoorDirectory
from .failures import retry_after_seconds, translated
from .issues import async_update_rate_limited_issue
from .storage import ParakeyStore

if TYPE_CHECKING:
    from .data import ParakeyConfigEntry

# Polls refused with 429 in a row before the user is told (a repair issue).
RATE_LIMIT_ISSUE_AFTER = 3
# The probe interval while the webhook delivers every unlock: polling is then
# only the check that it still does.
PUSH_TRUSTED_INTERVAL = timedelta(minutes=5)
POLLER_SECTION = "poller"


def _keep_polling() -> None:
    """A listener that only keeps the poll schedule alive."""


class ParakeyCoordinator(DataUpdateCoordinator[None]):
    """Polls one Parakey place; every log it finds goes to ``delivery``."""

    config_entry: ParakeyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ParakeyConfigEntry,
        client: ParakeyClient,
        poller: EventLogPoller,
        doors: DoorDirectory,
        delivery: UnlockDelivery,
        store: ParakeyStore,
    ) -> None:
        """Poll with ``poller``; the coordinator owns the stored poll position."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=self.configured_interval(entry),
            # Coordinator data carries nothing: listeners hear of failures and
            # recoveries only, never of a successful poll.
            always_update=False,
        )
        self.client = client
        self._poller = poller
        self._doors = doors
        self._delivery = delivery
        self._store = store
        self._rate_limited_polls = 0
        self._push_trusted = False
        self.auth_failed = False
        poller.state = PollerState.from_dict(store.section(POLLER_SECTION))
        store.async_add_section(POLLER_SECTION, lambda: poller.state.as_dict())

    @staticmethod
    def configured_interval(entry: ParakeyConfigEntry) -> timedelta:
        """The poll interval the options ask for."""
        return timedelta(
            seconds=entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )

    @property
    def poll_state(self) -> PollerState:
        """Where polling stands (for diagnostics)."""
        return self._poller.state

    @property
    def can_deliver(self) -> bool:
        """Whether unlocks can still arrive: what door entities' availability is.

        A poll that failed is retried, and a webhook delivers without polling,
        so only a refused token with the webhook off stops every unlock.
        """
        return not self.auth_failed or bool(
            self.config_entry.options.get(CONF_WEBHOOK_ENABLED)
        )

    def _normal_interval(self) -> timedelta:
        """The configured interval, stretched while the webhook is trusted."""
        configured = self.configured_interval(self.config_entry)
        if self._push_trusted:
            return max(configured, PUSH_TRUSTED_INTERVAL)
        return configured

    @callback
    def async_apply_options(self) -> None:
        """Take a changed poll interval now (unless Parakey asked to wait)."""
        if not self._rate_limited_polls:
            self.update_interval = self._normal_interval()

    @callback
    def async_set_push_trusted(self, trusted: bool) -> None:
        """Slow down while the webhook delivers; speed up the moment it does not.

        A missed push may mean unlocks are waiting: poll now, then on the
        configured interval again.
        """
        if trusted == self._push_trusted:
            return
        self._push_trusted = trusted
        LOGGER.debug(
            "Webhook of %s %s; polling every %s",
            self.config_entry.title,
            "delivers" if trusted else "missed a push or cannot be reached",
            self._normal_interval(),
        )
        self.async_apply_options()
        if not trusted:
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), "parakey: poll after a miss"
            )

    async def async_prepare(self) -> None:
        """Ask Parakey for the place and the doors before anything is set up.

        Raises what tells Home Assistant to retry set-up or ask for a token.
        """
        try:
            await self._async_discover_doors()
        except ParakeyAuthError as err:
            raise translated(
                err, self.config_entry.title, ConfigEntryAuthFailed
            ) from err
        except ParakeyError as err:
            raise translated(err, self.config_entry.title, ConfigEntryNotReady) from err

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
            raise translated(err, self.config_entry.title, HomeAssistantError) from err
        return None if doors is None else {door.id for door in doors}

    async def _async_discover_doors(self) -> None:
        """Learn doors from ``/devices``, else from the last 30 days of logs."""
        places = await self.client.list_places()
        if places:
            self._doors.async_set_place(places[0])
        doors = await self.client.list_doors()
        if doors is None and not self._doors.doors:
            doors = await self._async_doors_from_history()
        if new := self._doors.async_update(doors or []):
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
                if (place := log.place) and self._doors.place is None:
                    self._doors.async_set_place(place)
            if page.item_count < 100:
                break
        return list(doors.values())

    async def _async_update_data(self) -> None:
        try:
            result = await self._poller.poll()
        except ParakeyRateLimitedError as err:
            self._async_back_off(err)
            return
        except ParakeyAuthError as err:
            self.auth_failed = True
            raise translated(
                err, self.config_entry.title, ConfigEntryAuthFailed
            ) from err
        except ParakeyError as err:
            raise translated(err, self.config_entry.title, UpdateFailed) from err
        self.auth_failed = False
        self._async_back_off(None)
        if result.logs:
            await self._delivery.async_ingest(result.logs, SOURCE_POLL)
        self._delivery.async_mark_seen(result.baseline_ids)
        self._poller.commit(result)
        if not result.not_modified:
            self._store.async_schedule_save()

    @callback
    def _async_back_off(self, err: ParakeyRateLimitedError | None) -> None:
        """Wait as long as Parakey asks; say so once, and in a repair if it lasts.

        ``UpdateFailed(retry_after=)`` does the same on newer Home Assistant,
        but 2025.4 lacks it, and a 429 is no failure: the interval stretches.
        """
        if err is None:
            if self._rate_limited_polls:
                LOGGER.info("Parakey accepts requests again; normal poll interval")
                self._rate_limited_polls = 0
                self.update_interval = self._normal_interval()
                async_update_rate_limited_issue(self.hass, self.config_entry, None)
            return
        wait = retry_after_seconds(err)
        self.update_interval = max(self._normal_interval(), timedelta(seconds=wait))
        self._rate_limited_polls += 1
        if self._rate_limited_polls == 1:
            LOGGER.warning(
                "Parakey asked Home Assistant to slow down (429); next poll of %s in "
                "%s seconds. Unlocks are not lost, only later by poll",
                self.config_entry.title,
                int(self.update_interval.total_seconds()),
            )
        if self._rate_limited_polls >= RATE_LIMIT_ISSUE_AFTER:
            async_update_rate_limited_issue(
                self.hass,
                self.config_entry,
                int(self.update_interval.total_seconds()),
            )
