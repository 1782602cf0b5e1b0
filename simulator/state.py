"""The simulated place: doors, people, keys and the event log."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import random
import secrets
from typing import Any

type Clock = Callable[[], datetime]

# Generated people (``POST /_sim/users`` with ``count``): 40 x 25 distinct
# names, then the same again with a number.
FIRST_NAMES = (  # noqa: SIM905 - a list of names reads better as text
    "Alice Bob Cecilia David Elin Filip Greta Hugo Ida Johan Karin Lars Maja Nils "
    "Olivia Per Rut Sven Tove Ulf Vera William Ylva Zlatan Åsa Björn Clara Dag "
    "Ebba Fredrik Göran Hanna Isak Julia Kalle Linnea Magnus Nora Oskar Signe"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Andersson Berg Carlsson Dahl Eriksson Forsberg Gustafsson Holm Isaksson "
    "Johansson Karlsson Lindqvist Mattsson Nilsson Olsson Persson Quist Ristić "
    "Svensson Törnqvist Uddén Virtanen Wikström Åberg Öberg"
).split()


def generated_name(index: int) -> str:
    """The ``index``-th generated person's name (0-based); all distinct."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    lap, rest = divmod(index // len(FIRST_NAMES), len(LAST_NAMES))
    name = f"{first} {LAST_NAMES[rest]}"
    return f"{name} {lap + 1}" if lap else name


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
    # ``logs`` by (createdAt, id), rebuilt when a log was added: a year of
    # history must not be sorted again for every request.
    _order: list[StoredLog] = field(default_factory=list)
    _order_keys: list[datetime] = field(default_factory=list)
    _ordered: int = -1

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

    def add_history(
        self,
        count: int,
        *,
        start: datetime,
        end: datetime,
        door_ids: Sequence[str],
        user_ids: Sequence[str],
        access_id: str | None,
    ) -> list[StoredLog]:
        """``count`` unlocks spread evenly over ``(start, end]``, oldest first.

        Door and person are drawn at random (the same draw for the same
        arguments); each opened 2 s before the cloud stored it.
        """
        if not door_ids or not user_ids:
            raise ValueError("history needs at least one door and one person")
        for door_id in door_ids:
            if door_id not in self.doors:
                raise ValueError(f"unknown door {door_id!r}")
        for user_id in user_ids:
            if user_id not in self.users:
                raise ValueError(f"unknown user {user_id!r}")
        draw = random.Random(f"{count}:{start}:{end}")  # noqa: S311 - not a secret
        step = (end - start) / count
        opened = timedelta(seconds=2)
        logs = []
        for index in range(1, count + 1):
            created = start + step * index
            logs.append(
                StoredLog(
                    id=self.next_id(),
                    created_at=created,
                    timestamp=created - opened,
                    door_id=draw.choice(door_ids),
                    user_id=draw.choice(user_ids),
                    access_id=access_id,
                    log_type="unlock",
                )
            )
        self.logs.extend(logs)
        return logs

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
        if self._ordered != len(self.logs):
            self._order = sorted(self.logs, key=lambda log: (log.created_at, log.id))
            self._order_keys = [log.created_at for log in self._order]
            self._ordered = len(self.logs)
        first = 0 if start is None else bisect_left(self._order_keys, start)
        if not descending:
            return self._order[first + offset : first + offset + limit]
        stop = len(self._order) - offset
        return self._order[max(first, stop - limit) : max(first, stop)][::-1]

    def find(self, log_id: str) -> StoredLog | None:
        """One log by id."""
        return next((log for log in self.logs if log.id == log_id), None)
