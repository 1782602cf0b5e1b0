"""The runtime data of one entry, and the entry's type."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .activity import DailyUnlockCounter
from .coordinator import ParakeyCoordinator
from .storage import ParakeyStore
from .webhook_monitor import WebhookMonitor

type ParakeyConfigEntry = ConfigEntry[ParakeyRuntimeData]


@dataclass(slots=True)
class ParakeyRuntimeData:
    """Everything set up for one Parakey place."""

    coordinator: ParakeyCoordinator
    store: ParakeyStore
    activity: DailyUnlockCounter
    webhook: WebhookMonitor | None = None
