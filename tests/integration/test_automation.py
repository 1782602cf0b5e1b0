"""Device trigger, logbook and diagnostics, through Home Assistant's components."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
import re

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr, translation
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.parakey.const import DOMAIN
from simulator import ParakeySimulator

from .conftest import EVENT_KEYS
from .helpers import door_device

Poll = Callable[..., Awaitable[None]]


async def test_device_trigger_fires_for_timely_unlocks_only(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    front = device_registry.async_get_device(identifiers={(DOMAIN, "dev_1")})
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, front.id
    )
    assert [(t["domain"], t["type"]) for t in triggers if t["domain"] == DOMAIN] == [
        (DOMAIN, "unlocked")
    ]
    calls: list[ServiceCall] = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "trigger": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": front.id,
                    "type": "unlocked",
                },
                "action": {
                    "service": "test.automation",
                    "data_template": {"who": "{{ trigger.event.data.user_name }}"},
                },
            }
        },
    )
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_2", "usr_2")  # another door
    sim.create_unlock("dev_1", "usr_2", timestamp=dt_util.utcnow() - timedelta(hours=3))
    await next_poll()

    assert [call.data["who"] for call in calls] == ["Alice Andersson"]


async def test_two_unlocks_of_a_door_in_one_poll_each_change_its_state(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
) -> None:
    # Alice and Bob come in within a poll interval: the poll hands both over in
    # the same millisecond (here the clock stands still). The README's event
    # entity automation skips attribute-only changes, so each unlock must move
    # the state on; Home Assistant before 2026.8 does not do that by itself.
    calls: list[ServiceCall] = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "trigger": {
                    "platform": "state",
                    "entity_id": "event.front_door_unlock",
                    "not_from": ["unavailable", "unknown"],
                },
                "action": {
                    "service": "test.automation",
                    "data_template": {
                        "who": "{{ trigger.to_state.attributes.user_name }}"
                    },
                },
            }
        },
    )
    states: list[str] = []

    @callback  # in the loop, in order (a plain function runs in the executor)
    def note(event: Event) -> None:
        if event.data["entity_id"] == "event.front_door_unlock":
            states.append(event.data["new_state"].state)

    hass.bus.async_listen("state_changed", note)
    sim.create_unlock("dev_1", "usr_2")  # from unknown: the trigger skips it
    await next_poll()
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_1", "usr_2")
    await next_poll()

    assert [call.data["who"] for call in calls] == ["Alice Andersson", "Bob Berg"]
    assert len(states) == len(set(states)) == 3
    assert states == sorted(states)  # strictly increasing, as 2026.8+ keeps them


async def test_blueprint_defaults_notify_on_a_fresh_installation(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    device_registry: dr.DeviceRegistry,
    blueprints: None,
    hass_ws_client: WebSocketGenerator,
) -> None:
    # The blueprint as a user imports it, with only the inputs that have no default.
    front = door_device(hass, loaded, "dev_1")
    assert front is not None
    assert await async_setup_component(hass, "persistent_notification", {})
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "use_blueprint": {
                    "path": "parakey/notify_when_person_unlocks.yaml",
                    "input": {"door": front.id, "parakey_user_name": "Bob Berg"},
                }
            }
        },
    )
    sim.create_unlock("dev_1", "usr_1")  # someone else
    sim.create_unlock("dev_2", "usr_2")  # another door
    sim.create_unlock("dev_1", "usr_2", timestamp=dt_util.utcnow() - timedelta(hours=3))
    await next_poll()
    client = await hass_ws_client(hass)

    async def notifications() -> list[dict[str, str]]:
        await client.send_json_auto_id({"type": "persistent_notification/get"})
        answer = await client.receive_json()
        assert answer["success"]
        return list(answer["result"])

    assert await notifications() == []

    sim.create_unlock("dev_1", "usr_2")
    await next_poll()
    shown = await notifications()
    assert [n["title"] for n in shown] == ["Front door unlocked"]
    assert shown[0]["message"].startswith("Bob Berg unlocked Front door at ")


def documented_keys(caption: str) -> set[str]:
    """The names in the first column of the README table after ``caption``."""
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    table = readme.split(caption, 1)[1].split("\n\n")[1]
    rows = [row.split("|")[1] for row in table.splitlines()[2:]]
    return {name for row in rows for name in re.findall(r"`(\w+)`", row)}


async def test_readme_lists_what_an_automation_gets(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
) -> None:
    caption = "**Door unlocked trigger, device trigger and `parakey_unlock` event**"
    assert documented_keys(caption) == (EVENT_KEYS)
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    state = hass.states.get("event.front_door_unlock")
    assert documented_keys("**Event entity**") == set(state.attributes)


async def test_no_triggers_for_foreign_device(
    hass: HomeAssistant, loaded: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device.id
    )
    assert [t for t in triggers if t["domain"] == DOMAIN] == []


async def test_blueprint_picks_a_linked_person(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    device_registry: dr.DeviceRegistry,
    blueprints: None,
) -> None:
    assert await async_setup_component(
        hass, "person", {"person": [{"id": "alice", "name": "Alice"}]}
    )
    hass.config_entries.async_update_entry(
        loaded, options={**loaded.options, "people": {"usr_1": "person.alice"}}
    )
    await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    front = door_device(hass, loaded, "dev_1")
    assert front is not None
    calls = async_mock_service(hass, "test", "notify")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "use_blueprint": {
                    "path": "parakey/notify_when_person_unlocks.yaml",
                    "input": {
                        "door": front.id,
                        "person": "person.alice",
                        "notify_action": "test.notify",
                    },
                }
            }
        },
    )
    sim.create_unlock("dev_1", "usr_2")  # Bob: not Alice
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    await hass.async_block_till_done()
    # Named as Home Assistant knows the person, not as Parakey does.
    assert [c.data["message"].split(" unlocked")[0] for c in calls] == ["Alice"]


async def test_blueprint_keeps_one_notification_per_door(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    blueprints: None,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "persistent_notification", {})
    mobile = async_mock_service(hass, "notify", "mobile_app_phone")
    doors = [door_device(hass, loaded, d) for d in ("dev_1", "dev_2")]
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "use_blueprint": {
                        "path": "parakey/notify_when_person_unlocks.yaml",
                        "input": {"door": door.id, "notify_action": action},
                    }
                }
                for door in doors
                if door is not None
                for action in (
                    "persistent_notification.create",
                    "notify.mobile_app_phone",
                )
            ]
        },
    )
    for _ in range(3):
        sim.create_unlock("dev_1", "usr_1")
        sim.create_unlock("dev_2", "usr_2")
        await next_poll()
        await hass.async_block_till_done()

    # Six unlocks, one notification per door: each replaced the last.
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "persistent_notification/get"})
    shown = (await client.receive_json())["result"]
    assert sorted(n["notification_id"] for n in shown) == [
        "parakey_dev_1",
        "parakey_dev_2",
    ]
    assert {n["title"] for n in shown} == {"Front door unlocked", "Back door unlocked"}
    # On a phone the same: the Companion app replaces a notification by its tag.
    assert len(mobile) == 6
    assert {c.data["data"]["tag"] for c in mobile} == {"parakey_dev_1", "parakey_dev_2"}


async def test_the_doors_more_info_says_who_unlocked(
    hass: HomeAssistant, sim: ParakeySimulator, loaded: MockConfigEntry, next_poll: Poll
) -> None:
    # The more-info dialog lists the event entity's attributes by these names:
    # who unlocked last, without a sensor (and its logbook lines) for it.
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    state = hass.states.get("event.front_door_unlock")
    prefix = f"component.{DOMAIN}.entity.event.unlock.state_attributes"
    ours = set(state.attributes) - {"event_types", "event_type", "friendly_name"}
    for language in ("en", "sv", "nb"):
        names = await translation.async_get_translations(
            hass, language, "entity", {DOMAIN}
        )
        assert sorted(a for a in ours if f"{prefix}.{a}.name" not in names) == []
    english = await translation.async_get_translations(hass, "en", "entity", {DOMAIN})
    assert english[f"{prefix}.user_name.name"] == "Unlocked by"
    assert state.attributes["user_name"] == "Alice Andersson"
