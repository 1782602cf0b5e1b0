"""Logs and locks Home Assistant cannot read: said once, shaped for a bug report.

Parakey's API reference is not public: apart from ``id``, ``createdAt`` and
``timestamp`` every field of an event log is an educated guess. When a real
place answers in a way the guesses miss (another API version, renamed
fields), unlocks still arrive, with fewer details; this says so, once per
start, in a repair issue that asks for the diagnostics, and keeps the shape
of the last such answer (key names and value types, no values) for them.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .api import ParakeyClient
from .issues import async_report_unreadable
from .texts import text
from .unlock import Unlock


class FirstContact:
    """Counts what could not be read, and tells the user the first time."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, client: ParakeyClient
    ) -> None:
        """Nothing is unreadable yet."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self.unreadable_logs = 0
        self.missing: set[str] = set()
        self.last_log_shape: Any = None
        self._told: set[str] = set()

    @callback
    def async_on_unlock(self, unlock: Unlock) -> None:
        """Note a log whose door or user could not be found."""
        log = unlock.log
        if not log.unreadable:
            return
        self.unreadable_logs += 1
        self.missing.update(log.unreadable)
        self.last_log_shape = log.shape
        self._tell("logs", self.missing)

    @callback
    def async_check_doors(self) -> None:
        """After discovery: say so if Parakey listed locks that had no readable id."""
        if self._client.unreadable_door_shape is not None:
            self._tell("doors", {"id"})

    @callback
    def _tell(self, what: str, missing: set[str]) -> None:
        if what not in self._told:
            self._told.add(what)
            # The fields by their names in the server's language: door, user.
            named = ", ".join(
                text(self._hass, f"field_{field}") for field in sorted(missing)
            )
            async_report_unreadable(self._hass, self._entry, what, named)

    def as_diagnostics(self) -> dict[str, Any]:
        """What support needs: counts, what was missing, and shapes."""
        return {
            "unreadable_logs": self.unreadable_logs,
            "missing": sorted(self.missing),
            "last_unreadable_log_shape": self.last_log_shape,
            "unreadable_door_shape": self._client.unreadable_door_shape,
        }
