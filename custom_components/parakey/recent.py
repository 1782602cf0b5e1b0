"""When each door was last opened, and by whom: what "unlocked recently" asks.

Timely unlocks only (a late upload says nothing about now), per door and per
Parakey user, kept for a day and across restarts. The event entity's state
only holds the newest unlock: "Alice within five minutes" must still hold
after Bob unlocked a minute later.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .api import format_datetime, parse_datetime
from .storage import ParakeyStore
from .unlock import Unlock

SECTION = "recent_unlocks"
# The longest "within" a condition may ask for.
KEEP: Final = timedelta(days=1)
PRUNE_EVERY: Final = timedelta(hours=1)
# An unlock whose user Parakey erased (or never named).
NOBODY: Final = ""


class RecentUnlocks:
    """The last timely unlock of each door by each user, for a day."""

    def __init__(self, store: ParakeyStore) -> None:
        """Restore what is not older than a day."""
        self._store = store
        self._last: dict[str, dict[str, datetime]] = {}
        # The stored form beside it, so a save formats nothing.
        self._stored: dict[str, dict[str, str]] = {}
        self._pruned = dt_util.utcnow()
        stored = store.section(SECTION)
        horizon = dt_util.utcnow() - KEEP
        for door_id, users in (stored if isinstance(stored, dict) else {}).items():
            if not isinstance(users, dict):
                continue
            for user_id, raw in users.items():
                at = parse_datetime(raw)
                if at is None or at < horizon:
                    continue
                if isinstance(door_id, str) and isinstance(user_id, str):
                    self._set(door_id, user_id, at)
        store.async_add_section(SECTION, self._dump)

    def _dump(self) -> dict[str, dict[str, str]]:
        return {door: dict(users) for door, users in self._stored.items()}

    def _set(self, door_id: str, user_id: str, at: datetime) -> None:
        self._last.setdefault(door_id, {})[user_id] = at
        self._stored.setdefault(door_id, {})[user_id] = format_datetime(at)

    def last(
        self, door_id: str, users: Collection[str] | None = None
    ) -> datetime | None:
        """When ``door_id`` was last opened (by one of ``users``, when given)."""
        by_user = self._last.get(door_id, {})
        times = [at for user, at in by_user.items() if users is None or user in users]
        return max(times, default=None)

    @callback
    def async_on_unlock(self, unlock: Unlock) -> None:
        """Note a timely unlock."""
        log = unlock.log
        if unlock.delayed or log.door_id is None:
            return
        user = log.user_id or NOBODY
        known = self._last.get(log.door_id, {}).get(user)
        if known is None or log.timestamp > known:
            self._set(log.door_id, user, log.timestamp)
        if log.timestamp - self._pruned > PRUNE_EVERY:
            # Hourly, not per unlock: a catch-up brings thousands at once.
            self._pruned = log.timestamp
            self._forget_before(log.timestamp - KEEP)
        self._store.async_schedule_save()

    def _forget_before(self, horizon: datetime) -> None:
        """Drop unlocks older than ``horizon``, from memory and the stored form."""
        for door_id, door_users in self._last.items():
            for old in [u for u, at in door_users.items() if at < horizon]:
                del door_users[old], self._stored[door_id][old]
