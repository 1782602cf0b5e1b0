"""The simulated place: doors, people, keys and the event log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import secrets
from typing import Any

type Clock = Callable[[], datetime]


def iso(value: datetime) -> str:
    """Parakey's timestamp format: UTC, milliseconds, ``Z``."""
    return (
        value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def parse_iso(value: str) -> datetime:
    """Parse ``startDate``; raises ValueError on anything unusable."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(slots=True)
class StoredLog:
    """One event log as the cloud keeps it."""

    id: str
    created_at: datetime
    timestamp: datetime
    door_id: str
    user_id: str | None
    access_id: str | None
    log_type: str


@dataclass(slots=True)
class PlaceState:
    """Everything one Parakey domain holds."""

    place_id: str
    place_name: str
    legacy: bool = False
    doors: dict[str, str] = field(default_factory=dict)
    users: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    accesses: dict[str, str] = field(default_factory=dict)
    logs: list[StoredLog] = field(default_factory=list)
    # Ids differ between runs, as a real cloud's never repeat: a restarted
    # simulator must not reuse ids a running Home Assistant already saw.
    run: str = field(default_factory=lambda: secrets.token_hex(3))
    _counter: int = 0

    def next_id(self) -> str:
        """Unique event-log ids, increasing within one run."""
        self._counter += 1
        return f"evl_{self.run}{self._counter:06d}"

    def add(
        self,
        clock: Clock,
        door_id: str,
        user_id: str | None,
        *,
        access_id: str | None,
        timestamp: datetime | None,
        created_at: datetime | None,
        log_type: str,
    ) -> StoredLog:
        """Store a new log; unknown doors and people are refused."""
        if door_id not in self.doors:
            raise ValueError(f"unknown door {door_id!r}")
        if user_id is not None and user_id not in self.users:
            raise ValueError(f"unknown user {user_id!r}")
        if access_id is not None and access_id not in self.accesses:
            raise ValueError(f"unknown access {access_id!r}")
        created = created_at or clock()
        log = StoredLog(
            id=self.next_id(),
            created_at=created,
            timestamp=timestamp or created - timedelta(seconds=2),
            door_id=door_id,
            user_id=user_id,
            access_id=access_id,
            log_type=log_type,
        )
        self.logs.append(log)
        return log

    def render(self, log: StoredLog) -> dict[str, Any]:
        """The JSON of one log, in the current or the 1.0 shape."""
        door = {"id": log.door_id, "name": self.doors[log.door_id]}
        data: dict[str, Any] = {
            "id": log.id,
            "createdAt": iso(log.created_at),
            "timestamp": iso(log.timestamp),
            "type": log.log_type,
        }
        if log.access_id is not None:
            data["access"] = {"id": log.access_id, "name": self.accesses[log.access_id]}
        if self.legacy:
            data["eventConfiguration"] = door
            data["deviceId"] = log.door_id
            data["domainId"] = self.place_id
            data["userId"] = log.user_id
            return data
        data["device"] = door
        data["domain"] = {"id": self.place_id, "name": self.place_name}
        if log.user_id is None:
            data["user"] = None
        else:
            name, email = self.users[log.user_id]
            data["user"] = {"id": log.user_id, "name": name, "email": email}
        return data

    def query(
        self,
        *,
        start: datetime | None,
        descending: bool,
        offset: int,
        limit: int,
    ) -> list[StoredLog]:
        """Filter by ``createdAt >= start``, order, then page."""
        chosen = [log for log in self.logs if start is None or log.created_at >= start]
        chosen.sort(key=lambda log: (log.created_at, log.id), reverse=descending)
        return chosen[offset : offset + limit]

    def find(self, log_id: str) -> StoredLog | None:
        """One log by id."""
        return next((log for log in self.logs if log.id == log_id), None)
