"""The base class of the presence tracker, as the running Home Assistant offers it.

Home Assistant 2026.7 moved person and zone to zone membership (``in_zones``):
a tracker counts a person into ``zone.home`` only when it says which zone it
means. A connection-style tracker (``BaseScannerEntity``) does: connected
means "in the associated zone" (``zone.home`` unless the user picks another),
unknown means nothing. Older releases lack that class; there the tracker is a
plain non-GPS tracker whose state is ``home`` or unknown, which person reads
the same way. Both are driven by one property, ``at_home``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.device_tracker.const import (
    DOMAIN as TRACKER_DOMAIN,
    SourceType,
)
from homeassistant.const import STATE_HOME
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er

# The registry option 2026.7+ reads for a connection tracker's zone.
CONF_ASSOCIATED_ZONE = "associated_zone"

if TYPE_CHECKING:
    # Type-checked against the oldest supported release (2025.4).
    from homeassistant.components.device_tracker.config_entry import (
        BaseTrackerEntity as _TrackerBase,
    )

    HAS_ZONE_MEMBERSHIP = False
else:
    try:
        from homeassistant.components.device_tracker import (
            BaseScannerEntity as _TrackerBase,
        )

        HAS_ZONE_MEMBERSHIP = True
    except ImportError:  # 2025.4 - 2026.6
        from homeassistant.components.device_tracker.config_entry import (
            BaseTrackerEntity as _TrackerBase,
        )

        HAS_ZONE_MEMBERSHIP = False


class PresenceTrackerBase(_TrackerBase):
    """A non-GPS tracker that is home (or in its zone) while ``at_home``."""

    # Not GPS: person prefers it to a GPS fix while it says home. (Like every
    # tracker, mobile_app's too, it is a diagnostic entity: the person's
    # settings offer it, generated dashboards leave it out.)
    _attr_source_type = SourceType.ROUTER

    @property
    def at_home(self) -> bool:
        """Whether the person is at the door's place now."""
        raise NotImplementedError

    @callback
    def async_set_zone(self, zone: str, *, keep_users_choice: bool) -> None:
        """Mean ``zone`` when at home (zone-membership releases only).

        The zone lives in the entity's own settings, where the user can change
        it per tracker; ``keep_users_choice`` leaves a zone already set there.
        """
        if not HAS_ZONE_MEMBERSHIP or self.registry_entry is None:
            return
        current: dict[str, Any] = dict(
            self.registry_entry.options.get(TRACKER_DOMAIN, {})
        )
        if current.get(CONF_ASSOCIATED_ZONE) == zone or (
            keep_users_choice and CONF_ASSOCIATED_ZONE in current
        ):
            return
        er.async_get(self.hass).async_update_entity_options(
            self.entity_id, TRACKER_DOMAIN, {**current, CONF_ASSOCIATED_ZONE: zone}
        )

    @property
    def is_connected(self) -> bool | None:
        """Zone-membership releases: in the associated zone, else nothing known."""
        return True if self.at_home else None

    if not HAS_ZONE_MEMBERSHIP:

        @property
        def state(self) -> str | None:
            """Older releases: ``home``, else unknown (which person ignores)."""
            return STATE_HOME if self.at_home else None
