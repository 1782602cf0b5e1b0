"""What survives a restart: one ``Store`` per entry, in named sections.

Each part of the integration owns its section and its format (the poll
position, the doors, the webhook, ...); this module only knows the file.
A damaged or missing section reads as ``None`` and its owner starts fresh.

Layout (version 1): ``poller``, ``place``, ``doors``, ``last_webhook``; from
1.2 on ``people`` and ``daily_unlocks``; from 1.3 on ``seen`` (the handed-on
log ids, until then inside ``poller``), ``recent_unlocks`` and ``keys``
(sections only add, so they need no migration). The file goes with the entry.
"""

from __future__ import annotations

from collections.abc import Callable
import inspect
import threading
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util.async_ import run_callback_threadsafe

from .const import DOMAIN

STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 3
# Writes are batched: a burst of unlocks costs one write.
SAVE_DELAY = 1.0

type SectionDump = Callable[[], Any]

# Newer releases can write the JSON in the executor instead of the event loop;
# the data function then runs there too (2025.4 always calls it there).
_OFF_LOOP: dict[str, Any] = (
    {"serialize_in_event_loop": False}
    if "serialize_in_event_loop" in inspect.signature(Store.__init__).parameters
    else {}
)


class _VersionedStore(Store[dict[str, Any]]):
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> dict[str, Any]:
        if not isinstance(old_data, dict):
            return {}  # damaged: every owner starts fresh
        # 1.1 -> 1.2 only added sections. 1.3 gave the seen ids a section of
        # their own, so their one owner (delivery) restores and saves them.
        poller = old_data.get("poller")
        if old_minor_version < 3 and isinstance(poller, dict) and "seen" in poller:
            old_data = {
                **old_data,
                "poller": {k: v for k, v in poller.items() if k != "seen"},
                "seen": poller["seen"],
            }
        return old_data


def _store_of(hass: HomeAssistant, entry_id: str) -> _VersionedStore:
    return _VersionedStore(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry_id}",
        minor_version=STORAGE_MINOR_VERSION,
        **_OFF_LOOP,
    )


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the file of a removed entry."""
    await _store_of(hass, entry_id).async_remove()


class ParakeyStore:
    """The entry's stored state, read once at setup and written in batches."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing is read until ``async_load``."""
        self._hass = hass
        self._store = _store_of(hass, entry_id)
        self._due: float | None = None
        self._loaded: dict[str, Any] = {}
        self._sections: dict[str, SectionDump] = {}

    async def async_load(self) -> None:
        """Read the file (Home Assistant moves a corrupt one aside)."""
        stored = await self._store.async_load()
        self._loaded = stored if isinstance(stored, dict) else {}

    def section(self, name: str) -> Any:
        """The stored value of a section, or None."""
        return self._loaded.get(name)

    @callback
    def async_add_section(self, name: str, dump: SectionDump) -> None:
        """Write ``dump()`` under ``name`` with every save."""
        self._sections[name] = dump

    @callback
    def async_schedule_save(self, delay: float = SAVE_DELAY) -> None:
        """Save within ``delay``; calls meanwhile make one write.

        A sooner save that is already due stays due: Home Assistant's own
        delayed save would move it back to the latest call's delay, and a
        delivery asks for "now" while its listeners ask for "in a second".
        """
        when = self._hass.loop.time() + delay
        if self._due is not None and when >= self._due:
            return  # the pending write comes sooner, and writes what is current
        self._due = when
        self._store.async_delay_save(self._data, delay)

    async def async_save(self) -> None:
        """Save now (unload and shutdown)."""
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        """What is written, as it is now, taken in the event loop.

        The Store may ask from the executor thread that writes the file; the
        sections change in the loop, so the snapshot is taken there (each dump
        returns copies, which the thread then serialises undisturbed).
        """
        if threading.get_ident() == self._hass.loop_thread_id:
            return self._snapshot()
        return run_callback_threadsafe(self._hass.loop, self._snapshot).result()

    @callback
    def _snapshot(self) -> dict[str, Any]:
        """Every section's dump; no write is pending after this."""
        self._due = None
        return {name: dump() for name, dump in self._sections.items()}
