"""The key actions: ``parakey.grant_key``, ``parakey.revoke_key``, ``parakey.get_keys``.

Giving and taking keys is for administrators: a call by any other user is
refused (``Unauthorized``), as Home Assistant's own admin actions are.
Automations run as the system and may call them (an administrator wrote
them). Every change made here is audited: a ``parakey_key_changed`` event
and a logbook line that names the Home Assistant user who asked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType, JsonValueType
import voluptuous as vol

from .api import Access, AccessKey, Batch, format_datetime
from .const import DOMAIN, EVENT_KEY_CHANGED
from .data import ParakeyConfigEntry
from .services import ATTR_CONFIG_ENTRY_ID, loaded_entry

SERVICE_GRANT_KEY: Final = "grant_key"
SERVICE_REVOKE_KEY: Final = "revoke_key"
SERVICE_GET_KEYS: Final = "get_keys"
ATTR_ACCESS: Final = "access"
ATTR_EMAIL: Final = "email"
ATTR_START: Final = "start"
ATTR_END: Final = "end"

_CHANGE: Final[dict[Any, Any]] = {
    vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
    vol.Required(ATTR_ACCESS): cv.string,
    vol.Required(ATTR_EMAIL): vol.All(cv.string, vol.Strip, vol.Email()),
}
GRANT_SCHEMA: Final = vol.Schema(
    {
        **_CHANGE,
        vol.Optional(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
    }
)
REVOKE_SCHEMA: Final = vol.Schema(_CHANGE)
GET_KEYS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_ACCESS): cv.string,
        vol.Optional(ATTR_EMAIL): vol.All(cv.string, vol.Strip),
    }
)
# Batch item failures Parakey names, and what the user is told for each.
ITEM_ERRORS: Final = {
    "USER_NOT_FOUND": "key_user_not_found",
    "NOT_FOUND": "key_holder_not_found",
}


async def _admin_name(call: ServiceCall) -> str | None:
    """The administrator who called (None: an automation, the system)."""
    if call.context.user_id is None:
        return None
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None:
        raise UnknownUser(context=call.context)
    if not user.is_admin:
        raise Unauthorized(context=call.context)
    return user.name


def _window(call: ServiceCall) -> tuple[datetime | None, datetime | None]:
    """The key's start and end, in UTC; a window that ends first is refused."""
    start, end = call.data.get(ATTR_START), call.data.get(ATTR_END)
    start = dt_util.as_utc(start) if start else None
    end = dt_util.as_utc(end) if end else None
    ends_first = start is not None and end is not None and end <= start
    if ends_first or (end is not None and end <= dt_util.utcnow()):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="key_window_invalid",
            translation_placeholders={
                "start": format_datetime(start) if start else "-",
                "end": format_datetime(end) if end else "-",
            },
        )
    return start, end


def _outcome(batch: Batch, access: Access, email: str) -> ServiceResponse:
    """The batch's outcome, or the error its first failed item explains."""
    if batch.failed:
        item = next(iter(batch.failed_items), None)
        code = item.error_code if item else None
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=ITEM_ERRORS.get(code or "", "key_batch_failed"),
            translation_placeholders={
                "email": email,
                "access": access.name or access.id,
                "reason": (item.error_message or code or "-") if item else "-",
            },
        )
    return batch.as_dict()


@callback
def _audit(
    hass: HomeAssistant,
    call: ServiceCall,
    entry: ParakeyConfigEntry,
    *,
    action: str,
    access: Access,
    email: str,
    admin: str | None,
    batch: Batch,
    start: datetime | None = None,
    end: datetime | None = None,
) -> None:
    """Fire ``parakey_key_changed`` in the caller's context (the logbook shows it)."""
    hass.bus.async_fire(
        EVENT_KEY_CHANGED,
        {
            "action": action,
            "entry_id": entry.entry_id,
            "place_name": entry.title,
            "access_id": access.id,
            "access_name": access.name,
            "email": email,
            "start": format_datetime(start) if start else None,
            "end": format_datetime(end) if end else None,
            "batch_id": batch.id,
            "status": batch.status,
            "by_user_id": call.context.user_id,
            "by_user_name": admin,
        },
        context=call.context,
    )


async def _async_grant_key(call: ServiceCall) -> ServiceResponse:
    admin = await _admin_name(call)
    entry = loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    start, end = _window(call)
    keys = entry.runtime_data.keys
    access = keys.access_named(call.data[ATTR_ACCESS])
    email = call.data[ATTR_EMAIL]
    batch = await keys.async_grant(access, email, start, end)
    outcome = _outcome(batch, access, email)
    _audit(
        call.hass, call, entry, action="grant", access=access, email=email,
        admin=admin, batch=batch, start=start, end=end,
    )  # fmt: skip
    return outcome


async def _async_revoke_key(call: ServiceCall) -> ServiceResponse:
    admin = await _admin_name(call)
    entry = loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    keys = entry.runtime_data.keys
    access = keys.access_named(call.data[ATTR_ACCESS])
    email = call.data[ATTR_EMAIL]
    batch = await keys.async_revoke(access, email)
    outcome = _outcome(batch, access, email)
    _audit(
        call.hass, call, entry, action="revoke", access=access, email=email,
        admin=admin, batch=batch,
    )  # fmt: skip
    return outcome


def _key_data(key: AccessKey, now: datetime) -> JsonObjectType:
    return {
        **key.as_dict(),
        "time_limited": key.time_limited,
        "valid_now": key.valid_at(now),
    }


async def _async_get_keys(call: ServiceCall) -> ServiceResponse:
    await _admin_name(call)
    entry = loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    keys = entry.runtime_data.keys
    await keys.async_refresh()  # one ETag request: 304 when nothing changed
    access = call.data.get(ATTR_ACCESS)
    wanted = keys.access_named(access) if access else None
    email = (call.data.get(ATTR_EMAIL) or "").casefold()
    now = dt_util.utcnow()
    listed = [
        _key_data(key, now)
        for key in keys.data.keys
        if (wanted is None or wanted.id in (key.access_id, key.access_alias_id))
        and (not email or (key.user_email or "").casefold() == email)
    ]
    accesses: list[JsonValueType] = [a.as_dict() for a in keys.data.accesses]
    return {
        "keys": list[JsonValueType](listed),
        "accesses": accesses,
        "not_allowed": keys.data.not_allowed,
    }


@callback
def async_setup_key_actions(hass: HomeAssistant) -> None:
    """Register the key actions (once, from ``async_setup``)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GRANT_KEY,
        _async_grant_key,
        schema=GRANT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_REVOKE_KEY,
        _async_revoke_key,
        schema=REVOKE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_KEYS,
        _async_get_keys,
        schema=GET_KEYS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
