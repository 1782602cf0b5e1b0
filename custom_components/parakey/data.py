"""The runtime data of one entry: every piece set-up built, side by side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .listeners import Listeners

if TYPE_CHECKING:
    from .activity import DailyUnlockCounter
    from .api import ParakeyClient
    from .coordinator import ParakeyCoordinator
    from .delivery import UnlockDelivery
    from .doors import DoorDirectory
    from .first_contact import FirstContact
    from .guest_keys import KeyDirectory
    from .people import PeopleDirectory
    from .recent import RecentUnlocks
    from .storage import ParakeyStore
    from .webhook import WebhookEndpoint
    from .webhook_monitor import WebhookMonitor

type ParakeyConfigEntry = ConfigEntry[ParakeyRuntimeData]


@dataclass(slots=True, kw_only=True)
class ParakeyRuntimeData:
    """Everything set up for one Parakey place (built in ``async_setup_entry``)."""

    client: ParakeyClient
    store: ParakeyStore
    doors: DoorDirectory
    people: PeopleDirectory
    delivery: UnlockDelivery
    coordinator: ParakeyCoordinator
    counter: DailyUnlockCounter
    recent: RecentUnlocks
    keys: KeyDirectory
    first_contact: FirstContact
    monitor: WebhookMonitor
    webhook: WebhookEndpoint
    # Told after the options changed and were applied (platforms that add or
    # remove entities by option listen here).
    options_applied: Listeners[[]] = field(default_factory=Listeners)
