"""Mechanisms that exist for one reason each, each proven by a test that fails without it.

- saving the options applies them in place: no entity, tracker or person
  changes state (a reload would make them all unavailable for a moment);
- the webhook answers at once and delivers in a task of its own, so a push
  never waits behind a poll's catch-up;
- "Unlocks today" writes its state once per turn of the event loop, not once
  per unlock;
- a poll that moves the poll position saves it, even when it delivered nothing;
- delivery writes the store before it returns, so a crash (no unload, no
  final save) neither repeats nor loses an unlock;
- the store file goes with the entry;
- a listener that raises does not keep the unlock from the others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import copy
from datetime import timedelta
from http import HTTPStatus
import inspect
import json
import logging
import threading
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.webhook import async_generate_path
from homeassistant.const import EVENT_STATE_CHANGED, STATE_HOME
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.parakey.const import (
    CONF_MAX_EVENT_AGE,
    CONF_PEOPLE,
    CONF_POLL_INTERVAL,
    CONF_PRESENCE,
    CONF_PRESENCE_MINUTES,
    CONF_WEBHOOK_ENABLED,
)
from custom_components.parakey.options_flow import CONF_SUGGESTED
from simulator import ParakeySimulator, SimulatorServer

from .helpers import WEBHOOK_AUTH, WEBHOOK_ID, add_entry

Poll = Callable[..., Awaitable[None]]
TRACKER = "device_tracker.alice_andersson_at_the_door"
PERSON = "person.alice_andersson"


def store_key(entry: MockConfigEntry) -> str:
    return f"parakey.{entry.entry_id}"


async def test_saving_the_options_changes_no_state(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    server: SimulatorServer,
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
) -> None:
    await async_setup_component(hass, "http", {})
    await hass.config.async_update(external_url="https://ha.example.org")
    # Alice is linked; her phone (GPS) says home, and so does the door.
    hass.states.async_set(
        "device_tracker.alice_phone",
        STATE_HOME,
        {"source_type": "gps", "latitude": 1.0, "longitude": 1.0},
    )
    assert await async_setup_component(
        hass,
        "person",
        {
            "person": [
                {
                    "id": "alice",
                    "name": "Alice Andersson",
                    "device_trackers": ["device_tracker.alice_phone", TRACKER],
                }
            ]
        },
    )
    entry = add_entry(
        hass,
        server.base_url,
        webhook=True,
        **{
            CONF_WEBHOOK_ENABLED: True,
            CONF_PEOPLE: {"usr_1": PERSON},
            CONF_PRESENCE: True,
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    assert hass.states.get(TRACKER).state == STATE_HOME
    assert hass.states.get(PERSON).state == STATE_HOME
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)

    # Every page of the options, submitted as it is, and one real change.
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    flow_id = flow["flow_id"]
    await hass.config_entries.options.async_configure(
        flow_id, {"next_step_id": "settings"}
    )
    result = await hass.config_entries.options.async_configure(
        flow_id,
        {CONF_POLL_INTERVAL: 90, CONF_MAX_EVENT_AGE: 10, CONF_WEBHOOK_ENABLED: True},
    )
    assert result["step_id"] == "webhook"
    result = await hass.config_entries.options.async_configure(flow_id, {})
    assert result["step_id"] == "saved"
    result = await hass.config_entries.options.async_configure(
        flow_id, {"next_step_id": "people"}
    )
    answers = {CONF_PRESENCE: True, CONF_PRESENCE_MINUTES: 10}
    if any(str(key) == CONF_SUGGESTED for key in result["data_schema"].schema):
        answers[CONF_SUGGESTED] = []
    result = await hass.config_entries.options.async_configure(flow_id, answers)
    assert result["step_id"] == "saved"
    await hass.config_entries.options.async_configure(flow_id, {"next_step_id": "done"})
    await hass.async_block_till_done()

    assert entry.options[CONF_POLL_INTERVAL] == 90
    assert entry.runtime_data.coordinator.update_interval == timedelta(seconds=90)
    # Nothing went unavailable and came back: no logbook line, no person
    # "arriving home", no state trigger firing for nothing.
    assert [c.data["entity_id"] for c in changes] == []


async def test_a_push_is_answered_before_a_catch_up_finishes(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    webhook_entry: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    assert await hass.config_entries.async_setup(webhook_entry.entry_id)
    await hass.async_block_till_done()
    delivery = webhook_entry.runtime_data.delivery
    client = await hass_client_no_auth()
    log = sim.create_unlock("dev_1", "usr_1")

    # A poll's catch-up holds delivery...
    async with delivery._lock:
        response = await client.post(
            async_generate_path(WEBHOOK_ID),
            data=json.dumps(log),
            headers={"Authorization": WEBHOOK_AUTH},
        )
        # ...yet Parakey has its answer at once, and the unlock waits its turn.
        assert response.status == HTTPStatus.OK
        assert unlocks == []
    await hass.async_block_till_done()
    assert [event.data["event_id"] for event in unlocks] == [log["id"]]


async def test_unlocks_today_is_written_once_per_loop_turn(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)
    for _ in range(30):
        sim.create_unlock("dev_1", "usr_1")
    await next_poll()

    today = [
        w for w in writes if w.data["entity_id"] == "sensor.front_door_unlocks_today"
    ]
    # One write for thirty unlocks delivered in one turn of the loop.
    assert [w.data["new_state"].state for w in today] == ["30"]


async def test_a_poll_that_moves_the_position_saves_it(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    def stored_etag() -> str | None:
        return hass_storage[store_key(loaded)]["data"]["poller"]["etag"]

    await next_poll()
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    before = stored_etag()

    # The event log changed, but brought nothing new to deliver.
    sim.bump_etag()
    await next_poll()
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert stored_etag() != before
    assert stored_etag() == loaded.runtime_data.coordinator.poll_state.etag


async def test_a_crash_after_delivery_neither_repeats_nor_loses(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    first = sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    # The loop turns once more (what is due now runs; nothing a second later).
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    # Home Assistant dies right after delivering: no unload, no delayed save.
    on_disk = copy.deepcopy(hass_storage[store_key(loaded)])
    assert await hass.config_entries.async_unload(loaded.entry_id)
    hass_storage[store_key(loaded)] = on_disk

    freezer.tick(timedelta(minutes=2))
    second = sim.create_unlock("dev_2", "usr_2")  # while it was down
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done()
    await next_poll()

    assert [event.data["event_id"] for event in unlocks] == [first["id"], second["id"]]


async def test_the_store_goes_with_the_entry(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert store_key(loaded) in hass_storage
    assert await hass.config_entries.async_remove(loaded.entry_id)
    await hass.async_block_till_done()
    assert store_key(loaded) not in hass_storage


async def test_the_store_is_taken_in_the_loop_and_written_outside_it(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    # Home Assistant 2025.4 asks for the data from the executor thread that
    # writes the file (newer releases do when told to serialise off the loop);
    # the sections change in the loop, so they must be read there.
    store = loaded.runtime_data.store
    readers: list[int] = []
    store.async_add_section("probe", lambda: readers.append(threading.get_ident()))
    data = await hass.async_add_executor_job(store._data)
    assert "seen" in data
    assert readers == [hass.loop_thread_id]
    if "serialize_in_event_loop" in inspect.signature(Store.__init__).parameters:
        # The JSON of an office's store is not built in the event loop.
        assert store._store._serialize_in_event_loop is False


async def test_a_failing_listener_does_not_stop_the_others(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("a listener's bug")

    delivery = loaded.runtime_data.delivery
    loaded.async_on_unload(delivery.async_add_listener(broken))
    loaded.async_on_unload(delivery.async_subscribe_door("dev_1", broken))
    caplog.set_level(logging.ERROR)
    sim.create_unlock("dev_1", "usr_1")
    second = sim.create_unlock("dev_1", "usr_2")
    await next_poll()

    state = hass.states.get("event.front_door_unlock")
    assert state.attributes["event_id"] == second["id"]
    assert hass.states.get("sensor.front_door_unlocks_today").state == "2"
    # Logged once per unlock and broken listener, with its traceback.
    failed = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(failed) == 4
