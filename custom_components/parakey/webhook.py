"""Parakey's "Unlock event" webhook: authenticated pushes into the one ingest path.

Parakey signs nothing; the only proof a POST comes from Parakey is the custom
``Authorization`` header the user pasted into My Parakey. Without it: 401.
With it, a body that arrives whole is answered 200 whatever it holds, because
any other status only makes Parakey resend a payload that will never become
usable; only a body over 64 KiB (413) or one that never arrives whole (408)
is refused, and Parakey's retry then has a chance.

The endpoint is switched on and off with the option, without a reload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import hmac
import json
import time
from typing import Final

import aiohttp
from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback

from .api import Batch, parse_webhook_payload
from .const import (
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    DOMAIN,
    LOGGER,
    SOURCE_WEBHOOK,
)
from .delivery import UnlockDelivery
from .issues import async_clear_webhook_issues, async_update_webhook_url_issue
from .webhook_monitor import WebhookMonitor
from .webhook_url import async_resolve_url, authorization_value

MAX_BODY: Final = 64 * 1024
# Parakey waits 15 s for an answer; a body still incomplete after this is dropped.
BODY_TIMEOUT: Final = 10.0
# One warning per this many seconds about refused requests; the rest go to debug.
REFUSED_WARNING_INTERVAL: Final = 600.0


class BodyTooLargeError(Exception):
    """The body is over ``MAX_BODY``, whatever its framing."""


async def _async_read_body(request: web.Request) -> bytes:
    """Read the whole body, however it is framed and split over TCP segments.

    ``StreamReader.read(n)`` returns what has arrived so far, which can be the
    first segment only, so read until the end of the body.
    """
    if (request.content_length or 0) > MAX_BODY:
        raise BodyTooLargeError
    body = bytearray()
    async with asyncio.timeout(BODY_TIMEOUT):
        while chunk := await request.content.read(MAX_BODY + 1 - len(body)):
            body += chunk
            if len(body) > MAX_BODY:
                raise BodyTooLargeError
    return bytes(body)


class WebhookEndpoint:
    """The webhook of one entry: registered while the option is on."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        delivery: UnlockDelivery,
        monitor: WebhookMonitor,
        on_batch: Callable[[Batch], None],
    ) -> None:
        """Nothing is registered until ``async_enable``."""
        self._hass = hass
        self._entry = entry
        self._delivery = delivery
        self._monitor = monitor
        self._on_batch = on_batch
        self._last_refused_warning = -REFUSED_WARNING_INTERVAL
        self._registered: str | None = None
        self._stop_monitoring: CALLBACK_TYPE | None = None
        self._stop_url_checks: CALLBACK_TYPE | None = None

    @property
    def enabled(self) -> bool:
        """Whether the webhook is registered."""
        return self._registered is not None

    async def async_enable(self) -> None:
        """Register the webhook (or follow a new webhook id) and check its URL."""
        webhook_id = self._entry.data[CONF_WEBHOOK_ID]
        if self._registered != webhook_id:
            self.async_disable(clear_issues=False)
            webhook.async_register(
                self._hass,
                DOMAIN,
                f"Parakey {self._entry.title}",
                webhook_id,
                self.async_handle,
                local_only=False,
                allowed_methods=[hdrs.METH_POST],
            )
            self._registered = webhook_id
            self._monitor.async_start()
            self._stop_monitoring = self._delivery.async_add_listener(
                self._monitor.async_on_unlock
            )
            # The repair issue about the URL clears once the user fixes it.
            self._stop_url_checks = self._hass.bus.async_listen(
                EVENT_CORE_CONFIG_UPDATE, self._async_check_url
            )
        await self._async_check_url()

    @callback
    def async_disable(self, *, clear_issues: bool = True) -> None:
        """Unregister the webhook; its repair issues go with it."""
        if self._registered is not None:
            webhook.async_unregister(self._hass, self._registered)
            self._registered = None
        for stop in (self._stop_monitoring, self._stop_url_checks):
            if stop is not None:
                stop()
        self._stop_monitoring = self._stop_url_checks = None
        if clear_issues:
            self._monitor.async_reset()
            async_clear_webhook_issues(self._hass, self._entry)

    async def _async_check_url(self, _: Event | None = None) -> None:
        # Makes the cloudhook too, when Home Assistant Cloud is subscribed.
        resolved = await async_resolve_url(
            self._hass, self._entry.data[CONF_WEBHOOK_ID]
        )
        async_update_webhook_url_issue(self._hass, self._entry, resolved.problem)
        # Parakey cannot deliver to such a URL: polling must not wait on it.
        self._monitor.async_set_url_ok(resolved.problem is None)

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        data = self._entry.data
        # Read at each call: new credentials apply at once, without a reload.
        expected = authorization_value(
            data[CONF_WEBHOOK_USERNAME], data[CONF_WEBHOOK_PASSWORD]
        ).encode()
        scheme, _, token = header.strip().partition(" ")
        provided = f"Basic {token.strip()}" if scheme.lower() == "basic" else header
        # Compare in constant time, so timing does not reveal the password.
        return hmac.compare_digest(provided.encode(), expected)

    def _warn_refused(self, request: web.Request) -> None:
        now = time.monotonic()
        log = LOGGER.debug
        if now - self._last_refused_warning >= REFUSED_WARNING_INTERVAL:
            self._last_refused_warning = now
            log = LOGGER.warning
        log(
            "Refused a Parakey webhook call from %s: missing or wrong Authorization "
            "header (check the custom header in My Parakey)",
            request.remote,
        )

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Authenticate, parse and hand the log to the shared ingest path."""
        if not self._authorized(request.headers.get(hdrs.AUTHORIZATION)):
            self._warn_refused(request)
            return web.Response(status=401)
        try:
            body = await _async_read_body(request)
        except BodyTooLargeError:
            LOGGER.warning("Dropped a Parakey webhook body over %s bytes", MAX_BODY)
            return web.Response(status=413)
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as err:
            # The sender hung up or stalled: it did not get an answer either,
            # so Parakey retries; nothing is lost by dropping the fragment.
            LOGGER.warning(
                "Dropped a Parakey webhook call whose body did not arrive whole: %s",
                type(err).__name__,
            )
            return web.Response(status=408)
        self._monitor.async_note_call()
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            LOGGER.warning("Dropped a Parakey webhook call whose body is not JSON")
            return web.Response(status=200)
        parsed = parse_webhook_payload(payload)
        if isinstance(parsed, Batch):
            # A "Batch completed" call (the same URL may take both types): a
            # key change made here finished; it is never taken for an unlock.
            self._on_batch(parsed)
        elif parsed is None:
            LOGGER.warning(
                "Dropped a Parakey webhook call that is neither an event log nor "
                "a batch (a %s)",
                type(payload).__name__,
            )
        else:
            log = parsed
            self._monitor.async_note_push(log.id)
            # Acknowledged at once, as Parakey advises, and delivered in a task
            # of its own: a caller that hangs up still gets its unlock
            # delivered, and a push never waits behind a poll's catch-up. A
            # background task, because during start-up delivery waits until
            # automations listen, and start-up itself waits for tracked tasks.
            self._entry.async_create_background_task(
                hass,
                self._delivery.async_ingest([log], SOURCE_WEBHOOK),
                "parakey webhook delivery",
            )
        return web.Response(status=200)
