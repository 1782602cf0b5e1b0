"""Polling end to end: Home Assistant with the integration against the simulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STARTED,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import CoreState, Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from simulator import ParakeySimulator

from .conftest import EVENT_KEYS
from .helpers import door_device

Poll = Callable[..., Awaitable[None]]
FRONT_EVENT = "event.front_door_unlock"
FRONT_TODAY = "sensor.front_door_unlocks_today"
DOOR_ENTITIES = (
    FRONT_EVENT,
    "event.back_door_unlock",
    FRONT_TODAY,
    "sensor.back_door_unlocks_today",
)
BACK_TODAY = "sensor.back_door_unlocks_today"


async def test_setup_makes_a_device_per_door_and_replays_nothing(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    unlocks: list[Event],
    device_registry: dr.DeviceRegistry,
) -> None:
    sim.create_unlock("dev_1", "usr_1")  # history from before the integration
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    # A device per door, and the place's own (for "Any door unlocked").
    assert sorted(device.name for device in devices) == [
        "Back door",
        "Front door",
        "Home",
    ]
    assert hass.states.get(FRONT_EVENT).state == STATE_UNKNOWN
    assert hass.states.get(FRONT_TODAY).state == "0"
    assert unlocks == []


async def test_unlock_reaches_bus_entity_and_sensors(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
    device_registry: dr.DeviceRegistry,
) -> None:
    log = sim.create_unlock("dev_1", "usr_1")
    await next_poll()

    assert len(unlocks) == 1
    data = unlocks[0].data
    assert set(data) == EVENT_KEYS
    device = door_device(hass, loaded, "dev_1")
    assert device is not None
    assert data == {
        "event_id": log["id"],
        "door_id": "dev_1",
        "door_name": "Front door",
        "place_id": "dom_1",
        "place_name": "Home",
        "user_id": "usr_1",
        "user_name": "Alice Andersson",
        "user_email": "alice@example.com",
        "access_id": "acc_1",
        "access_name": "Family",
        "timestamp": log["timestamp"],
        "created_at": log["createdAt"],
        "source": "poll",
        "delayed": False,
        "device_id": device.id,
        "entity_id": FRONT_EVENT,
        "person_entity_id": None,
    }
    event_state = hass.states.get(FRONT_EVENT)
    assert event_state.attributes["event_type"] == "unlocked"
    assert event_state.attributes["event_id"] == log["id"]
    assert event_state.attributes["user_name"] == "Alice Andersson"
    assert event_state.attributes["access_name"] == "Family"
    assert event_state.attributes["timestamp"] == log["timestamp"]
    assert hass.states.get(FRONT_TODAY).state == "1"
    # The logbook line stands where the door opened, not where HA heard of it.
    assert unlocks[0].time_fired == dt_util.parse_datetime(log["timestamp"])
    # The other door saw nothing.
    assert hass.states.get("event.back_door_unlock").state == STATE_UNKNOWN
    assert hass.states.get(BACK_TODAY).state == "0"


async def test_idle_cycle_is_one_304_and_no_state_writes(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    sim.create_unlock()
    await next_poll()
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.reset_stats()

    await next_poll()

    assert sim.stats["requests"] == 1
    assert sim.stats["not_modified"] == 1
    assert sim.stats["bytes_sent"] == 0
    assert writes == []


async def test_three_unlocks_in_created_at_order(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
) -> None:
    ids = []
    for door, user in (("dev_1", "usr_1"), ("dev_2", "usr_2"), ("dev_1", "usr_2")):
        freezer.tick(timedelta(seconds=5))
        ids.append(sim.create_unlock(door, user)["id"])
    await next_poll()

    assert [event.data["event_id"] for event in unlocks] == ids
    assert hass.states.get(FRONT_TODAY).state == "2"
    assert hass.states.get(FRONT_EVENT).attributes["user_name"] == "Bob Berg"
    await next_poll()
    assert len(unlocks) == 3


async def test_new_door_appears_without_reload(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
    device_registry: dr.DeviceRegistry,
) -> None:
    sim.add_door("dev_9", "Garage")
    log = sim.create_unlock("dev_9", "usr_2")
    await next_poll()

    device = door_device(hass, loaded, "dev_9")
    assert device is not None
    assert device.name == "Garage"
    (event,) = unlocks
    assert event.data["device_id"] == device.id
    assert event.data["entity_id"] == "event.garage_unlock"
    # The first unlock of the new door already reached its event entity.
    assert hass.states.get("event.garage_unlock").attributes["event_id"] == log["id"]
    assert hass.states.get("sensor.garage_unlocks_today").state == "1"


async def test_revoked_token_starts_reauth(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    sim.inject_fault("unauthorized", count=5)
    await next_poll()

    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == loaded.entry_id


async def test_refused_token_makes_doors_unavailable_unless_the_webhook_delivers(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    sim.inject_fault("unauthorized", count=5)
    await next_poll()
    # Nothing can deliver an unlock now: the doors say so.
    for entity_id in DOOR_ENTITIES:
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE


async def test_refused_token_with_the_webhook_on_keeps_doors_available(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    webhook_entry: MockConfigEntry,
    next_poll: Poll,
) -> None:
    assert await hass.config_entries.async_setup(webhook_entry.entry_id)
    await hass.async_block_till_done()
    sim.inject_fault("unauthorized", count=5)
    await next_poll()
    assert webhook_entry.runtime_data.coordinator.auth_failed
    for entity_id in DOOR_ENTITIES:
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE


async def test_outage_keeps_doors_available_then_delivers(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
) -> None:
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    log = sim.create_unlock()
    sim.inject_fault("server_error", count=3)
    await next_poll()
    assert not loaded.runtime_data.coordinator.last_update_success
    # The next poll retries: the doors keep their state (no logbook line).
    assert hass.states.get(FRONT_EVENT).state == STATE_UNKNOWN
    assert hass.states.get(FRONT_TODAY).state == "0"
    await next_poll()
    await next_poll()
    assert unlocks == []
    assert [c for c in changes if c.data["entity_id"] in DOOR_ENTITIES] == []

    await next_poll()

    assert [event.data["event_id"] for event in unlocks] == [log["id"]]
    assert hass.states.get(FRONT_EVENT).attributes["event_id"] == log["id"]
    assert hass.states.get(FRONT_TODAY).state == "1"


async def test_rate_limit_backs_off_then_returns_to_interval(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    coordinator = loaded.runtime_data.coordinator
    sim.inject_fault("rate_limit", retry_after=300)
    await next_poll()
    assert coordinator.update_interval == timedelta(seconds=300)
    sim.reset_stats()
    await next_poll(120)
    assert sim.stats["requests"] == 0
    await next_poll(200)
    assert sim.stats["requests"] == 1
    assert coordinator.update_interval == timedelta(seconds=60)


async def test_restart_delivers_downtime_unlocks_once(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
) -> None:
    automation_seen = async_capture_events(hass, EVENT_STATE_CHANGED)
    before = sim.create_unlock()
    await next_poll()
    assert len(unlocks) == 1
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()

    # Home Assistant is down for 30 minutes: one unlock early, one just now.
    freezer.tick(timedelta(minutes=5))
    old = sim.create_unlock("dev_2", "usr_2")
    freezer.tick(timedelta(minutes=25))
    recent = sim.create_unlock("dev_1", "usr_2")
    automation_seen.clear()

    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done()
    await next_poll()

    delivered = {event.data["event_id"]: event.data for event in unlocks}
    assert list(delivered) == [before["id"], old["id"], recent["id"]]
    assert len(unlocks) == 3
    assert delivered[old["id"]]["delayed"] is True
    assert delivered[recent["id"]]["delayed"] is False
    # The delayed unlock did not trigger the back door's event entity...
    assert hass.states.get("event.back_door_unlock").state == STATE_UNKNOWN
    # ...but counts for today (the door opened today), as does the one before.
    assert hass.states.get(BACK_TODAY).state == "1"
    assert hass.states.get(FRONT_TODAY).state == "2"
    assert hass.states.get(FRONT_EVENT).attributes["event_id"] == recent["id"]
    await next_poll()
    assert len(unlocks) == 3


async def test_event_entity_and_counts_survive_restart(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    log = sim.create_unlock("dev_1", "usr_2")
    await next_poll()
    await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(FRONT_EVENT).attributes["event_id"] == log["id"]
    assert hass.states.get(FRONT_TODAY).state == "1"


async def test_doors_from_history_when_no_devices_endpoint(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sim: ParakeySimulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    sim.devices_endpoint = False
    sim.add_door("dev_7", "Cellar")
    sim.create_unlock("dev_7", "usr_1")
    freezer.tick(timedelta(days=1))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert sorted(device.name for device in devices) == ["Cellar", "Home"]


async def remove_device(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    entry: MockConfigEntry,
    device: dr.DeviceEntry,
) -> bool:
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device.id,
        }
    )
    response = await client.receive_json()
    await hass.async_block_till_done()
    return bool(response["success"])


async def test_door_parakey_still_lists_cannot_be_removed(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    device = door_device(hass, loaded, "dev_2")
    assert device is not None
    assert not await remove_device(hass, hass_ws_client, loaded, device)
    assert door_device(hass, loaded, "dev_2") is not None
    assert "dev_2" in loaded.runtime_data.doors


async def test_door_parakey_no_longer_lists_can_be_removed(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    hass_ws_client: WebSocketGenerator,
    next_poll: Poll,
    unlocks: list[Event],
) -> None:
    device = door_device(hass, loaded, "dev_2")
    assert device is not None
    del sim.place.doors["dev_2"]
    assert await remove_device(hass, hass_ws_client, loaded, device)
    assert door_device(hass, loaded, "dev_2") is None
    assert "dev_2" not in loaded.runtime_data.doors
    assert entity_registry.async_get("event.back_door_unlock") is None
    # Still gone after a restart.
    await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert door_device(hass, loaded, "dev_2") is None


async def test_door_removal_refused_while_parakey_is_unreachable(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    device = door_device(hass, loaded, "dev_2")
    assert device is not None
    sim.inject_fault("server_error", count=5)
    assert not await remove_device(hass, hass_ws_client, loaded, device)
    assert door_device(hass, loaded, "dev_2") is not None


async def test_first_poll_waits_until_home_assistant_started(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    unlocks: list[Event],
) -> None:
    # Automations attach their triggers when Home Assistant has started; the
    # unlocks of a downtime must not be fired before that.
    hass.set_state(CoreState.not_running)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    sim.reset_stats()
    sim.create_unlock()
    await hass.async_block_till_done()
    assert sim.stats["by_path"].get("/eventLogs") is None
    assert entry.runtime_data.coordinator.poll_state.watermark is None

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()

    assert entry.runtime_data.coordinator.poll_state.watermark is not None
    assert sim.stats["by_path"]["/eventLogs"] >= 1


async def test_a_poll_never_rewrites_another_doors_last_event(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    before = hass.states.get(FRONT_EVENT)
    # Home Assistant updates last_reported of the same State object in place.
    reported = before.last_reported
    # A poll that changes the coordinator's data (a new door appears) and
    # delivers an unlock of another door: the front door's event stays as is.
    sim.add_door("dev_9", "Garage")
    sim.create_unlock("dev_9", "usr_2")
    freezer.tick(timedelta(seconds=5))
    await next_poll()
    after = hass.states.get(FRONT_EVENT)
    assert after.last_reported == reported
    assert after.last_updated == before.last_updated
    assert after.attributes == before.attributes
