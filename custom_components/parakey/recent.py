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
                    self._last.setdefault(door_id, {})[user_id] = at
        store.async_add_section(SECTION, self._dump)

    def _dump(self) -> dict[str, dict[str, str]]:
        return {
            door: {user: format_datetime(at) for user, at in users.items()}
            for door, users in self._last.items()
        }

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
        by_user = self._last.setdefault(log.door_id, {})
        user = log.user_id or NOBODY
        if (known := by_user.get(user)) is None or log.timestamp > known:
            by_user[user] = log.timestamp
        if log.timestamp - self._pruned > PRUNE_EVERY:
            # Hourly, not per unlock: a catch-up brings thousands at once.
            self._pruned = log.timestamp
            for door_users in self._last.values():
                for old in [
                    u for u, at in door_users.items() if at < log.timestamp - KEEP
                ]:
                    del door_users[old]
        self._store.async_schedule_save()
