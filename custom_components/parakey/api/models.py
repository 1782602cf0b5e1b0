"""Typed views of Parakey's JSON.

The API reference is not public and has changed names over time, so every
parser here is tolerant: it accepts either naming of a field, nested objects
or bare ids, and missing or extra keys. What cannot be understood becomes
``None`` ("fewer details"), never an exception. Only a log without an ``id`` or
a usable ``createdAt`` is dropped, because it could be neither de-duplicated
nor ordered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
import logging
from typing import Any

_LOGGER = logging.getLogger(__name__)

# Parakey ids and names are short; anything longer is garbage we refuse to carry.
_MAX_TEXT = 256
# Every name a log's user has been seen under, as an object or a bare id.
_USER_KEYS = ("user", "member", "userId", "memberId")


def parse_datetime(value: Any) -> datetime | None:
    """Parse an ISO-8601 timestamp into an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # The API speaks UTC; a naive value is read as UTC rather than local time.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Format a datetime the way Parakey does: UTC, milliseconds, ``Z``."""
    return (
        value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _text(value: Any) -> str | None:
    """Return a usable id or name: a non-empty, not absurdly long string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= _MAX_TEXT:
        return value.strip()
    return None


def _ref(
    data: dict[str, Any], object_keys: tuple[str, ...], id_keys: tuple[str, ...]
) -> tuple[str | None, str | None, dict[str, Any]]:
    """Read a reference given as a nested object or as a bare id.

    Returns ``(id, name, the nested object or {})``.
    """
    for key in object_keys:
        nested = data.get(key)
        if isinstance(nested, dict):
            ref_id = _text(nested.get("id"))
            if ref_id is None:
                for id_key in id_keys:
                    ref_id = _text(data.get(id_key))
                    if ref_id is not None:
                        break
            return ref_id, _text(nested.get("name")), nested
        if nested is not None and (bare := _text(nested)) is not None:
            return bare, None, {}
    for id_key in id_keys:
        ref_id = _text(data.get(id_key))
        if ref_id is not None:
            return ref_id, None, {}
    return None, None, {}


# Deep enough to show how a log is built, shallow enough to stay small.
_SHAPE_DEPTH = 3
_SHAPE_KEYS = 40


def shape_of(value: Any, depth: int = _SHAPE_DEPTH) -> Any:
    """What ``value`` looks like without what it says: key names and value types.

    For a support request about an API answer Home Assistant could not read:
    ``{"id": "str", "lock": {"id": "str", "name": "str"}, "when": "int"}``.
    No value (no name, no e-mail, no id) survives.
    """
    if isinstance(value, dict):
        if depth <= 0:
            return "object"
        return {
            str(key)[:64]: shape_of(item, depth - 1)
            for key, item in list(value.items())[:_SHAPE_KEYS]
        }
    if isinstance(value, list):
        if depth <= 0 or not value:
            return "list"
        return [shape_of(value[0], depth - 1)]
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True, slots=True)
class Place:
    """A Parakey domain: an office, building or home."""

    id: str
    name: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> Place | None:
        """Parse one item of ``/domains``; None when it has no id."""
        if not isinstance(data, dict) or (place_id := _text(data.get("id"))) is None:
            return None
        return cls(id=place_id, name=_text(data.get("name")))


@dataclass(frozen=True, slots=True)
class Door:
    """A Parakey device (older API: event configuration): one lock."""

    id: str
    name: str | None = None
    place_id: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> Door | None:
        """Parse one item of ``/devices`` or ``/eventConfigurations``."""
        if not isinstance(data, dict) or (door_id := _text(data.get("id"))) is None:
            return None
        place_id, _, _ = _ref(data, ("domain",), ("domainId",))
        return cls(id=door_id, name=_text(data.get("name")), place_id=place_id)

    def as_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Door | None:
        """Restore what ``as_dict`` wrote; tolerant like every parser here."""
        if not isinstance(data, dict):
            return None
        door = cls.from_api(data)
        if door is not None and (place_id := _text(data.get("place_id"))):
            return cls(id=door.id, name=door.name, place_id=place_id)
        return door


@dataclass(frozen=True, slots=True)
class EventLog:
    """One unlock, flattened to the fields the integration uses."""

    id: str
    created_at: datetime
    timestamp: datetime
    door_id: str | None = None
    door_name: str | None = None
    place_id: str | None = None
    place_name: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    user_email: str | None = None
    access_id: str | None = None
    access_name: str | None = None
    type: str | None = None
    # What could not be found in the log ("door", "user"), and then the log's
    # shape (keys and types, no values) for a bug report; never stored.
    unreadable: tuple[str, ...] = field(default=(), compare=False)
    shape: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Any) -> EventLog | None:
        """Parse an EventLog object; None (and a debug line) when unusable."""
        if (
            isinstance(data, dict)
            and "id" not in data
            and isinstance(wrapped := data.get("data"), dict)
        ):
            data = wrapped  # {"data": {...}}: one log in an envelope
        if not isinstance(data, dict):
            _LOGGER.debug(
                "Skipping event log that is not an object: %s", type(data).__name__
            )
            return None
        log_id = _text(data.get("id"))
        created_at = parse_datetime(data.get("createdAt"))
        if log_id is None or created_at is None:
            _LOGGER.debug(
                "Skipping event log without a usable id or createdAt (id=%r)",
                data.get("id") if isinstance(data.get("id"), str | int) else None,
            )
            return None
        # An offline lock always has a timestamp; if it is missing we only know
        # the log existed by createdAt, which is the best guess available.
        timestamp = parse_datetime(data.get("timestamp")) or created_at
        door_id, door_name, _ = _ref(
            data, ("device", "eventConfiguration"), ("deviceId", "eventConfigurationId")
        )
        place_id, place_name, _ = _ref(data, ("domain",), ("domainId",))
        user_id, user_name, user = _ref(data, _USER_KEYS[:2], _USER_KEYS[2:])
        access_id, access_name, _ = _ref(data, ("access",), ("accessId",))
        log_type = _text(data.get("type")) or _text(data.get("activity"))
        # A user erased by Parakey's retention is still named ("user": null);
        # one Home Assistant cannot find at all is another API's naming.
        unreadable = tuple(
            what
            for what, missing in (
                ("door", door_id is None),
                ("user", not any(k in data for k in _USER_KEYS)),
            )
            if missing
        )
        return cls(
            id=log_id,
            created_at=created_at,
            timestamp=timestamp,
            door_id=door_id,
            door_name=door_name,
            place_id=place_id,
            place_name=place_name,
            user_id=user_id,
            user_name=user_name,
            user_email=_text(user.get("email")),
            access_id=access_id,
            access_name=access_name,
            type=log_type,
            unreadable=unreadable,
            shape=shape_of(data) if unreadable else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """Serialise with ISO timestamps, for diagnostics."""
        data = asdict(self)
        del data["unreadable"], data["shape"]
        data["created_at"] = format_datetime(self.created_at)
        data["timestamp"] = format_datetime(self.timestamp)
        return data

    @property
    def door(self) -> Door | None:
        """The door this log names, if it names one."""
        if self.door_id is None:
            return None
        return Door(id=self.door_id, name=self.door_name, place_id=self.place_id)

    @property
    def place(self) -> Place | None:
        """The place this log names, if it names one."""
        if self.place_id is None:
            return None
        return Place(id=self.place_id, name=self.place_name)


def parse_list(data: Any) -> list[Any] | None:
    """Return the items of a list answer, bare or wrapped in ``data``/``items``."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("data", "items"):
            if isinstance(data.get(key), list):
                return list(data[key])
    return None
