"""Parakey's "Unlock event" webhook: authenticated pushes into the one ingest path.

Parakey signs nothing; the only proof a POST comes from Parakey is the custom
``Authorization`` header the user pasted into My Parakey. Once that matches,
the answer is 200 whatever the body is: any other status only makes Parakey
resend a payload that will never become usable.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
import hmac
import json
import time
from typing import Final

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError

from .api import EventLog
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    DOMAIN,
    LOGGER,
    SOURCE_WEBHOOK,
)
from .coordinator import ParakeyConfigEntry, ParakeyCoordinator
from .issues import async_update_webhook_url_issue

MAX_BODY: Final = 64 * 1024
# One warning per this many seconds about refused requests; the rest go to debug.
REFUSED_WARNING_INTERVAL: Final = 600.0


@dataclass(frozen=True, slots=True)
class WebhookDetails:
    """What the user pastes into My Parakey, and why it may not work."""

    url: str | None
    authorization: str
    problem: str | None

    @property
    def problem_text(self) -> str:
        """A sentence for the options flow; empty when the URL is fine."""
        if self.problem == "no_url":
            return (
                "Home Assistant has no external URL and no Home Assistant Cloud, "
                "so Parakey cannot reach it. Set an external HTTPS URL first."
            )
        if self.problem == "not_https":
            return "Parakey only delivers to HTTPS addresses; this one is not."
        return ""


def authorization_value(username: str, password: str) -> str:
    """The exact ``Authorization`` header value Parakey must send."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"


async def async_webhook_details(
    hass: HomeAssistant,
    entry: ParakeyConfigEntry,
    pending: Mapping[str, str] | None = None,
) -> WebhookDetails:
    """Resolve the URL (creating a cloudhook when Cloud is subscribed).

    ``pending`` holds credentials the options flow has not saved yet.
    """
    data = {**entry.data, **(pending or {})}
    webhook_id: str = data[CONF_WEBHOOK_ID]
    url: str | None = data.get(CONF_CLOUDHOOK_URL)
    if url is None and "cloud" in hass.config.components:
        from homeassistant.components import cloud

        if cloud.async_active_subscription(hass):
            try:
                url = await cloud.async_create_cloudhook(hass, webhook_id)
            except cloud.CloudNotAvailable:
                LOGGER.debug("Home Assistant Cloud is not connected; no cloudhook")
            else:
                hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_CLOUDHOOK_URL: url}
                )
    if url is None:
        try:
            url = webhook.async_generate_url(
                hass, webhook_id, allow_internal=False, prefer_external=True
            )
        except NoURLAvailableError:
            url = None
    problem = None
    if url is None:
        problem = "no_url"
    elif not url.startswith("https://"):
        problem = "not_https"
    return WebhookDetails(
        url=url,
        authorization=authorization_value(
            data[CONF_WEBHOOK_USERNAME], data[CONF_WEBHOOK_PASSWORD]
        ),
        problem=problem,
    )


class ParakeyWebhook:
    """The registered handler of one entry."""

    def __init__(
        self, entry: ParakeyConfigEntry, coordinator: ParakeyCoordinator
    ) -> None:
        """Take the credentials of ``entry``."""
        self._coordinator = coordinator
        self._expected = authorization_value(
            entry.data[CONF_WEBHOOK_USERNAME], entry.data[CONF_WEBHOOK_PASSWORD]
        ).encode()
        self._last_refused_warning = -REFUSED_WARNING_INTERVAL

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, token = header.strip().partition(" ")
        provided = f"Basic {token.strip()}" if scheme.lower() == "basic" else header
        # Compare in constant time, so timing does not reveal the password.
        return hmac.compare_digest(provided.encode(), self._expected)

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
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            LOGGER.warning("Dropped a Parakey webhook body over %s bytes", MAX_BODY)
            return web.Response(status=413)
        coordinator = self._coordinator
        coordinator.async_note_webhook()
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            LOGGER.warning("Dropped a Parakey webhook call whose body is not JSON")
            coordinator.async_publish()
            return web.Response(status=200)
        log = EventLog.from_api(payload)
        if log is None:
            LOGGER.warning(
                "Dropped a Parakey webhook call that is not an event log (a %s)",
                type(payload).__name__,
            )
        else:
            await coordinator.async_ingest([log], SOURCE_WEBHOOK)
        coordinator.async_publish()
        return web.Response(status=200)


async def async_setup_webhook(
    hass: HomeAssistant, entry: ParakeyConfigEntry, coordinator: ParakeyCoordinator
) -> None:
    """Register the webhook for the entry's lifetime and check its URL."""
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    handler = ParakeyWebhook(entry, coordinator)
    webhook.async_register(
        hass,
        DOMAIN,
        f"Parakey {entry.title}",
        webhook_id,
        handler.async_handle,
        local_only=False,
        allowed_methods=[hdrs.METH_POST],
    )

    @callback
    def unregister() -> None:
        webhook.async_unregister(hass, webhook_id)

    entry.async_on_unload(unregister)
    details = await async_webhook_details(hass, entry)
    async_update_webhook_url_issue(hass, entry, details.problem)


async def async_remove_cloudhook(
    hass: HomeAssistant, entry: ParakeyConfigEntry
) -> None:
    """Delete the entry's cloudhook, if one was made."""
    if CONF_CLOUDHOOK_URL not in entry.data or "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud

    try:
        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    except cloud.CloudNotAvailable:
        LOGGER.debug("Home Assistant Cloud is not available; cloudhook left")
