"""Webhook delivery the way Parakey does it: POST, retries, stop on 410."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import logging
from typing import Any, Final

import aiohttp

_LOGGER = logging.getLogger(__name__)

USER_AGENT: Final = "Parakey-WebhookWorker/1.0"
TIMEOUT: Final = 15.0
# Seconds before retries 1..5: the last is about 20 minutes after the first failure.
RETRY_DELAYS: Final = (30.0, 60.0, 180.0, 420.0, 510.0)
# With time_scale 0 retries are immediate, but a request still needs a real timeout.
MIN_TIMEOUT: Final = 1.0


class WebhookDelivery:
    """Delivers each new log to one configured URL."""

    def __init__(self, *, time_scale: float = 1.0) -> None:
        """``time_scale`` multiplies every wait (0 = retry at once)."""
        self.time_scale = time_scale
        self.url: str | None = None
        self.headers: dict[str, str] = {}
        self.enabled = False
        self.deliveries: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def configure(self, url: str, headers: dict[str, str], *, enabled: bool) -> None:
        """Point delivery at ``url``."""
        self.url, self.headers, self.enabled = url, dict(headers), enabled

    def disable(self) -> None:
        """Deliver nothing more."""
        self.enabled = False

    def deliver(self, log: dict[str, Any]) -> None:
        """Start delivering ``log`` in the background, if a webhook is on."""
        if not self.enabled or self.url is None:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(self.url, log))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, log: dict[str, Any]) -> None:
        timeout = aiohttp.ClientTimeout(
            total=max(TIMEOUT * self.time_scale, MIN_TIMEOUT)
        )
        for attempt in range(len(RETRY_DELAYS) + 1):
            planned = RETRY_DELAYS[attempt - 1] if attempt else 0.0
            if planned:
                await asyncio.sleep(planned * self.time_scale)
            if not self.enabled:
                return
            status = await self._post(url, log, timeout)
            self.deliveries.append(
                {
                    "log_id": log.get("id"),
                    "attempt": attempt,
                    "status": status,
                    "at": datetime.now(UTC).isoformat(),
                    "planned_delay": planned,
                }
            )
            if status is not None and 200 <= status < 300:
                return
            if status == 410:
                _LOGGER.info("Receiver answered 410 Gone; webhook disabled")
                self.enabled = False
                return
        _LOGGER.info(
            "Gave up delivering %s after %s retries", log.get("id"), len(RETRY_DELAYS)
        )

    async def _post(
        self, url: str, log: dict[str, Any], client_timeout: aiohttp.ClientTimeout
    ) -> int | None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {**self.headers, "User-Agent": USER_AGENT}
        try:
            async with self._session.post(
                url, json=log, headers=headers, timeout=client_timeout
            ) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, TimeoutError) as err:
            _LOGGER.debug(
                "Delivery of %s failed: %s", log.get("id"), type(err).__name__
            )
            return None

    async def wait_idle(self) -> None:
        """Wait for every pending delivery (including its retries)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel pending deliveries and close the HTTP client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None


class BatchWebhook(WebhookDelivery):
    """Parakey's "Batch completed" webhook: each completed batch, same delivery."""

    def __init__(self, *, time_scale: float = 1.0) -> None:
        """Deliver nothing until configured."""
        super().__init__(time_scale=time_scale)
        # My Parakey's option ``onlyOnItemFailures``.
        self.only_on_item_failures = False

    def announce(self, batch: dict[str, Any]) -> None:
        """Deliver ``batch`` (as ``GET /batches/{id}`` shows it), if it qualifies."""
        failed = any(item.get("status") == "failed" for item in batch["items"])
        if failed or not self.only_on_item_failures:
            self.deliver(batch)
