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
from custom_components.parakey.options_flow import (
    CONF_PERSON,
    CONF_SUGGESTED,
    CONF_USER,
)
from custom_components.parakey.people import (
    KnownUser,
    names_match,
    normalise_name,
    suggest_person,
)
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


def picker_options(form: dict[str, Any], field: str) -> list[dict[str, str]]:
    """The options of a select field, as the frontend gets them."""
    key = next(k for k in form["data_schema"].schema if str(k) == field)
    return list(form["data_schema"].schema[key].config["options"])


async def link(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    links: dict[str, str | None],
    *,
    presence: bool = False,
    minutes: int = 10,
) -> None:
    """Link (person) or unlink (None) users one at a time, as a person would."""
    form = await people_step(hass, entry)
    flow_id = form["flow_id"]
    answers: dict[str, Any] = {CONF_PRESENCE: presence, CONF_PRESENCE_MINUTES: minutes}
    if CONF_SUGGESTED in suggested(form):
        answers[CONF_SUGGESTED] = []  # suggestions are not what this links
    if not links:
        result = await hass.config_entries.options.async_configure(flow_id, answers)
    for user, person in links.items():
        result = await hass.config_entries.options.async_configure(
            flow_id, {**answers, CONF_USER: user}
        )
        assert result["step_id"] == "link", result.get("errors")
        result = await hass.config_entries.options.async_configure(
            flow_id, {CONF_PERSON: person} if person else {}
        )
        assert result["step_id"] == "saved"
        if user != list(links)[-1]:
            result = await hass.config_entries.options.async_configure(
                flow_id, {"next_step_id": "people"}
            )
    assert result["step_id"] == "saved"
    result = await hass.config_entries.options.async_configure(
        flow_id, {"next_step_id": "done"}
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


def test_a_first_name_or_part_of_the_name_is_suggested_when_unambiguous() -> None:
    bob = KnownUser("usr_2", "Bob Berg")
    assert names_match("Bob Berg", "Bob")
    assert names_match("bob", "Bob Berg")
    assert not names_match("Bob Berg", "Bobby")
    assert not names_match("Bob Berg", "")
    assert suggest_person(bob, {"person.bob": "Bob"}) == "person.bob"
    # An exact match wins over a partial one; two partial ones are a tie.
    assert (
        suggest_person(bob, {"person.bob": "Bob", "person.bb": "bob berg"})
        == "person.bb"
    )
    assert suggest_person(bob, {"person.a": "Bob", "person.b": "Berg"}) is None


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
    assert form["description_placeholders"] == {"count": "2", "links": "—"}
    # The name match is offered, ticked; Bob has no person of his name.
    assert picker_options(form, CONF_SUGGESTED) == [
        {"value": "usr_1", "label": "Alice Andersson → andersson älice"}
    ]
    assert suggested(form)[CONF_SUGGESTED] == ["usr_1"]
    assert picker_options(form, CONF_USER) == [
        {"value": "usr_1", "label": "Alice Andersson"},
        {"value": "usr_2", "label": "Bob Berg"},
    ]
    # Shown, not saved: unlocks still name no person.
    hass.config_entries.options.async_abort(form["flow_id"])
    assert CONF_PEOPLE not in loaded.options
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    assert unlocks[-1].data["person_entity_id"] is None

    # The user confirms Alice's suggestion and links Bob to Carol by hand.
    form = await people_step(hass, loaded)
    result = await hass.config_entries.options.async_configure(
        form["flow_id"],
        {
            CONF_SUGGESTED: ["usr_1"],
            CONF_USER: "usr_2",
            CONF_PRESENCE: False,
            CONF_PRESENCE_MINUTES: 10,
        },
    )
    assert result["step_id"] == "link"
    assert result["description_placeholders"] == {"user": "Bob Berg"}
    assert suggested(result) == {CONF_PERSON: None}  # no name match: empty
    result = await hass.config_entries.options.async_configure(
        form["flow_id"], {CONF_PERSON: "person.carol"}
    )
    assert result["step_id"] == "saved"  # saved, and the menu comes back
    assert loaded.options[CONF_PEOPLE] == {
        "usr_1": "person.andersson_alice",
        "usr_2": "person.carol",
    }
    result = await hass.config_entries.options.async_configure(
        form["flow_id"], {"next_step_id": "done"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded.options[CONF_PEOPLE]["usr_2"] == "person.carol"

    # A user who unlocks for the first time later can be linked then; the
    # links made are listed, and a linked person is suggested for nobody else.
    sim.add_user("usr_3", "Dana Dahl")
    sim.create_unlock("dev_2", "usr_3")
    await next_poll()
    form = await people_step(hass, loaded)
    assert form["description_placeholders"] == {
        "count": "3",
        "links": "- Alice Andersson → andersson älice\n- Bob Berg → Carol",
    }
    assert CONF_SUGGESTED not in suggested(form)
    assert [o["value"] for o in picker_options(form, CONF_USER)] == [
        "usr_1",
        "usr_2",
        "usr_3",
    ]


async def test_a_user_is_found_by_typing_part_of_the_name(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    assert await async_setup_component(
        hass, "person", {"person": [{"id": "bob", "name": "Bob"}]}
    )
    sim.add_user("usr_7", "Alice Svensson")
    for user in ("usr_1", "usr_2", "usr_7"):
        sim.create_unlock("dev_1", user)
    await next_poll()
    form = await people_step(hass, loaded)
    # "Bob" (a first name) is suggested for Bob Berg.
    assert picker_options(form, CONF_SUGGESTED) == [
        {"value": "usr_2", "label": "Bob Berg → Bob"}
    ]
    answers = {CONF_SUGGESTED: [], CONF_PRESENCE: False, CONF_PRESENCE_MINUTES: 10}
    for typed, error in (("Alice", "ambiguous_user"), ("Zed", "unknown_user")):
        result = await hass.config_entries.options.async_configure(
            form["flow_id"], {**answers, CONF_USER: typed}
        )
        assert result["step_id"] == "people"
        assert result["errors"] == {CONF_USER: error}
    result = await hass.config_entries.options.async_configure(
        form["flow_id"], {**answers, CONF_USER: "berg"}
    )
    assert result["step_id"] == "link"
    # The suggestion is filled in on the person page too: confirmed on Submit.
    assert suggested(result) == {CONF_PERSON: "person.bob"}
    await hass.config_entries.options.async_configure(
        form["flow_id"], {CONF_PERSON: "person.bob"}
    )
    assert loaded.options[CONF_PEOPLE] == {"usr_2": "person.bob"}

    # Unlinking: the same page, left empty.
    await link(hass, loaded, {"usr_2": None})
    assert loaded.options[CONF_PEOPLE] == {}


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
    await link(hass, loaded, {"usr_1": "person.andersson_alice"})

    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_2", "usr_2")
    await next_poll()
    alice, bob = unlocks[-2:]
    assert alice.data["person_entity_id"] == "person.andersson_alice"
    assert bob.data["person_entity_id"] is None
    state = hass.states.get("event.front_door_unlock")
    assert state.attributes["person_entity_id"] == "person.andersson_alice"
    describe = describers["parakey_unlock"]
    assert describe(alice)["name"] == "andersson älice"
    assert describe(bob)["name"] == "Bob Berg"


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
    await link(hass, loaded, {"usr_1": "person.andersson_alice"})
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
    select = field["selector"]["select"]
    assert select["custom_value"] is True  # a searchable combo box
    assert select["options"] == [
        {"value": "", "label": "Anyone"},  # a pick can be undone in the editor
        {"value": "usr_1", "label": "Alice Andersson (andersson älice)"},
        {"value": "usr_2", "label": "Bob Berg"},
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
    await link(hass, loaded, {"usr_1": "person.andersson_alice"}, presence=True)
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
        {"usr_1": "person.andersson_alice"},
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
    await link(hass, loaded, {"usr_1": "person.andersson_alice"})
    assert hass.states.get(TRACKER) is None  # off by default
    await link(hass, loaded, {"usr_1": "person.andersson_alice"}, presence=True)
    assert hass.states.get(TRACKER) is not None
    await link(hass, loaded, {"usr_1": None}, presence=True)  # unlinked again
    assert hass.states.get(TRACKER) is None
    assert er.async_get(hass).async_get(TRACKER) is None  # not orphaned either


async def test_namesakes_are_told_apart_in_the_picker(
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
    assert picker_options(form, CONF_USER) == [
        {"value": "usr_1", "label": "Alice Andersson (usr_1)"},
        {"value": "usr_7", "label": "Alice Andersson (usr_7)"},
    ]


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


async def test_people_who_left_long_ago_are_forgotten_unless_linked(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    def user(user_id: str, days_ago: int) -> dict[str, Any]:
        at = (dt_util.utcnow() - timedelta(days=days_ago)).isoformat()
        return {"user_id": user_id, "name": user_id, "last_unlock": at}

    hass_storage[f"parakey.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 3,
        "key": f"parakey.{entry.entry_id}",
        "data": {
            "people": [
                user("usr_recent", 10),
                user("usr_left", 200),
                user("usr_linked", 400),
                {"damaged": True},
            ]
        },
    }
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_PEOPLE: {"usr_linked": "person.x"}}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # The pickers list the people of the place, not everyone who ever was.
    assert set(entry.runtime_data.people.users) == {"usr_recent", "usr_linked"}


async def test_a_tracker_from_0_2_0_keeps_its_entity_id_and_leaves_the_device(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    persons: None,
) -> None:
    # 0.2.0 put the tracker on the place's device, so its entity id began with
    # the place's name; the person's "Track device" list still names that id.
    place = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, entry.unique_id)}
    )
    old = er.async_get(hass).async_get_or_create(
        "device_tracker",
        DOMAIN,
        f"{entry.entry_id}-presence-usr_1",
        config_entry=entry,
        device_id=place.id,
        suggested_object_id="home_andersson_alice_at_the_door",
    )
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            CONF_PRESENCE: True,
            CONF_PEOPLE: {"usr_1": "person.andersson_alice"},
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    upgraded = er.async_get(hass).async_get(old.entity_id)
    assert upgraded is not None
    assert upgraded.unique_id == old.unique_id
    assert upgraded.device_id is None
    assert hass.states.get(old.entity_id) is not None
    assert hass.states.get(TRACKER) is None  # no second tracker


async def test_the_page_says_when_nobody_is_linked_yet(
    hass: HomeAssistant, sim: ParakeySimulator, loaded: MockConfigEntry
) -> None:
    form = await people_step(hass, loaded)
    # Markdown: a line of "-" under "Linked now:" would turn it into a heading.
    assert form["description_placeholders"]["links"] == "—"


async def test_an_office_full_of_links_keeps_the_page_short(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    at = dt_util.utcnow().isoformat()
    hass_storage[f"parakey.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 3,
        "key": f"parakey.{entry.entry_id}",
        "data": {
            "people": [
                {
                    "user_id": f"usr_{n:02}",
                    "name": f"Colleague {n:02}",
                    "last_unlock": at,
                }
                for n in range(25)
            ]
        },
    }
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            CONF_PEOPLE: {f"usr_{n:02}": f"person.colleague_{n:02}" for n in range(25)},
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    form = await people_step(hass, entry)
    links = form["description_placeholders"]["links"].splitlines()
    # Twenty links in name order, then how many more: the page does not grow.
    assert len(links) == 21
    assert links[0] == "- Colleague 00 → person.colleague_00"
    assert links[19].startswith("- Colleague 19 ")
    assert links[20] == "- … (+5)"
