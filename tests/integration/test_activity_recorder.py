"""Door activity as the recorder keeps it: logbook lines and long-term statistics.

Every test here runs Home Assistant's real recorder (in-memory SQLite), the
logbook reads back what it stored, and statistics are compiled by the
recorder's own task, as they are in a running installation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from http import HTTPStatus
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.webhook import async_generate_path
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.parakey.const import DOMAIN
from custom_components.parakey.logbook import ICON
from simulator import ParakeySimulator, SimulatorServer

from .helpers import WEBHOOK_AUTH, WEBHOOK_ID, add_entry

Poll = Callable[..., Awaitable[None]]
FRONT_EVENT = "event.front_door_unlock"
FRONT_TODAY = "sensor.front_door_unlocks_today"
BACK_TODAY = "sensor.back_door_unlocks_today"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant (it must come first)."""


@pytest.fixture
async def entry(hass: HomeAssistant, server: SimulatorServer) -> MockConfigEntry:
    """An entry with the webhook on, so both sources can deliver."""
    assert await async_setup_component(hass, "http", {})
    await hass.config.async_update(external_url="https://ha.example.org")
    return add_entry(hass, server.base_url, webhook=True)


async def logbook_lines(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, since: datetime
) -> list[dict[str, Any]]:
    """Every logbook line from ``since`` on, as the frontend's logbook reads it."""
    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": since.isoformat(),
            "end_time": (dt_util.utcnow() + timedelta(hours=1)).isoformat(),
        }
    )
    response = await client.receive_json()
    assert response["success"], response
    return list(response["result"])


def parakey_lines(
    hass: HomeAssistant, entry: MockConfigEntry, lines: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The lines Parakey wrote: its event's, and those of any of its entities."""
    ours = {
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    return [
        line
        for line in lines
        if line.get("domain") == DOMAIN or line.get("entity_id") in ours
    ]


async def test_an_unlock_writes_at_most_two_logbook_lines(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    since = dt_util.utcnow() - timedelta(minutes=1)

    # One unlock found by the poll...
    sim.create_unlock("dev_1", "usr_1")
    await next_poll()
    polled = parakey_lines(
        hass, loaded, await logbook_lines(hass, hass_ws_client, since)
    )

    # ...and one pushed by the webhook, of someone Home Assistant never saw.
    sim.add_user("usr_3", "Carla Cruz", "carla@example.com")
    log = sim.create_unlock("dev_2", "usr_3")
    client = await hass_client_no_auth()
    response = await client.post(
        async_generate_path(WEBHOOK_ID),
        data=json.dumps(log),
        headers={"Authorization": WEBHOOK_AUTH, "Content-Type": "application/json"},
    )
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [event.data["source"] for event in unlocks] == ["poll", "webhook"]
    both = parakey_lines(hass, loaded, await logbook_lines(hass, hass_ws_client, since))
    pushed = [line for line in both if line not in polled]

    for lines, door, person, entity_id in (
        (polled, "Front door", "Alice Andersson", FRONT_EVENT),
        (pushed, "Back door", "Carla Cruz", "event.back_door_unlock"),
    ):
        assert len(lines) == 2, lines
        # The line that says it: "<person> unlocked <door>", at the door time.
        said = [line for line in lines if line.get("domain") == DOMAIN]
        assert said == [
            {
                "domain": DOMAIN,
                "name": person,
                "message": f"unlocked {door}",
                "icon": ICON,
                "when": said[0]["when"],
            }
            | {k: v for k, v in said[0].items() if k.startswith("context_")}
        ]
        # The other is the event entity's own, caused by the same unlock: the
        # logbook names who ("via Alice Andersson"). No sensor writes one.
        (own,) = [line for line in lines if line not in said]
        assert own["entity_id"] == entity_id
        assert own["context_event_type"] == "parakey_unlock"
        assert own["context_domain"] == DOMAIN
        assert own["context_name"] == person
        assert own["context_message"] == f"unlocked {door}"


async def test_delayed_unlock_writes_one_logbook_line(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    since = dt_util.utcnow() - timedelta(hours=2)
    opened = dt_util.utcnow() - timedelta(hours=1)
    log = sim.create_unlock(
        "dev_1", "usr_2", timestamp=opened, created_at=dt_util.utcnow()
    )
    await next_poll()

    lines = parakey_lines(
        hass, loaded, await logbook_lines(hass, hass_ws_client, since)
    )
    # Only the bus event's line, standing where the door opened; the event
    # entity did not fire for an unlock an hour old.
    (line,) = lines
    assert line["name"] == "Bob Berg"
    assert line["message"] == "unlocked Front door (reported late by the lock)"
    assert line["when"] == dt_util.parse_datetime(log["timestamp"]).timestamp()


def local(day: datetime, hour: int, minute: int = 0) -> datetime:
    return dt_util.start_of_local_day(day) + timedelta(hours=hour, minutes=minute)


async def compile_statistics(
    hass: HomeAssistant, start: datetime, end: datetime
) -> None:
    """Compile every 5-minute period (and the hours they close) in [start, end)."""
    period = dt_util.as_utc(start)
    while period < dt_util.as_utc(end):
        do_adhoc_statistics(hass, start=period)
        period += timedelta(minutes=5)
    await async_wait_recording_done(hass)


async def test_long_term_statistics_sum_every_unlock_across_midnight(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    next_poll: Poll,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)

    async def at(when: datetime) -> None:
        freezer.move_to(when)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    # Tomorrow, so time only moves forward for the recorder.
    today = dt_util.start_of_local_day(dt_util.now().date() + timedelta(days=1))
    tomorrow = today + timedelta(days=1)
    freezer.move_to(local(today, 23, 0))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    # Two unlocks before midnight...
    await at(local(today, 23, 20))
    sim.create_unlock("dev_1", "usr_1")
    sim.create_unlock("dev_1", "usr_2")
    await next_poll()
    assert hass.states.get(FRONT_TODAY).state == "2"
    # ...midnight...
    await at(tomorrow)
    assert hass.states.get(FRONT_TODAY).state == "0"
    # ...yesterday's unlock uploaded late, and three today.
    await at(tomorrow + timedelta(minutes=10))
    sim.create_unlock("dev_1", "usr_1", timestamp=tomorrow - timedelta(minutes=30))
    await next_poll()
    assert hass.states.get(FRONT_TODAY).state == "0"
    for minutes in (25, 40, 50):
        await at(tomorrow + timedelta(minutes=minutes))
        sim.create_unlock("dev_1", "usr_1")
        await next_poll()
    assert hass.states.get(FRONT_TODAY).state == "3"
    await at(tomorrow + timedelta(hours=1, minutes=10))
    await async_wait_recording_done(hass)

    await compile_statistics(hass, local(today, 23, 0), tomorrow + timedelta(hours=1))

    def read(period: str) -> list[dict[str, Any]]:
        return statistics_during_period(
            hass,
            local(today, 23, 0),
            tomorrow + timedelta(hours=1),
            {FRONT_TODAY, BACK_TODAY},
            period,  # type: ignore[arg-type]
            None,
            {"state", "sum", "last_reset"},
        ).get(FRONT_TODAY, [])

    hours = await get_instance(hass).async_add_executor_job(read, "hour")
    assert [(row["start"], row["state"], row["sum"]) for row in hours] == [
        (local(today, 23).timestamp(), 2, 2),  # the hour before midnight
        (tomorrow.timestamp(), 3, 5),  # reset at midnight, the sum goes on
    ]
    assert hours[0]["last_reset"] == today.timestamp()
    assert hours[1]["last_reset"] == tomorrow.timestamp()
    five_minutes = await get_instance(hass).async_add_executor_job(read, "5minute")
    assert five_minutes[-1]["sum"] == 5
    # The back door never opened: a flat line at zero, no gaps.
    back = await get_instance(hass).async_add_executor_job(
        lambda: statistics_during_period(
            hass, local(today, 23), tomorrow + timedelta(hours=1), {BACK_TODAY}
        )
    )
    assert [row["sum"] for row in back[BACK_TODAY]] == [0, 0]
    # The sensor's recorder accepted the entity without complaint.
    assert not [
        record
        for record in caplog.records
        if "homeassistant.components.sensor" in record.name
        or "unlocks_today" in record.getMessage()
    ]
