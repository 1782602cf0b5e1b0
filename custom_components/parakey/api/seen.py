"""Which event logs were handed on already: the memory behind exactly-once.

A log can reach a client twice (a webhook retry, a push and then a poll, the
poll's overlap window), so every id handed on is remembered with its
``createdAt``. The memory is bounded by age and by count, relative to the
newest ``createdAt`` it holds (the server's clock, never the local one):

* an id older than ``retention`` is forgotten, and a log that old counts as
  handled: no poll window reaches that far back, so only a stale duplicate
  (a very late webhook retry) can bring it;
* beyond ``max_ids`` the oldest go first, but never one the next poll window
  (``keep_window`` back from the newest) can return again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from .models import EventLog, format_datetime, parse_datetime

# Parakey retries a webhook for about 20 minutes, so an id must be remembered
# well beyond that to recognise a late duplicate.
DEFAULT_RETENTION: Final = timedelta(hours=24)
DEFAULT_MAX_IDS: Final = 5000
DEFAULT_KEEP_WINDOW: Final = timedelta(minutes=5)


class SeenLogs:
    """The ids handed on, by ``createdAt``; one owner writes it."""

    def __init__(
        self,
        seen: Mapping[str, datetime] | None = None,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        max_ids: int = DEFAULT_MAX_IDS,
        keep_window: timedelta = DEFAULT_KEEP_WINDOW,
    ) -> None:
        """Start from ``seen`` (restored, or nothing for a first start)."""
        self._seen: dict[str, datetime] = dict(seen or {})
        # The stored form, kept beside: a save of thousands of ids formats none.
        self._stored = {
            log_id: format_datetime(at) for log_id, at in self._seen.items()
        }
        self._retention = max(retention, keep_window)
        self._max_ids = max_ids
        self._keep_window = keep_window
        self._newest: datetime | None = max(self._seen.values(), default=None)
        self._oldest: datetime | None = min(self._seen.values(), default=None)

    def __len__(self) -> int:
        """How many ids are remembered."""
        return len(self._seen)

    def __contains__(self, log_id: object) -> bool:
        """Whether this id was handed on."""
        return log_id in self._seen

    def is_new(self, log: EventLog) -> bool:
        """Whether ``log`` was neither handed on nor is older than the memory."""
        if log.id in self._seen:
            return False
        return self._newest is None or log.created_at >= self._newest - self._retention

    def mark(self, logs: Iterable[EventLog]) -> None:
        """Remember ``logs`` as handed on, then forget what is too old."""
        self.mark_ids({log.id: log.created_at for log in logs})

    def mark_ids(self, ids: Mapping[str, datetime]) -> None:
        """Remember ids (with their ``createdAt``) without the logs themselves."""
        if not ids:
            return
        self._seen.update(ids)
        self._stored.update((log_id, format_datetime(at)) for log_id, at in ids.items())
        newest, oldest = max(ids.values()), min(ids.values())
        if self._newest is None or newest > self._newest:
            self._newest = newest
        if self._oldest is None or oldest < self._oldest:
            self._oldest = oldest
        # Only when something can go: a mark that forgets nothing costs nothing.
        span = self._newest - self._oldest
        if span > self._retention or (
            len(self._seen) > self._max_ids and span > self._keep_window
        ):
            self._prune()

    def _prune(self) -> None:
        """Forget what is too old, then what is too many (oldest-marked first).

        Ids arrive roughly in ``createdAt`` order, so the oldest marked are
        near the front: no sort, whatever the count.
        """
        assert self._newest is not None  # noqa: S101 - only after a mark
        horizon = self._newest - self._retention
        keep_from = self._newest - self._keep_window
        excess = len(self._seen) - self._max_ids
        for log_id, at in list(self._seen.items()):
            if at < horizon or (excess > 0 and at < keep_from):
                del self._seen[log_id], self._stored[log_id]
                excess -= 1
        self._oldest = min(self._seen.values(), default=None)

    def as_dict(self) -> dict[str, str]:
        """The stored form: id -> ``createdAt``."""
        return dict(self._stored)

    @classmethod
    def from_dict(cls, data: Any, **limits: Any) -> SeenLogs:
        """Restore ``as_dict``; damaged entries are dropped, not raised."""
        seen: dict[str, datetime] = {}
        if isinstance(data, dict):
            for log_id, raw_at in data.items():
                if isinstance(log_id, str) and (at := parse_datetime(raw_at)):
                    seen[log_id] = at
        return cls(seen, **limits)
