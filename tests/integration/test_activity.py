"""Door activity (issue #13): the daily count, the rate-limit issue, removed sensors.

Against the simulator over loopback HTTP; time moves with the freezer only.
Home Assistant's time zone in tests is US/Pacific, so local midnight is not
UTC midnight: every midnight here comes from ``dt_util``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
import importlib.util
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.parakey.const import DOMAIN
from simulator import ParakeySimulator, SimulatorServer

from .helpers import add_entry

Poll = Callable[..., Awaitable[None]]
FRONT_TODAY = "sensor.front_door_unlocks_today"
BACK_TODAY = "sensor.back_door_unlocks_today"
DOCS = "https://github.com/parakey-ha/parakey-ha"  # manifest.json: documentation


@pytest.fixture
def at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> Callable[[datetime], Awaitable[None]]:
    """Jump to a moment and let every timer due by then run (polls included)."""

    async def run(when: datetime) -> None:
        freezer.move_to(when)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    return run


def counts(hass: HomeAssistant) -> tuple[str, str]:
    return hass.states.get(FRONT_TODAY).state, hass.states.get(BACK_TODAY).state


# ----- unlocks today -----


async def test_count_resets_at_local_midnight_and_goes_by_opening_time(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
    at: Callable[[datetime], Awaitable[None]],
) -> None:
    day = dt_util.start_of_local_day(dt_util.now().date() + timedelta(days=1))
    midnight = day + timedelta(days=1)
    await at(day + timedelta(hours=23, minutes=30))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(FRONT_TODAY)
    assert state.state == "0"
    assert state.attributes["state_class"] == "total"
    assert state.attributes["last_reset"] == day.isoformat()

    # Three unlocks in the last minutes of the day.
    await at(midnight - timedelta(minutes=10))
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_1", "usr_2")
    sim.create_unlock("dev_2", "usr_2")
    await next_poll()
    assert counts(hass) == ("2", "1")

    # Local midnight (08:00 UTC in winter, 07:00 in summer), nothing polled.
    await at(midnight - timedelta(seconds=1))
    assert counts(hass) == ("2", "1")
    await at(midnight)
    assert counts(hass) == ("0", "0")
    assert hass.states.get(FRONT_TODAY).attributes["last_reset"] == (
        midnight.isoformat()
    )

    # A lock uploads yesterday's unlock late; one from today comes with it.
    await at(midnight + timedelta(minutes=20))
    late = sim.create_unlock(
        "dev_2", "usr_1", timestamp=midnight - timedelta(minutes=2)
    )
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    assert late["id"] in [event.data["event_id"] for event in unlocks]
    assert counts(hass) == ("1", "0")

    # An unlock just before midnight that only arrives after it: yesterday's.
    await at(midnight + timedelta(days=1) - timedelta(seconds=30))
    sim.create_unlock("dev_2", "usr_1")
    await at(midnight + timedelta(days=1) + timedelta(seconds=5))
    await next_poll()
    assert len(unlocks) == 6
    assert counts(hass) == ("0", "0")


async def test_count_survives_a_restart_but_not_a_night(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    next_poll: Poll,
    at: Callable[[datetime], Awaitable[None]],
) -> None:
    day = dt_util.start_of_local_day(dt_util.now().date() + timedelta(days=1))
    await at(day + timedelta(hours=9))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_2", "usr_1")
    sim.create_unlock("dev_2", "usr_2")
    await next_poll()
    assert counts(hass) == ("1", "2")

    # Restart in the evening: the counts are read back from the store.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await at(day + timedelta(hours=20))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert counts(hass) == ("1", "2")
    assert hass.states.get(FRONT_TODAY).attributes["last_reset"] == day.isoformat()

    # Down over midnight: what was stored is yesterday's and counts as nothing.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    next_day = day + timedelta(days=1)
    await at(next_day + timedelta(hours=7))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert counts(hass) == ("0", "0")
    assert hass.states.get(FRONT_TODAY).attributes["last_reset"] == (
        next_day.isoformat()
    )


# ----- rate limiting -----


async def test_lasting_rate_limit_raises_issue_with_the_wait_then_clears(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = loaded.runtime_data.coordinator
    issue_id = f"rate_limited_{loaded.entry_id}"
    sim.inject_fault("rate_limit", retry_after=240, count=3)

    # Two refused polls: slower polling, but not yet worth a repair issue.
    await next_poll()
    assert coordinator.update_interval == timedelta(seconds=240)
    # A 429 is no outage: the doors stay as they were.
    assert hass.states.get(FRONT_TODAY).state == "0"
    assert hass.states.get("event.front_door_unlock").state == STATE_UNKNOWN
    sim.reset_stats()
    await next_poll(200)
    assert sim.stats["requests"] == 0  # it waits as long as Parakey asked
    await next_poll(41)
    assert sim.stats["requests"] == 1
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    # The third in a row: the user is told, with the wait Parakey asked for.
    await next_poll(241)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "rate_limited"
    assert issue.translation_placeholders == {"title": "Home", "seconds": "240"}
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.learn_more_url == f"{DOCS}#troubleshooting"
    assert loaded.state is ConfigEntryState.LOADED
    # One warning for the whole episode, none at error level.
    warnings = [r for r in caplog.records if "slow down" in r.getMessage()]
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]

    # Parakey answers again: the issue goes, the interval comes back.
    log = sim.create_unlock()
    await next_poll(241)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert coordinator.update_interval == timedelta(seconds=60)
    assert (
        hass.states.get("event.front_door_unlock").attributes["event_id"] == (log["id"])
    )


async def test_rate_limit_without_retry_after_waits_a_minute(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    issue_registry: ir.IssueRegistry,
) -> None:
    sim.inject_fault("rate_limit", retry_after=None, count=3)
    for _ in range(3):
        await next_poll()
    issue = issue_registry.async_get_issue(DOMAIN, f"rate_limited_{loaded.entry_id}")
    assert issue is not None
    # Never "wait 0 seconds": Parakey's own minimum interval is assumed.
    assert issue.translation_placeholders["seconds"] == "60"


async def test_single_rate_limited_polls_raise_no_issue(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    issue_registry: ir.IssueRegistry,
) -> None:
    issue_id = f"rate_limited_{loaded.entry_id}"
    # Refused, answered, refused twice, answered: never three in a row.
    for refused in (1, 0, 2, 0):
        sim.inject_fault("rate_limit", retry_after=90, count=refused)
        for _ in range(max(refused, 1)):
            await next_poll(91)
            assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert sim.stats["status"]["429"] == 3
    assert loaded.runtime_data.coordinator.update_interval == timedelta(seconds=60)


async def test_rate_limit_issue_goes_with_the_entry(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    issue_registry: ir.IssueRegistry,
) -> None:
    sim.inject_fault("rate_limit", retry_after=60, count=3)
    for _ in range(3):
        await next_poll()
    assert issue_registry.async_get_issue(DOMAIN, f"rate_limited_{loaded.entry_id}")
    assert await hass.config_entries.async_remove(loaded.entry_id)
    await hass.async_block_till_done()
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]


# ----- the per-door sensors of 0.1 -----


async def test_removed_sensors_leave_the_registry_on_upgrade(
    hass: HomeAssistant,
    server: SimulatorServer,
    entity_registry: er.EntityRegistry,
) -> None:
    # An entry written by 0.2 (1.2): the upgrade to 1.3 removes the sensors once.
    entry = add_entry(hass, server.base_url, minor_version=2)
    old = [
        entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{door}-{key}",
            config_entry=entry,
            suggested_object_id=f"{name}_{key}",
        ).entity_id
        for door, name in (("dev_1", "front_door"), ("dev_2", "back_door"))
        for key in ("last_unlocked_by", "last_unlock")
    ]
    assert old == [
        "sensor.front_door_last_unlocked_by",
        "sensor.front_door_last_unlock",
        "sensor.back_door_last_unlocked_by",
        "sensor.back_door_last_unlock",
    ]
    # Someone else's sensor with the same key stays.
    other = entity_registry.async_get_or_create(
        "sensor", "other", "dev_1-last_unlocked_by"
    ).entity_id

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.minor_version == 3
    assert all(entity_registry.async_get(entity_id) is None for entity_id in old)
    assert all(hass.states.get(entity_id) is None for entity_id in old)
    assert entity_registry.async_get(other) is not None
    assert {
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    } == {
        "event.front_door_unlock",
        "event.back_door_unlock",
        FRONT_TODAY,
        BACK_TODAY,
        "sensor.home_last_webhook",
        "calendar.home_keys",
    }


# ----- what the README and the demo tell users to use -----


def demo_dashboard() -> dict[str, Any]:
    path = Path(__file__).parents[2] / "scripts" / "demo_setup.py"
    spec = importlib.util.spec_from_file_location("demo_setup", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.DASHBOARD)


def entity_ids(node: Any) -> set[str]:
    """Every entity id a Lovelace config names."""
    if isinstance(node, str):
        return {node} if "." in node and " " not in node and "/" not in node else set()
    if isinstance(node, list):
        return set().union(*(entity_ids(item) for item in node))
    if isinstance(node, dict):
        found: set[str] = set()
        for key, value in node.items():
            if key in ("entity", "entities", "entity_id") or not isinstance(value, str):
                found |= entity_ids(value)
        return found
    return set()


async def test_demo_dashboard_names_only_entities_that_exist(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    dashboard = demo_dashboard()
    named = entity_ids(dashboard)
    # The demo makes its person (and links her) itself; all else is ours.
    made_by_demo = {
        "person.alice_andersson",
        "device_tracker.alice_andersson_at_the_door",
    }
    assert {name for name in named if hass.states.get(name) is None} == made_by_demo
    assert {FRONT_TODAY, BACK_TODAY, "event.front_door_unlock"} <= named
    assert "calendar.home_keys" in named
    assert [view["path"] for view in dashboard["views"]] == ["doors", "keys", "today"]
    today = dashboard["views"][2]["cards"]
    assert {card["type"] for card in today} >= {"statistics-graph", "logbook"}


async def test_readme_template_names_who_unlocked(
    hass: HomeAssistant, sim: ParakeySimulator, loaded: MockConfigEntry, next_poll: Poll
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    template = "{{ state_attr('event.front_door_unlock', 'user_name') }}"
    assert template in readme
    sim.create_unlock("dev_1", "usr_2")
    await next_poll()
    assert Template(template, hass).async_render() == "Bob Berg"
