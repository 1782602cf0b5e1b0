"""Is the webhook delivering? The time of the last push, and what pushes missed.

A log that a poll finds, and that no push brought within a grace period,
was missed by the webhook; a few of those raise a repair issue, which the
next push clears.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .api import format_datetime, parse_datetime
from .const import SOURCE_POLL, WEBHOOK_MISSED_GRACE, WEBHOOK_MISSED_THRESHOLD
from .issues import async_update_not_delivering_issue
from .listeners import Listeners
from .storage import ParakeyStore
from .unlock import Unlock


class WebhookMonitor:
    """Watches the deliveries of one entry while its webhook is switched on."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, store: ParakeyStore
    ) -> None:
        """Restore the time of the last push."""
        self._hass = hass
        self._entry = entry
        self._store = store
        self.last_call: datetime | None = parse_datetime(store.section("last_webhook"))
        self._missed = 0
        self._listeners: Listeners[[]] = Listeners()
        store.async_add_section("last_webhook", self._dump)

    def _dump(self) -> Any:
        return format_datetime(self.last_call) if self.last_call else None

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when a push arrives."""
        return self._listeners.add(listener)

    @callback
    def async_note_call(self) -> None:
        """A call passed authentication."""
        self.last_call = dt_util.utcnow()
        self._store.async_schedule_save()
        self._listeners.notify()

    @callback
    def async_reset(self) -> None:
        """Forget the missed pushes (the webhook was switched off)."""
        self._missed = 0

    @callback
    def async_on_unlock(self, unlock: Unlock) -> None:
        """Count polled logs old enough that a push should have brought them."""
        if unlock.source != SOURCE_POLL:
            if self._missed:
                self._missed = 0
                async_update_not_delivering_issue(self._hass, self._entry, None)
            return
        if unlock.log.created_at >= dt_util.utcnow() - WEBHOOK_MISSED_GRACE:
            return  # the push may still be on its way
        self._missed += 1
        if self._missed >= WEBHOOK_MISSED_THRESHOLD:
            async_update_not_delivering_issue(self._hass, self._entry, self._missed)
