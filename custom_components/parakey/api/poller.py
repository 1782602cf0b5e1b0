"""Parakey's ETag poll flow, made safe.

Parakey documents a two-step poll: a cheap ``limit=1`` probe with
``If-None-Match`` and, when it changed, a fetch of the logs since the last
fetch. Taken literally that recipe loses logs (see ``parakey-api.md``); this
state machine closes each gap:

* The watermark is the newest ``createdAt`` the server returned (or, at first
  start, the server's ``Date``), never the local clock, and every fetch reaches
  ``overlap`` back from it. Ids already handled (``SeenLogs``, kept by the
  caller) are left out, so the overlap costs bandwidth, never a duplicate.
* ``poll`` changes nothing. The caller hands the new logs on (and marks them
  seen) and only then calls ``commit``: a failure in between leaves the old
  ETag, so the next probe answers 200 again and the logs are fetched again.
* ``PollerState`` round-trips through JSON, so a restart resumes where it was.
* Once every ``sweep_interval`` the probe is skipped and the window fetched
  anyway, because a log written late with an older ``createdAt`` does not
  change what the probe sees.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import logging
from typing import Any, Final

from .client import ORDER_DESC, EventLogPage, ParakeyClient
from .models import EventLog, format_datetime, parse_datetime
from .seen import SeenLogs

_LOGGER = logging.getLogger(__name__)

DEFAULT_OVERLAP: Final = timedelta(minutes=5)
DEFAULT_PAGE_SIZE: Final = 100
DEFAULT_MAX_PAGES: Final = 500
DEFAULT_SWEEP_INTERVAL: Final = timedelta(hours=1)
STATE_VERSION: Final = 1


@dataclass(slots=True)
class PollerState:
    """Everything the poll flow must remember across cycles and restarts."""

    etag: str | None = None
    watermark: datetime | None = None
    last_sweep: datetime | None = None
    last_server_time: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Serialise to JSON-compatible data."""

        def fmt(value: datetime | None) -> str | None:
            return format_datetime(value) if value is not None else None

        return {
            "version": STATE_VERSION,
            "etag": self.etag,
            "watermark": fmt(self.watermark),
            "last_sweep": fmt(self.last_sweep),
            "last_server_time": fmt(self.last_server_time),
        }

    @classmethod
    def from_dict(cls, data: Any) -> PollerState:
        """Restore ``as_dict`` output; damaged parts are dropped, not raised."""
        if not isinstance(data, dict):
            return cls()
        etag = data.get("etag")
        return cls(
            etag=etag if isinstance(etag, str) else None,
            watermark=parse_datetime(data.get("watermark")),
            last_sweep=parse_datetime(data.get("last_sweep")),
            last_server_time=parse_datetime(data.get("last_server_time")),
        )


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll found; nothing of it is applied until ``commit``."""

    not_modified: bool
    etag: str | None
    watermark: datetime | None
    server_time: datetime | None
    requests: int
    logs: tuple[EventLog, ...] = ()
    # Ids known to predate the first start: to be marked seen, never handed on.
    baseline_ids: dict[str, datetime] = field(default_factory=dict)
    sweep: bool = False


class EventLogPoller:
    """Runs the poll flow against a ``ParakeyClient``."""

    def __init__(
        self,
        client: ParakeyClient,
        seen: SeenLogs,
        state: PollerState | None = None,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = DEFAULT_MAX_PAGES,
        sweep_interval: timedelta = DEFAULT_SWEEP_INTERVAL,
    ) -> None:
        """Start from ``state`` (a restored one, or empty for a first start).

        ``seen`` is read, never written: its owner marks what it handed on.
        """
        self._client = client
        self._seen = seen
        self.state = state or PollerState()
        self._overlap = overlap
        self._page_size = page_size
        self._max_pages = max_pages
        self._sweep_interval = sweep_interval

    async def poll(self) -> PollResult:
        """Run one cycle; call ``commit`` with the result once it is handled."""
        if self.state.watermark is None:
            return await self._first_poll()
        if self._sweep_due():
            return await self._fetch_window(self.state.etag, requests=0, sweep=True)
        probe = await self._client.list_event_logs(limit=1, etag=self.state.etag)
        if probe.not_modified:
            return PollResult(
                not_modified=True,
                etag=self.state.etag,
                watermark=self.state.watermark,
                server_time=probe.server_time,
                requests=1,
            )
        return await self._fetch_window(probe.etag, requests=1, sweep=False)

    def commit(self, result: PollResult) -> None:
        """Move on past ``result``: the caller handed on (and marked) its logs."""
        state = self.state
        if result.etag is not None:
            state.etag = result.etag
        if result.watermark is not None and (
            state.watermark is None or result.watermark > state.watermark
        ):
            state.watermark = result.watermark
        if result.server_time is not None:
            state.last_server_time = result.server_time
            if result.sweep or state.last_sweep is None:
                state.last_sweep = result.server_time

    async def _first_poll(self) -> PollResult:
        """Learn the ETag and a server-side baseline; hand on no history."""
        probe = await self._client.list_event_logs(limit=1)
        # The Date header has whole seconds; the newest log the probe saw is
        # exact. Whatever is not newer than either existed before the start.
        known = [log.created_at for log in probe.logs]
        if probe.server_time is not None:
            known.append(probe.server_time)
        baseline = max(known, default=None)
        if baseline is None:
            baseline = datetime.now(UTC)
            _LOGGER.debug(
                "No Date header and no log from Parakey; baseline %s", baseline
            )
        # Remember what the overlap window already holds, so the first real
        # fetch does not replay unlocks from before the integration existed.
        # Logs stored after the probe stay unseen: the stored ETag predates
        # them, so the next probe sees the change and they are handed on.
        window, requests, _ = await self._collect(baseline - self._overlap, set())
        return PollResult(
            not_modified=False,
            etag=probe.etag,
            watermark=baseline,
            server_time=probe.server_time,
            requests=1 + requests,
            baseline_ids={
                log.id: log.created_at
                for log in window.values()
                if log.created_at <= baseline
            },
        )

    async def _fetch_window(
        self, etag: str | None, *, requests: int, sweep: bool
    ) -> PollResult:
        watermark = self.state.watermark
        assert watermark is not None  # noqa: S101 - only called after the first poll
        found, fetched, server_time = await self._collect(
            watermark - self._overlap, self._seen
        )
        new = sorted(
            (log for log in found.values() if self._seen.is_new(log)),
            key=lambda log: (log.created_at, log.id),
        )
        newest = max((log.created_at for log in found.values()), default=watermark)
        return PollResult(
            not_modified=False,
            etag=etag,
            watermark=max(newest, watermark),
            server_time=server_time,
            requests=requests + fetched,
            logs=tuple(new),
            sweep=sweep,
        )

    async def _collect(
        self, start: datetime, seen: Container[str]
    ) -> tuple[dict[str, EventLog], int, datetime | None]:
        """Page through ``createdAt >= start`` newest first.

        Stops on a short page, a page that brings nothing unseen (also what a
        server that ignores ``offset`` produces), or a page that reaches past
        ``start`` (a server that ignores ``startDate``).
        """
        found: dict[str, EventLog] = {}
        requests = 0
        server_time: datetime | None = None
        for page_number in range(self._max_pages):
            page: EventLogPage = await self._client.list_event_logs(
                limit=self._page_size,
                offset=page_number * self._page_size,
                start_date=start,
                order_by=ORDER_DESC,
            )
            requests += 1
            server_time = page.server_time or server_time
            fresh = [
                log
                for log in page.logs
                if log.id not in found
                and log.id not in seen
                and log.created_at >= start
            ]
            found.update((log.id, log) for log in page.logs if log.created_at >= start)
            oldest = min((log.created_at for log in page.logs), default=None)
            if (
                page.item_count < self._page_size
                or not fresh
                or (oldest is not None and oldest < start)
            ):
                break
        else:
            _LOGGER.warning(
                "Stopped after %s pages of event logs since %s; older ones in that "
                "window are skipped",
                self._max_pages,
                format_datetime(start),
            )
        return found, requests, server_time

    def _sweep_due(self) -> bool:
        last, now = self.state.last_sweep, self.state.last_server_time
        return (
            last is not None and now is not None and now - last >= self._sweep_interval
        )
