"""Typed views of Parakey's keys (Accesses), key holders and batches.

Nothing of this is documented beyond a public 2022 client and the help
articles (see ``parakey-api.md``), so the parsers follow ``models.py``: either
naming of a field, nested objects or bare ids, statuses in any case, and
"fewer details" rather than an exception.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

from .models import _ref, _text, format_datetime, parse_datetime, parse_list

# Statuses are compared after ``_status`` folded case and separators.
BATCH_FAILED: Final = frozenset(
    {
        "failed",
        "failure",
        "error",
        "errored",
        "partially_failed",
        "partial_failure",
        "cancelled",
        "canceled",
        "aborted",
        "partially_completed",
    }
)
BATCH_DONE: Final = BATCH_FAILED | frozenset(
    {
        "completed",
        "complete",
        "done",
        "finished",
        "succeeded",
        "success",
        "successful",
        "processed",
    }
)
BATCH_PENDING: Final = frozenset(
    {
        "pending",
        "queued",
        "created",
        "processing",
        "in_progress",
        "running",
        "started",
        "waiting",
        "scheduled",
    }
)
ITEM_OK: Final = frozenset(
    {
        "succeeded",
        "success",
        "successful",
        "completed",
        "complete",
        "done",
        "ok",
        "inserted",
        "deleted",
        "processed",
    }
)
ITEM_FAILED: Final = frozenset(
    {"failed", "failure", "error", "errored", "rejected", "cancelled", "canceled"}
)
_API_ENABLED_KEYS: Final = (
    "apiEnabled",
    "allowApi",
    "allowedForApi",
    "isApiEnabled",
    "apiAccess",
    "api_enabled",
)
_START_KEYS: Final = ("startDate", "validFrom", "startsAt", "start")
_END_KEYS: Final = ("expirationDate", "validTo", "endDate", "expiresAt", "end")


def _status(value: Any) -> str | None:
    """Fold case and separators: ``In-Progress`` -> ``in_progress``."""
    text = _text(value)
    if text is None:
        return None
    return text.lower().replace("-", "_").replace(" ", "_")


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of ``keys`` that is present and not None."""
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def _alias(data: dict[str, Any]) -> str | None:
    return _text(_first(data, ("aliasId", "alias_id", "alias")))


def _access_ref(data: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """``(id, name, alias id)`` of the Access an object names."""
    access_id, name, nested = _ref(data, ("access",), ("accessId",))
    alias = _alias(nested) or _text(data.get("accessAliasId"))
    return access_id, name, alias


def _user_ref(data: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """``(id, name, e-mail)`` of the person an object names."""
    user_id, name, nested = _ref(data, ("user", "member"), ("userId", "memberId"))
    email = _text(nested.get("email")) or _text(
        _first(data, ("email", "userEmail", "user_email"))
    )
    return user_id, name, email


@dataclass(frozen=True, slots=True)
class Access:
    """A Parakey Access, which My Parakey calls a key: a set of locks and rules."""

    id: str
    name: str | None = None
    alias_id: str | None = None
    # None: Parakey did not say whether "Allow to be used with API" is ticked.
    api_enabled: bool | None = None

    @classmethod
    def from_api(cls, data: Any) -> Access | None:
        """Parse one item of ``/accesses``; None when it has no id."""
        if not isinstance(data, dict) or (access_id := _text(data.get("id"))) is None:
            return None
        enabled = _first(data, _API_ENABLED_KEYS)
        return cls(
            id=access_id,
            name=_text(data.get("name")),
            alias_id=_alias(data),
            api_enabled=enabled if isinstance(enabled, bool) else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Access | None:
        """Restore what ``as_dict`` wrote; tolerant like every parser here."""
        return cls.from_api(data)


@dataclass(frozen=True, slots=True)
class AccessKey:
    """A person holding an Access, optionally only from ``start`` to ``end``."""

    id: str | None = None
    access_id: str | None = None
    access_name: str | None = None
    access_alias_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    user_email: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def from_api(cls, data: Any) -> AccessKey | None:
        """Parse one item of ``/access-keys``.

        None when it names no Access or no person: such a key says nothing
        anyone could act on.
        """
        if not isinstance(data, dict):
            return None
        access_id, access_name, alias = _access_ref(data)
        user_id, user_name, email = _user_ref(data)
        if (access_id is None and alias is None) or (user_id is None and email is None):
            return None
        return cls(
            id=_text(data.get("id")),
            access_id=access_id,
            access_name=access_name,
            access_alias_id=alias,
            user_id=user_id,
            user_name=user_name,
            user_email=email,
            start=parse_datetime(_first(data, _START_KEYS)),
            end=parse_datetime(_first(data, _END_KEYS)),
        )

    @property
    def time_limited(self) -> bool:
        """Whether the key has a start or an end (a calendar can show it)."""
        return self.start is not None or self.end is not None

    def valid_at(self, moment: datetime) -> bool:
        """Whether the key opens at ``moment``; the end is exclusive."""
        return (self.start is None or self.start <= moment) and (
            self.end is None or moment < self.end
        )

    def as_dict(self) -> dict[str, Any]:
        """Serialise with ISO timestamps, for storage, diagnostics and actions."""
        data = asdict(self)
        data["start"] = format_datetime(self.start) if self.start else None
        data["end"] = format_datetime(self.end) if self.end else None
        return data

    @classmethod
    def from_dict(cls, data: Any) -> AccessKey | None:
        """Restore what ``as_dict`` wrote; None when it names no Access or no person."""
        if not isinstance(data, dict):
            return None
        names = (
            "id", "access_id", "access_name", "access_alias_id",
            "user_id", "user_name", "user_email",
        )  # fmt: skip
        texts = {name: _text(data.get(name)) for name in names}
        if (texts["access_id"] is None and texts["access_alias_id"] is None) or (
            texts["user_id"] is None and texts["user_email"] is None
        ):
            return None
        return cls(
            **texts,
            start=parse_datetime(data.get("start")),
            end=parse_datetime(data.get("end")),
        )


@dataclass(frozen=True, slots=True)
class BatchItem:
    """The result of one change (one grant or one revoke) inside a batch."""

    status: str | None = None
    operation: str | None = None
    email: str | None = None
    user_id: str | None = None
    access_id: str | None = None
    access_alias_id: str | None = None
    access_name: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> BatchItem | None:
        """Parse one item of a batch; None when it is not an object."""
        if not isinstance(data, dict):
            return None
        access_id, access_name, alias = _access_ref(data)
        user_id, _, email = _user_ref(data)
        error = data.get("error")
        code: str | None = None
        message: str | None = None
        if isinstance(error, dict):
            code = _text(_first(error, ("code", "errorCode", "type")))
            message = _text(_first(error, ("message", "reason", "detail")))
        elif error is not None and error is not False:
            message = _text(error)
        code = code or _text(_first(data, ("errorCode", "code")))
        message = message or _text(_first(data, ("errorMessage", "message", "reason")))
        status = _status(_first(data, ("status", "state", "result")))
        if status is None and (code or message):
            # No status but an error: nothing else can mean that.
            status = "failed"
        return cls(
            status=status,
            operation=_status(_first(data, ("operation", "type", "action"))),
            email=email,
            user_id=user_id,
            access_id=access_id,
            access_alias_id=alias,
            access_name=access_name,
            error_code=code,
            error_message=message,
        )

    @property
    def failed(self) -> bool:
        """Whether this change did not happen."""
        return self.status in ITEM_FAILED

    @property
    def succeeded(self) -> bool:
        """Whether this change happened."""
        return self.status in ITEM_OK

    @property
    def done(self) -> bool:
        """Whether this change has an outcome, good or bad."""
        return self.failed or self.succeeded

    def as_dict(self) -> dict[str, Any]:
        """Serialise, e.g. as an action's response."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Batch:
    """A set of changes Parakey runs together, with one result per item."""

    id: str | None = None
    status: str | None = None
    items: tuple[BatchItem, ...] = ()
    created_at: datetime | None = None
    completed_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Any) -> Batch | None:
        """Parse ``GET /batches/{id}`` (or a "Batch completed" webhook body)."""
        if not isinstance(data, dict):
            return None
        raw_items = _first(data, ("items", "results"))
        items = tuple(
            item
            for raw in (raw_items if isinstance(raw_items, list) else ())
            if (item := BatchItem.from_api(raw)) is not None
        )
        return cls(
            id=_text(data.get("id")) or _text(data.get("batchId")),
            status=_status(_first(data, ("status", "state"))),
            items=items,
            created_at=parse_datetime(data.get("createdAt")),
            completed_at=parse_datetime(
                _first(data, ("completedAt", "finishedAt", "doneAt"))
            ),
        )

    @property
    def done(self) -> bool:
        """Whether every item has an outcome.

        The batch's own status decides when it is a known one; an unknown or
        missing status falls back on the items, so a renamed status does not
        make a finished batch look pending forever.
        """
        if self.status in BATCH_DONE:
            return True
        if self.status in BATCH_PENDING:
            return False
        return bool(self.items) and all(item.done for item in self.items)

    @property
    def failed(self) -> bool:
        """Whether the batch failed or any of its items did."""
        return self.status in BATCH_FAILED or any(item.failed for item in self.items)

    @property
    def failed_items(self) -> tuple[BatchItem, ...]:
        """The items whose change did not happen."""
        return tuple(item for item in self.items if item.failed)

    def as_dict(self) -> dict[str, Any]:
        """Serialise, e.g. as an action's response: ``{"status", "items", ...}``."""
        return {
            "id": self.id,
            "status": self.status,
            "done": self.done,
            "failed": self.failed,
            "items": [item.as_dict() for item in self.items],
            "created_at": format_datetime(self.created_at) if self.created_at else None,
            "completed_at": format_datetime(self.completed_at)
            if self.completed_at
            else None,
        }


def parse_access_keys(data: Any) -> tuple[list[AccessKey], int] | None:
    """The usable keys of a list answer and how many items it had; None if no list."""
    items = parse_list(data)
    if items is None:
        return None
    return [key for item in items if (key := AccessKey.from_api(item))], len(items)
