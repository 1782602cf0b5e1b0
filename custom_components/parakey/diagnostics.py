"""Diagnostics download: what support needs, without secrets or personal data.

Diagnostics get pasted into public bug reports, so everything that names
somebody or something is redacted: the token and webhook secrets, user names
and e-mails, the persons users are linked to, key (access) names, and the
names of the place and its doors. Ids stay: they are what support reads.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_PEOPLE,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
)
from .data import ParakeyConfigEntry

TO_REDACT = {
    CONF_ACCESS_TOKEN,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_USERNAME,
    CONF_WEBHOOK_PASSWORD,
    CONF_CLOUDHOOK_URL,
    "etag",
    "title",
    "name",
    "user_name",
    "user_email",
    "access_name",
    "door_name",
    "place_name",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ParakeyConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    options = dict(entry.options)
    if CONF_PEOPLE in options:
        # Which Parakey users are linked is useful; to whom is personal.
        options[CONF_PEOPLE] = dict.fromkeys(options[CONF_PEOPLE], REDACTED)
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": options,
            },
            "coordinator": {
                "last_update_success": coordinator.last_update_success,
                "update_interval": str(coordinator.update_interval),
                "can_deliver": coordinator.can_deliver,
                "webhook_enabled": runtime.webhook.enabled,
                "requests": runtime.client.request_count,
            },
            "poller": coordinator.poll_state.as_dict(),
            "seen_count": len(runtime.delivery.seen),
            "known_users": len(runtime.people.users),
            "keys": {
                "last_update_success": runtime.keys.last_update_success,
                "held": len(runtime.keys.data.keys),
                "time_limited": sum(k.time_limited for k in runtime.keys.data.keys),
                "accesses": len(runtime.keys.data.accesses),
                "not_allowed": runtime.keys.data.not_allowed,
            },
            "doors": [door.as_dict() for door in runtime.doors.doors.values()],
            # Key names and value types only: no value of Parakey's answers.
            "first_contact": runtime.first_contact.as_diagnostics(),
            "recent_unlocks": [
                {
                    **unlock.log.as_dict(),
                    "source": unlock.source,
                    "delayed": unlock.delayed,
                }
                for unlock in runtime.delivery.recent
            ],
        },
        TO_REDACT,
    )
