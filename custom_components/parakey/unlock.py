"""One unlock as Home Assistant sees it: the log, how it came, and who it is here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeassistant.core import Context

from .api import EventLog, format_datetime


@dataclass(frozen=True, slots=True)
class Unlock:
    """An event log with what Home Assistant knows about it."""

    log: EventLog
    source: str
    delayed: bool
    device_id: str | None = None
    entity_id: str | None = None
    person_entity_id: str | None = None
    # Shared by the bus event and every state the unlock writes, so the
    # logbook ties the event entity's line to who unlocked.
    context: Context = field(default_factory=Context, compare=False)

    def event_data(self) -> dict[str, Any]:
        """The data of the ``parakey_unlock`` bus event (design.md's table)."""
        log = self.log
        return {
            "event_id": log.id,
            "door_id": log.door_id,
            "door_name": log.door_name,
            "place_id": log.place_id,
            "place_name": log.place_name,
            "user_id": log.user_id,
            "user_name": log.user_name,
            "user_email": log.user_email,
            "access_id": log.access_id,
            "access_name": log.access_name,
            "timestamp": format_datetime(log.timestamp),
            "created_at": format_datetime(log.created_at),
            "source": self.source,
            "delayed": self.delayed,
            "device_id": self.device_id,
            "entity_id": self.entity_id,
            "person_entity_id": self.person_entity_id,
        }
