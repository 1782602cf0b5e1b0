"""Where Parakey must send its webhook calls, and why that may not work.

The URL is derived every time from the webhook id, never stored: a cloudhook
is looked up (or made) for exactly that id, so a saved URL can never point at
another id's hook.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import StrEnum

from homeassistant.components import cloud, webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .const import LOGGER


class UrlProblem(StrEnum):
    """Why Parakey cannot deliver to the URL; also the translation keys."""

    NO_URL = "no_url"
    NOT_HTTPS = "not_https"


@dataclass(frozen=True, slots=True)
class WebhookUrl:
    """The URL to paste into My Parakey, or the best one there is, and its problem."""

    url: str
    problem: UrlProblem | None
    cloudhook: bool = False


def authorization_value(username: str, password: str) -> str:
    """The exact ``Authorization`` header value Parakey must send."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"


def cloud_available(hass: HomeAssistant) -> bool:
    """Whether Home Assistant Cloud can make a cloudhook now."""
    return "cloud" in hass.config.components and cloud.async_active_subscription(hass)


async def async_resolve_url(hass: HomeAssistant, webhook_id: str) -> WebhookUrl:
    """The cloudhook when Cloud is subscribed, else the external URL.

    With neither, the internal URL (or the bare path) is returned with the
    ``no_url`` problem, so the user sees something to act on.
    """
    if cloud_available(hass):
        try:
            url = await cloud.async_get_or_create_cloudhook(hass, webhook_id)
        except cloud.CloudNotAvailable:
            LOGGER.debug("Home Assistant Cloud is not connected; no cloudhook")
        else:
            return WebhookUrl(url, None, cloudhook=True)
    try:
        url = webhook.async_generate_url(
            hass, webhook_id, allow_internal=False, prefer_external=True
        )
    except NoURLAvailableError:
        try:
            url = webhook.async_generate_url(hass, webhook_id, allow_internal=True)
        except NoURLAvailableError:
            url = webhook.async_generate_path(webhook_id)
        return WebhookUrl(url, UrlProblem.NO_URL)
    problem = None if url.startswith("https://") else UrlProblem.NOT_HTTPS
    return WebhookUrl(url, problem)


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete the cloudhook of ``webhook_id``, if Cloud has one."""
    if "cloud" not in hass.config.components:
        return
    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except (cloud.CloudNotAvailable, ValueError):
        # ValueError: Cloud knows no hook for this id; nothing to delete.
        LOGGER.debug("No cloudhook deleted (Cloud unavailable or no hook)")
