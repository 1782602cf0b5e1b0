"""Diagnostics download: what support needs, without secrets or personal data."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import CONF_CLOUDHOOK_URL, CONF_WEBHOOK_PASSWORD, CONF_WEBHOOK_USERNAME
from .data import ParakeyConfigEntry

TO_REDACT = {
    CONF_ACCESS_TOKEN,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_USERNAME,
    CONF_WEBHOOK_PASSWORD,
    CONF_CLOUDHOOK_URL,
    "user_name",
    "user_email",
    "etag",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ParakeyConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    state = coordinator.poller.state.as_dict()
    seen = state.pop("seen")
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "coordinator": {
                "last_update_success": coordinator.last_update_success,
                "update_interval": str(coordinator.update_interval),
                "webhook_enabled": entry.runtime_data.webhook is not None,
                "requests": coordinator.client.request_count,
            },
            "poller": {**state, "seen_count": len(seen)},
            "doors": [door.as_dict() for door in coordinator.doors.doors.values()],
            "recent_unlocks": [
                {
                    **unlock.log.as_dict(),
                    "source": unlock.source,
                    "delayed": unlock.delayed,
                }
                for unlock in coordinator.delivery.recent
            ],
        },
        TO_REDACT,
    )
