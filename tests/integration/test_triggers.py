"""The editor's "Door unlocked" trigger and "Door unlocked recently" condition.

Releases with the API (2026.x) run them through real automations; the suite
runs there in scripts/compat (2026.2.3), and the live check covers 2026.11.
On 2025.4 the module must stay harmless: nothing logged at start-up, and a
clear error, not a crash, for an automation that uses the new trigger.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.parakey import async_apply_options, condition, trigger
from custom_components.parakey.api import EventLog
from custom_components.parakey.const import CONF_PEOPLE
from custom_components.parakey.people import who_matches
from custom_components.parakey.recent import RecentUnlocks
from custom_components.parakey.unlock import Unlock
from simulator import ParakeySimulator

from .helpers import door_device

Poll = Callable[..., Awaitable[None]]
FRONT = "event.front_door_unlock"
needs_trigger_api = pytest.mark.skipif(
    not trigger.HAS_TRIGGER_API, reason="this Home Assistant has no trigger API"
)
needs_condition_api = pytest.mark.skipif(
    not condition.HAS_CONDITION_API, reason="this Home Assistant has no condition API"
)


def test_who_is_a_person_an_id_or_a_full_name() -> None:
    unlock = {
        "user_id": "usr_1",
        "user_name": "Alice Andersson",
        "person_entity_id": "person.alice",
    }
    assert who_matches([], unlock)  # anyone
    assert who_matches(["person.alice"], unlock)
    assert who_matches(["usr_1"], unlock)
    assert who_matches(["andersson ALICE"], unlock)
    assert not who_matches(["Alice"], unlock)  # a trigger never guesses
    assert not who_matches(["person.bob", "usr_2"], unlock)
    assert not who_matches(["Alice"], {"user_id": None, "user_name": None})


async def test_the_editor_gets_nothing_it_cannot_run(hass: HomeAssistant) -> None:
    triggers = await trigger.async_get_triggers(hass)
    conditions = await condition.async_get_conditions(hass)
    assert list(triggers) == (["unlocked"] if trigger.HAS_TRIGGER_API else [])
    assert list(conditions) == (
        ["unlocked_recently"] if condition.HAS_CONDITION_API else []
    )


@pytest.mark.skipif(trigger.HAS_TRIGGER_API, reason="the trigger API exists here")
async def test_old_releases_refuse_the_new_trigger_clearly(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "alias": "new trigger on an old release",
                "triggers": [
                    {"trigger": "parakey.unlocked", "target": {"entity_id": FRONT}}
                ],
                "actions": [],
            }
        },
    )
    await hass.async_block_till_done()
    assert "needs Home Assistant 2026.1 or newer" in caplog.text
    assert "Unexpected exception importing platform" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


def test_recent_unlocks_remember_a_day_per_door_and_user() -> None:
    saved: dict[str, Any] = {}

    class Store:
        def section(self, name: str) -> Any:
            return saved.get(name)

        def async_add_section(self, name: str, dump: Callable[[], Any]) -> None:
            self.dump = dump

        def async_schedule_save(self) -> None:
            saved["recent_unlocks"] = self.dump()

    now = dt_util.utcnow()
    saved["recent_unlocks"] = {
        "dev_1": {"usr_1": (now - timedelta(minutes=3)).isoformat(), "usr_2": "junk"},
        "dev_2": {"usr_1": (now - timedelta(days=2)).isoformat()},
        "dev_3": "junk",
    }
    recent = RecentUnlocks(Store())  # type: ignore[arg-type]
    assert recent.last("dev_1") is not None
    assert recent.last("dev_1", {"usr_2"}) is None
    assert recent.last("dev_2") is None  # older than a day
    assert recent.last("dev_9") is None

    def unlock(user_id: str, at: datetime) -> Unlock:
        log = EventLog(
            id=f"evl_{user_id}_{at:%H%M}", created_at=at, timestamp=at,
            door_id="dev_1", user_id=user_id,
        )  # fmt: skip
        return Unlock(log=log, source="poll", delayed=False)

    recent.async_on_unlock(unlock("usr_3", now - timedelta(hours=23)))
    assert "usr_3" in saved["recent_unlocks"]["dev_1"]
    # Two hours on, the hourly clean-up forgets what is now over a day old,
    # in the file too.
    recent.async_on_unlock(unlock("usr_1", now + timedelta(hours=2)))
    assert recent.last("dev_1", {"usr_3"}) is None
    assert "usr_3" not in saved["recent_unlocks"]["dev_1"]
    assert recent.last("dev_1", {"usr_1"}) == now + timedelta(hours=2)


async def set_up_automations(
    hass: HomeAssistant, configs: list[dict[str, Any]]
) -> None:
    assert await async_setup_component(
        hass, automation.DOMAIN, {automation.DOMAIN: configs}
    )
    await hass.async_block_till_done()


def fired_by(alias: str, action: str = "door_automation") -> dict[str, Any]:
    return {
        "alias": alias,
        "triggers": [],
        "actions": [
            {
                "event": action,
                "event_data": {
                    "alias": alias,
                    "event_id": "{{ trigger.event.data.event_id }}",
                    "who": "{{ trigger.event.data.user_name }}",
                    "entity_id": "{{ trigger.entity_id }}",
                    "platform": "{{ trigger.platform }}",
                },
            }
        ],
    }


@needs_trigger_api
async def test_door_unlocked_by_target_and_who(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    area_registry: ar.AreaRegistry,
) -> None:
    assert await async_setup_component(
        hass, "person", {"person": [{"id": "alice", "name": "Alice"}]}
    )
    hass.config_entries.async_update_entry(
        loaded, options={**loaded.options, CONF_PEOPLE: {"usr_1": "person.alice"}}
    )
    await async_apply_options(hass, loaded)
    front = door_device(hass, loaded, "dev_1")
    assert front is not None
    hall = area_registry.async_create("Hall")
    er.async_get(hass).async_update_entity(FRONT, area_id=hall.id)

    def unlocked(alias: str, target: dict[str, Any], **options: Any) -> dict[str, Any]:
        config = fired_by(alias)
        config["triggers"] = [
            {"trigger": "parakey.unlocked", "target": target, "options": options}
        ]
        return config

    await set_up_automations(
        hass,
        [
            unlocked("entity, anyone", {"entity_id": FRONT}),
            unlocked("device, Alice", {"device_id": front.id}, who=["person.alice"]),
            unlocked("area, Bob by name", {"area_id": hall.id}, user=["bob berg"]),
            unlocked("entity, Bob by id", {"entity_id": FRONT}, who=["usr_2"]),
        ],
    )
    fired = async_capture_events(hass, "door_automation")
    alice = sim.create_unlock("dev_1", "usr_1")
    bob = sim.create_unlock("dev_1", "usr_2")
    sim.create_unlock("dev_2", "usr_1")  # another door
    sim.create_unlock(  # Alice, but an hour ago (an offline lock): no trigger
        "dev_1", "usr_1", timestamp=dt_util.utcnow() - timedelta(hours=1)
    )
    await next_poll()
    await hass.async_block_till_done()

    got = sorted((e.data["alias"], e.data["event_id"]) for e in fired)
    assert got == sorted(
        [
            ("entity, anyone", alice["id"]),
            ("entity, anyone", bob["id"]),
            ("device, Alice", alice["id"]),
            ("area, Bob by name", bob["id"]),
            ("entity, Bob by id", bob["id"]),
        ]
    )
    # The variables automations read: the bus event's data, the door entity.
    first = next(e for e in fired if e.data["event_id"] == alice["id"])
    assert first.data["who"] == "Alice Andersson"
    assert first.data["entity_id"] == FRONT
    assert first.data["platform"] == "parakey.unlocked"


@needs_condition_api
async def test_unlocked_recently_by_someone(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
) -> None:
    front = door_device(hass, loaded, "dev_1")
    assert front is not None

    def checked(alias: str, **options: Any) -> dict[str, Any]:
        config = fired_by(alias, "checked")
        config["triggers"] = [{"trigger": "event", "event_type": "check_now"}]
        config["conditions"] = [
            {
                "condition": "parakey.unlocked_recently",
                "target": {"device_id": front.id},
                "options": {"within": {"minutes": 5}, **options},
            }
        ]
        return config

    await set_up_automations(hass, [checked("anyone"), checked("Alice", who=["usr_1"])])
    fired = async_capture_events(hass, "checked")

    async def check() -> list[str]:
        fired.clear()
        hass.bus.async_fire("check_now")
        await hass.async_block_till_done()
        return sorted(e.data["alias"] for e in fired)

    assert await check() == []
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    assert await check() == ["Alice", "anyone"]
    # Bob unlocks after her: Alice's unlock still counts for "Alice".
    freezer.tick(timedelta(minutes=2))
    sim.create_unlock("dev_1", "usr_2")
    await next_poll()
    assert await check() == ["Alice", "anyone"]
    freezer.tick(timedelta(minutes=3, seconds=30))
    assert await check() == ["anyone"]  # Alice's is 5.5 min old, Bob's 3.5
    freezer.tick(timedelta(minutes=3))
    assert await check() == []
