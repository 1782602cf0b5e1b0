"""Device triggers: "Door unlocked" on a door, "Any door unlocked" on the place.

Both fire for timely unlocks only (not ``delayed``) and take an optional
``user_id``: one of the Parakey users seen so far, shown by name (and by the
person linked to them), so "Front door unlocked by Alice" needs no YAML.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import DOMAIN, EVENT_TYPE_UNLOCKED, EVENT_UNLOCK
from .identifiers import door_id_of_device, parakey_id_of_device
from .people import person_names
from .texts import async_selector_label

TRIGGER_ANY_DOOR = "any_door_unlocked"
CONF_USER_ID = "user_id"
ANYONE = ""

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In({EVENT_TYPE_UNLOCKED, TRIGGER_ANY_DOOR}),
        vol.Optional(CONF_USER_ID): str,
    }
)


def _trigger_type(device: dr.DeviceEntry) -> str:
    if door_id_of_device(device.identifiers) is None:
        return TRIGGER_ANY_DOOR
    return EVENT_TYPE_UNLOCKED


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, Any]]:
    """Offer "Door unlocked" on doors and "Any door unlocked" on the place."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None or parakey_id_of_device(device.identifiers) is None:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: _trigger_type(device),
        }
    ]


def _entry_of_device(hass: HomeAssistant, device_id: str) -> ConfigEntry | None:
    """The Parakey entry a device belongs to.

    Looked up from the entries' side: ``DeviceEntry.config_entries`` is
    deprecated from 2026.8 on, and its successor is missing in 2025.4.
    """
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        devices = dr.async_entries_for_config_entry(registry, entry.entry_id)
        if any(device.id == device_id for device in devices):
            return entry
    return None


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """An optional "Who": the Parakey users seen at the device's place, searchable."""
    entry = _entry_of_device(hass, config[CONF_DEVICE_ID])
    choices: list[SelectOptionDict] = []
    if entry is not None and entry.state is ConfigEntryState.LOADED:
        choices = entry.runtime_data.people.user_choices(person_names(hass))
    anyone = await async_selector_label(hass, "who", "anyone")
    # "Anyone" first, so a pick can be undone in the editor. A combo box (it
    # takes typed text) is the one picker that searches a thousand users.
    return {
        "extra_fields": vol.Schema(
            {
                vol.Optional(CONF_USER_ID): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=ANYONE, label=anyone),
                            *choices,
                        ],
                        mode=SelectSelectorMode.DROPDOWN,
                        custom_value=True,
                    )
                )
            }
        )
    }


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for timely unlocks of the door, or of any door of the place."""
    event_data: dict[str, Any] = {"delayed": False}
    if user_id := config.get(CONF_USER_ID):
        event_data[CONF_USER_ID] = _user_id_of(hass, config[CONF_DEVICE_ID], user_id)
    if config[CONF_TYPE] == EVENT_TYPE_UNLOCKED:
        event_data[CONF_DEVICE_ID] = config[CONF_DEVICE_ID]
    else:
        action = _only_doors_of_place(hass, config[CONF_DEVICE_ID], action)
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: EVENT_UNLOCK,
            "event_data": event_data,
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )


def _user_id_of(hass: HomeAssistant, device_id: str, who: str) -> str:
    """The user id ``who`` stands for: typed into the picker, it may be a name."""
    entry = _entry_of_device(hass, device_id)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return who
    found = entry.runtime_data.people.find_users(who, person_names(hass))
    return found[0] if len(found) == 1 else who


def _only_doors_of_place(
    hass: HomeAssistant, place_device_id: str, action: TriggerActionType
) -> TriggerActionType:
    """Run ``action`` only for unlocks of doors of the place's entry."""

    async def run(
        run_variables: dict[str, Any], context: Context | None = None
    ) -> None:
        entry = _entry_of_device(hass, place_device_id)
        door_device_id = run_variables["trigger"]["event"].data.get(CONF_DEVICE_ID)
        if entry is None or door_device_id is None:
            return
        if _entry_of_device(hass, door_device_id) is not entry:
            return
        if (result := action(run_variables, context)) is not None:
            await result

    return run
