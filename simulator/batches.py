"""Batches: how the simulated place changes keys through ``POST /access-keys``.

The rules, which ``README.md`` documents for people:

* A whole request is refused when one of its items is: ``400`` for a malformed
  body or date, ``404`` for an Access that neither an id nor an alias id
  names, ``403`` for an Access not enabled for the API, ``422`` for an
  ``expirationDate`` not after its ``startDate`` (checked in that order).
* Otherwise it makes a pending batch. ``batch_delay`` seconds later (on the
  simulator's clock) the batch completes and its items run, in order: a grant
  to an e-mail no person of the place has fails ``USER_NOT_FOUND``; a grant to
  someone who holds that key already replaces the key's window; a revoke of a
  key nobody holds fails ``NOT_FOUND``. A completed batch is ``completed``
  even when items failed; only an injected fault makes it ``failed``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from .keys import KeyStore
from .state import Clock, iso, parse_iso

BATCH_FAULTS: Final = frozenset({"fail", "never_complete"})
DEFAULT_BATCH_DELAY: Final = 2.0

type BatchListener = Callable[[dict[str, Any]], None]


class RequestRefused(Exception):  # noqa: N818 - an answer, not a failure of ours
    """A request-level refusal: the whole ``POST /access-keys`` answers ``status``."""

    def __init__(self, status: int, message: str, code: str) -> None:
        """Keep what the answer says."""
        super().__init__(message)
        self.status = status
        self.payload = {"message": message, "code": code}


@dataclass(slots=True)
class Change:
    """One item of a batch."""

    operation: str
    access_id: str
    email: str
    start: datetime | None = None
    end: datetime | None = None
    status: str = "pending"
    error: tuple[str, str] | None = None
    key: dict[str, Any] | None = None  # the key it made or removed, as rendered


@dataclass(slots=True)
class StoredBatch:
    """A set of changes that completes together."""

    id: str
    created_at: datetime
    due: datetime | None  # None: never completes
    changes: list[Change]
    fail: bool = False
    status: str = "pending"
    completed_at: datetime | None = None


@dataclass(slots=True)
class BatchRunner:
    """Checks key changes, keeps their batches and completes them on time."""

    store: KeyStore
    clock: Clock
    time_scale: float = 1.0
    on_complete: BatchListener | None = None
    batch_delay: float = DEFAULT_BATCH_DELAY
    batches: dict[str, StoredBatch] = field(default_factory=dict)
    _faults: deque[str] = field(default_factory=deque)
    _timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)

    def inject_fault(self, kind: str, count: int = 1) -> int:
        """Make the next ``count`` batches fail or never complete; how many armed."""
        if kind not in BATCH_FAULTS:
            raise ValueError(f"unknown batch fault {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self._faults.extend([kind] * count)
        return len(self._faults)

    def submit(self, body: Any) -> StoredBatch:
        """Check a ``POST /access-keys`` body and make its pending batch."""
        if not isinstance(body, dict):
            raise RequestRefused(400, "body must be a JSON object", "INVALID_BODY")
        changes: list[Change] = []
        for operation in ("insert", "delete"):
            items = body.get(operation)
            if items is None:
                continue
            if not isinstance(items, list) or not items:
                raise RequestRefused(
                    400, f"{operation} must be a non-empty list", "INVALID_BODY"
                )
            changes.extend(self._change(operation, item) for item in items)
        if not changes:
            raise RequestRefused(400, "nothing to insert or delete", "INVALID_BODY")
        fault = self._faults.popleft() if self._faults else None
        now = self.clock()
        batch = StoredBatch(
            id=self.store.next_id("bat"),
            created_at=now,
            due=None
            if fault == "never_complete"
            else now + timedelta(seconds=self.batch_delay),
            changes=changes,
            fail=fault == "fail",
        )
        self.batches[batch.id] = batch
        self._schedule(batch)
        return batch

    def _change(self, operation: str, item: Any) -> Change:
        """One item, or the refusal of the whole request."""
        access = item.get("access") if isinstance(item, dict) else None
        user = item.get("user") if isinstance(item, dict) else None
        if not isinstance(access, dict) or not isinstance(user, dict):
            raise RequestRefused(
                400, "each item needs an access and a user", "INVALID_BODY"
            )
        email = user.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise RequestRefused(400, "user.email must be an e-mail", "INVALID_BODY")
        start, end = (
            (_date(item.get("startDate")), _date(item.get("expirationDate")))
            if operation == "insert"
            else (None, None)
        )
        access_id = self.store.find_access(access)
        if access_id is None:
            raise RequestRefused(404, "Access not found", "ACCESS_NOT_FOUND")
        if not self.store.api_enabled(access_id):
            raise RequestRefused(
                403, "Access is not enabled for API use", "ACCESS_NOT_ALLOWED"
            )
        if start is not None and end is not None and end <= start:
            raise RequestRefused(
                422, "expirationDate must be after startDate", "INVALID_DATE_RANGE"
            )
        return Change(operation, access_id, email.strip(), start, end)

    def settle(self) -> list[StoredBatch]:
        """Complete every pending batch that is due; returns those."""
        now = self.clock()
        due = [
            batch
            for batch in self.batches.values()
            if batch.status == "pending" and batch.due is not None and batch.due <= now
        ]
        for batch in due:
            self.complete(batch)
        return due

    def complete(self, batch: StoredBatch) -> None:
        """Run a batch's items now and tell the listener."""
        batch.completed_at = self.clock()
        if batch.fail:
            batch.status = "failed"
            for change in batch.changes:
                change.status = "failed"
                change.error = ("INTERNAL_ERROR", "The batch could not be processed")
        else:
            batch.status = "completed"
            for change in batch.changes:
                self._run(change)
        if self.on_complete is not None:
            self.on_complete(self.render(batch))

    def _run(self, change: Change) -> None:
        store = self.store
        user_id = store.user_by_email(change.email)
        if change.operation == "insert":
            if user_id is None:
                change.status = "failed"
                change.error = ("USER_NOT_FOUND", "No user with that e-mail")
                return
            change.key = store.add_key(
                change.access_id, user_id, change.start, change.end
            )
        else:
            key = store.holding(change.access_id, user_id) if user_id else None
            if key is None:
                change.status = "failed"
                change.error = ("NOT_FOUND", "No such key")
                return
            change.key = store.remove_key(key.id)
        change.status = "succeeded"

    def render(self, batch: StoredBatch) -> dict[str, Any]:
        """A batch as ``GET /batches/{id}`` (and its webhook) shows it."""
        return {
            "id": batch.id,
            "type": "accessKeys",
            "status": batch.status,
            "createdAt": iso(batch.created_at),
            "completedAt": iso(batch.completed_at) if batch.completed_at else None,
            "items": [self._render_change(change) for change in batch.changes],
        }

    def _render_change(self, change: Change) -> dict[str, Any]:
        item: dict[str, Any] = {
            "operation": change.operation,
            "status": change.status,
            "access": self.store.access_ref(change.access_id),
            "user": {"email": change.email},
        }
        if change.operation == "insert":
            item["startDate"] = iso(change.start) if change.start else None
            item["expirationDate"] = iso(change.end) if change.end else None
        if change.error is not None:
            item["error"] = {"code": change.error[0], "message": change.error[1]}
        return item

    def _schedule(self, batch: StoredBatch) -> None:
        """Complete ``batch`` on time without waiting for someone to ask.

        Waits ``batch_delay * time_scale`` real seconds, then again for as long
        as the simulator's clock says it is not due (a fake clock in a test).
        With ``time_scale`` 0 a batch that is not due at once completes only
        on a request or ``settle``.
        """
        if batch.due is None:
            return
        remaining = max((batch.due - self.clock()).total_seconds(), 0.0)
        self._timers[batch.id] = asyncio.get_running_loop().call_later(
            remaining * self.time_scale, self._on_timer, batch
        )

    def _on_timer(self, batch: StoredBatch) -> None:
        del self._timers[batch.id]
        self.settle()
        if batch.status == "pending" and self.time_scale > 0:
            self._schedule(batch)

    def close(self) -> None:
        """Cancel every pending completion timer."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()


def _date(value: Any) -> datetime | None:
    """An optional ISO-8601 date of a request item; refuses anything else."""
    if value is None:
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return parse_iso(value)
    raise RequestRefused(
        400, "startDate and expirationDate must be ISO-8601 dates", "INVALID_DATE"
    )
