"""People: known users, links through the options flow, triggers by person, presence.

Everything through the doors a user uses: the options flow, the device
automation websocket API, automations, the bus, and Home Assistant's real
``person`` integration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_HOME, STATE_NOT_HOME, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.parakey import logbook
from custom_components.parakey.const import (
    CONF_PEOPLE,
    CONF_PRESENCE,
    CONF_PRESENCE_MINUTES,
    DOMAIN,
)
from custom_components.parakey.people import KnownUser, normalise_name, suggest_person
from simulator import ParakeySimulator

Poll = Callable[..., Awaitable[None]]
# Named after the person as Home Assistant shows them.
TRACKER = "device_tracker.andersson_alice_at_the_door"
PHONE = "device_tracker.alice_phone"


@pytest.fixture
async def persons(hass: HomeAssistant) -> None:
    """Two people as a user would add them: one name spelled differently."""
    assert await async_setup_component(
        hass,
        "person",
        {
            "person": [
                {
                    "id": "alice",
                    "name": "andersson älice",
                    "device_trackers": [PHONE, TRACKER],
                },
                {"id": "carol", "name": "Carol"},
            ]
        },
    )
    await hass.async_block_till_done()


async def people_step(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "people"}
    )
    assert result["step_id"] == "people"
    return dict(result)


def suggested(form: dict[str, Any]) -> dict[str, Any]:
    return {
        str(key): (key.description or {}).get("suggested_value")
        for key in form["data_schema"].schema
    }


async def link(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    answers: dict[str, Any],
    *,
    presence: bool = False,
    minutes: int = 10,
) -> None:
    form = await people_step(hass, entry)
    result = await hass.config_entries.options.async_configure(
        form["flow_id"],
        {**answers, CONF_PRESENCE: presence, CONF_PRESENCE_MINUTES: minutes},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


def test_names_match_whatever_the_case_accents_and_order() -> None:
    assert normalise_name("Alice Andersson") == normalise_name("andersson ÄLICE")
    assert normalise_name("Åsa Öberg") == normalise_name("asa oberg")
    alice = KnownUser("usr_1", "Alice Andersson")
    assert suggest_person(alice, {"person.a": "Andersson Alice"}) == "person.a"
    # Two candidates, or none: no suggestion; never a guess.
    two = {"person.a": "Alice Andersson", "person.b": "alice andersson"}
    assert suggest_person(alice, two) is None
    assert suggest_person(KnownUser("usr_9"), {"person.a": "usr_9"}) is None


async def test_known_users_are_remembered_across_restarts_and_erasure(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_2", "usr_2")
    sim.create_unlock("dev_2", erase_user=True)  # Parakey erased who it was
    await next_poll()
    await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()

    users = loaded.runtime_data.people.users
    assert set(users) == {"usr_1", "usr_2"}
    assert users["usr_1"].name == "Alice Andersson"
    assert users["usr_1"].email == "alice@example.com"
    assert users["usr_2"].last_door_id == "dev_2"
    assert users["usr_2"].last_unlock is not None


async def test_people_step_suggests_but_never_links_silently(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    persons: None,
    unlocks: list[Event],
) -> None:
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_1", "usr_2")
    await next_poll()

    form = await people_step(hass, loaded)
    assert form["description_placeholders"] == {"count": "2"}
    assert suggested(form) == {
        "Alice Andersson": "person.andersson_alice",  # the name match
        "Bob Berg": None,  # nobody of that name
        CONF_PRESENCE: False,
        CONF_PRESENCE_MINUTES: 10,
    }
    # Shown, not saved: unlocks still name no person.
    hass.config_entries.options.async_abort(form["flow_id"])
    assert CONF_PEOPLE not in loaded.options
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    assert unlocks[-1].data["person_entity_id"] is None

    # The user confirms Alice and links Bob to Carol themselves.
    await link(
        hass,
        loaded,
        {"Alice Andersson": "person.andersson_alice", "Bob Berg": "person.carol"},
    )
    assert loaded.options[CONF_PEOPLE] == {
        "usr_1": "person.andersson_alice",
        "usr_2": "person.carol",
    }
    # A user who unlocks for the first time later can be linked then.
    sim.add_user("usr_3", "Dana Dahl")
    sim.create_unlock("dev_2", "usr_3")
    await next_poll()
    form = await people_step(hass, loaded)
    assert suggested(form)["Dana Dahl"] is None
    assert suggested(form)["Bob Berg"] == "person.carol"


async def test_person_on_the_bus_the_entity_and_the_logbook(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    persons: None,
    unlocks: list[Event],
) -> None:
    describers: dict[str, Any] = {}
    logbook.async_describe_events(
        hass, lambda _, event, describe: describers.setdefault(event, describe)
    )
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    await link(hass, loaded, {"Alice Andersson": "person.andersson_alice"})

    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_2", "usr_2")
    await next_poll()
    alice, bob = unlocks[-2:]
    assert alice.data["person_entity_id"] == "person.andersson_alice"
    assert bob.data["person_entity_id"] is None
    state = hass.states.get("event.front_door_unlock")
    assert state.attributes["person_entity_id"] == "person.andersson_alice"
    describe = describers["parakey_unlock"]
    assert describe(alice)["message"] == "unlocked by andersson älice"
    assert describe(bob)["message"] == "unlocked by Bob Berg"


async def door_and_place(
    device_registry: dr.DeviceRegistry, entry: MockConfigEntry
) -> tuple[str, str]:
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    door = next(d for d in devices if (DOMAIN, "dev_1") in d.identifiers)
    place = next(d for d in devices if d.name == "Home")
    return door.id, place.id


async def test_triggers_offer_who_by_name_and_linked_person(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    persons: None,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_1", "usr_2")
    await next_poll()
    await link(hass, loaded, {"Alice Andersson": "person.andersson_alice"})
    door, place = await door_and_place(device_registry, loaded)
    assert await async_setup_component(hass, "device_automation", {})
    client = await hass_ws_client(hass)

    await client.send_json_auto_id(
        {"type": "device_automation/trigger/list", "device_id": place}
    )
    listed = (await client.receive_json())["result"]
    assert [t["type"] for t in listed if t["domain"] == DOMAIN] == ["any_door_unlocked"]
    await client.send_json_auto_id(
        {
            "type": "device_automation/trigger/capabilities",
            "trigger": {
                "platform": "device",
                "domain": DOMAIN,
                "device_id": door,
                "type": "unlocked",
            },
        }
    )
    (field,) = (await client.receive_json())["result"]["extra_fields"]
    assert field["name"] == "user_id"
    assert field["optional"] is True
    assert field["options"] == [
        ["", "—"],  # anyone: a pick can be undone in the editor
        ["usr_1", "Alice Andersson (andersson älice)"],
        ["usr_2", "Bob Berg"],
    ]


async def test_automations_on_a_person_fire_once_per_timely_unlock(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    door, place = await door_and_place(device_registry, loaded)
    fired = async_capture_events(hass, "test_fired")

    def automation(
        alias: str, device_id: str, kind: str, user_id: str = "usr_1"
    ) -> dict[str, Any]:
        return {
            "alias": alias,
            "triggers": [
                {
                    "trigger": "device",
                    "domain": DOMAIN,
                    "device_id": device_id,
                    "type": kind,
                    "user_id": user_id,
                }
            ],
            "actions": [
                {
                    "event": "test_fired",
                    "event_data": {
                        "alias": alias,
                        "event_id": "{{ trigger.event.data.event_id }}",
                    },
                }
            ],
        }

    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                automation("front door by Alice", door, "unlocked"),
                automation("any door by Alice", place, "any_door_unlocked"),
                automation("front door by anyone", door, "unlocked", user_id=""),
            ]
        },
    )
    front = sim.create_unlock("dev_1", "usr_1")
    back = sim.create_unlock("dev_2", "usr_1")
    bob = sim.create_unlock("dev_1", "usr_2")  # Bob: only "anyone" fires
    sim.create_unlock(  # Alice, but three hours ago: neither fires
        "dev_1", "usr_1", timestamp=dt_util.utcnow() - timedelta(hours=3)
    )
    await next_poll()
    await hass.async_block_till_done()
    got = sorted((e.data["alias"], e.data["event_id"]) for e in fired)
    assert got == sorted(
        [
            ("front door by Alice", front["id"]),
            ("any door by Alice", front["id"]),
            ("any door by Alice", back["id"]),
            ("front door by anyone", front["id"]),
            ("front door by anyone", bob["id"]),
        ]
    )


async def test_presence_makes_arrival_instant_and_never_pins_anyone(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    persons: None,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The phone's GPS still says away when Alice reaches the door.
    hass.states.async_set(
        PHONE, STATE_NOT_HOME, {"source_type": "gps", "latitude": 1.0, "longitude": 1.0}
    )
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    freezer.tick(timedelta(minutes=15))
    await link(
        hass, loaded, {"Alice Andersson": "person.andersson_alice"}, presence=True
    )
    # That first unlock is a quarter of an hour old: no presence from it.
    assert hass.states.get(TRACKER).state == STATE_UNKNOWN
    assert hass.states.get("person.andersson_alice").state == STATE_NOT_HOME

    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    assert hass.states.get(TRACKER).state == STATE_HOME
    assert hass.states.get("person.andersson_alice").state == STATE_HOME
    # A restart inside the window keeps her home until it ends.
    freezer.tick(timedelta(minutes=4))
    await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(TRACKER).state == STATE_HOME

    # Ten minutes after the unlock the GPS decides again.
    freezer.tick(timedelta(minutes=6))
    await next_poll(1)
    assert hass.states.get(TRACKER).state == STATE_UNKNOWN
    assert hass.states.get("person.andersson_alice").state == STATE_NOT_HOME

    # An unlock that arrives late (offline lock) says nothing about now, even
    # with a window longer than the age at which unlocks count as delayed.
    await link(
        hass,
        loaded,
        {"Alice Andersson": "person.andersson_alice"},
        presence=True,
        minutes=60,
    )
    freezer.tick(timedelta(minutes=61))  # past the window of her timely unlock
    await next_poll(1)
    assert hass.states.get(TRACKER).state == STATE_UNKNOWN
    sim.create_unlock(
        "dev_1", "usr_1", timestamp=dt_util.utcnow() - timedelta(minutes=12)
    )
    await next_poll()
    assert hass.states.get(TRACKER).state == STATE_UNKNOWN
    assert hass.states.get("person.andersson_alice").state == STATE_NOT_HOME
    # Nor after a restart, though it is her last unlock.
    await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(TRACKER).state == STATE_UNKNOWN


async def test_presence_off_or_unlinked_leaves_no_tracker(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    persons: None,
) -> None:
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    await link(hass, loaded, {"Alice Andersson": "person.andersson_alice"})
    assert hass.states.get(TRACKER) is None  # off by default
    await link(
        hass, loaded, {"Alice Andersson": "person.andersson_alice"}, presence=True
    )
    assert hass.states.get(TRACKER) is not None
    await link(hass, loaded, {}, presence=True)  # unlinked again
    assert hass.states.get(TRACKER) is None
    assert er.async_get(hass).async_get(TRACKER) is None  # not orphaned either


async def test_two_users_of_one_name_get_a_field_each(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    sim.add_user("usr_7", "Alice Andersson")  # a namesake
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_1", "usr_7")
    await next_poll()
    form = await people_step(hass, loaded)
    fields = set(suggested(form)) - {CONF_PRESENCE, CONF_PRESENCE_MINUTES}
    assert fields == {"Alice Andersson", "Alice Andersson (usr_7)"}


async def test_people_step_needs_a_running_entry(
    hass: HomeAssistant, sim: ParakeySimulator, entry: MockConfigEntry
) -> None:
    sim.inject_fault("server_error", count=10)
    await hass.config_entries.async_setup(entry.entry_id)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "people"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"
