"""Keys (Accesses) and key holders (AccessKeys) of the simulated place.

An Access has a name (in ``PlaceState.accesses``, which event logs render)
and, here, whether an administrator ticked "Allow to be used with API" and its
optional alias id. A person holds an Access through an AccessKey, open-ended
or for a window; one person holds one Access at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .state import PlaceState, iso


@dataclass(slots=True)
class AccessSettings:
    """What My Parakey says about one Access beyond its name."""

    api_enabled: bool = False
    alias_id: str | None = None


@dataclass(slots=True)
class StoredKey:
    """One person holding one Access, maybe only for a window."""

    id: str
    access_id: str
    user_id: str
    start: datetime | None = None
    end: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        """Whether the key opens at ``moment``; the end is exclusive."""
        return (self.start is None or self.start <= moment) and (
            self.end is None or moment < self.end
        )


@dataclass(slots=True)
class KeyStore:
    """The Accesses and AccessKeys of one place."""

    place: PlaceState
    accesses_endpoint: bool = True
    settings: dict[str, AccessSettings] = field(default_factory=dict)
    keys: dict[str, StoredKey] = field(default_factory=dict)
    _counter: int = 0

    def next_id(self, prefix: str) -> str:
        """Ids unique within this run and different between runs."""
        self._counter += 1
        return f"{prefix}_{self.place.run}{self._counter:04d}"

    def add_access(
        self,
        access_id: str,
        name: str,
        *,
        api_enabled: bool = False,
        alias_id: str | None = None,
    ) -> dict[str, Any]:
        """Add (or change) an Access; returns it as ``GET /accesses`` shows it."""
        self.place.accesses[access_id] = name
        self.settings[access_id] = AccessSettings(api_enabled, alias_id)
        return self.render_access(access_id)

    def find_access(self, ref: dict[str, Any]) -> str | None:
        """The id of the Access ``{"id": ...}`` or ``{"aliasId": ...}`` names."""
        access_id, alias = ref.get("id"), ref.get("aliasId")
        if isinstance(access_id, str) and access_id in self.place.accesses:
            return access_id
        if not isinstance(alias, str):
            return None
        return next(
            (
                known
                for known, settings in self.settings.items()
                if settings.alias_id == alias and known in self.place.accesses
            ),
            None,
        )

    def api_enabled(self, access_id: str) -> bool:
        """Whether the API may manage this Access."""
        return self.settings.get(access_id, AccessSettings()).api_enabled

    def render_access(self, access_id: str) -> dict[str, Any]:
        """One Access as ``GET /accesses`` shows it."""
        return {**self.access_ref(access_id), "apiEnabled": self.api_enabled(access_id)}

    def accesses_json(self) -> list[dict[str, Any]]:
        """Every Access of the place, in a stable order."""
        return [
            self.render_access(access_id) for access_id in sorted(self.place.accesses)
        ]

    def access_ref(self, access_id: str) -> dict[str, Any]:
        """An Access as keys and batch items name it."""
        data = {"id": access_id, "name": self.place.accesses[access_id]}
        if (
            alias := self.settings.get(access_id, AccessSettings()).alias_id
        ) is not None:
            data["aliasId"] = alias
        return data

    def add_key(
        self,
        access_id: str,
        user_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, Any]:
        """Give a person a key (or a new window on it); returns the key's JSON."""
        if access_id not in self.place.accesses:
            raise ValueError(f"unknown access {access_id!r}")
        if user_id not in self.place.users:
            raise ValueError(f"unknown user {user_id!r}")
        key = self.holding(access_id, user_id)
        if key is None:
            key = StoredKey(self.next_id("ak"), access_id, user_id)
            self.keys[key.id] = key
        key.start, key.end = start, end
        return self.render_key(key)

    def remove_key(self, key_id: str) -> dict[str, Any] | None:
        """Take a key away; returns its JSON, or None when there is no such key."""
        if (key := self.keys.get(key_id)) is None:
            return None
        data = self.render_key(key)
        del self.keys[key_id]
        return data

    def render_key(self, key: StoredKey) -> dict[str, Any]:
        """One AccessKey as ``GET /access-keys`` shows it."""
        name, email = self.place.users[key.user_id]
        return {
            "id": key.id,
            "domainId": self.place.place_id,
            "access": self.access_ref(key.access_id),
            "user": {"id": key.user_id, "name": name, "email": email},
            "startDate": iso(key.start) if key.start else None,
            "expirationDate": iso(key.end) if key.end else None,
        }

    def keys_json(self) -> list[dict[str, Any]]:
        """Every key of the place, in a stable order."""
        return [self.render_key(self.keys[key_id]) for key_id in sorted(self.keys)]

    def holders(self, moment: datetime) -> list[tuple[str, str]]:
        """``(user id, access id)`` of each key that opens at ``moment``."""
        return sorted(
            (key.user_id, key.access_id)
            for key in self.keys.values()
            if key.valid_at(moment)
        )

    def holding(self, access_id: str, user_id: str) -> StoredKey | None:
        """The key through which ``user_id`` holds ``access_id``, if any."""
        return next(
            (
                key
                for key in self.keys.values()
                if key.access_id == access_id and key.user_id == user_id
            ),
            None,
        )

    def user_by_email(self, email: str) -> str | None:
        """The person with this e-mail (in any case), if the place has one."""
        wanted = email.casefold()
        return next(
            (
                user_id
                for user_id, (_, address) in self.place.users.items()
                if address is not None and address.casefold() == wanted
            ),
            None,
        )
