"""The ``parakey.get_unlocks`` action: the event log of a place, on demand.

It reads Parakey's event log over the entry's client and answers with the
unlocks in the shape of the ``parakey_unlock`` bus event (``source``
``"history"``). It fires nothing and leaves the poll position alone: history is
for looking, not for delivering.

Time window: ``start`` and ``end`` apply to ``timestamp``, when the door
opened. Parakey can only filter by ``createdAt`` (when the cloud stored the
log), which is never before ``timestamp``, so fetching ``createdAt >= start``
finds every log opened since ``start``, including ones a lock uploaded late.
Logs stored after ``end`` are read too: a late upload can still have opened the
door before ``end``.

Budget: at most ``MAX_REQUESTS`` pages of ``PAGE_SIZE`` logs, newest
``createdAt`` first. Paging stops early once no further log can be newer than
the ``limit`` unlocks found (a log's ``timestamp`` is at most its
``createdAt``). When the budget runs out first, or the server stops paging, the
answer says ``truncated: true``: older matching unlocks may exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
)
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .api import ORDER_DESC, EventLog, ParakeyClient, ParakeyError
from .const import DOMAIN, LOGGER
from .data import ParakeyConfigEntry
from .failures import translated
from .people import person_names

SERVICE_GET_UNLOCKS: Final = "get_unlocks"
SOURCE_HISTORY: Final = "history"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_DOOR: Final = "door"
ATTR_USER_ID: Final = "user_id"
ATTR_USER: Final = "user"
ATTR_PERSON: Final = "person"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_LIMIT: Final = "limit"

DEFAULT_WINDOW: Final = timedelta(hours=24)
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500
PAGE_SIZE: Final = 100
# Ten pages: a thousand logs, a day of a busy office, in well under a minute
# even at Parakey's request timeout; an action must answer while a person waits.
MAX_REQUESTS: Final = 10

GET_UNLOCKS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DOOR): cv.string,
        # One way to say who: a name (or id), a person, or (as before) an id.
        vol.Exclusive(ATTR_USER, "who"): cv.string,
        vol.Exclusive(ATTR_PERSON, "who"): cv.entity_domain("person"),
        vol.Exclusive(ATTR_USER_ID, "who"): cv.string,
        vol.Optional(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
        vol.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_LIMIT)
        ),
    }
)


# ----- integration points: the only places that know the entry's insides -----


def entry_client(entry: ParakeyConfigEntry) -> ParakeyClient:
    """The Parakey client the entry polls with."""
    return entry.runtime_data.client


@callback
def door_of_device(entry: ParakeyConfigEntry, device_id: str) -> str | None:
    """The Parakey door id of one of the entry's door devices."""
    doors = entry.runtime_data.doors
    return next((d for d in doors.doors if doors.device_id(d) == device_id), None)


def unlock_data(entry: ParakeyConfigEntry, log: EventLog) -> dict[str, Any]:
    """One unlock in the shape of the ``parakey_unlock`` bus event.

    ``delayed`` is judged as if the log had been learnt when the cloud stored
    it: the lock uploaded it later than the entry's max event age.
    """
    delivery = entry.runtime_data.delivery
    max_age = delivery.max_event_age
    return delivery.build_unlock(
        log,
        SOURCE_HISTORY,
        delayed=max_age is not None and log.created_at - log.timestamp > max_age,
    ).event_data()


# ----- reading the history (no Home Assistant state involved) -----


@dataclass(frozen=True, slots=True)
class UnlockQuery:
    """Which unlocks to return; ``start``/``end`` apply to ``timestamp``."""

    start: datetime
    end: datetime
    door_id: str | None = None
    user_ids: frozenset[str] | None = None
    limit: int = DEFAULT_LIMIT

    def matches(self, log: EventLog) -> bool:
        """Whether ``log`` is one of the unlocks asked for."""
        return (
            self.start <= log.timestamp <= self.end
            and (self.door_id is None or log.door_id == self.door_id)
            and (self.user_ids is None or log.user_id in self.user_ids)
        )


@dataclass(frozen=True, slots=True)
class History:
    """What one ``get_unlocks`` found."""

    logs: list[EventLog]
    truncated: bool
    requests: int


def _newest_first(log: EventLog) -> tuple[datetime, datetime, str]:
    return (log.timestamp, log.created_at, log.id)


async def async_read_history(
    client: ParakeyClient,
    query: UnlockQuery,
    *,
    page_size: int = PAGE_SIZE,
    max_requests: int = MAX_REQUESTS,
) -> History:
    """Page through logs stored since ``query.start``, within the budget."""
    found: dict[str, EventLog] = {}
    seen: set[str] = set()
    for request in range(1, max_requests + 1):
        page = await client.list_event_logs(
            limit=page_size,
            offset=(request - 1) * page_size,
            start_date=query.start,
            order_by=ORDER_DESC,
        )
        fresh = page.ids - seen
        seen |= fresh
        found |= {
            log.id: log for log in page.logs if log.id in fresh and query.matches(log)
        }
        newest = sorted(found.values(), key=_newest_first, reverse=True)[: query.limit]
        if page.item_count < page_size:
            return History(newest, truncated=False, requests=request)
        if not fresh:
            # The server ignores ``offset`` (or sends nothing usable): stop
            # rather than read the same page again.
            break
        # Logs on later pages were stored no later than this page's oldest,
        # so they opened no later either: none can displace the newest found.
        oldest_stored = min(log.created_at for log in page.logs)
        if len(newest) == query.limit and newest[-1].timestamp > oldest_stored:
            return History(newest, truncated=False, requests=request)
    return History(newest, truncated=True, requests=request)


# ----- the action -----


def loaded_entry(hass: HomeAssistant, entry_id: str) -> ParakeyConfigEntry:
    """The loaded Parakey entry an action names; a translated error otherwise."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_parakey",
            translation_placeholders={"title": entry.title},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def _users_asked_for(
    entry: ParakeyConfigEntry, call: ServiceCall
) -> frozenset[str] | None:
    """The Parakey users the call names, by name, person or id; None for anyone.

    An id is taken as it is (a user Home Assistant never saw may still be in
    Parakey's log); a name or person must name somebody, or the call says so.
    """
    if user_id := call.data.get(ATTR_USER_ID):
        return frozenset({user_id})
    who = call.data.get(ATTR_USER) or call.data.get(ATTR_PERSON)
    if not who:
        return None
    people = entry.runtime_data.people
    persons = person_names(call.hass)
    found = people.find_users(who, persons)
    if not found:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="user_not_found",
            translation_placeholders={"user": who, "title": entry.title},
        )
    if len(found) > 1 and not who.startswith("person."):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="user_ambiguous",
            translation_placeholders={
                "user": who,
                "users": ", ".join(sorted(people.label(u) for u in found)),
            },
        )
    return frozenset(found)


async def _async_get_unlocks(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    end = dt_util.as_utc(call.data.get(ATTR_END) or dt_util.utcnow())
    start = dt_util.as_utc(call.data.get(ATTR_START) or end - DEFAULT_WINDOW)
    if end < start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="end_before_start",
            translation_placeholders={
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
        )
    door_id: str | None = None
    if device_id := call.data.get(ATTR_DOOR):
        door_id = door_of_device(entry, device_id)
        if door_id is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="door_not_found",
                translation_placeholders={"device_id": device_id, "title": entry.title},
            )
    query = UnlockQuery(
        start=start,
        end=end,
        door_id=door_id,
        user_ids=_users_asked_for(entry, call),
        limit=call.data[ATTR_LIMIT],
    )
    try:
        history = await async_read_history(entry_client(entry), query)
    except ParakeyError as err:
        raise translated(err, entry.title, HomeAssistantError) from err
    LOGGER.debug(
        "get_unlocks read %s page(s) of %s%s",
        history.requests,
        entry.title,
        "; stopped early, older unlocks may be missing" if history.truncated else "",
    )
    return {
        "unlocks": [unlock_data(entry, log) for log in history.logs],
        "truncated": history.truncated,
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, from ``async_setup``)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_UNLOCKS,
        _async_get_unlocks,
        schema=GET_UNLOCKS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
