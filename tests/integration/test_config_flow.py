"""Config, reauth, reconfigure and options flows, through the flow manager."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.components import cloud
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import translation
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.parakey.const import (
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_MAX_EVENT_AGE,
    CONF_POLL_INTERVAL,
    CONF_WEBHOOK_ENABLED,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    DOMAIN,
)
from custom_components.parakey.webhook_url import authorization_value
from simulator import ParakeySimulator, SimulatorServer
from tests.conftest import TOKEN

from .helpers import add_entry


def user_input(server: SimulatorServer, token: str = TOKEN) -> dict[str, object]:
    return {CONF_ACCESS_TOKEN: token, CONF_ADVANCED: {CONF_BASE_URL: server.base_url}}


async def start_user_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result["flow_id"]


async def test_user_flow_creates_entry_for_the_place(
    hass: HomeAssistant, server: SimulatorServer
) -> None:
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**user_input(server), CONF_ACCESS_TOKEN: f"  {TOKEN}  "}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["data"] == {CONF_ACCESS_TOKEN: TOKEN, CONF_BASE_URL: server.base_url}
    assert result["result"].unique_id == "dom_1"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("unauthorized", "invalid_auth"),
        ("forbidden", "invalid_auth"),
        ("server_error", "cannot_connect"),
        ("malformed", "cannot_connect"),
    ],
)
async def test_user_flow_error_then_recovery(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    server: SimulatorServer,
    fault: str,
    error: str,
) -> None:
    flow_id = await start_user_flow(hass)
    sim.inject_fault(fault)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(server))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(flow_id, user_input(server))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unexpected_error_then_recovery(
    hass: HomeAssistant, server: SimulatorServer
) -> None:
    flow_id = await start_user_flow(hass)
    with patch(
        "custom_components.parakey.config_flow.ParakeyClient.list_places",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, user_input(server)
        )
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(server))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_cannot_connect(hass: HomeAssistant) -> None:
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_ACCESS_TOKEN: TOKEN,
            CONF_ADVANCED: {CONF_BASE_URL: "http://127.0.0.1:9"},
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}
    # The section with the address just typed stays open, and keeps it.
    advanced = result["data_schema"].schema[CONF_ADVANCED]
    assert advanced.options["collapsed"] is False
    (field,) = advanced.schema.schema
    assert field.description["suggested_value"] == "http://127.0.0.1:9"


async def test_advanced_section_starts_folded(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["data_schema"].schema[CONF_ADVANCED].options["collapsed"] is True


async def test_same_place_cannot_be_added_twice(
    hass: HomeAssistant, server: SimulatorServer, entry: MockConfigEntry
) -> None:
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(server))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_place_from_newest_log_without_domains_endpoint(
    hass: HomeAssistant, sim: ParakeySimulator, server: SimulatorServer
) -> None:
    sim.devices_endpoint = False
    sim.create_unlock()
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(server))
    await hass.async_block_till_done()
    assert result["result"].unique_id == "dom_1"
    assert result["title"] == "Home"


async def test_place_unknown_yet_uses_token_id_then_upgrades(
    hass: HomeAssistant, sim: ParakeySimulator, server: SimulatorServer, next_poll
) -> None:
    sim.devices_endpoint = False
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(server))
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.unique_id.startswith("token-")
    assert TOKEN not in entry.unique_id
    assert entry.title == "Parakey"

    sim.create_unlock()
    await next_poll()

    assert entry.unique_id == "dom_1"
    assert entry.title == "Home"


async def test_reauth_with_new_token(
    hass: HomeAssistant, sim: ParakeySimulator, entry: MockConfigEntry
) -> None:
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: TOKEN}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_ACCESS_TOKEN] == TOKEN


async def test_reauth_token_of_another_place_aborts(
    hass: HomeAssistant, server: SimulatorServer
) -> None:
    other = add_entry(hass, server.base_url, token="old", unique_id="dom_other")
    result = await other.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_place"
    assert other.data[CONF_ACCESS_TOKEN] == "old"


async def test_reauth_of_token_entry_learns_place(
    hass: HomeAssistant, server: SimulatorServer
) -> None:
    pending = add_entry(
        hass, server.base_url, token="old", unique_id="token-abc", title="Parakey"
    )
    result = await pending.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: TOKEN}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert pending.unique_id == "dom_1"
    assert pending.title == "Home"


async def test_reauth_of_token_entry_keeps_token_id(
    hass: HomeAssistant, sim: ParakeySimulator, server: SimulatorServer
) -> None:
    sim.devices_endpoint = False
    pending = add_entry(
        hass, server.base_url, token="old", unique_id="token-abc", title="Parakey"
    )
    result = await pending.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: TOKEN}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert pending.unique_id == "token-abc"


async def test_reauth_of_token_entry_for_place_already_added(
    hass: HomeAssistant, server: SimulatorServer, entry: MockConfigEntry
) -> None:
    pending = add_entry(hass, server.base_url, token="old", unique_id="token-abc")
    result = await pending.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: TOKEN}
    )
    assert result["reason"] == "already_configured"


async def test_reconfigure_changes_token_and_url(
    hass: HomeAssistant, sim: ParakeySimulator, server: SimulatorServer
) -> None:
    entry = add_entry(
        hass, "http://127.0.0.1:9", token="old", unique_id="dom_1", title="Home"
    )
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ACCESS_TOKEN: "old",
            CONF_ADVANCED: {CONF_BASE_URL: "http://127.0.0.1:9"},
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(server)
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_ACCESS_TOKEN: TOKEN, CONF_BASE_URL: server.base_url}


async def test_options_apply_without_restart(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    result = await open_settings(hass, loaded)
    assert result["step_id"] == "settings"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_POLL_INTERVAL: 120, CONF_MAX_EVENT_AGE: 0, CONF_WEBHOOK_ENABLED: False},
    )
    await hass.async_block_till_done()
    # Saved at once; the menu comes back, now with Done.
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "saved"
    assert result["menu_options"] == ["settings", "people", "done"]
    assert loaded.options == {
        CONF_POLL_INTERVAL: 120,
        CONF_MAX_EVENT_AGE: 0,
        CONF_WEBHOOK_ENABLED: False,
    }
    coordinator = loaded.runtime_data.coordinator
    assert coordinator.update_interval.total_seconds() == 120
    assert loaded.runtime_data.delivery.max_event_age is None


async def open_settings(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["settings", "people"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )


async def open_webhook_step(
    hass: HomeAssistant, entry: MockConfigEntry, *, regenerate: bool = False
) -> dict[str, Any]:
    result = await open_settings(hass, entry)
    assert "regenerate_credentials" not in result["data_schema"].schema
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_POLL_INTERVAL: 60, CONF_MAX_EVENT_AGE: 10, CONF_WEBHOOK_ENABLED: True},
    )
    assert result["step_id"] == "webhook"
    if regenerate:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"regenerate_credentials": True}
        )
        assert result["step_id"] == "webhook"
    return dict(result)


async def finish(hass: HomeAssistant, flow_id: str) -> None:
    """Submit the page (it is saved, the menu comes back), then Done."""
    result = await hass.config_entries.options.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "saved"
    result = await hass.config_entries.options.async_configure(
        flow_id, {"next_step_id": "done"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_options_enable_webhook_shows_url_and_header(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await hass.config.async_update(external_url="https://ha.example.org")
    shown = await open_webhook_step(hass, loaded)
    placeholders = shown["description_placeholders"]
    assert CONF_WEBHOOK_ID not in loaded.data  # nothing saved before the user finishes
    await finish(hass, shown["flow_id"])

    webhook_id = loaded.data[CONF_WEBHOOK_ID]
    assert placeholders["url"] == f"https://ha.example.org/api/webhook/{webhook_id}"
    assert placeholders["header_value"] == authorization_value(
        loaded.data[CONF_WEBHOOK_USERNAME], loaded.data[CONF_WEBHOOK_PASSWORD]
    )
    assert shown["errors"] is None
    assert loaded.options[CONF_WEBHOOK_ENABLED] is True
    assert loaded.runtime_data.webhook.enabled
    first_password = loaded.data[CONF_WEBHOOK_PASSWORD]

    # Opening the options again keeps the credentials unless asked for new ones.
    shown = await open_webhook_step(hass, loaded)
    assert shown["description_placeholders"] == placeholders
    await finish(hass, shown["flow_id"])
    assert loaded.data[CONF_WEBHOOK_PASSWORD] == first_password

    # New credentials abandoned half-way change nothing...
    shown = await open_webhook_step(hass, loaded, regenerate=True)
    assert (
        shown["description_placeholders"]["header_value"]
        != placeholders["header_value"]
    )
    hass.config_entries.options.async_abort(shown["flow_id"])
    assert loaded.data[CONF_WEBHOOK_PASSWORD] == first_password
    # ...and are saved when the user finishes.
    shown = await open_webhook_step(hass, loaded, regenerate=True)
    await finish(hass, shown["flow_id"])
    assert loaded.data[CONF_WEBHOOK_PASSWORD] != first_password
    assert loaded.data[CONF_WEBHOOK_ID] == webhook_id


async def test_options_webhook_without_external_url(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await hass.config.async_update(internal_url="http://192.168.1.20:8123")
    shown = await open_webhook_step(hass, loaded)
    # Something to act on: the internal URL, with the problem as a translated error.
    assert shown["description_placeholders"]["url"].startswith(
        "http://192.168.1.20:8123/api/webhook/"
    )
    assert shown["errors"] == {"base": "url_no_url"}
    await finish(hass, shown["flow_id"])


async def test_abandoned_options_flow_leaves_no_cloudhook_behind(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    hass.config.components.add("cloud")

    async def get_or_create(_: HomeAssistant, webhook_id: str) -> str:
        return f"https://hooks.nabu.casa/{webhook_id}"

    with (
        patch.object(cloud, "async_active_subscription", return_value=True),
        patch.object(cloud, "async_get_or_create_cloudhook", side_effect=get_or_create),
        patch.object(cloud, "async_delete_cloudhook") as delete,
    ):
        abandoned = await open_webhook_step(hass, loaded)
        abandoned_url = abandoned["description_placeholders"]["url"]
        entry_before = dict(loaded.data)
        hass.config_entries.options.async_abort(abandoned["flow_id"])
        await hass.async_block_till_done()
        # Showing the form changed nothing; closing it deleted its hook.
        assert dict(loaded.data) == entry_before
        abandoned_id = abandoned_url.rsplit("/", 1)[1]
        delete.assert_called_once_with(hass, abandoned_id)

        shown = await open_webhook_step(hass, loaded)
        await finish(hass, shown["flow_id"])
        assert delete.call_count == 1  # the finished flow's hook stays
        webhook_id = loaded.data[CONF_WEBHOOK_ID]
        assert webhook_id != abandoned_id
        assert shown["description_placeholders"]["url"] == (
            f"https://hooks.nabu.casa/{webhook_id}"
        )
        # Opening the options again shows the same, saved id's hook.
        again = await open_webhook_step(hass, loaded)
        assert (
            again["description_placeholders"]["url"]
            == (shown["description_placeholders"]["url"])
        )
        hass.config_entries.options.async_abort(again["flow_id"])
        await hass.async_block_till_done()
        assert delete.call_count == 1  # that id is saved: its hook is kept


@pytest.mark.parametrize("language", ["sv", "nb"])
async def test_translated_options_forms_hold_no_english(
    hass: HomeAssistant, loaded: MockConfigEntry, language: str
) -> None:
    english = await translation.async_get_translations(hass, "en", "options", {DOMAIN})
    translated = await translation.async_get_translations(
        hass, language, "options", {DOMAIN}
    )
    prefix = f"component.{DOMAIN}.options"
    assert set(translated) == set(english)
    # Every URL problem the form can show, as a Swedish or Norwegian user sees it.
    shown = await open_webhook_step(hass, loaded)
    assert shown["errors"] == {"base": "url_no_url"}
    await hass.config.async_update(external_url="http://ha.example.org")
    again = await open_webhook_step(hass, loaded)
    assert again["errors"] == {"base": "url_not_https"}
    rendered = "\n".join(
        [
            translated[f"{prefix}.step.webhook.description"].format(
                **shown["description_placeholders"]
            ),
            translated[f"{prefix}.error.url_no_url"],
            translated[f"{prefix}.error.url_not_https"],
            *(v for k, v in translated.items() if ".step.settings." in k),
        ]
    )
    english_sentences = {
        sentence.strip()
        for text in english.values()
        for sentence in text.replace("\n", ". ").split(". ")
        if len(sentence.split()) >= 3
    }
    leaks = [s for s in english_sentences if s in rendered]
    assert leaks == []
    # The placeholders themselves carry no sentence, only a URL and a header.
    for value in shown["description_placeholders"].values():
        assert len(value.split()) <= 2
