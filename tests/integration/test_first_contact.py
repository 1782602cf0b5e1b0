"""First contact with a real place: other shapes of a log, and ones that cannot be read.

Every field but id, createdAt and timestamp is a guess (parakey-api.md), so
the namings Parakey has used are read, and anything else is said once, in a
repair issue, with the shape (never the values) in the diagnostics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
import json
from typing import Any

from aiohttp import web
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.parakey.api import format_datetime
from custom_components.parakey.const import DOMAIN
from custom_components.parakey.diagnostics import async_get_config_entry_diagnostics
from simulator import ParakeySimulator, SimulatorServer

from .helpers import WEBHOOK_AUTH, WEBHOOK_ID, add_entry

Poll = Callable[..., Awaitable[None]]


def stamp(body: dict[str, Any]) -> dict[str, Any]:
    now = format_datetime(dt_util.utcnow())
    return {"createdAt": now, "timestamp": now, **body}


SHAPES = {
    "device object": {
        "id": "evl_a",
        "device": {"id": "dev_1"},
        "user": {"id": "usr_1"},
    },
    "older API: eventConfiguration": {
        "id": "evl_b",
        "eventConfiguration": {"id": "dev_1", "name": "Front door"},
        "member": {"id": "usr_2", "name": "Bob Berg"},
    },
    "bare ids": {"id": "evl_c", "deviceId": "dev_2", "userId": "usr_1"},
    "API 1.0: numbers, configuration and member ids": {
        "id": 4,
        "eventConfigurationId": "dev_2",
        "memberId": 17,
        "domainId": "dom_1",
    },
    "a data envelope": {"data": {"id": "evl_e", "device": "dev_1", "user": None}},
}


async def push(client: Any, body: dict[str, Any]) -> None:
    response = await client.post(
        f"/api/webhook/{WEBHOOK_ID}",
        data=json.dumps(body),
        headers={"Authorization": WEBHOOK_AUTH},
    )
    assert response.status == HTTPStatus.OK


@pytest.mark.parametrize("name", list(SHAPES))
async def test_the_namings_parakey_has_used_are_read(
    hass: HomeAssistant,
    webhook_entry: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
    name: str,
) -> None:
    assert await hass.config_entries.async_setup(webhook_entry.entry_id)
    await hass.async_block_till_done()
    body = SHAPES[name]
    body = {"data": stamp(body["data"])} if "data" in body else stamp(body)
    await push(await hass_client_no_auth(), body)
    await hass.async_block_till_done()

    (event,) = unlocks
    assert event.data["door_id"] in ("dev_1", "dev_2")
    assert event.data["entity_id"] is not None  # reached the door's entity
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]


async def test_an_unreadable_log_is_said_once_with_its_shape(
    hass: HomeAssistant,
    webhook_entry: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    assert await hass.config_entries.async_setup(webhook_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    for n in range(3):  # a future API names the lock and the person otherwise
        await push(
            client,
            stamp(
                {
                    "id": f"evl_x{n}",
                    "lock": {"uid": "L-7", "label": "Front door"},
                    "holder": {"uid": "P-3", "fullName": "Alice Andersson"},
                }
            ),
        )
    await hass.async_block_till_done()

    # Still delivered: an unlock with fewer details, never none.
    assert len(unlocks) == 3
    assert unlocks[0].data["door_id"] is None
    issue = issue_registry.async_get_issue(
        DOMAIN, f"unreadable_logs_{webhook_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["missing"] == "door, user"
    assert issue.translation_placeholders["issue_tracker"].startswith("https://")
    assert issue.learn_more_url.endswith("#troubleshooting")

    diagnostics = await async_get_config_entry_diagnostics(hass, webhook_entry)
    contact = diagnostics["first_contact"]
    assert contact["unreadable_logs"] == 3
    assert contact["missing"] == ["door", "user"]
    assert contact["last_unreadable_log_shape"] == {
        "createdAt": "str",
        "timestamp": "str",
        "id": "str",
        "lock": {"uid": "str", "label": "str"},
        "holder": {"uid": "str", "fullName": "str"},
    }
    text = json.dumps(diagnostics)
    for value in ("L-7", "P-3", "Alice Andersson", "Front door"):
        assert value not in text


async def test_locks_without_a_readable_id_are_said_too(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    server: SimulatorServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    def renamed(request: web.Request) -> None:
        if request.path == "/devices":
            raise web.HTTPOk(
                text=json.dumps([{"uid": "L-1", "label": "Front door"}]),
                content_type="application/json",
            )

    sim.add_request_hook(renamed)
    entry = add_entry(hass, server.base_url)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    issue = issue_registry.async_get_issue(DOMAIN, f"unreadable_doors_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["missing"] == "id"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["first_contact"]["unreadable_door_shape"] == {
        "uid": "str",
        "label": "str",
    }
    assert "L-1" not in json.dumps(diagnostics)
