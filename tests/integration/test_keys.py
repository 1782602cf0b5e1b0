"""Guest keys through the doors a user uses: the actions, the calendar, the logbook.

The simulator holds the keys: "Family" (not enabled for the API) held by Alice
and Bob, "Guest" (enabled, alias ha-guest) held by nobody. Changes run as
batches that Home Assistant follows; the clock is frozen, so the tests move it
while an action waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from http import HTTPStatus
import json
from typing import Any
from unittest.mock import patch

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.models import User
from homeassistant.components import automation
from homeassistant.components.calendar import (
    DOMAIN as CALENDAR_DOMAIN,
    CalendarEntity,
    CalendarEvent,
)
from homeassistant.components.webhook import async_generate_path
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockPlatform,
    async_capture_events,
    async_fire_time_changed,
    mock_platform,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.parakey import logbook
from custom_components.parakey.api import Access, AccessKey
from custom_components.parakey.const import DOMAIN, EVENT_KEY_CHANGED
from custom_components.parakey.guest_keys import KeyList
from simulator import ParakeySimulator

from .helpers import WEBHOOK_AUTH, WEBHOOK_ID

CALENDAR = "calendar.home_keys"
GUEST = "gustav@example.com"


@pytest.fixture
def guest(sim: ParakeySimulator) -> None:
    """A person of the place who holds no key yet."""
    sim.add_user("usr_9", "Gustav Guest", GUEST)


@pytest.fixture
def ticking(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> Callable[[Coroutine[Any, Any, Any]], Awaitable[Any]]:
    """Run a call while the frozen clock moves on, half a second at a time."""

    async def run(call: Coroutine[Any, Any, Any]) -> Any:
        task = asyncio.ensure_future(call)
        for _ in range(400):
            await asyncio.sleep(0)
            if task.done():
                break
            freezer.tick(timedelta(seconds=0.5))
            async_fire_time_changed(hass)
            await hass.async_block_till_done()
        return await task

    return run


async def call(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    service: str,
    user: User | None = None,
    **data: Any,
) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id if user else None),
    )


async def test_give_a_key_see_it_in_the_calendar_take_it_back(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    guest: None,
    hass_admin_user: User,
    ticking: Callable[..., Awaitable[Any]],
) -> None:
    audit = async_capture_events(hass, EVENT_KEY_CHANGED)
    tomorrow = dt_util.start_of_local_day() + timedelta(days=1)
    start, end = tomorrow + timedelta(hours=9), tomorrow + timedelta(hours=12)

    outcome = await ticking(
        call(
            hass,
            loaded,
            "grant_key",
            hass_admin_user,
            access="Guest",
            email=GUEST,
            start=start.isoformat(),
            end=end.isoformat(),
        )  # fmt: skip
    )

    assert outcome["status"] == "completed"
    assert outcome["done"] is True
    assert outcome["failed"] is False
    assert [item["email"] for item in outcome["items"]] == [GUEST]
    # Parakey has it...
    (held,) = [k for k in sim.keys.keys_json() if k["access"]["id"] == "acc_2"]
    assert held["user"]["email"] == GUEST
    # ...and so does the calendar, at once.
    events = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {
            "entity_id": CALENDAR,
            "start_date_time": tomorrow.isoformat(),
            "end_date_time": (tomorrow + timedelta(days=1)).isoformat(),
        },
        blocking=True,
        return_response=True,
    )
    (event,) = events[CALENDAR]["events"]
    assert event["summary"] == f"Key Guest: {GUEST}"
    assert dt_util.parse_datetime(event["start"]) == start
    assert dt_util.parse_datetime(event["end"]) == end
    state = hass.states.get(CALENDAR)
    assert state.state == "off"  # tomorrow, not now
    assert state.attributes["message"] == f"Key Guest: {GUEST}"

    # The audit trail names who asked.
    (granted,) = audit
    assert granted.data["action"] == "grant"
    assert granted.data["by_user_name"] == hass_admin_user.name
    assert granted.data["access_name"] == "Guest"
    assert granted.context.user_id == hass_admin_user.id

    await ticking(
        call(
            hass, loaded, "revoke_key", hass_admin_user, access="ha-guest", email=GUEST
        )
    )
    assert [k for k in sim.keys.keys_json() if k["access"]["id"] == "acc_2"] == []
    assert hass.states.get(CALENDAR).attributes.get("message") is None
    assert [e.data["action"] for e in audit] == ["grant", "revoke"]


async def test_only_administrators_may_manage_keys(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    guest: None,
    hass_read_only_user: User,
) -> None:
    for service, data in (
        ("grant_key", {"access": "Guest", "email": GUEST}),
        ("revoke_key", {"access": "Guest", "email": GUEST}),
        ("get_keys", {}),
    ):
        with pytest.raises(Unauthorized):
            await call(hass, loaded, service, hass_read_only_user, **data)


async def test_each_refusal_is_a_clear_error_and_changes_nothing(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    guest: None,
    ticking: Callable[..., Awaitable[Any]],
) -> None:
    audit = async_capture_events(hass, EVENT_KEY_CHANGED)
    before = sim.keys.keys_json()

    async def refused(service: str, **data: Any) -> HomeAssistantError:
        with pytest.raises(HomeAssistantError) as err:
            await ticking(call(hass, loaded, service, **data))
        return err.value

    # A key no administrator allowed for the API.
    err = await refused("grant_key", access="Family", email=GUEST)
    assert isinstance(err, ServiceValidationError)
    assert err.translation_key == "key_not_allowed"
    # A key Parakey does not know.
    err = await refused("grant_key", access="Garage", email=GUEST)
    assert err.translation_key == "key_not_found"
    assert err.translation_placeholders["known"] == "Family, Guest"
    # Somebody who is not a user of the place.
    err = await refused("grant_key", access="Guest", email="nobody@example.com")
    assert err.translation_key == "key_user_not_found"
    # A window that ends before it starts, or is over already.
    now = dt_util.now()
    for start, end in ((now + timedelta(hours=2), now + timedelta(hours=1)),
                       (None, now - timedelta(minutes=1))):  # fmt: skip
        data = {"access": "Guest", "email": GUEST, "end": end.isoformat()}
        if start:
            data["start"] = start.isoformat()
        err = await refused("grant_key", **data)
        assert err.translation_key == "key_window_invalid"
    # Taking back a key nobody holds.
    err = await refused("revoke_key", access="Guest", email=GUEST)
    assert err.translation_key == "key_holder_not_found"
    # A batch Parakey fails.
    sim.batches.inject_fault("fail")
    err = await refused("grant_key", access="Guest", email=GUEST)
    assert err.translation_key == "key_batch_failed"

    assert sim.keys.keys_json() == before
    assert audit == []


async def test_a_batch_that_never_finishes_is_said_to_be_pending(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    guest: None,
    ticking: Callable[..., Awaitable[Any]],
) -> None:
    sim.batches.inject_fault("never_complete")
    with (
        patch("custom_components.parakey.guest_keys.BATCH_WAIT", 5.0),
        pytest.raises(HomeAssistantError) as err,
    ):
        await ticking(call(hass, loaded, "grant_key", access="Guest", email=GUEST))
    assert err.value.translation_key == "batch_pending"
    assert err.value.translation_placeholders["batch"].startswith("bat_")


async def test_a_pushed_batch_completion_ends_the_wait_and_is_no_unlock(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    webhook_entry: MockConfigEntry,
    guest: None,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    assert await hass.config_entries.async_setup(webhook_entry.entry_id)
    await hass.async_block_till_done()
    sim.batches.batch_delay = 3600  # Parakey takes an hour to look at it
    task = asyncio.ensure_future(
        call(hass, webhook_entry, "grant_key", access="Guest", email=GUEST)
    )
    for _ in range(5):
        await asyncio.sleep(0)
    assert not task.done()

    # Parakey finishes and says so on the same webhook as unlocks.
    (pending,) = [b for b in sim.batches.batches.values() if b.status == "pending"]
    sim.batches.complete(pending)
    client = await hass_client_no_auth()
    response = await client.post(
        async_generate_path(WEBHOOK_ID),
        data=json.dumps(sim.batches.render(pending)),
        headers={"Authorization": WEBHOOK_AUTH},
    )
    assert response.status == HTTPStatus.OK
    outcome = await asyncio.wait_for(task, 5)
    assert outcome["status"] == "completed"
    assert unlocks == []  # a batch is never taken for an unlock


async def test_get_keys_lists_every_key_from_when_to_when(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    guest: None,
    hass_admin_user: User,
) -> None:
    start = dt_util.utcnow() + timedelta(days=2)
    sim.keys.add_key("acc_2", "usr_9", start, start + timedelta(hours=3))
    sim.bump_etag()

    everything = await call(hass, loaded, "get_keys", hass_admin_user)
    held = {(k["access_name"], k["user_email"]): k for k in everything["keys"]}
    assert set(held) == {
        ("Family", "alice@example.com"),  # open-ended: listed here, not in calendars
        ("Family", "bob@example.com"),
        ("Guest", GUEST),
    }
    assert held[("Family", "alice@example.com")]["time_limited"] is False
    assert held[("Guest", GUEST)]["valid_now"] is False
    assert held[("Guest", GUEST)]["start"] is not None
    assert [a["name"] for a in everything["accesses"]] == ["Family", "Guest"]
    only = await call(hass, loaded, "get_keys", access="guest", email=GUEST.upper())
    assert [k["user_email"] for k in only["keys"]] == [GUEST]


async def test_keys_are_refreshed_the_cheap_way(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Callable[..., Awaitable[None]],
) -> None:
    keys = loaded.runtime_data.keys
    assert {k.user_email for k in keys.data.keys} == {
        "alice@example.com",
        "bob@example.com",
    }
    answers: list[int] = []
    sim.add_request_hook(
        lambda request: answers.append(1) if request.path == "/access-keys" else None
    )
    sim.reset_stats()
    await next_poll(2 * 3600 + 60)
    # Nothing changed in My Parakey: one request, answered 304.
    assert answers == [1]
    assert sim.stats["status"]["304"] >= 1
    assert len(keys.data.keys) == 2


async def test_the_calendar_keeps_its_keys_through_a_failure_and_a_restart(
    hass: HomeAssistant, sim: ParakeySimulator, entry: MockConfigEntry
) -> None:
    now = dt_util.utcnow()
    sim.keys.add_key(
        "acc_2", "usr_1", now - timedelta(hours=1), now + timedelta(hours=5)
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(CALENDAR).state == "on"
    written: list[str] = []

    @callback
    def note(event: Event) -> None:
        if event.data["entity_id"] == CALENDAR and event.data["new_state"]:
            written.append(event.data["new_state"].state)

    hass.bus.async_listen("state_changed", note)
    # Parakey cannot be reached when the keys are refreshed: they stay shown.
    sim.inject_fault("server_error", count=5)
    await entry.runtime_data.keys.async_refresh()
    await hass.async_block_till_done()
    assert not entry.runtime_data.keys.last_update_success
    assert written == []
    sim._faults.clear()
    # A restart: the calendar comes back with the keys it showed, at once, and
    # Parakey answers the first request with a 304.
    assert await hass.config_entries.async_unload(entry.entry_id)
    written.clear()
    sim.reset_stats()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert written == ["on"]
    assert sim.stats["status"]["304"] >= 1


def test_the_stored_key_list_survives_damage() -> None:
    listed = KeyList(
        keys=(AccessKey(access_id="acc_2", user_id="usr_1"),),
        accesses=(Access("acc_2", "Guest"),),
        etag='"e1"',
    )
    restored = KeyList.from_dict(listed.as_dict())
    assert restored == listed
    assert restored.etag == '"e1"'  # the first refresh after a restart is a 304
    assert KeyList.from_dict("junk") == KeyList()
    damaged = {"keys": "x", "accesses": [None, {"id": "acc_1"}], "etag": 3}
    assert KeyList.from_dict(damaged) == KeyList(accesses=(Access("acc_1"),))


async def test_the_logbook_says_who_changed_which_key(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
) -> None:
    describers: dict[str, Any] = {}
    logbook.async_describe_events(
        hass, lambda _, event, describe: describers.setdefault(event, describe)
    )
    describe = describers[EVENT_KEY_CHANGED]
    granted = Event(
        EVENT_KEY_CHANGED,
        {
            "action": "grant",
            "access_name": "Guest",
            "email": GUEST,
            "start": "2026-12-01T08:00:00.000Z",
            "end": "2026-12-01T11:00:00.000Z",
            "by_user_name": "Anna Admin",
        },
    )
    described = describe(granted)
    assert described["name"] == "Anna Admin"
    local = dt_util.as_local(dt_util.parse_datetime("2026-12-01T08:00:00Z"))
    assert described["message"].startswith(f"gave {GUEST} the key Guest, ")
    assert local.strftime("%Y-%m-%d %H:%M") in described["message"]
    revoked = Event(
        EVENT_KEY_CHANGED,
        {"action": "revoke", "access_name": "Guest", "email": GUEST},
    )
    assert describe(revoked) == {
        "name": "An automation",
        "message": f"took the key Guest from {GUEST}",
        "icon": "mdi:key-remove",
    }

    # In the server's language, from the integration's own translations.
    window = [
        dt_util.as_local(dt_util.parse_datetime(moment)).strftime("%Y-%m-%d %H:%M")
        for moment in ("2026-12-01T08:00:00Z", "2026-12-01T11:00:00Z")
    ]
    for language, gave, took in (
        ("sv", f"gav {GUEST} nyckeln Guest, {window[0]} till {window[1]}",
         ("En automation", f"tog nyckeln Guest från {GUEST}")),
        ("nb", f"ga {GUEST} nøkkelen Guest, {window[0]} til {window[1]}",
         ("En automasjon", f"tok tilbake nøkkelen Guest fra {GUEST}")),
    ):  # fmt: skip
        await hass.config.async_update(language=language)
        await hass.async_block_till_done()
        assert describe(granted)["message"] == gave
        assert (describe(revoked)["name"], describe(revoked)["message"]) == took


async def test_no_key_may_be_managed(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
) -> None:
    def forbidden(request: web.Request) -> None:
        if request.path.startswith(("/access-keys", "/accesses")):
            raise web.HTTPForbidden

    sim.add_request_hook(forbidden)
    sim.bump_etag()
    keys = loaded.runtime_data.keys
    keys._accesses_asked = False
    await keys.async_refresh()
    assert keys.data.not_allowed
    assert keys.data.keys == ()
    assert hass.states.get(CALENDAR).state == "off"


class Visits(CalendarEntity):
    """A calendar of visits, as a user's own calendar would hold them."""

    _attr_name = "Visits"

    def __init__(self, events: list[CalendarEvent]) -> None:
        self._events = events

    @property
    def event(self) -> CalendarEvent | None:
        now = dt_util.now()
        return next((e for e in self._events if e.end_datetime_local > now), None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        return [
            e
            for e in self._events
            if e.start_datetime_local < end_date and e.end_datetime_local > start_date
        ]


# The calendar trigger keeps its next look at the calendar scheduled.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_blueprint_gives_a_key_for_each_calendar_event(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    guest: None,
    blueprints: None,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim.add_user("usr_8", "Cleo Cleaner", "cleo@example.com")
    now = dt_util.now().replace(microsecond=0)
    first = now + timedelta(hours=1)
    events = [
        # The e-mail comes from the event's description.
        CalendarEvent(
            start=first,
            end=first + timedelta(hours=3),
            summary="Cleaning",
            description="Cleo, cleo@example.com, key under the mat",
        ),
        CalendarEvent(
            start=first + timedelta(days=1),
            end=first + timedelta(days=1, hours=2),
            summary="Guest without an e-mail",
        ),
    ]

    async def set_up_visits(
        hass: HomeAssistant, config: Any, add: Callable[..., None], info: Any = None
    ) -> None:
        add([Visits(events)])

    mock_platform(
        hass, "test.calendar", MockPlatform(async_setup_platform=set_up_visits)
    )
    assert await async_setup_component(
        hass, CALENDAR_DOMAIN, {CALENDAR_DOMAIN: {"platform": "test"}}
    )
    await hass.async_block_till_done()
    assert hass.states.get("calendar.visits") is not None
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "use_blueprint": {
                    "path": "parakey/key_for_calendar_events.yaml",
                    "input": {
                        "calendar": "calendar.visits",
                        "place": entry.entry_id,
                        "access": "Guest",
                    },
                }
            }
        },
    )
    await hass.async_block_till_done()
    audit = async_capture_events(hass, EVENT_KEY_CHANGED)
    # Parakey answers this grant with the keys: done at once.
    sim.key_api.configure(answer="keys")

    async def minutes(count: int) -> None:
        for _ in range(count):
            freezer.tick(timedelta(minutes=1))
            async_fire_time_changed(hass)
            await hass.async_block_till_done(wait_background_tasks=True)

    # Time passes, a minute at a time, past the first event's start...
    await minutes(70)
    # ...and, a day later, past the second's.
    freezer.tick(timedelta(hours=23))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await minutes(30)

    # One key, for the event with an e-mail, given before it started.
    (granted,) = audit
    assert granted.data["email"] == "cleo@example.com"
    assert dt_util.parse_datetime(granted.data["start"]) == dt_util.as_utc(first)
    assert granted.time_fired < dt_util.as_utc(first)
    (held,) = [k for k in sim.keys.keys_json() if k["access"]["id"] == "acc_2"]
    assert held["user"]["email"] == "cleo@example.com"
    assert held["expirationDate"] is not None
