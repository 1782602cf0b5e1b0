"""Is the webhook delivering? The last push, what pushes missed, whether to trust it.

A log that a poll finds, and that no push brought within a grace period, was
missed by the webhook: found later than the grace, it counts at once; found
sooner, it counts when the grace ends without its push. A few misses raise a
repair issue, which the next push clears.

While the webhook delivers (a push arrived, and no push was missed since),
it is *trusted*: polling may then slow down, since every unlock arrives by
push anyway. The first miss, or a URL Parakey cannot deliver to, ends the
trust at once; the next push that arrives brings it back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .api import format_datetime, parse_datetime
from .const import SOURCE_POLL, WEBHOOK_MISSED_GRACE, WEBHOOK_MISSED_THRESHOLD
from .issues import async_update_not_delivering_issue
from .listeners import Listeners
from .storage import ParakeyStore
from .unlock import Unlock

SECTION = "last_webhook"
# Graces ending within a second are looked at together: a catch-up of
# thousands of logs arms a few timers, not one per log.
CHECK_RESOLUTION = timedelta(seconds=1)


class WebhookMonitor:
    """Watches the deliveries of one entry while its webhook is switched on."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, store: ParakeyStore
    ) -> None:
        """Restore the time of the last push."""
        self._hass = hass
        self._entry = entry
        self._store = store
        self.last_call: datetime | None = parse_datetime(store.section(SECTION))
        self._missed = 0
        # Polled logs whose push may still come, and when their grace ends.
        self._awaiting: dict[str, datetime] = {}
        self._cancel_check: CALLBACK_TYPE | None = None
        self._check_at: datetime | None = None
        self._trusted = False
        self._url_ok = True
        # Logs stored before the webhook listened could not be pushed to it.
        self._watching_since = dt_util.utcnow()
        self._call_listeners: Listeners[[]] = Listeners()
        self._trust_listeners: Listeners[bool] = Listeners()
        store.async_add_section(SECTION, self._dump)

    def _dump(self) -> Any:
        return format_datetime(self.last_call) if self.last_call else None

    @property
    def trusted(self) -> bool:
        """Whether every unlock arrives by push now (polling may slow down)."""
        return self._trusted

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when a call arrives."""
        return self._call_listeners.add(listener)

    @callback
    def async_add_trust_listener(
        self, listener: Callable[[bool], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with the new trust whenever it changes."""
        return self._trust_listeners.add(listener)

    @callback
    def async_note_call(self) -> None:
        """A call passed authentication (an unlock or anything else)."""
        self.last_call = dt_util.utcnow()
        self._store.async_schedule_save()
        self._call_listeners.notify()

    @callback
    def async_note_push(self, log_id: str) -> None:
        """An unlock arrived by push: the webhook delivers."""
        self._awaiting.pop(log_id, None)
        if self._missed:
            self._missed = 0
            async_update_not_delivering_issue(self._hass, self._entry, None)
        self._set_trusted(trusted=self._url_ok)

    @callback
    def async_set_url_ok(self, ok: bool) -> None:
        """Whether Parakey can deliver to the URL at all (no URL, not HTTPS)."""
        self._url_ok = ok
        if not ok:
            self._set_trusted(trusted=False)

    @callback
    def async_start(self) -> None:
        """The webhook listens from now on: only later logs can be missed."""
        # To the second: Parakey's times have milliseconds at most.
        self._watching_since = dt_util.utcnow().replace(microsecond=0)

    @callback
    def async_reset(self) -> None:
        """Forget everything (the webhook was switched off)."""
        self._missed = 0
        self._awaiting.clear()
        self._cancel()
        self._set_trusted(trusted=False)

    @callback
    def async_on_unlock(self, unlock: Unlock) -> None:
        """Count polled logs a push should have brought by now, or will soon."""
        if unlock.source != SOURCE_POLL or unlock.log.created_at < self._watching_since:
            # Stored while Home Assistant was down (or the webhook off): Parakey
            # could not push it here, and its retries may have ended.
            return
        deadline = unlock.log.created_at + WEBHOOK_MISSED_GRACE
        if deadline <= dt_util.utcnow():
            self._miss()
            return
        # The push may still be on its way: look again when its grace ends.
        self._awaiting[unlock.log.id] = deadline
        if self._check_at is None or deadline < self._check_at:
            self._schedule_check(deadline)

    @callback
    def _schedule_check(self, earliest: datetime) -> None:
        """Look again when the earliest grace ends (rounded up to the second)."""
        self._cancel()
        whole = earliest.replace(microsecond=0)
        self._check_at = whole if whole == earliest else whole + CHECK_RESOLUTION
        self._cancel_check = async_track_point_in_utc_time(
            self._hass, self._check, self._check_at
        )

    @callback
    def _check(self, _: datetime) -> None:
        self._cancel_check = None
        self._check_at = None
        # The clock, not the planned time: a check that runs late (a busy
        # loop) counts every grace that ended meanwhile.
        now = dt_util.utcnow()
        for log_id, deadline in list(self._awaiting.items()):
            if deadline <= now:
                del self._awaiting[log_id]
                self._miss()
        if self._awaiting:
            self._schedule_check(min(self._awaiting.values()))

    @callback
    def _miss(self) -> None:
        self._missed += 1
        self._set_trusted(trusted=False)
        if self._missed >= WEBHOOK_MISSED_THRESHOLD:
            async_update_not_delivering_issue(self._hass, self._entry, self._missed)

    @callback
    def _set_trusted(self, *, trusted: bool) -> None:
        if trusted != self._trusted:
            self._trusted = trusted
            self._trust_listeners.notify(trusted)

    @callback
    def _cancel(self) -> None:
        if self._cancel_check is not None:
            self._cancel_check()
            self._cancel_check = None
        self._check_at = None
