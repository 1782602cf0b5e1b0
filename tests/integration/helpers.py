"""Config entries the tests, the fault-injection suite and the benchmark share."""

from __future__ import annotations

from typing import Any

from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.parakey.const import (
    CONF_BASE_URL,
    CONF_MAX_EVENT_AGE,
    CONF_POLL_INTERVAL,
    CONF_WEBHOOK_ENABLED,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    DOMAIN,
)
from custom_components.parakey.webhook_url import authorization_value
from tests.conftest import TOKEN

WEBHOOK_ID = "0123456789abcdef" * 4
WEBHOOK_USERNAME = "ha-test"
WEBHOOK_PASSWORD = "s3cret-Passw0rd"
WEBHOOK_AUTH = authorization_value(WEBHOOK_USERNAME, WEBHOOK_PASSWORD)


def add_entry(
    hass: HomeAssistant,
    base_url: str,
    *,
    token: str = TOKEN,
    unique_id: str = "dom_1",
    title: str = "Home",
    webhook: bool = False,
    entry_id: str | None = None,
    minor_version: int = 3,
    **options: Any,
) -> MockConfigEntry:
    """Add (not set up) a Parakey entry; ``webhook`` gives it credentials."""
    data: dict[str, Any] = {CONF_ACCESS_TOKEN: token, CONF_BASE_URL: base_url}
    if webhook:
        data |= {
            CONF_WEBHOOK_ID: WEBHOOK_ID,
            CONF_WEBHOOK_USERNAME: WEBHOOK_USERNAME,
            CONF_WEBHOOK_PASSWORD: WEBHOOK_PASSWORD,
        }
    entry = MockConfigEntry(
        domain=DOMAIN,
        minor_version=minor_version,
        entry_id=entry_id,
        title=title,
        unique_id=unique_id,
        data=data,
        options={
            CONF_POLL_INTERVAL: 60,
            CONF_MAX_EVENT_AGE: 10,
            CONF_WEBHOOK_ENABLED: webhook,
        }
        | options,
    )
    entry.add_to_hass(hass)
    return entry


def door_device(
    hass: HomeAssistant, entry: MockConfigEntry, door_id: str
) -> dr.DeviceEntry | None:
    """The device of a door (None when there is none), found the way 2026.x allows."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return next((d for d in devices if (DOMAIN, door_id) in d.identifiers), None)
