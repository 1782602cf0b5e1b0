"""Guest keys: who holds which key, and giving or taking one from Home Assistant.

``KeyDirectory`` keeps the place's keys (AccessKeys) fresh the cheap way, an
ETag request every two hours that Parakey answers ``304`` while nothing
changed, and at once after every change made from here. What it last listed
is stored: after a restart the calendar shows the same keys at once, and the
first request is a ``304``. It makes those
changes too: a grant or a revoke runs as a Parakey *batch*, followed until
it is done by polling ``GET /batches/{id}`` and, sooner, by the "Batch
completed" webhook when Parakey sends one.

An integration may only manage the keys an administrator marked "Allow to be
used with API" in My Parakey; Parakey answers ``403`` for the others.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    Access,
    AccessKey,
    Batch,
    ParakeyBatchTimeoutError,
    ParakeyClient,
    ParakeyError,
    ParakeyKeyNotAllowedError,
    ParakeyNotFoundError,
    ParakeyRateLimitedError,
    ParakeyValidationError,
)
from .const import DOMAIN, LOGGER
from .doors import DoorDirectory
from .failures import translated
from .storage import ParakeyStore

if TYPE_CHECKING:
    from .data import ParakeyConfigEntry

# Keys change in My Parakey rarely (shown within two hours); changes made here
# refresh at once.
KEYS_INTERVAL: Final = timedelta(hours=2)
# How long an action waits for Parakey to finish a change.
BATCH_WAIT: Final = 30.0
SECTION = "keys"


@dataclass(frozen=True, slots=True)
class KeyList:
    """The keys of the place, and the Accesses (keys) known by name."""

    keys: tuple[AccessKey, ...] = ()
    accesses: tuple[Access, ...] = ()
    # Parakey refused to list keys: no Access is enabled for the API.
    not_allowed: bool = False
    etag: str | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "keys": [key.as_dict() for key in self.keys],
            "accesses": [access.as_dict() for access in self.accesses],
            "not_allowed": self.not_allowed,
            "etag": self.etag,
        }

    @classmethod
    def from_dict(cls, data: Any) -> KeyList:
        """Restore ``as_dict``; damaged parts are dropped (nothing known: empty)."""
        if not isinstance(data, dict):
            return cls()

        def items(name: str) -> list[Any]:
            value = data.get(name)
            return value if isinstance(value, list) else []

        keys = tuple(k for raw in items("keys") if (k := AccessKey.from_dict(raw)))
        accesses = tuple(a for raw in items("accesses") if (a := Access.from_dict(raw)))
        etag = data.get("etag")
        return cls(
            keys=keys,
            accesses=accesses,
            not_allowed=data.get("not_allowed") is True,
            etag=etag if isinstance(etag, str) else None,
        )


def _accesses_of(
    keys: tuple[AccessKey, ...], listed: list[Access] | None
) -> tuple[Access, ...]:
    """The Accesses Parakey lists, else those the keys name."""
    if listed is not None:
        return tuple(listed)
    seen: dict[str, Access] = {}
    for key in keys:
        if key.access_id and key.access_id not in seen:
            seen[key.access_id] = Access(
                id=key.access_id, name=key.access_name, alias_id=key.access_alias_id
            )
    return tuple(seen.values())


class KeyDirectory(DataUpdateCoordinator[KeyList]):
    """The place's keys, and the changes Home Assistant makes to them."""

    config_entry: ParakeyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ParakeyConfigEntry,
        client: ParakeyClient,
        doors: DoorDirectory,
        store: ParakeyStore,
    ) -> None:
        """Restore what was last listed; nothing is asked yet."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title} keys",
            update_interval=KEYS_INTERVAL,
            always_update=False,
        )
        self._client = client
        self._doors = doors
        self._listed: list[Access] | None = None
        self._accesses_asked = False
        self._pushed = asyncio.Event()
        self._store = store
        self.data = KeyList.from_dict(store.section(SECTION))
        # Built when the list changes, not at each save of the entry's store.
        self._stored = self.data.as_dict()
        store.async_add_section(SECTION, lambda: self._stored)

    async def _async_update_data(self) -> KeyList:
        place = self._doors.place
        if place is None:
            return self.data  # no place known yet: nothing to ask for
        current = self.data
        try:
            if not self._accesses_asked:
                self._listed = await self._client.keys.list_accesses()
                self._accesses_asked = True
            page = await self._client.keys.list_access_keys(place.id, etag=current.etag)
        except ParakeyKeyNotAllowedError:
            return self._keep(KeyList(not_allowed=True))
        except ParakeyRateLimitedError:
            return current  # keys can wait; polling for unlocks has backed off
        except ParakeyError as err:
            raise translated(err, self.config_entry.title, UpdateFailed) from err
        if page.not_modified:
            return current
        return self._keep(
            KeyList(
                keys=page.keys,
                accesses=_accesses_of(page.keys, self._listed),
                etag=page.etag,
            )
        )

    def _keep(self, keys: KeyList) -> KeyList:
        """Store a list that differs from what is stored."""
        stored = keys.as_dict()
        if stored != self._stored:
            self._stored = stored
            self._store.async_schedule_save()
        return keys

    # ----- changes -----

    def access_named(self, text: str) -> Access:
        """The Access ``text`` names: its name, its id or its alias id.

        One Home Assistant has not seen (no key holds it yet, and Parakey
        lists no Accesses) is passed on as an id: Parakey says if it is none.
        """
        wanted = text.strip().casefold()
        for access in self.data.accesses:
            if wanted in {
                access.id.casefold(),
                (access.alias_id or "").casefold(),
                (access.name or "").casefold(),
            }:
                return access
        return Access(id=text.strip())

    async def async_grant(
        self,
        access: Access,
        email: str,
        start: datetime | None,
        end: datetime | None,
    ) -> Batch:
        """Give ``email`` the key ``access`` from ``start`` to ``end``; wait for it."""
        try:
            batch = await self._client.keys.grant_key(access, email, start, end)
        except ParakeyError as err:
            raise self._key_error(err, access) from err
        return await self._async_finish(batch, access)

    async def async_revoke(self, access: Access, email: str) -> Batch:
        """Take the key ``access`` from ``email``; wait for it."""
        try:
            batch = await self._client.keys.revoke_key(access, email)
        except ParakeyError as err:
            raise self._key_error(err, access) from err
        return await self._async_finish(batch, access)

    @callback
    def async_on_batch_pushed(self, batch: Batch) -> None:
        """A "Batch completed" webhook arrived: waiting changes look again now."""
        LOGGER.debug("Batch %s completed (pushed)", batch.id)
        self._pushed.set()

    async def _async_sleep_until_push(self, seconds: float) -> None:
        """Sleep between batch polls, or less when Parakey pushes a completion."""
        self._pushed.clear()
        try:
            async with asyncio.timeout(seconds):
                await self._pushed.wait()
        except TimeoutError:
            pass

    async def _async_finish(self, batch: Batch, access: Access) -> Batch:
        try:
            done = await self._client.keys.wait_for_batch(
                batch, max_wait=BATCH_WAIT, sleep=self._async_sleep_until_push
            )
        except ParakeyError as err:
            raise self._key_error(err, access) from err
        finally:
            # Whatever happened, what Home Assistant shows must be Parakey's.
            await self.async_refresh()
        return done

    def _key_error(self, err: ParakeyError, access: Access) -> HomeAssistantError:
        """What a failed change tells the user: what to do about it."""
        name = access.name or access.alias_id or access.id or ""
        if isinstance(err, ParakeyKeyNotAllowedError):
            key, placeholders = "key_not_allowed", {"access": name}
        elif isinstance(err, ParakeyNotFoundError):
            key, placeholders = (
                "key_not_found",
                {"access": name, "known": self._known()},
            )
        elif isinstance(err, ParakeyValidationError):
            key, placeholders = "key_refused", {"reason": err.reason or str(err)}
        elif isinstance(err, ParakeyBatchTimeoutError):
            # Accepted, not finished: it may still happen; say so, not "failed".
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="batch_pending",
                translation_placeholders={"batch": str(err.batch.id)},
            )
        else:
            return translated(err, self.config_entry.title, HomeAssistantError)
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    def _known(self) -> str:
        return ", ".join(sorted(a.name or a.id for a in self.data.accesses)) or "-"
