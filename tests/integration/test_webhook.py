"""The webhook, through Home Assistant's real webhook URL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from http import HTTPStatus
import json
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation, cloud
from homeassistant.components.webhook import async_generate_path
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_STATE_CHANGED
from homeassistant.core import CoreState, Event, HomeAssistant, ServiceCall
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.parakey.const import (
    CONF_CLOUDHOOK_URL,
    CONF_MAX_EVENT_AGE,
    CONF_POLL_INTERVAL,
    CONF_WEBHOOK_ENABLED,
    DOMAIN,
)
from custom_components.parakey.webhook_url import (
    async_delete_cloudhook,
    async_resolve_url,
)
from simulator import ParakeySimulator, SimulatorServer

from .conftest import EVENT_KEYS
from .helpers import (
    WEBHOOK_AUTH,
    WEBHOOK_ID,
    WEBHOOK_PASSWORD,
    WEBHOOK_USERNAME,
    add_entry,
)

Poll = Callable[..., Awaitable[None]]
USERNAME, PASSWORD, AUTH = WEBHOOK_USERNAME, WEBHOOK_PASSWORD, WEBHOOK_AUTH
PATH = async_generate_path(WEBHOOK_ID)
DOCS = "https://github.com/parakey-ha/parakey-ha"  # manifest.json: documentation


@pytest.fixture
def entry(webhook_entry: MockConfigEntry) -> MockConfigEntry:
    return webhook_entry


async def post(
    hass_client_no_auth: ClientSessionGenerator,
    body: bytes | str | object,
    *,
    auth: str | None = AUTH,
    method: str = "POST",
) -> int:
    client = await hass_client_no_auth()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Parakey-WebhookWorker/1.0",
    }
    if auth is not None:
        headers["Authorization"] = auth
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    resp = await client.request(method, PATH, data=data, headers=headers)
    return resp.status


async def test_valid_push_fires_once_and_poll_does_not_repeat_it(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    next_poll: Poll,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    log = sim.create_unlock("dev_1", "usr_1")

    assert await post(hass_client_no_auth, log) == HTTPStatus.OK
    await hass.async_block_till_done()

    (event,) = unlocks
    assert set(event.data) == EVENT_KEYS
    assert event.data["source"] == "webhook"
    assert event.data["event_id"] == log["id"]
    assert event.data["entity_id"] == "event.front_door_unlock"
    assert hass.states.get("event.front_door_unlock").attributes["source"] == "webhook"
    assert hass.states.get("sensor.front_door_unlocks_today").state == "1"
    assert loaded.runtime_data.monitor.last_call is not None

    # Parakey retries, then the poll finds the same log: still one event.
    assert await post(hass_client_no_auth, log) == HTTPStatus.OK
    await next_poll()
    assert len(unlocks) == 1


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Basic d3Jvbmc6d3Jvbmc=",
        AUTH[:-2] + ("A" if AUTH[-2] != "A" else "B") + AUTH[-1],
        "Bearer " + PASSWORD,
        "",
    ],
    ids=["missing", "wrong", "one-character-off", "other-scheme", "empty"],
)
async def test_bad_credentials_are_refused_without_leaking(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    auth: str | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    log = sim.create_unlock()
    assert await post(hass_client_no_auth, log, auth=auth) == HTTPStatus.UNAUTHORIZED
    await hass.async_block_till_done()
    assert unlocks == []
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.parakey")
    )
    assert "Refused a Parakey webhook call" in ours
    for secret in (PASSWORD, AUTH.split()[1], WEBHOOK_ID, USERNAME):
        assert secret not in ours
    if auth:
        assert auth not in caplog.text


async def test_refusal_warning_is_rate_limited(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for _ in range(3):
        assert await post(hass_client_no_auth, {}, auth=None) == HTTPStatus.UNAUTHORIZED
    warnings = [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and "Refused" in record.getMessage()
    ]
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", HTTPStatus.OK),
        (b"{not json", HTTPStatus.OK),
        (b"\xff\xfe", HTTPStatus.OK),
        ([{"id": "evl_1"}], HTTPStatus.OK),
        ({"createdAt": "2026-03-14T08:02:11.512Z"}, HTTPStatus.OK),
        ({"id": "evl_1", "createdAt": "not a date"}, HTTPStatus.OK),
        (b"x" * (1024 * 1024), HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    ],
    ids=["empty", "invalid-json", "not-utf8", "list", "no-id", "bad-date", "1-MiB"],
)
async def test_unusable_bodies(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    body: object,
    status: HTTPStatus,
) -> None:
    assert await post(hass_client_no_auth, body) == status
    await hass.async_block_till_done()
    assert unlocks == []
    assert "Traceback" not in caplog.text
    assert "Error processing webhook" not in caplog.text


async def test_get_is_not_allowed(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    assert (
        await post(hass_client_no_auth, b"", method="GET")
        == HTTPStatus.METHOD_NOT_ALLOWED
    )
    assert unlocks == []


async def test_switching_the_option_off_unregisters_without_a_reload(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    assert await post(hass_client_no_auth, sim.create_unlock()) == HTTPStatus.OK
    assert len(unlocks) == 1
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    flow = await hass.config_entries.options.async_init(loaded.entry_id)
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"next_step_id": "settings"}
    )
    await hass.config_entries.options.async_configure(
        flow["flow_id"],
        {CONF_POLL_INTERVAL: 60, CONF_MAX_EVENT_AGE: 10, CONF_WEBHOOK_ENABLED: False},
    )
    await hass.async_block_till_done()

    assert not loaded.runtime_data.webhook.enabled
    # Home Assistant answers 200 for an unknown webhook id, so as not to reveal it.
    assert await post(hass_client_no_auth, sim.create_unlock()) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(unlocks) == 1
    assert changes == []  # nothing went unavailable and came back


async def test_unload_unregisters(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert await post(hass_client_no_auth, sim.create_unlock()) == HTTPStatus.OK
    assert unlocks == []


async def test_not_https_issue_appears_and_clears(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    issue_id = f"webhook_not_https_{loaded.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await hass.config.async_update(external_url="http://ha.example.org:8123")
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert (
        issue.learn_more_url == f"{DOCS}#webhook-optional-for-unlocks-within-a-second"
    )
    await hass.config.async_update(external_url="https://ha.example.org")
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_no_url_issue(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    await hass.config.async_update(external_url=None)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, f"webhook_no_url_{entry.entry_id}")
    assert issue is not None
    assert (
        issue.learn_more_url == f"{DOCS}#webhook-optional-for-unlocks-within-a-second"
    )
    # Turning the webhook off clears every webhook issue.
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_WEBHOOK_ENABLED: False}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]


async def test_not_delivering_issue_appears_and_clears(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    issue_registry: ir.IssueRegistry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    issue_id = f"webhook_not_delivering_{loaded.entry_id}"
    for _ in range(3):
        sim.create_unlock()
        await next_poll(200)  # found by poll, 3 minutes old: the push never came
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["missing"] == "3"
    assert issue.learn_more_url == f"{DOCS}#troubleshooting"

    assert await post(hass_client_no_auth, sim.create_unlock()) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_unlocks_while_home_assistant_was_down_are_not_missed_pushes(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    unlocks: list[Event],
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert await hass.config_entries.async_unload(loaded.entry_id)
    for _ in range(5):  # Parakey could push none of these: nobody listened
        freezer.tick(timedelta(minutes=10))
        sim.create_unlock()
    freezer.tick(timedelta(minutes=1))
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await next_poll()
    assert len(unlocks) == 5
    assert loaded.runtime_data.monitor._missed == 0
    assert not issue_registry.async_get_issue(
        DOMAIN, f"webhook_not_delivering_{loaded.entry_id}"
    )


async def test_a_polled_log_is_missed_only_when_its_push_never_comes(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    next_poll: Poll,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    monitor = loaded.runtime_data.monitor
    coordinator = loaded.runtime_data.coordinator
    late = sim.create_unlock()
    # The next poll finds it a minute old: its push could still be on its way...
    await next_poll(61)
    assert monitor._missed == 0
    # ...and it comes: the webhook works, polling may slow down.
    assert await post(hass_client_no_auth, late) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert monitor.trusted
    assert coordinator.update_interval == timedelta(minutes=5)

    sim.create_unlock()  # a push that never comes
    await coordinator.async_refresh()  # a poll finds it at once
    assert monitor.trusted  # within its grace: not missed yet
    await next_poll(121)  # the grace is over, and no push came
    assert monitor._missed == 1
    # Trust is gone at once: polling is back on the configured interval.
    assert not monitor.trusted
    assert coordinator.update_interval == timedelta(seconds=60)
    assert [event.data["source"] for event in unlocks] == ["poll", "poll"]


async def test_a_url_parakey_cannot_reach_brings_polling_back_at_once(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    monitor = loaded.runtime_data.monitor
    coordinator = loaded.runtime_data.coordinator
    assert await post(hass_client_no_auth, sim.create_unlock()) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert coordinator.update_interval == timedelta(minutes=5)
    # The external URL loses its HTTPS: no push can come any more.
    await hass.config.async_update(external_url="http://ha.example.org")
    await hass.async_block_till_done()
    assert not monitor.trusted
    assert coordinator.update_interval == timedelta(seconds=60)
    # Back to HTTPS: trusted again only once a push arrives.
    await hass.config.async_update(external_url="https://ha.example.org")
    await hass.async_block_till_done()
    assert not monitor.trusted
    assert await post(hass_client_no_auth, sim.create_unlock()) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert monitor.trusted


async def test_simulator_delivers_with_retries(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    loaded: MockConfigEntry,
    unlocks: list[Event],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    client = await hass_client_no_auth()
    url = str(client.make_url(PATH))
    # A wrong header: every attempt is refused, Parakey-style retries included.
    sim.configure_webhook(url, {"Authorization": "Basic bm9wZTpub3Bl"})
    log = sim.create_unlock()
    await sim.wait_deliveries_idle()
    assert [d["status"] for d in sim.deliveries] == [401] * 6
    assert unlocks == []
    sim.configure_webhook(url, {"Authorization": AUTH})
    log = sim.create_unlock("dev_2", "usr_2")
    await sim.wait_deliveries_idle()
    await hass.async_block_till_done()
    assert [event.data["event_id"] for event in unlocks] == [log["id"]]
    assert unlocks[0].data["source"] == "webhook"
    assert [d["status"] for d in sim.deliveries[6:]] == [200]


async def test_cloudhook_is_used_and_deleted(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    hass.config.components.add("cloud")
    with (
        patch.object(cloud, "async_active_subscription", return_value=True),
        patch.object(
            cloud,
            "async_get_or_create_cloudhook",
            return_value="https://hooks.nabu.casa/abc",
        ) as create,
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    create.assert_called_once_with(hass, WEBHOOK_ID)
    # The URL is looked up from the id each time, never stored.
    assert CONF_CLOUDHOOK_URL not in entry.data
    assert not [i for i in ir.async_get(hass).issues.values() if i.domain == DOMAIN]

    with patch.object(cloud, "async_delete_cloudhook") as delete:
        assert await hass.config_entries.async_remove(entry.entry_id)
    delete.assert_called_once_with(hass, WEBHOOK_ID)


async def test_cloudhook_delete_tolerates_cloud_trouble(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    hass.config.components.add("cloud")
    with patch.object(cloud, "async_active_subscription", return_value=False):
        assert await hass.config_entries.async_setup(entry.entry_id)
    for error in (cloud.CloudNotAvailable(), ValueError("no hook")):
        with patch.object(cloud, "async_delete_cloudhook", side_effect=error):
            await async_delete_cloudhook(hass, WEBHOOK_ID)
    with patch.object(cloud, "async_delete_cloudhook", side_effect=ValueError):
        assert await hass.config_entries.async_remove(entry.entry_id)


async def test_cloud_not_connected_falls_back_to_external_url(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    hass.config.components.add("cloud")
    with (
        patch.object(cloud, "async_active_subscription", return_value=True),
        patch.object(
            cloud,
            "async_get_or_create_cloudhook",
            side_effect=cloud.CloudNotConnected,
        ),
    ):
        resolved = await async_resolve_url(hass, WEBHOOK_ID)
    assert resolved.url == f"https://ha.example.org{PATH}"
    assert not resolved.cloudhook


async def test_entry_from_1_1_drops_its_stored_cloudhook_url(
    hass: HomeAssistant, server: SimulatorServer
) -> None:
    entry = add_entry(hass, server.base_url)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_CLOUDHOOK_URL: "https://stale"}, minor_version=1
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert CONF_CLOUDHOOK_URL not in entry.data
    assert entry.minor_version == 3


async def test_entry_from_a_newer_version_is_refused(
    hass: HomeAssistant, server: SimulatorServer
) -> None:
    entry = add_entry(hass, server.base_url)
    hass.config_entries.async_update_entry(entry, version=2)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_push_before_home_assistant_started_reaches_automations_once(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    # A restart: the position is stored, then Home Assistant starts again.
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    # While Home Assistant starts, automations wait for "started" before they
    # attach their triggers, but the webhook already answers (Parakey retries
    # the unlocks it could not deliver during the downtime).
    hass.set_state(CoreState.not_running)
    calls: list[ServiceCall] = async_mock_service(hass, "test", "unlocked")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": {"trigger": "event", "event_type": "parakey_unlock"},
                "actions": {
                    "action": "test.unlocked",
                    "data": {"event_id": "{{ trigger.event.data.event_id }}"},
                },
            }
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    log = sim.create_unlock("dev_1", "usr_1")
    assert await post(hass_client_no_auth, log) == HTTPStatus.OK
    await hass.async_block_till_done()

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert [call.data["event_id"] for call in calls] == [log["id"]]


async def test_no_url_issue_is_fixed_from_the_issue(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    await hass.config.async_update(external_url=None)
    assert await async_setup_component(hass, "repairs", {})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"webhook_no_url_{entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id).is_fixable
    client = await hass_client()

    resp = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await resp.json()
    # First what is wrong and why, with the Learn-more link; no field yet.
    assert flow["step_id"] == "confirm"
    assert flow["data_schema"] == []
    assert flow["description_placeholders"] == {
        "title": "Home",
        "learn_more": f"{DOCS}#webhook-optional-for-unlocks-within-a-second",
    }
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    form = await resp.json()
    assert form["step_id"] == "external_url"
    # It says what the address is now, since it changes Home Assistant's own.
    assert form["description_placeholders"] == {"current": "-"}
    resp = await client.post(
        f"/api/repairs/issues/fix/{flow['flow_id']}",
        json={"external_url": "http://ha.example.org"},
    )
    shown = await resp.json()
    assert shown["errors"] == {"base": "not_https"}
    resp = await client.post(
        f"/api/repairs/issues/fix/{flow['flow_id']}",
        json={"external_url": "https://ha.example.org/"},
    )
    assert (await resp.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert hass.config.external_url == "https://ha.example.org"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
