"""The "Door unlocked recently" condition of the automation editor (2026.7+).

``parakey.unlocked_recently`` holds while a targeted door (its event entity,
device or area) had a timely unlock within ``within``, optionally by one of
``who``. It reads the integration's record of each door's last unlock per
user: the event entity only knows the newest unlock, and "Alice in the last
five minutes" must still hold after Bob unlocked.

Home Assistant 2026.2 has a different, incompatible condition API and 2025.4
none; there the integration offers no condition (and imports nothing it
lacks, since a failing platform import would silently disable its others).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .identifiers import UNLOCK_ENTITY_KEY
from .recent import KEEP
from .trigger import (
    CONF_OPTIONS,
    CONF_TARGET,
    CONF_USER,
    CONF_WHO,
    targeted,
    who_schema,
)

CONF_WITHIN = "within"
CONDITION_UNLOCKED_RECENTLY = "unlocked_recently"
UNLOCK_SUFFIX = f"-{UNLOCK_ENTITY_KEY}"

if TYPE_CHECKING:
    # Type-checked against 2025.4, which has none of these.
    class Condition:
        """What this module uses of 2026.11's ``Condition``."""

        _hass: HomeAssistant

        def __init__(self, hass: HomeAssistant, config: Any) -> None:
            """Keep ``hass``."""

    HAS_CONDITION_API: bool
else:
    try:
        from homeassistant.helpers.condition import Condition

        # 2026.2's Condition wants async_get_checker(); 2026.11's checks itself.
        HAS_CONDITION_API = "_async_check" in Condition.__abstractmethods__
    except ImportError:  # 2025.4
        Condition = object
        HAS_CONDITION_API = False


def _doors(hass: HomeAssistant, target: ConfigType) -> list[tuple[str, str]]:
    """The (config entry id, door id) of every Parakey door on the target, now."""
    selected = targeted(hass, target)
    registry = er.async_get(hass)
    entities = [
        registry.async_get(entity_id)
        for entity_id in selected.referenced | selected.indirectly_referenced
    ]
    for device_id in selected.referenced_devices:
        entities.extend(er.async_entries_for_device(registry, device_id))
    return [
        (entity.config_entry_id, entity.unique_id.removesuffix(UNLOCK_SUFFIX))
        for entity in entities
        if entity is not None
        and entity.platform == DOMAIN
        and entity.domain == "event"
        and entity.config_entry_id is not None
        and entity.unique_id.endswith(UNLOCK_SUFFIX)
    ]


class UnlockedRecentlyCondition(Condition):
    """A targeted door was unlocked within a time, by anyone or by someone."""

    @classmethod
    async def async_validate_config(
        cls, hass: HomeAssistant, config: ConfigType
    ) -> ConfigType:
        """Check the target, the time and who."""
        schema = vol.Schema(
            {
                # 2025.4, which mypy reads, lacks it; this runs on 2026.11 only.
                vol.Required(CONF_TARGET): cv.TARGET_FIELDS,  # type: ignore[attr-defined]
                vol.Optional(CONF_OPTIONS, default={}): {
                    vol.Optional(CONF_WITHIN, default={"minutes": 5}): vol.All(
                        cv.positive_time_period, vol.Range(max=KEEP)
                    ),
                    **who_schema(),
                },
            }
        )
        return dict(schema(config))

    def __init__(self, hass: HomeAssistant, config: Any) -> None:
        """Keep the target, the time and who."""
        super().__init__(hass, config)
        self._target: ConfigType = dict(config.target or {})
        options = config.options or {}
        self._within: timedelta = options.get(CONF_WITHIN, timedelta(minutes=5))
        self._who: list[str] = [*options.get(CONF_WHO, []), *options.get(CONF_USER, [])]

    @property
    def needs_polling(self) -> bool:
        """Time alone makes it false: it must be asked again, not only told."""
        return True

    def _async_check(self, **kwargs: Any) -> bool:
        since = dt_util.utcnow() - self._within
        for entry_id, door_id in _doors(self._hass, self._target):
            entry = self._hass.config_entries.async_get_entry(entry_id)
            if entry is None or entry.state is not ConfigEntryState.LOADED:
                continue
            runtime = entry.runtime_data
            users = runtime.people.user_ids_of(self._who) if self._who else None
            last = runtime.recent.last(door_id, users)
            if last is not None and last >= since:
                return True
        return False


async def async_get_conditions(hass: HomeAssistant) -> dict[str, type[Any]]:
    """The editor's conditions; none where Home Assistant lacks this API."""
    if not HAS_CONDITION_API:
        return {}
    return {CONDITION_UNLOCKED_RECENTLY: UnlockedRecentlyCondition}
