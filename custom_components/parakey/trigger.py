"""The "Door unlocked" trigger of the automation editor (Home Assistant 2026.x).

``parakey.unlocked`` targets doors (their event entities, devices or areas)
and optionally who: persons, Parakey user ids or names. It fires once per
timely unlock, as the device trigger does, with the unlock's bus event as
``trigger.event``, so templates read the same data in every trigger.

It is built on the bus event, not on the event entity's state: a state
trigger misses an unlock written while the entity was unavailable and cannot
tell a late upload from an unlock now.

Older releases lack the API. Home Assistant 2025.4 still imports this module
(as an old-style trigger platform) at start-up, so nothing the old releases
lack may be imported unguarded, and ``trigger: parakey.unlocked`` there gets
a clear "needs a newer Home Assistant" instead of a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import EVENT_UNLOCK
from .people import who_matches

# Not from homeassistant.const: 2025.4 lacks them.
CONF_OPTIONS = "options"
CONF_TARGET = "target"
CONF_WHO = "who"
CONF_USER = "user"
TRIGGER_UNLOCKED = "unlocked"

if TYPE_CHECKING:
    # Type-checked against 2025.4, which has none of these.
    class Trigger:
        """What this module uses of 2026.x's ``Trigger``."""

        _hass: HomeAssistant

        def __init__(self, hass: HomeAssistant, config: Any) -> None:
            """Keep ``hass``."""

    TargetSelection: Any
    async_extract_referenced_entity_ids: Any
    HAS_TRIGGER_API: bool
else:
    try:  # Home Assistant 2026.1+
        from homeassistant.helpers.target import (
            TargetSelection,
            async_extract_referenced_entity_ids,
        )
        from homeassistant.helpers.trigger import Trigger

        HAS_TRIGGER_API = True
    except ImportError:  # 2025.4
        Trigger = object
        HAS_TRIGGER_API = False


def who_schema() -> dict[Any, Any]:
    """The "who" options the trigger and the condition share."""
    return {
        vol.Optional(CONF_WHO, default=[]): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(CONF_USER, default=[]): vol.All(cv.ensure_list, [cv.string]),
    }


def targeted(hass: HomeAssistant, target: ConfigType) -> Any:
    """What a target (entities, devices, areas, ...) refers to now.

    Resolved each time, not when the automation starts, so a door added to a
    targeted area later counts.
    """
    return async_extract_referenced_entity_ids(hass, TargetSelection(target))


def targets_door(
    hass: HomeAssistant, target: ConfigType, data: Mapping[str, Any]
) -> bool:
    """Whether the unlock's door is (on) the target.

    The device matches too, so a hidden event entity still counts.
    """
    selected = targeted(hass, target)
    return (
        data.get("entity_id") in (selected.referenced | selected.indirectly_referenced)
        or data.get("device_id") in selected.referenced_devices
    )


class UnlockedTrigger(Trigger):
    """A timely unlock of a targeted Parakey door, by anyone or by someone."""

    @classmethod
    async def async_validate_config(
        cls, hass: HomeAssistant, config: ConfigType
    ) -> ConfigType:
        """Check the target and the options."""
        schema = vol.Schema(
            {
                # 2025.4, which mypy reads, lacks it; this runs on 2026.x only.
                vol.Required(CONF_TARGET): cv.TARGET_FIELDS,  # type: ignore[attr-defined]
                vol.Optional(CONF_OPTIONS, default={}): who_schema(),
            }
        )
        return dict(schema(config))

    def __init__(self, hass: HomeAssistant, config: Any) -> None:
        """Keep the target and who."""
        super().__init__(hass, config)
        self._target: ConfigType = dict(config.target or {})
        options = config.options or {}
        self._who: list[str] = [*options.get(CONF_WHO, []), *options.get(CONF_USER, [])]

    async def async_attach_runner(
        self, run_action: Any, did_not_trigger: Any = None
    ) -> CALLBACK_TYPE:
        """Run the action for every matching unlock until unsubscribed."""

        @callback
        def on_unlock(event: Event) -> None:
            data = event.data
            if data.get("delayed") or not who_matches(self._who, data):
                return
            if not targets_door(self._hass, self._target, data):
                return
            run_action(
                {
                    "entity_id": data.get("entity_id"),
                    "device_id": data.get("device_id"),
                    "event": event,
                },
                f"Parakey unlock of {data.get('door_name') or data.get('door_id')}",
                event.context,
            )

        return self._hass.bus.async_listen(EVENT_UNLOCK, on_unlock)


async def async_get_triggers(hass: HomeAssistant) -> dict[str, type[Any]]:
    """The editor's triggers; none where Home Assistant lacks the API."""
    return {TRIGGER_UNLOCKED: UnlockedTrigger} if HAS_TRIGGER_API else {}


if not HAS_TRIGGER_API:

    async def async_validate_trigger_config(
        hass: HomeAssistant, config: ConfigType
    ) -> ConfigType:
        """2025.4 loads this module as an old-style platform: refuse cleanly."""
        raise vol.Invalid(
            f"{config.get('trigger', config.get('platform'))} needs Home Assistant "
            "2026.1 or newer; use the device trigger 'Door unlocked' instead"
        )
